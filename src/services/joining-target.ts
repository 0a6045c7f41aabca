import { and, eq, or, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { firstRowOf, rowOf } from '../db/rows'
import { communities, groups, invites, type Community, type Group } from '../db/schema'
import { ApiError } from '../lib/errors'
import { inviteRefusal, inviteStatus } from './invites'
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
  const [[community], rows] = await db.batch(joinTargetQueries(db, communityId, groupId))
  return joinTargetOf(community, rows, groupId)
}

/**
 * The reads behind a `JoinTarget`, to run in a batch: the community, and its groups in play.
 * The ids may be subqueries (a join reads them by the link's code in the same batch). Reads
 * meant for a batch select lists, never `findFirst`: drizzle (0.45) cannot map a `findFirst`
 * that finds nothing inside a batch.
 */
export function joinTargetQueries(
  db: Database,
  communityId: string | SQL,
  groupId: string | SQL | null,
) {
  return [
    db.select().from(communities).where(eq(communities.id, communityId)).limit(1),
    db
      .select()
      .from(groups)
      .where(
        and(
          eq(groups.communityId, communityId),
          groupId
            ? or(eq(groups.kind, 'announcement'), eq(groups.id, groupId))
            : eq(groups.kind, 'announcement'),
        ),
      ),
  ] as const
}

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

/** The first of the target's groups with no room left (as the target was read), if any. */
export function fullGroupOf(target: JoinTarget): Group | undefined {
  return (
    [target.announcementGroup, target.group].find(
      (group) => group && group.memberCount >= group.memberLimit,
    ) ?? undefined
  )
}

export function groupFull(group: Group): ApiError {
  return new ApiError('group_full', `${group.name} is full (${group.memberLimit} members).`)
}

/**
 * Statements that read, at the end of a guarded write batch (one transaction), what the batch
 * decided on: the link (when a sign-up used one) and the target's groups. `refusalOf` then
 * explains a write that wrote nothing without another round trip.
 */
export function refusalReads(
  client: D1Database,
  target: JoinTarget,
  inviteId: string | null,
): D1PreparedStatement[] {
  const [first, second] = groupIdsOf(target)
  return [
    client.prepare('select * from invites where id = ?1').bind(inviteId ?? ''),
    client.prepare('select * from groups where id in (?1, ?2)').bind(first!, second ?? first!),
  ]
}

/** Why a guarded batch wrote nothing, from `refusalReads`' results: the link, or a full group. */
export function refusalOf(
  target: JoinTarget,
  inviteId: string | null,
  [inviteRead, groupsRead]: D1Result[],
  now: Date,
): ApiError {
  if (inviteId) {
    const current = firstRowOf(invites, inviteRead)
    const status = current ? inviteStatus(current, now) : 'revoked'
    if (status !== 'active') return new ApiError('invite_unusable', inviteRefusal[status])
  }
  const rows = (groupsRead?.results ?? []).map((raw) =>
    rowOf(groups, raw as Record<string, unknown>),
  )
  const full = rows.find((group) => group.memberCount >= group.memberLimit)
  if (full) return groupFull(full)
  return new ApiError(
    'conflict',
    'The request changed while it was being handled; please try again.',
  )
}
