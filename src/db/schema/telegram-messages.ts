import { sql } from 'drizzle-orm'
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { dispatches } from './announcements'

/** What the bot says: announcements posted to chats, and the people who started the bot. */

export const TELEGRAM_POST_STATUSES = [
  'queued',
  'sending',
  'sent',
  'failed',
  'skipped',
  'unknown',
] as const

export type TelegramPostStatus = (typeof TELEGRAM_POST_STATUSES)[number]

/**
 * One announcement run posted to one Telegram chat (`sendMessage`): to a linked group's chat, a
 * single message the whole chat sees (`groupId`), or to the private chat of a member who started
 * the bot (`memberId`; the chat id is their user id). Kept apart from the run's per-member
 * deliveries through the announcement channel: Telegram reports neither delivery nor reading.
 * Like a delivery it is claimed (`queued` to `sending`) before it leaves, so a copy of its queue
 * message never posts twice; `messageId` is Telegram's `message_id` of the post.
 * `nextAttemptAt` (ms): when a `queued` post is due (Telegram's `retry_after` after a 429); one
 * due long ago whose queue message was lost is enqueued again by the cron job. A post left
 * `sending` (its outcome unknown: Telegram does not deduplicate) is never sent again but settled
 * `unknown`.
 */
export const telegramPosts = sqliteTable(
  'telegram_posts',
  {
    dispatchId: text('dispatch_id')
      .notNull()
      .references(() => dispatches.id, { onDelete: 'cascade' }),
    chatId: integer('chat_id').notNull(),
    groupId: text('group_id'),
    memberId: text('member_id'),
    status: text('status', { enum: TELEGRAM_POST_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    messageId: integer('message_id'),
    lastError: text('last_error'),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    updatedAt: timestamp('updated_at').notNull(),
    sentAt: timestamp('sent_at'),
  },
  (t) => [
    primaryKey({ columns: [t.dispatchId, t.chatId] }),
    // The cron job's look-up: open posts by when they are due or were claimed.
    index('telegram_posts_open_idx')
      .on(t.status, t.nextAttemptAt)
      .where(sql`status in ('queued', 'sending')`),
    check(
      'telegram_posts_status_check',
      sql`${t.status} in ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown')`,
    ),
  ],
)

export type TelegramPost = typeof telegramPosts.$inferSelect

export const TELEGRAM_CONTACT_STATUSES = ['started', 'stopped'] as const

export type TelegramContactStatus = (typeof TELEGRAM_CONTACT_STATUSES)[number]

/**
 * How a start linked an account to a member: the member's own signed deep link, or a referral
 * code they share with anyone (open communities only, and only while they stay open).
 */
export const TELEGRAM_LINK_KINDS = ['member_link', 'referral_code'] as const

/**
 * A Telegram user who started the bot in a private chat (`/start`, with a member's referral code
 * as the deep-link payload): the bot may write to them one by one until they send `/stop`. The
 * consent record is the contact's own: its method and the `update_id` of the message that gave
 * it (a `/start` from their own account proves that account). `memberId`: the member whose
 * signed deep link or referral code came with it (null: a start without one), `linkedBy` which. `statusAt` is the Telegram `date` of
 * the message that set the status, so a `/stop` applied after a later `/start` does not win.
 * Erasing the member, or deleting their community, deletes a start; a `/stop` stays as its proof,
 * without name, user name, language or member (`forgetTelegramContacts`). Linked to no member,
 * nothing is sent to the account: 30 days after its last status change a start goes and a `/stop`
 * loses its name, user name and language (`pruneTelegramPeople`).
 */
export const telegramContacts = sqliteTable(
  'telegram_contacts',
  {
    userId: integer('user_id').primaryKey(),
    memberId: text('member_id'),
    // Null where no member is linked, or for a link made before this was recorded.
    linkedBy: text('linked_by', { enum: TELEGRAM_LINK_KINDS }),
    firstName: text('first_name').notNull(),
    username: text('username'),
    languageCode: text('language_code'),
    status: text('status', { enum: TELEGRAM_CONTACT_STATUSES }).notNull(),
    confirmedAt: timestamp('confirmed_at').notNull(),
    consentMethod: text('consent_method').notNull(),
    consentProof: text('consent_proof').notNull(),
    stoppedAt: timestamp('stopped_at'),
    stopProof: text('stop_proof'),
    statusAt: timestamp('status_at').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('telegram_contacts_member_idx')
      .on(t.memberId)
      .where(sql`member_id is not null`),
    // Accounts linked to no member that still hold something the hourly cron job forgets after
    // a while: a start (the row goes), or a `/stop` that still has a name (the name goes).
    index('telegram_contacts_unlinked_idx')
      .on(t.statusAt)
      .where(sql`member_id is null and (status = 'started' or first_name <> '')`),
    check('telegram_contacts_status_check', sql`${t.status} in ('started', 'stopped')`),
    check('telegram_contacts_method_check', sql`${t.consentMethod} in ('telegram_start')`),
    check(
      'telegram_contacts_linked_by_check',
      sql`${t.linkedBy} in ('member_link', 'referral_code')`,
    ),
  ],
)

export type TelegramContact = typeof telegramContacts.$inferSelect
