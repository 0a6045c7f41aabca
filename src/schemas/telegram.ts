import { APPROVING } from '../platforms/telegram/join-requests'
import { z } from '@hono/zod-openapi'
import {
  TELEGRAM_BOT_STATUSES,
  TELEGRAM_CHAT_TYPES,
  TELEGRAM_REQUEST_STATUSES,
  type TelegramJoinRequest,
} from '../db/schema'
import { idPattern } from '../lib/ids'
import type { KnownChat, TelegramConnection } from '../services/telegram-chats'
import { missingRights } from '../services/telegram-chats'
import { MISSING_IN_WORDS } from '../lib/i18n/dashboard-telegram'
import { queryInteger } from '../lib/pagination'
import { personName } from '../platforms/telegram/updates'
import { TimestampSchema } from './common'

/** A Telegram chat id: negative for groups and channels, within a double's exact range. */
export const TelegramChatIdSchema = z
  .number()
  .int()
  .min(-(2 ** 53) + 1)
  .max(2 ** 53 - 1)
  .openapi({ example: -1001234567890 })

export const TelegramConnectionSchema = z
  .object({
    connected: z
      .boolean()
      .describe('Telegram sends the updates to this Worker (`webhookUrl` is `expectedUrl`)'),
    webhookUrl: z.string().describe('Where Telegram sends the bot’s updates now; empty: nowhere'),
    expectedUrl: z.string().describe('This Worker’s `/webhooks/telegram`'),
    allowedUpdates: z.array(z.string()),
    pendingUpdateCount: z.number().int().min(0),
    lastErrorAt: TimestampSchema.nullable().describe('When Telegram last failed to deliver'),
    lastErrorMessage: z.string().nullable().describe('What Telegram said about that failure'),
  })
  .openapi('TelegramConnection')

export function serializeConnection(
  connection: TelegramConnection,
): z.infer<typeof TelegramConnectionSchema> {
  const { info, expectedUrl } = connection
  return {
    connected: info.url === expectedUrl,
    webhookUrl: info.url,
    expectedUrl,
    allowedUpdates: info.allowed_updates ?? [],
    pendingUpdateCount: info.pending_update_count,
    lastErrorAt: info.last_error_date ? new Date(info.last_error_date * 1000).toISOString() : null,
    lastErrorMessage: info.last_error_message ?? null,
  }
}

export const TelegramChatSchema = z
  .object({
    chatId: TelegramChatIdSchema,
    type: z.enum(TELEGRAM_CHAT_TYPES),
    title: z.string(),
    username: z.string().nullable(),
    botStatus: z.enum(TELEGRAM_BOT_STATUSES).describe('The bot’s standing in the chat'),
    canInviteUsers: z.boolean(),
    canPostMessages: z.boolean(),
    missingRights: z
      .array(z.string())
      .describe('What the bot still needs here, in words; empty: nothing'),
    groupId: z.string().nullable().describe('The group linked to this chat'),
    updatedAt: TimestampSchema,
  })
  .openapi('TelegramChat')

export function serializeChat({ chat, groupId }: KnownChat): z.infer<typeof TelegramChatSchema> {
  return {
    chatId: chat.chatId,
    type: chat.type,
    title: chat.title,
    username: chat.username,
    botStatus: chat.botStatus,
    canInviteUsers: chat.canInviteUsers,
    canPostMessages: chat.canPostMessages,
    missingRights: missingRights(chat).map((right) => MISSING_IN_WORDS.en[right]),
    groupId,
    updatedAt: chat.statusAt.toISOString(),
  }
}

export const TelegramChatsQuerySchema = z.strictObject({
  limit: queryInteger(1, 100, 50).openapi({ description: 'Chats per page (1-100)', example: 50 }),
  cursor: z
    .string()
    .regex(/^-?\d{1,16}$/, 'Not a cursor returned by this API')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page' }),
})

export const TelegramJoinRequestSchema = z
  .object({
    id: z.string().openapi({ example: 'tjr_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    chatId: TelegramChatIdSchema,
    userId: TelegramChatIdSchema.describe('The person’s Telegram user id'),
    username: z.string().nullable(),
    name: z.string().describe('First and last name, as the person set them in Telegram'),
    languageCode: z.string().nullable(),
    bio: z.string().nullable(),
    inviteId: z.string().nullable().describe('Our link the request came through'),
    source: z.literal('telegram').describe('Asked in Telegram, through the chat’s invite link'),
    status: z.enum(TELEGRAM_REQUEST_STATUSES),
    outcome: z
      .string()
      .nullable()
      .describe('With `gone`: what Telegram said (approved in the chat, withdrawn, expired)'),
    requestedAt: TimestampSchema,
    decidedAt: TimestampSchema.nullable(),
  })
  .openapi('TelegramJoinRequest')

export function serializeJoinRequest(
  row: TelegramJoinRequest,
): z.infer<typeof TelegramJoinRequestSchema> {
  return {
    id: row.id,
    communityId: row.communityId,
    chatId: row.chatId,
    userId: row.userId,
    username: row.username,
    name: personName({ ...row, id: row.userId }),
    languageCode: row.languageCode,
    bio: row.bio,
    inviteId: row.inviteId,
    source: 'telegram',
    status: row.status,
    // An approval under way is shown approved; its marker is ours, not something Telegram said.
    outcome: row.outcome === APPROVING ? null : row.outcome,
    requestedAt: row.requestedAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  }
}

export const TelegramJoinRequestsQuerySchema = z.strictObject({
  status: z.enum(TELEGRAM_REQUEST_STATUSES).optional(),
  limit: queryInteger(1, 100, 20).openapi({ description: 'Items per page (1-100)', example: 20 }),
  cursor: z
    .string()
    .regex(idPattern('tjr'), 'Not a cursor returned by this API')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page' }),
})

export const TelegramBulkDecisionSchema = z
  .strictObject({
    action: z.enum(['approve', 'decline']),
    ids: z
      .array(z.string().regex(idPattern('tjr'), 'Not a tjr_ id'))
      .min(1)
      .max(100),
  })
  .openapi('TelegramBulkDecision')

export const TelegramBulkResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        status: z
          .enum([...TELEGRAM_REQUEST_STATUSES, 'not_found', 'not_decided', 'group_full'])
          .describe(
            '`not_decided`: Telegram asked us to wait; send these again. `not_found`: not a ' +
              'request of this community. `group_full`: not let in, the group the chat leads ' +
              'to (or the announcement group) has no room left within its `memberLimit`',
          ),
      }),
    ),
  })
  .openapi('TelegramBulkResult')
