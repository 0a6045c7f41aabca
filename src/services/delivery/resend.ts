import { and, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { deliveries, dispatches, type Announcement } from '../../db/schema'
import { chunks } from '../../lib/chunks'
import { ApiError } from '../../lib/errors'
import type { DeliveryChannel } from '../../db/schema'
import type { DeliveryMessage } from './messages'

/** Failed deliveries sent again per request; the rest wait for the next press. */
const RESEND_ROWS = 500

/**
 * Sends an announcement's latest WhatsApp run again to the members it failed to reach: the
 * deliveries refused when sent, and those WhatsApp accepted and later reported undelivered (the
 * report shows both as failed; a retryable report was already retried by itself). Each is sent
 * again at most once (`resentAt` records it, so pressing twice sends nothing twice), and only to
 * members still in the community whose phone number is confirmed. The send itself checks consent again, as every send does. A run that
 * had finished is reopened; if the queue loses a message, the reconciler moves the rows on.
 * Returns how many were queued again.
 */
export async function resendFailed(
  db: Database,
  queue: Queue,
  channel: DeliveryChannel,
  announcement: Announcement,
  now: Date,
): Promise<number> {
  const run =
    channel === 'whatsapp'
      ? await db.query.dispatches.findFirst({
          where: and(
            eq(dispatches.announcementId, announcement.id),
            eq(dispatches.channel, 'whatsapp'),
          ),
          orderBy: desc(dispatches.scheduledFor),
        })
      : undefined
  if (!run || run.status === 'cancelled') {
    throw new ApiError(
      'invalid_state',
      'Only a WhatsApp run that was not stopped can be sent again to those it failed to reach.',
    )
  }
  const reset = {
    status: 'queued' as const,
    attempts: 0,
    nextAttemptAt: now.getTime(),
    resentAt: now,
    updatedAt: now,
    providerMessageId: null,
    providerStatus: null,
    sentAt: null,
    errorCode: null,
    errorTitle: null,
  }
  // The same members, by which counter they leave: refused at sending, or undelivered after.
  const failedAgain = (shown: SQL) =>
    db
      .update(deliveries)
      .set(reset)
      .where(
        sql`(${deliveries.dispatchId}, ${deliveries.memberId}) in (
          select d.dispatch_id, d.member_id from deliveries d join members m on m.id = d.member_id
          where d.dispatch_id = ${run.id} and ${shown} and d.resent_at is null
            and m.status = 'active' and m.phone_confirmed_at is not null
          limit ${RESEND_ROWS})`,
      )
      .returning({ memberId: deliveries.memberId })
  // changes() is the update just before each: the counters move by exactly the rows it reset.
  const moveCounters = (from: 'refused' | 'undelivered') =>
    db
      .update(dispatches)
      .set({
        status: sql`case when changes() > 0 and ${dispatches.status} = 'done' then 'expanded' else ${dispatches.status} end`,
        finishedAt: sql`case when changes() > 0 then null else ${dispatches.finishedAt} end`,
        queued: sql`${dispatches.queued} + changes()`,
        progressAt: now,
        ...(from === 'refused'
          ? { failed: sql`${dispatches.failed} - changes()` }
          : {
              sent: sql`${dispatches.sent} - changes()`,
              undelivered: sql`${dispatches.undelivered} - changes()`,
            }),
      })
      .where(eq(dispatches.id, run.id))
  const [refused, , undelivered] = await db.batch([
    failedAgain(sql`d.status = 'failed'`),
    moveCounters('refused'),
    failedAgain(sql`d.status = 'sent' and d.provider_status = 'failed'`),
    moveCounters('undelivered'),
  ])
  const again = [...refused, ...undelivered]
  for (const part of chunks(again, 100)) {
    await queue.sendBatch(
      part.map(({ memberId }) => ({
        body: { kind: 'announce', dispatchId: run.id, memberId } satisfies DeliveryMessage,
      })),
    )
  }
  return again.length
}
