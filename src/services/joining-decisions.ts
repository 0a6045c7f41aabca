import { eq } from 'drizzle-orm'
import type { Database } from '../db/client'
import { firstRowOf, rowsOf } from '../db/rows'
import {
  communities,
  groups,
  joinRequests,
  members,
  type JoinRequest,
  type Member,
} from '../db/schema'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { applicantFields, membershipStatements, noticeDueStatement } from './join-statements'
import {
  getJoinTarget,
  joinTargetOf,
  joinTargetSql,
  refusalOf,
  refusalRead,
  type JoinTarget,
} from './joining-target'

/** An admin's decision on a join request: approving it into its groups, or rejecting it. */

/**
 * A join request an admin can decide (not a repeat sign-up) with where approving it lands, in
 * one round trip, so that an approval waits on two: this, and its write batch. `target` is null
 * when the community or its announcement group is gone; approving then refuses as
 * `getJoinTarget` does.
 */
export async function getJoinRequestForApprovalOrThrow(
  db: Database,
  id: string,
): Promise<{ request: JoinRequest; target: JoinTarget | null }> {
  const client = db.$client
  const [requestRead, communityRead, groupsRead] = await client.batch([
    client.prepare(DECIDABLE_REQUEST).bind(id),
    client.prepare(REQUEST_TARGET.community).bind(id),
    client.prepare(REQUEST_TARGET.groups).bind(id, 'announcement'),
  ])
  const request = firstRowOf(joinRequests, requestRead)
  if (!request) throw notFound('Join request')
  const community = firstRowOf(communities, communityRead)
  const rows = rowsOf(groups, groupsRead)
  const found = community && rows.some((group) => group.kind === 'announcement')
  return { request, target: found ? joinTargetOf(community, rows, request.groupId) : null }
}

/**
 * The reads behind `getJoinRequestForApprovalOrThrow` as plain SQL, made once per isolate: the
 * request by its id (?1), unless it is a repeat sign-up, and where it would land.
 */
const DECIDABLE_REQUEST = 'select * from join_requests where id = ?1 and repeat_of is null limit 1'
const REQUEST_TARGET = joinTargetSql(
  '(select community_id from join_requests where id = ?1)',
  '(select group_id from join_requests where id = ?1)',
  '?2',
)

/**
 * Approves a pending request: the membership is created under the same conditions as an open
 * join. Approving twice is harmless; approving into a full group is refused, naming the group
 * (`group_full` with its `groupId`). `decided` says whether this call made the decision (not an
 * earlier one, nor another at the same moment): only then is the applicant told. `notice`: an
 * admin's decision, whose applicant is to be told on WhatsApp; it is recorded in the decision's
 * batch (see services/decision-notices.ts).
 */
export async function approveJoinRequest(
  db: Database,
  request: JoinRequest,
  now: Date,
  /** Where it lands, when the caller read it with the request. */
  known: JoinTarget | null = null,
  {
    notice = false,
    applicantPage = null,
  }: {
    notice?: boolean
    /** The applicant's `emailedPageUrl`, for their e-mail about the decision. */
    applicantPage?: string | null
  } = {},
): Promise<{ request: JoinRequest; member: Member; decided: boolean }> {
  if (request.status === 'rejected') {
    throw new ApiError(
      'invalid_state',
      'This request was rejected; it cannot be approved any more.',
    )
  }
  if (request.status === 'pending') {
    if (request.confirmExpiresAt !== null && request.confirmedAt === null) {
      throw new ApiError(
        'invalid_state',
        'This person has not confirmed their phone number or e-mail address yet.',
      )
    }
    const target = known ?? (await getJoinTarget(db, request.communityId, request.groupId))
    const memberId = newId('mem', now.getTime())
    const client = db.$client
    const writes = [
      ...membershipStatements(client, target, request, memberId, now, undefined, applicantPage),
      ...(notice ? [noticeDueStatement(client, request.id, now, memberId)] : []),
    ]
    let results: D1Result[]
    try {
      // The request and its member as the batch left them: whoever approved it, this call or
      // another at the same moment; and what a refusal is explained by.
      results = await client.batch([
        ...writes,
        client.prepare('select * from join_requests where id = ?1').bind(request.id),
        client
          .prepare(
            'select * from members where id = (select member_id from join_requests where id = ?1)',
          )
          .bind(request.id),
        refusalRead(client, target, null, { table: 'members', id: memberId }, now),
      ])
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      throw new ApiError(
        'already_member',
        'This person is an active member already (same phone or e-mail).',
      )
    }
    const stored = firstRowOf(joinRequests, results[writes.length])!
    if (stored.status !== 'approved') {
      throw refusalOf(null, results[writes.length + 2], now, { groupId: true })
    }
    const member = firstRowOf(members, results[writes.length + 1])
    return { request: stored, member: member!, decided: stored.memberId === memberId }
  }
  const member = await db.query.members.findFirst({ where: eq(members.id, request.memberId!) })
  return { request, member: member!, decided: false }
}

/**
 * Rejects a pending request, with a reason the person sees on their status page. Rejecting twice
 * is harmless; `decided` says whether this call made the decision. The WhatsApp notice to the
 * applicant is recorded with it (see services/decision-notices.ts).
 */
export async function rejectJoinRequest(
  db: Database,
  request: JoinRequest,
  reason: string | null,
  now: Date,
  /** The applicant's `emailedPageUrl`, for their e-mail about the decision. */
  applicantPage: string | null = null,
): Promise<{ request: JoinRequest; decided: boolean }> {
  if (request.status === 'rejected') return { request, decided: false }
  // Not the admins' to decide yet; left alone, it is deleted with its contact data on expiry.
  if (request.confirmExpiresAt !== null && request.confirmedAt === null) {
    throw new ApiError(
      'invalid_state',
      'This person has not confirmed their phone number or e-mail address yet.',
    )
  }
  if (request.status === 'approved') {
    throw new ApiError(
      'invalid_state',
      'This request was approved already; remove the member instead.',
    )
  }
  const client = db.$client
  const pending = `r.status = 'pending'`
  const [, , updated] = await client.batch([
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'join.rejected', ?3,
           json_object('joinRequestId', ?1, 'reason', ?4, ${applicantFields('?6')}), ?5
         from join_requests r join communities c on c.id = r.community_id
         where r.id = ?1 and ${pending}`,
      )
      .bind(
        request.id,
        newId('evt', now.getTime()),
        request.communityId,
        reason,
        now.getTime(),
        applicantPage,
      ),
    noticeDueStatement(client, request.id, now, null),
    client
      .prepare(
        `update join_requests set status = 'rejected', reason = ?2, decided_at = ?3 where id = ?1 and status = 'pending'`,
      )
      .bind(request.id, reason, now.getTime()),
  ])
  const stored = (await db.query.joinRequests.findFirst({
    where: eq(joinRequests.id, request.id),
  }))!
  return { request: stored, decided: (updated?.meta.changes ?? 0) > 0 }
}
