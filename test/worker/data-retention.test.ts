import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { createDb } from '../../src/db/client'
import { DEAD_LETTER_QUEUE_NAME, VISITS_QUEUE_NAME } from '../../src/jobs/queue'
import { visitorHash } from '../../src/services/visits'
import { utcDay } from '../../src/lib/time'
import { hubSignature, newWamid, textNotification } from '../support/whatsapp-notifications'
import {
  BASE,
  call,
  createCommunity,
  createInvite,
  eventually,
  joinAsMember,
  joinJson,
  landingView,
  newPhone,
  query,
  runCron,
  sendCodeFrom,
  handledMessageKey,
} from './helpers'

/**
 * Tables kept for a fixed time, each shown going when its time is up, through the code that
 * deletes it: the real cron handler, the first visit of a day, deleting the community.
 */

const HOUR = 3600_000
const DAY = 86400_000

/** The hourly part of the cron job runs at minute 0: the last such run at or before `at`. */
async function runHourlyCron(at: number) {
  await runCron(Math.floor(at / HOUR) * HOUR)
}

async function deliver(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({
      id: `msg-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

describe('unique visitors of a day (`daily_visitors`, `visitor_salts`)', () => {
  it('are forgotten with the day’s salt when the next day’s first visit comes', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const db = createDb(env.DB)
    // Days of their own, far ahead: no other test's visit makes their salts.
    const first = new Date(Date.now() + 900 * DAY)
    const next = new Date(first.getTime() + DAY)
    const person = ['203.0.113.9', 'Mozilla/5.0 (Linux; Android 14) Mobile'] as const
    const hash = await visitorHash(db, first, ...person)
    expect(await visitorHash(db, first, ...person)).toBe(hash)
    const visit = landingView(invite, { at: first.getTime(), via: 'qr', visitorHash: hash })
    expect((await deliver(VISITS_QUEUE_NAME, [visit])).ackAll).toBe(true)
    expect(await query('select day from daily_visitors where visitor_hash = ?', hash)).toEqual([
      { day: utcDay(first) },
    ])

    const nextHash = await visitorHash(db, next, ...person)
    // The same person is someone new the next day: nothing links the two hashes any more.
    expect(nextHash).not.toBe(hash)
    expect(await query('select day from visitor_salts')).toEqual([{ day: utcDay(next) }])
    expect(await query('select * from daily_visitors where day < ?', utcDay(next))).toEqual([])
    // The day's count stays in its rollup.
    const [rollup] = await query<{ unique_visitors: number }>(
      'select sum(unique_visitors) as unique_visitors from invite_daily_stats where invite_id = ? and day = ?',
      invite.id,
      utcDay(first),
    )
    expect(rollup!.unique_visitors).toBe(1)
  })
})

describe('ids of written visits-queue messages (`visit_messages`)', () => {
  it('are kept 4 days, as long as a queue keeps a message, then the cron job forgets them', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const visit = landingView(invite, { visitorHash: '4'.repeat(32) })
    const written = Date.now()
    expect((await deliver(VISITS_QUEUE_NAME, [visit])).ackAll).toBe(true)
    const kept = () =>
      query<{ id: string }>('select id from visit_messages where received_at >= ?', written)
    expect(await kept()).toHaveLength(1)
    await runCron(written + 3 * DAY)
    expect(await kept()).toHaveLength(1)
    await runCron(written + 5 * DAY)
    expect(await kept()).toEqual([])
  })
})

describe('WhatsApp notification ids (`inbound_notifications`)', () => {
  it('are kept 7 days, then the hourly cron job forgets them', async () => {
    const wamid = newWamid()
    const body = JSON.stringify(textNotification(newPhone(), 'Hello?', wamid))
    const response = await exports.default.fetch(
      new Request(`${BASE}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': await hubSignature(body),
        },
        body,
      }),
    )
    expect(response.status).toBe(200)
    const key = await handledMessageKey(wamid)
    const kept = () => query('select key from inbound_notifications where key = ?', key)
    await eventually(async () => expect(await kept()).toHaveLength(1))
    const received = Date.now()
    await runHourlyCron(received + 6 * DAY)
    expect(await kept()).toHaveLength(1)
    await runHourlyCron(received + 8 * DAY)
    expect(await kept()).toEqual([])
  })
})

describe('dead letters (`dead_letters`)', () => {
  it('are kept DEAD_LETTER_RETENTION_DAYS (30), then the cron job deletes them', async () => {
    const marker = `dsp_dead${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`
    const failed = { kind: 'announce', dispatchId: marker, memberId: 'mem_gone' }
    const result = await deliver(DEAD_LETTER_QUEUE_NAME, [
      { body: failed, error: 'malformed message' },
    ])
    expect(result.ackAll).toBe(true)
    const kept = () =>
      query<{ error: string }>(
        `select error from dead_letters where body ->> '$.dispatchId' = ?`,
        marker,
      )
    expect(await kept()).toEqual([{ error: 'malformed message' }])
    const at = Date.now()
    await runCron(at + 29 * DAY)
    expect(await kept()).toHaveLength(1)
    await runCron(at + 31 * DAY)
    expect(await kept()).toEqual([])
  })

  it('are deleted at most 1,000 a minute: 1,001 old ones take two runs', async () => {
    const now = Date.now() + 60 * DAY
    // Older than any other in this file, so these are the first in line.
    await env.DB.prepare(
      `insert into dead_letters (queue, body, error, created_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
       select 'community-growth-deliveries', json_object('kind', 'bulk', 'i', i), 'retries exhausted',
         ?1 + i from n`,
    )
      .bind(now - 400 * DAY)
      .run()
    const left = async () => {
      const [row] = await query<{ n: number }>(
        `select count(*) as n from dead_letters where body ->> '$.kind' = 'bulk'`,
      )
      return row!.n
    }
    await runCron(now)
    expect(await left()).toBe(1)
    await runCron(now + 60_000)
    expect(await left()).toBe(0)
  })
})

describe('per-recipient deliveries of announcements (`deliveries`)', () => {
  it('name an erased member by id only, and go when the community is deleted', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const unique = crypto.randomUUID().slice(0, 8)
    const names = [`Delia ${unique}`, `Dorian ${unique}`]
    const joined = []
    for (const name of names) {
      joined.push(await joinAsMember(invite.code, { name, phone: newPhone() }))
    }
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Track session moved', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    expect(created.status, created.text).toBe(201)
    await runCron(Date.now() + 2000)
    const [run] = await eventually(async () => {
      const runs = await query<{ id: string }>(
        'select id from dispatches where announcement_id = ?',
        created.json.id,
      )
      expect(runs).toHaveLength(1)
      return runs
    })
    const deliveries = () =>
      query<{ member_id: string; status: string }>(
        'select * from deliveries where dispatch_id = ? order by member_id',
        run!.id,
      )
    // Settled (this project has no delivery endpoint: each fails at once, with its reason).
    await eventually(async () => {
      const rows = await deliveries()
      expect(rows).toHaveLength(2)
      for (const row of rows) expect(['queued', 'sending']).not.toContain(row.status)
    })

    const erased = joined[0]!.json.memberId as string
    expect((await call('POST', `/api/members/${erased}/erase`)).status).toBe(204)
    const rows = await deliveries()
    expect(rows.map((row) => row.member_id).sort()).toEqual(
      joined.map((j) => j.json.memberId as string).sort(),
    )
    expect(JSON.stringify(rows)).not.toContain(names[0])

    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expect(await deliveries()).toEqual([])
    expect(await query('select id from dispatches where id = ?', run!.id)).toEqual([])
  })
})

describe('WhatsApp notices of admins’ decisions (`decision_notices`)', () => {
  it('go with their sign-up: when its member is erased, and with the community', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const requests: string[] = []
    for (const name of ['Theda', 'Ulf']) {
      const joined = await joinJson(invite.code, { name, phone: newPhone() })
      expect(joined.status, joined.text).toBe(201)
      await sendCodeFrom(joined)
      await eventually(async () => {
        const [row] = await query<{ at: number | null }>(
          'select phone_confirmed_at as at from join_requests where id = ?',
          joined.json.joinRequestId,
        )
        expect(row!.at).not.toBeNull()
      })
      requests.push(joined.json.joinRequestId)
    }
    const [approved, rejected] = requests as [string, string]
    expect((await call('POST', `/api/join-requests/${approved}/approve`)).status).toBe(200)
    const declined = await call('POST', `/api/join-requests/${rejected}/reject`, { body: {} })
    expect(declined.status, declined.text).toBe(200)
    const notices = async () =>
      (
        await query<{ id: string }>(
          `select join_request_id as id from decision_notices where join_request_id in (?, ?)
           order by join_request_id`,
          approved,
          rejected,
        )
      ).map((row) => row.id)
    expect(await notices()).toEqual([...requests].sort())

    const [member] = await query<{ id: string }>(
      'select member_id as id from join_requests where id = ?',
      approved,
    )
    expect((await call('POST', `/api/members/${member!.id}/erase`)).status).toBe(204)
    expect(await notices()).toEqual([rejected])
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expect(await notices()).toEqual([])
  })
})
