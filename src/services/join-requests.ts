import {
  and,
  asc,
  eq,
  exists,
  gt,
  inArray,
  isNotNull,
  isNull,
  or,
  sql,
  type SQL,
} from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import {
  communities,
  decisionNotices,
  type DecisionNoticeStatus,
  invites,
  joinRequests,
  members,
  telegramJoinRequests,
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
  /** How the applicant was told of the decision on WhatsApp (services/decision-notices.ts). */
  whatsAppNotice: { status: DecisionNoticeStatus; reason: string | null } | null
}

const referrers = alias(members, 'referrers')

const confirmedSignUp = or(
  isNull(joinRequests.confirmExpiresAt),
  isNotNull(joinRequests.confirmedAt),
)

/**
 * What a list of requests can show: a status, or `unconfirmed`, the double opt-in sign-ups still
 * waiting for their owner (pending, not yet the admins' to decide, and not expired).
 */
export type JoinRequestListStatus = JoinRequestStatus | 'unconfirmed'

/** Which requests a list in `status` holds. */
function listedIn(status: JoinRequestListStatus, now: Date): SQL | undefined {
  if (status === 'unconfirmed') {
    return and(
      eq(joinRequests.status, 'pending'),
      isNull(joinRequests.confirmedAt),
      gt(joinRequests.confirmExpiresAt, now),
    )
  }
  // A double opt-in waiting for its owner is not the admins' to decide yet.
  return and(eq(joinRequests.status, status), status === 'pending' ? confirmedSignUp : undefined)
}

/** A community's requests in one status, oldest first, with the link and referrer behind each. */
export async function listJoinRequests(
  db: Database,
  communityId: string,
  options: { status: JoinRequestListStatus; cursor?: string; limit: number },
): Promise<Page<JoinRequestListing>> {
  return joinRequestsPageOf(await listJoinRequestsQuery(db, communityId, options), options.limit)
}

/**
 * `listJoinRequests`' read, for a batch: one row more than `limit` (see `toPage`). The joined
 * columns carry names of their own: a batch answers rows keyed by column name, where the
 * referrer's `name` would overwrite the request's.
 */
export function listJoinRequestsQuery(
  db: Database,
  communityId: string,
  options: { status: JoinRequestListStatus; cursor?: string; limit: number },
) {
  return db
    .select({
      request: joinRequests,
      inviteLabel: sql<string | null>`${invites.label}`.as('invite_label'),
      inviteSource: sql<string | null>`${invites.source}`.as('invite_source'),
      referrerName: sql<string | null>`${referrers.name}`.as('referrer_name'),
      // Named apart from the request's own status (D1's batch gives columns by name).
      noticeStatus: sql<DecisionNoticeStatus | null>`${decisionNotices.status}`.as('notice_status'),
      noticeReason: decisionNotices.lastError,
    })
    .from(joinRequests)
    .leftJoin(invites, eq(invites.id, joinRequests.inviteId))
    .leftJoin(referrers, eq(referrers.id, joinRequests.referrerMemberId))
    .leftJoin(decisionNotices, eq(decisionNotices.joinRequestId, joinRequests.id))
    .where(
      and(
        eq(joinRequests.communityId, communityId),
        listedIn(options.status, new Date()),
        isNull(joinRequests.repeatOf),
        options.cursor ? gt(joinRequests.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(joinRequests.id))
    .limit(options.limit + 1)
}

/** The page of requests `listJoinRequestsQuery` read, `limit` a page. */
export function joinRequestsPageOf(
  rows: Awaited<ReturnType<typeof listJoinRequestsQuery>>,
  limit: number,
): Page<JoinRequestListing> {
  return toPage(
    rows.map((row) => ({
      ...row.request,
      inviteLabel: row.inviteLabel,
      inviteSource: row.inviteSource,
      referrerName: row.referrerName,
      whatsAppNotice: row.noticeStatus && { status: row.noticeStatus, reason: row.noticeReason },
    })),
    limit,
  )
}

/**
 * The pending requests (confirmed, not repeats) of each community `where` picks, and its
 * Telegram join requests waiting, one indexed count of each, to run in a page's batch: a row for
 * every community picked, none or many waiting.
 */
export function pendingCountsQuery(db: Database, where: SQL | undefined) {
  const waiting = and(
    eq(joinRequests.communityId, communities.id),
    eq(joinRequests.status, 'pending'),
    isNull(joinRequests.repeatOf),
    confirmedSignUp,
  )
  const waitingInTelegram = and(
    eq(telegramJoinRequests.communityId, communities.id),
    eq(telegramJoinRequests.status, 'pending'),
  )
  return db
    .select({
      id: communities.id,
      count: sql<number>`(select count(*) from ${joinRequests} where ${waiting})`,
      telegram: sql<number>`(select count(*) from ${telegramJoinRequests}
        where ${waitingInTelegram})`,
    })
    .from(communities)
    .where(where)
}

/**
 * `pendingCountsQuery` for a few communities: at most `ID_CHUNK` ids (`lib/chunks`), as D1 binds
 * at most 100 values a statement.
 */
export function pendingCountsOfIdsQuery(db: Database, communityIds: readonly string[]) {
  return pendingCountsQuery(db, inArray(communities.id, communityIds))
}

/** `pendingCountsQuery` for one community (its id may be a subquery). */
export function pendingCountQuery(db: Database, communityId: string | SQL) {
  return pendingCountsQuery(db, eq(communities.id, communityId))
}

/**
 * Everything waiting for a decision in each community, by id: its join requests and its
 * Telegram join requests (the dashboard's approvals badge and home).
 */
export function pendingCountsOf(
  rows: Array<{ id: string; count: number; telegram: number }>,
): Map<string, number> {
  return new Map(rows.map((row) => [row.id, row.count + row.telegram]))
}

/**
 * The communities with requests waiting for a decision (confirmed, not repeats), by id after
 * `cursor`: all of them (`communityId` null, for an owner) or one. Each community is probed
 * through the pending requests' index, so a page costs one look-up per community passed, however
 * many requests there are.
 */
export async function communitiesWithPending(
  db: Database,
  options: { communityId: string | null; cursor?: string; limit: number },
): Promise<
  Page<{
    id: string
    name: string
    joinQuestions: string[]
    timeZone: string
    visibility: string
  }>
> {
  const rows = await db
    .select({
      id: communities.id,
      name: communities.name,
      joinQuestions: communities.joinQuestions,
      timeZone: communities.timeZone,
      visibility: communities.visibility,
    })
    .from(communities)
    .where(
      and(
        options.communityId === null ? undefined : eq(communities.id, options.communityId),
        options.cursor ? gt(communities.id, options.cursor) : undefined,
        exists(
          db
            .select({ one: sql`1` })
            .from(joinRequests)
            .where(
              and(
                eq(joinRequests.communityId, communities.id),
                eq(joinRequests.status, 'pending'),
                isNull(joinRequests.repeatOf),
                confirmedSignUp,
              ),
            ),
        ),
      ),
    )
    .orderBy(asc(communities.id))
    .limit(options.limit + 1)
  return toPage(rows, options.limit)
}
