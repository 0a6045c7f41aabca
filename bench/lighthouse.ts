// `npm run lighthouse`: Lighthouse's accessibility and best-practices audits of the landing page,
// the join form, the status page and every dashboard page of the seeded demo, in the same
// Chromium the browser tests use. Fails (exit 1) below accessibility 100 or best practices 95.
// Telegram and Cloudflare Access are configured, against the tests' local stand-ins, so that
// the pages only they bring (the Telegram page, the Access chooser) exist.
import { rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import lighthouse from 'lighthouse'
import { certsDocument, generateSigningKey, signJwt } from '../test/support/access-jwt.ts'
import { launchBrowser } from '../test/support/browser.ts'
import { startFakeServices } from '../test/support/fake-services.ts'
import { TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET } from '../test/support/fake-telegram.ts'
import { logoPng, toBase64 } from '../test/support/png-logo.ts'
import { demoState, startWorker, TEST_OWNER_TOKEN } from '../test/support/worker-server.ts'

const root = path.resolve(import.meta.dirname, '..')
const RUNNERS = 'cmt_0000000000000000000000000b'
const MAKERS = 'cmt_0000000000000000000000000k'
const ACCESS_TEAM = 'https://lighthouse.cloudflareaccess.com'
const ACCESS_AUD = 'lighthouse-access-aud-0123456789'
const THRESHOLDS = { accessibility: 100, 'best-practices': 95 }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

const state = demoState('lighthouse-state')
const services = await startFakeServices()
const worker = await startWorker({
  state,
  vars: {
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET,
    TELEGRAM_API_BASE: `${services.url}/telegram`,
    ACCESS_TEAM_DOMAIN: ACCESS_TEAM,
    ACCESS_AUD,
    ACCESS_CERTS_URL: `${services.url}/access/cdn-cgi/access/certs`,
  },
})
const debugPort = await freePort()
const browser = await launchBrowser([`--remote-debugging-port=${debugPort}`])

try {
  const signIn = await fetch(`${worker.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: worker.url },
    body: new URLSearchParams({ token: TEST_OWNER_TOKEN }),
  })
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!
  const joined = await fetch(`${worker.url}/i/handmademaker/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      name: 'Lighthouse',
      email: 'lighthouse@example.com',
      answers: ['Lamps', 'Neukölln'],
      consent: true,
    }),
  })
  const statusUrl = ((await joined.json()) as { statusUrl: string }).statusUrl
  const api = async (method: string, pathname: string, body: unknown) => {
    const answer = await fetch(`${worker.url}/api${pathname}`, {
      method,
      headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!answer.ok)
      throw new Error(`${method} ${pathname}: ${answer.status} ${await answer.text()}`)
    return (await answer.json()) as { id: string }
  }
  // The Telegram page with everything it can show: connected, and Telegram's last delivery error.
  await api('POST', '/telegram/connect', {})
  await fetch(`${services.url}/telegram/__webhook-error`, {
    method: 'POST',
    body: JSON.stringify({ message: 'Wrong response from the webhook: 502 Bad Gateway' }),
  })
  // The "link" page shows the QR designer as a new link has it; this one a link with a saved
  // design and a logo (the demo's links have none).
  const designed = 'inv_000000000000000000000000b2'
  await api('PATCH', `/invites/${designed}`, {
    qrDesign: {
      fg: '1d3557',
      bg: 'fdfcf7',
      margin: 2,
      level: 'H',
      style: 'dots',
      logoPng: toBase64(await logoPng()),
    },
  })
  // Behind Access, an address on the teams of two communities chooses one.
  const email = 'lighthouse.teammate@example.com'
  for (const communityId of [RUNNERS, MAKERS]) {
    const token = await api('POST', '/tokens', {
      name: 'Lighthouse',
      role: 'community_admin',
      communityId,
    })
    await api('PATCH', `/tokens/${token.id}`, { email })
  }
  const signingKey = await generateSigningKey('lighthouse-key')
  await fetch(`${services.url}/access/keys`, {
    method: 'PUT',
    body: JSON.stringify(certsDocument([signingKey])),
  })
  const now = Math.floor(Date.now() / 1000)
  const assertion = await signJwt(signingKey, {
    aud: [ACCESS_AUD],
    email,
    iat: now,
    nbf: now,
    exp: now + 3600,
    iss: ACCESS_TEAM,
    type: 'app',
    sub: crypto.randomUUID(),
  })
  // The first announcement on the list has its report per recipient.
  const list = await fetch(`${worker.url}/admin/communities/${RUNNERS}/announcements`, {
    headers: { cookie },
  })
  const report = /href="(\/admin\/announcements\/ann_[0-9a-z]+)"/.exec(await list.text())?.[1]
  if (!report) throw new Error('no announcement in the demo to report on')
  const pages: Array<[name: string, url: string, as: 'visitor' | 'owner' | 'access']> = [
    ['landing page', `${worker.url}/i/sundayrunners`, 'visitor'],
    ['join form', `${worker.url}/i/handmademaker/join`, 'visitor'],
    ['status page', statusUrl, 'visitor'],
    ['sign-in', `${worker.url}/admin/login`, 'visitor'],
    ['dashboard home', `${worker.url}/admin`, 'owner'],
    ['community: links and stats', `${worker.url}/admin/communities/${RUNNERS}`, 'owner'],
    [
      'community: stats filtered',
      `${worker.url}/admin/communities/${RUNNERS}?source=instagram&device=mobile`,
      'owner',
    ],
    [
      'compare links',
      `${worker.url}/admin/communities/${RUNNERS}/compare?links=inv_0000000000000000000000000b,inv_000000000000000000000000b2`,
      'owner',
    ],
    ['link', `${worker.url}/admin/links/inv_0000000000000000000000000b`, 'owner'],
    ['approvals', `${worker.url}/admin/communities/${MAKERS}/approvals`, 'owner'],
    ['members', `${worker.url}/admin/communities/${RUNNERS}/members`, 'owner'],
    ['announcements', `${worker.url}/admin/communities/${RUNNERS}/announcements`, 'owner'],
    ['report per recipient', `${worker.url}${report}`, 'owner'],
    ['archived links', `${worker.url}/admin/communities/${RUNNERS}?archived=1`, 'owner'],
    ['settings', `${worker.url}/admin/communities/${RUNNERS}/settings`, 'owner'],
    ['team', `${worker.url}/admin/communities/${RUNNERS}/team`, 'owner'],
    ['audit log', `${worker.url}/admin/communities/${RUNNERS}/audit`, 'owner'],
    ['webhooks', `${worker.url}/admin/webhooks`, 'owner'],
    ['QR designer (saved design, logo)', `${worker.url}/admin/links/${designed}`, 'owner'],
    ['Telegram', `${worker.url}/admin/telegram`, 'owner'],
    ['Access: choose a community', `${worker.url}/admin`, 'access'],
  ]
  const rows: string[] = []
  let failed = false
  for (const [name, url, as] of pages) {
    const result = await lighthouse(url, {
      port: debugPort,
      logLevel: 'error',
      onlyCategories: Object.keys(THRESHOLDS),
      extraHeaders: {
        'accept-language': 'de',
        ...(as === 'owner' ? { cookie } : {}),
        ...(as === 'access' ? { 'cf-access-jwt-assertion': assertion } : {}),
      },
    })
    const lhr = result!.lhr
    // A dashboard page that sent Lighthouse to the sign-in form would score the wrong page.
    if (lhr.finalDisplayedUrl !== url)
      throw new Error(`${name}: ended at ${lhr.finalDisplayedUrl}, not ${url}`)
    const scores = Object.fromEntries(
      Object.keys(THRESHOLDS).map((key) => [
        key,
        Math.round((lhr.categories[key]?.score ?? 0) * 100),
      ]),
    ) as Record<keyof typeof THRESHOLDS, number>
    const short = Object.entries(THRESHOLDS).filter(
      ([key, minimum]) => scores[key as keyof typeof THRESHOLDS] < minimum,
    )
    const why = short.length
      ? Object.values(lhr.audits)
          .filter(
            (audit) =>
              audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === 'binary',
          )
          .map((audit) => audit.id)
          .join(', ')
      : ''
    if (short.length) failed = true
    rows.push(
      `| ${name} | ${scores.accessibility} | ${scores['best-practices']} |${why ? ` ${why}` : ''}`,
    )
    console.log(rows.at(-1))
  }
  const table = ['| page | accessibility | best practices |', '|---|---|---|', ...rows].join('\n')
  writeFileSync(path.join(root, 'bench', 'lighthouse-results.md'), `${table}\n`)
  if (failed) {
    console.error(
      `Below accessibility ${THRESHOLDS.accessibility} or best practices ${THRESHOLDS['best-practices']}.`,
    )
    process.exitCode = 1
  }
} finally {
  await browser.close()
  await worker.stop()
  services.server.close()
  rmSync(state, { recursive: true, force: true })
}
