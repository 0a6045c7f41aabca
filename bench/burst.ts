// `npm run bench -- burst`: a crowd joining through one link at once. 10,000 joins within a
// minute from several hundred addresses, a new person each request and some people joining
// again, into an open community whose announcement group holds 2,000: then checked from the
// API and the database that the limit held exactly and every answer was the right one.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { apiClient, localD1File, startWorker } from '../test/support/worker-server.ts'

const JOINS = Number(process.env.BURST_JOINS ?? 10_000)
const CONNECTIONS = Number(process.env.BURST_CONNECTIONS ?? 16)
/** Distinct client addresses (CF-Connecting-IP): a crowd on venue Wi-Fi and mobile networks. */
const ADDRESSES = Number(process.env.BURST_ADDRESSES ?? 400)
/** About one request in this many is a person who already had an answer joining again. */
const REPEAT_EVERY = 20
const GROUP_LIMIT = 2000
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148'

interface Answer {
  person: number
  repeat: boolean
  status: number
  code?: string
  joinStatus?: string
  joinRequestId?: string
  memberId?: string | null
  ms: number
}

export interface BurstResult {
  joins: number
  connections: number
  addresses: number
  seconds: number
  rps: number
  p50: number
  p99: number
  /** The hello route (`/healthz`) in the same run, same connections: how busy the machine was. */
  helloRps: number
  checks: Array<{ check: string; ok: boolean; detail: string }>
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/**
 * The burst. No limit is changed for it: per address it stays far below the join limits a
 * deployment runs with (`JOIN_LIMIT_PER_ADDRESS` 300 in ten minutes in D1, the
 * `JOIN_ADDRESS_LIMITER` binding's 600 a minute), as a real crowd spread over a few hundred
 * addresses does; a person joining again makes at most a second attempt with their number.
 */
export async function burstSuite(): Promise<BurstResult> {
  const state = mkdtempSync(path.join(tmpdir(), 'bench-burst-'))
  const worker = await startWorker({ state })
  const answers: Answer[] = []
  const addresses = new Set<string>()
  let seconds = 0
  let helloRps = 0
  let communityId = ''
  let groupCount = -1
  try {
    const api = apiClient(worker.url)
    const community = await api('POST', '/api/communities', {
      name: 'Burst: a stage screen with a QR code',
      description: 'Everyone in the hall joins at once',
      visibility: 'open',
      consent: 'single',
    })
    communityId = community.id
    const groups = await api('GET', `/api/communities/${community.id}/groups`)
    const announcement = groups.data.find(
      (group: { kind: string }) => group.kind === 'announcement',
    )
    if (announcement.memberLimit !== GROUP_LIMIT)
      throw new Error(
        `the announcement group holds ${announcement.memberLimit}, not ${GROUP_LIMIT}`,
      )
    const link = await api('POST', `/api/communities/${community.id}/invites`, { source: 'stage' })

    // People answered so far, whom a repeat may pick: joining again only after their first
    // answer, so that what the repeat must be told is known.
    const answered: Answer[] = []
    let sent = 0
    let person = 0
    const send = async (): Promise<void> => {
      const again = sent % REPEAT_EVERY === REPEAT_EVERY - 1 && answered.length > 0
      sent += 1
      const who = again ? answered[Math.floor(Math.random() * answered.length)]!.person : ++person
      const address = `100.64.${Math.floor((who % ADDRESSES) / 250)}.${(who % ADDRESSES) % 250}`
      addresses.add(address)
      const started = performance.now()
      const response = await fetch(`${worker.url}/i/${link.code}/join`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': PHONE_UA,
          'cf-connecting-ip': address,
        },
        body: JSON.stringify({
          name: `Guest ${who}`,
          phone: `+49152${String(20_000_000 + who)}`,
          consent: true,
        }),
      })
      const body = (await response.json().catch(() => ({}))) as {
        code?: string
        status?: string
        joinRequestId?: string
        memberId?: string | null
      }
      const answer: Answer = {
        person: who,
        repeat: again,
        status: response.status,
        code: body.code,
        joinStatus: body.status,
        joinRequestId: body.joinRequestId,
        memberId: body.memberId,
        ms: performance.now() - started,
      }
      answers.push(answer)
      if (!again) answered.push(answer)
    }
    helloRps = await helloRate(worker.url)
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (sent < JOINS) await send()
      }),
    )
    seconds = (performance.now() - started) / 1000
    const after = await api('GET', `/api/communities/${community.id}/groups`)
    groupCount = after.data.find(
      (group: { kind: string }) => group.kind === 'announcement',
    ).memberCount
  } finally {
    await worker.stop()
  }

  const db = new DatabaseSync(localD1File(state))
  const rows = db
    .prepare(
      `select m.id, m.phone, (select count(*) from group_members g where g.member_id = m.id) as groups
       from members m where m.community_id = ?`,
    )
    .all(communityId) as Array<{ id: string; phone: string; groups: number }>
  // Which sign-up made which membership: the answer of a single opt-in keeps the member's id
  // until a proof of the number, the sign-up knows it.
  const madeBy = new Map(
    (
      db
        .prepare('select id, member_id from join_requests where community_id = ?')
        .all(communityId) as Array<{ id: string; member_id: string | null }>
    ).map((row) => [row.id, row.member_id]),
  )
  db.close()
  rmSync(state, { recursive: true, force: true })

  const firsts = answers.filter((answer) => !answer.repeat)
  const repeats = answers.filter((answer) => answer.repeat)
  const admitted = firsts.filter((answer) => answer.status === 201)
  const full = firsts.filter((answer) => answer.status === 409 && answer.code === 'group_full')
  const firstOf = new Map(firsts.map((answer) => [answer.person, answer]))
  // A repeat is answered as anyone would be at that moment: in (with no member's id or links),
  // or, once the group is full, told so, whether or not the number is a member.
  const repeatWrong = repeats.filter((answer) => {
    const first = firstOf.get(answer.person)!
    const full = answer.status === 409 && answer.code === 'group_full'
    return first.status === 201
      ? !(
          full ||
          (answer.status === 201 &&
            answer.joinStatus === 'active' &&
            answer.memberId === null &&
            !madeBy.get(answer.joinRequestId ?? ''))
        )
      : !full
  })
  const admittedIds = new Set(admitted.map((answer) => madeBy.get(answer.joinRequestId ?? '')))
  const storedIds = new Set(rows.map((row) => row.id))
  const checks = [
    {
      check: 'no 5xx',
      ok: answers.every((answer) => answer.status < 500),
      detail: `${answers.filter((answer) => answer.status >= 500).length} answers of 5xx`,
    },
    {
      check: 'every new person: a member, or told the group is full (409 group_full)',
      ok: admitted.length + full.length === firsts.length,
      detail: `${admitted.length} members, ${full.length} told full, ${firsts.length - admitted.length - full.length} other answers`,
    },
    {
      check: `exactly ${GROUP_LIMIT} members`,
      ok:
        admitted.length === GROUP_LIMIT &&
        rows.length === GROUP_LIMIT &&
        groupCount === GROUP_LIMIT,
      detail: `${admitted.length} answered as members, ${rows.length} member rows, the group counts ${groupCount}`,
    },
    {
      check: 'no member lost, none extra, none twice',
      ok:
        admittedIds.size === admitted.length &&
        [...admittedIds].every((id) => storedIds.has(id!)) &&
        new Set(rows.map((row) => row.phone)).size === rows.length &&
        rows.every((row) => row.groups === 1),
      detail: `${admittedIds.size} distinct member ids answered, ${new Set(rows.map((row) => row.phone)).size} distinct numbers stored, each in ${[...new Set(rows.map((row) => row.groups))].join('/')} group`,
    },
    {
      check: 'people joining again: answered as anyone (in, with nothing of the member; or full)',
      ok: repeatWrong.length === 0,
      detail: `${repeats.length} repeats, ${repeatWrong.length} answered otherwise`,
    },
  ]
  const latencies = answers.map((answer) => answer.ms).sort((a, b) => a - b)
  return {
    joins: answers.length,
    connections: CONNECTIONS,
    addresses: addresses.size,
    seconds: Math.round(seconds * 10) / 10,
    rps: Math.round(answers.length / seconds),
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    helloRps,
    checks,
  }
}

/** Requests a second the hello route answers for five seconds, sent the way the burst sends. */
async function helloRate(base: string): Promise<number> {
  let answered = 0
  const until = performance.now() + 5000
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        await (await fetch(`${base}/healthz`)).text()
        answered += 1
      }
    }),
  )
  return Math.round(answered / 5)
}
