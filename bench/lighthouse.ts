// `npm run lighthouse`: Lighthouse's accessibility and best-practices audits of the landing page,
// the join form, the status page and every dashboard page of the seeded demo, in the same
// Chromium the browser tests use. Fails (exit 1) below accessibility 100 or best practices 95.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import lighthouse from 'lighthouse'
import { launchBrowser } from '../test/support/browser.ts'
import { startWorker, TEST_OWNER_TOKEN, toolEnv } from '../test/support/worker-server.ts'

const root = path.resolve(import.meta.dirname, '..')
const RUNNERS = 'cmt_0000000000000000000000000b'
const MAKERS = 'cmt_0000000000000000000000000k'
const THRESHOLDS = { accessibility: 100, 'best-practices': 95 }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

const state = mkdtempSync(path.join(tmpdir(), 'lighthouse-state-'))
const where = ['--local', '--persist-to', state]
for (const args of [
  ['wrangler', 'd1', 'migrations', 'apply', 'DB', ...where],
  [
    'node',
    '-e',
    `import('./scripts/demo-history.mjs').then((m) => m.loadDemo(${JSON.stringify(where)}))`,
  ],
]) {
  const run = spawnSync(args[0]!, args.slice(1), { cwd: root, env: toolEnv, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed:\n${run.stdout}${run.stderr}`)
}
const worker = await startWorker({ state })
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
  // The first announcement on the list has its report per recipient.
  const list = await fetch(`${worker.url}/admin/communities/${RUNNERS}/announcements`, {
    headers: { cookie },
  })
  const report = /href="(\/admin\/announcements\/ann_[0-9a-z]+)"/.exec(await list.text())?.[1]
  if (!report) throw new Error('no announcement in the demo to report on')
  const pages: Array<[name: string, url: string, signedIn: boolean]> = [
    ['landing page', `${worker.url}/i/sundayrunners`, false],
    ['join form', `${worker.url}/i/handmademaker/join`, false],
    ['status page', statusUrl, false],
    ['sign-in', `${worker.url}/admin/login`, false],
    ['dashboard home', `${worker.url}/admin`, true],
    ['community: links and stats', `${worker.url}/admin/communities/${RUNNERS}`, true],
    [
      'community: stats filtered',
      `${worker.url}/admin/communities/${RUNNERS}?source=instagram&device=mobile`,
      true,
    ],
    [
      'compare links',
      `${worker.url}/admin/communities/${RUNNERS}/compare?links=inv_0000000000000000000000000b,inv_000000000000000000000000b2`,
      true,
    ],
    ['link', `${worker.url}/admin/links/inv_0000000000000000000000000b`, true],
    ['approvals', `${worker.url}/admin/communities/${MAKERS}/approvals`, true],
    ['members', `${worker.url}/admin/communities/${RUNNERS}/members`, true],
    ['announcements', `${worker.url}/admin/communities/${RUNNERS}/announcements`, true],
    ['report per recipient', `${worker.url}${report}`, true],
    ['archived links', `${worker.url}/admin/communities/${RUNNERS}?archived=1`, true],
    ['settings', `${worker.url}/admin/communities/${RUNNERS}/settings`, true],
    ['team', `${worker.url}/admin/communities/${RUNNERS}/team`, true],
    ['audit log', `${worker.url}/admin/communities/${RUNNERS}/audit`, true],
    ['webhooks', `${worker.url}/admin/webhooks`, true],
  ]
  const rows: string[] = []
  let failed = false
  for (const [name, url, signedIn] of pages) {
    const result = await lighthouse(url, {
      port: debugPort,
      logLevel: 'error',
      onlyCategories: Object.keys(THRESHOLDS),
      extraHeaders: { 'accept-language': 'de', ...(signedIn ? { cookie } : {}) },
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
  rmSync(state, { recursive: true, force: true })
}
