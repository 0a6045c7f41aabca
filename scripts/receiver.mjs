// `npm run receiver`: a local webhook receiver for development. It listens on 127.0.0.1:8790
// (DELIVERY_WEBHOOK_URL's local default), verifies each delivery's Standard Webhooks signature
// with DELIVERY_WEBHOOK_SECRET from .dev.vars, and prints what arrived.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

const port = Number(process.env.PORT ?? 8790)
const vars = Object.fromEntries(
  readFileSync('.dev.vars', 'utf8')
    .split('\n')
    .filter((line) => /^\s*[A-Z_]+=/.test(line))
    .map((line) => [
      line.slice(0, line.indexOf('=')).trim(),
      line.slice(line.indexOf('=') + 1).trim(),
    ]),
)
const secret = process.env.DELIVERY_WEBHOOK_SECRET ?? vars.DELIVERY_WEBHOOK_SECRET
if (!secret) {
  console.error('Set DELIVERY_WEBHOOK_SECRET (in .dev.vars) first.')
  process.exit(1)
}
const verifier = new Webhook(secret)

createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    try {
      const payload = verifier.verify(body, request.headers)
      const to = payload.data?.recipient
      console.log(
        `✔ ${request.headers['webhook-id']} ${payload.type}${to ? ` → ${to.name} <${to.phone ?? to.email}>` : ''}`,
      )
      if (payload.data?.text) console.log(`  ${payload.data.text}`)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    } catch (error) {
      console.log(`✘ rejected: ${error.message}`)
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"error":"bad signature"}')
    }
  })
}).listen(port, '127.0.0.1', () =>
  console.log(`Receiving webhooks on http://127.0.0.1:${port}/webhook`),
)
