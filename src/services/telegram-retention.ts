import { and, eq, inArray, isNotNull, ne, notExists, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { groups, members, telegramMemberships } from '../db/schema'

/**
 * How long what Telegram told us about people is kept (docs/security.md, "What is kept, and for
 * how long"): the chat memberships it reported, the join requests admins decided, and the
 * accounts that started the bot.
 */

const DAY_MS = 86_400_000

/**
 * Days an ended membership (the person left or was removed) is kept after its last report.
 * Resent and late updates arrive within a day (their ids are kept a week, `pruneTelegramUpdates`),
 * and the verified funnel counts each join and leave into its daily rollups when it is reported,
 * so after that the row orders nothing and nothing reads it; a month is a wide margin.
 */
const TELEGRAM_ENDED_MEMBERSHIP_DAYS = 30

/**
 * Days a declined join request, or one Telegram no longer had (`gone`), is kept after the
 * decision: admins look back at recent decisions; nothing else reads them. An approved request
 * stays as long as the community: it is the record of the admission, and the person's join by
 * another route is credited through it.
 */
const TELEGRAM_DECIDED_REQUEST_DAYS = 30

/**
 * Days an account that started the bot with no member's code (linked to no member) is kept as it
 * is after its last status change. Nothing is sent to it (the bot tells them so) and nothing
 * reads the row but the ordering of a late `/stop` against the start, which Telegram resends
 * within a day. Then a start goes, and a `/stop` keeps only what proves it (user id, dates,
 * update ids), as an erased member's does. A later `/start` with a code links the account.
 */
const TELEGRAM_UNLINKED_DAYS = 30

/** Rows each statement deletes per cron run at most; the rest wait for the next hour. */
const PRUNE_LIMIT = 1000

/**
 * The hourly sweep, one batch (a transaction): ended memberships whose last report is older than
 * `TELEGRAM_ENDED_MEMBERSHIP_DAYS`, declined or gone join requests decided more than
 * `TELEGRAM_DECIDED_REQUEST_DAYS` ago, and, for accounts that started the bot linked to no
 * member and whose status is older than `TELEGRAM_UNLINKED_DAYS`, the start, or the name kept
 * with a `/stop`; oldest first. Each statement is bounded and searches its own index
 * (`telegram_memberships_ended_idx`, `telegram_join_requests_decided_idx`,
 * `telegram_contacts_unlinked_idx`). Answers how many rows went or were emptied.
 */
export async function pruneTelegramPeople(
  db: Database,
  now: Date,
): Promise<{ memberships: number; joinRequests: number; starts: number; stops: number }> {
  const client = db.$client
  const reports = now.getTime() - TELEGRAM_ENDED_MEMBERSHIP_DAYS * DAY_MS
  const decisions = now.getTime() - TELEGRAM_DECIDED_REQUEST_DAYS * DAY_MS
  const unlinked = now.getTime() - TELEGRAM_UNLINKED_DAYS * DAY_MS
  const [ended, requests, starts, stops] = await client.batch([
    client
      .prepare(
        `delete from telegram_memberships where rowid in (select rowid from telegram_memberships
           where is_member = 0 and status_at < ?1 order by status_at limit ${PRUNE_LIMIT})`,
      )
      .bind(reports),
    client
      .prepare(
        `delete from telegram_join_requests where id in (select id from telegram_join_requests
           where status in ('declined', 'gone') and decided_at < ?1
           order by decided_at limit ${PRUNE_LIMIT})`,
      )
      .bind(decisions),
    client
      .prepare(
        `delete from telegram_contacts where user_id in (select user_id from telegram_contacts
           where member_id is null and status = 'started' and status_at < ?1
           order by status_at limit ${PRUNE_LIMIT})`,
      )
      .bind(unlinked),
    client
      .prepare(
        `update telegram_contacts set first_name = '', username = null, language_code = null
         where user_id in (select user_id from telegram_contacts
           where member_id is null and status = 'stopped' and first_name <> '' and status_at < ?1
           order by status_at limit ${PRUNE_LIMIT})`,
      )
      .bind(unlinked),
  ])
  return {
    memberships: ended!.meta.changes,
    joinRequests: requests!.meta.changes,
    starts: starts!.meta.changes,
    stops: stops!.meta.changes,
  }
}

/**
 * Forgets the Telegram accounts of the members `members` selects (a subquery, with the
 * parameters it binds), for an erasure or the deletion of their community: those linked to them
 * by their deep link, and the start of a member who joined in the chat itself (their account,
 * `members.telegram_user_id`) that is linked to no member: a plain `/start` is all such a member
 * can send, and it carries their name. An account still `started` goes, so the bot writes to it
 * no more; one that sent `/stop` (or blocked the bot) stays as the proof of that opt-out, with
 * its user id, the dates and update ids of its start and stop, and nothing else: no name, user
 * name, language or member.
 */
export function forgetTelegramContacts(
  client: D1Database,
  members: { sql: string; params: unknown[] },
): D1PreparedStatement[] {
  const linked = `(member_id is not null and member_id in (${members.sql}) or member_id is null
    and user_id in (select telegram_user_id from members
      where telegram_user_id is not null and id in (${members.sql})))`
  return [
    client
      .prepare(`delete from telegram_contacts where status = 'started' and ${linked}`)
      .bind(...members.params),
    client
      .prepare(
        `update telegram_contacts set member_id = null, linked_by = null, first_name = '',
           username = null, language_code = null
         where ${linked}`,
      )
      .bind(...members.params),
  ]
}

/**
 * Who Telegram reported joining and leaving the chats a community's groups are linked to, with
 * their names, deleted with the community (before its groups and members go): once no group
 * follows a chat, nothing reads them. So are its members' rows in chats it no longer follows
 * (kept for their leave, `forgetChatOfGroup`), unless another community's group follows it now.
 */
export function forgetCommunityChats(
  client: D1Database,
  communityId: string,
): D1PreparedStatement[] {
  return [
    client
      .prepare(
        `delete from telegram_memberships where chat_id in (select telegram_chat_id from groups
           where community_id = ?1 and telegram_chat_id is not null)`,
      )
      .bind(communityId),
    client
      .prepare(
        `delete from telegram_memberships
         where (chat_id, user_id) in (select telegram_chat_id, telegram_user_id from members
             where community_id = ?1 and telegram_user_id is not null)
           and not exists (select 1 from groups
             where telegram_chat_id = telegram_memberships.chat_id and community_id <> ?1)`,
      )
      .bind(communityId),
  ]
}

/**
 * Who Telegram reported joining and leaving the chat a group is linked to, deleted when the group
 * goes or is linked elsewhere (`keep`: the chat it is linked to now, whose reports stay): no
 * group follows that chat any more. The row of a person who is still one of our members through
 * that chat stays until they leave it: their leave, whenever it comes, is counted for the link
 * they joined through and in its retention (a chat linked again counts on as before), and the
 * hourly sweep takes the row 30 days after. Reads the group's link in the statement itself, so
 * it runs in the batch before the change.
 */
export function forgetChatOfGroup(db: Database, groupId: string, keep: number | null) {
  const linkedChat = db
    .select({ chatId: groups.telegramChatId })
    .from(groups)
    .where(
      and(
        eq(groups.id, groupId),
        isNotNull(groups.telegramChatId),
        keep === null ? undefined : ne(groups.telegramChatId, keep),
      ),
    )
  const stillAMember = db
    .select({ one: sql`1` })
    .from(members)
    .where(
      and(
        eq(members.telegramChatId, telegramMemberships.chatId),
        eq(members.telegramUserId, telegramMemberships.userId),
        eq(members.status, 'active'),
      ),
    )
  return db
    .delete(telegramMemberships)
    .where(and(inArray(telegramMemberships.chatId, linkedChat), notExists(stillAMember)))
}
