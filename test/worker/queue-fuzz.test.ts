import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import {
  DEAD_LETTER_QUEUE_NAME,
  DELIVERY_QUEUE_NAME,
  VISITS_QUEUE_NAME,
} from '../../src/jobs/queue'
import { call, createCommunity, createInvite, eventually, landingView, query } from './helpers'

/**
 * Queue messages drawn at random (any JSON, old versions' shapes, shapes off by one field) in
 * batches with a good message among them: the consumer never throws, never retries what cannot
 * parse, and still applies the good message.
 */

const SEED = 20_261_206
const RUNS = 15

/**
 * Anything a queue message body can be: the producers send JSON (the queues' default content
 * type), so any JSON value, long strings among them.
 */
const anyBody = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 8 },
  { arbitrary: fc.constantFrom(null, '', 0, [], {}), weight: 2 },
  { arbitrary: fc.string({ minLength: 5_000, maxLength: 20_000 }), weight: 1 },
)

function batchOf(queue: string, bodies: unknown[]) {
  return createMessageBatch(
    queue,
    bodies.map((body, i) => ({
      id: `fuzz-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  )
}

async function consume(queue: string, bodies: unknown[]) {
  const batch = batchOf(queue, bodies)
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

/** A shape the consumer knows with one field replaced by something drawn. */
function mutated(shape: Record<string, unknown>) {
  const keys = Object.keys(shape)
  return fc.tuple(fc.constantFrom(...keys), anyBody, fc.boolean()).map(([key, value, drop]) => {
    const copy: Record<string, unknown> = { ...shape }
    if (drop) delete copy[key]
    else copy[key] = value
    return copy
  })
}

describe('queue messages drawn at random', () => {
  it('the visits consumer drops what does not parse and writes the good view beside it', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const view = landingView(invite)
    const bad = fc.oneof(
      anyBody,
      mutated(view),
      mutated(view).map((v) => ({ visits: [v] })),
    )
    let expected = 0
    await fc.assert(
      fc.asyncProperty(fc.array(bad, { minLength: 1, maxLength: 9 }), async (bodies) => {
        const result = await consume(VISITS_QUEUE_NAME, [...bodies, view])
        expect(result.retryMessages).toEqual([])
        expect(result.retryBatch.retry).toBe(false)
        expected += 1
      }),
      { seed: SEED, numRuns: RUNS },
    )
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals.visits).toBeGreaterThanOrEqual(expected)
  })

  it('the deliveries consumer dead-letters what does not parse, and acknowledges it', async () => {
    const shapes = [
      { kind: 'expand', dispatchId: 'dsp_none' },
      { kind: 'announce', dispatchId: 'dsp_none', memberId: 'mem_none' },
      { kind: 'telegram-post', dispatchId: 'dsp_none', chatId: -100 },
      { kind: 'event', eventId: 'evt_none', endpointId: 'whe_none' },
    ]
    const bad = fc.oneof(anyBody, ...shapes.map(mutated))
    await fc.assert(
      fc.asyncProperty(fc.array(bad, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const result = await consume(DELIVERY_QUEUE_NAME, bodies)
        expect(result.retryBatch.retry).toBe(false)
        // A message that does not parse is dead-lettered and acknowledged, never retried.
        expect(result.retryMessages).toEqual([])
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('the deliveries consumer dead-letters a malformed message as large as a message can be', async () => {
    // As large as a message may be: sent on with its reason, it was larger than that.
    const huge = 'x'.repeat(127_990)
    const batch = batchOf(DELIVERY_QUEUE_NAME, [huge, { kind: 'expand', dispatchId: 'dsp_none' }])
    const ctx = createExecutionContext()
    await worker.queue(batch, env, ctx)
    // Both acknowledged: the good message after it is not held back by it.
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2)
    const [kept] = await eventually(async () => {
      const rows = await query<{ body: string; error: string }>(
        `select body, error from dead_letters where error like 'malformed message (its body cut%'`,
      )
      expect(rows).toHaveLength(1)
      return rows
    })
    expect(JSON.parse(kept!.body)).toBe(JSON.stringify(huge).slice(0, 30_000))
  })

  it('the dead-letter consumer keeps every dead letter, whatever its body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyBody, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const marker = crypto.randomUUID()
        const result = await consume(DEAD_LETTER_QUEUE_NAME, [
          ...bodies,
          // What the deliveries consumer sends for a message that is `null`, or has no body.
          { body: null, error: `malformed ${marker}` },
          { error: `malformed ${marker}` },
          { body: { marker }, error: 'drawn' },
        ])
        expect(result.ackAll).toBe(true)
        const nulls = await query<{ body: string }>(
          'select body from dead_letters where error = ?',
          `malformed ${marker}`,
        )
        expect(nulls).toEqual([{ body: 'null' }, { body: 'null' }])
        const kept = await query(
          `select 1 from dead_letters where json_extract(body, '$.marker') = ?`,
          marker,
        )
        expect(kept).toHaveLength(1)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
