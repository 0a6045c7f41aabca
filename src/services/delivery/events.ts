import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { events, webhookDeliveries, type WebhookEndpoint } from '../../db/schema'
import { newId } from '../../lib/ids'
import { signingSecret, type Config } from '../../lib/config'
import { channelTimeoutMs, sendSignedWebhook, type SendResult } from '../channels'
import {
  ENDPOINT_STOPPED,
  endpointSecret,
  getWebhookEndpointOrThrow,
  stopWebhookEndpoint,
} from '../webhooks'
import type { Verdict } from './messages'
import { shownReason } from './reasons'
import { countAttempt, tooManyAttempts } from '../rate-limits'

/** Outbox events delivered to webhook endpoints, signed per endpoint. */

/** An event's attempts: the first, and one after each wait of `EVENT_RETRY_SCHEDULE`. */
export function eventMaxAttempts(config: Config): number {
  return config.EVENT_RETRY_SCHEDULE.length + 1
}

/**
 * The wait before an event's next attempt after `attempt` (1 the first): the schedule's, with
 * some jitter so an endpoint back up is not hit by every retry at once, or what the endpoint
 * asked for (`Retry-After`) where that is longer, up to 12 hours. Never shorter than the
 * schedule: an endpoint throttling with "Retry-After: 7" would otherwise use up its attempts in
 * a minute, where the schedule gives a receiver most of a day.
 */
function eventRetryDelay(config: Config, attempt: number, retryAfterSeconds?: number): number {
  const wait = config.EVENT_RETRY_SCHEDULE[attempt - 1] ?? config.EVENT_RETRY_SCHEDULE.at(-1)!
  const scheduled = Math.max(1, Math.round(wait * (0.8 + 0.4 * Math.random())))
  return Math.min(43_200, Math.max(scheduled, Math.ceil(retryAfterSeconds ?? 0)))
}

/** An event's send ends within its timeout; a claim older than this was interrupted. */
export const EVENT_SENDING_STALE_MS = 60_000
/** A queue message may come a little before its delay ends; that close, it is on time. */
const DUE_SLACK_MS = 2_000

/** Where an endpoint's events go, and the secret they are signed with. */
async function receiverOf(endpoint: WebhookEndpoint, config: Config) {
  return {
    url: endpoint.url,
    secret: await endpointSecret(endpoint, signingSecret(config)),
    allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
  }
}

/**
 * Delivers one outbox event to one endpoint, signed with the endpoint's secret: once, or again
 * with the same webhook-id when an attempt timed out or was interrupted (see
 * `resendsWhenUnknown`).
 */
export async function deliverEvent(
  db: Database,
  config: Config,
  message: { eventId: string; endpointId: string },
  now: Date,
): Promise<Verdict> {
  const where = and(
    eq(webhookDeliveries.eventId, message.eventId),
    eq(webhookDeliveries.endpointId, message.endpointId),
  )
  // A claim left `sending` longer than a send can take was interrupted: endpoints are Standard
  // Webhooks receivers, which deduplicate by webhook-id (the event id), so it is sent again.
  const staleBefore = new Date(now.getTime() - EVENT_SENDING_STALE_MS)
  const [claimed] = await db
    .update(webhookDeliveries)
    .set({ status: 'sending', attempts: sql`${webhookDeliveries.attempts} + 1`, updatedAt: now })
    .where(
      and(
        where,
        or(
          // Due: a copy of its queue message that comes before the backoff ends waits (below).
          and(
            eq(webhookDeliveries.status, 'queued'),
            lte(webhookDeliveries.nextAttemptAt, now.getTime() + DUE_SLACK_MS),
          ),
          and(
            eq(webhookDeliveries.status, 'sending'),
            lt(webhookDeliveries.updatedAt, staleBefore),
            lt(webhookDeliveries.attempts, eventMaxAttempts(config)),
          ),
        ),
      ),
    )
    .returning({ attempts: webhookDeliveries.attempts })
  if (!claimed) {
    // Interrupted on its last attempt: reported, not repeated.
    const [gaveUp] = await db
      .update(webhookDeliveries)
      .set({
        status: 'unknown',
        lastError: 'outcome unknown: the last attempt was interrupted after it may have been sent',
        updatedAt: now,
      })
      .where(
        and(
          where,
          eq(webhookDeliveries.status, 'sending'),
          lt(webhookDeliveries.updatedAt, staleBefore),
        ),
      )
      .returning({ eventId: webhookDeliveries.eventId })
    if (gaveUp) return { action: 'ack' }
    const open = await db.query.webhookDeliveries.findFirst({
      columns: { status: true, nextAttemptAt: true },
      where: and(where, inArray(webhookDeliveries.status, ['queued', 'sending'])),
    })
    // Another consumer's send may be under way; if that consumer died, this message comes back
    // once the claim is stale and sends it again.
    if (open?.status === 'sending') {
      return { action: 'retry', delaySeconds: Math.ceil((EVENT_SENDING_STALE_MS * 1.5) / 1000) }
    }
    // A copy that came before the backoff ended (the reconciler's, for a message only late):
    // it waits for the attempt's time; the first copy then to come sends it, the other acks.
    if (open?.status === 'queued') {
      return {
        action: 'retry',
        delaySeconds: Math.max(1, Math.ceil((open.nextAttemptAt - now.getTime()) / 1000)),
      }
    }
    return { action: 'ack' }
  }
  const event = await db.query.events.findFirst({ where: eq(events.id, message.eventId) })
  let result: SendResult
  // Its receiver answered 410 Gone before this delivery's turn: nothing is sent to it.
  let stopped = false
  try {
    const endpoint = await getWebhookEndpointOrThrow(db, message.endpointId)
    stopped = endpoint.goneAt !== null
    result = stopped
      ? { outcome: 'failed', error: ENDPOINT_STOPPED }
      : event
        ? await sendSignedWebhook(
            await receiverOf(endpoint, config),
            event.id,
            {
              type: event.type,
              timestamp: event.createdAt.toISOString(),
              data: { communityId: event.communityId, ...event.payload },
            },
            now,
            // An event endpoint is a webhook receiver, whatever channel announcements go by.
            channelTimeoutMs(config, 'webhook'),
          )
        : { outcome: 'failed', error: 'event not found' }
  } catch {
    result = { outcome: 'failed', error: 'endpoint removed' }
  }
  const responseStatus =
    result.outcome === 'sent'
      ? (result.status ?? 200)
      : 'status' in result
        ? (result.status ?? null)
        : null
  // Event endpoints are Standard Webhooks receivers: a timed-out send goes again, same id.
  if (
    (result.outcome === 'retry' || result.outcome === 'unknown') &&
    claimed.attempts < eventMaxAttempts(config)
  ) {
    const delaySeconds = eventRetryDelay(
      config,
      claimed.attempts,
      result.outcome === 'retry' ? result.retryAfterSeconds : undefined,
    )
    await db
      .update(webhookDeliveries)
      .set({
        status: 'queued',
        lastError: result.error,
        responseStatus,
        updatedAt: now,
        nextAttemptAt: now.getTime() + delaySeconds * 1000,
      })
      .where(where)
    return { action: 'retry', delaySeconds }
  }
  // The last attempt timed out: it may well have arrived, so it is `unknown`, counted apart and
  // not dead-lettered, as the README's policy says for every channel.
  const status =
    result.outcome === 'sent' ? 'sent' : result.outcome === 'unknown' ? 'unknown' : 'failed'
  const settle = db
    .update(webhookDeliveries)
    .set({
      status,
      lastError: 'error' in result ? result.error : null,
      responseStatus,
      updatedAt: now,
    })
    .where(where)
  // 410 Gone: the receiver asks for no more (Standard Webhooks), so the endpoint stops with it.
  if (responseStatus === 410) {
    await db.batch([settle, stopWebhookEndpoint(db, message.endpointId, now)])
  } else {
    await settle
  }
  // A delivery its stopped endpoint was never sent is on the endpoint's list, not a dead letter.
  return status !== 'failed' || stopped
    ? { action: 'ack' }
    : { action: 'dead-letter', error: 'error' in result ? result.error : 'failed' }
}

/** A test event waits this long for its answer: someone is watching the page for it. */
const TEST_EVENT_TIMEOUT_MS = 10_000
/** Test events per endpoint and minute: enough to fix a receiver by, too few to flood one with. */
const TEST_EVENTS_PER_MINUTE = 6

/** How a test event went: reached the receiver (a 2xx), or not, with the reason as admins see it. */
export interface TestEventOutcome {
  eventId: string
  delivered: boolean
  responseStatus: number | null
  reason: string | null
}

/**
 * Sends the endpoint a `webhook.test` event now, signed with its secret as every event is, and
 * says how it went: for whoever sets up a receiver, before a real event comes. Nothing is stored
 * and nothing is tried again; it goes to a stopped endpoint too (to see whether it is back), and
 * its answer, 410 or not, changes nothing. The event names no person. A few a minute per
 * endpoint (429 past them): the Worker is not a way to send requests at someone's address.
 */
export async function sendTestEvent(
  db: Database,
  config: Config,
  endpoint: WebhookEndpoint,
  now: Date,
): Promise<TestEventOutcome> {
  const limit = {
    key: `webhook-test:${endpoint.id}`,
    limit: TEST_EVENTS_PER_MINUTE,
    windowSeconds: 60,
  }
  const exceeded = await countAttempt(db, [limit], now)
  if (exceeded.length > 0) throw tooManyAttempts(exceeded)
  const eventId = newId('evt', now.getTime())
  const result = await sendSignedWebhook(
    await receiverOf(endpoint, config),
    eventId,
    {
      type: 'webhook.test',
      timestamp: now.toISOString(),
      data: { communityId: endpoint.communityId, webhookId: endpoint.id },
    },
    now,
    Math.min(TEST_EVENT_TIMEOUT_MS, channelTimeoutMs(config, 'webhook')),
  )
  if (result.outcome === 'sent') {
    return { eventId, delivered: true, responseStatus: result.status ?? null, reason: null }
  }
  return {
    eventId,
    delivered: false,
    responseStatus: 'status' in result ? (result.status ?? null) : null,
    reason: shownReason(result.error),
  }
}
