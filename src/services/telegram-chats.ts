import { and, asc, eq, gt, inArray, isNotNull, isNull } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  invites,
  telegramChats,
  telegramInviteLinks,
  type TelegramChat,
} from '../db/schema'
import type { TelegramConfig } from '../lib/config'
import { ApiError } from '../lib/errors'
import {
  ALLOWED_UPDATES,
  getChatMember,
  getWebhookInfo,
  resultOrThrow,
  setWebhook,
  type WebhookInfo,
} from '../platforms/telegram'

/** The bot's webhook as Telegram reports it, and whether it points at this Worker. */
export interface TelegramConnection {
  expectedUrl: string
  info: WebhookInfo
}

export function webhookUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/webhooks/telegram`
}

/**
 * Points the bot's webhook at this Worker, with the secret Telegram is to send back and the
 * updates we act on (`chat_member` updates come only when asked for), then reads back what
 * Telegram has, its last delivery error included.
 */
export async function connectTelegram(
  telegram: TelegramConfig,
  publicBaseUrl: string,
): Promise<TelegramConnection> {
  const expectedUrl = webhookUrl(publicBaseUrl)
  resultOrThrow(
    await setWebhook(telegram, {
      url: expectedUrl,
      secretToken: telegram.webhookSecret,
      allowedUpdates: ALLOWED_UPDATES,
    }),
    'Setting the webhook',
  )
  return readTelegramConnection(telegram, publicBaseUrl)
}

export async function readTelegramConnection(
  telegram: TelegramConfig,
  publicBaseUrl: string,
): Promise<TelegramConnection> {
  const info = resultOrThrow(await getWebhookInfo(telegram), 'Reading the webhook')
  return { expectedUrl: webhookUrl(publicBaseUrl), info }
}

export type MissingRight = 'administrator' | 'invite_users' | 'post_messages'

/** What the product needs of the bot in a chat it is to serve, if missing. */
export function missingRights(chat: TelegramChat): MissingRight[] {
  if (chat.botStatus !== 'administrator' && chat.botStatus !== 'creator') return ['administrator']
  const missing: MissingRight[] = []
  if (!chat.canInviteUsers) missing.push('invite_users')
  if (!chat.canPostMessages) missing.push('post_messages')
  return missing
}

export interface KnownChat {
  chat: TelegramChat
  groupId: string | null
}

/** Chats the bot has been added to, administered or not, with the group each is linked to. */
export async function listTelegramChats(
  db: Database,
  options: { after?: number; limit: number },
): Promise<{ data: KnownChat[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(telegramChats)
    .where(options.after === undefined ? undefined : gt(telegramChats.chatId, options.after))
    .orderBy(asc(telegramChats.chatId))
    .limit(options.limit + 1)
  const page = rows.slice(0, options.limit)
  const ids = page.map((chat) => chat.chatId)
  const linked =
    ids.length === 0
      ? []
      : await db
          .select({ id: groups.id, chatId: groups.telegramChatId })
          .from(groups)
          .where(inArray(groups.telegramChatId, ids))
  const groupOf = new Map(linked.map((row) => [row.chatId, row.id]))
  return {
    data: page.map((chat) => ({ chat, groupId: groupOf.get(chat.chatId) ?? null })),
    nextCursor: rows.length > options.limit ? String(page[page.length - 1]!.chatId) : null,
  }
}

/**
 * The chat a group is to be linked to, checked: one the bot administers with the rights it
 * needs there now (asked of Telegram, since rights change without an update reaching us when
 * the webhook was down), and not another group's but `movingFrom`'s (the dashboard moves a chat
 * from one group to another in one step). Refused with a 409 that says what is wrong.
 */
export async function checkChatForGroup(
  db: Database,
  telegram: TelegramConfig,
  chatId: number,
  groupId: string,
  now: Date,
  options: { movingFrom?: string } = {},
): Promise<TelegramChat> {
  const known = await db.query.telegramChats.findFirst({ where: eq(telegramChats.chatId, chatId) })
  if (!known) {
    throw new ApiError(
      'telegram_chat_not_administered',
      `The bot has not been added to chat ${chatId}. Add it to the chat as an administrator.`,
    )
  }
  const member = resultOrThrow(
    await getChatMember(telegram, chatId, telegram.botId),
    'Checking the bot’s rights',
  )
  const creator = member.status === 'creator'
  const admin = creator || member.status === 'administrator'
  const chat: TelegramChat = {
    ...known,
    botStatus: member.status,
    canInviteUsers: creator || (admin && member.can_invite_users === true),
    canPostMessages:
      known.type === 'channel'
        ? creator || (admin && member.can_post_messages === true)
        : admin || member.status === 'member',
  }
  await db
    .update(telegramChats)
    .set({
      botStatus: chat.botStatus,
      canInviteUsers: chat.canInviteUsers,
      canPostMessages: chat.canPostMessages,
      statusAt: now,
    })
    .where(eq(telegramChats.chatId, chatId))
  if (!admin) {
    throw new ApiError(
      'telegram_chat_not_administered',
      `The bot is not an administrator of “${chat.title}”. Make it one in the chat’s settings.`,
    )
  }
  if (!chat.canInviteUsers) {
    throw new ApiError(
      'telegram_rights_missing',
      `The bot may not invite users to “${chat.title}”: give it the right “Invite users via ` +
        'link” (it also approves join requests).',
    )
  }
  const other = await groupOfTelegramChat(db, chatId)
  if (other && other.id !== groupId && other.id !== options.movingFrom) {
    throw new ApiError(
      'telegram_chat_taken',
      `“${chat.title}” is linked to another group. Unlink it there first.`,
    )
  }
  return chat
}

/** The group a Telegram chat is linked to, if any (one at most: a unique index holds it). */
export async function groupOfTelegramChat(db: Database, chatId: number) {
  return db.query.groups.findFirst({ where: eq(groups.telegramChatId, chatId) })
}

/** The groups an owner may link a chat to, for the dashboard's picker: a bounded list. */
export async function groupsToLink(db: Database) {
  return db
    .select({
      id: groups.id,
      name: groups.name,
      kind: groups.kind,
      community: communities.name,
      telegramChatId: groups.telegramChatId,
      chatInviteUrl: groups.chatInviteUrl,
    })
    .from(groups)
    .innerJoin(communities, eq(communities.id, groups.communityId))
    .orderBy(asc(groups.communityId), asc(groups.id))
    .limit(300)
}

/**
 * The live Telegram links (made, or still to be made) of the page of a community's links that
 * `listInvitesQuery` reads (the same links, order and bound), for the links page's batch.
 * `limit` 0 reads none.
 */
export function telegramLinksOfPageQuery(
  db: Database,
  communityId: string,
  options: { limit: number; archived: boolean },
) {
  const page = db
    .select({ id: invites.id })
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        options.archived ? isNotNull(invites.archivedAt) : isNull(invites.archivedAt),
      ),
    )
    .orderBy(asc(invites.id))
    .limit(options.limit + 1)
  return db
    .select({
      inviteId: telegramInviteLinks.inviteId,
      url: telegramInviteLinks.url,
      failedAt: telegramInviteLinks.failedAt,
    })
    .from(telegramInviteLinks)
    .where(
      and(
        inArray(telegramInviteLinks.inviteId, page),
        inArray(telegramInviteLinks.status, ['pending', 'active']),
      ),
    )
    .limit(options.limit === 0 ? 0 : options.limit + 1)
}
