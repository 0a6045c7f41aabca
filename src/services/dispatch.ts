import { and, asc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { z } from 'zod'
import type { Database } from '../db/client'
import {
  announcements,
  deliveries,
  dispatches,
  events,
  groupMembers,
  members,
  webhookDeliveries,
  type Announcement,
  type DeliveryChannel,
} from '../db/schema'
import { signingSecret, type Config } from '../lib/config'
import { chunks, ID_CHUNK } from '../lib/chunks'
import { ApiError, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import {
  claimDueAnnouncements,
  isUnfinished,
  nextRun,
  RUN_STALL_MS,
  UNFINISHED_RUN_STATUSES,
} from './announcements'
import {
  channelTimeoutMs,
  sendSignedWebhook,
  sendWhatsAppMessage,
  type SendResult,
} from './channels'
import { endpointSecret, getWebhookEndpointOrThrow } from './webhooks'
import { actOnRefusals } from './whatsapp-inbound'
import { pausedReason } from '../lib/whatsapp-errors'

/**
 * How sending to 100,000 people is split so that no invocation runs out of its limits:
 *
 * 1. The cron run only claims due announcements and creates one dispatch (run) each, then
 *    enqueues an `expand` message: a handful of queries, whatever the audience.
 * 2. Each `expand` message turns the next `EXPAND_CHUNK` members (by id, after the dispatch's
 *    cursor) into delivery rows with one INSERT ... SELECT, enqueues one `announce` message per
 *    recipient (`sendBatch`, 100 at a time) and enqueues the next `expand`: about ten
 *    subrequests per invocation, 200 invocations for 100,000 recipients.
 * 3. Each `announce` message delivers one message. Its delivery row (unique per run and member)
 *    is claimed before sending, so a redelivered queue message never sends twice.
 * 4. The database is the source of truth, the queue only how work moves: a message that is lost
 *    (a failed `sendBatch`, a consumer past its limits, a deploy at the wrong moment) leaves a run
 *    whose `progressAt` stops moving, and the cron job's reconciler (`reconcileRuns`) moves it on
 *    from what the rows say.
 */
export const EXPAND_CHUNK = 500

export const DeliveryMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('expand'), dispatchId: z.string().min(1).max(40) }),
  z.object({
    kind: z.literal('announce'),
    dispatchId: z.string().min(1).max(40),
    memberId: z.string().min(1).max(40),
  }),
  z.object({
    kind: z.literal('event'),
    eventId: z.string().min(1).max(40),
    endpointId: z.string().min(1).max(40),
  }),
])
export type DeliveryMessage = z.infer<typeof DeliveryMessageSchema>

/**
 * Claims due announcements, starts a run of each, and schedules recurring ones again. Each run
 * records `channel` (`DELIVERY_CHANNEL`), the channel it goes out through: whether delivery and
 * reading can be known depends on it.
 */
export async function dispatchDueAnnouncements(
  db: Database,
  queue: Queue,
  now: Date,
  channel: DeliveryChannel,
): Promise<string[]> {
  const started: string[] = []
  for (const announcement of await claimDueAnnouncements(db, now)) {
    const scheduledFor = announcement.sendAt ?? now
    const following = announcement.repeatCron
      ? nextRun(
          {
            cron: announcement.repeatCron,
            timezone: announcement.repeatTimezone!,
            until: announcement.repeatUntil,
          },
          // Runs missed while nothing was running are not all sent at once: the next is after now.
          new Date(Math.max(scheduledFor.getTime(), now.getTime())),
        )
      : null
    try {
      // The run first, then its first expansion step, and only then is the announcement released:
      // if anything fails in between, the claim's lease runs out and a later cron run resumes
      // (the run is unique per announcement and time, so it is not started twice).
      const [, [run]] = await db.batch([
        db
          .insert(dispatches)
          .values({
            id: newId('dsp', now.getTime()),
            announcementId: announcement.id,
            scheduledFor,
            status: 'expanding',
            channel,
            createdAt: now,
            progressAt: now,
          })
          .onConflictDoNothing(),
        db
          .select()
          .from(dispatches)
          .where(
            and(
              eq(dispatches.announcementId, announcement.id),
              eq(dispatches.scheduledFor, scheduledFor),
            ),
          ),
      ])
      if (run?.status === 'expanding') {
        await queue.send({ kind: 'expand', dispatchId: run.id } satisfies DeliveryMessage)
        started.push(run.id)
      }
      await db
        .update(announcements)
        .set({
          status: following ? 'scheduled' : 'sent',
          sendAt: following,
          claimedAt: null,
          updatedAt: now,
        })
        .where(eq(announcements.id, announcement.id))
    } catch (error) {
      console.error(
        JSON.stringify({
          announcement: announcement.id,
          error: `dispatch deferred: ${String(error)}`,
        }),
      )
    }
  }
  return started
}

function audienceWhere(announcement: Announcement, cursor: string | null) {
  return and(
    eq(members.communityId, announcement.communityId),
    eq(members.status, 'active'),
    cursor ? gt(members.id, cursor) : undefined,
    // A member of several audience groups is one recipient: the audience is members, filtered.
    announcement.audienceGroupIds
      ? sql`exists (select 1 from ${groupMembers} where ${groupMembers.memberId} = ${members.id} and ${inArray(groupMembers.groupId, announcement.audienceGroupIds)})`
      : undefined,
  )
}

/** Turns the next chunk of the audience into deliveries and queue messages (see above). */
export async function expandDispatch(
  db: Database,
  queue: Queue,
  dispatchId: string,
  now: Date,
): Promise<void> {
  const run = await db.query.dispatches.findFirst({ where: eq(dispatches.id, dispatchId) })
  if (!run || run.status !== 'expanding') return
  const announcement = (await db.query.announcements.findFirst({
    where: eq(announcements.id, run.announcementId),
  }))!
  const chunk = await db
    .select({ id: members.id })
    .from(members)
    .where(audienceWhere(announcement, run.cursor))
    .orderBy(asc(members.id))
    .limit(EXPAND_CHUNK)
  const last = chunk.at(-1)?.id
  const done = chunk.length < EXPAND_CHUNK
  // Rows, the run's count and the cursor move together, in one D1 batch; only the step that moves
  // the cursor from where it read it goes on, so a second copy of the same step (a redelivered or
  // re-enqueued `expand`) adds nothing and starts no second chain.
  const inChunk = last
    ? and(audienceWhere(announcement, run.cursor), lte(members.id, last))
    : undefined
  const [, , moved] = await db.batch([
    // The same members as the chunk above, by range: INSERT ... SELECT binds no list of ids.
    db
      .insert(deliveries)
      .select(
        db
          .select({
            dispatchId: sql<string>`${dispatchId}`.as('dispatch_id'),
            memberId: members.id,
            status: sql<'queued'>`'queued'`.as('status'),
            attempts: sql<number>`0`.as('attempts'),
            lastError: sql<null>`null`.as('last_error'),
            providerMessageId: sql<null>`null`.as('provider_message_id'),
            updatedAt: sql<Date>`${now.getTime()}`.as('updated_at'),
            nextAttemptAt: sql<number>`${now.getTime()}`.as('next_attempt_at'),
            providerStatus: sql<null>`null`.as('provider_status'),
            errorCode: sql<null>`null`.as('error_code'),
            errorTitle: sql<null>`null`.as('error_title'),
          })
          .from(members)
          .where(inChunk ?? sql`0`),
      )
      .onConflictDoNothing(),
    // changes(): how many of the chunk were new, so a repeated step does not count twice.
    db
      .update(dispatches)
      .set({ queued: sql`${dispatches.queued} + changes()` })
      .where(eq(dispatches.id, dispatchId)),
    db
      .update(dispatches)
      .set({
        ...(last ? { cursor: last } : {}),
        status: done ? 'expanded' : 'expanding',
        progressAt: now,
      })
      .where(
        and(
          eq(dispatches.id, dispatchId),
          eq(dispatches.status, 'expanding'),
          run.cursor ? eq(dispatches.cursor, run.cursor) : isNull(dispatches.cursor),
        ),
      )
      .returning({ id: dispatches.id }),
  ])
  if (moved.length === 0) return
  if (done) await finishRuns(db, [dispatchId], now)
  // The next step goes first, ahead of this chunk's messages, so the queue never idles waiting
  // for it between chunks. Should a `sendBatch` below fail, the rows wait `queued` in the
  // database, and the reconciler enqueues them again (see `reconcileRuns`).
  const messages: DeliveryMessage[] = [
    ...(done ? [] : [{ kind: 'expand', dispatchId } satisfies DeliveryMessage]),
    ...chunk.map(
      (member) => ({ kind: 'announce', dispatchId, memberId: member.id }) satisfies DeliveryMessage,
    ),
  ]
  for (let i = 0; i < messages.length; i += 100) {
    await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })))
  }
}

/** Runs fully expanded with no delivery left unsettled are done. */
async function finishRuns(db: Database, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return
  await db
    .update(dispatches)
    .set({ status: 'done', finishedAt: now })
    .where(
      and(
        inArray(dispatches.id, ids),
        eq(dispatches.status, 'expanded'),
        lte(dispatches.queued, 0),
      ),
    )
}

/** What the queue consumer should do with a message after a delivery attempt. */
export type Verdict =
  | { action: 'ack' }
  | { action: 'retry'; delaySeconds: number }
  | { action: 'dead-letter'; error: string }

/** Exponential backoff with jitter: about base, 2x, 4x ... seconds, capped at an hour. */
export function backoffSeconds(
  baseSeconds: number,
  attempt: number,
  retryAfterSeconds?: number,
): number {
  if (retryAfterSeconds) return Math.min(3600, Math.ceil(retryAfterSeconds))
  const base = Math.min(3600, baseSeconds * 2 ** (attempt - 1))
  return Math.max(1, Math.round(base * (0.5 + Math.random())))
}

type DeliveryKey = { dispatchId: string; memberId: string }
type Outcome = {
  status: 'sent' | 'failed' | 'skipped' | 'queued' | 'unknown'
  error: string | null
  providerMessageId?: string | null
  /** For `queued`: when the retry is due (ms). */
  nextAttemptAt?: number
}

/** Waits for this send's turn under the sender's rate (see `createPacer` and the limiter). */
export type Pace = () => Promise<void>

// D1 binds at most 100 parameters per statement.
const CLAIM_CHUNK = 45
/** Sends of one batch in flight at once, at most; the pace decides when each may start. */
export const MAX_SENDS_IN_FLIGHT = 50

/**
 * What happens when a send's outcome is unknown (a timeout, or a claim left `sending` by a
 * consumer that died), per channel:
 * - `webhook`: Standard Webhooks receivers deduplicate by `webhook-id`, which stays the same on
 *   every attempt, so the message is sent again (up to `DELIVERY_MAX_ATTEMPTS`); only when the
 *   attempts are used up does it stay "outcome unknown".
 * - `whatsapp`: the Cloud API does not deduplicate; a second send may reach the person twice, so
 *   the delivery is settled as "outcome unknown" and never sent again blindly.
 */
export function resendsWhenUnknown(config: Config): boolean {
  return config.DELIVERY_CHANNEL === 'webhook'
}

/**
 * Delivers a batch of announcement messages, each at most once, in a handful of D1 queries
 * whatever the batch size: the members and runs are read first, then the deliveries claimed
 * (one statement per 45), the messages sent, and one batch settles them all and moves the runs'
 * counters.
 *
 * At most once: a delivery is claimed (`queued` to `sending`) before anything leaves, so a
 * redelivered queue message finds it taken and is acknowledged without sending (so is a second
 * copy within one batch). A delivery left `sending` by a consumer that died is the reconciler's
 * (see `reconcileRuns`).
 *
 * The sends go out concurrently (up to `MAX_SENDS_IN_FLIGHT`), each starting when `pace` lets it,
 * and each signed at the moment it leaves (`clock`), so a slow receiver neither stalls the batch
 * nor receives a stale timestamp.
 */
export async function deliverAnnouncements(
  db: Database,
  config: Config,
  messages: DeliveryKey[],
  now: Date,
  pace: Pace = async () => {},
  clock: () => Date = () => new Date(),
): Promise<Verdict[]> {
  const key = (m: DeliveryKey) => `${m.dispatchId}|${m.memberId}`
  const unique = [...new Map(messages.map((m) => [key(m), m])).values()]

  const people = new Map<string, typeof members.$inferSelect>()
  for (const ids of chunks([...new Set(unique.map((m) => m.memberId))], ID_CHUNK)) {
    for (const member of await db.select().from(members).where(inArray(members.id, ids)))
      people.set(member.id, member)
  }
  const announcementOf = new Map<string, Announcement>()
  for (const ids of chunks([...new Set(unique.map((m) => m.dispatchId))], ID_CHUNK)) {
    const runs = await db
      .select({ id: dispatches.id, announcement: announcements })
      .from(dispatches)
      .innerJoin(announcements, eq(announcements.id, dispatches.announcementId))
      .where(inArray(dispatches.id, ids))
    for (const run of runs) announcementOf.set(run.id, run.announcement)
  }

  const attempts = new Map<string, number>()
  for (const chunk of chunks(unique, CLAIM_CHUNK)) {
    const pairs = chunk.map((_, i) => `(?${i * 2 + 2}, ?${i * 2 + 3})`).join(', ')
    const params = chunk.flatMap((m) => [m.dispatchId, m.memberId])
    const claimed = await db.$client
      .prepare(
        `update deliveries set status = 'sending', attempts = attempts + 1, updated_at = ?1
         where (dispatch_id, member_id) in (values ${pairs}) and status = 'queued'
         returning dispatch_id, member_id, attempts`,
      )
      .bind(now.getTime(), ...params)
      .all<{ dispatch_id: string; member_id: string; attempts: number }>()
    for (const row of claimed.results)
      attempts.set(`${row.dispatch_id}|${row.member_id}`, row.attempts)
  }

  const outcomes = new Map<string, Outcome>()
  const verdicts = new Map<string, Verdict>()
  const settle = (message: DeliveryKey, outcome: SendResult | SkipResult) => {
    const tries = attempts.get(key(message))!
    const retryable =
      outcome.outcome === 'retry' || (outcome.outcome === 'unknown' && resendsWhenUnknown(config))
    if (outcome.outcome === 'sent') {
      outcomes.set(key(message), {
        status: 'sent',
        error: null,
        providerMessageId: outcome.providerMessageId,
      })
    } else if (outcome.outcome === 'skipped') {
      outcomes.set(key(message), { status: 'skipped', error: outcome.reason })
    } else if (retryable && tries < config.DELIVERY_MAX_ATTEMPTS) {
      const delaySeconds = backoffSeconds(
        config.DELIVERY_RETRY_BASE_SECONDS,
        tries,
        outcome.outcome === 'retry' ? outcome.retryAfterSeconds : undefined,
      )
      outcomes.set(key(message), {
        status: 'queued',
        error: outcome.error,
        nextAttemptAt: now.getTime() + delaySeconds * 1000,
      })
      verdicts.set(key(message), { action: 'retry', delaySeconds })
    } else if (outcome.outcome === 'unknown') {
      // Reported, not dead-lettered: it may well have arrived.
      outcomes.set(key(message), { status: 'unknown', error: outcome.error })
    } else {
      outcomes.set(key(message), { status: 'failed', error: outcome.error })
      verdicts.set(key(message), { action: 'dead-letter', error: outcome.error })
    }
  }
  const claimed = unique.filter((m) => attempts.has(key(m)))
  let next = 0
  const sender = async () => {
    while (next < claimed.length) {
      const message = claimed[next++]!
      const outcome = await attempt(
        config,
        people.get(message.memberId),
        announcementOf.get(message.dispatchId),
        message,
        pace,
        clock,
      ).catch((error: unknown): SendResult => {
        console.error(JSON.stringify({ delivery: key(message), error: String(error) }))
        return { outcome: 'retry', error: 'unexpected error' }
      })
      settle(message, outcome)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(MAX_SENDS_IN_FLIGHT, claimed.length) }, () => sender()),
  )
  await settleDeliveries(db, outcomes, now)
  await actOnRefusals(db, outcomes, now)
  // Only the first copy of a message carries its verdict; other copies are acknowledged.
  const answered = new Set<string>()
  return messages.map((m) => {
    if (answered.has(key(m))) return { action: 'ack' }
    answered.add(key(m))
    return verdicts.get(key(m)) ?? { action: 'ack' }
  })
}

type SkipResult = { outcome: 'skipped'; reason: string }

/** One message to one member, or why not; signed when its turn comes. */
async function attempt(
  config: Config,
  member: typeof members.$inferSelect | undefined,
  announcement: Announcement | undefined,
  message: DeliveryKey,
  pace: Pace,
  clock: () => Date,
): Promise<SendResult | SkipResult> {
  if (!member || member.status !== 'active') return { outcome: 'skipped', reason: 'member left' }
  if (!announcement) return { outcome: 'failed', error: 'announcement deleted' }
  if (announcement.pausedAt) {
    return { outcome: 'skipped', reason: pausedReason(announcement.pauseReason) }
  }
  // Consent is per contact: only a contact its owner confirmed is ever written to or passed on.
  const phone = member.phoneConfirmedAt ? member.phone : null
  const email = member.emailConfirmedAt ? member.email : null
  if (config.DELIVERY_CHANNEL === 'whatsapp') {
    if (!member.phone) return { outcome: 'skipped', reason: 'no phone number' }
    if (!phone) return { outcome: 'skipped', reason: 'phone number not confirmed' }
    await pace()
    return sendWhatsAppMessage(config, phone, announcement.body)
  }
  if (!phone && !email) return { outcome: 'skipped', reason: 'no confirmed contact' }
  if (!config.DELIVERY_WEBHOOK_URL || !config.DELIVERY_WEBHOOK_SECRET) {
    return {
      outcome: 'failed',
      error: 'webhook channel is not configured (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)',
    }
  }
  await pace()
  const sentAt = clock()
  return sendSignedWebhook(
    {
      url: config.DELIVERY_WEBHOOK_URL,
      secret: config.DELIVERY_WEBHOOK_SECRET,
      allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
    },
    `msg_${message.dispatchId}_${message.memberId}`,
    {
      type: 'announcement.message',
      timestamp: sentAt.toISOString(),
      data: {
        announcementId: announcement.id,
        dispatchId: message.dispatchId,
        communityId: announcement.communityId,
        recipient: {
          memberId: member.id,
          name: member.name,
          phone,
          email,
        },
        text: announcement.body,
      },
    },
    sentAt,
    channelTimeoutMs(config),
  )
}

/**
 * Settles every delivery of a batch and moves each run's counters, in one D1 batch. Deliveries
 * that ended the same way (same status and reason, no provider id) share one UPDATE, so a batch
 * of 50 webhook deliveries settles in two or three statements. A run fully expanded whose last
 * delivery settles here is done.
 */
async function settleDeliveries(
  db: Database,
  outcomes: Map<string, Outcome>,
  now: Date,
): Promise<void> {
  const counters = new Map<
    string,
    { sent: number; failed: number; skipped: number; unknown: number }
  >()
  const alike = new Map<string, { outcome: Outcome; keys: Array<[string, string]> }>()
  const statements: BatchItem<'sqlite'>[] = []
  for (const [key, outcome] of outcomes) {
    const [dispatchId, memberId] = key.split('|') as [string, string]
    const counter = counters.get(dispatchId) ?? { sent: 0, failed: 0, skipped: 0, unknown: 0 }
    if (outcome.status !== 'queued') counter[outcome.status] += 1
    counters.set(dispatchId, counter)
    if (outcome.providerMessageId) {
      statements.push(
        db
          .update(deliveries)
          .set({
            status: outcome.status,
            lastError: outcome.error,
            providerMessageId: outcome.providerMessageId,
            updatedAt: now,
          })
          .where(and(eq(deliveries.dispatchId, dispatchId), eq(deliveries.memberId, memberId))),
      )
    } else {
      // Retries due within the same second share a statement too.
      const due = outcome.nextAttemptAt ? Math.ceil(outcome.nextAttemptAt / 1000) * 1000 : null
      const group = `${outcome.status}|${due ?? ''}|${outcome.error ?? ''}`
      const entry = alike.get(group) ?? {
        outcome: { ...outcome, ...(due ? { nextAttemptAt: due } : {}) },
        keys: [],
      }
      entry.keys.push([dispatchId, memberId])
      alike.set(group, entry)
    }
  }
  for (const { outcome, keys } of alike.values()) {
    for (const part of chunks(keys, CLAIM_CHUNK)) {
      statements.push(
        db
          .update(deliveries)
          .set({
            status: outcome.status,
            lastError: outcome.error,
            updatedAt: now,
            ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
          })
          .where(
            sql`(${deliveries.dispatchId}, ${deliveries.memberId}) in (values ${sql.join(
              part.map(([d, m]) => sql`(${d}, ${m})`),
              sql`, `,
            )})`,
          ),
      )
    }
  }
  for (const [dispatchId, c] of counters) {
    const settled = c.sent + c.failed + c.skipped + c.unknown
    statements.push(
      db
        .update(dispatches)
        .set({
          queued: sql`${dispatches.queued} - ${settled}`,
          sent: sql`${dispatches.sent} + ${c.sent}`,
          failed: sql`${dispatches.failed} + ${c.failed}`,
          skipped: sql`${dispatches.skipped} + ${c.skipped}`,
          unknown: sql`${dispatches.unknown} + ${c.unknown}`,
          progressAt: now,
          // SET reads the row as it was: the last deliveries settling finish an expanded run.
          status: sql`case when ${dispatches.status} = 'expanded' and ${dispatches.queued} - ${settled} <= 0 then 'done' else ${dispatches.status} end`,
          finishedAt: sql`case when ${dispatches.status} = 'expanded' and ${dispatches.queued} - ${settled} <= 0 then ${now.getTime()} else ${dispatches.finishedAt} end`,
        })
        .where(eq(dispatches.id, dispatchId)),
    )
  }
  if (statements.length > 0)
    await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
}

/** One message: `deliverAnnouncements` for a batch of one. */
export async function deliverAnnouncement(
  db: Database,
  config: Config,
  message: DeliveryKey,
  now: Date,
): Promise<Verdict> {
  const [verdict] = await deliverAnnouncements(db, config, [message], now)
  return verdict!
}

/** An event's send ends within its timeout; a claim older than this was interrupted. */
const EVENT_SENDING_STALE_MS = 60_000

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
          eq(webhookDeliveries.status, 'queued'),
          and(
            eq(webhookDeliveries.status, 'sending'),
            lt(webhookDeliveries.updatedAt, staleBefore),
            lt(webhookDeliveries.attempts, config.DELIVERY_MAX_ATTEMPTS),
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
    // Another consumer's send may be under way; if that consumer died, this message comes back
    // once the claim is stale and sends it again.
    const busy = await db.query.webhookDeliveries.findFirst({
      where: and(where, eq(webhookDeliveries.status, 'sending')),
    })
    return busy
      ? { action: 'retry', delaySeconds: Math.ceil((EVENT_SENDING_STALE_MS * 1.5) / 1000) }
      : { action: 'ack' }
  }
  const event = await db.query.events.findFirst({ where: eq(events.id, message.eventId) })
  let result: SendResult
  try {
    const endpoint = await getWebhookEndpointOrThrow(db, message.endpointId)
    result = event
      ? await sendSignedWebhook(
          {
            url: endpoint.url,
            secret: await endpointSecret(endpoint, signingSecret(config)),
            allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
          },
          event.id,
          {
            type: event.type,
            timestamp: event.createdAt.toISOString(),
            data: { communityId: event.communityId, ...event.payload },
          },
          now,
        )
      : { outcome: 'failed', error: 'event not found' }
  } catch {
    result = { outcome: 'failed', error: 'endpoint removed' }
  }
  const responseStatus =
    result.outcome === 'sent' ? 200 : 'status' in result ? (result.status ?? null) : null
  // Event endpoints are Standard Webhooks receivers: a timed-out send goes again, same id.
  if (
    (result.outcome === 'retry' || result.outcome === 'unknown') &&
    claimed.attempts < config.DELIVERY_MAX_ATTEMPTS
  ) {
    await db
      .update(webhookDeliveries)
      .set({ status: 'queued', lastError: result.error, responseStatus, updatedAt: now })
      .where(where)
    return {
      action: 'retry',
      delaySeconds: backoffSeconds(
        config.DELIVERY_RETRY_BASE_SECONDS,
        claimed.attempts,
        result.outcome === 'retry' ? result.retryAfterSeconds : undefined,
      ),
    }
  }
  const status = result.outcome === 'sent' ? 'sent' : 'failed'
  await db
    .update(webhookDeliveries)
    .set({
      status,
      lastError: 'error' in result ? result.error : null,
      responseStatus,
      updatedAt: now,
    })
    .where(where)
  return status === 'sent'
    ? { action: 'ack' }
    : { action: 'dead-letter', error: 'error' in result ? result.error : 'failed' }
}

/** A run whose progress has not moved for this long is looked at by the reconciler. */
export const STALL_MS = RUN_STALL_MS
/**
 * A delivery `sending` for longer than this was interrupted: a batch's sends all start within
 * its pacing and each ends within the channel's timeout (at most a minute or two); a consumer
 * that died left it behind.
 */
export const SENDING_STALE_MS = 5 * 60_000
/** Stalled runs looked at per cron run, and deliveries re-enqueued or settled per run. */
const RECONCILE_RUNS = 10
const RECONCILE_ROWS = 500

export interface Reconciled {
  runs: number
  expansions: number
  requeued: number
  resent: number
  unknown: number
}

/**
 * The reconciler, run by the cron job every minute: unfinished runs whose progress stalled are
 * moved on from what the database says, since a queue message can be lost for good (a failed
 * `sendBatch`, a consumer past its limits, a deploy at the wrong moment, a message past its
 * retries). Bounded: at most 10 runs, 500 deliveries each, about eight queries and six queue
 * calls per run.
 */
export async function reconcileRuns(
  db: Database,
  queue: Queue,
  config: Config,
  now: Date,
): Promise<Reconciled> {
  const stalledBefore = new Date(now.getTime() - STALL_MS)
  const runs = await db
    .select()
    .from(dispatches)
    .where(
      and(
        inArray(dispatches.status, [...UNFINISHED_RUN_STATUSES]),
        sql`(${dispatches.progressAt} is null or ${dispatches.progressAt} < ${stalledBefore.getTime()})`,
        sql`(${dispatches.reconciledAt} is null or ${dispatches.reconciledAt} < ${stalledBefore.getTime()})`,
      ),
    )
    .orderBy(asc(dispatches.progressAt))
    .limit(RECONCILE_RUNS)
  const total: Reconciled = { runs: 0, expansions: 0, requeued: 0, resent: 0, unknown: 0 }
  for (const run of runs) {
    const done = await reconcileRun(db, queue, config, run, now, { force: false })
    total.runs += 1
    total.expansions += done.expansions
    total.requeued += done.requeued
    total.resent += done.resent
    total.unknown += done.unknown
  }
  return total
}

/**
 * Moves one unfinished run on:
 * - still expanding: its next `expand` step is enqueued again; it goes on from the stored cursor
 *   (a copy of a step still in the queue adds nothing, see `expandDispatch`);
 * - deliveries left `sending` longer than an attempt can last: per channel (see
 *   `resendsWhenUnknown`), sent again with the same webhook-id, or settled "outcome unknown";
 * - `queued` deliveries due for a while (their queue message lost): enqueued again; a claim makes
 *   sure that a copy still in the queue does not send twice.
 * `force` (an admin's "resume") re-enqueues what is due now, without waiting for the stall time;
 * `sending` rows still wait until they are stale, since their send may be under way.
 */
export async function reconcileRun(
  db: Database,
  queue: Queue,
  config: Config,
  run: typeof dispatches.$inferSelect,
  now: Date,
  options: { force: boolean },
): Promise<Omit<Reconciled, 'runs'>> {
  const result = { expansions: 0, requeued: 0, resent: 0, unknown: 0 }
  if (run.status === 'expanding') {
    await queue.send({ kind: 'expand', dispatchId: run.id } satisfies DeliveryMessage)
    result.expansions = 1
  }
  const staleSending = now.getTime() - SENDING_STALE_MS
  const stale = sql`(${deliveries.dispatchId}, ${deliveries.memberId}) in (select dispatch_id, member_id from deliveries where dispatch_id = ${run.id} and status = 'sending' and updated_at < ${staleSending} limit ${RECONCILE_ROWS})`
  const unknownError = 'outcome unknown: the attempt was interrupted after it may have been sent'
  if (resendsWhenUnknown(config)) {
    // Webhook receivers deduplicate by webhook-id: due again now, unless the attempts are used up.
    const [, , again] = await db.batch([
      db
        .update(deliveries)
        .set({ status: 'unknown', lastError: unknownError, updatedAt: now })
        .where(and(stale, sql`${deliveries.attempts} >= ${config.DELIVERY_MAX_ATTEMPTS}`)),
      db
        .update(dispatches)
        .set({
          queued: sql`${dispatches.queued} - changes()`,
          unknown: sql`${dispatches.unknown} + changes()`,
        })
        .where(eq(dispatches.id, run.id)),
      db
        .update(deliveries)
        .set({
          status: 'queued',
          lastError: 'interrupted; sent again with the same webhook-id',
          updatedAt: now,
          nextAttemptAt: 0,
        })
        .where(stale)
        .returning({ memberId: deliveries.memberId }),
    ])
    result.resent = again.length
  } else {
    const [settled] = await db.batch([
      db
        .update(deliveries)
        .set({ status: 'unknown', lastError: unknownError, updatedAt: now })
        .where(stale)
        .returning({ memberId: deliveries.memberId }),
      db
        .update(dispatches)
        .set({
          queued: sql`${dispatches.queued} - changes()`,
          unknown: sql`${dispatches.unknown} + changes()`,
        })
        .where(eq(dispatches.id, run.id)),
    ])
    result.unknown = settled.length
  }

  // Queued deliveries whose turn came a while ago (or now, when an admin resumes): enqueued again,
  // and marked so that the next pass waits another stall time for them.
  const dueBefore = options.force ? now.getTime() + 1 : now.getTime() - STALL_MS
  const requeued = await db
    .update(deliveries)
    .set({ nextAttemptAt: now.getTime() })
    .where(
      sql`(${deliveries.dispatchId}, ${deliveries.memberId}) in (select dispatch_id, member_id from deliveries where dispatch_id = ${run.id} and status = 'queued' and next_attempt_at < ${dueBefore} order by next_attempt_at limit ${RECONCILE_ROWS})`,
    )
    .returning({ memberId: deliveries.memberId })
  for (const part of chunks(requeued, 100)) {
    await queue.sendBatch(
      part.map(({ memberId }) => ({
        body: { kind: 'announce', dispatchId: run.id, memberId } satisfies DeliveryMessage,
      })),
    )
  }
  result.requeued = requeued.length
  await db.update(dispatches).set({ reconciledAt: now }).where(eq(dispatches.id, run.id))
  await finishRuns(db, [run.id], now)
  return result
}

/** Webhook deliveries re-enqueued, resent or settled per kind and cron run. */
const RECONCILE_EVENT_ROWS = 90

export interface ReconciledEvents {
  requeued: number
  resent: number
  unknown: number
}

/**
 * The reconciler's part for the events outbox, run by the cron job every minute: webhook
 * deliveries whose queue message was lost (a failed `sendBatch` after the rows were written, a
 * message past its retries, a deploy at the wrong moment) are moved on from what their rows say.
 * - `queued` deliveries whose attempt was due a while ago (the longest their retry could wait,
 *   plus the stall time) are enqueued again; the claim in `deliverEvent` makes sure that a copy
 *   still in the queue does not send twice.
 * - `sending` deliveries older than an attempt can last were interrupted: endpoints are Standard
 *   Webhooks receivers, which deduplicate by webhook-id (the event id), so they are sent again
 *   until their attempts are used up, and then settled "outcome unknown".
 * Bounded: three statements in one batch (90 rows each, found through the index of open
 * deliveries) and at most two `sendBatch` calls. A row it touched waits another stall time.
 */
export async function reconcileEventDeliveries(
  db: Database,
  queue: Queue,
  config: Config,
  now: Date,
): Promise<ReconciledEvents> {
  const staleSending = now.getTime() - EVENT_SENDING_STALE_MS
  const stalledBefore = now.getTime() - STALL_MS
  // The longest a retry may wait (ms): none before the first attempt; a receiver's Retry-After
  // (429 or 5xx, up to an hour); otherwise the backoff with its jitter (see `backoffSeconds`).
  const longestWait = sql`case when attempts = 0 then 0 when response_status is not null then 3600000 else min(3600, ${config.DELIVERY_RETRY_BASE_SECONDS} * (1 << (attempts - 1))) * 1500 end`
  const open = (where: ReturnType<typeof sql>) =>
    sql`(${webhookDeliveries.eventId}, ${webhookDeliveries.endpointId}) in (select event_id, endpoint_id from webhook_deliveries where status in ('queued', 'sending') and ${where} order by updated_at limit ${RECONCILE_EVENT_ROWS})`
  const key = { eventId: webhookDeliveries.eventId, endpointId: webhookDeliveries.endpointId }
  const [settled, again, lost] = await db.batch([
    db
      .update(webhookDeliveries)
      .set({
        status: 'unknown',
        lastError: 'outcome unknown: the last attempt was interrupted after it may have been sent',
        updatedAt: now,
      })
      .where(
        open(
          sql`status = 'sending' and updated_at < ${staleSending} and attempts >= ${config.DELIVERY_MAX_ATTEMPTS}`,
        ),
      )
      .returning(key),
    db
      .update(webhookDeliveries)
      .set({
        status: 'queued',
        lastError: 'interrupted; sent again with the same webhook-id',
        updatedAt: now,
      })
      .where(open(sql`status = 'sending' and updated_at < ${staleSending}`))
      .returning(key),
    db
      .update(webhookDeliveries)
      .set({ updatedAt: now })
      .where(
        open(
          sql`status = 'queued' and updated_at < ${stalledBefore} and updated_at + ${longestWait} < ${stalledBefore}`,
        ),
      )
      .returning(key),
  ])
  for (const part of chunks([...again, ...lost], 100)) {
    await queue.sendBatch(
      part.map((pair) => ({ body: { kind: 'event', ...pair } satisfies DeliveryMessage })),
    )
  }
  return { requeued: lost.length, resent: again.length, unknown: settled.length }
}

/**
 * Stops a run: it expands no further, and its deliveries not yet claimed are settled
 * `cancelled`. Deliveries already `sending` settle as they end.
 */
export async function cancelRun(db: Database, runId: string, now: Date): Promise<void> {
  await db.batch([
    db
      .update(dispatches)
      .set({ status: 'cancelled', finishedAt: now, progressAt: now })
      .where(
        and(eq(dispatches.id, runId), inArray(dispatches.status, [...UNFINISHED_RUN_STATUSES])),
      ),
    db
      .update(deliveries)
      .set({ status: 'cancelled', lastError: 'run cancelled', updatedAt: now })
      .where(
        and(
          eq(deliveries.dispatchId, runId),
          eq(deliveries.status, 'queued'),
          sql`exists (select 1 from ${dispatches} where ${dispatches.id} = ${runId} and ${dispatches.status} = 'cancelled')`,
        ),
      ),
    db
      .update(dispatches)
      .set({
        queued: sql`${dispatches.queued} - changes()`,
        cancelled: sql`${dispatches.cancelled} + changes()`,
      })
      .where(eq(dispatches.id, runId)),
  ])
}

async function unfinishedRunOrThrow(db: Database, announcementId: string, runId: string) {
  const run = await db.query.dispatches.findFirst({
    where: and(eq(dispatches.id, runId), eq(dispatches.announcementId, announcementId)),
  })
  if (!run) throw notFound('Run')
  if (!isUnfinished(run)) {
    throw new ApiError(
      'invalid_state',
      `This run is ${run.status}: nothing is left to resume or cancel.`,
    )
  }
  return run
}

/** An admin's "resume": moves a run on now, as the reconciler would (see `reconcileRun`). */
export async function resumeRun(
  db: Database,
  queue: Queue,
  config: Config,
  announcementId: string,
  runId: string,
  now: Date,
) {
  const run = await unfinishedRunOrThrow(db, announcementId, runId)
  return reconcileRun(db, queue, config, run, now, { force: true })
}

/** An admin's "cancel" of one run (see `cancelRun`); the announcement's schedule stays. */
export async function stopRun(db: Database, announcementId: string, runId: string, now: Date) {
  await unfinishedRunOrThrow(db, announcementId, runId)
  await cancelRun(db, runId, now)
}
