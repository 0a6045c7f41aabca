import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { deliverEvent, eventMaxAttempts } from '../../src/services/delivery/events'
import { backoffSeconds } from '../../src/services/delivery/messages'
import { fanOutEvents } from '../../src/services/webhooks'
import { call, createCommunity, eventually, query, runCron } from '../worker/helpers'

const fake = inject('fakeServicesUrl')
const MINUTE = 60_000

/** `count` events of one community waiting in the outbox, written in one statement. */
async function seedEvents(communityId: string, count: number) {
  const at = Date.now()
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at)
     with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
     select 'evt_' || ?3 || printf('%06d', i), 'member.joined', ?1,
            json_object('memberId', 'mem_seed' || i), ?4
     from n`,
  )
    .bind(communityId, count, `${at}${crypto.randomUUID().slice(0, 6)}`, at)
    .run()
}

/** How many times the receiver got each of a community's events, by webhook-id. */
async function receivedFor(communityId: string): Promise<Map<string, number>> {
  const all = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as Array<{
    headers: Record<string, string>
    body: string
  }>
  const counts = new Map<string, number>()
  for (const request of all) {
    if (JSON.parse(request.body).data?.communityId !== communityId) continue
    const id = request.headers['webhook-id']!
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** The delivery queue of a Worker that lost its messages: every one is dropped. */
const droppingQueue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue

/** A community with a subscribed endpoint and `count` events moved out of the outbox whose
 * queue messages were all lost: their delivery rows wait `queued`, and nothing is in the queue. */
async function lostEvents(count: number) {
  const community = await createCommunity()
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}/webhook`, events: ['member.joined'], communityId: community.id },
  })
  expect(subscribed.status, subscribed.text).toBe(201)
  await seedEvents(community.id, count)
  const db = createDb(env.DB, { checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  const at = new Date()
  expect(await fanOutEvents(db, droppingQueue, at)).toBe(count)
  return { community, endpointId: subscribed.json.id as string, at: at.getTime() }
}

async function rowsOf(endpointId: string) {
  return query<{ event_id: string; status: string; attempts: number; last_error: string | null }>(
    'select event_id, status, attempts, last_error from webhook_deliveries where endpoint_id = ?',
    endpointId,
  )
}

describe('the reconciler and webhook deliveries whose queue message was lost', () => {
  it('delivers every lost event exactly once, even with a leftover copy in the queue', async () => {
    const { community, endpointId, at } = await lostEvents(150)
    // A cron run before the stall time leaves them: their messages may still be on the way.
    await runCron(new Date(at + MINUTE))
    expect((await receivedFor(community.id)).size).toBe(0)
    // One message did survive: it arrives together with the reconciler's copy.
    const [first] = await rowsOf(endpointId)
    await env.DELIVERY_QUEUE.send({ kind: 'event', eventId: first!.event_id, endpointId })

    // 90 rows per cron run: two runs, the stall time apart, bring all 150 back.
    for (let pass = 1; pass <= 3; pass++) await runCron(new Date(at + pass * 4 * MINUTE))
    await eventually(async () => {
      expect((await receivedFor(community.id)).size).toBe(150)
    })
    const received = await receivedFor(community.id)
    expect([...received.values()].every((times) => times === 1)).toBe(true)
    await eventually(async () => {
      const rows = await rowsOf(endpointId)
      expect(rows.filter((row) => row.status === 'sent').length).toBe(150)
    })

    // Nothing is left over: later runs send nothing again.
    await runCron(new Date(at + 20 * MINUTE))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect([...(await receivedFor(community.id)).values()].every((times) => times === 1)).toBe(true)
    // 150 signed deliveries and four cron runs: 10 s alone, more than 30 s beside a busy suite on
    // two cores. Cut short, its last cron run would go on to deliver the next test's event.
  }, 120_000)

  it('waits for a retry that is not due yet, and moves it on once it is overdue', async () => {
    const { community, endpointId, at } = await lostEvents(1)
    const attempts = eventMaxAttempts(loadConfig(env)) - 1
    // An attempt timed out long ago; its retry, due 2 minutes ago, has not come: its message may
    // still be on the way (a queue runs late), so the reconciler leaves it for the stall time.
    const lateRetry = (dueAgo: number) =>
      env.DB.prepare(
        `update webhook_deliveries set attempts = ?, last_error = 'timed out: outcome unknown',
         updated_at = ?, next_attempt_at = ? where endpoint_id = ?`,
      )
        .bind(attempts, at - 30 * MINUTE, at - dueAgo, endpointId)
        .run()
    await lateRetry(2 * MINUTE)
    await runCron(new Date(at))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await receivedFor(community.id)).size).toBe(0)
    expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'queued', attempts })

    // Due more than the stall time ago: its message was lost, and it goes now.
    await lateRetry(4 * MINUTE)
    await runCron(new Date(at))
    await eventually(async () => {
      expect([...(await receivedFor(community.id)).values()]).toEqual([1])
      expect((await rowsOf(endpointId))[0]).toMatchObject({
        status: 'sent',
        attempts: attempts + 1,
      })
    })
  })

  it('knows when each retry is due, whatever the receiver answered before', async () => {
    // A 503's short backoff (no Retry-After) is not taken for an hour's wait: the retry that
    // was due 4 minutes ago goes with the next cron run.
    const short = await lostEvents(1)
    await env.DB.prepare(
      `update webhook_deliveries set attempts = 1, response_status = 503,
       last_error = 'HTTP 503 from the endpoint', updated_at = ?, next_attempt_at = ?
       where endpoint_id = ?`,
    )
      .bind(short.at - 5 * MINUTE, short.at - 4 * MINUTE, short.endpointId)
      .run()
    await runCron(new Date(short.at))
    await eventually(async () => {
      expect([...(await receivedFor(short.community.id)).values()]).toEqual([1])
    })
  })

  it('a copy of a retry that comes before its backoff ends waits for it, and sends once', async () => {
    const { community, endpointId } = await lostEvents(1)
    const config = loadConfig(env)
    const db = createDb(env.DB)
    const message = { eventId: (await rowsOf(endpointId))[0]!.event_id, endpointId }
    // The receiver answered 503 with Retry-After: 30 a moment ago; a second copy of the message
    // (the reconciler's, or the queue's redelivery) comes now.
    const now = Date.now()
    await env.DB.prepare(
      `update webhook_deliveries set attempts = 1, response_status = 503, updated_at = ?,
       next_attempt_at = ? where endpoint_id = ?`,
    )
      .bind(now, now + 30_000, endpointId)
      .run()
    const early = await deliverEvent(db, config, message, new Date(now + 1000))
    expect(early).toEqual({ action: 'retry', delaySeconds: 29 })
    expect((await receivedFor(community.id)).size).toBe(0)
    expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'queued', attempts: 1 })

    // Its time come, one copy sends it; the other finds it sent.
    expect(await deliverEvent(db, config, message, new Date(now + 30_000))).toEqual({
      action: 'ack',
    })
    expect(await deliverEvent(db, config, message, new Date(now + 30_500))).toEqual({
      action: 'ack',
    })
    expect([...(await receivedFor(community.id)).values()]).toEqual([1])
    expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'sent', attempts: 2 })
  })

  it('sends a delivery left `sending` again with the same webhook-id', async () => {
    const { community, endpointId, at } = await lostEvents(1)
    await runCron(new Date(at + 4 * MINUTE))
    await eventually(async () => {
      expect((await rowsOf(endpointId))[0]!.status).toBe('sent')
    })
    const [webhookId] = [...(await receivedFor(community.id)).keys()]
    // The consumer died after sending, before it settled the row.
    await env.DB.prepare(
      `update webhook_deliveries set status = 'sending', updated_at = ? where endpoint_id = ?`,
    )
      .bind(at + 4 * MINUTE, endpointId)
      .run()

    await runCron(new Date(at + 6 * MINUTE))
    await eventually(async () => {
      expect(await receivedFor(community.id)).toEqual(new Map([[webhookId, 2]]))
      expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'sent', attempts: 2 })
    })
  })

  it('settles a send interrupted on its last attempt as outcome unknown, not sent again', async () => {
    const { community, endpointId, at } = await lostEvents(1)
    const max = eventMaxAttempts(loadConfig(env))
    await env.DB.prepare(
      `update webhook_deliveries set status = 'sending', attempts = ?, updated_at = ?
       where endpoint_id = ?`,
    )
      .bind(max, at, endpointId)
      .run()

    await runCron(new Date(at + 2 * MINUTE))
    const log = await call('GET', `/api/webhooks/${endpointId}/deliveries`)
    expect(log.json.data).toEqual([
      expect.objectContaining({
        status: 'unknown',
        attempts: max,
        lastError: 'outcome unknown: the last attempt was interrupted after it may have been sent',
      }),
    ])
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await receivedFor(community.id)).size).toBe(0)
  })
})

describe('an event endpoint that keeps failing', () => {
  it('is retried for more than a day by default, each wait longer, then given up', async () => {
    // The shipped schedule, as a Worker without EVENT_RETRY_SCHEDULE set has it.
    const config = loadConfig({ ...env, EVENT_RETRY_SCHEDULE: undefined } as unknown as Env)
    expect(eventMaxAttempts(config)).toBe(8)
    const hours = config.EVENT_RETRY_SCHEDULE.reduce((sum, wait) => sum + wait, 0) / 3600
    expect(hours).toBeGreaterThan(24)
    expect(hours).toBeLessThan(30)

    const community = await createCommunity()
    const subscribed = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/leaky`, events: ['member.joined'], communityId: community.id },
    })
    expect(subscribed.status, subscribed.text).toBe(201)
    const endpointId = subscribed.json.id as string
    await seedEvents(community.id, 1)
    const db = createDb(env.DB)
    const now = Date.now()
    expect(await fanOutEvents(db, droppingQueue, new Date(now))).toBe(1)
    const message = { eventId: (await rowsOf(endpointId))[0]!.event_id, endpointId }
    // The endpoint answers 500 each time: the next try after about 5 s, then about 5 minutes.
    const first = await deliverEvent(db, config, message, new Date(now))
    expect(first).toMatchObject({ action: 'retry' })
    const firstWait = (first as { delaySeconds: number }).delaySeconds
    expect(firstWait).toBeGreaterThanOrEqual(4)
    expect(firstWait).toBeLessThanOrEqual(6)
    const second = await deliverEvent(db, config, message, new Date(now + firstWait * 1000))
    const secondWait = (second as { delaySeconds: number }).delaySeconds
    expect(secondWait).toBeGreaterThanOrEqual(240)
    expect(secondWait).toBeLessThanOrEqual(360)
    // Its last attempt, more than a day on, fails too: given up, and dead-lettered.
    await env.DB.prepare(
      `update webhook_deliveries set attempts = 7, next_attempt_at = ? where endpoint_id = ?`,
    )
      .bind(now, endpointId)
      .run()
    const last = await deliverEvent(db, config, message, new Date(now + 1000))
    expect(last).toMatchObject({ action: 'dead-letter' })
    expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'failed', attempts: 8 })
  })
})

/**
 * One event to a subscribed endpoint on the stand-in receiver, for a recipient of this name
 * (which steers how it answers), sent once by hand: its answer, and its delivery row after.
 */
async function firstTryFor(name: string, config = loadConfig(env)) {
  const community = await createCommunity()
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}/webhook`, events: ['member.joined'], communityId: community.id },
  })
  expect(subscribed.status, subscribed.text).toBe(201)
  const at = Date.now()
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at)
     values (?, 'member.joined', ?, json_object('recipient', json_object('name', ?)), ?)`,
  )
    .bind(`evt_tried${crypto.randomUUID().slice(0, 8)}`, community.id, name, at)
    .run()
  const db = createDb(env.DB)
  expect(await fanOutEvents(db, droppingQueue, new Date(at))).toBe(1)
  const endpointId = subscribed.json.id as string
  const [row] = await rowsOf(endpointId)
  const answer = await deliverEvent(
    db,
    config,
    { eventId: row!.event_id, endpointId },
    new Date(at),
  )
  return { answer, row: (await rowsOf(endpointId))[0] }
}

describe('a receiver that throttles', () => {
  it('is given the schedule’s wait at least, however short its Retry-After', async () => {
    // The stand-in answers 429 with "Retry-After: 1" to the first try of an event for this
    // name; five minutes is the first wait, as a deployment's schedule has it (the tests' own is
    // one second).
    const { answer, row } = await firstTryFor('slow-down', {
      ...loadConfig(env),
      EVENT_RETRY_SCHEDULE: [300, 1800],
    })
    // Not one second: a receiver saying "1" on every try would use up the day's attempts at once.
    expect(answer).toMatchObject({ action: 'retry' })
    const { delaySeconds } = answer as { delaySeconds: number }
    expect(delaySeconds).toBeGreaterThanOrEqual(240)
    expect(delaySeconds).toBeLessThanOrEqual(360)
    expect(row).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: 'HTTP 429 from the endpoint',
    })
  })

  it('takes a Retry-After written as a date, as HTTP allows', async () => {
    const { answer } = await firstTryFor('come-back-later')
    // Ten minutes, as the date says (the tests' own schedule would retry after a second).
    const { delaySeconds } = answer as { delaySeconds: number }
    expect(delaySeconds).toBeGreaterThanOrEqual(590)
    expect(delaySeconds).toBeLessThanOrEqual(601)
  })

  it('the same for an announcement’s messages: Retry-After lengthens the backoff, never shortens it', () => {
    for (let i = 0; i < 20; i++) {
      // About 10 s, then 20 s, 40 s (half to one and a half of it, for jitter).
      expect(backoffSeconds(10, 1, 1)).toBeGreaterThanOrEqual(5)
      expect(backoffSeconds(10, 3, 1)).toBeGreaterThanOrEqual(20)
      expect(backoffSeconds(10, 1, 120)).toBe(120)
      expect(backoffSeconds(10, 1, 100_000)).toBe(3600)
    }
  })
})
