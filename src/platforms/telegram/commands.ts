import { canonicalCode, GENERATED_CODE_PATTERN } from '../../lib/codes'
import { foldKeyword } from '../../lib/keywords'
import { botReplies, type BotReplies } from '../../lib/i18n/telegram-messages'
import type { TelegramUpdateItem } from './updates'
import { NOT_APPLIED } from './members'
import { memberOfStartPayload } from './start-link'

/**
 * `/start` and `/stop` in a person's private chat with the bot. `/start <payload>` (the deep link
 * `https://t.me/<bot>?start=<payload>` on a member's status page, `start-link.ts`) links their
 * Telegram account to the member it was made for; so does a member's referral code in an open
 * community (see `openReferrer`). Otherwise the start is recorded on its own, linked to no
 * member, and nothing is sent to it. How an account was linked is kept (`linked_by`): one a
 * referral code linked gets nothing once its community is closed. The consent is the person's own message, kept with its method and `update_id`.
 * `/stop`, and every opt-out keyword WhatsApp members use (`Stopp`, folded the same way), ends
 * that; `/start` again resumes it.
 */

type Message = Extract<TelegramUpdateItem, { kind: 'message' }>['update']

/** Keywords as configured (`OPT_OUT_KEYWORDS`, `OPT_IN_KEYWORDS`), already folded. */
export interface CommandKeywords {
  optOut: string[]
  optIn: string[]
}

/** A deep-link payload: Telegram allows 1-64 of A-Z a-z 0-9 _ -. */
const START = /^\/start(?:@[A-Za-z0-9_]{1,64})?(?:\s+([A-Za-z0-9_-]{1,64}))?\s*$/
const STOP = /^\/stop(?:@[A-Za-z0-9_]{1,64})?\s*$/

export type BotCommand = { kind: 'start'; payload: string | null } | { kind: 'stop' }

/** The command a private message carries, if any. */
export function botCommand(message: Message, keywords: CommandKeywords): BotCommand | null {
  if (message.chat.type !== 'private' || !message.from || message.from.is_bot) return null
  const text = (message.text ?? '').trim()
  const start = START.exec(text)
  if (start) return { kind: 'start', payload: start[1] ?? null }
  if (STOP.test(text)) return { kind: 'stop' }
  const folded = foldKeyword(text)
  if (keywords.optOut.includes(folded)) return { kind: 'stop' }
  if (keywords.optIn.includes(folded)) return { kind: 'start', payload: null }
  return null
}

/** Whether an earlier `/start` with a member's code linked this account (it keeps that link). */
async function linkedToMember(client: D1Database, userId: number): Promise<boolean> {
  const row = await client
    .prepare('select 1 from telegram_contacts where user_id = ?1 and member_id is not null')
    .bind(userId)
    .first()
  return row !== null
}

/**
 * The member whose referral code a payload is, in an open community only. Members share their
 * referral link with anyone they invite, so it proves nothing about who starts the bot with it:
 * in an open community that costs nothing, as anyone may join and read its announcements, and
 * the link keeps working as a deep link. In a closed one only the member's own signed deep link
 * (`start-link.ts`) links an account: its announcements are for approved members.
 */
async function openReferrer(
  client: D1Database,
  payload: string,
): Promise<{ id: string; community: string } | null> {
  if (!GENERATED_CODE_PATTERN.test(canonicalCode(payload))) return null
  return client
    .prepare(
      `select m.id, c.name as community
       from invites i join members m on m.id = i.referrer_member_id
         join communities c on c.id = m.community_id
       where i.code = ?1 and m.status = 'active' and c.visibility = 'open'`,
    )
    .bind(canonicalCode(payload))
    .first<{ id: string; community: string }>()
}

/**
 * The answer to a start that links no member. Someone who joined a community's chat through
 * Telegram itself has no status page, so is not sent to one: told instead that private
 * messages go only to sign-ups through our form.
 */
async function unlinkedReply(
  client: D1Database,
  userId: number,
  replies: BotReplies,
): Promise<string> {
  const joined = await client
    .prepare(
      // Chat by chat (the few the bot administers), so each is one search of the members'
      // index that leads with the chat; by the account alone it would read every active
      // Telegram member. CROSS JOIN keeps SQLite to that order.
      `select c.name as community
       from telegram_chats t cross join members m
         on m.telegram_chat_id = t.chat_id and m.telegram_user_id = ?1 and m.status = 'active'
       join communities c on c.id = m.community_id
       order by m.joined_at desc limit 1`,
    )
    .bind(userId)
    .first<{ community: string }>()
  return joined ? replies.startedChatMember(joined.community) : replies.startedUnknown
}

/**
 * The statements a command writes (each binding the update id as ?1) and the reply it earns,
 * sent once the update is applied.
 */
export async function commandEffects(
  client: D1Database,
  updateId: number,
  message: Message,
  command: BotCommand,
  /** What signs the deep links' payloads; null: none was handed out, none links an account. */
  startSecret: string | null,
): Promise<{ effects: D1PreparedStatement[]; outcome: string; reply: string }> {
  const person = message.from!
  const at = message.date * 1000
  const replies = botReplies(person.language_code)
  if (command.kind === 'stop') {
    return {
      effects: [
        client
          .prepare(
            `update telegram_contacts set status = 'stopped', stopped_at = ?3, stop_proof = ?4,
               status_at = ?3
             where user_id = ?2 and status_at <= ?3 and ${NOT_APPLIED}`,
          )
          .bind(updateId, person.id, at, `telegram_update:${updateId}`),
      ],
      outcome: 'stopped',
      reply: replies.stopped,
    }
  }
  const memberId =
    command.payload && startSecret ? await memberOfStartPayload(startSecret, command.payload) : null
  const member = memberId
    ? await client
        .prepare(
          `select m.id, c.name as community
           from members m join communities c on c.id = m.community_id
           where m.id = ?1 and m.status = 'active'`,
        )
        .bind(memberId)
        .first<{ id: string; community: string }>()
    : command.payload
      ? await openReferrer(client, command.payload)
      : null
  // A referral code links only while its community stays open: the sender keeps to that.
  const linkedBy = member === null ? null : memberId ? 'member_link' : 'referral_code'
  return {
    effects: [
      client
        .prepare(
          `insert into telegram_contacts (user_id, member_id, linked_by, first_name, username,
             language_code, status, confirmed_at, consent_method, consent_proof, status_at,
             created_at)
           select ?2, ?3, ?9, ?4, ?5, ?6, 'started', ?7, 'telegram_start', ?8, ?7, ?7
           where ${NOT_APPLIED}
           on conflict (user_id) do update set
             member_id = coalesce(excluded.member_id, telegram_contacts.member_id),
             linked_by = case when excluded.member_id is null then telegram_contacts.linked_by
               -- The member's own link proved the account theirs: a code for the same member
               -- (their own shared link, followed) takes nothing of that away.
               when excluded.member_id is telegram_contacts.member_id
                 and telegram_contacts.linked_by = 'member_link' then 'member_link'
               else excluded.linked_by end,
             first_name = excluded.first_name, username = excluded.username,
             language_code = excluded.language_code, status = 'started',
             confirmed_at = excluded.confirmed_at, consent_method = excluded.consent_method,
             consent_proof = excluded.consent_proof, stopped_at = null, stop_proof = null,
             status_at = excluded.status_at
           where excluded.status_at >= telegram_contacts.status_at`,
        )
        .bind(
          updateId,
          person.id,
          member?.id ?? null,
          person.first_name,
          person.username ?? null,
          person.language_code ?? null,
          at,
          `telegram_update:${updateId}`,
          linkedBy,
        ),
    ],
    outcome: member ? 'started for a member' : 'started',
    reply: member
      ? replies.startedForMember(person.first_name, member.community)
      : // Nothing goes to an account linked to no member: say so rather than promise messages.
        (await linkedToMember(client, person.id))
        ? replies.started
        : await unlinkedReply(client, person.id, replies),
  }
}
