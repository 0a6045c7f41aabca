import { sql } from 'drizzle-orm'
import { createDb } from '../db/client'
import { loadConfig, telegramConfig } from '../lib/config'
import { deliverAnnouncements } from '../services/delivery/send'
import { deliverEvent } from '../services/delivery/events'
import { DeliveryMessageSchema, type Pace, type Verdict } from '../services/delivery/messages'
import { expandDispatch } from '../services/delivery/claim'
import {
  postToTelegram,
  telegramSenderKey,
  TELEGRAM_SENDS_PER_SECOND,
} from '../services/delivery/telegram-posts'
import {
  recordVisits,
  type VisitMessage,
  visitsOfMessage,
  writtenVisitMessages,
} from '../services/visits'
import { keepDeadLetters } from '../services/dead-letters'
import { applyInbound, INBOUND_QUEUE_NAME } from './inbound'
import { applyTelegramUpdates, TELEGRAM_QUEUE_NAME } from './telegram'
import { createSharedPacer, senderKey } from '../services/send-rate'
import { logError, logInfo } from '../lib/log'

export const VISITS_QUEUE_NAME = 'community-growth-visits'
export const DELIVERY_QUEUE_NAME = 'community-growth-deliveries'
export const EVENTS_QUEUE_NAME = 'community-growth-events'
export const DEAD_LETTER_QUEUE_NAME = 'community-growth-deliveries-dlq'

// A batch that failed as a whole is tried again after this; deliveries it left `sending` are the
// reconciler's (see `reconcileRuns`).
const RETRY_AFTER_ERROR_SECONDS = 90

/**
 * Paces sends to `ratePerSecond` within one caller: each call reserves the next free slot and
 * waits for it, so concurrent sends never burst. The consumer uses the shared limiter instead
 * (`createSharedPacer`), which holds across consumers.
 */
export function createPacer(ratePerSecond: number): Pace {
  const interval = 1000 / ratePerSecond
  let nextSlot = 0
  return async () => {
    const slot = Math.max(Date.now(), nextSlot)
    nextSlot = slot + interval
    const wait = slot - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

/** The Worker's queue consumer: each queue's batches go to the job that owns them. */
export async function handleQueue(
  batch: MessageBatch,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  switch (batch.queue) {
    case VISITS_QUEUE_NAME:
      return writeVisits(batch, env)
    case DELIVERY_QUEUE_NAME:
    // Event webhooks: the same job, on a queue of their own (see wrangler.toml).
    case EVENTS_QUEUE_NAME:
      return deliver(batch, env)
    case DEAD_LETTER_QUEUE_NAME:
      return recordDeadLetters(batch, env)
    case INBOUND_QUEUE_NAME:
      return applyInbound(batch, env)
    case TELEGRAM_QUEUE_NAME:
      return applyTelegramUpdates(batch, env)
    default:
      logError({ queue: batch.queue }, 'no consumer for this queue')
      batch.retryAll()
  }
}

/**
 * Landing views, up to 10 messages of up to 100 each, written in one D1 batch: one transaction
 * for up to 1,000 views, where the database commits once for what a crowd's page views sent in
 * about two seconds. A view that does not parse is logged and dropped (retrying cannot fix it);
 * a failed write is retried as a whole. A message written before is acknowledged and not counted
 * again: a queue delivers at least once, and one whose write committed comes again when its
 * acknowledgement was lost (the isolate stopped, or D1's answer did).
 */
async function writeVisits(batch: MessageBatch, env: Env): Promise<void> {
  const db = createDb(env.DB, { checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  try {
    const written = await writtenVisitMessages(
      db,
      batch.messages.map((message) => message.id),
    )
    const valid: VisitMessage[] = []
    const ids: string[] = []
    for (const message of batch.messages) {
      if (written.has(message.id)) continue
      const { visits, malformed } = visitsOfMessage(message.body)
      valid.push(...visits)
      ids.push(message.id)
      if (malformed > 0) {
        logError(
          { queue: batch.queue, id: message.id, dropped: malformed },
          'malformed visit dropped',
        )
      }
    }
    await recordVisits(db, valid, ids)
    batch.ackAll()
  } catch (error) {
    logError({ queue: batch.queue }, error)
    batch.retryAll({ delaySeconds: 5 })
  }
}

/**
 * Announcement runs and webhook events: expansion steps, recipient messages (delivered together,
 * in a few D1 queries per batch) and outbox events, paced to `DELIVERY_RATE_PER_SECOND` by the
 * sender's shared limiter, however many batches run at once, and posts to Telegram chats, at the
 * bot's own pace. A delivery that fails for good goes to
 * the dead-letter queue with its reason, after its row is marked failed: nothing is dropped
 * silently.
 */
async function deliver(batch: MessageBatch, env: Env): Promise<void> {
  const counter = { queries: 0 }
  const db = createDb(env.DB, { counter, checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  try {
    await deliverBatch(batch, env, db)
  } finally {
    const kinds: Record<string, number> = {}
    for (const message of batch.messages) {
      const kind = String((message.body as { kind?: unknown } | null)?.kind ?? 'unknown')
      kinds[kind] = (kinds[kind] ?? 0) + 1
    }
    // One line per invocation: how much work it did and how many D1 queries that took.
    logInfo({
      job: 'deliveries',
      messages: batch.messages.length,
      kinds,
      d1Queries: counter.queries,
    })
  }
}

async function deliverBatch(
  batch: MessageBatch,
  env: Env,
  db: ReturnType<typeof createDb>,
): Promise<void> {
  const config = loadConfig(env)
  // The sender's rate is shared by every consumer running at the moment (see `SendRateLimiter`).
  const kindOf = (message: Message) => (message.body as { kind?: unknown } | null)?.kind
  const sends = batch.messages.filter((message) => kindOf(message) === 'announce').length
  const pace = createSharedPacer(
    env.SEND_RATE_LIMITER,
    senderKey(config),
    config.DELIVERY_RATE_PER_SECOND,
    sends,
  )
  // Events go to each endpoint at that rate, in a bucket of the endpoint's own: a burst of them
  // holds up neither the announcements nor another endpoint's events.
  const eventsTo = new Map<string, number>()
  for (const message of batch.messages) {
    const endpointId = (message.body as { endpointId?: unknown } | null)?.endpointId
    if (kindOf(message) === 'event' && typeof endpointId === 'string')
      eventsTo.set(endpointId, (eventsTo.get(endpointId) ?? 0) + 1)
  }
  const endpointPacers = new Map(
    [...eventsTo].map(([endpointId, count]) => [
      endpointId,
      createSharedPacer(
        env.SEND_RATE_LIMITER,
        `event-endpoint:${endpointId}`,
        config.DELIVERY_RATE_PER_SECOND,
        count,
      ),
    ]),
  )
  // Posts to Telegram chats go at the bot's own pace, shared the same way.
  const telegram = telegramConfig(config)
  const posts = batch.messages.filter((message) => kindOf(message) === 'telegram-post').length
  const paceBot =
    telegram && posts > 0
      ? createSharedPacer(
          env.SEND_RATE_LIMITER,
          telegramSenderKey(telegram),
          TELEGRAM_SENDS_PER_SECOND,
          posts,
        )
      : async () => {}
  const act = async (message: Message, body: unknown, verdict: Verdict) => {
    if (verdict.action === 'retry') return message.retry({ delaySeconds: verdict.delaySeconds })
    if (verdict.action === 'dead-letter')
      await deadLetter(env.DEAD_LETTER_QUEUE, body, verdict.error)
    message.ack()
  }

  // Each event goes on its own, beside the rest of the batch: a slow or silent endpoint holds
  // only its own sends (up to the timeout), not other endpoints' events nor the announcements.
  const events: Array<Promise<void>> = []
  const deliverOne = async (message: Message, body: { eventId: string; endpointId: string }) => {
    try {
      await endpointPacers.get(body.endpointId)?.()
      await act(message, body, await deliverEvent(db, config, body, new Date()))
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: RETRY_AFTER_ERROR_SECONDS })
    }
  }
  const announce: Array<{ message: Message; body: { dispatchId: string; memberId: string } }> = []
  for (const message of batch.messages) {
    const parsed = DeliveryMessageSchema.safeParse(message.body)
    if (!parsed.success) {
      await deadLetter(env.DEAD_LETTER_QUEUE, message.body, 'malformed message')
      message.ack()
      continue
    }
    const body = parsed.data
    try {
      if (body.kind === 'announce') announce.push({ message, body })
      else if (body.kind === 'expand') {
        await expandDispatch(db, env.DELIVERY_QUEUE, body.dispatchId, new Date())
        message.ack()
      } else if (body.kind === 'telegram-post') {
        await act(
          message,
          body,
          await postToTelegram(db, config, telegram, body, paceBot, new Date()),
        )
      } else {
        events.push(deliverOne(message, body))
      }
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: RETRY_AFTER_ERROR_SECONDS })
    }
  }
  const announced = async () => {
    if (announce.length === 0) return
    try {
      const verdicts = await deliverAnnouncements(
        db,
        config,
        announce.map((item) => item.body),
        new Date(),
        pace,
      )
      for (const [i, item] of announce.entries()) await act(item.message, item.body, verdicts[i]!)
    } catch (error) {
      logError({ queue: batch.queue, messages: announce.length }, error)
      for (const item of announce) item.message.retry({ delaySeconds: RETRY_AFTER_ERROR_SECONDS })
    }
  }
  await Promise.all([...events, announced()])
}

/** The most bytes of JSON a dead letter's body carries whole: a queue message holds 128 KB. */
const DEAD_LETTER_BODY_BYTES = 120_000

/** What is kept of a body too large to travel whole: its JSON text, cut (at most 4 bytes each). */
const DEAD_LETTER_CUT_CHARS = 30_000

const utf8 = new TextEncoder()

/**
 * Sends a message to the dead-letter queue with its reason. A body too large to travel with the
 * reason (a malformed message near the queue's limit) goes as its JSON text, cut: sending it whole
 * failed, and the whole batch with it, so that the good messages after it were tried again and
 * again beside it.
 */
async function deadLetter(queue: Queue, body: unknown, error: string): Promise<void> {
  const text = JSON.stringify(body) ?? 'null'
  if (utf8.encode(text).byteLength <= DEAD_LETTER_BODY_BYTES) {
    await queue.send({ body, error })
    return
  }
  await queue.send({
    body: text.slice(0, DEAD_LETTER_CUT_CHARS),
    error: `${error} (its body cut to ${DEAD_LETTER_CUT_CHARS} characters of JSON)`,
  })
}

/**
 * Keeps every dead letter in D1, with its reason when we sent it there ourselves. A body that is
 * JSON `null` (or none: a malformed message may be just that) is kept as `null`; the column
 * refuses SQL NULL, and one such row failed the whole batch until its retries ran out.
 */
async function recordDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  const db = createDb(env.DB, { checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  const rows = batch.messages.map((message) => {
    const body = message.body as { body?: unknown; error?: unknown } | null
    const ours = body !== null && typeof body === 'object' && 'error' in body
    const kept = ours ? body.body : message.body
    // Both queues fail into this one: an event webhook's message names its kind.
    const event = (kept as { kind?: unknown } | null | undefined)?.kind === 'event'
    return {
      queue: event ? EVENTS_QUEUE_NAME : DELIVERY_QUEUE_NAME,
      body: kept ?? sql`'null'`,
      error: ours ? String(body.error).slice(0, 500) : 'retries exhausted',
      createdAt: new Date(),
    }
  })
  await keepDeadLetters(db, rows)
  batch.ackAll()
}
