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
  type Member,
} from '../db/schema'
import { newInviteCode } from '../lib/codes'
import { confirmCodeFor, confirmCodeHash, confirmLinkToken } from '../lib/confirm-codes'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import { firstRowOf, rowOf, rowsOf } from '../db/rows'
import { ApiError, isUniqueViolation } from '../lib/errors'
import { newId } from '../lib/ids'
import { inviteRefusal, inviteStatus } from './invites'
import {
  confirmationRequestedStatement,
  groupIdsOf,
  membershipStatements,
  signUpCounts,
  signUpStatements,
} from './join-statements'
import {
  fullGroupOf,
  groupFull,
  joinTargetOf,
  refusalOf,
  refusalRead,
  type JoinTarget,
} from './joining-target'
import { placeColumns, type SignUpPlace } from '../lib/visitor'
import { existingStatements, joinReadStatements, type KnownAs } from './join-reads'
import {
  attemptStatements,
  exceededLimits,
  type ExceededLimit,
  type RateLimit,
} from './rate-limits'

/**
 * Signing up through an invite link: what the sign-up decides on (one batch of reads), and the
 * decision written in one guarded batch. Admins' decisions are in `joining-decisions.ts`,
 * leaving in `leaving.ts`, proofs of contacts in `consent.ts`.
 */

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
 * `unconfirmed`: a double opt-in waits for the owner of the number or address. `member` is the
 * membership this sign-up made, read back only where nothing waits for a proof (no
 * `ConfirmationOptions`); null where the member's links wait for one, and for a repeat sign-up
 * in a community that asks for no proof (nothing proves it is the member's).
 */
export type JoinOutcome = SignUpMade &
  (
    | {
        status: 'active'
        member: Member | null
        /** With a membership this sign-up made: where it landed, and the member's referral code. */
        target?: JoinTarget
        referralCode?: string
      }
    | { status: 'pending' | 'unconfirmed' }
  )

/** The sign-up a join stored, and what its person is given once to come back to it. */
interface SignUpMade {
  request: JoinRequest
  statusToken: string
  /** The one-time code for its number (derived from the status token; kept here, not stored). */
  confirmCode: string | null
}

/** How a double opt-in is asked for: the secret codes and links are made with, and for how long. */
export interface ConfirmationOptions {
  secret: string
  expiryHours: number
  /** Where the e-mailed confirmation link points: `${baseUrl}/confirm/<token>`. */
  baseUrl: string
}

export interface JoinOptions {
  now: Date
  cooldownDays: number
  confirmation?: ConfirmationOptions
}

/** What a join decides on, and the limits its attempt went past (see `readForJoin`). */
export interface JoinReading {
  /** The link behind the code as it stands at this moment; undefined when no link has it now. */
  invite: Invite | undefined
  /** Whether the code was a link's once (rotated away): such a link is gone, not unknown. */
  retired: boolean
  exceeded: ExceededLimit[]
  community: Community | undefined
  groupRows: Group[]
  activeRequest: JoinRequest | undefined
  pendingRequest: JoinRequest | undefined
  rejected: JoinRequest | undefined
  referrer: Referrer | undefined
  /** Whether an endpoint turns the community's confirmation requests into e-mails. */
  confirmationMailer: boolean
}

/**
 * Everything a join decides on, read by the link's code in one round trip, with the attempt
 * counted against `limits` in the same batch (as `countAttempt` counts it): the caller decides
 * what a missing link or exceeded limits mean before it joins, and the join then waits only on
 * its write batch. So a join is two round trips, whatever it turns out to be.
 *
 * Nothing here comes from a per-isolate cache: the link is read at this moment, so a link
 * revoked, used up or pointed elsewhere a moment ago is refused at once, and the write batch
 * checks its state again inside its INSERT. Reading an earlier sign-up that a double opt-in
 * ignores, or a referrer the link does not have, costs no round trip; it keeps the batch one
 * shape.
 */
export async function readForJoin(
  db: Database,
  code: string,
  input: JoinInput,
  options: JoinOptions,
  limits: RateLimit[] = [],
): Promise<JoinReading> {
  // One batch, however the link turns out: the reads by the link's code, then the attempt.
  const client = db.$client
  const since = new Date(options.now.getTime() - options.cooldownDays * 86400_000)
  const reads = joinReadStatements(client, code, { ...input, rejectedSince: since })
  const results = await client.batch([...reads, ...attemptStatements(client, limits, options.now)])
  const [linkRead, community, groupRows, known] = results
  const linkRow = linkRead?.results[0] as LinkRow | undefined
  const link = linkRow?.id == null ? undefined : rowOf(invites, linkRow)
  const communityRow = community?.results[0] as
    (Record<string, unknown> & { confirmation_mailer: number }) | undefined
  const knownAs = (kind: KnownAs) => {
    const raw = known?.results.find((row) => (row as { known_as: KnownAs }).known_as === kind)
    return raw ? rowOf(joinRequests, raw as Record<string, unknown>) : undefined
  }
  return {
    invite: link,
    retired: !link && linkRow?.code_ever_used === 1,
    exceeded: exceededLimits(limits, results.slice(reads.length), options.now),
    community: communityRow && rowOf(communities, communityRow),
    groupRows: rowsOf(groups, groupRows),
    activeRequest: knownAs('active'),
    pendingRequest: knownAs('pending'),
    rejected: knownAs('rejected'),
    referrer:
      linkRow?.referrer_id == null
        ? undefined
        : {
            id: linkRow.referrer_id,
            status: linkRow.referrer_status as Member['status'],
            phone: linkRow.referrer_phone,
            email: linkRow.referrer_email,
          },
    confirmationMailer: communityRow?.confirmation_mailer === 1,
  }
}

/** The row `joinReadStatements` reads the link in: its columns, and what else it reads with it. */
type LinkRow = Record<string, unknown> & {
  id: string | null
  code_ever_used: number
  referrer_id: string | null
  referrer_status: string | null
  referrer_phone: string | null
  referrer_email: string | null
}

/** The owner of a referral link, as far as a join needs them: to credit them, or not. */
type Referrer = Pick<Member, 'id' | 'status' | 'phone' | 'email'>

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
  const read = reading ?? (await readForJoin(db, invite.code, input, options))
  const { community, groupRows, activeRequest, pendingRequest, rejected, referrer } = read
  // The link as it stands now, not as the caller may have found it a moment ago.
  invite = read.invite ?? invite
  const target = joinTargetOf(community, groupRows, invite.groupId)
  const double = target.community.consent === 'double'
  assertInviteUsable(invite, options.now)
  const open = target.community.visibility === 'open'
  const joinsNow = open && !double
  // Full as read a moment ago: the write would refuse too, so it is not sent. Room as read
  // proves nothing (others may be joining now): the write's own conditions decide that.
  const full = joinsNow ? fullGroupOf(target) : undefined
  if (full) throw groupFull(full)
  // A known contact (a member's, a waiting request's, or one declined within the cooling-off
  // period), where the form's word is proof enough otherwise: answered as a new sign-up would
  // be, after the same refusals (a known number on a revoked link or into a full group is
  // refused like any other). With a double opt-in every sign-up is new until its proof, which
  // finds the earlier one (services/consent.ts).
  const referrerId = attributableReferrer(referrer, input)
  if (!double && (existingOf(activeRequest, pendingRequest) || rejected)) {
    return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
  }

  const statusToken = randomBase64Url(32)
  if (double && !options.confirmation) throw new Error('a double opt-in needs ConfirmationOptions')
  const request: JoinRequest = {
    ...(await signUpRow(invite, target, input, statusToken, options.now)),
    referrerMemberId: referrerId,
    ...(double ? {} : formsWord(input, options.now)),
  }
  // A double opt-in's confirmation e-mail is asked for whoever listens now or later; a single
  // opt-in's only where a mail system listens (the answer says whether one does).
  const mail = double || read.confirmationMailer
  const { statements: extra, code: confirmCode } = options.confirmation
    ? await offerProof(db, request, statusToken, options.confirmation, mail)
    : NO_PROOF
  const memberId = newId('mem', options.now.getTime())
  const referralCode = newInviteCode()
  const client = db.$client
  // The sign-up's statement returns the row it stored, and a membership's its member: what the
  // guarded writes left, read in the same batch (one transaction, one round trip).
  const signUp = signUpStatements(
    client,
    request,
    {
      open,
      announce: !double,
      groupIds: groupIdsOf(target),
      memberId: joinsNow ? memberId : undefined,
    },
    options.now,
  )
  const membership = joinsNow
    ? membershipStatements(client, target, request, memberId, options.now, {
        referralCode,
        counted: signUpCounts(request),
        returnsMember: !options.confirmation,
      })
    : []
  const writes = [...signUp, ...extra, ...membership]
  let results: D1Result[]
  try {
    results = await client.batch([
      ...writes,
      // What explains a refusal, read in the same batch.
      refusalRead(
        client,
        target,
        invite.id,
        joinsNow ? { table: 'members', id: memberId } : { table: 'join_requests', id: request.id },
      ),
    ])
  } catch (error) {
    // The same person signing up twice at the same moment: the second finds the first.
    if (isUniqueViolation(error) && (await findExisting(db, invite.communityId, input))) {
      return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
    }
    throw error
  }
  const stored = firstRowOf(joinRequests, results[0])
  // The member row (or its id alone) comes right after the sign-up's statements and the proof's.
  const memberMade = joinsNow ? results[signUp.length + extra.length]?.results[0] : undefined
  if (!stored || (joinsNow && !memberMade)) {
    const refusal = refusalOf(invite.id, results[writes.length], options.now)
    // Neither the link nor a group refused it: the same person got in first, as a member or a
    // waiting request (each checks for the other, see `signUpStatements`).
    if (refusal.code === 'conflict' && (await findExisting(db, invite.communityId, input))) {
      return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
    }
    throw refusal
  }
  const made = { request: stored, statusToken, confirmCode }
  if (double) return { status: 'unconfirmed', ...made }
  if (!open) return { status: 'pending', ...made }
  // Where a proof is offered, the member's links wait for it (pages/sign-up-links.ts
  // `linksAwaitProof`): the answer then carries no member.
  return {
    status: 'active',
    ...made,
    member: options.confirmation ? null : rowOf(members, memberMade as Record<string, unknown>),
    target,
    referralCode,
  }
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
  const [activeRequest, pendingRequest] = await db.$client.batch(
    existingStatements(db.$client, communityId, input),
  )
  return existingOf(
    firstRowOf(joinRequests, activeRequest),
    firstRowOf(joinRequests, pendingRequest),
  )
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
 * that asks for no proof. The form's word made the first sign-up, but it cannot show anyone
 * that person's membership: this one is stored as a sign-up waiting for a proof, offered the
 * same proof a new sign-up is, and answered as a new one is (`active` in an open community,
 * `pending` in a closed one, no member's links). Whoever proves the contact with it learns the
 * rest on its status page (`confirmContact` turns it into a pointer at the first); unproven, it
 * is kept without its contact data when the proof expires (services/retention.ts). It counts no
 * use of the link and no sign-up in the stats.
 */
async function repeatSignUp(
  db: Database,
  invite: Invite,
  target: JoinTarget,
  input: JoinInput,
  options: JoinOptions,
  /** Whether a mail system listens for the community's confirmation e-mails. */
  mail: boolean,
  /**
   * Whom the link credits, as a new sign-up's would: should a proof of another contact of it
   * make it a membership of its own, the referrer is credited then, as for anyone.
   */
  referrerMemberId: string | null,
): Promise<JoinOutcome> {
  const statusToken = randomBase64Url(32)
  // What they answered stays with the first sign-up: this one holds only what a proof needs.
  const row = {
    ...(await signUpRow(invite, target, input, statusToken, options.now)),
    answers: [],
    referrerMemberId,
  }
  const { statements: proof, code: confirmCode } = options.confirmation
    ? await offerProof(db, row, statusToken, options.confirmation, mail)
    : NO_PROOF
  const insert = db.insert(joinRequests).values(row).returning().toSQL()
  const client = db.$client
  const [inserted] = await client.batch([
    client.prepare(insert.sql).bind(...insert.params),
    ...proof,
  ])
  const made = { request: firstRowOf(joinRequests, inserted)!, statusToken, confirmCode }
  return target.community.visibility === 'open'
    ? { status: 'active', ...made, member: null, target }
    : { status: 'pending', ...made }
}

/**
 * A sign-up as the form gave it, waiting for a proof of any contact, with nobody credited for it
 * and only the hash of its status token.
 */
async function signUpRow(
  invite: Invite,
  target: JoinTarget,
  input: JoinInput,
  statusToken: string,
  now: Date,
): Promise<JoinRequest> {
  return {
    id: newId('jr', now.getTime()),
    communityId: invite.communityId,
    inviteId: invite.id,
    groupId: target.group?.id ?? null,
    referrerMemberId: null,
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
    createdAt: now,
    decidedAt: null,
    confirmExpiresAt: null,
    confirmedAt: null,
    consentMethod: null,
    consentProof: null,
    phoneConfirmedAt: null,
    phoneConsentMethod: null,
    phoneConsentProof: null,
    emailConfirmedAt: null,
    emailConsentMethod: null,
    emailConsentProof: null,
    confirmCodeHash: null,
    repeatOf: null,
  }
}

/**
 * The consent record of a sign-up where the community asks for no proof: the form is all it
 * asks for, for each contact given.
 */
function formsWord(input: JoinInput, now: Date) {
  return {
    confirmedAt: now,
    consentMethod: 'single_opt_in',
    phoneConfirmedAt: input.phone ? now : null,
    phoneConsentMethod: input.phone ? 'single_opt_in' : null,
    emailConfirmedAt: input.email ? now : null,
    emailConsentMethod: input.email ? 'single_opt_in' : null,
  } satisfies Partial<JoinRequest>
}

/**
 * Offers the sign-up a proof of its contacts until `expiryHours` after it was made: the one-time
 * code for the phone number (its hash kept; the code itself is derived from the status token the
 * person holds) and, for an e-mail address when `mail`, the request for a confirmation e-mail
 * (the statement returned, for the caller's batch). With a double opt-in the sign-up waits for
 * this proof; with a single one the member's own links do (see pages/sign-up-links.ts).
 */
async function offerProof(
  db: Database,
  request: JoinRequest,
  statusToken: string,
  confirmation: ConfirmationOptions,
  mail: boolean,
): Promise<OfferedProof> {
  request.confirmExpiresAt = new Date(
    request.createdAt.getTime() + confirmation.expiryHours * 3600_000,
  )
  const code = request.phone ? await confirmCodeFor(confirmation.secret, statusToken) : null
  request.confirmCodeHash = code ? await confirmCodeHash(confirmation.secret, code) : null
  if (!request.email || !mail) return { statements: [], code }
  const token = await confirmLinkToken(confirmation.secret, request.id)
  const url = `${confirmation.baseUrl}/confirm/${token}`
  return { statements: [confirmationRequestedStatement(db.$client, request, url)], code }
}

/** The statements that ask for the confirmation e-mail, and the number's one-time code. */
interface OfferedProof {
  statements: D1PreparedStatement[]
  code: string | null
}

const NO_PROOF: OfferedProof = { statements: [], code: null }

function assertInviteUsable(invite: Invite, now: Date): void {
  const status = inviteStatus(invite, now)
  if (status !== 'active') throw new ApiError('invite_unusable', inviteRefusal[status])
}

/**
 * The referrer a join through `invite` is credited to: the owner of a personal referral link,
 * as long as they are still a member and are not the person joining.
 */
function attributableReferrer(referrer: Referrer | undefined, input: JoinInput): string | null {
  if (!referrer || referrer.status !== 'active') return null
  const samePerson =
    (input.phone !== null && referrer.phone === input.phone) ||
    (input.email !== null && referrer.email === input.email)
  return samePerson ? null : referrer.id
}
