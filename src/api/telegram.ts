import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import type { Invite, TelegramInviteLink } from '../db/schema'
import type { TelegramLinkView } from '../schemas/invites'
import {
  liveTelegramLink,
  liveTelegramLinks,
  makeTelegramLink,
  planTelegramLink,
  retireTelegramLinks,
  revokeTelegramLink,
} from '../platforms/telegram/invite-links'
import { telegramConfig, type TelegramConfig } from '../lib/config'
import { ApiError } from '../lib/errors'
import { pageSchema } from '../lib/pagination'
import {
  checkChatForGroup,
  connectTelegram,
  listTelegramChats,
  readTelegramConnection,
} from '../services/telegram-chats'
import {
  serializeChat,
  serializeConnection,
  TelegramChatSchema,
  TelegramChatsQuerySchema,
  TelegramConnectionSchema,
} from '../schemas/telegram'
import {
  ACTION_PROBLEMS,
  bearerSecurity,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

/** The Telegram bot: its webhook, and the chats it was added to. Owners only. */
export const telegramApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(telegramApi)

const tags = ['Telegram']
const OFF = 'Telegram is not configured (no TELEGRAM_BOT_TOKEN): there is nothing here.'
const ACCESS = ['unauthorized', 'forbidden', 'not_found'] as const

/** Telegram's settings, or 404 when it is off: then nothing of Telegram exists. */
function telegramOrNotFound(c: Pick<Context<AppEnv>, 'var'>): TelegramConfig {
  const telegram = telegramConfig(c.var.config)
  if (!telegram) throw new ApiError('not_found', OFF)
  return telegram
}

openapi(
  defineOperation({
    method: 'post',
    path: '/telegram/connect',
    operationId: 'connectTelegram',
    access: { action: 'telegram.manage', on: 'installation' },
    tags,
    summary: 'Point the bot’s webhook at this Worker (setWebhook)',
    description:
      'Calls Telegram’s `setWebhook` with this Worker’s `/webhooks/telegram`, the secret ' +
      '`TELEGRAM_WEBHOOK_SECRET` and `allowed_updates` `message`, `my_chat_member`, ' +
      '`chat_member` and `chat_join_request` (Telegram sends `chat_member` only when asked), ' +
      'then answers what `getWebhookInfo` reports, its last delivery error included. Calling it ' +
      'again is harmless. 404 when Telegram is not configured.',
    security: bearerSecurity,
    request: { query: NoQuerySchema },
    responses: {
      200: jsonResponse(TelegramConnectionSchema, 'The webhook as Telegram now has it'),
      ...problemResponses(
        [...ACTION_PROBLEMS, 'validation_failed', ...ACCESS, 'telegram_unavailable'],
        {
          notes: { not_found: 'Telegram is not configured.' },
        },
      ),
    },
  }),
  async (c) => {
    const telegram = telegramOrNotFound(c)
    const connection = await connectTelegram(telegram, c.var.config.PUBLIC_BASE_URL)
    return c.json(serializeConnection(connection), 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/telegram/connection',
    operationId: 'getTelegramConnection',
    access: { action: 'telegram.manage', on: 'installation' },
    tags,
    summary: 'The bot’s webhook as Telegram reports it (getWebhookInfo)',
    description: 'Whether updates reach this Worker, and Telegram’s last delivery error.',
    security: bearerSecurity,
    request: { query: NoQuerySchema },
    responses: {
      200: jsonResponse(TelegramConnectionSchema, 'The webhook as Telegram has it'),
      ...problemResponses(['validation_failed', ...ACCESS, 'telegram_unavailable'], {
        notes: { not_found: 'Telegram is not configured.' },
      }),
    },
  }),
  async (c) => {
    const telegram = telegramOrNotFound(c)
    const connection = await readTelegramConnection(telegram, c.var.config.PUBLIC_BASE_URL)
    return c.json(serializeConnection(connection), 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/telegram/chats',
    operationId: 'listTelegramChats',
    access: { action: 'telegram.manage', on: 'installation' },
    tags,
    summary: 'Chats the bot was added to, with its rights there and the group linked to each',
    description:
      'A chat becomes known when Telegram reports the bot added to it (`my_chat_member`). ' +
      '`missingRights` says, in words, what the bot still needs there. Ordered by chat id.',
    security: bearerSecurity,
    request: { query: TelegramChatsQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(TelegramChatSchema), 'A page of chats'),
      ...problemResponses(['validation_failed', ...ACCESS], {
        notes: { not_found: 'Telegram is not configured.' },
      }),
    },
  }),
  async (c) => {
    telegramOrNotFound(c)
    const { limit, cursor } = c.req.valid('query')
    const page = await listTelegramChats(c.var.db, {
      limit,
      after: cursor === undefined ? undefined : Number(cursor),
    })
    const answer: z.infer<ReturnType<typeof pageSchema<typeof TelegramChatSchema>>> = {
      data: page.data.map(serializeChat),
      nextCursor: page.nextCursor,
    }
    return c.json(answer, 200)
  },
)

/**
 * Checks that a group may be linked to `chatId` (PATCH /groups/{id} with `telegramChatId`):
 * Telegram must be on (400 otherwise, as for any field that does not apply), and the chat one
 * the bot administers with the rights it needs, not linked elsewhere (409, saying what is wrong).
 */
export async function linkTelegramChat(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  chatId: number,
  groupId: string,
  now: Date,
): Promise<void> {
  const telegram = telegramConfig(c.var.config)
  if (!telegram) {
    throw new ApiError('validation_failed', 'Some fields are missing or invalid.', {
      errors: [{ path: 'telegramChatId', message: 'Telegram is not configured' }],
    })
  }
  await checkChatForGroup(c.var.db, telegram, chatId, groupId, now)
}

function linkView(link: TelegramInviteLink | null): TelegramLinkView | undefined {
  if (!link || (link.status !== 'pending' && link.status !== 'active')) return undefined
  return {
    chatInviteUrl: link.url,
    telegramLinkStatus: link.failedAt ? 'failed' : link.status,
    telegramLinkError: link.lastError,
  }
}

/**
 * A new (or rotated) link on a Telegram group: its Telegram link is planned now and asked for
 * right after the answer; the cron job retries it if that fails. Without Telegram, nothing.
 */
export async function telegramLinkForNewInvite(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  invite: Invite,
  now: Date,
): Promise<TelegramLinkView | undefined> {
  const telegram = telegramConfig(c.var.config)
  if (!telegram) return undefined
  const link = await planTelegramLink(c.var.db, invite, now)
  if (link?.status === 'pending') {
    c.executionCtx.waitUntil(
      makeTelegramLink(c.var.deferredDb, telegram, link, now).catch((error: unknown) =>
        console.error(JSON.stringify({ job: 'telegram-link', error: String(error) })),
      ),
    )
  }
  return linkView(link)
}

export async function telegramLinkOfInvite(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  invite: Invite,
): Promise<TelegramLinkView | undefined> {
  if (!telegramConfig(c.var.config)) return undefined
  return linkView(await liveTelegramLink(c.var.db, invite.id))
}

/** The Telegram links of a page of links (at most 100), by link id. */
export async function telegramLinksOfInvites(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  page: Invite[],
): Promise<Map<string, TelegramLinkView>> {
  const views = new Map<string, TelegramLinkView>()
  if (!telegramConfig(c.var.config)) return views
  const links = await liveTelegramLinks(
    c.var.db,
    page.map((invite) => invite.id),
  )
  for (const [inviteId, link] of links) {
    const view = linkView(link)
    if (view) views.set(inviteId, view)
  }
  return views
}

/** Our link was revoked or rotated: Telegram's is revoked right after the answer (or by cron). */
export async function retireTelegramLinksOf(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  invite: Invite,
  now: Date,
): Promise<void> {
  const telegram = telegramConfig(c.var.config)
  if (!telegram) return
  const retiring = await retireTelegramLinks(c.var.db, invite.id, now)
  for (const link of retiring) {
    c.executionCtx.waitUntil(
      revokeTelegramLink(c.var.deferredDb, telegram, link, now).catch((error: unknown) =>
        console.error(JSON.stringify({ job: 'telegram-link', error: String(error) })),
      ),
    )
  }
}
