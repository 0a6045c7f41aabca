import type { Database } from '../db/client'
import type { LeaveReason, Member } from '../db/schema'
import { newId } from '../lib/ids'
import { utcDay } from '../lib/time'

/**
 * Ends a membership for good (`left` by the member, `removed` by an admin): out of every group
 * with the counts freed, their referral link revoked, and an event for partners, in one batch.
 */
export async function endMembership(
  db: Database,
  member: Member,
  status: 'left' | 'removed',
  now: Date,
  reason: LeaveReason | null = null,
): Promise<void> {
  if (member.status !== 'active') return
  await db.$client.batch(endMembershipStatements(db.$client, member, status, now, reason))
}

/**
 * The statements of `endMembership`, for a batch that does more (erasure). Each acts only while
 * the membership is still active, so a second run, or a leave that raced it, changes nothing.
 */
export function endMembershipStatements(
  client: D1Database,
  member: Member,
  status: 'left' | 'removed',
  now: Date,
  reason: LeaveReason | null = null,
): D1PreparedStatement[] {
  const active = `exists (select 1 from members where id = ?1 and status = 'active')`
  return [
    client
      .prepare(
        `update groups set member_count = member_count - 1
         where id in (select group_id from group_members where member_id = ?1) and ${active}`,
      )
      .bind(member.id),
    client.prepare(`delete from group_members where member_id = ?1 and ${active}`).bind(member.id),
    // A referral link on Telegram has the chat's own link behind it: revoked there too (the cron
    // job asks Telegram), or, not made yet, never made.
    client
      .prepare(
        `update telegram_invite_links set status = 'revoked', revoked_at = ?2, next_attempt_at = null
         where status = 'pending' and ${active}
           and invite_id in (select id from invites where referrer_member_id = ?1)`,
      )
      .bind(member.id, now.getTime()),
    client
      .prepare(
        `update telegram_invite_links set status = 'revoking', revoked_at = ?2,
           next_attempt_at = ?2, attempts = 0
         where status = 'active' and ${active}
           and invite_id in (select id from invites where referrer_member_id = ?1)`,
      )
      .bind(member.id, now.getTime()),
    client
      .prepare(
        `update invites set revoked_at = ?2, updated_at = ?2
         where referrer_member_id = ?1 and revoked_at is null and ${active}`,
      )
      .bind(member.id, now.getTime()),
    // In a chat no group follows, a Telegram member's row was kept only to count their leave
    // (`forgetChatOfGroup`): it goes with the membership.
    client
      .prepare(
        `delete from telegram_memberships
         where (chat_id, user_id) in (select telegram_chat_id, telegram_user_id from members
             where id = ?1 and telegram_user_id is not null)
           and not exists (select 1 from groups
             where telegram_chat_id = telegram_memberships.chat_id)
           and ${active}`,
      )
      .bind(member.id),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'member.left', ?3, json_object('memberId', ?1, 'reason', ?4, 'leaveReason', ?6), ?5 where ${active}`,
      )
      .bind(
        member.id,
        newId('evt', now.getTime()),
        member.communityId,
        status,
        now.getTime(),
        reason,
      ),
    leaveRollupStatement(client, member, now, active),
    client
      .prepare(
        `update members set status = ?2, ended_at = ?3, leave_reason = ?4 where id = ?1 and status = 'active'`,
      )
      .bind(member.id, status, now.getTime(), reason),
  ]
}

const DAY_MS = 86_400_000

/**
 * Counts a leave on the rollup row of the member's join (their link, day, country, way in,
 * device and referrer), so the
 * funnel's retention reads the rollups: left at all, within 7 days, within 30 days.
 */
function leaveRollupStatement(
  client: D1Database,
  member: Member,
  now: Date,
  active: string,
): D1PreparedStatement {
  const stayed = now.getTime() - member.joinedAt.getTime()
  return client
    .prepare(
      `update invite_daily_stats set leaves = leaves + 1,
         left_within_7_days = left_within_7_days + ?5, left_within_30_days = left_within_30_days + ?6
       where invite_id = ?2 and day = ?3
         and (country, via, device, referrer_host) =
           (select country, via, device, referrer_host from join_requests where id = ?4)
         and ${active}`,
    )
    .bind(
      member.id,
      member.inviteId,
      utcDay(member.joinedAt),
      member.joinRequestId,
      stayed <= 7 * DAY_MS ? 1 : 0,
      stayed <= 30 * DAY_MS ? 1 : 0,
    )
}
