import { z } from '@hono/zod-openapi'
import { GROUP_KINDS, GROUP_ORIGINS, type Group } from '../db/schema'
import { ANNOUNCEMENT_GROUP_MEMBER_LIMIT, DISCUSSION_GROUP_MEMBER_LIMIT } from '../lib/limits'
import { TelegramChatIdSchema } from './telegram'
import { DescriptionSchema, HttpsUrlSchema, NameSchema, TimestampSchema, userText } from './common'

const GROUP_PLATFORMS = ['whatsapp', 'telegram'] as const

const groupFields = {
  name: NameSchema.openapi({ example: 'Sunday long runs' }),
  description: DescriptionSchema.optional(),
  topic: userText(100).nullable().optional(),
  iconUrl: HttpsUrlSchema.nullable().optional(),
  memberLimit: z
    .number()
    .int()
    .min(1)
    .max(ANNOUNCEMENT_GROUP_MEMBER_LIMIT)
    .optional()
    .describe('At most 1024 for a discussion group, 2000 for the announcement group'),
  chatInviteUrl: HttpsUrlSchema.nullable()
    .optional()
    .describe(
      'The chat’s own invite link, e.g. https://chat.whatsapp.com/...; allow-listed hosts only',
    ),
}

export const CreateGroupSchema = z
  .strictObject({
    ...groupFields,
    // Only discussion groups are created: the announcement group comes with its community.
    memberLimit: z
      .number()
      .int()
      .min(1)
      .max(DISCUSSION_GROUP_MEMBER_LIMIT)
      .optional()
      .describe('At most 1024: a discussion group'),
    origin: z
      .enum(GROUP_ORIGINS)
      .default('created')
      .describe(
        '`created` here, or `added`: an existing chat group brought in with its invite URL',
      ),
  })
  .refine((group) => group.origin !== 'added' || !!group.chatInviteUrl, {
    message: 'An added group needs its chat invite URL',
    path: ['chatInviteUrl'],
  })
  .openapi('CreateGroup', {
    // An added group needs its chat's invite URL.
    anyOf: [
      { not: { properties: { origin: { const: 'added' } }, required: ['origin'] } },
      { properties: { chatInviteUrl: { type: 'string' } }, required: ['chatInviteUrl'] },
    ],
  })

export const UpdateGroupSchema = z
  .strictObject({
    ...groupFields,
    telegramChatId: TelegramChatIdSchema.nullable()
      .optional()
      .describe(
        'Link the group to a Telegram chat the bot administers (`GET /api/telegram/chats`); ' +
          "null unlinks it. Linking gives the group's live links a Telegram link into the chat " +
          '(made by the cron job); unlinking (or linking another chat) revokes their links into ' +
          'the old chat and deletes who Telegram reported joining and leaving it, but for our ' +
          'members still in it (their leave is counted for their link); members and counts ' +
          'stay. Only when Telegram is configured, and only with an owner token (403 otherwise), ' +
          'as the chats are the whole installation’s',
      ),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'Send at least one field to change')
  .openapi('UpdateGroup', { minProperties: 1 })

export const GroupSchema = z
  .object({
    id: z.string().openapi({ example: 'grp_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    kind: z.enum(GROUP_KINDS),
    name: z.string(),
    description: z.string(),
    topic: z.string().nullable(),
    iconUrl: z.string().nullable(),
    memberLimit: z.number().int(),
    memberCount: z.number().int(),
    chatInviteUrl: z.string().nullable(),
    origin: z.enum(GROUP_ORIGINS),
    platform: z
      .enum(GROUP_PLATFORMS)
      .optional()
      .describe('The chat platform the group is on; only when Telegram is configured'),
    telegramChatId: TelegramChatIdSchema.nullable()
      .optional()
      .describe('The Telegram chat the group is; only when Telegram is configured'),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Group')

/**
 * A group as the API shows it. Its platform only when Telegram is on (`telegram`): without a
 * bot token every group is on WhatsApp and the answers stay what they always were.
 */
export function serializeGroup(group: Group, telegram = false): z.infer<typeof GroupSchema> {
  return {
    ...(telegram
      ? {
          platform: group.telegramChatId === null ? 'whatsapp' : 'telegram',
          telegramChatId: group.telegramChatId,
        }
      : {}),
    id: group.id,
    communityId: group.communityId,
    kind: group.kind,
    name: group.name,
    description: group.description,
    topic: group.topic,
    iconUrl: group.iconUrl,
    memberLimit: group.memberLimit,
    memberCount: group.memberCount,
    chatInviteUrl: group.chatInviteUrl,
    origin: group.origin,
    createdAt: group.createdAt.toISOString(),
    updatedAt: group.updatedAt.toISOString(),
  }
}
