// `npm run dev [-- <wrangler dev arguments>]`: everything a newcomer needs, in one command, with
// no questions asked and a short summary instead of pages of tables.
// 1. creates .dev.vars from .dev.vars.example when it is missing (the local owner token),
// 2. applies pending D1 migrations to the local database,
// 3. loads the demo data (idempotent; skip with SEED=0),
// 4. starts the local stand-ins (scripts/stand-ins.mjs: a phone with WhatsApp, the Cloud API, an
//    e-mail outbox, a webhook receiver, Telegram) on 127.0.0.1:8790 or the next free port
//    (STAND_INS=0 starts none), and hands the Telegram one the invite links the bot made before
//    (the demo's, an earlier run's), so people can join through them on its page,
// 5. starts `wrangler dev` on the port asked for (or 8787, or the next free one), with every link
//    built for that port unless PUBLIC_BASE_URL is set, plain-http webhooks to the stand-ins
//    allowed, and WhatsApp pointed at them unless WHATSAPP_ACCESS_TOKEN is set (Telegram unless
//    TELEGRAM_BOT_TOKEN is),
// 6. once it is ready, subscribes the stand-ins to the events outbox (so confirmation e-mails reach
//    the outbox), connects the bot to the Telegram stand-in, and fires the cron every minute, as
//    Cloudflare would (CRON=0 leaves it to you).
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadDemo } from './demo-load.mjs'
import { applyLocalMigrations } from './local-migrations.mjs'
import { EVENTS_PATH, LOCAL_WHATSAPP, startStandIns } from './stand-ins.mjs'
import { LOCAL_TELEGRAM } from './telegram-stand-in.mjs'
import { runWranglerForJson, spawnWrangler } from './wrangler.mjs'

const DEFAULT_PORT = 8787
/** wrangler's own default for the debugger, taken if free. */
const DEFAULT_INSPECTOR_PORT = 9229

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  console.log('Created .dev.vars from .dev.vars.example (local secrets, git-ignored).')
}
const devVars = readDotenv('.dev.vars')

const args = process.argv.slice(2)
// A database kept elsewhere (`-- --persist-to <dir>`) gets the migrations and demo data too.
const persistTo = optionValue(args, ['--persist-to'])
const where = ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])]

const applied = applyLocalMigrations(where).length
console.log(
  applied > 0 ? `Database: ${applied} migration(s) applied.` : 'Database: migrations up to date.',
)
if (process.env.SEED !== '0') {
  loadDemo(where)
  console.log('Demo data: loaded (SEED=0 skips it).')
}

const askedPort = Number(optionValue(args, ['--port', '-p'])) || undefined
const port = askedPort ?? (await firstFreePort(DEFAULT_PORT))
// The debugger's port too: another `wrangler dev` on this machine holds 9229 otherwise, and this
// one would fail to start.
const inspectorPort = optionValue(args, ['--inspector-port'])
  ? undefined
  : await firstFreePort(DEFAULT_INSPECTOR_PORT)
const baseUrl = (process.env.PUBLIC_BASE_URL ?? devVars.PUBLIC_BASE_URL ?? '').replace(/\/+$/, '')
const publicBaseUrl = baseUrl || `http://localhost:${port}`
const local = `http://localhost:${port}`
/** A value the developer set, in the environment or in .dev.vars: it wins over the stand-ins'. */
const given = (name) => process.env[name] || devVars[name] || undefined

// A real access token means a real WhatsApp number: then nothing of WhatsApp is redirected.
const whatsAppStandIn = process.env.STAND_INS !== '0' && !given('WHATSAPP_ACCESS_TOKEN')
const whatsapp = {
  businessNumber: given('WHATSAPP_BUSINESS_NUMBER') ?? LOCAL_WHATSAPP.businessNumber,
  phoneNumberId: given('WHATSAPP_PHONE_NUMBER_ID') ?? LOCAL_WHATSAPP.phoneNumberId,
  accessToken: given('WHATSAPP_ACCESS_TOKEN') ?? LOCAL_WHATSAPP.accessToken,
  appSecret: given('WHATSAPP_APP_SECRET') ?? LOCAL_WHATSAPP.appSecret,
}
// A real bot token means a real bot: then nothing of Telegram is redirected.
const telegramStandIn = process.env.STAND_INS !== '0' && !given('TELEGRAM_BOT_TOKEN')
const standIns =
  process.env.STAND_INS === '0'
    ? null
    : await startStandIns({
        avoid: [port],
        workerUrl: local,
        whatsapp,
        // The Worker reads its secrets from .dev.vars (only the WhatsApp ones are passed below);
        // WEBHOOK_SECRETS adds those of endpoints subscribed by hand (comma separated).
        secrets: [
          devVars.DELIVERY_WEBHOOK_SECRET,
          ...(process.env.WEBHOOK_SECRETS ?? '').split(',').filter(Boolean),
        ],
        log: (line) => console.log(`[stand-in] ${line}`),
      })
if (standIns && telegramStandIn) standIns.adoptTelegram(liveTelegramLinks(where))
const standInUrl = standIns?.url ?? 'http://127.0.0.1:8790'
// Announcements go to the stand-ins unless the environment or .dev.vars says otherwise.
const deliveryWebhookUrl = given('DELIVERY_WEBHOOK_URL') ?? `${standInUrl}/webhook`
const whatsAppVars = whatsAppStandIn
  ? {
      WHATSAPP_API_BASE: given('WHATSAPP_API_BASE') ?? `${standInUrl}/whatsapp`,
      WHATSAPP_PHONE_NUMBER_ID: whatsapp.phoneNumberId,
      WHATSAPP_ACCESS_TOKEN: whatsapp.accessToken,
      WHATSAPP_BUSINESS_NUMBER: whatsapp.businessNumber,
      WHATSAPP_APP_SECRET: whatsapp.appSecret,
      // The status page's "Confirm in WhatsApp" opens the stand-ins' phone instead of wa.me.
      WHATSAPP_CHAT_LINK_BASE: given('WHATSAPP_CHAT_LINK_BASE') ?? `${standInUrl}/phone`,
      // Announcements go out as WhatsApp messages to the members' phones there, and come back
      // delivered and read, as the product is used; DELIVERY_CHANNEL=webhook sends them to the
      // webhook receiver instead.
      DELIVERY_CHANNEL: given('DELIVERY_CHANNEL') ?? 'whatsapp',
    }
  : {}
const telegramVars = telegramStandIn
  ? {
      TELEGRAM_BOT_TOKEN: LOCAL_TELEGRAM.token,
      TELEGRAM_WEBHOOK_SECRET: LOCAL_TELEGRAM.webhookSecret,
      TELEGRAM_BOT_USERNAME: given('TELEGRAM_BOT_USERNAME') ?? LOCAL_TELEGRAM.username,
      TELEGRAM_API_BASE: given('TELEGRAM_API_BASE') ?? `${standInUrl}/telegram`,
      // Telegram's links open the stand-in's page, where a local person takes them.
      TELEGRAM_LINK_BASE: given('TELEGRAM_LINK_BASE') ?? `${standInUrl}/telegram/t.me`,
    }
  : {}

const devArgs = [
  'dev',
  ...args,
  ...(askedPort === undefined ? ['--port', String(port)] : []),
  ...(inspectorPort === undefined ? [] : ['--inspector-port', String(inspectorPort)]),
  '--var',
  `PUBLIC_BASE_URL:${publicBaseUrl}`,
  // The local stand-ins speak plain http on loopback.
  '--var',
  'ALLOW_HTTP_WEBHOOKS:true',
  '--var',
  `DELIVERY_WEBHOOK_URL:${deliveryWebhookUrl}`,
  // A statement past D1's limits fails here as it would in production once the data grows.
  '--var',
  'D1_LIMIT_CHECKS:true',
  ...Object.entries({ ...whatsAppVars, ...telegramVars }).flatMap(([name, value]) => [
    '--var',
    `${name}:${value}`,
  ]),
]
const dev = spawnWrangler(devArgs, { onReady: () => void whenReady() })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))

async function whenReady() {
  const outbox = standIns ? await subscribeStandIns() : null
  const telegram = telegramStandIn ? await connectTelegram() : null
  if (process.env.CRON !== '0') fireCronEveryMinute()
  printSummary(outbox, telegram)
}

/**
 * The chats and the invite links of the bot that are live at Telegram (made and not revoked yet),
 * from the local database, named as the Worker names them (src/platforms/telegram/invite-links.ts),
 * and the join requests waiting there (the demo's among them), each with the link it came through.
 */
function liveTelegramLinks(location) {
  const [chats, links, waiting] = runWranglerForJson([
    'd1',
    'execute',
    'DB',
    ...location,
    '--command',
    `SELECT chat_id AS chatId, title FROM telegram_chats;
SELECT l.url, l.chat_id AS chatId, l.creates_join_request AS createsJoinRequest,
  CASE WHEN r.name IS NOT NULL THEN r.name || ' (referral)' ELSE coalesce(i.label, i.code) END AS name
FROM telegram_invite_links l JOIN invites i ON i.id = l.invite_id
  LEFT JOIN members r ON r.id = i.referrer_member_id
WHERE l.status IN ('active', 'revoking') AND l.url IS NOT NULL ORDER BY l.created_at, l.id;
SELECT r.chat_id AS chatId, r.user_id AS userId, r.first_name AS firstName, r.last_name AS lastName,
  r.username, r.language_code AS languageCode,
  (SELECT l.url FROM telegram_invite_links l WHERE l.invite_id = r.invite_id AND l.chat_id = r.chat_id
    AND l.url IS NOT NULL ORDER BY l.created_at DESC, l.id DESC LIMIT 1) AS url
FROM telegram_join_requests r WHERE r.status = 'pending' ORDER BY r.requested_at, r.id LIMIT 1000;`,
  ])
  return {
    chats: chats?.results ?? [],
    links: links?.results ?? [],
    waiting: waiting?.results ?? [],
  }
}

/** Points the bot's webhook (at the stand-in) at this Worker, as the dashboard's button does. */
async function connectTelegram() {
  const token = devVars.ADMIN_TOKEN
  if (!token) return 'not connected: set ADMIN_TOKEN in .dev.vars'
  try {
    const answer = await fetch(`${local}/api/telegram/connect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    })
    await answer.body?.cancel()
    return answer.ok ? null : `not connected: the Worker answered ${answer.status}`
  } catch (error) {
    return `not connected: ${error.message}`
  }
}

/**
 * Subscribes the stand-ins to every event, so confirmation e-mails reach the outbox. An endpoint's
 * secret is shown once only, so the one of an earlier run is removed and a new one made.
 */
async function subscribeStandIns() {
  const token = devVars.ADMIN_TOKEN
  if (!token) return 'no events: set ADMIN_TOKEN in .dev.vars'
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  // The summary waits for this: a Worker that does not answer holds it up for seconds, not forever.
  const signal = AbortSignal.timeout(15_000)
  try {
    const listed = await fetch(`${local}/api/webhooks`, { headers, signal })
    for (const endpoint of listed.ok ? (await listed.json()).data : []) {
      const url = new URL(endpoint.url)
      if (url.hostname === '127.0.0.1' && url.pathname === EVENTS_PATH) {
        await fetch(`${local}/api/webhooks/${endpoint.id}`, { method: 'DELETE', headers, signal })
      }
    }
    const created = await fetch(`${local}/api/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: `${standInUrl}${EVENTS_PATH}`, events: ['*'] }),
      signal,
    })
    if (!created.ok) return `no events: subscribing answered ${created.status}`
    standIns.trust((await created.json()).secret)
    return null
  } catch (error) {
    return `no events: ${error.message}`
  }
}

/** What Cloudflare's Cron Trigger does in production, every minute on the minute. */
function fireCronEveryMinute() {
  const fire = () => fetch(`${local}/cdn-cgi/local/scheduled`).catch(() => {})
  setTimeout(
    () => {
      void fire()
      setInterval(fire, 60_000).unref()
    },
    60_000 - (Date.now() % 60_000),
  ).unref()
}

function printSummary(outboxProblem, telegramProblem) {
  const token = devVars.ADMIN_TOKEN ?? '(ADMIN_TOKEN in .dev.vars)'
  const cron = process.env.CRON === '0' ? 'CRON=0: fire it by hand' : 'it also fires every minute'
  console.log(
    [
      '',
      `Ready on ${local}`,
      '',
      `  Dashboard        ${local}/admin  (sign in with the owner token below)`,
      `  Demo landing     ${publicBaseUrl}/i/sundayrunners  (QR: ${publicBaseUrl}/i/sundayrunners/qr.svg)`,
      `  Closed demo      ${publicBaseUrl}/i/handmademaker`,
      `  Telegram demo    ${publicBaseUrl}/i/spreepaddlers`,
      `  API reference    ${local}/api/docs`,
      `  Owner token      ${token}`,
      ...(standIns
        ? [
            whatsAppStandIn
              ? `  Phone (WhatsApp) ${standIns.url}/phone  (confirm sign-ups, see replies)`
              : '  Phone (WhatsApp) off: WHATSAPP_ACCESS_TOKEN is set, WhatsApp is the real one',
            telegramStandIn
              ? `  Telegram         ${standIns.url}/telegram${telegramProblem ? `  (${telegramProblem})` : '  (join the demo chat, /start the bot)'}`
              : '  Telegram         off: TELEGRAM_BOT_TOKEN is set, Telegram is the real one',
            `  E-mail outbox    ${standIns.url}/outbox${outboxProblem ? `  (${outboxProblem})` : ''}`,
            `  Webhooks         ${standIns.url}  (announcements and events, printed here)`,
          ]
        : ['  Stand-ins        off (STAND_INS=0)']),
      `  Fire the cron    curl "${local}/cdn-cgi/local/scheduled"  (${cron})`,
      '',
    ].join('\n'),
  )
}

/** The value of an option among wrangler's arguments: `--port 8788` or `--port=8788`. */
function optionValue(list, names) {
  for (let index = 0; index < list.length; index++) {
    const [name, inline] = list[index].split(/=(.*)/s)
    if (names.includes(name)) return inline ?? list[index + 1]
  }
  return undefined
}

async function firstFreePort(from) {
  for (let candidate = from; candidate < from + 100; candidate++) {
    if (await isFree(candidate)) return candidate
  }
  throw new Error(`no free port between ${from} and ${from + 99}`)
}

function isFree(port) {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, () => probe.close(() => resolve(true)))
  })
}

/** KEY=value lines, as wrangler reads .dev.vars (comments and blank lines skipped). */
function readDotenv(file) {
  const values = {}
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (match) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2')
  }
  return values
}
