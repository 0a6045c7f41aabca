import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'

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
