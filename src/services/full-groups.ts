import { and, eq, inArray, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import { groups } from '../db/schema'
import { seatsTaken } from './group-seats'

/**
 * Groups with no room, for the approvals pages: which of their requests cannot be approved now
 * (each row says why), and which groups a decision found full (its notice names them).
 */

const g = alias(groups, 'g')

/**
 * The groups of `communityIds` (a page's few, far below D1's bound parameters) with no seat left
 * at `now`: their seats taken as an approval counts them (`seatsTaken`), for a page's batch. One
 * statement for the whole page, however many requests it lists.
 */
export function fullGroupsQuery(db: Database, communityIds: readonly string[], now: Date) {
  // The moment is a number of ours, written into the statement as the seat count's SQL takes it.
  const seats = sql.raw(seatsTaken('g', String(now.getTime())))
  return db
    .select({
      id: g.id,
      communityId: g.communityId,
      name: g.name,
      kind: g.kind,
      memberLimit: g.memberLimit,
      seats: sql<number>`${seats}`.as('seats'),
    })
    .from(g)
    .where(and(inArray(g.communityId, [...communityIds]), sql`${seats} >= ${g.memberLimit}`))
}

export type FullGroup = Awaited<ReturnType<typeof fullGroupsQuery>>[number]

/**
 * The groups behind `groupIds` (ids a redirect carried, at most `ID_CHUNK`), only those of
 * `communityId` (null: of any community, for whoever may see them all): an id of another
 * community is not there, as if it did not exist. For a page's batch.
 */
export function groupsByIdQuery(
  db: Database,
  groupIds: readonly string[],
  communityId: string | null,
) {
  return db
    .select({ id: g.id, communityId: g.communityId, name: g.name, kind: g.kind })
    .from(g)
    .where(
      and(
        inArray(g.id, [...groupIds]),
        communityId === null ? undefined : eq(g.communityId, communityId),
      ),
    )
}

export type NamedGroup = Awaited<ReturnType<typeof groupsByIdQuery>>[number]

/**
 * The group that keeps a request out, as `fullGroupsQuery` read its community's: its own group,
 * else the announcement group every member joins; none while both have room.
 */
export function fullGroupOfRequest(
  request: { groupId: string | null },
  full: readonly FullGroup[],
): FullGroup | undefined {
  return (
    full.find((group) => group.id === request.groupId) ??
    full.find((group) => group.kind === 'announcement')
  )
}
