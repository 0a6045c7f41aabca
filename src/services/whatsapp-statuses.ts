import { eq } from 'drizzle-orm'
import type { Database } from '../db/client'
import { members, type ProviderStatus } from '../db/schema'
import type { Config } from '../lib/config'
import { newId } from '../lib/ids'
import { logError } from '../lib/log'
import { DEFER_SECONDS, errorCodeIn, whatsAppErrorPolicy } from '../platforms/whatsapp/errors'
import type { InboundItem } from '../platforms/whatsapp/schemas'
import { backoffSeconds, type DeliveryMessage } from './delivery/messages'
import { endMembership } from './leaving'
import { applyOptChoice, IN_WHATSAPP } from './opt-outs'

/**
 * What WhatsApp reports about the messages we sent: a status applied to its delivery (see
 * `whatsapp-inbound.ts` for the rest of the notifications), and what a refusal means beyond
 * the one message.
 */

/** What applying WhatsApp's notifications needs besides the database. */
export interface InboundDeps {
  config: Config
  /** Where a message that failed for a passing reason is queued again. */
  deliveryQueue: Queue
}

/** Reported statuses only move forward: `read` never returns to `delivered`. */
const RANK: Record<ProviderStatus, number> = { sent: 1, delivered: 2, failed: 2, read: 3 }

/** The delivery a status is about, as `applyStatus` reads it by the message id. */
interface StatusDelivery {
  dispatchId: string
  memberId: string
  providerStatus: ProviderStatus | null
  attempts: number
  /** Whether an admin stopped its run: nothing of it is sent again. */
  runStopped: 0 | 1
}

const DELIVERY_COLUMNS = `dispatch_id as dispatchId, member_id as memberId,
  provider_status as providerStatus, attempts,
  (select status = 'cancelled' from dispatches where id = dispatch_id) as runStopped`

/** The delivery of one message id (?1). */
const DELIVERY_BY_MESSAGE = `select ${DELIVERY_COLUMNS} from deliveries
  where provider_message_id = ?1 limit 1`

/** The deliveries of many message ids at once (?1, a JSON array of them). */
const DELIVERIES_BY_MESSAGES = `select provider_message_id as wamid, ${DELIVERY_COLUMNS}
  from deliveries
  where provider_message_id is not null and provider_message_id in (select value from json_each(?1))`

/** The most message ids looked up in one statement (a queue batch holds at most 100 items). */
const MAX_LOOKUP = 100

/**
 * The deliveries a batch's statuses are about, read in one statement per 100 statuses instead
 * of one each: a broadcast's statuses arrive by the thousand, and the lookup per status was
 * the largest share of the consumer's work. Each delivery found serves the first status of its
 * message id only (`take`); a later status of the same message in the batch reads the delivery
 * again, as the first may have changed it. A lookup that fails leaves every status to read its
 * own.
 *
 * Whether a send is in flight is read in the same batch, before the deliveries: a status is
 * about a send claimed before the status was queued, so a send not in flight then was recorded
 * by then, and a message id not found is not ours. Read after, the sender could record its batch
 * between the two reads, and the status would be taken for another's.
 */
export async function deliveriesOfStatuses(
  db: Database,
  items: InboundItem[],
): Promise<DeliveryLookup> {
  const wamids = [...new Set(items.flatMap((item) => (item.kind === 'status' ? [item.wamid] : [])))]
  const found = new Map<string, StatusDelivery | null>()
  let inFlight: Promise<boolean> | undefined
  const client = db.$client
  try {
    if (wamids.length > 0) {
      const chunks: string[][] = []
      for (let i = 0; i < wamids.length; i += MAX_LOOKUP)
        chunks.push(wamids.slice(i, i + MAX_LOOKUP))
      const [flag, ...lookups] = await client.batch([
        client.prepare(SENDS_IN_FLIGHT),
        ...chunks.map((chunk) =>
          client.prepare(DELIVERIES_BY_MESSAGES).bind(JSON.stringify(chunk)),
        ),
      ])
      inFlight = Promise.resolve(flag!.results.length > 0)
      for (const [n, chunk] of chunks.entries()) {
        for (const wamid of chunk) found.set(wamid, null)
        const rows = lookups[n]!.results as Array<StatusDelivery & { wamid: string }>
        for (const { wamid, ...delivery } of rows) found.set(wamid, delivery)
      }
    }
  } catch {
    // Each status then reads its own delivery, as without the lookup.
    found.clear()
    inFlight = undefined
  }
  return {
    take(wamid, status) {
      const delivery = found.get(wamid)
      // A message id with no delivery (not ours, or pruned) stays so for the whole batch: its
      // later statuses are not looked up again, since applying the first changed nothing. A
      // failure reads its own: its message may have been stored a moment after the look-up, and
      // a failure decides a retry or an opt-out.
      if (delivery !== null) found.delete(wamid)
      return delivery === null && status === 'failed' ? undefined : delivery
    },
    sendsInFlight() {
      return (inFlight ??= sendsInFlight(db))
    },
  }
}

/** Deliveries read ahead for a batch's statuses: `undefined` when a status must read its own. */
export interface DeliveryLookup {
  take(wamid: string, status: ProviderStatus): StatusDelivery | null | undefined
  /** Whether a send was in flight when the deliveries were read (`SENDS_IN_FLIGHT`). */
  sendsInFlight(): Promise<boolean>
}

/**
 * Whether a WhatsApp run has a delivery being sent now: claimed, perhaps accepted by Meta
 * already, its message id not recorded yet (the sender records a batch's message ids together,
 * once every send of the batch has been answered).
 */
const SENDS_IN_FLIGHT = `select 1 as inFlight from dispatches d
  where d.status in ('expanding', 'expanded') and d.channel = 'whatsapp'
    and exists (select 1 from deliveries where dispatch_id = d.id and status = 'sending')
  limit 1`

async function sendsInFlight(db: Database): Promise<boolean> {
  return (await db.$client.prepare(SENDS_IN_FLIGHT).first<{ inFlight: number }>()) !== null
}

/**
 * What `applyStatus` answers for a message id with no delivery while a send is in flight: the
 * status may be about a message Meta accepted a moment ago, whose id the sender has not
 * recorded yet (Meta's statuses can arrive before its answer to the send has been read).
 */
export const NOT_RECORDED_YET = 'not-recorded-yet'

/**
 * A sent message's status. A message id with no delivery is either not recorded yet (a send is
 * in flight: `NOT_RECORDED_YET`, to be tried again a little later) or not ours, or pruned, and
 * ignored. A failure is handled by the error-code policy: sent again later, deferred, the
 * broadcast paused, or final (and the subscription ended when the person opted out of
 * marketing).
 */
export async function applyStatus(
  db: Database,
  deps: InboundDeps,
  item: Extract<InboundItem, { kind: 'status' }>,
  now: Date,
  /** Deliveries read ahead for the batch this status came in (`deliveriesOfStatuses`). */
  lookup: DeliveryLookup,
): Promise<string> {
  const known = lookup.take(item.wamid, item.status)
  // A plain statement: a broadcast's statuses arrive by the thousand, and building this lookup
  // with drizzle's relational builder took more of the consumer's CPU than running it.
  const delivery =
    known !== undefined
      ? known
      : await db.$client.prepare(DELIVERY_BY_MESSAGE).bind(item.wamid).first<StatusDelivery>()
  if (!delivery) {
    return (await lookup.sendsInFlight()) ? NOT_RECORDED_YET : 'unknown'
  }
  const old = delivery.providerStatus
  if (old && RANK[item.status] <= RANK[old]) return 'stale'
  const client = db.$client
  const nowMs = now.getTime()
  const where = `dispatch_id = ?1 and member_id = ?2 and provider_message_id = ?3 and provider_status is ?4`
  const keys = [delivery.dispatchId, delivery.memberId, item.wamid, old] as const
  const policy = item.status === 'failed' ? whatsAppErrorPolicy(item.errorCode) : null

  // A stopped run sends nothing more: its message's failure is final, recorded as any other
  // (queued again, it would wait for a sender that settles it cancelled, and for good should
  // its queue message be lost, as the reconciler moves only runs still going).
  if (
    policy &&
    (policy.action === 'retry' || policy.action === 'defer') &&
    delivery.attempts < deps.config.DELIVERY_MAX_ATTEMPTS &&
    !delivery.runStopped
  ) {
    const delaySeconds =
      policy.action === 'defer'
        ? DEFER_SECONDS
        : backoffSeconds(deps.config.DELIVERY_RETRY_BASE_SECONDS, delivery.attempts)
    const due = nowMs + delaySeconds * 1000
    // Sent again: the delivery is queued once more, due when its queue message is, and counted
    // as such. Its run has work left again: one that was done is reopened (as a resend does), so
    // that should the queue message below be lost, the reconciler sends it once it is overdue.
    const [requeued] = await client.batch([
      client
        .prepare(
          `update deliveries set status = 'queued', provider_status = null, provider_message_id = null,
             sent_at = null, error_code = ?5, error_title = ?6, last_error = ?7, updated_at = ?8, next_attempt_at = ?9
           where ${where} and status = 'sent'
             and (select status from dispatches where id = ?1) is not 'cancelled'`,
        )
        .bind(...keys, item.errorCode, item.errorTitle, policy.reason, nowMs, due),
      client
        .prepare(
          `update dispatches set sent = sent - changes(), queued = queued + changes(),
             status = case when changes() > 0 and status = 'done' then 'expanded' else status end,
             finished_at = case when changes() > 0 and status = 'done' then null else finished_at end,
             progress_at = case when changes() > 0 then ?2 else progress_at end,
             waiting_until = case when changes() > 0 then max(coalesce(waiting_until, 0), ?3) else waiting_until end
           where id = ?1`,
        )
        .bind(delivery.dispatchId, nowMs, due),
    ])
    // Not queued: a copy of this status got there first, or the run was stopped since the
    // delivery was read, and then the failure is recorded below as final (a copy finds it stale).
    if (requeued!.meta.changes > 0) {
      await deps.deliveryQueue.send(
        {
          kind: 'announce',
          dispatchId: delivery.dispatchId,
          memberId: delivery.memberId,
        } satisfies DeliveryMessage,
        { delaySeconds },
      )
      return policy.action === 'defer' ? 'deferred' : 'retrying'
    }
  }

  // What a failure means beyond the message goes first: once the status is recorded, a copy of
  // it is stale, so an effect left for after it would be lost for good should the Worker stop or
  // a write fail in between. Each is safe to repeat (the pause and the leave act once; the stop
  // is the number's choice at this time), and a copy that finds them done changes nothing.
  if (policy?.action === 'pause') await pauseBroadcast(db, delivery.dispatchId, policy.reason, now)
  if (policy?.endsSubscription) {
    const member = await db.query.members.findFirst({ where: eq(members.id, delivery.memberId) })
    if (member) await endMembership(db, member, 'left', now, IN_WHATSAPP.ending)
    // As a refusal at send time (`actOnRefusals`): a stop of the number, held in WhatsApp.
    if (member?.phone) await applyOptChoice(db, member.phone, 'stop', now, IN_WHATSAPP, now)
  }
  const reachedNow = item.status === 'delivered' || item.status === 'read'
  const deliveredBefore = old === 'delivered' || old === 'read'
  const [updated] = await client.batch([
    client
      .prepare(
        `update deliveries set provider_status = ?5, error_code = coalesce(?6, error_code),
           error_title = coalesce(?7, error_title), last_error = coalesce(?8, last_error), updated_at = ?9,
           delivered_at = case when ?5 = 'delivered' then max(?10, coalesce(sent_at, 0)) else delivered_at end,
           read_at = case when ?5 = 'read' then max(?10, coalesce(delivered_at, sent_at, 0)) else read_at end
         where ${where}`,
      )
      .bind(
        ...keys,
        item.status,
        item.errorCode,
        item.errorTitle,
        // Final here: a limit that would have been tried again says it was not.
        policy ? (policy.notSentAgain ?? policy.reason) : null,
        nowMs,
        // When the chat app says it happened (a status queued before its time was kept: now),
        // never before the step it follows: a clock skewed, or a time of 0, cannot put a read
        // before its delivery in the report.
        item.timestamp !== undefined ? item.timestamp * 1000 : nowMs,
      ),
    // changes(): the counters move only if the status above did (a racing copy moves nothing).
    client
      .prepare(
        `update dispatches set delivered = delivered + ?2 * changes(), read = read + ?3 * changes(),
           undelivered = undelivered + ?4 * changes() where id = ?1`,
      )
      .bind(
        delivery.dispatchId,
        reachedNow && !deliveredBefore ? 1 : 0,
        item.status === 'read' ? 1 : 0,
        item.status === 'failed' ? 1 : 0,
      ),
  ])
  if (updated!.meta.changes === 0) return 'stale'
  return item.status
}

/**
 * What a refusal at send time means beyond the one message, by the same error-code table: the
 * person opted out of marketing (131050: the subscription ends), or the business hit the spam
 * rate limit (131048: the broadcast pauses). `outcomes` are a batch's deliveries as they are about
 * to be recorded, keyed `dispatchId|memberId`.
 *
 * The sender calls this before it records the batch (an effect left for after the record is lost
 * should the Worker stop in between). Each effect is safe to repeat, as when one number is refused
 * for two of its memberships: the pause acts once (and tells the admins once), the leave only
 * while the membership is active, and the number's stop at this time is recorded once and
 * finishes what a half-done one left. A refusal whose effect fails is logged and keeps neither
 * the others nor the record of the batch after them from being written: the messages the batch
 * sent are matched to their statuses by the ids that record keeps.
 */
export async function actOnRefusals(
  db: Database,
  outcomes: Map<string, { status: string; error: string | null }>,
  now: Date,
): Promise<void> {
  for (const [key, outcome] of outcomes) {
    const code = outcome.status === 'failed' ? errorCodeIn(outcome.error) : null
    if (code === null) continue
    const policy = whatsAppErrorPolicy(code)
    const [dispatchId, memberId] = key.split('|') as [string, string]
    try {
      if (policy.action === 'pause') await pauseBroadcast(db, dispatchId, policy.reason, now)
      if (policy.endsSubscription) {
        const member = await db.query.members.findFirst({ where: eq(members.id, memberId) })
        if (member) await endMembership(db, member, 'left', now, IN_WHATSAPP.ending)
        // Meta says the person stopped marketing messages in WhatsApp: a stop of the number, as
        // their preference is, for every membership of it and whatever comes later, held until
        // they resume them there.
        if (member?.phone) {
          await applyOptChoice(db, member.phone, 'stop', now, IN_WHATSAPP, now)
        }
      }
    } catch (error) {
      logError({ delivery: key, errorCode: code }, error)
    }
  }
}

/**
 * Stops a broadcast that hit WhatsApp's spam rate limit: nothing more of it is sent, and the
 * admins hear of it through the events outbox (`announcement.paused`).
 */
async function pauseBroadcast(
  db: Database,
  dispatchId: string,
  reason: string,
  now: Date,
): Promise<void> {
  const client = db.$client
  const nowMs = now.getTime()
  await client.batch([
    client
      .prepare(
        `update announcements set paused_at = ?2, pause_reason = ?3, updated_at = ?2
         where id = (select announcement_id from dispatches where id = ?1) and paused_at is null`,
      )
      .bind(dispatchId, nowMs, reason),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'announcement.paused', a.community_id,
           json_object('announcementId', a.id, 'dispatchId', ?1, 'reason', ?3), ?4
         from announcements a where a.id = (select announcement_id from dispatches where id = ?1)
           and changes() = 1`,
      )
      .bind(dispatchId, newId('evt', nowMs), reason, nowMs),
  ])
}
