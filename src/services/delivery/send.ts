import { and, eq, inArray, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Database } from '../../db/client'
import {
  announcements,
  communities,
  deliveries,
  dispatches,
  joinRequests,
  members,
  type Announcement,
} from '../../db/schema'
import { type Config } from '../../lib/config'
import type { Lang } from '../../lib/i18n'
import { chunks, ID_CHUNK } from '../../lib/chunks'
import {
  channelTimeoutMs,
  sendSignedWebhook,
  sendWhatsAppMessage,
  type SendResult,
} from '../channels'
import { actOnRefusals } from '../whatsapp-statuses'
import { reachableAfterStop, stopsOf } from '../opt-outs'
import { consentStands } from '../consent'
import { announcementTextFor } from '../announcements'
import { errorCodeIn, pausedReason, whatsAppErrorPolicy } from '../../platforms/whatsapp/errors'
import {
  backoffSeconds,
  resendsWhenUnknown,
  type DeliveryKey,
  type Outcome,
  type Pace,
  type Verdict,
} from './messages'
import { logError } from '../../lib/log'
import { RUN_CANCELLED } from './runs'

/** Announcement messages, sent at most once each, at the sender's pace. */

// D1 binds at most 100 parameters per statement.
const CLAIM_CHUNK = 45
/** Sends of one batch in flight at once, at most; the pace decides when each may start. */
export const MAX_SENDS_IN_FLIGHT = 50

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
 * A refusal's effect beyond its message (`actOnRefusals`) is applied before the batch is recorded.
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

  const people = new Map<string, Recipient>()
  for (const ids of chunks([...new Set(unique.map((m) => m.memberId))], ID_CHUNK)) {
    // The sign-up's language comes with the member, in the same statement: a template goes in
    // it without a query per message.
    const rows = await db
      .select({ member: members, language: joinRequests.language })
      .from(members)
      .leftJoin(joinRequests, eq(joinRequests.id, members.joinRequestId))
      .where(inArray(members.id, ids))
    for (const { member, language } of rows) people.set(member.id, { ...member, language })
  }
  // Numbers that sent STOP since: nothing goes to them (services/opt-outs.ts).
  const stops = await stopsOf(
    db,
    [...people.values()].flatMap((member) => (member.phone ? [member.phone] : [])),
  )
  const announcementOf = new Map<string, RunToSend>()
  for (const ids of chunks([...new Set(unique.map((m) => m.dispatchId))], ID_CHUNK)) {
    const runs = await db
      .select({
        id: dispatches.id,
        status: dispatches.status,
        announcement: announcements,
        consent: communities.consent,
      })
      .from(dispatches)
      .innerJoin(announcements, eq(announcements.id, dispatches.announcementId))
      .innerJoin(communities, eq(communities.id, announcements.communityId))
      .where(inArray(dispatches.id, ids))
    for (const run of runs) {
      announcementOf.set(run.id, {
        announcement: run.announcement,
        asksForProof: run.consent === 'double',
        cancelled: run.status === 'cancelled',
      })
    }
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
  const settle = (message: DeliveryKey, outcome: SendResult | SkipResult | CancelResult) => {
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
    } else if (outcome.outcome === 'cancelled') {
      outcomes.set(key(message), { status: 'cancelled', error: RUN_CANCELLED })
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
      const member = people.get(message.memberId)
      const outcome = await attempt(
        config,
        member,
        member?.phone ? stops.get(member.phone) : undefined,
        announcementOf.get(message.dispatchId),
        message,
        pace,
        clock,
      ).catch((error: unknown): SendResult => {
        logError({ delivery: key(message) }, error)
        return { outcome: 'retry', error: 'unexpected error' }
      })
      settle(message, outcome)
      pauseOnSpamLimit(announcementOf.get(message.dispatchId), outcome, now)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(MAX_SENDS_IN_FLIGHT, claimed.length) }, () => sender()),
  )
  // What a refusal means beyond its message (an ended subscription, a paused broadcast) goes
  // first: once the batch is recorded, its claims are settled and nothing brings the refusal
  // back, so an effect left for after the record would be lost for good should the Worker stop
  // or a write fail in between. Each is safe to repeat (see `actOnRefusals`).
  await actOnRefusals(db, outcomes, now)
  await settleDeliveries(db, outcomes, now)
  // Only the first copy of a message carries its verdict; other copies are acknowledged.
  const answered = new Set<string>()
  return messages.map((m) => {
    if (answered.has(key(m))) return { action: 'ack' }
    answered.add(key(m))
    return verdicts.get(key(m)) ?? { action: 'ack' }
  })
}

/**
 * WhatsApp's spam rate limit (131048) pauses the broadcast: `actOnRefusals` records the pause once
 * the batch's sends are done, but every further send before then would count against the
 * business's quality rating, so the sends of this batch not started yet skip at once.
 */
function pauseOnSpamLimit(
  run: RunToSend | undefined,
  outcome: SendResult | SkipResult | CancelResult,
  now: Date,
): void {
  if (!run || run.announcement.pausedAt || outcome.outcome !== 'failed') return
  const policy = whatsAppErrorPolicy(errorCodeIn(outcome.error))
  if (policy.action !== 'pause') return
  run.announcement = { ...run.announcement, pausedAt: now, pauseReason: policy.reason }
}

function pausedSkip(run: RunToSend): SkipResult {
  return { outcome: 'skipped', reason: pausedReason(run.announcement.pauseReason) }
}

type SkipResult = { outcome: 'skipped'; reason: string }
type CancelResult = { outcome: 'cancelled' }

/**
 * A member as a message to them is written: with the language of the sign-up the membership came
 * from (null where that is not known: a sign-up from before it was kept, or none behind it).
 */
type Recipient = typeof members.$inferSelect & { language: Lang | null }

/**
 * An announcement's run, whether its community asks members to prove their contacts, and whether
 * an admin stopped it.
 */
interface RunToSend {
  announcement: Announcement
  asksForProof: boolean
  cancelled: boolean
}

/** One message to one member, or why not; signed when its turn comes. */
async function attempt(
  config: Config,
  member: Recipient | undefined,
  /** When the member's number last sent STOP, if that still stands. */
  stop: Date | undefined,
  run: RunToSend | undefined,
  message: DeliveryKey,
  pace: Pace,
  clock: () => Date,
): Promise<SendResult | SkipResult | CancelResult> {
  // A stopped run sends nothing more. Its deliveries waiting then were settled by the stop
  // (`cancelRun`); one that comes back after it (a retry of a send under way at the time, or a
  // message WhatsApp's failure status queued again) is settled the same way here.
  if (run?.cancelled) return { outcome: 'cancelled' }
  if (!member || member.status !== 'active') return { outcome: 'skipped', reason: 'member left' }
  if (!run) return { outcome: 'failed', error: 'announcement deleted' }
  const { announcement, asksForProof } = run
  if (announcement.pausedAt) return pausedSkip(run)
  // Consent is per contact: only a contact its owner confirmed, and whose owner has not taken
  // it back since, is ever written to or passed on.
  const stopped = !reachableAfterStop(stop, member)
  const phoneConsent = consentStands(
    member.phoneConfirmedAt,
    member.phoneConsentMethod,
    asksForProof,
  )
  const emailConsent = consentStands(
    member.emailConfirmedAt,
    member.emailConsentMethod,
    asksForProof,
  )
  const phone = phoneConsent && !stopped ? member.phone : null
  const email = emailConsent ? member.email : null
  if (config.DELIVERY_CHANNEL === 'whatsapp') {
    if (!member.phone) return { outcome: 'skipped', reason: 'no phone number' }
    if (!phoneConsent) return { outcome: 'skipped', reason: 'phone number not confirmed' }
    if (!phone) return { outcome: 'skipped', reason: 'the number sent STOP' }
    await pace()
    // Paused by a send of this batch while this one waited for its turn.
    if (run.announcement.pausedAt) return pausedSkip(run)
    return sendWhatsAppMessage(
      config,
      phone,
      announcementTextFor(announcement, member),
      member.language,
    )
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
          // The language of the pages they signed up on; null where that is not known.
          language: member.language,
        },
        // In that language where the announcement has a text in it, otherwise its body.
        text: announcementTextFor(announcement, member),
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
    { sent: number; failed: number; skipped: number; unknown: number; cancelled: number }
  >()
  // Per run, the latest retry put off (see `isStalled`).
  const latestRetry = new Map<string, number>()
  const alike = new Map<string, { outcome: Outcome; keys: Array<[string, string]> }>()
  const statements: BatchItem<'sqlite'>[] = []
  for (const [key, outcome] of outcomes) {
    const [dispatchId, memberId] = key.split('|') as [string, string]
    const counter = counters.get(dispatchId) ?? {
      sent: 0,
      failed: 0,
      skipped: 0,
      unknown: 0,
      cancelled: 0,
    }
    if (outcome.status !== 'queued') counter[outcome.status] += 1
    counters.set(dispatchId, counter)
    if (outcome.nextAttemptAt) {
      latestRetry.set(dispatchId, Math.max(latestRetry.get(dispatchId) ?? 0, outcome.nextAttemptAt))
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
    const settled = c.sent + c.failed + c.skipped + c.unknown + c.cancelled
    statements.push(
      db
        .update(dispatches)
        .set({
          queued: sql`${dispatches.queued} - ${settled}`,
          sent: sql`${dispatches.sent} + ${c.sent}`,
          failed: sql`${dispatches.failed} + ${c.failed}`,
          skipped: sql`${dispatches.skipped} + ${c.skipped}`,
          unknown: sql`${dispatches.unknown} + ${c.unknown}`,
          cancelled: sql`${dispatches.cancelled} + ${c.cancelled}`,
          progressAt: now,
          ...(latestRetry.has(dispatchId)
            ? {
                waitingUntil: sql`max(coalesce(${dispatches.waitingUntil}, 0), ${latestRetry.get(dispatchId)})`,
              }
            : {}),
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
