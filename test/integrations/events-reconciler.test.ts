import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
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
    const config = loadConfig(env)
    const attempts = config.DELIVERY_MAX_ATTEMPTS - 1
    // An attempt timed out; the retry's message was lost (past the queue's retries). Its
    // backoff with jitter is at most 1.5 times base * 2^(attempts - 1) seconds.
    await env.DB.prepare(
      `update webhook_deliveries set attempts = ?, last_error = 'timed out: outcome unknown'
       where endpoint_id = ?`,
    )
      .bind(attempts, endpointId)
      .run()
    const longestWait = 1500 * config.DELIVERY_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    const overdueAt = at + 3 * MINUTE + longestWait
    await runCron(new Date(overdueAt - 1000))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await receivedFor(community.id)).size).toBe(0)
    expect((await rowsOf(endpointId))[0]).toMatchObject({ status: 'queued', attempts })

    await runCron(new Date(overdueAt + 1000))
    await eventually(async () => {
      expect([...(await receivedFor(community.id)).values()]).toEqual([1])
      expect((await rowsOf(endpointId))[0]).toMatchObject({
        status: 'sent',
        attempts: attempts + 1,
      })
    })
  })

  it('waits up to an hour when the receiver may have asked for it (Retry-After)', async () => {
    const { community, endpointId, at } = await lostEvents(1)
    await env.DB.prepare(
      `update webhook_deliveries set attempts = 1, response_status = 503,
       last_error = 'HTTP 503 from the endpoint' where endpoint_id = ?`,
    )
      .bind(endpointId)
      .run()
    await runCron(new Date(at + 60 * MINUTE))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await receivedFor(community.id)).size).toBe(0)
    await runCron(new Date(at + 64 * MINUTE))
    await eventually(async () => {
      expect([...(await receivedFor(community.id)).values()]).toEqual([1])
    })
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
    const max = loadConfig(env).DELIVERY_MAX_ATTEMPTS
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
