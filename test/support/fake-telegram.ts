/**
 * A stand-in for Telegram's Bot API (https://core.telegram.org/bots/api), served by the fake
 * services under `/telegram`: `POST /telegram/bot<token>/<method>` with a JSON body, answered
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters?: {retry_after}}`
 * as Telegram answers.
 *
 * What the bot is in a chat is steered by the chat id's last digit, so that each test picks its
 * case with a fresh id: 1 an administrator with every right, 2 an administrator who may not
 * invite users, 3 a plain member, 9 Telegram failing (500) on every call about the chat,
 * anything else "chat not found". A chat id ending in 7 answers
 * createChatInviteLink with 429 (`retry_after` 1) on the first try.
 *
 * Join requests (approveChatJoinRequest, declineChatJoinRequest) are steered by the user id's
 * last digit: 5 the request is gone (HIDE_REQUESTER_MISSING), 6 the person is already in
 * (USER_ALREADY_PARTICIPANT); any other is decided.
 *
 * sendMessage answers a `Message` with the next `message_id` of that chat. A private chat (a
 * positive id: a person who started the bot) takes it, unless the id ends in 3 (the person
 * blocked the bot: 403); in a group or channel the bot must
 * be in the chat (steered as above), and a chat id ending in 7 answers 429 (`retry_after` 1) on
 * its first message. `POST /telegram/__chat` with `{chat_id, bot: "removed" | "muted"}` plays an
 * admin removing the bot from the chat (403, as Telegram answers) or taking its right to post
 * (400 "not enough rights").
 *
 * The webhook is kept as set (setWebhook, getWebhookInfo); `POST /telegram/__webhook-error`
 * with `{message}` records a delivery error as Telegram would report it. `POST
 * /telegram/__rights` with `{chatId, canInvite}` takes the right to invite users from the bot
 * in one chat (or gives it back), as an admin would in the chat's settings. `POST
 * /telegram/__revoke-busy` with `{chatId, busy}` makes revokeChatInviteLink answer 429
 * (`retry_after` 1) in one chat until it is called again with `busy: false`.
 */
export const TELEGRAM_BOT_TOKEN = '123456789:test-telegram-token-0123456789'
export const TELEGRAM_BOT_ID = 123456789
export const TELEGRAM_WEBHOOK_SECRET = 'test-telegram-webhook-secret-0123'

type Json = (status: number, value: unknown) => void

interface WebhookState {
  url: string
  secretToken: string
  allowedUpdates: string[]
  lastErrorDate?: number
  lastErrorMessage?: string
}

const BOT_USER = {
  id: TELEGRAM_BOT_ID,
  is_bot: true,
  first_name: 'Community Growth',
  username: 'community_growth_test_bot',
}

export function createFakeTelegram() {
  let webhook: WebhookState = { url: '', secretToken: '', allowedUpdates: [] }
  let links = 0
  const tries = new Map<string, number>()
  const messageIds = new Map<string, number>()
  const changed = new Map<string, 'removed' | 'muted'>()
  // Chats where an admin took the bot's right to invite users.
  const noInvite = new Set<string>()
  // Chats whose revokeChatInviteLink answers 429 (`__revoke-busy`).
  const revokeBusy = new Set<string>()

  const refuse = (json: Json, code: number, description: string, retryAfter?: number) =>
    json(code, {
      ok: false,
      error_code: code,
      description,
      ...(retryAfter ? { parameters: { retry_after: retryAfter } } : {}),
    })

  /** The bot's ChatMember in a chat, by the id's last digit; null: no such chat for the bot. */
  const botIn = (chatId: unknown) => {
    const id = String(chatId)
    if (noInvite.has(id))
      return {
        status: 'administrator',
        user: BOT_USER,
        can_be_edited: false,
        can_manage_chat: true,
        can_invite_users: false,
        can_restrict_members: false,
      }
    if (id.endsWith('1') || id.endsWith('7'))
      return {
        status: 'administrator',
        user: BOT_USER,
        can_be_edited: false,
        can_manage_chat: true,
        can_invite_users: true,
        can_post_messages: true,
        can_restrict_members: true,
      }
    if (id.endsWith('2'))
      return {
        status: 'administrator',
        user: BOT_USER,
        can_be_edited: false,
        can_manage_chat: true,
        can_invite_users: false,
        can_restrict_members: false,
      }
    if (id.endsWith('3')) return { status: 'member', user: BOT_USER }
    if (id.endsWith('9')) return 'failing' as const
    return null
  }

  /** Handles a request under `/telegram`; false: not one of ours. */
  return function handle(path: string, body: string, json: Json): boolean {
    if (path === '/telegram/__webhook-error') {
      const { message } = JSON.parse(body || '{}') as { message?: string }
      webhook = {
        ...webhook,
        lastErrorDate: Math.floor(Date.now() / 1000),
        lastErrorMessage: message ?? 'Connection refused',
      }
      json(200, { ok: true })
      return true
    }
    if (path === '/telegram/__chat') {
      const { chat_id: chatId, bot } = JSON.parse(body || '{}') as {
        chat_id?: number
        bot?: 'removed' | 'muted'
      }
      if (bot) changed.set(String(chatId), bot)
      json(200, { ok: true })
      return true
    }
    if (path === '/telegram/__revoke-busy') {
      const { chatId, busy } = JSON.parse(body || '{}') as { chatId?: number; busy?: boolean }
      if (busy) revokeBusy.add(String(chatId))
      else revokeBusy.delete(String(chatId))
      json(200, { ok: true })
      return true
    }
    if (path === '/telegram/__rights') {
      const { chatId, canInvite } = JSON.parse(body || '{}') as {
        chatId?: number
        canInvite?: boolean
      }
      if (canInvite) noInvite.delete(String(chatId))
      else noInvite.add(String(chatId))
      json(200, { ok: true })
      return true
    }
    const match = /^\/telegram\/bot([^/]+)\/([A-Za-z]+)$/.exec(path)
    if (!match) return false
    const [, token, method] = match
    if (token !== TELEGRAM_BOT_TOKEN) {
      refuse(json, 401, 'Unauthorized')
      return true
    }
    let params: Record<string, unknown>
    try {
      params = JSON.parse(body || '{}') as Record<string, unknown>
    } catch {
      refuse(json, 400, 'Bad Request: can’t parse JSON')
      return true
    }
    const chat = params.chat_id === undefined ? null : botIn(params.chat_id)
    const needsChat = () => {
      if (chat === 'failing') {
        refuse(json, 500, 'Internal Server Error')
        return true
      }
      if (chat) return false
      refuse(json, 400, 'Bad Request: chat not found')
      return true
    }
    switch (method) {
      case 'getMe':
        json(200, { ok: true, result: BOT_USER })
        return true
      case 'setWebhook':
        if (typeof params.url !== 'string') {
          refuse(json, 400, 'Bad Request: bad webhook: URL must be set')
          return true
        }
        // What Telegram last failed to deliver stays reported until a delivery succeeds.
        webhook = {
          ...webhook,
          url: params.url,
          secretToken: String(params.secret_token ?? ''),
          allowedUpdates: (params.allowed_updates as string[] | undefined) ?? [],
        }
        json(200, { ok: true, result: true, description: 'Webhook was set' })
        return true
      case 'getWebhookInfo':
        json(200, {
          ok: true,
          result: {
            url: webhook.url,
            has_custom_certificate: false,
            pending_update_count: 0,
            ...(webhook.allowedUpdates.length ? { allowed_updates: webhook.allowedUpdates } : {}),
            ...(webhook.lastErrorDate
              ? {
                  last_error_date: webhook.lastErrorDate,
                  last_error_message: webhook.lastErrorMessage,
                }
              : {}),
          },
        })
        return true
      case 'getChatMember': {
        if (needsChat()) return true
        if (Number(params.user_id) !== TELEGRAM_BOT_ID) {
          refuse(json, 400, 'Bad Request: user not found')
          return true
        }
        json(200, { ok: true, result: chat })
        return true
      }
      case 'createChatInviteLink': {
        if (needsChat()) return true
        if (chat === 'failing' || !chat!.can_invite_users) {
          refuse(json, 400, 'Bad Request: not enough rights to manage chat invite link')
          return true
        }
        const key = `link:${String(params.chat_id)}:${String(params.name ?? '')}`
        const attempt = (tries.get(key) ?? 0) + 1
        tries.set(key, attempt)
        if (String(params.chat_id).endsWith('7') && attempt === 1) {
          refuse(json, 429, 'Too Many Requests: retry after 1', 1)
          return true
        }
        links += 1
        json(200, {
          ok: true,
          result: {
            invite_link: `https://t.me/+fake${String(links).padStart(12, '0')}`,
            creator: BOT_USER,
            creates_join_request: params.creates_join_request === true,
            is_primary: false,
            is_revoked: false,
            ...(params.name ? { name: params.name } : {}),
            ...(params.expire_date ? { expire_date: params.expire_date } : {}),
            ...(params.member_limit ? { member_limit: params.member_limit } : {}),
          },
        })
        return true
      }
      case 'sendMessage': {
        const id = String(params.chat_id)
        if (typeof params.text !== 'string' || params.text.trim() === '') {
          refuse(json, 400, 'Bad Request: message text is empty')
          return true
        }
        const isPrivate = Number(params.chat_id) > 0
        if (isPrivate && id.endsWith('3')) {
          refuse(json, 403, 'Forbidden: bot was blocked by the user')
          return true
        }
        if (!isPrivate) {
          if (changed.get(id) === 'removed') {
            refuse(json, 403, 'Forbidden: bot was kicked from the supergroup chat')
            return true
          }
          if (needsChat()) return true
          if (
            changed.get(id) === 'muted' ||
            (chat as { status: string }).status !== 'administrator'
          ) {
            refuse(json, 400, 'Bad Request: not enough rights to send text messages to the chat')
            return true
          }
          const attempt = (tries.get(`send:${id}`) ?? 0) + 1
          tries.set(`send:${id}`, attempt)
          if (id.endsWith('7') && attempt === 1) {
            refuse(json, 429, 'Too Many Requests: retry after 1', 1)
            return true
          }
        }
        const messageId = (messageIds.get(id) ?? 0) + 1
        messageIds.set(id, messageId)
        json(200, {
          ok: true,
          result: {
            message_id: messageId,
            from: BOT_USER,
            chat: isPrivate
              ? { id: Number(params.chat_id), type: 'private', first_name: 'Someone' }
              : { id: Number(params.chat_id), type: 'supergroup', title: `Chat ${id}` },
            date: Math.floor(Date.now() / 1000),
            text: params.text,
          },
        })
        return true
      }
      case 'approveChatJoinRequest':
      case 'declineChatJoinRequest': {
        if (needsChat()) return true
        const user = String(params.user_id)
        if (user.endsWith('5')) refuse(json, 400, 'Bad Request: HIDE_REQUESTER_MISSING')
        else if (user.endsWith('6')) refuse(json, 400, 'Bad Request: USER_ALREADY_PARTICIPANT')
        else json(200, { ok: true, result: true })
        return true
      }
      case 'revokeChatInviteLink':
        if (needsChat()) return true
        if (revokeBusy.has(String(params.chat_id))) {
          refuse(json, 429, 'Too Many Requests: retry after 1', 1)
          return true
        }
        json(200, {
          ok: true,
          result: {
            invite_link: params.invite_link,
            creator: BOT_USER,
            creates_join_request: false,
            is_primary: false,
            is_revoked: true,
          },
        })
        return true
      default:
        refuse(json, 404, 'Not Found')
        return true
    }
  }
}
