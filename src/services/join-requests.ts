import { and, asc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import {
  invites,
  joinRequests,
  members,
  type JoinRequest,
  type JoinRequestStatus,
} from '../db/schema'
import { sha256Hex } from '../lib/crypto'
import { notFound } from '../lib/errors'
import { toPage, type Page } from '../lib/pagination'

/** A sign-up an admin can see and decide: a repeat sign-up is only a pointer for its owner. */
export async function getJoinRequestOrThrow(db: Database, id: string): Promise<JoinRequest> {
  const request = await db.query.joinRequests.findFirst({
    where: and(eq(joinRequests.id, id), isNull(joinRequests.repeatOf)),
  })
  if (!request) throw notFound('Join request')
  return request
}

/** The sign-up behind a status page link. */
export async function findJoinRequestByStatusToken(
  db: Database,
  token: string,
): Promise<JoinRequest | null> {
  const statusTokenHash = await sha256Hex(token)
  return (
    (await db.query.joinRequests.findFirst({
      where: eq(joinRequests.statusTokenHash, statusTokenHash),
    })) ?? null
  )
}

export interface JoinRequestListing extends JoinRequest {
  inviteLabel: string | null
  inviteSource: string | null
  referrerName: string | null
}

const referrers = alias(members, 'referrers')

const confirmedSignUp = or(
  isNull(joinRequests.confirmExpiresAt),
  isNotNull(joinRequests.confirmedAt),
)

/** A community's requests in one status, oldest first, with the link and referrer behind each. */
export async function listJoinRequests(
  db: Database,
  communityId: string,
  options: { status: JoinRequestStatus; cursor?: string; limit: number },
): Promise<Page<JoinRequestListing>> {
  const rows = await db
    .select({
      request: joinRequests,
      inviteLabel: invites.label,
      inviteSource: invites.source,
      referrerName: referrers.name,
    })
    .from(joinRequests)
    .leftJoin(invites, eq(invites.id, joinRequests.inviteId))
    .leftJoin(referrers, eq(referrers.id, joinRequests.referrerMemberId))
    .where(
      and(
        eq(joinRequests.communityId, communityId),
        eq(joinRequests.status, options.status),
        isNull(joinRequests.repeatOf),
        // A double opt-in waiting for its owner is not the admins' to decide yet.
        options.status === 'pending' ? confirmedSignUp : undefined,
        options.cursor ? gt(joinRequests.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(joinRequests.id))
    .limit(options.limit + 1)
  return toPage(
    rows.map((row) => ({
      ...row.request,
      inviteLabel: row.inviteLabel,
      inviteSource: row.inviteSource,
      referrerName: row.referrerName,
    })),
    options.limit,
  )
}

/** Pending requests per community, for the dashboard's badges (one indexed count each). */
export async function pendingCounts(
  db: Database,
  communityIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  if (communityIds.length === 0) return counts
  const queries = communityIds.map((id) =>
    db
      .select({ count: sql<number>`count(*)` })
      .from(joinRequests)
      .where(
        and(
          eq(joinRequests.communityId, id),
          eq(joinRequests.status, 'pending'),
          isNull(joinRequests.repeatOf),
          confirmedSignUp,
        ),
      ),
  )
  const results = await db.batch(queries as [(typeof queries)[number], ...typeof queries])
  communityIds.forEach((id, i) => counts.set(id, results[i]?.[0]?.count ?? 0))
  return counts
}
