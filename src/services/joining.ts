import { and, desc, eq, gt, isNotNull, isNull, or } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  invites,
  joinRequests,
  members,
  type Community,
  type Group,
  type Invite,
  type JoinRequest,
  type LeaveReason,
  type Member,
} from '../db/schema'
import { newInviteCode } from '../lib/codes'
import { confirmCodeFor, confirmCodeHash, confirmLinkToken } from '../lib/confirm-codes'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import { firstRowOf } from '../db/rows'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { inviteStatus } from './invites'
import {
  confirmationRequestedStatement,
  groupIdsOf,
  leaveRollupStatement,
  membershipStatements,
  signUpStatements,
  APPLICANT_FIELDS,
  type JoinTarget,
} from './join-statements'
import { placeColumns, type SignUpPlace } from '../lib/visitor'
import { attemptQueries, exceededLimits, type ExceededLimit, type RateLimit } from './rate-limits'

export interface JoinInput extends SignUpPlace {
  name: string
  phone: string | null
  email: string | null
  answers: string[]
  consent: boolean
}

/**
 * What a join ends in. Every sign-up gets its own status link (`statusToken`, shown once),
 * whether or not its contacts were known: the answer never tells whether a number is a member.
 * `unconfirmed`: a double opt-in waits for the owner of the number or address. `member` is null
 * for a repeat sign-up in a community that asks for no proof: nothing proves it is the member's.
 */
export type JoinOutcome =
  | {
      status: 'active'
      request: JoinRequest
      member: Member | null
      statusToken: string
      /** With a membership this sign-up made: where it landed, and the member's referral code. */
      target?: JoinTarget
      referralCode?: string
    }
  | { status: 'pending'; request: JoinRequest; statusToken: string }
  | { status: 'unconfirmed'; request: JoinRequest; statusToken: string }

/** How a double opt-in is asked for: the secret codes and links are made with, and for how long. */
export interface ConfirmationOptions {
  secret: string
  expiryHours: number
  /** Where the e-mailed confirmation link points: `${baseUrl}/confirm/<token>`. */
  baseUrl: string
}

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
 * Reads meant for a batch select lists, never `findFirst`: drizzle (0.45) cannot map a
 * `findFirst` that finds nothing inside a batch.
 */
function joinTargetQueries(db: Database, communityId: string, groupId: string | null) {
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
  const requestColumn = (column: typeof joinRequests.communityId | typeof joinRequests.groupId) =>
    db.select({ value: column }).from(joinRequests).where(eq(joinRequests.id, id))
  const [[request], [community], rows] = await db.batch([
    db
      .select()
      .from(joinRequests)
      .where(and(eq(joinRequests.id, id), isNull(joinRequests.repeatOf)))
      .limit(1),
    db
      .select()
      .from(communities)
      .where(eq(communities.id, requestColumn(joinRequests.communityId)))
      .limit(1),
    db
      .select()
      .from(groups)
      .where(
        and(
          eq(groups.communityId, requestColumn(joinRequests.communityId)),
          or(eq(groups.kind, 'announcement'), eq(groups.id, requestColumn(joinRequests.groupId))),
        ),
      ),
  ])
  if (!request) throw notFound('Join request')
  const found = community && rows.some((group) => group.kind === 'announcement')
  return { request, target: found ? joinTargetOf(community, rows, request.groupId) : null }
}

function joinTargetOf(
  community: Community | undefined,
  rows: Group[],
  groupId: string | null,
): JoinTarget {
  const announcementGroup = rows.find((group) => group.kind === 'announcement')
  if (!community || !announcementGroup)
    throw new ApiError('not_found', 'This community no longer exists.')
  return { community, announcementGroup, group: rows.find((row) => row.id === groupId) ?? null }
}

export interface JoinOptions {
  now: Date
  cooldownDays: number
  confirmation?: ConfirmationOptions
}

/** What a join decides on, and the limits its attempt went past (see `readForJoin`). */
export interface JoinReading {
  exceeded: ExceededLimit[]
  community: Community | undefined
  groupRows: Group[]
  activeRequest: JoinRequest | undefined
  pendingRequest: JoinRequest | undefined
  rejected: JoinRequest | undefined
  referrer: Member | undefined
}

/**
 * Everything a join decides on, read in one round trip, with the attempt counted against
 * `limits` in the same batch (as `countAttempt` counts it): the caller decides what exceeded
 * limits mean before it joins, and the join then waits only on its write batch. Reading an
 * earlier sign-up that a double opt-in ignores, or a referrer the link does not have, costs no
 * round trip; it keeps the batch one shape.
 */
export async function readForJoin(
  db: Database,
  invite: Invite,
  input: JoinInput,
  options: JoinOptions,
  limits: RateLimit[] = [],
): Promise<JoinReading> {
  const reads = [
    ...joinTargetQueries(db, invite.communityId, invite.groupId),
    ...existingQueries(db, invite.communityId, input),
    coolingOffQuery(db, invite.communityId, input, options),
    db
      .select()
      .from(members)
      .where(eq(members.id, invite.referrerMemberId ?? ''))
      .limit(1),
  ] as const
  const results = await db.batch([...reads, ...attemptQueries(db, limits, options.now)])
  const [[community], groupRows, [activeRequest], [pendingRequest], [rejected], [referrer]] =
    results
  return {
    exceeded: exceededLimits(
      limits,
      results.slice(reads.length) as { count: number }[][],
      options.now,
    ),
    community,
    groupRows,
    activeRequest,
    pendingRequest,
    rejected,
    referrer,
  }
}

/**
 * A person asks to join through an invite link. In an open community they become a member at
 * once; in a closed one their request waits for an admin. With a double opt-in every sign-up is
 * new until a proof shows whose contact it is (see services/consent.ts): someone who typed a
 * stranger's number holds nothing the stranger needs, and the stranger can still sign up and
 * prove it. Without one, the same contacts make a repeat sign-up that points at the first.
 *
 * Every limit (the link's uses and expiry, each group's member limit) is a condition of the
 * INSERT that creates the request or membership, and every other statement of the batch
 * depends on that row existing. D1 runs a batch as one transaction, one batch at a time, so
 * people joining at the same moment can never push a count past its limit, and a refused join
 * leaves nothing behind.
 */
export async function join(
  db: Database,
  invite: Invite,
  input: JoinInput,
  options: JoinOptions,
  /** What `readForJoin` read for this very join, if the caller has it. */
  reading?: JoinReading,
): Promise<JoinOutcome> {
  // Read in one round trip, used in the order the rules apply.
  const { community, groupRows, activeRequest, pendingRequest, rejected, referrer } =
    reading ?? (await readForJoin(db, invite, input, options))
  const target = joinTargetOf(community, groupRows, invite.groupId)
  const double = target.community.consent === 'double'
  if (!double) {
    const existing = existingOf(activeRequest, pendingRequest)
    if (existing) return repeatSignUp(db, invite, existing, input, options.now)
  }
  assertNotCoolingOff(rejected, options.cooldownDays)
  assertInviteUsable(invite, options.now)

  const statusToken = randomBase64Url(32)
  const request: JoinRequest = {
    id: newId('jr', options.now.getTime()),
    communityId: invite.communityId,
    inviteId: invite.id,
    groupId: target.group?.id ?? null,
    referrerMemberId: attributableReferrer(referrer, input),
    name: input.name,
    phone: input.phone,
    email: input.email,
    answers: input.answers,
    consent: input.consent,
    ...placeColumns(input),
    status: 'pending',
    reason: null,
    statusTokenHash: await sha256Hex(statusToken),
    memberId: null,
    createdAt: options.now,
    decidedAt: null,
    confirmExpiresAt: null,
    confirmedAt: options.now,
    consentMethod: 'single_opt_in',
    consentProof: null,
    // Without a double opt-in the form is all the community asks for, for each contact given.
    phoneConfirmedAt: input.phone ? options.now : null,
    phoneConsentMethod: input.phone ? 'single_opt_in' : null,
    phoneConsentProof: null,
    emailConfirmedAt: input.email ? options.now : null,
    emailConsentMethod: input.email ? 'single_opt_in' : null,
    emailConsentProof: null,
    confirmCodeHash: null,
    repeatOf: null,
  }
  const extra: D1PreparedStatement[] = []
  if (double) {
    const confirmation = options.confirmation
    if (!confirmation) throw new Error('a double opt-in needs ConfirmationOptions')
    Object.assign(request, {
      confirmExpiresAt: new Date(options.now.getTime() + confirmation.expiryHours * 3600_000),
      confirmedAt: null,
      consentMethod: null,
      phoneConfirmedAt: null,
      phoneConsentMethod: null,
      emailConfirmedAt: null,
      emailConsentMethod: null,
      confirmCodeHash: request.phone
        ? await confirmCodeHash(
            confirmation.secret,
            await confirmCodeFor(confirmation.secret, statusToken),
          )
        : null,
    })
    if (request.email) {
      extra.push(
        confirmationRequestedStatement(
          db.$client,
          request,
          `${confirmation.baseUrl}/confirm/${await confirmLinkToken(confirmation.secret, request.id)}`,
        ),
      )
    }
  }
  const open = target.community.visibility === 'open'
  const joinsNow = open && !double
  const memberId = newId('mem', options.now.getTime())
  const referralCode = newInviteCode()
  const client = db.$client
  const writes = [
    ...signUpStatements(
      client,
      request,
      { open, announce: !double, groupIds: groupIdsOf(target) },
      options.now,
    ),
    ...extra,
    ...(joinsNow
      ? membershipStatements(client, target, request, memberId, options.now, referralCode)
      : []),
  ]
  // What the guarded writes left, read in the same batch (one transaction, one round trip).
  let results: D1Result[]
  try {
    results = await client.batch([
      ...writes,
      client.prepare('select * from join_requests where id = ?1').bind(request.id),
      ...(joinsNow ? [client.prepare('select * from members where id = ?1').bind(memberId)] : []),
    ])
  } catch (error) {
    // The same person signing up twice at the same moment: the second finds the first.
    if (isUniqueViolation(error)) {
      const raced = await findExisting(db, invite.communityId, input)
      if (raced) return repeatSignUp(db, invite, raced, input, options.now)
    }
    throw error
  }
  const stored = firstRowOf(joinRequests, results[writes.length])
  if (!stored || (joinsNow && stored.status !== 'approved'))
    throw await refusal(db, target, invite, options.now)
  if (double) return { status: 'unconfirmed', request: stored, statusToken }
  if (!open) return { status: 'pending', request: stored, statusToken }
  const member = firstRowOf(members, results[writes.length + 1])!
  return { status: 'active', request: stored, member, statusToken, target, referralCode }
}

/**
 * Approves a pending request: the membership is created under the same conditions as an open
 * join. Approving twice is harmless; approving into a full group is refused. `decided` says
 * whether this call made the decision (not an earlier one, nor another at the same moment): only
 * then is the applicant told.
 */
export async function approveJoinRequest(
  db: Database,
  request: JoinRequest,
  now: Date,
  /** Where it lands, when the caller read it with the request. */
  known: JoinTarget | null = null,
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
    const writes = membershipStatements(client, target, request, memberId, now)
    let results: D1Result[]
    try {
      // The request and its member as the batch left them: whoever approved it, this call or
      // another at the same moment.
      results = await client.batch([
        ...writes,
        client.prepare('select * from join_requests where id = ?1').bind(request.id),
        client
          .prepare(
            'select * from members where id = (select member_id from join_requests where id = ?1)',
          )
          .bind(request.id),
      ])
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      throw new ApiError(
        'already_member',
        'This person is an active member already (same phone or e-mail).',
      )
    }
    const stored = firstRowOf(joinRequests, results[writes.length])!
    if (stored.status !== 'approved') throw await refusal(db, target, null, now)
    const member = firstRowOf(members, results[writes.length + 1])
    return { request: stored, member: member!, decided: stored.memberId === memberId }
  }
  const member = await db.query.members.findFirst({ where: eq(members.id, request.memberId!) })
  return { request, member: member!, decided: false }
}

/**
 * Rejects a pending request, with a reason the person sees on their status page. Rejecting twice
 * is harmless; `decided` says whether this call made the decision.
 */
export async function rejectJoinRequest(
  db: Database,
  request: JoinRequest,
  reason: string | null,
  now: Date,
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
  const [, updated] = await client.batch([
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'join.rejected', ?3,
           json_object('joinRequestId', ?1, 'reason', ?4, ${APPLICANT_FIELDS}), ?5
         from join_requests r join communities c on c.id = r.community_id
         where r.id = ?1 and ${pending}`,
      )
      .bind(request.id, newId('evt', now.getTime()), request.communityId, reason, now.getTime()),
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
  const client = db.$client
  const active = `exists (select 1 from members where id = ?1 and status = 'active')`
  await client.batch([
    client
      .prepare(
        `update groups set member_count = member_count - 1
         where id in (select group_id from group_members where member_id = ?1) and ${active}`,
      )
      .bind(member.id),
    client.prepare(`delete from group_members where member_id = ?1 and ${active}`).bind(member.id),
    client
      .prepare(
        `update invites set revoked_at = ?2, updated_at = ?2
         where referrer_member_id = ?1 and revoked_at is null and ${active}`,
      )
      .bind(member.id, now.getTime()),
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
  ])
}

/** An earlier sign-up with the same contacts, as far as they identify anyone. */
type Existing = { status: 'active' | 'pending'; request: JoinRequest }

/**
 * The person's active membership or pending request in this community, if they have one, found
 * by contacts that are confirmed (in a community without double opt-in: as given).
 */
async function findExisting(
  db: Database,
  communityId: string,
  input: JoinInput,
): Promise<Existing | null> {
  const [[activeRequest], [pendingRequest]] = await db.batch(
    existingQueries(db, communityId, input),
  )
  return existingOf(activeRequest, pendingRequest)
}

/**
 * The reads behind `findExisting`, to run in a batch: the request that made the person's active
 * membership, and their pending request.
 */
function existingQueries(db: Database, communityId: string, input: JoinInput) {
  const samePerson = (table: typeof members | typeof joinRequests) =>
    or(
      input.phone
        ? and(eq(table.phone, input.phone), isNotNull(table.phoneConfirmedAt))
        : undefined,
      input.email
        ? and(eq(table.email, input.email), isNotNull(table.emailConfirmedAt))
        : undefined,
    )
  const activeMember = db
    .select({ joinRequestId: members.joinRequestId })
    .from(members)
    .where(
      and(eq(members.communityId, communityId), eq(members.status, 'active'), samePerson(members)),
    )
    .limit(1)
  return [
    db.select().from(joinRequests).where(eq(joinRequests.id, activeMember)).limit(1),
    db
      .select()
      .from(joinRequests)
      .where(
        and(
          eq(joinRequests.communityId, communityId),
          eq(joinRequests.status, 'pending'),
          samePerson(joinRequests),
        ),
      )
      .limit(1),
  ] as const
}

/** An active membership comes first: a member may not also have a request waiting. */
function existingOf(
  activeRequest: JoinRequest | undefined,
  pendingRequest: JoinRequest | undefined,
): Existing | null {
  if (activeRequest) return { status: 'active', request: activeRequest }
  return pendingRequest ? { status: 'pending', request: pendingRequest } : null
}

/**
 * A sign-up with contacts that already belong to a member or a waiting request, in a community
 * that asks for no proof: it gets a status link of its own, like any sign-up, that points at the
 * earlier one without showing its private links (whoever typed the contacts proved nothing). It
 * holds no contact data, counts no use of the link and no sign-up in the stats.
 */
async function repeatSignUp(
  db: Database,
  invite: Invite,
  existing: Existing,
  input: JoinInput,
  now: Date,
): Promise<JoinOutcome> {
  const statusToken = randomBase64Url(32)
  const id = newId('jr', now.getTime())
  const [[row]] = await db.batch([
    db
      .insert(joinRequests)
      .values({
        id,
        communityId: invite.communityId,
        inviteId: invite.id,
        groupId: existing.request.groupId,
        name: '',
        consent: input.consent,
        ...placeColumns(input),
        // Where the earlier sign-up stands now: what the repeat's own page says from now on.
        status: existing.status === 'active' ? 'approved' : 'pending',
        statusTokenHash: await sha256Hex(statusToken),
        createdAt: now,
        decidedAt: now,
        confirmedAt: now,
        consentMethod: 'single_opt_in',
        repeatOf: existing.request.id,
      })
      .returning(),
  ])
  return existing.status === 'active'
    ? { status: 'active', request: row!, member: null, statusToken }
    : { status: 'pending', request: row!, statusToken }
}

/** The person's latest rejection within the cooling-off period, if any. */
function coolingOffQuery(
  db: Database,
  communityId: string,
  input: JoinInput,
  options: { now: Date; cooldownDays: number },
) {
  const since = new Date(options.now.getTime() - options.cooldownDays * 86400_000)
  return db
    .select()
    .from(joinRequests)
    .where(
      and(
        eq(joinRequests.communityId, communityId),
        eq(joinRequests.status, 'rejected'),
        gt(joinRequests.decidedAt, since),
        // Only a proven contact: a number someone else typed into a rejected request never
        // blocks its owner, nor tells anyone that it was rejected.
        or(
          input.phone
            ? and(eq(joinRequests.phone, input.phone), isNotNull(joinRequests.phoneConfirmedAt))
            : undefined,
          input.email
            ? and(eq(joinRequests.email, input.email), isNotNull(joinRequests.emailConfirmedAt))
            : undefined,
        ),
      ),
    )
    .orderBy(desc(joinRequests.decidedAt))
    .limit(1)
}

/** Someone rejected may not ask again until the cooling-off period has passed. */
function assertNotCoolingOff(rejected: JoinRequest | undefined, cooldownDays: number): void {
  if (rejected?.decidedAt) {
    const until = new Date(rejected.decidedAt.getTime() + cooldownDays * 86400_000)
    throw new ApiError(
      'cooling_off',
      `Your earlier request was declined. You can ask again from ${until.toISOString().slice(0, 10)}.`,
    )
  }
}

function assertInviteUsable(invite: Invite, now: Date): void {
  const status = inviteStatus(invite, now)
  if (status !== 'active') throw new ApiError('invite_unusable', inviteRefusal[status])
}

const inviteRefusal = {
  revoked: 'This invite link has been withdrawn.',
  expired: 'This invite link has expired.',
  used_up: 'This invite link has been used as often as allowed.',
} as const

/**
 * The referrer a join through `invite` is credited to: the owner of a personal referral link,
 * as long as they are still a member and are not the person joining.
 */
function attributableReferrer(referrer: Member | undefined, input: JoinInput): string | null {
  if (!referrer || referrer.status !== 'active') return null
  const samePerson =
    (input.phone !== null && referrer.phone === input.phone) ||
    (input.email !== null && referrer.email === input.email)
  return samePerson ? null : referrer.id
}

/** Why a guarded batch wrote nothing, read afresh: the link's state, or a full group. */
async function refusal(
  db: Database,
  target: JoinTarget,
  invite: Invite | null,
  now: Date,
): Promise<ApiError> {
  if (invite) {
    const current = await db.query.invites.findFirst({ where: eq(invites.id, invite.id) })
    const status = current ? inviteStatus(current, now) : 'revoked'
    if (status !== 'active') return new ApiError('invite_unusable', inviteRefusal[status])
  }
  const rows = await db
    .select()
    .from(groups)
    .where(or(...groupIdsOf(target).map((id) => eq(groups.id, id))))
  const full = rows.find((group) => group.memberCount >= group.memberLimit)
  if (full) {
    return new ApiError('group_full', `${full.name} is full (${full.memberLimit} members).`)
  }
  return new ApiError(
    'conflict',
    'The request changed while it was being handled; please try again.',
  )
}
