// `npm run bench [-- http|stats|dispatch|pace|burst]`: load tests of the hot path against a hello
// route, the stats endpoints at 10k, 100k and 1M visits, and a crowd's burst of joins. Everything
// runs on 127.0.0.1 against `wrangler dev`, is bounded in time, and stops by itself. Results:
// printed as Markdown and written to bench/results/latest.json; bench/README.md records them with
// the machine they ran on.
import { createHmac } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { cpus, tmpdir, totalmem } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import autocannon from 'autocannon'
import {
  apiClient,
  localD1File,
  startWorker,
  TEST_OWNER_TOKEN,
} from '../test/support/worker-server.ts'
import { burstSuite } from './burst.ts'
import { startFakeServices } from '../test/support/fake-services.ts'
import {
  TELEGRAM_BOT_ID,
  TELEGRAM_BOT_TOKEN,
  TELEGRAM_WEBHOOK_SECRET,
} from '../test/support/fake-telegram.ts'

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148'

interface Measurement {
  name: string
  rps: number
  p50: number
  p99: number
  failures: number
  /**
   * D1 round trips per answered request, from the `x-d1-round-trips` header the Worker adds with
   * `D1_ROUND_TRIP_HEADER` (the mean over the 2xx answers: a cache that refreshes every few
   * seconds shows as a fraction); null for a route that never touches the database client.
   */
  roundTrips: number | null
  /**
   * Milliseconds of the worker's CPU (wrangler's and workerd's processes, from /proc) per
   * answered request, null where it cannot be read. Less moved than req/s by load outside the
   * worker: waiting for a core adds no CPU time (cache and clock effects still do).
   */
  cpuMs: number | null
  /**
   * For a route whose work goes on after its answer (a queue's consumer, `settled`): what was
   * answered, done end to end a second, from the first request until the work of the last was
   * done. Its CPU column counts that work too.
   */
  donePerSecond?: number
  /** For such a route: the D1 round trips its work afterwards made per answered request. */
  laterRoundTrips?: number
  /**
   * Against the hellos measured around it in the same round (`httpSuite`): the median over the
   * rounds of its req/s over theirs, and of their CPU per request over its own. Where absent,
   * the table divides by the suite's one hello row.
   */
  vsHello?: number
  cpuVsHello?: number | null
  /** What the slices of a measurement add up from (`combined`): requests, seconds, CPU seconds. */
  requests: number
  seconds: number
  cpuSecondsUsed: number | null
}

/** What the benchmarked Worker is started with: every answer says its D1 round trips. */
const COUNT_ROUND_TRIPS = { D1_ROUND_TRIP_HEADER: 'true' }

/** A distinct IPv4 address for the n-th person, so each joins from their own address. */
function addressOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}

async function load(
  name: string,
  url: string,
  options: {
    path?: () => string
    /** A different request each time (method, path, body, headers). */
    request?: () => {
      method: 'POST' | 'GET'
      path: string
      body?: string
      headers?: Record<string, string>
    }
    seconds?: number
    headers?: Record<string, string>
    connections?: number
    /** The worker's CPU seconds so far (`RunningWorker.cpuSeconds`), for the CPU column. */
    cpuSeconds?: () => number | null
    /**
     * Resolves once the work of this many answered requests is done (`donePerSecond`): the next
     * route is measured without this one's backlog, and its CPU counts here.
     */
    settled?: (answered: number) => Promise<{ roundTripsEach?: number }>
  } = {},
): Promise<Measurement> {
  let counted = 0
  let trips = 0
  let answered = 0
  const onResponse = (
    status: number,
    _body: string,
    _context: object,
    headers: Record<string, string | string[] | undefined> = {},
  ) => {
    const header = Object.entries(headers).find(([key]) => key.toLowerCase() === 'x-d1-round-trips')
    if (status >= 200 && status < 300) answered += 1
    if (status >= 200 && status < 300 && header) {
      counted += 1
      trips += Number(header[1])
    }
  }
  const cpuBefore = options.cpuSeconds?.() ?? null
  const started = performance.now()
  const result = await autocannon({
    url,
    connections: options.connections ?? CONNECTIONS,
    duration: options.seconds ?? DURATION_SECONDS,
    headers: { 'user-agent': PHONE, ...options.headers },
    requests: options.request
      ? [
          {
            setupRequest: (request) => {
              const next = options.request!()
              return { ...request, ...next, headers: { ...request.headers, ...next.headers } }
            },
            onResponse,
          },
        ]
      : options.path
        ? [{ setupRequest: (request) => ({ ...request, path: options.path!() }), onResponse }]
        : [{ onResponse }],
  })
  let donePerSecond: number | undefined
  let laterRoundTrips: number | undefined
  if (options.settled) {
    laterRoundTrips = (await options.settled(answered)).roundTripsEach
    donePerSecond = Math.round(answered / ((performance.now() - started) / 1000))
  }
  const cpuAfter = options.cpuSeconds?.() ?? null
  return {
    name,
    donePerSecond,
    laterRoundTrips,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
    roundTrips: counted === 0 ? null : trips / counted,
    cpuMs: cpuPerRequest(cpuBefore, cpuAfter, result.requests.total),
    requests: result.requests.total,
    seconds: result.duration,
    cpuSecondsUsed: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  }
}

/**
 * The slices of one route in one round as one measurement: requests over seconds, CPU over
 * requests, round trips weighted by requests, and the worse of the slices' latencies.
 */
function combined(slices: Measurement[]): Measurement {
  const sum = (of: (slice: Measurement) => number) =>
    slices.reduce((total, slice) => total + of(slice), 0)
  /** The mean of a figure over the slices that have it, each weighted by its requests. */
  const perRequest = (of: (slice: Measurement) => number | null | undefined) => {
    const known = slices.filter((slice) => of(slice) != null)
    const requests = known.reduce((total, slice) => total + slice.requests, 0)
    return known.length === 0 || requests === 0
      ? undefined
      : known.reduce((total, slice) => total + of(slice)! * slice.requests, 0) / requests
  }
  const requests = sum((slice) => slice.requests)
  const cpu = slices.every((slice) => slice.cpuSecondsUsed !== null)
    ? sum((slice) => slice.cpuSecondsUsed!)
    : null
  // Done a second: all the slices' requests over their time from first request to last done.
  const done = slices.filter((slice) => slice.donePerSecond)
  const doneSeconds = done.reduce(
    (total, slice) => total + slice.requests / slice.donePerSecond!,
    0,
  )
  return {
    name: slices[0]!.name,
    rps: Math.round(requests / sum((slice) => slice.seconds)),
    p50: Math.max(...slices.map((slice) => slice.p50)),
    p99: Math.max(...slices.map((slice) => slice.p99)),
    failures: sum((slice) => slice.failures),
    roundTrips: perRequest((slice) => slice.roundTrips) ?? null,
    cpuMs: cpu === null || requests === 0 ? null : (cpu * 1000) / requests,
    donePerSecond: done.length
      ? Math.round(done.reduce((total, slice) => total + slice.requests, 0) / doneSeconds)
      : undefined,
    laterRoundTrips: perRequest((slice) => slice.laterRoundTrips),
    requests,
    seconds: sum((slice) => slice.seconds),
    cpuSecondsUsed: cpu,
  }
}

function cpuPerRequest(before: number | null, after: number | null, requests: number) {
  return before === null || after === null || requests === 0
    ? null
    : ((after - before) * 1000) / requests
}

/** The median of the values there are, null if there are none. */
function medianOf(values: Array<number | null>): number | null {
  const known = values.filter((value) => value !== null).sort((a, b) => a - b)
  return known.length === 0 ? null : known[Math.floor(known.length / 2)]!
}

/** The measurement with the median throughput. */
function median(measurements: Measurement[]): Measurement {
  const sorted = [...measurements].sort((a, b) => a.rps - b.rps)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Round trips as measured: whole numbers as they are, a cache's refreshes to two places. */
function roundTripsText(value: number | null): string {
  if (value === null) return '–'
  return Number.isInteger(value) ? String(value) : value.toFixed(2)
}

/**
 * The Markdown table of a suite. The first row is the hello route: the ratios are against it,
 * of throughput (higher is better) and of CPU per request (hello's over the route's, so higher
 * is better too).
 */
function table(rows: Measurement[], baseline: number): string {
  const helloCpu = rows[0]?.cpuMs ?? null
  const lines = [
    '| route | req/s | vs hello | p50 ms | p99 ms | failed | D1 round trips | CPU ms/req | CPU vs hello |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  const percent = (ratio: number | null) => (ratio === null ? '–' : `${Math.round(ratio * 100)}%`)
  for (const row of rows) {
    const ratio = percent(row.vsHello ?? row.rps / baseline)
    const cpu = row.cpuMs === null ? '–' : row.cpuMs.toFixed(2)
    const cpuRatio = percent(
      row.cpuVsHello !== undefined
        ? row.cpuVsHello
        : row.cpuMs === null || helloCpu === null
          ? null
          : helloCpu / row.cpuMs,
    )
    lines.push(
      `| ${row.name} | ${row.rps} | ${ratio} | ${row.p50} | ${row.p99} | ${row.failures} | ${roundTripsText(row.roundTrips)} | ${cpu} | ${cpuRatio} |`,
    )
  }
  return lines.join('\n')
}

const BENCH_APP_SECRET = 'bench-app-secret-0123456789'

/**
 * A signed WhatsApp status notification, as Meta posts it (for a message id we never sent).
 * Made once: signing it for every request measured the load generator, not the Worker.
 */
const signedStatusNotification = (() => {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '0',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '49301234567', phone_number_id: '1' },
              statuses: [
                { id: 'wamid.bench', status: 'delivered', timestamp: '1', recipient_id: '491' },
              ],
            },
          },
        ],
      },
    ],
  })
  const signature = `sha256=${createHmac('sha256', BENCH_APP_SECRET).update(body).digest('hex')}`
  const request = {
    method: 'POST' as const,
    path: '/webhooks/whatsapp',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  }
  return () => request
})()

let benchUpdateId = 0
/** Chat ids ending in 1: the Bot API stand-in's bot administers those with every right. */
let benchChat = -1001234567001

/** An update as Telegram posts it to the webhook, with the secret the Worker gave. */
function telegramWebhookPost(update: Record<string, unknown>) {
  benchUpdateId += 1
  return {
    method: 'POST' as const,
    path: '/webhooks/telegram',
    body: JSON.stringify({ update_id: benchUpdateId, ...update }),
    headers: {
      'content-type': 'application/json',
      'x-telegram-bot-api-secret-token': TELEGRAM_WEBHOOK_SECRET,
    },
  }
}

/**
 * A Telegram chat a fresh open community's group follows, with a campaign link on it whose chat
 * invite link the Worker made (through the Bot API stand-in); then a `chat_member` update of a
 * new person joining through that link each request, as Telegram posts it: a member each.
 */
async function telegramJoinsInto(
  base: string,
  api: ReturnType<typeof apiClient>,
  logs: () => string,
) {
  benchChat -= 10
  const chat = { id: benchChat, type: 'supergroup', title: `Bench chat ${-benchChat}` }
  const bot = { id: TELEGRAM_BOT_ID, is_bot: true, first_name: 'Bot' }
  const admin = { id: 7_000_000_001, is_bot: false, first_name: 'Admin' }
  const added = telegramWebhookPost({
    my_chat_member: {
      chat,
      from: admin,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { status: 'left', user: bot },
      new_chat_member: { status: 'administrator', user: bot, can_invite_users: true },
    },
  })
  const sent = await fetch(base + added.path, {
    method: 'POST',
    headers: added.headers,
    body: added.body,
  })
  await sent.body?.cancel()
  const community = await api('POST', '/api/communities', {
    name: `Telegram bench ${Date.now()}`,
    description: '',
    visibility: 'open',
    consent: 'single',
  })
  const group = await api('POST', `/api/communities/${community.id}/groups`, {
    name: 'Telegram',
    topic: 'Running',
  })
  // The chat becomes known once the update is applied; then the group can follow it.
  await until(async () => {
    const linked = await fetch(`${base}/api/groups/${group.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ telegramChatId: chat.id }),
    })
    await linked.body?.cancel()
    return linked.ok
  })
  const invite = await api('POST', `/api/communities/${community.id}/invites`, {
    groupId: group.id,
  })
  const url = await until(async () => {
    const shown = await api('GET', `/api/invites/${invite.id}`)
    return shown.telegramLinkStatus === 'active' ? (shown.chatInviteUrl as string) : null
  })
  const request = () => {
    const user = { id: 8_000_000_000 + benchUpdateId, is_bot: false, first_name: 'Bench' }
    return telegramWebhookPost({
      chat_member: {
        chat,
        from: user,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: { status: 'left', user },
        new_chat_member: { status: 'member', user },
        invite_link: {
          invite_link: url,
          creator: bot,
          creates_join_request: false,
          is_primary: false,
          is_revoked: false,
        },
      },
    })
  }
  // Every join answered is counted on the link once its update is applied; the consumer's log
  // lines of those batches say how many D1 round trips they made. A route is measured in more
  // than one slice: each waits for the joins of every slice so far, and reads its own lines.
  let logged = logs().length
  let joined = 0
  const settled = async (answered: number) => {
    joined += answered
    await until(async () => {
      const stats = await api('GET', `/api/invites/${invite.id}/stats`)
      return stats.totals.verifiedJoins >= joined
    }, 300_000)
    const lines = logs().slice(logged)
    logged += lines.length
    let updates = 0
    let trips = 0
    for (const line of lines.split('\n')) {
      if (!line.includes('"job":"telegram-updates"')) continue
      const batch = JSON.parse(line.slice(line.indexOf('{'))) as {
        updates: number
        d1RoundTrips: number
      }
      updates += batch.updates
      trips += batch.d1RoundTrips
    }
    return { roundTripsEach: updates === 0 ? undefined : trips / updates }
  }
  return { request, settled }
}

/** What `check` answers once it answers something (not false or null), polled for a while. */
async function until<T>(check: () => Promise<T | false | null>, withinMs = 30_000): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const answer = await check()
    if (answer !== false && answer !== null) return answer
    if (Date.now() > deadline) throw new Error(`the bench did not settle within ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function httpSuite() {
  // The Bot API's stand-in, as the tests run it: the Worker makes its chat invite links there,
  // and the members' referral links after their joins.
  const standIns = await startFakeServices()
  const worker = await startWorker({
    vars: {
      WHATSAPP_APP_SECRET: BENCH_APP_SECRET,
      TELEGRAM_BOT_TOKEN,
      TELEGRAM_WEBHOOK_SECRET,
      TELEGRAM_API_BASE: `${standIns.url}/telegram`,
      ...COUNT_ROUND_TRIPS,
    },
  })
  const cpuSeconds = () => worker.cpuSeconds()
  try {
    const api = apiClient(worker.url)
    const community = await api('POST', '/api/communities', {
      name: 'Bench Runners',
      description: 'A community with a few groups, as a real one would have',
      visibility: 'open',
      consent: 'single',
      photoUrl: 'https://images.example.com/bench.jpg',
    })
    for (let i = 0; i < 5; i++) {
      await api('POST', `/api/communities/${community.id}/groups`, {
        name: `Group ${i}`,
        topic: 'Running',
      })
    }
    const invite = await api('POST', `/api/communities/${community.id}/invites`, {
      source: 'bench',
    })
    const base = worker.url
    const landing = `${base}/i/${invite.code}`
    const stats = `/api/invites/${invite.id}/stats`
    const auth = { authorization: `Bearer ${'tooling-owner-token-0123456789abcdef'}` }

    // Warm up every route (JIT, caches) before measuring.
    for (const url of [`${base}/healthz`, landing, `${landing}/qr.svg`, `${landing}/qr.png`]) {
      await load('warm-up', url, { seconds: 2 })
    }
    await load('warm-up', base + stats, { seconds: 2, headers: auth })

    // Joining: a new person each time (own phone number and address, so no join limit applies),
    // into a fresh open community each round (an announcement group holds 2,000). Locally,
    // wrangler dev keeps a CF-Connecting-IP header the client sends.
    let person = 0
    const joinInto = async (consent: 'single' | 'double' = 'single') => {
      const open = await api('POST', '/api/communities', {
        name: `Join bench ${Date.now()}`,
        description: '',
        visibility: 'open',
        consent,
      })
      const link = await api('POST', `/api/communities/${open.id}/invites`, {})
      return () => {
        person += 1
        return {
          method: 'POST' as const,
          path: `/i/${link.code}/join`,
          body: JSON.stringify({
            name: `Person ${person}`,
            phone: `+49151${String(10_000_000 + person)}`,
            consent: true,
          }),
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': `${PHONE} bench/${person}`,
            'cf-connecting-ip': addressOf(person),
            // As Cloudflare's edge adds it with IP Geolocation on (see the landing page's row).
            'cf-ipcountry': 'DE',
          },
        }
      }
    }
    // Approving: pending requests made through the join API beforehand, approved one each.
    const closed = await api('POST', '/api/communities', {
      name: 'Approval bench',
      description: '',
      visibility: 'closed',
      consent: 'single',
    })
    const closedLink = await api('POST', `/api/communities/${closed.id}/invites`, {})
    const pending: string[] = []
    for (let i = 0; i < 1900; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          fetch(`${base}/i/${closedLink.code}/join`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              'user-agent': `${PHONE} pending/${i + j}`,
              'cf-connecting-ip': addressOf(1_000_000 + i + j),
            },
            body: JSON.stringify({
              name: `Applicant ${i + j}`,
              phone: `+49152${String(10_000_000 + i + j)}`,
              consent: true,
            }),
          }).then((response) => response.json() as Promise<{ joinRequestId: string }>),
        ),
      )
      pending.push(...batch.map((answer) => answer.joinRequestId))
    }
    const approve = () => ({
      method: 'POST' as const,
      path: `/api/join-requests/${pending.shift() ?? 'jr_00000000000000000000000000'}/approve`,
      headers: auth,
    })

    const routes: Array<[string, string, () => Promise<Parameters<typeof load>[2]>]> = [
      ['hello (`/healthz`)', `${base}/healthz`, async () => ({})],
      // As Cloudflare's edge sends a landing view where the zone has IP Geolocation on; without
      // the header the page reads the country from `request.cf`, which costs more (next row).
      ['landing page `/i/:code`', landing, async () => ({ headers: { 'cf-ipcountry': 'DE' } })],
      ['landing page, no CF-IPCountry (country from `request.cf`)', landing, async () => ({})],
      ['QR SVG, cached', `${landing}/qr.svg`, async () => ({})],
      ['QR PNG 512 px, cached', `${landing}/qr.png`, async () => ({})],
      [
        'QR PNG, cold (random size per request)',
        base,
        async () => ({
          path: () => `/i/${invite.code}/qr.png?size=${64 + Math.floor(Math.random() * 1985)}`,
        }),
      ],
      [
        'open join, JSON (a new member each request)',
        base,
        async () => ({ request: await joinInto() }),
      ],
      [
        'open join, double opt-in, JSON (a new sign-up each request)',
        base,
        async () => ({ request: await joinInto('double') }),
      ],
      ['join-request approval', base, async () => ({ request: approve })],
      ['invite stats `/api/invites/:id/stats`', base + stats, async () => ({ headers: auth })],
      [
        'WhatsApp webhook, a signed status (verify, enqueue)',
        base,
        async () => ({ request: signedStatusNotification }),
      ],
      [
        'Telegram webhook, a join through our link (verify, enqueue; a member each)',
        base,
        () => telegramJoinsInto(base, api, worker.logs),
      ],
    ]
    // BENCH_ROUTES narrows a run to the routes whose names contain one of its words (hello
    // always stays: it is what the others are measured against).
    const wanted = process.env.BENCH_ROUTES?.split(',').map((word) => word.trim().toLowerCase())
    if (wanted) {
      const kept = routes.filter(
        ([name], i) => i === 0 || wanted.some((word) => name.toLowerCase().includes(word)),
      )
      routes.splice(0, routes.length, ...kept)
    }
    // Routes are measured in rounds, and the median of the rounds is reported: on a shared
    // 2-core machine one run of any route can be off by 20%. The machine's own speed drifts by
    // as much within half a minute (hello alone, 4-second runs back to back: 500 to 740 a
    // second, its CPU per request moving with it), more than the routes differ. So within a
    // round each route is measured between two hellos of its own, in half-slices: hello, route,
    // route, hello, which cancels a steady drift either way, and judged against those two. The
    // load never stops between slices: a worker left idle for a moment serves its next seconds
    // faster, which would judge each slice by how long the one before it waited. What a route
    // leaves for later (the landing page's visits, written within about 2 s; a queue's
    // consumer) partly runs during the hello after it, which flatters such a route a little.
    const [[helloName, helloUrl], ...measuredRoutes] = routes as [
      (typeof routes)[0],
      ...typeof routes,
    ]
    const slice = { seconds: DURATION_SECONDS / 2, cpuSeconds }
    const hellos: Measurement[] = []
    const pairs: Array<Array<{ hello: Measurement; route: Measurement }>> = measuredRoutes.map(
      () => [],
    )
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [name, url, prepare]] of measuredRoutes.entries()) {
        const prepared = { ...(await prepare()), ...slice }
        const helloFirst = await load(helloName, helloUrl, slice)
        const routeFirst = await load(name, url, prepared)
        const routeSecond = await load(name, url, prepared)
        const helloSecond = await load(helloName, helloUrl, slice)
        const hello = combined([helloFirst, helloSecond])
        hellos.push(hello)
        pairs[i]!.push({ hello, route: combined([routeFirst, routeSecond]) })
      }
    }
    const helloRow = { ...median(hellos), cpuMs: medianOf(hellos.map((hello) => hello.cpuMs)) }
    const rows: Measurement[] = [
      { ...helloRow, vsHello: 1, cpuVsHello: helloRow.cpuMs === null ? null : 1 },
      ...pairs.map((rounds) => {
        const row = median(rounds.map(({ route }) => route))
        const cpuRatios = rounds.map(({ hello, route }) =>
          hello.cpuMs === null || route.cpuMs === null ? null : hello.cpuMs / route.cpuMs,
        )
        return {
          ...row,
          cpuMs: medianOf(rounds.map(({ route }) => route.cpuMs)),
          vsHello: medianOf(rounds.map(({ hello, route }) => route.rps / hello.rps))!,
          cpuVsHello: medianOf(cpuRatios),
        }
      }),
    ]
    // Each round's hello and route in the results file: how far the rounds spread.
    const eachRound = pairs.map((rounds, i) => ({
      route: measuredRoutes[i]![0],
      helloThenRoute: rounds.map(({ hello, route }) => [hello.rps, route.rps]),
    }))
    return { baseline: helloRow.rps, rounds: ROUNDS, rows, eachRound }
  } finally {
    await worker.stop()
    standIns.server.close()
  }
}

/**
 * Loads `count` visits spread over a year, 3 invites, 30 countries, 4 device classes and 5
 * referrers, straight into SQLite.
 */
function loadVisits(db: DatabaseSync, communityId: string, inviteIds: string[], count: number) {
  const start = Date.UTC(2026, 0, 1)
  const countries = Array.from({ length: 30 }, (_, i) =>
    String.fromCharCode(65 + (i % 26), 65 + Math.floor(i / 26) + 3),
  )
  // Devices and referrers vary too, so the rollups hold the breakdowns' rows a real link has.
  const devices = ['mobile', 'mobile', 'desktop', 'tablet']
  const referrers = ['www.instagram.com', 'l.facebook.com', 't.co', 'www.google.com', '']
  const insertVisit = db.prepare(
    `insert into visits (invite_id, at, via, country, referrer_host, device, is_bot, visitor_hash)
     values (?, ?, ?, ?, nullif(?, ''), ?, ?, ?)`,
  )
  const rollup = new Map<string, number[]>()
  db.exec('begin')
  for (let i = 0; i < count; i++) {
    const inviteId = inviteIds[i % inviteIds.length]!
    const at = start + Math.floor((i / count) * 365 * 86400_000)
    const country = countries[i % countries.length]!
    const bot = i % 20 === 0 ? 1 : 0
    const via = i % 3 === 0 ? 'qr' : 'link'
    const device = bot ? 'bot' : devices[i % devices.length]!
    const referrer = referrers[i % referrers.length]!
    insertVisit.run(inviteId, at, via, country, referrer, device, bot, `h${i % 50000}`)
    const key = `${inviteId}|${new Date(at).toISOString().slice(0, 10)}|${country}|${via}|${device}|${referrer}`
    const figures = rollup.get(key) ?? [0, 0, 0, 0, 0]
    figures[0]! += 1 - bot
    figures[1]! += bot ? 0 : 1
    figures[2]! += via === 'qr' && !bot ? 1 : 0
    figures[3]! += via === 'link' && !bot ? 1 : 0
    figures[4]! += bot
    rollup.set(key, figures)
  }
  const insertRollup = db.prepare(
    `insert into invite_daily_stats (invite_id, community_id, day, country, via, device, referrer_host,
       visits, unique_visitors, qr_visits, link_visits, bot_visits)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  for (const [key, figures] of rollup) {
    const [inviteId, day, country, via, device, referrer] = key.split('|')
    insertRollup.run(inviteId!, communityId, day!, country!, via!, device!, referrer!, ...figures)
  }
  db.exec('commit')
}

/**
 * Loads `count` members (one in 20 a referrer, referring members who joined across a year) and
 * `count` pending join requests into one community, straight into SQLite.
 */
function loadPeople(db: DatabaseSync, communityId: string, inviteId: string, count: number) {
  const start = Date.UTC(2026, 0, 1)
  const tag = communityId.slice(-6)
  const insertMember = db.prepare(
    `insert into members (id, community_id, name, phone, email, consent, status, join_request_id, invite_id,
       referred_by_member_id, referral_count, joined_at) values (?, ?, ?, ?, null, 1, 'active', ?, ?, ?, ?, ?)`,
  )
  const insertRequest = db.prepare(
    `insert into join_requests (id, community_id, invite_id, name, phone, answers, consent, country, status, status_token_hash, created_at)
     values (?, ?, ?, ?, ?, '[]', 1, 'DE', 'pending', ?, ?)`,
  )
  const memberId = (i: number) => `mem_${tag}${String(i).padStart(20, '0')}`
  db.exec('begin')
  for (let i = 0; i < count; i++) {
    const referrer = i % 20 === 0
    const referredBy = !referrer && i > 20 ? memberId(Math.floor(i / 20) * 20) : null
    insertMember.run(
      memberId(i),
      communityId,
      `Member ${i}`,
      `+49151${String(i).padStart(8, '0')}`,
      `jr_m${tag}${String(i).padStart(19, '0')}`,
      inviteId,
      referredBy,
      referrer ? 19 - (i % 19) : 0,
      start + Math.floor((i / count) * 365 * 86400_000),
    )
    insertRequest.run(
      `jr_p${tag}${String(i).padStart(19, '0')}`,
      communityId,
      inviteId,
      `Applicant ${i}`,
      `+49152${String(i).padStart(8, '0')}`,
      `hash-${tag}-${i}`,
      start + i,
    )
  }
  db.exec('commit')
}

async function statsSuite() {
  const state = mkdtempSync(path.join(tmpdir(), 'bench-stats-'))
  // Visits grow to 10M; people stop at 1M (a community of a million members is the target, and
  // the member tables do not grow with traffic as visits do).
  const sizes = (process.env.BENCH_STATS_SIZES ?? '10000,100000,1000000,10000000')
    .split(',')
    .map(Number)
  const peopleOf = (size: number) => Math.min(size, 1_000_000)
  try {
    const setup = await startWorker({ state })
    const api = apiClient(setup.url)
    const targets: Array<{ size: number; communityId: string; inviteId: string }> = []
    const inviteSets: string[][] = []
    for (const size of sizes) {
      const community = await api('POST', '/api/communities', {
        name: `Stats ${size}`,
        description: '',
        visibility: 'open',
        consent: 'single',
      })
      const invites = []
      for (const source of ['instagram', 'flyer', 'partner']) {
        invites.push(
          (await api('POST', `/api/communities/${community.id}/invites`, { source })).id as string,
        )
      }
      inviteSets.push(invites)
      targets.push({ size, communityId: community.id, inviteId: invites[0]! })
    }
    await setup.stop()

    const db = new DatabaseSync(localD1File(state))
    const loadStarted = performance.now()
    sizes.forEach((size, i) => {
      loadVisits(db, targets[i]!.communityId, inviteSets[i]!, size)
      loadPeople(db, targets[i]!.communityId, targets[i]!.inviteId, peopleOf(size))
    })
    const totalVisits = (db.prepare('select count(*) as n from visits').get() as { n: number }).n
    db.close()
    const loadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10

    const worker = await startWorker({ state, vars: COUNT_ROUND_TRIPS })
    try {
      const auth = { authorization: 'Bearer tooling-owner-token-0123456789abcdef' }
      const range = '?from=2026-01-01&to=2026-12-31'
      await load('warm-up', `${worker.url}/healthz`, { seconds: 2 })
      const hello = await load('hello (`/healthz`)', `${worker.url}/healthz`, { seconds: 5 })
      const rows: Measurement[] = []
      for (const target of targets) {
        const label = target.size.toLocaleString('en')
        await load('warm-up', `${worker.url}/api/communities/${target.communityId}/stats${range}`, {
          seconds: 1,
          headers: auth,
        })
        const community = `${worker.url}/api/communities/${target.communityId}`
        for (const [name, path] of [
          ['leaderboard, all time', '/leaderboard'],
          ['leaderboard, one month', '/leaderboard?from=2026-06-01&to=2026-06-30'],
          ['member list, first page', '/members?status=active'],
          ['pending requests, first page', '/join-requests?status=pending'],
        ] as const) {
          rows.push(
            await load(
              `${name}, ${peopleOf(target.size).toLocaleString('en')} rows, 1 conn.`,
              community + path,
              {
                seconds: 3,
                headers: auth,
                connections: 1,
              },
            ),
          )
        }
        // One connection: the latency one person waits; ten: what the endpoint sustains.
        for (const connections of [1, CONNECTIONS]) {
          rows.push(
            await load(
              `community stats, a year, ${label} visits, ${connections} conn.`,
              `${worker.url}/api/communities/${target.communityId}/stats${range}`,
              { seconds: 5, headers: auth, connections },
            ),
            await load(
              `invite stats, a year, ${label} visits (a third on the link), ${connections} conn.`,
              `${worker.url}/api/invites/${target.inviteId}/stats${range}`,
              { seconds: 5, headers: auth, connections },
            ),
            // Filters on the link's source and on the visit's device and country: the rollups
            // answer them as they answer the unfiltered page.
            await load(
              `community stats, a year, filtered by source, device and country, ${label} visits, ${connections} conn.`,
              `${worker.url}/api/communities/${target.communityId}/stats${range}&source=instagram&device=mobile&country=AD`,
              { seconds: 5, headers: auth, connections },
            ),
          )
        }
      }
      return { totalVisits, loadSeconds, baseline: hello.rps, rows: [hello, ...rows] }
    } finally {
      await worker.stop()
    }
  } finally {
    rmSync(state, { recursive: true, force: true })
  }
}

/** A local webhook receiver that answers at once, counts what arrives and when. */
async function startCountingReceiver(): Promise<{
  url: string
  count: () => number
  arrivals: number[]
  close: () => void
}> {
  let received = 0
  const arrivals: number[] = []
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      received += 1
      arrivals.push(performance.now())
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    count: () => received,
    arrivals,
    close: () => server.close(),
  }
}

/** Loads `count` active members of a community into SQLite, all in its announcement group. */
function loadMembers(
  db: DatabaseSync,
  communityId: string,
  announcementGroupId: string,
  count: number,
) {
  const insertMember = db.prepare(
    `insert into members (id, community_id, name, phone, email, consent, status, join_request_id, joined_at)
     values (?, ?, ?, ?, null, 1, 'active', ?, ?)`,
  )
  const insertGroupMember = db.prepare(
    'insert into group_members (group_id, member_id, joined_at) values (?, ?, ?)',
  )
  db.exec('begin')
  for (let i = 0; i < count; i++) {
    const id = `mem_bench${String(i).padStart(21, '0')}`
    insertMember.run(
      id,
      communityId,
      `Member ${i}`,
      `+49151${String(i).padStart(8, '0')}`,
      `jr_bench${String(i).padStart(21, '0')}`,
      Date.now(),
    )
    insertGroupMember.run(announcementGroupId, id, Date.now())
  }
  db.prepare('update groups set member_count = ?, member_limit = 2000 where id = ?').run(
    Math.min(count, 2000),
    announcementGroupId,
  )
  db.exec('commit')
}

/**
 * Sends one announcement to 10,000 and to 100,000 members through the real pipeline (cron,
 * queues, D1, signed webhooks to a local receiver) and reads the D1 queries of every
 * invocation from the jobs' own log lines.
 */
async function dispatchSuite() {
  const results = []
  for (const size of (process.env.BENCH_DISPATCH_SIZES ?? '10000,100000').split(',').map(Number)) {
    const state = mkdtempSync(path.join(tmpdir(), 'bench-dispatch-'))
    const receiver = await startCountingReceiver()
    const vars = {
      DELIVERY_WEBHOOK_URL: receiver.url,
      DELIVERY_WEBHOOK_SECRET: 'whsec_YmVuY2gtZGVsaXZlcnktc2VjcmV0LTAxMjM0NTY3',
      DELIVERY_RATE_PER_SECOND: '1000',
    }
    try {
      const setup = await startWorker({ state, vars })
      const api = apiClient(setup.url)
      const community = await api('POST', '/api/communities', {
        name: `Dispatch ${size}`,
        description: '',
        visibility: 'open',
        consent: 'single',
      })
      const groups = await api('GET', `/api/communities/${community.id}/groups`)
      await setup.stop()
      const db = new DatabaseSync(localD1File(state))
      loadMembers(db, community.id, groups.data[0].id, size)
      db.close()

      const worker = await startWorker({ state, vars })
      try {
        const announcement = await apiClient(worker.url)(
          'POST',
          `/api/communities/${community.id}/announcements`,
          {
            body: 'Benchmark announcement',
            sendAt: new Date(Date.now() + 1500).toISOString(),
          },
        )
        await new Promise((resolve) => setTimeout(resolve, 2000))
        const started = performance.now()
        await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
        const deadline = Date.now() + 40 * 60_000
        while (receiver.count() < size && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 500))
        const seconds = (performance.now() - started) / 1000
        const status = await apiClient(worker.url)('GET', `/api/announcements/${announcement.id}`)
        const jobs = worker
          .logs()
          .split('\n')
          .filter((line) => line.includes('"d1Queries"'))
          .map(
            (line) =>
              JSON.parse(line.slice(line.indexOf('{'))) as {
                job: string
                messages?: number
                kinds?: Record<string, number>
                d1Queries: number
              },
          )
        const expand = jobs.filter((job) => job.kinds?.expand)
        const deliver = jobs.filter((job) => job.kinds?.announce)
        const max = (list: typeof jobs) => Math.max(0, ...list.map((job) => job.d1Queries))
        const avg = (list: typeof jobs) =>
          list.length ? Math.round(list.reduce((n, job) => n + job.d1Queries, 0) / list.length) : 0
        results.push({
          recipients: size,
          delivered: receiver.count(),
          sent: status.deliveries.sent,
          seconds: Math.round(seconds * 10) / 10,
          perSecond: Math.round(receiver.count() / seconds),
          invocations: jobs.length,
          cronQueries: max(jobs.filter((job) => job.job === 'cron')),
          expandInvocations: expand.length,
          expandQueriesMax: max(expand),
          deliverInvocations: deliver.length,
          deliverQueriesAvg: avg(deliver),
          deliverQueriesMax: max(deliver),
        })
      } finally {
        await worker.stop()
      }
    } finally {
      receiver.close()
      rmSync(state, { recursive: true, force: true })
    }
  }
  return results
}

/**
 * The project's wrangler.toml with the delivery consumer's `max_concurrency` changed, written to
 * bench/results (git-ignored) with its paths adjusted.
 */
function configWithConcurrency(concurrency: number): string {
  const root = path.resolve(import.meta.dirname, '..')
  const text = readFileSync(path.join(root, 'wrangler.toml'), 'utf8')
    .replace('main = "src/index.ts"', 'main = "../../src/index.ts"')
    .replace('migrations_dir = "migrations"', 'migrations_dir = "../../migrations"')
    .replace('max_concurrency = 1', `max_concurrency = ${concurrency}`)
  const dir = path.join(import.meta.dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `wrangler-concurrency-${concurrency}.toml`)
  writeFileSync(file, text)
  return file
}

/**
 * The sender's pace: one announcement through the real pipeline with DELIVERY_RATE_PER_SECOND
 * at 50 and at 1,000, with the delivery consumer's `max_concurrency` at 1 and at 4, to a
 * receiver that answers at once. The rate is measured at the receiver, from the first arrival
 * to the last, and compared with the configured one (the baseline of the same run).
 */
async function paceSuite() {
  const results = []
  const cases = (process.env.BENCH_PACE_CASES ?? '50x1x2000,50x4x2000,1000x1x10000,1000x4x10000')
    .split(',')
    .map((entry) => entry.split('x').map(Number) as [number, number, number])
  for (const [rate, concurrency, size] of cases) {
    const state = mkdtempSync(path.join(tmpdir(), 'bench-pace-'))
    const receiver = await startCountingReceiver()
    const config = configWithConcurrency(concurrency)
    const vars = {
      DELIVERY_WEBHOOK_URL: receiver.url,
      DELIVERY_WEBHOOK_SECRET: 'whsec_YmVuY2gtZGVsaXZlcnktc2VjcmV0LTAxMjM0NTY3',
      DELIVERY_RATE_PER_SECOND: String(rate),
    }
    try {
      const setup = await startWorker({ state, vars, config })
      const community = await apiClient(setup.url)('POST', '/api/communities', {
        name: `Pace ${rate} ${concurrency}`,
        description: '',
        visibility: 'open',
      })
      const groups = await apiClient(setup.url)('GET', `/api/communities/${community.id}/groups`)
      await setup.stop()
      const db = new DatabaseSync(localD1File(state))
      loadMembers(db, community.id, groups.data[0].id, size)
      db.close()
      const worker = await startWorker({ state, vars, config })
      try {
        const announcement = await apiClient(worker.url)(
          'POST',
          `/api/communities/${community.id}/announcements`,
          { body: 'Pace benchmark', sendAt: new Date(Date.now() + 1500).toISOString() },
        )
        await new Promise((resolve) => setTimeout(resolve, 2000))
        await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
        const deadline = Date.now() + 10 * 60_000
        while (receiver.count() < size && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 250))
        const arrivals = [...receiver.arrivals].sort((a, b) => a - b)
        const seconds = (arrivals.at(-1)! - arrivals[0]!) / 1000
        const perSecond = (arrivals.length - 1) / seconds
        // The busiest second anywhere in the run, to show bursts an average would hide.
        let busiest = 0
        for (let i = 0, j = 0; i < arrivals.length; i++) {
          while (arrivals[i]! - arrivals[j]! >= 1000) j++
          busiest = Math.max(busiest, i - j + 1)
        }
        const status = await apiClient(worker.url)('GET', `/api/announcements/${announcement.id}`)
        results.push({
          rate,
          concurrency,
          recipients: size,
          delivered: receiver.count(),
          sent: status.deliveries.sent,
          seconds: Math.round(seconds * 10) / 10,
          perSecond: Math.round(perSecond),
          ofRate: Math.round((perSecond / rate) * 1000) / 10,
          busiestSecond: busiest,
        })
      } finally {
        await worker.stop()
      }
    } finally {
      receiver.close()
      rmSync(state, { recursive: true, force: true })
    }
  }
  return results
}

const which = process.argv[2] ?? 'all'
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const output: Record<string, unknown> = {
  machine,
  at: new Date().toISOString(),
  connections: CONNECTIONS,
  seconds: DURATION_SECONDS,
  rounds: ROUNDS,
}
console.log(
  `Machine: ${machine}; ${CONNECTIONS} connections, ${DURATION_SECONDS} s per route, ${ROUNDS} rounds\n`,
)

if (which === 'all' || which === 'http') {
  const http = await httpSuite()
  output.http = http
  console.log('## Hot path against a hello route\n')
  console.log(table(http.rows, http.baseline), '\n')
  for (const row of http.rows) {
    if (row.donePerSecond === undefined) continue
    const trips =
      row.laterRoundTrips === undefined
        ? ''
        : `, ${row.laterRoundTrips.toFixed(2)} D1 round trips each after the answer`
    console.log(`${row.name}: ${row.donePerSecond} a second done end to end${trips}.\n`)
  }
}
if (which === 'all' || which === 'stats') {
  const stats = await statsSuite()
  output.stats = stats
  console.log(
    `## Endpoints by data size (${stats.totalVisits.toLocaleString('en')} visits; members and pending requests as many, up to 1M per community; loaded in ${stats.loadSeconds} s)\n`,
  )
  console.log(table(stats.rows, stats.baseline), '\n')
}

if (which === 'all' || which === 'dispatch') {
  const dispatch = await dispatchSuite()
  output.dispatch = dispatch
  console.log('## Announcement dispatch\n')
  console.log(
    '| recipients | delivered | time s | deliveries/s | invocations | cron queries | expand invocations (max queries) | deliver invocations (avg / max queries) |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of dispatch) {
    console.log(
      `| ${r.recipients} | ${r.delivered} | ${r.seconds} | ${r.perSecond} | ${r.invocations} | ${r.cronQueries} | ${r.expandInvocations} (${r.expandQueriesMax}) | ${r.deliverInvocations} (${r.deliverQueriesAvg} / ${r.deliverQueriesMax}) |`,
    )
  }
  console.log()
}

if (which === 'all' || which === 'pace') {
  const pace = await paceSuite()
  output.pace = pace
  console.log('## The sender’s pace\n')
  console.log(
    '| DELIVERY_RATE_PER_SECOND | max_concurrency | recipients | delivered | time s | deliveries/s | of the rate | busiest second |',
  )
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of pace) {
    console.log(
      `| ${r.rate} | ${r.concurrency} | ${r.recipients} | ${r.delivered} | ${r.seconds} | ${r.perSecond} | ${r.ofRate}% | ${r.busiestSecond} |`,
    )
  }
  console.log()
}

if (which === 'all' || which === 'burst') {
  const burst = await burstSuite()
  output.burst = burst
  console.log('## A burst of joins through one link\n')
  console.log(
    `${burst.joins} joins from ${burst.addresses} addresses over ${burst.connections} connections in ${burst.seconds} s: ${burst.rps} req/s, p50 ${burst.p50} ms, p99 ${burst.p99} ms (the hello route in the same run: ${burst.helloRps} req/s)\n`,
  )
  console.log('| check | held | what was seen |')
  console.log('|---|---|---|')
  for (const check of burst.checks)
    console.log(`| ${check.check} | ${check.ok ? 'yes' : '**no**'} | ${check.detail} |`)
  console.log()
  if (burst.checks.some((check) => !check.ok)) process.exitCode = 1
}

mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(
  path.join(import.meta.dirname, 'results/latest.json'),
  JSON.stringify(output, null, 2),
)
