import { z } from 'zod'
import { TELEGRAM_BOT_STATUSES, TELEGRAM_CHAT_TYPES } from '../../db/schema'
import { cleanText } from '../../lib/text'
import { notAhead } from '../../lib/time'

/**
 * The parts of Telegram's Bot API updates the product uses (https://core.telegram.org/bots/api
 * #update). Objects are not strict: Telegram adds fields over time, and what we do not read is
 * dropped here, so a queued update carries only what is applied.
 */

// Telegram's ids fit in 52 bits (a double holds them exactly).
const TelegramId = z
  .number()
  .int()
  .min(-(2 ** 53) + 1)
  .max(2 ** 53 - 1)
/**
 * Telegram's `date`: Unix time in seconds, within what a Date holds once in milliseconds (as
 * WhatsApp's times are): a date past that was stored, and failed every list that shows it.
 */
const UnixTime = z.number().int().min(0).max(1e11)

/**
 * When something happened, by Telegram's clock, but not ahead of ours (`notAhead`): read again
 * when the queued update is applied, later still.
 */
const EventTime = UnixTime.overwrite((seconds) => notAhead(seconds, Math.floor(Date.now() / 1000)))

/**
 * A name, title or bio people chose on Telegram, cleaned as every text people send us is
 * (`cleanText`: no bidi or control characters, NFC) before it is stored or shown to an admin.
 * Never refused for its characters: the update is a real join all the same.
 */
const PeopleText = (max: number, options: { multiline?: boolean } = {}) =>
  z
    .string()
    .max(max)
    .overwrite((value) => cleanText(value, options).trim())

/**
 * How a Telegram user is named to admins: first and last name, or, where those were nothing but
 * invisible characters (empty once cleaned), the username, or the id.
 */
export function personName(person: {
  firstName: string
  lastName?: string | null
  username?: string | null
  id: number
}): string {
  const name = [person.firstName, person.lastName].filter(Boolean).join(' ')
  return (name || person.username || String(person.id)).slice(0, 200)
}

export const TelegramUserSchema = z.object({
  id: TelegramId,
  is_bot: z.boolean(),
  first_name: PeopleText(256),
  last_name: PeopleText(256).optional(),
  username: z.string().max(64).optional(),
  language_code: z.string().max(35).optional(),
})

const ChatSchema = z.object({
  id: TelegramId,
  type: z.enum(TELEGRAM_CHAT_TYPES),
  title: PeopleText(256).optional(),
  username: z.string().max(64).optional(),
})

/** A `ChatMember` of any kind: the status says which, the rights are an administrator's. */
export const ChatMemberSchema = z.object({
  status: z.enum(TELEGRAM_BOT_STATUSES),
  user: TelegramUserSchema,
  can_invite_users: z.boolean().optional(),
  can_post_messages: z.boolean().optional(),
  // A restricted member: whether they are in the chat at all.
  is_member: z.boolean().optional(),
})

export const ChatInviteLinkSchema = z.object({
  invite_link: z.string().max(512),
  creates_join_request: z.boolean(),
  is_primary: z.boolean(),
  is_revoked: z.boolean(),
  name: z.string().max(32).optional(),
  expire_date: UnixTime.optional(),
  member_limit: z.number().int().optional(),
})

const ChatMemberUpdatedSchema = z.object({
  chat: ChatSchema,
  from: TelegramUserSchema,
  date: EventTime,
  old_chat_member: ChatMemberSchema,
  new_chat_member: ChatMemberSchema,
  invite_link: ChatInviteLinkSchema.optional(),
  via_join_request: z.boolean().optional(),
})

const ChatJoinRequestSchema = z.object({
  chat: ChatSchema,
  from: TelegramUserSchema,
  user_chat_id: TelegramId,
  date: EventTime,
  bio: PeopleText(512, { multiline: true }).optional(),
  invite_link: ChatInviteLinkSchema.optional(),
})

const MessageSchema = z.object({
  message_id: z.number().int(),
  from: TelegramUserSchema.optional(),
  chat: ChatSchema,
  date: EventTime,
  text: z.string().max(4096).optional(),
})

/**
 * One update as queued: its id and the one kind of content we act on. The webhook builds it
 * from Telegram's body, the consumer parses it again (a queue message is input like any other).
 */
export const TelegramUpdateItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('my_chat_member'),
    updateId: z.number().int().min(0),
    update: ChatMemberUpdatedSchema,
  }),
  z.object({
    kind: z.literal('chat_member'),
    updateId: z.number().int().min(0),
    update: ChatMemberUpdatedSchema,
  }),
  z.object({
    kind: z.literal('chat_join_request'),
    updateId: z.number().int().min(0),
    update: ChatJoinRequestSchema,
  }),
  z.object({
    kind: z.literal('message'),
    updateId: z.number().int().min(0),
    update: MessageSchema,
  }),
])

export type TelegramUpdateItem = z.infer<typeof TelegramUpdateItemSchema>
export type ChatMemberUpdated = z.infer<typeof ChatMemberUpdatedSchema>
export type ChatJoinRequest = z.infer<typeof ChatJoinRequestSchema>

const UPDATE_KINDS = ['my_chat_member', 'chat_member', 'chat_join_request', 'message'] as const

/** What `allowed_updates` asks Telegram for: chat_member updates come only when asked for. */
export const ALLOWED_UPDATES = [...UPDATE_KINDS]

const UpdateIdSchema = z.object({ update_id: z.number().int().min(0) })

/**
 * The item to queue for a body Telegram sent, or null for one we do not act on (another update
 * type, or a shape that does not parse): acknowledged all the same, so Telegram does not resend.
 */
export function updateItem(body: unknown): TelegramUpdateItem | null {
  const id = UpdateIdSchema.safeParse(body)
  if (!id.success) return null
  const fields = body as Record<string, unknown>
  for (const kind of UPDATE_KINDS) {
    if (fields[kind] === undefined) continue
    const parsed = TelegramUpdateItemSchema.safeParse({
      kind,
      updateId: id.data.update_id,
      update: fields[kind],
    })
    return parsed.success ? parsed.data : null
  }
  return null
}
