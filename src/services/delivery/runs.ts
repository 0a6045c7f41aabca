import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { deliveries, dispatches } from '../../db/schema'
import { type Config } from '../../lib/config'
import { ApiError, notFound } from '../../lib/errors'
import { isUnfinished, UNFINISHED_RUN_STATUSES } from '../announcements'
import { reconcileRun } from './reconcile'

/** An admin's control of a run: resume it now, or stop it. */

/** Why a delivery of a stopped run was not sent (see `FIXED_DELIVERY_REASONS`). */
export const RUN_CANCELLED = 'run cancelled'

/**
 * Stops a run: it expands no further, and its deliveries not yet claimed are settled
 * `cancelled`. Deliveries already `sending` settle as they end; one that comes back to be sent
 * again is settled `cancelled` by the sender (`deliverAnnouncements`).
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
      .set({ status: 'cancelled', lastError: RUN_CANCELLED, updatedAt: now })
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
