import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { deliveries, dispatches, webhookDeliveries } from '../../db/schema'
import { type Config } from '../../lib/config'
import { chunks } from '../../lib/chunks'
import { RUN_STALL_MS, UNFINISHED_RUN_STATUSES } from '../announcements'
import { resendsWhenUnknown, type DeliveryMessage } from './messages'
import { finishRuns } from './claim'
import { EVENT_SENDING_STALE_MS, eventMaxAttempts } from './events'

/** The reconciler: the database is the source of truth, queue messages may be lost. */

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
 * - `queued` deliveries whose attempt was due a while ago (a stall time past `nextAttemptAt`)
 *   are enqueued again; the claim in `deliverEvent` makes sure that a copy still in the queue
 *   does not send twice, and a copy that comes before the attempt is due waits for it.
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
          sql`status = 'sending' and updated_at < ${staleSending} and attempts >= ${eventMaxAttempts(config)}`,
        ),
      )
      .returning(key),
    db
      .update(webhookDeliveries)
      .set({
        status: 'queued',
        lastError: 'interrupted; sent again with the same webhook-id',
        updatedAt: now,
        nextAttemptAt: 0,
      })
      .where(open(sql`status = 'sending' and updated_at < ${staleSending}`))
      .returning(key),
    db
      .update(webhookDeliveries)
      .set({ updatedAt: now })
      .where(
        open(
          sql`status = 'queued' and updated_at < ${stalledBefore} and next_attempt_at < ${stalledBefore}`,
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
