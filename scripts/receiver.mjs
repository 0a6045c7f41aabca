// `npm run receiver`: a local webhook receiver for development. It listens on 127.0.0.1:8790
// (DELIVERY_WEBHOOK_URL's local default), verifies each request's Standard Webhooks signature and
// prints what arrived: announcements (signed with DELIVERY_WEBHOOK_SECRET from .dev.vars) and
// events-outbox deliveries to an endpoint registered at http://127.0.0.1:8790/events (signed with
// that endpoint's own secret: pass it as WEBHOOK_SECRETS, comma separated for several).
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

const port = Number(process.env.PORT ?? 8790)
// Before the first `npm run dev` there is no .dev.vars yet; its template holds the same secret.
const varsFile = ['.dev.vars', '.dev.vars.example'].find((file) => existsSync(file))
const vars = Object.fromEntries(
  (varsFile ? readFileSync(varsFile, 'utf8') : '')
    .split('\n')
    .filter((line) => /^\s*[A-Z_]+=/.test(line))
    .map((line) => [
      line.slice(0, line.indexOf('=')).trim(),
      line.slice(line.indexOf('=') + 1).trim(),
    ]),
)
const secrets = [
  process.env.DELIVERY_WEBHOOK_SECRET ?? vars.DELIVERY_WEBHOOK_SECRET,
  ...(process.env.WEBHOOK_SECRETS ?? '').split(','),
].filter((secret) => secret?.startsWith('whsec_'))
if (secrets.length === 0) {
  console.error('Set DELIVERY_WEBHOOK_SECRET (in .dev.vars) or WEBHOOK_SECRETS first.')
  process.exit(1)
}
const verifiers = secrets.map((secret) => new Webhook(secret))

/** The payload if one of the known secrets signed it, else undefined. */
function verify(body, headers) {
  for (const verifier of verifiers) {
    try {
      return verifier.verify(body, headers)
    } catch {
      // try the next secret
    }
  }
  return undefined
}

createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    const payload = verify(body, request.headers)
    if (!payload) {
      console.log(
        `✘ ${request.url}: no known secret signed this (for an events endpoint, restart with ` +
          'WEBHOOK_SECRETS=<its whsec_ secret>); answered 400, the sender will retry',
      )
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error":"bad signature"}')
      return
    }
    const to = payload.data?.recipient
    console.log(
      `✔ ${request.url} ${request.headers['webhook-id']} ${payload.type}` +
        (to ? ` → ${to.name} <${to.phone ?? to.email}>` : ''),
    )
    if (payload.data?.text) console.log(`  ${payload.data.text}`)
    else if (!to) console.log(`  ${JSON.stringify(payload.data)}`)
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  })
}).listen(port, '127.0.0.1', () =>
  console.log(
    `Receiving webhooks on http://127.0.0.1:${port}/webhook (announcements) and /events (events)`,
  ),
)
