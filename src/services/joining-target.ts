import type { Database } from '../db/client'
import { firstRowOf, rowsOf } from '../db/rows'
import { communities, groups, type Community, type Group } from '../db/schema'
import { ApiError } from '../lib/errors'
import { seatsTaken } from './group-seats'
import { isAllowedChatInviteUrl } from '../lib/urls'
import { inviteRefusal, inviteStatus } from './invite-status'
import { groupIdsOf, type JoinTarget } from './join-statements'

/**
 * Where a sign-up or an approval lands (`JoinTarget`), and why a guarded write that should have
 * put someone there wrote nothing. Shared by the sign-up (`joining.ts`) and the admins'
 * decisions (`joining-decisions.ts`).
 */

export type { JoinTarget }

export async function getJoinTarget(
  db: Database,
  communityId: string,
  groupId: string | null,
): Promise<JoinTarget> {
  const client = db.$client
  const [community, rows] = await client.batch([
    client.prepare(TARGET_COMMUNITY).bind(communityId),
    client.prepare(TARGET_GROUPS).bind(communityId, groupId, 'announcement'),
  ])
  return joinTargetOf(firstRowOf(communities, community), rowsOf(groups, rows), groupId)
}

/**
 * The reads behind a `JoinTarget`, as plain SQL to run in a batch: the community, and its groups
 * in play (its announcement group, and the one group more if there is one). `community` and
 * `group` are their ids as SQL: parameters, or subqueries (a join reads them by the link's code
 * in the same batch). A null group matches no row, so the announcement group alone is read.
 * `announcement` is the parameter bound to 'announcement': written as a literal, it lets SQLite
 * read the whole one-announcement-group-per-community index instead of the community's groups.
 * Made once per isolate by their callers; only the values are bound per request.
 */
export function joinTargetSql(community: string, group: string, announcement: string) {
  return {
    community: `select * from communities where id = ${community} limit 1`,
    groups: `select * from groups
      where community_id = ${community} and (kind = ${announcement} or id = ${group})`,
  }
}

const { community: TARGET_COMMUNITY, groups: TARGET_GROUPS } = joinTargetSql('?1', '?2', '?3')

export function joinTargetOf(
  community: Community | undefined,
  rows: Group[],
  groupId: string | null,
): JoinTarget {
  const announcementGroup = rows.find((group) => group.kind === 'announcement')
  if (!community || !announcementGroup)
    throw new ApiError('not_found', 'This community no longer exists.')
  return { community, announcementGroup, group: rows.find((row) => row.id === groupId) ?? null }
}

/**
 * The chat a sign-up's target leads to: its group's chat link, else its announcement group's, if
 * it points to an allowed host (`CHAT_INVITE_HOSTS`, checked again: the list may have changed
 * since it was stored; never an open redirect). Null where none is set up: what the status page
 * shows, and what a WhatsApp reply says is there.
 */
export function chatInviteUrlOf(
  target: JoinTarget,
  allowedHosts: readonly string[],
): string | null {
  const chat = target.group?.chatInviteUrl ?? target.announcementGroup.chatInviteUrl
  return chat && isAllowedChatInviteUrl(chat, allowedHosts) ? chat : null
}

/** The first of the target's groups with no room left (as the target was read), if any. */
export function fullGroupOf(target: JoinTarget): Group | undefined {
  return (
    [target.announcementGroup, target.group].find(
      (group) => group && group.memberCount >= group.memberLimit,
    ) ?? undefined
  )
}

/**
 * The refusal of a join or an approval into a full group. With `groupId` (an admin's approval),
 * the problem names the group by id too (`groupId`), so that a client, and the dashboard's
 * notice, can tell which group needs room; a sign-up's answer to the public names it only.
 */
export function groupFull(group: Pick<Group, 'name' | 'memberLimit'>, groupId?: string): ApiError {
  return new ApiError('group_full', `${group.name} is full (${group.memberLimit} members).`, {
    ...(groupId ? { extensions: { groupId } } : {}),
  })
}

/**
 * The statement that reads, at the end of a guarded write batch (one transaction), what the
 * batch decided on: the link (when a sign-up used one) and the target's groups, in one result
 * (`RefusalRow`s). `refusalOf` then explains a write that wrote nothing without another round
 * trip.
 */
export function refusalRead(
  client: D1Database,
  target: JoinTarget,
  inviteId: string | null,
  /**
   * The row whose existence says the batch wrote what it meant to: the read then returns
   * nothing, so a batch that went through does not carry the link and groups back for nothing.
   */
  written: { table: 'join_requests' | 'members'; id: string },
  now: Date,
): D1PreparedStatement {
  const [first, second] = groupIdsOf(target)
  const unlessWritten = `not exists (select 1 from ${written.table} where id = ?4)`
  return client
    .prepare(
      `select 'invite' as kind, revoked_at, archived_at, expires_at, max_uses, uses,
         null as group_id, null as name, null as member_count, null as member_limit
       from invites where id = ?1 and ${unlessWritten}
       union all
       select 'group', null, null, null, null, null, g.id, g.name, ${seatsTaken('g', '?5')},
         g.member_limit
       from groups g where g.id in (?2, ?3) and ${unlessWritten}`,
    )
    .bind(inviteId ?? '', first!, second ?? first!, written.id, now.getTime())
}

/** A row of `refusalRead`: the link's state, or one of the groups' room (its seats taken). */
type RefusalRow =
  | {
      kind: 'invite'
      revoked_at: number | null
      archived_at: number | null
      expires_at: number | null
      max_uses: number | null
      uses: number
    }
  | { kind: 'group'; group_id: string; name: string; member_count: number; member_limit: number }

const dateOf = (ms: number | null) => (ms === null ? null : new Date(ms))

/**
 * Why a guarded batch wrote nothing, from `refusalRead`'s result: the link, or a full group
 * (named by id too with `groupId`, for an admin's approval: see `groupFull`).
 */
export function refusalOf(
  inviteId: string | null,
  read: D1Result | undefined,
  now: Date,
  { groupId = false }: { groupId?: boolean } = {},
): ApiError {
  const rows = (read?.results ?? []) as RefusalRow[]
  if (inviteId) {
    const current = rows.find((row) => row.kind === 'invite')
    const status = current
      ? inviteStatus(
          {
            revokedAt: dateOf(current.revoked_at),
            archivedAt: dateOf(current.archived_at),
            expiresAt: dateOf(current.expires_at),
            maxUses: current.max_uses,
            uses: current.uses,
          },
          now,
        )
      : 'revoked'
    if (status !== 'active') return new ApiError('invite_unusable', inviteRefusal[status])
  }
  for (const row of rows) {
    if (row.kind === 'group' && row.member_count >= row.member_limit)
      return groupFull(
        { name: row.name, memberLimit: row.member_limit },
        groupId ? row.group_id : undefined,
      )
  }
  return new ApiError(
    'conflict',
    'The request changed while it was being handled; please try again.',
  )
}
