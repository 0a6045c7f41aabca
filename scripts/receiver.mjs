// `npm run receiver`: a local webhook receiver for development. It listens on 127.0.0.1:8790
// (DELIVERY_WEBHOOK_URL's local default), verifies each request's Standard Webhooks signature and
// prints what arrived: announcements (signed with DELIVERY_WEBHOOK_SECRET from .dev.vars) and
// events-outbox deliveries to an endpoint registered at http://127.0.0.1:8790/events (signed with
// that endpoint's own secret: pass it as WEBHOOK_SECRETS, comma separated for several).
//
// It also stands in for the WhatsApp Cloud API (set DELIVERY_CHANNEL=whatsapp,
// WHATSAPP_API_BASE=http://127.0.0.1:8790/whatsapp, WHATSAPP_PHONE_NUMBER_ID=1 and any
// WHATSAPP_ACCESS_TOKEN): sends are answered with a wamid, and a moment later their statuses
// (sent, delivered, read) come back to the Worker's /webhooks/whatsapp, signed with
// WHATSAPP_APP_SECRET as Meta signs them. `POST /whatsapp/say {"from": "+49…", "text": "Stopp"}`
// plays a member writing to the business number.
import { createHmac, randomUUID } from 'node:crypto'
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

const workerWebhook = process.env.WHATSAPP_WEBHOOK_URL ?? 'http://localhost:8787/webhooks/whatsapp'
const appSecret = process.env.WHATSAPP_APP_SECRET ?? vars.WHATSAPP_APP_SECRET

/** Posts a notification to the Worker as Meta does: the documented envelope, signed. */
async function notifyWorker(field, value) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '0',
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '0', phone_number_id: '1' },
              ...value,
            },
          },
        ],
      },
    ],
  })
  const signature = `sha256=${createHmac('sha256', appSecret ?? '')
    .update(body)
    .digest('hex')}`
  const answer = await fetch(workerWebhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  }).catch((error) => ({ status: String(error) }))
  console.log(`  → ${field} notification to the Worker: ${answer.status}`)
}

/** The Cloud API stand-in: a send is answered at once, its statuses follow. */
function cloudApi(request, body, response) {
  if (request.url === '/whatsapp/say') {
    const { from, text } = JSON.parse(body || '{}')
    const waId = String(from ?? '').replace(/\D/g, '')
    const seconds = String(Math.floor(Date.now() / 1000))
    void notifyWorker('messages', {
      contacts: [{ profile: { name: 'Member' }, wa_id: waId }],
      messages: [
        {
          from: waId,
          id: `wamid.${randomUUID()}`,
          timestamp: seconds,
          type: 'text',
          text: { body: text },
        },
      ],
    })
    return response.writeHead(202).end()
  }
  const message = JSON.parse(body || '{}')
  const wamid = `wamid.${randomUUID()}`
  const waId = String(message.to ?? '').replace(/\D/g, '')
  console.log(
    `✔ WhatsApp ${message.type} → ${message.to}: ${message.text?.body ?? message.template?.name ?? ''}`,
  )
  response.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      messaging_product: 'whatsapp',
      contacts: [{ input: message.to, wa_id: waId }],
      messages: [{ id: wamid }],
    }),
  )
  ;['sent', 'delivered', 'read'].forEach((status, i) =>
    setTimeout(
      () =>
        void notifyWorker('messages', {
          statuses: [
            {
              id: wamid,
              status,
              timestamp: String(Math.floor(Date.now() / 1000)),
              recipient_id: waId,
            },
          ],
        }),
      1000 * (i + 1),
    ),
  )
}

createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    if (request.url?.startsWith('/whatsapp/')) return cloudApi(request, body, response)
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
