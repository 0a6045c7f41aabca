import { exports } from 'cloudflare:workers'
import { TELEGRAM_BOT_ID, TELEGRAM_WEBHOOK_SECRET } from './fake-telegram'

/**
 * Updates as Telegram's Bot API sends them to the webhook (https://core.telegram.org/bots/api
 * #update), for the tests to hand to the Worker as Telegram would: a POST to
 * `/webhooks/telegram` with `X-Telegram-Bot-Api-Secret-Token`.
 */

let nextUpdateId = Math.floor(Math.random() * 1_000_000_000)
let nextChat = Math.floor(Math.random() * 1_000_000)

/** A fresh update id: update ids only grow, as Telegram's do. */
export function newUpdateId(): number {
  return (nextUpdateId += 1)
}

/**
 * A fresh supergroup id whose last digit steers the stand-in (`fake-telegram.ts`): 1 the bot is
 * an administrator with every right, 2 one who may not invite users, 3 a plain member.
 */
export function newChatId(lastDigit: 1 | 2 | 3 | 7 | 9): number {
  nextChat += 1
  return -(1_000_000_000_000 + nextChat * 10 + lastDigit)
}

export const BOT = {
  id: TELEGRAM_BOT_ID,
  is_bot: true,
  first_name: 'Community Growth',
  username: 'community_growth_test_bot',
}

const ADMIN = { id: 5000001, is_bot: false, first_name: 'Alex', username: 'alex_admin' }

export function chat(id: number, title = `Chat ${id}`) {
  return { id, type: 'supergroup' as const, title }
}

/** The bot's standing changed in a chat (`my_chat_member`), as an admin made it. */
export function botStatusUpdate(
  chatId: number,
  status: 'administrator' | 'member' | 'left' | 'kicked',
  options: { canInvite?: boolean; date?: number; updateId?: number; title?: string } = {},
) {
  const rights =
    status === 'administrator'
      ? {
          can_be_edited: false,
          can_manage_chat: true,
          can_invite_users: options.canInvite ?? true,
          can_restrict_members: true,
        }
      : {}
  return {
    update_id: options.updateId ?? newUpdateId(),
    my_chat_member: {
      chat: chat(chatId, options.title),
      from: ADMIN,
      date: options.date ?? Math.floor(Date.now() / 1000),
      old_chat_member: { status: 'left', user: BOT },
      new_chat_member: { status, user: BOT, ...rights },
    },
  }
}

export async function postUpdate(
  update: unknown,
  secret: string | null = TELEGRAM_WEBHOOK_SECRET,
): Promise<{ status: number; json: any }> {
  const response = await exports.default.fetch(
    new Request('https://join.example.com/webhooks/telegram', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
      },
      body: typeof update === 'string' ? update : JSON.stringify(update),
    }),
  )
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

// Ids end in 0 unless a test asks for another last digit: the stand-in reads 5 and 6 as
// "request gone" and "already in", which must never happen to a user by chance.
let nextUser = 7_000_000_000 + Math.floor(Math.random() * 100_000_000) * 10

/** A fresh Telegram user; `lastDigit` steers the stand-in's answers about them. */
export function newUser(name = 'Mia', lastDigit?: number) {
  nextUser += 10
  const id = lastDigit === undefined ? nextUser : nextUser - (nextUser % 10) + lastDigit
  return { id, is_bot: false, first_name: name, username: `user${id}` }
}

/** Someone asked to join a chat through a link that makes join requests. */
export function joinRequestUpdate(
  chatId: number,
  user: { id: number; first_name: string; username?: string; is_bot: boolean },
  inviteLink?: string,
) {
  return {
    update_id: newUpdateId(),
    chat_join_request: {
      chat: chat(chatId),
      from: { ...user, language_code: 'de' },
      user_chat_id: user.id,
      date: Math.floor(Date.now() / 1000),
      bio: 'Runs on Sundays',
      ...(inviteLink
        ? {
            invite_link: {
              invite_link: inviteLink,
              creator: BOT,
              creates_join_request: true,
              is_primary: false,
              is_revoked: false,
            },
          }
        : {}),
    },
  }
}

/**
 * Someone joined (through `inviteLink`, if given) or left a chat (`chat_member`), as Telegram
 * reports it to a bot that administers the chat.
 */
export function memberUpdate(
  chatId: number,
  user: { id: number; first_name: string; username?: string; is_bot: boolean },
  change: 'joined' | 'left' | 'kicked',
  options: { inviteLink?: string; date?: number; updateId?: number } = {},
) {
  const member = { status: 'member', user }
  const gone = { status: change === 'kicked' ? 'kicked' : 'left', user }
  return {
    update_id: options.updateId ?? newUpdateId(),
    chat_member: {
      chat: chat(chatId),
      from: user,
      date: options.date ?? Math.floor(Date.now() / 1000),
      old_chat_member: change === 'joined' ? gone : member,
      new_chat_member: change === 'joined' ? member : gone,
      ...(options.inviteLink
        ? {
            invite_link: {
              invite_link: options.inviteLink,
              creator: BOT,
              creates_join_request: false,
              is_primary: false,
              is_revoked: false,
            },
          }
        : {}),
    },
  }
}

/** A message someone wrote to the bot in their private chat (`/start`, `/stop`, anything). */
export function privateMessage(
  person: { id: number; first_name: string; username?: string; is_bot: boolean },
  text: string,
  options: { languageCode?: string; updateId?: number; date?: number } = {},
) {
  return {
    update_id: options.updateId ?? newUpdateId(),
    message: {
      message_id: Math.floor(Math.random() * 1_000_000) + 1,
      from: { ...person, language_code: options.languageCode ?? 'de' },
      chat: { id: person.id, type: 'private' as const, first_name: person.first_name },
      date: options.date ?? Math.floor(Date.now() / 1000),
      text,
    },
  }
}
