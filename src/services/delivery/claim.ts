import { and, asc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import {
  announcements,
  deliveries,
  dispatches,
  groupMembers,
  members,
  telegramContacts,
  telegramPosts,
  type Announcement,
  type DeliveryChannel,
} from '../../db/schema'
import { newId } from '../../lib/ids'
import { claimDueAnnouncements, nextRun } from '../announcements'
import { type DeliveryMessage } from './messages'
import { createTelegramPosts, enqueueTelegramPosts } from './telegram-posts'
import { logError } from '../../lib/log'

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
      logError({ announcement: announcement.id, outcome: 'dispatch deferred' }, error)
    }
  }
  return started
}

function audienceWhere(announcement: Announcement, cursor: string | null) {
  return and(
    eq(members.communityId, announcement.communityId),
    eq(members.status, 'active'),
    // Someone who joined in a Telegram chat gave us no contact: the post in their chat reaches
    // them (`createTelegramPosts`), and no message of their own could.
    sql`(${members.phone} is not null or ${members.email} is not null)`,
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
  // The first step also makes the run's posts to its Telegram-linked chats (none for a second
  // copy of the step); a failed enqueue leaves them queued for the cron job.
  if (run.cursor === null) {
    await enqueueTelegramPosts(queue, await createTelegramPosts(db, dispatchId, announcement, now))
  }
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
  const [, , moved, directPosts] = await db.batch([
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
            resentAt: sql<null>`null`.as('resent_at'),
            sentAt: sql<null>`null`.as('sent_at'),
            deliveredAt: sql<null>`null`.as('delivered_at'),
            readAt: sql<null>`null`.as('read_at'),
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
    // Members of the chunk who started the bot get it in their private chat with it too.
    db
      .insert(telegramPosts)
      .select(
        db
          .select({
            dispatchId: sql<string>`${dispatchId}`.as('dispatch_id'),
            chatId: sql<number>`${telegramContacts.userId}`.as('chat_id'),
            groupId: sql<null>`null`.as('group_id'),
            memberId: sql<string>`${members.id}`.as('member_id'),
            status: sql<'queued'>`'queued'`.as('status'),
            attempts: sql<number>`0`.as('attempts'),
            messageId: sql<null>`null`.as('message_id'),
            lastError: sql<null>`null`.as('last_error'),
            nextAttemptAt: sql<number>`${now.getTime()}`.as('next_attempt_at'),
            updatedAt: sql<Date>`${now.getTime()}`.as('updated_at'),
            sentAt: sql<null>`null`.as('sent_at'),
          })
          .from(members)
          .innerJoin(
            telegramContacts,
            and(
              eq(telegramContacts.memberId, members.id),
              eq(telegramContacts.status, 'started'),
              // A referral code is shared with anyone: it proves no approval, so an account it
              // linked hears from a community only while the community is open to anyone.
              sql`(${telegramContacts.linkedBy} is not 'referral_code'
                or (select visibility from communities where id = ${members.communityId}) = 'open')`,
            ),
          )
          .where(inChunk ?? sql`0`),
      )
      .onConflictDoNothing()
      .returning({ dispatchId: telegramPosts.dispatchId, chatId: telegramPosts.chatId }),
  ])
  if (moved.length === 0) return
  await enqueueTelegramPosts(queue, directPosts)
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
export async function finishRuns(db: Database, ids: string[], now: Date): Promise<void> {
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
