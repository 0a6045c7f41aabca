// `npm run receiver`: the local stand-ins of `scripts/stand-ins.mjs` (a phone with WhatsApp, the
// WhatsApp Cloud API, an e-mail outbox, a webhook receiver) on their own, for a Worker started
// without `npm run dev`, which starts them itself. They listen on 127.0.0.1:8790 (PORT) and talk
// to the Worker at WORKER_URL (http://localhost:8787 unless told). Announcements are checked
// against DELIVERY_WEBHOOK_SECRET from .dev.vars; events of an endpoint you subscribed yourself
// against its secret: pass it as WEBHOOK_SECRETS (comma separated for several). The WhatsApp
// values (app secret, access token, phone number id, business number) come from the
// environment or .dev.vars, or are the local ones `npm run dev` uses.
import { existsSync, readFileSync } from 'node:fs'
import { LOCAL_WHATSAPP, startStandIns } from './stand-ins.mjs'

// Before the first `npm run dev` there is no .dev.vars yet; its template holds the same secrets.
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
const value = (name) => process.env[name] || vars[name] || undefined

const workerUrl = (process.env.WORKER_URL ?? 'http://localhost:8787').replace(/\/+$/, '')
const standIns = await startStandIns({
  port: Number(process.env.PORT ?? 8790),
  // The Worker was configured with this port: another one would receive nothing.
  exactPort: true,
  workerUrl,
  whatsapp: {
    businessNumber: value('WHATSAPP_BUSINESS_NUMBER') ?? LOCAL_WHATSAPP.businessNumber,
    phoneNumberId: value('WHATSAPP_PHONE_NUMBER_ID') ?? LOCAL_WHATSAPP.phoneNumberId,
    accessToken: value('WHATSAPP_ACCESS_TOKEN') ?? LOCAL_WHATSAPP.accessToken,
    appSecret: value('WHATSAPP_APP_SECRET') ?? LOCAL_WHATSAPP.appSecret,
  },
  secrets: [value('DELIVERY_WEBHOOK_SECRET'), ...(process.env.WEBHOOK_SECRETS ?? '').split(',')],
})
console.log(
  [
    `Local stand-ins on ${standIns.url}, for the Worker at ${workerUrl} (WORKER_URL):`,
    `  Phone (WhatsApp)  ${standIns.url}/phone`,
    `  E-mail outbox     ${standIns.url}/outbox`,
    `  Webhooks          ${standIns.url}/webhook (announcements), any other path (events)`,
  ].join('\n'),
)
