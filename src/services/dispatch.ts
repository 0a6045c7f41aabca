import { and, asc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm'
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
} from '../db/schema'
import { signingSecret, type Config } from '../lib/config'
import { chunks, ID_CHUNK } from '../lib/chunks'
import { newId } from '../lib/ids'
import { claimDueAnnouncements, nextRun } from './announcements'
import { sendSignedWebhook, sendWhatsAppMessage, type SendResult } from './channels'
import { endpointSecret, getWebhookEndpointOrThrow } from './webhooks'

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

/** Claims due announcements, starts a run of each, and schedules recurring ones again. */
export async function dispatchDueAnnouncements(
  db: Database,
  queue: Queue,
  now: Date,
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
            createdAt: now,
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
  // Rows (and the run's count) first, then the messages, then the cursor: a step that fails
  // half-way is repeated whole, adding no row twice and losing no message.
  if (last) {
    // The same members as the chunk above, by range: INSERT ... SELECT binds no list of ids.
    const inChunk = and(audienceWhere(announcement, run.cursor), lte(members.id, last))
    await db.batch([
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
            })
            .from(members)
            .where(inChunk),
        )
        .onConflictDoNothing(),
      // changes(): how many of the chunk were new, so a repeated step does not count twice.
      db
        .update(dispatches)
        .set({ queued: sql`${dispatches.queued} + changes()` })
        .where(eq(dispatches.id, dispatchId)),
    ])
  }
  for (let i = 0; i < chunk.length; i += 100) {
    await queue.sendBatch(
      chunk.slice(i, i + 100).map((member) => ({
        body: { kind: 'announce', dispatchId, memberId: member.id } satisfies DeliveryMessage,
      })),
    )
  }
  await db
    .update(dispatches)
    .set({ ...(last ? { cursor: last } : {}), status: done ? 'expanded' : 'expanding' })
    .where(eq(dispatches.id, dispatchId))
  if (!done) await queue.send({ kind: 'expand', dispatchId } satisfies DeliveryMessage)
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
  status: 'sent' | 'failed' | 'skipped' | 'queued'
  error: string | null
  providerMessageId?: string | null
}

// D1 binds at most 100 parameters per statement.
const CLAIM_CHUNK = 45

/**
 * Delivers a batch of announcement messages, each at most once, in a handful of D1 queries
 * whatever the batch size: the members and runs are read first, then the deliveries claimed
 * (one statement per 45), the messages sent, and one batch settles them all and moves the runs'
 * counters.
 *
 * At most once: a delivery is claimed (`queued` to `sending`) before anything leaves, so a
 * redelivered queue message finds it taken and is acknowledged without sending (so is a second
 * copy within one batch). A delivery left `sending` for over a minute was interrupted between
 * sending and settling; whether it arrived is unknown, so it is not sent again but marked failed
 * with that reason (and dead-lettered), never silently.
 */
export async function deliverAnnouncements(
  db: Database,
  config: Config,
  messages: DeliveryKey[],
  now: Date,
  pace: () => Promise<void> = async () => {},
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
  const interrupted = new Set<string>()
  for (const chunk of chunks(unique, CLAIM_CHUNK)) {
    const pairs = chunk.map((_, i) => `(?${i * 2 + 2}, ?${i * 2 + 3})`).join(', ')
    const params = chunk.flatMap((m) => [m.dispatchId, m.memberId])
    const [claimed, stale] = await db.$client.batch<{
      dispatch_id: string
      member_id: string
      attempts: number
    }>([
      db.$client
        .prepare(
          `update deliveries set status = 'sending', attempts = attempts + 1, updated_at = ?1
           where (dispatch_id, member_id) in (values ${pairs}) and status = 'queued'
           returning dispatch_id, member_id, attempts`,
        )
        .bind(now.getTime(), ...params),
      db.$client
        .prepare(
          `select dispatch_id, member_id, attempts from deliveries
           where (dispatch_id, member_id) in (values ${pairs}) and status = 'sending' and updated_at < ?1`,
        )
        .bind(now.getTime() - 60_000, ...params),
    ])
    for (const row of claimed!.results)
      attempts.set(`${row.dispatch_id}|${row.member_id}`, row.attempts)
    for (const row of stale!.results) interrupted.add(`${row.dispatch_id}|${row.member_id}`)
  }

  const outcomes = new Map<string, Outcome>()
  const verdicts = new Map<string, Verdict>()
  for (const staleKey of interrupted) {
    const error = 'outcome unknown: an earlier attempt was interrupted after sending'
    outcomes.set(staleKey, { status: 'failed', error })
    verdicts.set(staleKey, { action: 'dead-letter', error })
  }
  for (const message of unique.filter((m) => attempts.has(key(m)))) {
    const outcome = await attempt(
      config,
      people.get(message.memberId),
      announcementOf.get(message.dispatchId),
      message,
      now,
      pace,
    ).catch((error: unknown): SendResult => {
      console.error(JSON.stringify({ delivery: key(message), error: String(error) }))
      return { outcome: 'retry', error: 'unexpected error' }
    })
    const tries = attempts.get(key(message))!
    if (outcome.outcome === 'sent') {
      outcomes.set(key(message), {
        status: 'sent',
        error: null,
        providerMessageId: outcome.providerMessageId,
      })
    } else if (outcome.outcome === 'skipped') {
      outcomes.set(key(message), { status: 'skipped', error: outcome.reason })
    } else if (outcome.outcome === 'retry' && tries < config.DELIVERY_MAX_ATTEMPTS) {
      outcomes.set(key(message), { status: 'queued', error: outcome.error })
      verdicts.set(key(message), {
        action: 'retry',
        delaySeconds: backoffSeconds(
          config.DELIVERY_RETRY_BASE_SECONDS,
          tries,
          outcome.retryAfterSeconds,
        ),
      })
    } else {
      outcomes.set(key(message), { status: 'failed', error: outcome.error })
      verdicts.set(key(message), { action: 'dead-letter', error: outcome.error })
    }
  }
  await settleDeliveries(db, outcomes, now)
  // Only the first copy of a message carries its verdict; other copies are acknowledged.
  const answered = new Set<string>()
  return messages.map((m) => {
    if (answered.has(key(m))) return { action: 'ack' }
    answered.add(key(m))
    return verdicts.get(key(m)) ?? { action: 'ack' }
  })
}

/** One message to one member, or why not. */
async function attempt(
  config: Config,
  member: typeof members.$inferSelect | undefined,
  announcement: Announcement | undefined,
  message: DeliveryKey,
  now: Date,
  pace: () => Promise<void>,
): Promise<SendResult | { outcome: 'skipped'; reason: string }> {
  if (!member || member.status !== 'active') return { outcome: 'skipped', reason: 'member left' }
  if (!announcement) return { outcome: 'failed', error: 'announcement deleted' }
  if (config.DELIVERY_CHANNEL === 'whatsapp') {
    if (!member.phone) return { outcome: 'skipped', reason: 'no phone number' }
    await pace()
    return sendWhatsAppMessage(config, member.phone, announcement.body)
  }
  if (!config.DELIVERY_WEBHOOK_URL || !config.DELIVERY_WEBHOOK_SECRET) {
    return {
      outcome: 'failed',
      error: 'webhook channel is not configured (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)',
    }
  }
  await pace()
  return sendSignedWebhook(
    {
      url: config.DELIVERY_WEBHOOK_URL,
      secret: config.DELIVERY_WEBHOOK_SECRET,
      allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
    },
    `msg_${message.dispatchId}_${message.memberId}`,
    {
      type: 'announcement.message',
      timestamp: now.toISOString(),
      data: {
        announcementId: announcement.id,
        dispatchId: message.dispatchId,
        communityId: announcement.communityId,
        recipient: {
          memberId: member.id,
          name: member.name,
          phone: member.phone,
          email: member.email,
        },
        text: announcement.body,
      },
    },
    now,
  )
}

/**
 * Settles every delivery of a batch and moves each run's counters, in one D1 batch. Deliveries
 * that ended the same way (same status and reason, no provider id) share one UPDATE, so a batch
 * of 50 webhook deliveries settles in two or three statements.
 */
async function settleDeliveries(
  db: Database,
  outcomes: Map<string, Outcome>,
  now: Date,
): Promise<void> {
  const counters = new Map<string, { sent: number; failed: number; skipped: number }>()
  const alike = new Map<string, { outcome: Outcome; keys: Array<[string, string]> }>()
  const statements: BatchItem<'sqlite'>[] = []
  for (const [key, outcome] of outcomes) {
    const [dispatchId, memberId] = key.split('|') as [string, string]
    if (outcome.status !== 'queued') {
      const counter = counters.get(dispatchId) ?? { sent: 0, failed: 0, skipped: 0 }
      counter[outcome.status] += 1
      counters.set(dispatchId, counter)
    }
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
      const group = `${outcome.status}|${outcome.error ?? ''}`
      const entry = alike.get(group) ?? { outcome, keys: [] }
      entry.keys.push([dispatchId, memberId])
      alike.set(group, entry)
    }
  }
  for (const { outcome, keys } of alike.values()) {
    for (const part of chunks(keys, CLAIM_CHUNK)) {
      statements.push(
        db
          .update(deliveries)
          .set({ status: outcome.status, lastError: outcome.error, updatedAt: now })
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
    statements.push(
      db
        .update(dispatches)
        .set({
          queued: sql`${dispatches.queued} - ${c.sent + c.failed + c.skipped}`,
          sent: sql`${dispatches.sent} + ${c.sent}`,
          failed: sql`${dispatches.failed} + ${c.failed}`,
          skipped: sql`${dispatches.skipped} + ${c.skipped}`,
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

/** Delivers one outbox event to one endpoint, at most once, signed with the endpoint's secret. */
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
  const [claimed] = await db
    .update(webhookDeliveries)
    .set({ status: 'sending', attempts: sql`${webhookDeliveries.attempts} + 1`, updatedAt: now })
    .where(and(where, eq(webhookDeliveries.status, 'queued')))
    .returning({ attempts: webhookDeliveries.attempts })
  if (!claimed) {
    // Interrupted between sending and settling: whether it arrived is unknown, so it is not sent
    // again (at most once) but marked failed with that reason.
    const [stale] = await db
      .update(webhookDeliveries)
      .set({
        status: 'failed',
        lastError: 'outcome unknown: an earlier attempt was interrupted after sending',
        updatedAt: now,
      })
      .where(
        and(
          where,
          eq(webhookDeliveries.status, 'sending'),
          lt(webhookDeliveries.updatedAt, new Date(now.getTime() - 60_000)),
        ),
      )
      .returning({ eventId: webhookDeliveries.eventId })
    return stale ? { action: 'dead-letter', error: 'outcome unknown' } : { action: 'ack' }
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
  const responseStatus = result.outcome === 'sent' ? 200 : (result.status ?? null)
  if (result.outcome === 'retry' && claimed.attempts < config.DELIVERY_MAX_ATTEMPTS) {
    await db
      .update(webhookDeliveries)
      .set({ status: 'queued', lastError: result.error, responseStatus, updatedAt: now })
      .where(where)
    return {
      action: 'retry',
      delaySeconds: backoffSeconds(
        config.DELIVERY_RETRY_BASE_SECONDS,
        claimed.attempts,
        result.retryAfterSeconds,
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
