import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities } from './communities'
import { invites } from './invites'

/** What Telegram's Bot API tells us: the updates already applied and the chats the bot is in. */

/**
 * Telegram updates already applied, by `update_id`: Telegram resends an update it thinks was not
 * received (a slow answer), and our queue may deliver one twice. An update's effects and its row
 * here are written in one batch, so it acts exactly once. Old ids are pruned by the cron job.
 */
export const telegramUpdates = sqliteTable(
  'telegram_updates',
  {
    updateId: integer('update_id').primaryKey(),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [index('telegram_updates_received_idx').on(t.receivedAt)],
)

/** The bot's standing in a chat, as Telegram's `ChatMember.status` says. */
export const TELEGRAM_BOT_STATUSES = [
  'creator',
  'administrator',
  'member',
  'restricted',
  'left',
  'kicked',
] as const

export type TelegramBotStatus = (typeof TELEGRAM_BOT_STATUSES)[number]

export const TELEGRAM_CHAT_TYPES = ['group', 'supergroup', 'channel', 'private'] as const

export type TelegramChatType = (typeof TELEGRAM_CHAT_TYPES)[number]

/**
 * Chats the bot was added to (a `my_chat_member` update), with its status and the rights it was
 * given there. `statusAt` is the Telegram `date` of the update that set them: an older update
 * arriving late never overwrites a newer one.
 */
export const telegramChats = sqliteTable(
  'telegram_chats',
  {
    chatId: integer('chat_id').primaryKey(),
    type: text('type', { enum: TELEGRAM_CHAT_TYPES }).notNull(),
    title: text('title').notNull(),
    username: text('username'),
    botStatus: text('bot_status', { enum: TELEGRAM_BOT_STATUSES }).notNull(),
    canInviteUsers: integer('can_invite_users', { mode: 'boolean' }).notNull().default(false),
    // Approving join requests needs the same right (Telegram: can_invite_users); deleting
    // messages, restricting and the rest are not needed.
    canPostMessages: integer('can_post_messages', { mode: 'boolean' }).notNull().default(false),
    statusAt: timestamp('status_at').notNull(),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('telegram_chats_title_idx').on(t.botStatus, t.chatId),
    check(
      'telegram_chats_bot_status_check',
      sql`${t.botStatus} in ('creator', 'administrator', 'member', 'restricted', 'left', 'kicked')`,
    ),
    check(
      'telegram_chats_type_check',
      sql`${t.type} in ('group', 'supergroup', 'channel', 'private')`,
    ),
  ],
)

export type TelegramChat = typeof telegramChats.$inferSelect

export const TELEGRAM_LINK_STATUSES = ['pending', 'active', 'revoking', 'revoked'] as const

export type TelegramLinkStatus = (typeof TELEGRAM_LINK_STATUSES)[number]

/**
 * The chat's own invite link (createChatInviteLink) behind one of our campaign links: made ahead,
 * when our link is made, never while a visitor waits. `pending` until Telegram made it (a failed
 * or rate-limited call is retried by the cron job at `nextAttemptAt`); `revoking` until Telegram
 * revoked it after our link was revoked or rotated. Rows stay after revocation: a join reported
 * late through a revoked link is still credited to the link it came through.
 */
export const telegramInviteLinks = sqliteTable(
  'telegram_invite_links',
  {
    id: text('id').primaryKey(),
    inviteId: text('invite_id')
      .notNull()
      .references(() => invites.id, { onDelete: 'cascade' }),
    chatId: integer('chat_id').notNull(),
    url: text('url'),
    createsJoinRequest: integer('creates_join_request', { mode: 'boolean' }).notNull(),
    status: text('status', { enum: TELEGRAM_LINK_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at'),
    lastError: text('last_error'),
    // Set when Telegram kept refusing to make it (rights removed, chat gone): no more tries
    // until the chat is fixed (linked again, or the bot's rights restored), `lastError` says why.
    failedAt: timestamp('failed_at'),
    createdAt: timestamp('created_at').notNull(),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [
    uniqueIndex('telegram_invite_links_url_unique')
      .on(t.url)
      .where(sql`url is not null`),
    // The landing page and the link's JSON find its Telegram link by this.
    index('telegram_invite_links_invite_idx').on(t.inviteId, t.status),
    // One live Telegram link per campaign link.
    uniqueIndex('telegram_invite_links_live_unique')
      .on(t.inviteId)
      .where(sql`status in ('pending', 'active')`),
    // The live links into a chat, retired when its group leaves it (`retireLinksIntoChatOf`).
    index('telegram_invite_links_chat_live_idx')
      .on(t.chatId)
      .where(sql`status in ('pending', 'active')`),
    // Links given up on, found again when their chat is fixed: only they are in this index.
    index('telegram_invite_links_failed_idx')
      .on(t.chatId, t.inviteId)
      .where(sql`failed_at is not null`),
    index('telegram_invite_links_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`status in ('pending', 'revoking')`),
    check(
      'telegram_invite_links_status_check',
      sql`${t.status} in ('pending', 'active', 'revoking', 'revoked')`,
    ),
  ],
)

/**
 * Telegram links to revoke whose campaign link went with its community: deleting a community
 * moves its links' made Telegram links here (nothing here refers back to it), and the cron job
 * revokes them at Telegram with the other revocations. Left alone they would let anyone into
 * the chat for good, whichever community follows it next.
 */
export const telegramLinkRevocations = sqliteTable(
  'telegram_link_revocations',
  {
    url: text('url').primaryKey(),
    chatId: integer('chat_id').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at').notNull(),
    lastError: text('last_error'),
  },
  (t) => [index('telegram_link_revocations_due_idx').on(t.nextAttemptAt)],
)

export type TelegramLinkRevocation = typeof telegramLinkRevocations.$inferSelect

/**
 * Who is in a Telegram chat, as Telegram reported it (`chat_member`): the newest report wins by
 * its `date`, so a leave reported before the join it follows is not undone by that join.
 * `inviteId` is our link the person joined through (null: another route). Kept only while a
 * group follows the chat; an ended membership goes 30 days after its last report
 * (`services/telegram-retention.ts`).
 */
export const telegramMemberships = sqliteTable(
  'telegram_memberships',
  {
    chatId: integer('chat_id').notNull(),
    userId: integer('user_id').notNull(),
    username: text('username'),
    firstName: text('first_name').notNull(),
    isMember: integer('is_member', { mode: 'boolean' }).notNull(),
    inviteId: text('invite_id'),
    joinedAt: timestamp('joined_at'),
    leftAt: timestamp('left_at'),
    // How the newest leave happened: they left (`left`) or were removed (`kicked`).
    leftAs: text('left_as', { enum: ['left', 'kicked'] }),
    statusAt: timestamp('status_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.chatId, t.userId] }),
    // The cron job finds ended memberships past their retention by this (telegram-retention.ts).
    index('telegram_memberships_ended_idx')
      .on(t.statusAt)
      .where(sql`is_member = 0`),
  ],
)

/**
 * Joins and leaves Telegram reported in a chat that came through no link of ours ("other"), per
 * day: those through our links are in `invite_daily_stats`.
 */
export const telegramChatDailyStats = sqliteTable(
  'telegram_chat_daily_stats',
  {
    chatId: integer('chat_id').notNull(),
    day: text('day').notNull(),
    verifiedJoins: integer('verified_joins').notNull().default(0),
    verifiedLeaves: integer('verified_leaves').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.day] })],
)

export type TelegramInviteLink = typeof telegramInviteLinks.$inferSelect

export const TELEGRAM_REQUEST_STATUSES = ['pending', 'approved', 'declined', 'gone'] as const

export type TelegramRequestStatus = (typeof TELEGRAM_REQUEST_STATUSES)[number]

/**
 * Requests to join a closed community's chat, as Telegram reported them (`chat_join_request`):
 * waiting for an admin, who approves or declines them through the Bot API. `gone`: Telegram no
 * longer has the request (approved elsewhere, withdrawn, expired); `outcome` says what it said.
 * Declined and gone ones go 30 days after the decision (`services/telegram-retention.ts`).
 */
export const telegramJoinRequests = sqliteTable(
  'telegram_join_requests',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    chatId: integer('chat_id').notNull(),
    userId: integer('user_id').notNull(),
    inviteId: text('invite_id'),
    firstName: text('first_name').notNull(),
    lastName: text('last_name'),
    username: text('username'),
    languageCode: text('language_code'),
    bio: text('bio'),
    requestedAt: timestamp('requested_at').notNull(),
    status: text('status', { enum: TELEGRAM_REQUEST_STATUSES }).notNull(),
    outcome: text('outcome'),
    decidedAt: timestamp('decided_at'),
  },
  (t) => [
    index('telegram_join_requests_community_idx').on(t.communityId, t.status, t.id),
    // An approval's claim of a seat counts the community's recent approvals by this
    // (`claimSeat`): approved requests stay as long as the community, so never all of them.
    index('telegram_join_requests_decided_in_community_idx').on(
      t.communityId,
      t.status,
      t.decidedAt,
    ),
    // A join Telegram reports finds the person's approved request by this.
    index('telegram_join_requests_person_idx').on(t.chatId, t.userId, t.decidedAt),
    // The cron job finds declined and gone requests past their retention by this.
    // Approvals claimed while Telegram is asked, for the cron job to find the interrupted ones.
    index('telegram_join_requests_approving_idx')
      .on(t.decidedAt)
      .where(sql`outcome = 'approving'`),
    index('telegram_join_requests_decided_idx')
      .on(t.decidedAt)
      .where(sql`status in ('declined', 'gone')`),
    uniqueIndex('telegram_join_requests_pending_unique')
      .on(t.chatId, t.userId)
      .where(sql`status = 'pending'`),
    check(
      'telegram_join_requests_status_check',
      sql`${t.status} in ('pending', 'approved', 'declined', 'gone')`,
    ),
  ],
)

export type TelegramJoinRequest = typeof telegramJoinRequests.$inferSelect
