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
import {
  changedSince,
  CLAIM_CHUNK,
  CLAIM_FAILED_RETRY_SECONDS,
  claimer,
  reachableNow,
  type Claim,
} from './send-claims'

/** Announcement messages, sent at most once each, at the sender's pace. */

/** Sends of one batch in flight at once, at most; the pace decides when each may start. */
export const MAX_SENDS_IN_FLIGHT = 50

/**
 * Delivers a batch of announcement messages, each at most once, in a few D1 queries: the members
 * and runs are read first, each delivery is claimed when its send's turn comes (claims that come
 * within moments share a statement, `claimer`), and one batch settles them all and moves the
 * runs' counters.
 *
 * At most once: a delivery is claimed (`queued` to `sending`) right before it leaves, so a
 * redelivered queue message finds it taken and is acknowledged without sending (so is a second
 * copy within one batch). Claimed at its turn, not when the batch came: a consumer that dies
 * leaves those whose turn had not come waiting, for the reconciler to queue again, and only the
 * sends under way in doubt (`reconcileRuns`). The claim reads the member again, so a STOP, a
 * departure or an erasure while the send waited for its turn holds.
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
  const claimNow = claimer(db, clock)
  const claim = async (message: DeliveryKey): Promise<Claim | null> => {
    const claimed = await claimNow(message)
    if (claimed) attempts.set(key(message), claimed.attempts)
    return claimed
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
  let next = 0
  const sender = async () => {
    while (next < unique.length) {
      const message = unique[next++]!
      const member = people.get(message.memberId)
      const outcome = await attempt(
        config,
        member,
        member?.phone ? stops.get(member.phone) : undefined,
        announcementOf.get(message.dispatchId),
        message,
        pace,
        () => claim(message),
        clock,
      ).catch((error: unknown): SendResult | NotClaimed => {
        logError({ delivery: key(message) }, error)
        // Not claimed (the claim itself failed): left as it is, for the queue to bring again.
        if (!attempts.has(key(message))) {
          verdicts.set(key(message), { action: 'retry', delaySeconds: CLAIM_FAILED_RETRY_SECONDS })
          return { outcome: 'not-claimed' }
        }
        return { outcome: 'retry', error: 'unexpected error' }
      })
      // Another consumer has it (a copy of the message), or it is settled already.
      if (outcome.outcome === 'not-claimed') continue
      settle(message, outcome)
      pauseOnSpamLimit(announcementOf.get(message.dispatchId), outcome, now)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(MAX_SENDS_IN_FLIGHT, unique.length) }, () => sender()),
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
/** Not this consumer's: claimed by another, or settled already. Nothing to record. */
type NotClaimed = { outcome: 'not-claimed' }

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
  /** Claims the delivery (`claimer`): null when it is not this consumer's to send. */
  claim: () => Promise<Claim | null>,
  clock: () => Date,
): Promise<SendResult | SkipResult | CancelResult | NotClaimed> {
  // Settled without a send: claimed first, so that it is settled once.
  const without = async (result: SkipResult | CancelResult | SendResult) =>
    (await claim()) ? result : ({ outcome: 'not-claimed' } as const)
  // A stopped run sends nothing more. Its deliveries waiting then were settled by the stop
  // (`cancelRun`); one that comes back after it (a retry of a send under way at the time, or a
  // message WhatsApp's failure status queued again) is settled the same way here.
  if (run?.cancelled) return without({ outcome: 'cancelled' })
  if (!member || member.status !== 'active') {
    return without({ outcome: 'skipped', reason: 'member left' })
  }
  if (!run) return without({ outcome: 'failed', error: 'announcement deleted' })
  const { announcement, asksForProof } = run
  if (announcement.pausedAt) return without(pausedSkip(run))
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
    if (!member.phone) return without({ outcome: 'skipped', reason: 'no phone number' })
    if (!phoneConsent) {
      return without({ outcome: 'skipped', reason: 'phone number not confirmed' })
    }
    if (!phone) return without({ outcome: 'skipped', reason: 'the number sent STOP' })
    await pace()
    // Claimed only now that its turn came: a Worker stopped before leaves it waiting, not in
    // doubt; and what changed while it waited (a STOP, the member erased or gone) holds.
    const claimed = await claim()
    if (!claimed) return { outcome: 'not-claimed' }
    const changed = changedSince(claimed, phone, asksForProof)
    if (changed) return changed
    // Paused by a send of this batch while this one waited for its turn.
    if (run.announcement.pausedAt) return pausedSkip(run)
    return sendWhatsAppMessage(
      config,
      phone,
      announcementTextFor(announcement, member),
      member.language,
    )
  }
  if (!phone && !email) return without({ outcome: 'skipped', reason: 'no confirmed contact' })
  if (!config.DELIVERY_WEBHOOK_URL || !config.DELIVERY_WEBHOOK_SECRET) {
    return without({
      outcome: 'failed',
      error: 'webhook channel is not configured (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)',
    })
  }
  await pace()
  const claimed = await claim()
  if (!claimed) return { outcome: 'not-claimed' }
  if (claimed.memberStatus !== 'active') return { outcome: 'skipped', reason: 'member left' }
  // A STOP that came while it waited takes the number out of what the partner is given.
  const shownPhone = phone && reachableNow(claimed) ? phone : null
  if (!shownPhone && !email) return { outcome: 'skipped', reason: 'no confirmed contact' }
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
          phone: shownPhone,
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
            // Not for a member erased while it was sent: Meta's id holds the number, and the
            // erasure took it from every delivery of theirs (services/erasure.ts).
            providerMessageId: sql`case when exists (select 1 from ${members} where ${members.id} = ${deliveries.memberId}) then ${outcome.providerMessageId} else null end`,
            updatedAt: now,
            ...(outcome.status === 'sent' ? { sentAt: now } : {}),
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
            ...(outcome.status === 'sent' ? { sentAt: now } : {}),
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
