import { and, eq, isNotNull, isNull, lt } from 'drizzle-orm'
import type { Database } from '../db/client'
import { joinRequests, type ConsentMethod, type JoinRequest } from '../db/schema'
import { sha256Hex } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { newId } from '../lib/ids'
import { utcDay } from '../lib/time'
import { verifyToken } from '../lib/signing'
import { CONFIRM_PURPOSE, confirmCodeHash } from '../lib/confirm-codes'
import { approveJoinRequest, getJoinTarget } from './joining'
import { deleteExpiredSignUps } from './retention'

/**
 * Double opt-in. A sign-up in a community with `consent: 'double'` is stored unconfirmed; the
 * owner of the number or address confirms it by sending a one-time code from their own WhatsApp
 * account (the sender's number is the proof), by the quick-reply button of a confirmation
 * template, or by an e-mailed link. Only then does the membership begin (open communities) or
 * the request reach the admins (closed ones). Unconfirmed sign-ups are deleted when they expire.
 */

export async function requestFromConfirmLink(
  db: Database,
  secret: string,
  token: string,
): Promise<JoinRequest | null> {
  const id = await verifyToken(secret, CONFIRM_PURPOSE, token)
  if (!id) return null
  return (await db.query.joinRequests.findFirst({ where: eq(joinRequests.id, id) })) ?? null
}

/** The proof's id of a confirmation link: its hash, never the link itself. */
export async function linkProofId(token: string): Promise<string> {
  return `link_${(await sha256Hex(token)).slice(0, 24)}`
}

/** Whether the sign-up still waits for its owner to confirm it. */
export function isUnconfirmed(request: JoinRequest): boolean {
  return request.confirmExpiresAt !== null && request.confirmedAt === null
}

/** An unconfirmed sign-up that a code confirms, if the code is live. */
export async function findRequestByCode(
  db: Database,
  secret: string,
  code: string,
  now: Date,
): Promise<JoinRequest | null> {
  const request = await db.query.joinRequests.findFirst({
    where: eq(joinRequests.confirmCodeHash, await confirmCodeHash(secret, code)),
  })
  if (!request || !isUnconfirmed(request) || request.confirmExpiresAt! <= now) return null
  return request
}

export type ConfirmResult =
  | { outcome: 'confirmed'; request: JoinRequest; memberId: string | null }
  | { outcome: 'already'; request: JoinRequest; memberId: string | null }
  | { outcome: 'expired' }

/**
 * Records the consent on the sign-up (when, how, the proof's id) and lets it go on: in an open
 * community the membership begins at once (with its `member.joined` event, referral credit and
 * rewards); in a closed one the request now reaches the admins (`join.requested`). The code is
 * cleared in the same statement, so it confirms once.
 */
export async function confirmJoinRequest(
  db: Database,
  request: JoinRequest,
  proof: { method: ConsentMethod; id: string },
  now: Date,
): Promise<ConfirmResult> {
  if (!isUnconfirmed(request)) {
    return { outcome: 'already', request, memberId: request.memberId }
  }
  if (request.confirmExpiresAt! <= now) return { outcome: 'expired' }
  const client = db.$client
  const nowMs = now.getTime()
  const [, marked] = await client.batch<{ id: string }>([
    // The confirmation counts in the daily rollups on the day it happens, on the sign-up's link
    // and country: the same rule as joins (counted when the membership begins), so in an open
    // community "confirmed" and "joined" land on the same day and "joined" never outgrows
    // "confirmed". It runs before the update below under the same condition, in one batch
    // (a transaction), so a confirmation counts exactly once.
    client
      .prepare(
        `insert into invite_daily_stats (invite_id, community_id, day, country, confirmations)
         select ?2, ?3, ?4, ?5, 1 where ?2 is not null
           and exists (select 1 from join_requests where id = ?1 and confirmed_at is null and status = 'pending')
         on conflict (invite_id, day, country) do update set confirmations = confirmations + 1`,
      )
      .bind(request.id, request.inviteId, request.communityId, utcDay(now), request.country),
    client
      .prepare(
        `update join_requests set confirmed_at = ?2, consent_method = ?3, consent_proof = ?4, confirm_code_hash = null
         where id = ?1 and confirmed_at is null and status = 'pending' returning id`,
      )
      .bind(request.id, nowMs, proof.method, proof.id.slice(0, 200)),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'join.requested', ?3, json_object('joinRequestId', ?1, 'inviteId', ?4), ?5
         where changes() = 1 and (select visibility from communities where id = ?3) = 'closed'`,
      )
      .bind(request.id, newId('evt', nowMs), request.communityId, request.inviteId, nowMs),
  ])
  const fresh = (await db.query.joinRequests.findFirst({ where: eq(joinRequests.id, request.id) }))!
  if (marked!.results.length === 0) {
    return { outcome: 'already', request: fresh, memberId: fresh.memberId }
  }
  const target = await getJoinTarget(db, request.communityId, request.groupId)
  if (target.community.visibility === 'closed') {
    return { outcome: 'confirmed', request: fresh, memberId: null }
  }
  const { request: approved, member } = await approveJoinRequest(db, fresh, now)
  return { outcome: 'confirmed', request: approved, memberId: member.id }
}

/** Refuses to act on a sign-up whose owner has not confirmed it (closed communities' admins). */
export function assertConfirmed(request: JoinRequest): void {
  if (isUnconfirmed(request)) {
    throw new ApiError(
      'invalid_state',
      'This person has not confirmed their phone number or e-mail address yet.',
    )
  }
}

/**
 * Deletes expired unconfirmed sign-ups with their contact data, wherever it is (the sign-up and
 * the events naming it, see `deleteExpiredSignUps`), a bounded number per run. Their link's use
 * and the request rollup stay: they count as sign-ups that never confirmed.
 */
export async function pruneUnconfirmed(db: Database, now: Date, limit = 500): Promise<number> {
  const expired = await db
    .select({ id: joinRequests.id })
    .from(joinRequests)
    .where(
      and(
        isNull(joinRequests.confirmedAt),
        isNotNull(joinRequests.confirmExpiresAt),
        lt(joinRequests.confirmExpiresAt, now),
        // Only these are deleted: others left in the look-up would fill it run after run.
        eq(joinRequests.status, 'pending'),
      ),
    )
    .limit(limit)
  return deleteExpiredSignUps(
    db,
    expired.map((row) => row.id),
    now,
  )
}
