import { newInviteCode } from '../../lib/codes'
import { idTimePart, newId } from '../../lib/ids'
import { roomIn } from '../../services/group-seats'
import { EARNED_AT_ONCE } from '../../services/join-statements'

/**
 * What a verified join or leave does to `members`: a join through one of our links (or after an
 * approved join request) makes the person a member of the chat's group, a leave ends that
 * membership. Every statement binds the update id as ?1 and runs only while that update is not
 * applied (`NOT_APPLIED`), in the same batch as the update's mark, so a resent copy does nothing.
 */

/** An effect runs only if its update has not been applied yet (see `apply.ts`). */
export const NOT_APPLIED = 'not exists (select 1 from telegram_updates where update_id = ?1)'

const DAY_MS = 86_400_000

/** The group a Telegram chat is linked to, with where its members land. */
export interface ChatGroup {
  groupId: string
  communityId: string
  announcementGroupId: string
  /** 1 in a closed community (its links make join requests), as SQLite answers a comparison. */
  closed: 0 | 1
}

/** The person a `chat_member` update is about, and when Telegram saw the change. */
export interface ChatPerson {
  updateId: number
  chatId: number
  userId: number
  name: string
  username: string | null
  at: number
}

/**
 * Verified retention counts each join's stint once, on the day of the join (its cohort): left
 * within 7 and within 30 days. A leave counts it when the stint it ends is on record (read
 * before this update's membership row is written); a join reported after its own leave counts
 * it itself. Runs before the membership row is updated.
 */
export function cohortLeaveStatement(
  client: D1Database,
  person: ChatPerson,
  joined: boolean,
  link: { inviteId: string; communityId: string } | null,
): D1PreparedStatement {
  const columns = `insert into invite_daily_stats (invite_id, community_id, day, country,
      verified_left_within_7_days, verified_left_within_30_days)`
  const conflict = `on conflict (invite_id, day, country, via, device, referrer_host) do update set
      verified_left_within_7_days = verified_left_within_7_days + excluded.verified_left_within_7_days,
      verified_left_within_30_days = verified_left_within_30_days + excluded.verified_left_within_30_days`
  if (!joined) {
    return client
      .prepare(
        `${columns}
         select m.invite_id, i.community_id, strftime('%Y-%m-%d', m.joined_at / 1000, 'unixepoch'),
           'XX', ?4 - m.joined_at <= ${7 * DAY_MS}, ?4 - m.joined_at <= ${30 * DAY_MS}
         from telegram_memberships m join invites i on i.id = m.invite_id
         where m.chat_id = ?2 and m.user_id = ?3 and m.is_member = 1 and m.joined_at <= ?4
           and m.status_at <= ?4 and ${NOT_APPLIED}
         ${conflict}`,
      )
      .bind(person.updateId, person.chatId, person.userId, person.at)
  }
  return client
    .prepare(
      `${columns}
       select ?5, ?6, strftime('%Y-%m-%d', ?4 / 1000, 'unixepoch'), 'XX',
         m.left_at - ?4 <= ${7 * DAY_MS}, m.left_at - ?4 <= ${30 * DAY_MS}
       from telegram_memberships m
       where m.chat_id = ?2 and m.user_id = ?3 and m.is_member = 0 and m.status_at > ?4
         and m.left_at >= ?4 and (m.joined_at is null or m.joined_at < ?4)
         and ?5 is not null and ${NOT_APPLIED}
       ${conflict}`,
    )
    .bind(
      person.updateId,
      person.chatId,
      person.userId,
      person.at,
      link?.inviteId ?? null,
      link?.communityId ?? null,
    )
}

/**
 * A leave reported before any join of the person was on record could only be counted under
 * "other routes"; once the join it ends arrives through one of our links, the leave moves to
 * that link, on the day it happened. Runs before the membership row is updated.
 */
export function lateLeaveStatements(
  client: D1Database,
  person: ChatPerson,
  link: { inviteId: string; communityId: string },
): D1PreparedStatement[] {
  const endsThisJoin = `from telegram_memberships m
    where m.chat_id = ?2 and m.user_id = ?3 and m.is_member = 0 and m.joined_at is null
      and m.status_at > ?4 and m.left_at >= ?4 and ${NOT_APPLIED}`
  const day = `strftime('%Y-%m-%d', m.left_at / 1000, 'unixepoch')`
  return [
    client
      .prepare(
        `update telegram_chat_daily_stats set verified_leaves = verified_leaves - 1
         where chat_id = ?2 and verified_leaves > 0 and day = (select ${day} ${endsThisJoin})`,
      )
      .bind(person.updateId, person.chatId, person.userId, person.at),
    client
      .prepare(
        `insert into invite_daily_stats (invite_id, community_id, day, country, verified_leaves)
         select ?5, ?6, ${day}, 'XX', 1 ${endsThisJoin}
         on conflict (invite_id, day, country, via, device, referrer_host)
         do update set verified_leaves = verified_leaves + 1`,
      )
      .bind(
        person.updateId,
        person.chatId,
        person.userId,
        person.at,
        link.inviteId,
        link.communityId,
      ),
  ]
}

/** The joining person's new membership: its id, and its referral link's (if it stays a member). */
export interface TelegramJoin {
  memberId: string
  referralInviteId: string
  referralLinkId: string
}

/**
 * A verified join makes a member, after the membership row is written (it says whether a newer
 * leave is already on record: then the member is made as having left). Idempotent per account
 * and chat: none is made while the person has an active membership there, or one that started
 * later. The group's and the link's limits hold inside the statement, as for a join on the web,
 * and so does the group's link to the chat (read ahead for the batch, it may have changed since).
 * Then, each only if that member row exists: the link's use, and, while a member, their groups
 * and counts, their own referral link with its Telegram link (made by the consumer right after,
 * or the cron job), the referrer's credit and rewards, and the event.
 */
export function joinMemberStatements(
  client: D1Database,
  person: ChatPerson,
  group: ChatGroup,
  via: { inviteId: string | null; referrerMemberId: string | null; unasked?: boolean },
  now: Date,
): { statements: D1PreparedStatement[]; join: TelegramJoin } {
  const nowMs = now.getTime()
  const join: TelegramJoin = {
    memberId: newId('mem', nowMs),
    referralInviteId: newId('inv', nowMs),
    referralLinkId: newId('tgl', nowMs),
  }
  const groupIds = [...new Set([group.announcementGroupId, group.groupId])]
  const made = `exists (select 1 from members where id = ?2)`
  const active = `exists (select 1 from members where id = ?2 and status = 'active')`
  const proof = String(person.updateId)
  // Their own approval holds the seat they take: not counted against them.
  const joiner = { chat: '?4', user: '?5' }
  const statements = [
    client
      .prepare(
        `insert into members (id, community_id, name, consent, status, join_request_id, invite_id,
           referred_by_member_id, referral_count, joined_at, ended_at, leave_reason, confirmed_at,
           consent_method, consent_proof, telegram_chat_id, telegram_user_id, telegram_username,
           telegram_confirmed_at, telegram_consent_method, telegram_consent_proof)
         select ?2, ?3, ?6, 1,
           case when m.is_member = 1 then 'active' when m.left_as = 'kicked' then 'removed' else 'left' end,
           null, ?8, ?9, 0, ?10, case when m.is_member = 1 then null else m.left_at end,
           case when m.is_member = 1 then null when m.left_as = 'kicked' then 'removed_in_chat'
             else 'left_chat' end,
           ?10, 'telegram_join', ?13, ?4, ?5, ?7, ?10, 'telegram_join', ?13
         from telegram_memberships m
         where m.chat_id = ?4 and m.user_id = ?5 and ${NOT_APPLIED}
           and not exists (select 1 from members o where o.telegram_chat_id = ?4
             and o.telegram_user_id = ?5 and (o.status = 'active' or o.joined_at >= ?10))
           and (m.is_member = 0 or (${roomIn('?11', '?10', joiner)} and ${roomIn('?12', '?10', joiner)}))
           and (?8 is null or exists (select 1 from invites where id = ?8
             and (max_uses is null or uses < max_uses)))
           and exists (select 1 from groups where id = ?14 and telegram_chat_id = ?4)
           and (?15 = 0 or exists (select 1 from communities where id = ?3
             and visibility = 'open'))`,
      )
      .bind(
        person.updateId,
        join.memberId,
        group.communityId,
        person.chatId,
        person.userId,
        person.name,
        person.username,
        via.inviteId,
        via.referrerMemberId,
        person.at,
        groupIds[0],
        groupIds[1] ?? groupIds[0],
        proof,
        group.groupId,
        // Let in by a link that asked no one: a member only while the community is still open
        // (one closed after the batch was read admits through approved requests alone).
        via.unasked ? 1 : 0,
      ),
    client
      .prepare(`update invites set uses = uses + 1, updated_at = ?3 where id = ?4 and ${made}`)
      .bind(person.updateId, join.memberId, nowMs, via.inviteId),
    ...groupIds.map((groupId) =>
      client
        .prepare(
          `insert into group_members (group_id, member_id, joined_at) select ?3, ?2, ?4 where ${active}`,
        )
        .bind(person.updateId, join.memberId, groupId, person.at),
    ),
    client
      .prepare(
        `update groups set member_count = member_count + 1 where id in (?3, ?4) and ${active}`,
      )
      .bind(person.updateId, join.memberId, groupIds[0], groupIds[1] ?? groupIds[0]),
    ...referralLinkStatements(client, person, group, join, nowMs, active),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?3, 'member.joined', ?4,
           json_object('memberId', ?2, 'joinRequestId', null, 'inviteId', ?5, 'platform', 'telegram'), ?6
         where ${made}`,
      )
      .bind(
        person.updateId,
        join.memberId,
        newId('evt', nowMs),
        group.communityId,
        via.inviteId,
        nowMs,
      ),
    ...(via.referrerMemberId
      ? referralCreditStatements(client, person, join, via.referrerMemberId, nowMs)
      : []),
  ]
  return { statements, join }
}

/**
 * The new member's own referral link, on their group, with a Telegram link planned behind it
 * (`pending`): the queue consumer asks Telegram for it right after, the cron job if that fails.
 */
function referralLinkStatements(
  client: D1Database,
  person: ChatPerson,
  group: ChatGroup,
  join: TelegramJoin,
  nowMs: number,
  active: string,
): D1PreparedStatement[] {
  const code = newInviteCode()
  return [
    client
      .prepare(
        `insert into invites (id, community_id, group_id, code, label, source, medium,
           referrer_member_id, uses, created_at, updated_at)
         select ?3, ?4, ?5, ?6, 'Referral link', 'referral', 'member', ?2, 0, ?7, ?7 where ${active}`,
      )
      .bind(
        person.updateId,
        join.memberId,
        join.referralInviteId,
        group.communityId,
        group.groupId,
        code,
        nowMs,
      ),
    client
      .prepare(
        `insert into invite_codes (code, invite_id, created_at)
         select ?3, ?4, ?5 where ${active}`,
      )
      .bind(person.updateId, join.memberId, code, join.referralInviteId, nowMs),
    client
      .prepare(
        `insert into telegram_invite_links (id, invite_id, chat_id, url, creates_join_request,
           status, attempts, next_attempt_at, created_at)
         select ?3, ?4, ?5, null,
           (select visibility = 'closed' from communities where id = ?6), 'pending', 0, ?7, ?8
         where exists (select 1 from invites where id = ?4)`,
      )
      .bind(
        person.updateId,
        join.memberId,
        join.referralLinkId,
        join.referralInviteId,
        person.chatId,
        // Its visibility now, not as read ahead: one closed since gets a link that asks.
        group.communityId,
        // The consumer asks first; the cron job only if that did not get through.
        nowMs + 60_000,
        nowMs,
      ),
  ]
}

/**
 * The referrer whose link Telegram says the person joined through is credited, and earns, once,
 * every reward that needs no retention period (the cron job grants the others, counting only
 * referred members still in the chat).
 */
function referralCreditStatements(
  client: D1Database,
  person: ChatPerson,
  join: TelegramJoin,
  referrerMemberId: string,
  nowMs: number,
): D1PreparedStatement[] {
  const made = `exists (select 1 from members where id = ?2)`
  const trigger = `telegram:${person.updateId}`
  const time = idTimePart(nowMs)
  return [
    client
      .prepare(
        `update members set referral_count = referral_count + 1
         where id = ?3 and status = 'active' and ${made}`,
      )
      .bind(person.updateId, join.memberId, referrerMemberId),
    client
      .prepare(
        `insert or ignore into rewards (id, rule_id, member_id, community_id, triggered_by, earned_at)
         select 'rwd_' || ?5 || lower(hex(randomblob(8))), r.id, m.id, m.community_id, ?4, ?6
         from reward_rules r join members m on m.id = ?3
         where ${EARNED_AT_ONCE} and ${made}`,
      )
      .bind(person.updateId, join.memberId, referrerMemberId, trigger, time, nowMs),
    // Only with the member this copy made: the rewards are there already for a copy that comes
    // after the one that earned them.
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select 'evt_' || ?5 || lower(hex(randomblob(8))), 'reward.earned', w.community_id,
           json_object('rewardId', w.id, 'ruleId', w.rule_id, 'memberId', w.member_id), ?6
         from rewards w where w.triggered_by = ?4 and ${made}`,
      )
      .bind(person.updateId, join.memberId, referrerMemberId, trigger, time, nowMs),
  ]
}

/**
 * A verified leave (`left`, or `kicked`: removed in the chat) ends the membership of the stint it
 * ends: out of its groups with the counts freed, their referral link revoked with its Telegram
 * link, an event, and the member `left` (or `removed`) as of the leave's time, with why. A leave
 * older than the active membership (reported late, after a newer join) ends nothing.
 */
export function leaveMemberStatements(
  client: D1Database,
  person: ChatPerson,
  kicked: boolean,
  now: Date,
): D1PreparedStatement[] {
  const nowMs = now.getTime()
  const ending = `select id from members where telegram_chat_id = ?2 and telegram_user_id = ?3
    and status = 'active' and joined_at <= ?4`
  const referral = `select id from invites where referrer_member_id in (${ending})`
  // ?1 to ?4 name the update and the stint; ?5 on is what a statement adds.
  const bind = (statement: D1PreparedStatement, ...more: unknown[]) =>
    statement.bind(person.updateId, person.chatId, person.userId, person.at, ...more)
  return [
    bind(
      client.prepare(
        `update groups set member_count = member_count - 1
         where id in (select group_id from group_members where member_id in (${ending})) and ${NOT_APPLIED}`,
      ),
    ),
    bind(
      client.prepare(`delete from group_members where member_id in (${ending}) and ${NOT_APPLIED}`),
    ),
    bind(
      client.prepare(
        `update telegram_invite_links set status = 'revoked', revoked_at = ?5, next_attempt_at = null
         where status = 'pending' and invite_id in (${referral}) and ${NOT_APPLIED}`,
      ),
      nowMs,
    ),
    bind(
      client.prepare(
        `update telegram_invite_links set status = 'revoking', revoked_at = ?5, next_attempt_at = ?5,
           attempts = 0
         where status = 'active' and invite_id in (${referral}) and ${NOT_APPLIED}`,
      ),
      nowMs,
    ),
    bind(
      client.prepare(
        `update invites set revoked_at = ?5, updated_at = ?5
         where referrer_member_id in (${ending}) and revoked_at is null and ${NOT_APPLIED}`,
      ),
      nowMs,
    ),
    bind(
      client.prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?6, 'member.left', community_id,
           json_object('memberId', id, 'reason', ?7, 'leaveReason', ?8, 'platform', 'telegram'), ?5
         from members where id in (${ending}) and ${NOT_APPLIED}`,
      ),
      nowMs,
      newId('evt', nowMs),
      kicked ? 'removed' : 'left',
      kicked ? 'removed_in_chat' : 'left_chat',
    ),
    bind(
      client.prepare(
        `update members set status = ?5, ended_at = ?4, leave_reason = ?6
         where id in (${ending}) and ${NOT_APPLIED}`,
      ),
      kicked ? 'removed' : 'left',
      kicked ? 'removed_in_chat' : 'left_chat',
    ),
  ]
}
