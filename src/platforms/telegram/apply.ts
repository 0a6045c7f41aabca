import { lt } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { telegramUpdates, type TelegramBotStatus } from '../../db/schema'
import type { TelegramConfig } from '../../lib/config'
import { utcDay } from '../../lib/time'
import { newId } from '../../lib/ids'
import {
  personName,
  type ChatJoinRequest,
  type ChatMemberUpdated,
  type TelegramUpdateItem,
} from './updates'
import { botCommand, commandEffects, type CommandKeywords } from './commands'
import { sendMessage } from './client'
import { NO_LONGER_AT_TELEGRAM } from './join-requests'
import { logError } from '../../lib/log'
import {
  cohortLeaveStatement,
  joinMemberStatements,
  lateLeaveStatements,
  leaveMemberStatements,
  NOT_APPLIED,
  type ChatPerson,
  type TelegramJoin,
} from './members'
import type { BatchReads, ChatLink } from './batch-reads'
import type { ChatGroup } from './members'

/**
 * Applies one Telegram update, exactly once: its effects and its `update_id` are written in one
 * batch (a transaction), and each effect runs only while the id is not yet recorded, so a resent
 * or re-queued copy changes nothing, whatever the order they arrive in. What it reads comes from
 * `reads` (mostly read ahead for its whole batch, `batch-reads.ts`): its `applied` only spares the
 * work of a copy recorded before, and one that gets past it (recorded since, by another consumer)
 * is stopped by the effects' own conditions.
 */
export async function applyTelegramUpdate(
  db: Database,
  telegram: TelegramConfig,
  item: TelegramUpdateItem,
  now: Date,
  reads: BatchReads,
  keywords: CommandKeywords = { optOut: ['stop'], optIn: ['start'] },
  startSecret: string | null = null,
): Promise<{ outcome: string; join?: TelegramJoin }> {
  const client = db.$client
  if (reads.applied.has(item.updateId)) return { outcome: 'replayed' }
  let effects: D1PreparedStatement[] = []
  let outcome = 'ignored'
  let join: TelegramJoin | undefined
  if (item.kind === 'my_chat_member') {
    effects = botStatusChange(client, telegram, item.updateId, item.update, now)
    outcome = effects.length > 0 ? 'chat updated' : 'ignored'
  } else if (item.kind === 'chat_join_request') {
    effects = await joinRequest(client, reads, item.updateId, item.update, now)
    outcome = effects.length > 0 ? 'join request' : 'ignored'
  } else if (item.kind === 'chat_member') {
    const change = await membershipChange(client, reads, item.updateId, item.update, now)
    effects = change.effects
    outcome = change.outcome
    join = change.join
  }
  // `/start` and `/stop` in a private chat with the bot (see `commands.ts`).
  let reply: { chatId: number; text: string } | null = null
  const command = item.kind === 'message' ? botCommand(item.update, keywords) : null
  if (item.kind === 'message' && command) {
    const result = await commandEffects(client, item.updateId, item.update, command, startSecret)
    effects = result.effects
    outcome = result.outcome
    reply = { chatId: item.update.chat.id, text: result.reply }
  }
  // The mark comes last: the effects before it still see the update as not applied.
  const mark = client
    .prepare(
      'insert into telegram_updates (update_id, received_at) values (?1, ?2) on conflict do nothing',
    )
    .bind(item.updateId, now.getTime())
  const written = await client.batch([...effects, mark])
  // Answered once, by the copy that applied it; a reply that fails is logged, not retried: what
  // it confirms has happened either way. A `/start` older than the contact's newest word changed
  // nothing, and earns no reply.
  const acted = command?.kind === 'stop' || written[0]?.meta.changes === 1
  if (reply && acted && written.at(-1)!.meta.changes === 1) {
    const sent = await sendMessage(telegram, reply.chatId, reply.text)
    if (!sent.ok) logError({ job: 'telegram-updates', reply: outcome }, sent.kind)
  }
  return { outcome, join }
}

/**
 * The bot was added to a chat, promoted, given or denied rights, or removed: the chat becomes
 * known (or is updated) with the bot's standing there. A private chat (someone started or
 * blocked the bot) is no chat a group can be linked to.
 */
function botStatusChange(
  client: D1Database,
  telegram: TelegramConfig,
  updateId: number,
  update: ChatMemberUpdated,
  now: Date,
): D1PreparedStatement[] {
  const { chat, new_chat_member: standing } = update
  if (chat.type === 'private' || standing.user.id !== telegram.botId) return []
  const status: TelegramBotStatus = standing.status
  const creator = status === 'creator'
  const administrator = status === 'administrator'
  const canInvite = creator || (administrator && standing.can_invite_users === true)
  // In a group anyone present may post; in a channel only an administrator with the right.
  const canPost =
    chat.type === 'channel'
      ? creator || (administrator && standing.can_post_messages === true)
      : creator || administrator || status === 'member'
  const title = chat.title || chat.username || String(chat.id)
  const at = update.date * 1000
  return [
    client
      .prepare(
        `insert into telegram_chats (chat_id, type, title, username, bot_status, can_invite_users,
           can_post_messages, status_at, created_at)
         select ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
         where ${NOT_APPLIED}
         on conflict (chat_id) do update set type = excluded.type, title = excluded.title,
           username = excluded.username, bot_status = excluded.bot_status,
           can_invite_users = excluded.can_invite_users,
           can_post_messages = excluded.can_post_messages, status_at = excluded.status_at
         where excluded.status_at >= telegram_chats.status_at`,
      )
      .bind(
        updateId,
        chat.id,
        chat.type,
        title,
        chat.username ?? null,
        status,
        canInvite ? 1 : 0,
        canPost ? 1 : 0,
        at,
        now.getTime(),
      ),
    // Rights given back: the links Telegram refused for want of them are tried again at once.
    client
      .prepare(
        `update telegram_invite_links set failed_at = null, attempts = 0, next_attempt_at = ?3
         where chat_id = ?2 and status = 'pending' and failed_at is not null and ?4 = 1
           and ${NOT_APPLIED}`,
      )
      .bind(updateId, chat.id, now.getTime(), canInvite ? 1 : 0),
  ]
}

type ChatMember = ChatMemberUpdated['new_chat_member']

/** Whether a ChatMember is in the chat: a restricted member may be, or may have left. */
function isIn(member: ChatMember): boolean {
  if (member.status === 'restricted') return member.is_member === true
  return (
    member.status === 'creator' || member.status === 'administrator' || member.status === 'member'
  )
}

/**
 * Someone joined or left a chat, as Telegram saw it. A join through one of our links (its
 * `invite_link`) is a verified join of that link, whether or not the link has been revoked
 * since; any other join counts under "other" for the chat. A leave (left, or kicked) counts for
 * the link the person joined through. Every report is counted once, on its own day; the
 * membership itself follows the newest report, so a leave reported before its join stays a
 * leave. A join through our link, or after a join request our admins approved, makes the person
 * a member of the chat's group; their leave ends it (`members.ts`). Promotions and other
 * changes within the chat count nothing. Who is in a chat (`telegram_memberships`: user ids and
 * times, not names) is kept only while a group follows the chat: nothing reads it otherwise. Once none does,
 * only the leave of someone whose row stayed (one of our members, `forgetChatOfGroup`) is
 * recorded, so that the sweep can take it.
 */
async function membershipChange(
  client: D1Database,
  reads: BatchReads,
  updateId: number,
  update: ChatMemberUpdated,
  now: Date,
): Promise<{ effects: D1PreparedStatement[]; outcome: string; join?: TelegramJoin }> {
  const user = update.new_chat_member.user
  const joined = isIn(update.new_chat_member)
  if (user.is_bot || isIn(update.old_chat_member) === joined) {
    return { effects: [], outcome: 'ignored' }
  }
  const chatId = update.chat.id
  const at = update.date * 1000
  const day = utcDay(new Date(at))
  const person: ChatPerson = {
    updateId,
    chatId,
    userId: user.id,
    name: personName({
      firstName: user.first_name,
      lastName: user.last_name,
      username: user.username,
      id: user.id,
    }),
    username: user.username ?? null,
    at,
  }
  let link: { inviteId: string; communityId: string; referrerMemberId: string | null } | null = null
  const group = joined ? await reads.group(chatId) : null
  // Whether the link lets its people in as members: in a closed community only one that made a
  // join request does. One made while the community was open (revoked at Telegram by the cron
  // job since it closed, `retireLinksOfCommunity`) let them in unasked: their join is counted
  // for it, but only an approved request makes them members.
  let linkAdmits = false
  // A link that asked no one admits only while the community is open: the member row checks
  // that again when it is written, for a community closed after this batch was read.
  let unasked = false
  if (joined && update.invite_link) {
    const ours = ourLinkInto(chatId, group, await reads.link(update.invite_link.invite_link))
    link = ours
    linkAdmits = ours !== null && (!group?.closed || ours.createsJoinRequest === 1)
    unasked = ours?.createsJoinRequest === 0
  } else if (!joined) {
    link = await client
      .prepare(
        `select m.invite_id as inviteId, i.community_id as communityId,
           i.referrer_member_id as referrerMemberId
         from telegram_memberships m join invites i on i.id = m.invite_id
         where m.chat_id = ?1 and m.user_id = ?2`,
      )
      .bind(chatId, user.id)
      .first()
  }
  const kicked = update.new_chat_member.status === 'kicked'
  const membership = client
    .prepare(
      `insert into telegram_memberships (chat_id, user_id, username, first_name, is_member,
         invite_id, joined_at, left_at, left_as, status_at)
       select ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 where ${NOT_APPLIED}
         and (exists (select 1 from groups where telegram_chat_id = ?2)
           or ?6 = 0 and exists (select 1 from telegram_memberships
             where chat_id = ?2 and user_id = ?3))
       on conflict (chat_id, user_id) do update set
         username = excluded.username, first_name = excluded.first_name,
         invite_id = case when excluded.joined_at >= coalesce(telegram_memberships.joined_at, 0)
           then excluded.invite_id else telegram_memberships.invite_id end,
         joined_at = nullif(max(coalesce(excluded.joined_at, 0),
           coalesce(telegram_memberships.joined_at, 0)), 0),
         left_at = nullif(max(coalesce(excluded.left_at, 0),
           coalesce(telegram_memberships.left_at, 0)), 0),
         left_as = case when excluded.left_at >= coalesce(telegram_memberships.left_at, 0)
           then excluded.left_as else telegram_memberships.left_as end,
         is_member = case when excluded.status_at >= telegram_memberships.status_at
           then excluded.is_member else telegram_memberships.is_member end,
         status_at = max(excluded.status_at, telegram_memberships.status_at)`,
    )
    .bind(
      updateId,
      chatId,
      user.id,
      // Nothing reads who someone in the chat is by name: their name and user name are not kept
      // (an update clears what rows from before this kept).
      null,
      '',
      joined ? 1 : 0,
      joined ? (link?.inviteId ?? null) : null,
      joined ? at : null,
      joined ? null : at,
      joined ? null : kicked ? 'kicked' : 'left',
      at,
    )
  const column = joined ? 'verified_joins' : 'verified_leaves'
  const counted = link
    ? client
        .prepare(
          `insert into invite_daily_stats (invite_id, community_id, day, country, ${column})
           select ?2, ?3, ?4, 'XX', 1 where ${NOT_APPLIED}
           on conflict (invite_id, day, country, via, device, referrer_host)
           do update set ${column} = ${column} + 1`,
        )
        .bind(updateId, link.inviteId, link.communityId, day)
    : client
        .prepare(
          `insert into telegram_chat_daily_stats (chat_id, day, ${column})
           select ?2, ?3, 1 where ${NOT_APPLIED}
           on conflict (chat_id, day) do update set ${column} = ${column} + 1`,
        )
        .bind(updateId, chatId, day)
  const cohort = [
    cohortLeaveStatement(client, person, joined, link),
    ...(joined && link ? lateLeaveStatements(client, person, link) : []),
  ]
  const through = link ? 'a link' : 'another route'
  const outcome = `${joined ? 'join' : 'leave'} through ${through}`
  if (!joined) {
    return {
      effects: [
        ...cohort,
        membership,
        counted,
        ...leaveMemberStatements(client, person, kicked, now),
      ],
      outcome,
    }
  }
  // They are in: a request of theirs still waiting into this chat, asked before the join, ends
  // (a chat admin let them in there, or they came by another link; Telegram no longer has it).
  // One asked after it (they left and asked again since) waits.
  const requestEnded = client
    .prepare(
      `update telegram_join_requests set status = 'gone', outcome = ?4, decided_at = ?5
         where chat_id = ?2 and user_id = ?3 and status = 'pending' and requested_at <= ?6
           and ${NOT_APPLIED}`,
    )
    .bind(updateId, chatId, user.id, NO_LONGER_AT_TELEGRAM, now.getTime(), at)
  const via =
    (linkAdmits && link ? { ...link, unasked } : null) ??
    (group ? await approvedRequest(client, chatId, user.id, group.communityId) : null)
  if (!group || !via) return { effects: [...cohort, membership, counted, requestEnded], outcome }
  const { statements, join } = joinMemberStatements(client, person, group, via, now)
  return {
    effects: [...cohort, membership, counted, ...statements, requestEnded],
    outcome,
    join,
  }
}

/**
 * Our link a join or a join request came through, if it leads into this chat and the chat is not
 * another community's now: a group that left the chat has its links revoked at Telegram (by the
 * cron job, `retireLinksIntoChatOf`), and one used before that counts as another route there.
 */
function ourLinkInto(
  chatId: number,
  group: ChatGroup | null,
  ours: ChatLink | null,
): ChatLink | null {
  if (!ours || ours.chatId !== chatId) return null
  return group && group.communityId !== ours.communityId ? null : ours
}

/**
 * A join by another route is still a member's when the admins of the community that follows the
 * chat approved their join request to it (not another community's, which followed it before):
 * credited to the link the request came through, if any.
 */
async function approvedRequest(
  client: D1Database,
  chatId: number,
  userId: number,
  communityId: string,
): Promise<{ inviteId: string | null; referrerMemberId: string | null } | null> {
  return client
    .prepare(
      `select r.invite_id as inviteId, i.referrer_member_id as referrerMemberId
       from telegram_join_requests r left join invites i on i.id = r.invite_id
       where r.chat_id = ?1 and r.user_id = ?2 and r.community_id = ?3 and r.status = 'approved'
       order by r.decided_at desc limit 1`,
    )
    .bind(chatId, userId, communityId)
    .first()
}

/**
 * Someone asked to join a chat linked to a group (a closed community's link makes requests):
 * the request waits for the community's admins, with the link it came through. A chat linked to
 * no group is none of ours.
 */
async function joinRequest(
  client: D1Database,
  reads: BatchReads,
  updateId: number,
  request: ChatJoinRequest,
  now: Date,
): Promise<D1PreparedStatement[]> {
  const chatId = request.chat.id
  const group = await reads.group(chatId)
  if (!group) return []
  const link = request.invite_link
    ? ourLinkInto(chatId, group, await reads.link(request.invite_link.invite_link))
    : null
  const person = request.from
  return [
    client
      .prepare(
        `insert into telegram_join_requests (id, community_id, chat_id, user_id, invite_id,
           first_name, last_name, username, language_code, bio, requested_at, status)
         select ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending' where ${NOT_APPLIED}
           and exists (select 1 from groups where community_id = ?3 and telegram_chat_id = ?4)
         on conflict do nothing`,
      )
      .bind(
        updateId,
        newId('tjr', now.getTime()),
        group.communityId,
        chatId,
        person.id,
        link?.inviteId ?? null,
        person.first_name,
        person.last_name ?? null,
        person.username ?? null,
        person.language_code ?? null,
        request.bio ?? null,
        request.date * 1000,
      ),
  ]
}

/**
 * Forgets applied update ids after a week: Telegram keeps an unconfirmed update for 24 hours,
 * and our queue retries for less than a day, so no copy can arrive later.
 */
export async function pruneTelegramUpdates(db: Database, now: Date): Promise<void> {
  await db
    .delete(telegramUpdates)
    .where(lt(telegramUpdates.receivedAt, new Date(now.getTime() - 7 * 86400_000)))
}
