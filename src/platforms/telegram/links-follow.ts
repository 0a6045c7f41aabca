import { and, eq, exists, inArray, ne, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { invites, telegramInviteLinks, type Invite } from '../../db/schema'
import { idTimePart } from '../../lib/ids'

/*
 * A group's campaign links follow its chat. The statements below go into the batch that links,
 * unlinks or relinks a group (`updateGroup`) or deletes it (`deleteGroup`), around the group's
 * own change, or into the batch that changes a community's visibility or a link's settings.
 * Each is one statement, whatever the number of links (a group's campaign links and its
 * members' referral links): its rows are found through indexes, and Telegram is asked by the
 * cron job, a bounded number a run (`runDueTelegramLinks`).
 */

/**
 * Before the change: the Telegram links into the chat the group follows (but `keep`, the chat it
 * will follow) are revoked, at Telegram by the cron job (one never made is dropped), so that no
 * landing page leads into a chat the community left, perhaps another community's now.
 */
export function retireLinksIntoChatOf(
  db: Database,
  groupId: string,
  keep: number | null,
  now: Date,
) {
  return retireLive(
    db,
    now,
    eq(
      telegramInviteLinks.chatId,
      sql`(select telegram_chat_id from groups where id = ${groupId})`,
    ),
    keep === null ? undefined : ne(telegramInviteLinks.chatId, keep),
  )
}

/**
 * After a community's visibility changed: every Telegram link of its links made for the other
 * visibility is revoked, to be replaced (`planLinksIntoChatOf`) by one that makes join requests
 * when it is closed, and lets people in when it is open. Left alone, a closed community's old
 * links would let anyone in.
 */
export function retireLinksOfCommunity(db: Database, communityId: string, now: Date) {
  return retireLive(
    db,
    now,
    inArray(
      telegramInviteLinks.inviteId,
      db.select({ id: invites.id }).from(invites).where(eq(invites.communityId, communityId)),
    ),
    sql`${telegramInviteLinks.createsJoinRequest} is not
      (select visibility = 'closed' from communities where id = ${communityId})`,
  )
}

/**
 * With a link's change (`updateInvite`), when what its Telegram link carries changed: the group
 * it leads into, its uses or its expiry. Its Telegram link is revoked (if `changed` holds: the
 * change was made), to be replaced by one into the group's chat with the new limits
 * (`planLinksIntoChatOf`). Left alone, Telegram would stop at the old limit or date. Archiving
 * the link retires it too (`setInviteArchived`); restoring it plans a new one.
 */
export function retireLinkOfInvite(db: Database, inviteId: string, now: Date, changed?: SQL) {
  return retireLive(db, now, eq(telegramInviteLinks.inviteId, inviteId), changed)
}

/**
 * The live links that match `which` retired: one made is revoked at Telegram by the cron job,
 * one never made dropped. The live statuses are written out, not bound: only then may SQLite use
 * the partial indexes of live links.
 */
function retireLive(db: Database, now: Date, ...which: Array<SQL | undefined>) {
  const wasActive = sql`${telegramInviteLinks.status} = 'active'`
  return db
    .update(telegramInviteLinks)
    .set({
      status: sql`case when ${wasActive} then 'revoking' else 'revoked' end`,
      revokedAt: now,
      nextAttemptAt: sql`case when ${wasActive} then ${now.getTime()} else null end`,
      attempts: 0,
    })
    .where(and(sql`${telegramInviteLinks.status} in ('pending', 'active')`, ...which))
}

/**
 * After the change: the live links of a group on Telegram (one group, a community's
 * announcement group, all of a community's groups, or the group one link leads into: that link
 * only) that have no Telegram link get one into its chat, made by the cron job, oldest due
 * first; the announcement group's include the links without a group. Links printed before the
 * group moved to Telegram then lead into the chat.
 */
export function planLinksIntoChatOf(
  db: Database,
  group:
    | { groupId: string }
    | { announcementGroupOf: string }
    | { groupsOf: string }
    | { groupOfInvite: string }
    /** The groups of links just made together (at most `BULK_LINKS_MAX`): those links only. */
    | { groupsOfInvites: readonly string[] },
  now: Date,
  dueAt = now,
) {
  const at = now.getTime()
  const which =
    'groupId' in group
      ? sql`g.id = ${group.groupId}`
      : 'groupsOf' in group
        ? sql`g.community_id = ${group.groupsOf}`
        : 'groupOfInvite' in group
          ? sql`i.id = ${group.groupOfInvite} and g.id = (select coalesce(v.group_id,
              (select a.id from groups a where a.community_id = v.community_id
                and a.kind = 'announcement')) from invites v where v.id = ${group.groupOfInvite})`
          : 'groupsOfInvites' in group
            ? sql`i.id in (${sql.join(
                group.groupsOfInvites.map((id) => sql`${id}`),
                sql`, `,
              )}) and g.id = (select coalesce(v.group_id,
                (select a.id from groups a where a.community_id = v.community_id
                  and a.kind = 'announcement')) from invites v where v.id = i.id)`
            : sql`g.community_id = ${group.announcementGroupOf} and g.kind = 'announcement'`
  // Every column in the table's order. Ids as `newId` makes them: the time part, then 16
  // random digits (hex digits are base32 digits too).
  return db.insert(telegramInviteLinks).select(sql`
    select ${`tgl_${idTimePart(at)}`} || lower(hex(randomblob(8))), i.id, g.telegram_chat_id,
      null, c.visibility = 'closed', 'pending', 0, ${dueAt.getTime()}, null, null, ${at}, null
    from groups g join communities c on c.id = g.community_id
      join invites i on i.id in (select id from invites where group_id = g.id
        union all select id from invites where g.kind = 'announcement'
          and community_id = g.community_id and group_id is null)
    where ${which} and g.telegram_chat_id is not null and i.revoked_at is null
      and i.archived_at is null
      and (i.expires_at is null or i.expires_at > ${at})
      and (i.max_uses is null or i.uses < i.max_uses)
      and not exists (select 1 from telegram_invite_links t where t.invite_id = i.id
        and t.status in ('pending', 'active'))`)
}

/**
 * A link's Telegram link carries its group's chat, its uses left and its expiry: when one of
 * them changes, it is replaced in the batch of the change (if the change is made: its
 * `updated_at` is this one's), and nothing is done otherwise.
 */
export function telegramLinkFollows(
  db: Database,
  invite: Invite,
  fields: { groupId?: string | null; maxUses?: number | null; expiresAt?: Date | null },
  now: Date,
) {
  const comparable = (value: string | number | Date | null) =>
    value instanceof Date ? value.getTime() : value
  const changes = (key: 'groupId' | 'maxUses' | 'expiresAt') =>
    fields[key] !== undefined && comparable(fields[key]) !== comparable(invite[key])
  if (!changes('groupId') && !changes('maxUses') && !changes('expiresAt')) return []
  // Telegram takes no member limit on a link that makes join requests (a closed community's):
  // a change of uses alone leaves such a link as it is, and its URL with it. Our own count of
  // uses decides there (`members.ts`).
  const usesOnly = !changes('groupId') && !changes('expiresAt')
  const changed = exists(
    db
      .select({ id: invites.id })
      .from(invites)
      .where(and(eq(invites.id, invite.id), eq(invites.updatedAt, now))),
  )
  return [
    retireLinkOfInvite(
      db,
      invite.id,
      now,
      usesOnly ? and(changed, eq(telegramInviteLinks.createsJoinRequest, false)) : changed,
    ),
    planLinksIntoChatOf(db, { groupOfInvite: invite.id }, now),
  ] as const
}
