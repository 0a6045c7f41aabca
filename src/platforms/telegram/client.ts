import { z } from 'zod'
import type { TelegramConfig } from '../../lib/config'
import { fetchOutbound, type OutboundFailure } from '../../lib/outbound'
import { ChatInviteLinkSchema, ChatMemberSchema } from './updates'

/**
 * Telegram's Bot API, one typed function per method we use, over the checked outbound fetch:
 * `POST {TELEGRAM_API_BASE}/bot<token>/<method>` with a JSON body, answered with
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?: {retry_after}}`.
 */

/** How a call went. A failure never carries the token or the URL, only what to do next. */
export type BotApiResult<T> =
  | { ok: true; result: T }
  | { ok: false; kind: 'rate_limited'; retryAfter: number; description: string }
  | { ok: false; kind: 'refused'; errorCode: number; description: string }
  | { ok: false; kind: 'unreachable'; reason: OutboundFailure | 'malformed answer' }

const ErrorAnswerSchema = z.object({
  ok: z.literal(false),
  error_code: z.number().int(),
  description: z.string().max(1000).default(''),
  parameters: z.object({ retry_after: z.number().int().min(0).optional() }).optional(),
})

const TIMEOUT_MS = 10_000

async function callBotApi<T extends z.ZodType>(
  telegram: TelegramConfig,
  method: string,
  params: Record<string, unknown>,
  resultSchema: T,
): Promise<BotApiResult<z.infer<T>>> {
  const outcome = await fetchOutbound(
    `${telegram.apiBase}/bot${telegram.token}/${method}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    },
    { allowLoopbackHttp: telegram.allowLoopbackHttp, timeoutMs: TIMEOUT_MS },
  )
  if (!outcome.ok) return { ok: false, kind: 'unreachable', reason: outcome.reason }
  let body: unknown
  try {
    body = await outcome.response.json()
  } catch {
    return { ok: false, kind: 'unreachable', reason: 'malformed answer' }
  }
  const success = z.object({ ok: z.literal(true), result: z.unknown() }).safeParse(body)
  if (success.success) {
    const result = resultSchema.safeParse(success.data.result)
    if (!result.success) return { ok: false, kind: 'unreachable', reason: 'malformed answer' }
    return { ok: true, result: result.data as z.infer<T> }
  }
  const failure = ErrorAnswerSchema.safeParse(body)
  if (!failure.success) return { ok: false, kind: 'unreachable', reason: 'malformed answer' }
  const { error_code: errorCode, description, parameters } = failure.data
  if (errorCode === 429) {
    return {
      ok: false,
      kind: 'rate_limited',
      retryAfter: Math.max(parameters?.retry_after ?? 1, 1),
      description,
    }
  }
  if (errorCode >= 500) return { ok: false, kind: 'unreachable', reason: 'network error' }
  return { ok: false, kind: 'refused', errorCode, description }
}

const WebhookInfoSchema = z.object({
  url: z.string(),
  pending_update_count: z.number().int(),
  last_error_date: z.number().int().optional(),
  last_error_message: z.string().max(1000).optional(),
  allowed_updates: z.array(z.string()).optional(),
})

export type WebhookInfo = z.infer<typeof WebhookInfoSchema>

export function setWebhook(
  telegram: TelegramConfig,
  params: { url: string; secretToken: string; allowedUpdates: string[] },
) {
  return callBotApi(
    telegram,
    'setWebhook',
    {
      url: params.url,
      secret_token: params.secretToken,
      allowed_updates: params.allowedUpdates,
    },
    z.literal(true),
  )
}

export function getWebhookInfo(telegram: TelegramConfig) {
  return callBotApi(telegram, 'getWebhookInfo', {}, WebhookInfoSchema)
}

/** The bot's own membership of a chat: its status and rights there now. */
export function getChatMember(telegram: TelegramConfig, chatId: number, userId: number) {
  return callBotApi(
    telegram,
    'getChatMember',
    { chat_id: chatId, user_id: userId },
    ChatMemberSchema,
  )
}
export function createChatInviteLink(
  telegram: TelegramConfig,
  params: {
    chatId: number
    name?: string
    expireDate?: number
    memberLimit?: number
    createsJoinRequest: boolean
  },
) {
  return callBotApi(
    telegram,
    'createChatInviteLink',
    {
      chat_id: params.chatId,
      ...(params.name ? { name: params.name.slice(0, 32) } : {}),
      ...(params.expireDate ? { expire_date: params.expireDate } : {}),
      // Telegram refuses a member limit together with join requests.
      ...(params.memberLimit && !params.createsJoinRequest
        ? { member_limit: Math.min(params.memberLimit, 99_999) }
        : {}),
      creates_join_request: params.createsJoinRequest,
    },
    // The link people are sent to: only ever one of Telegram's own.
    ChatInviteLinkSchema.extend({ invite_link: z.string().regex(/^https:\/\/t\.me\/[^\s"'<>]+$/) }),
  )
}

export function revokeChatInviteLink(telegram: TelegramConfig, chatId: number, inviteLink: string) {
  return callBotApi(
    telegram,
    'revokeChatInviteLink',
    { chat_id: chatId, invite_link: inviteLink },
    ChatInviteLinkSchema,
  )
}

export function approveChatJoinRequest(telegram: TelegramConfig, chatId: number, userId: number) {
  return callBotApi(
    telegram,
    'approveChatJoinRequest',
    { chat_id: chatId, user_id: userId },
    z.literal(true),
  )
}

export function declineChatJoinRequest(telegram: TelegramConfig, chatId: number, userId: number) {
  return callBotApi(
    telegram,
    'declineChatJoinRequest',
    { chat_id: chatId, user_id: userId },
    z.literal(true),
  )
}

/** What we keep of a sent `Message`: its id in the chat. */
const SentMessageSchema = z.object({ message_id: z.number().int().min(1) })

/**
 * Posts a plain-text message to a chat (a group, a channel, or a person's private chat with the
 * bot). No link previews: an announcement shows as written. Telegram does not deduplicate, so a
 * call whose answer is lost may have posted.
 */
export function sendMessage(telegram: TelegramConfig, chatId: number, text: string) {
  return callBotApi(
    telegram,
    'sendMessage',
    { chat_id: chatId, text, link_preview_options: { is_disabled: true } },
    SentMessageSchema,
  )
}
