// `npm run dev [-- <wrangler dev arguments>]`: everything a newcomer needs, in one command, with
// no questions asked and a short summary instead of pages of tables.
// 1. creates .dev.vars from .dev.vars.example when it is missing (the local owner token),
// 2. applies pending D1 migrations to the local database,
// 3. loads the demo data (idempotent; skip with SEED=0),
// 4. starts `wrangler dev` on the port asked for (or 8787, or the next free one), with every link
//    built for that port unless PUBLIC_BASE_URL is set, and plain-http webhooks to the local
//    stand-ins allowed.
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadDemo } from './demo-history.mjs'
import { runWranglerQuietly, spawnWrangler } from './wrangler.mjs'

const DEFAULT_PORT = 8787

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  console.log('Created .dev.vars from .dev.vars.example (local secrets, git-ignored).')
}
const devVars = readDotenv('.dev.vars')

const args = process.argv.slice(2)
// A database kept elsewhere (`-- --persist-to <dir>`) gets the migrations and demo data too.
const persistTo = optionValue(args, ['--persist-to'])
const where = ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])]

const migrations = runWranglerQuietly(['d1', 'migrations', 'apply', 'DB', ...where])
// wrangler reprints its table after each migration: count the names once.
const applied = new Set(migrations.match(/\d{4}_\w+\.sql/g)).size
console.log(
  applied > 0 ? `Database: ${applied} migration(s) applied.` : 'Database: migrations up to date.',
)
if (process.env.SEED !== '0') {
  loadDemo(where)
  console.log('Demo data: loaded (SEED=0 skips it).')
}

const askedPort = Number(optionValue(args, ['--port', '-p'])) || undefined
const port = askedPort ?? (await firstFreePort(DEFAULT_PORT))
const baseUrl = (process.env.PUBLIC_BASE_URL ?? devVars.PUBLIC_BASE_URL ?? '').replace(/\/+$/, '')
const publicBaseUrl = baseUrl || `http://localhost:${port}`
const local = `http://localhost:${port}`
// Announcements go to `npm run receiver` unless the environment or .dev.vars says otherwise.
const deliveryWebhookUrl =
  process.env.DELIVERY_WEBHOOK_URL ??
  devVars.DELIVERY_WEBHOOK_URL ??
  'http://127.0.0.1:8790/webhook'

const devArgs = [
  'dev',
  ...args,
  ...(askedPort === undefined ? ['--port', String(port)] : []),
  '--var',
  `PUBLIC_BASE_URL:${publicBaseUrl}`,
  // The local stand-ins (`npm run receiver`, the Cloud API stand-in) speak plain http on loopback.
  '--var',
  'ALLOW_HTTP_WEBHOOKS:true',
  '--var',
  `DELIVERY_WEBHOOK_URL:${deliveryWebhookUrl}`,
  // A statement past D1's limits fails here as it would in production once the data grows.
  '--var',
  'D1_LIMIT_CHECKS:true',
]
const dev = spawnWrangler(devArgs, { onReady: printSummary })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))

function printSummary() {
  const token = devVars.ADMIN_TOKEN ?? '(ADMIN_TOKEN in .dev.vars)'
  console.log(
    [
      '',
      `Ready on ${local}`,
      '',
      `  Dashboard        ${local}/admin  (sign in with the owner token below)`,
      `  Demo landing     ${publicBaseUrl}/i/sundayrunners  (QR: ${publicBaseUrl}/i/sundayrunners/qr.svg)`,
      `  Closed demo      ${publicBaseUrl}/i/handmademaker`,
      `  API reference    ${local}/api/docs`,
      `  Owner token      ${token}`,
      `  Fire the cron    curl "${local}/cdn-cgi/local/scheduled"`,
      `  Webhook receiver npm run receiver  (another terminal; announcements and events land there)`,
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
