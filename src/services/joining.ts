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
import { firstRowOf, rowOf, rowsOf } from '../db/rows'
import { ApiError, isUniqueViolation } from '../lib/errors'
import { inviteRefusal, inviteStatus } from './invite-status'
import type { RetiredCode } from './retired-codes'
import { groupIdsOf } from './join-statements'
import {
  fullGroupOf,
  groupFull,
  joinTargetOf,
  refusalOf,
  refusalRead,
  type JoinTarget,
} from './joining-target'
import { existingStatements, joinReadStatements } from './join-reads'
import {
  landedAtOnce,
  planAtOnce,
  rememberLink,
  type AtOnceWrite,
  type SeenLink,
} from './join-at-once'
import {
  landedSignUp,
  repeatSignUpWrite,
  type JoinInput,
  type LandedSignUp,
  type JoinOptions,
  signUpWrite,
  type SignUpWrite,
} from './sign-up-write'
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

/** What a join decides on, and the limits its attempt went past (see `readForJoin`). */
export interface JoinReading {
  /** The link behind the code as it stands at this moment; undefined when no link has it now. */
  invite: Invite | undefined
  /** Why a code no link has now was a link's once: such a link is gone, not unknown. */
  retired: RetiredCode | null
  exceeded: ExceededLimit[]
  community: Community | undefined
  groupRows: Group[]
  /**
   * Whether the person is known in the community: an active membership or a waiting request by
   * a proven contact of theirs, or a proven rejection in the cooling-off period.
   */
  known: boolean
  referrer: Referrer | undefined
  /** Whether an endpoint turns the community's confirmation requests into e-mails. */
  confirmationMailer: boolean
  /** The join's write sent with these reads (`join-at-once.ts`), and what it left. */
  atOnce?: AtOnceWrite & { landed: LandedSignUp | undefined; repeated: LandedSignUp | undefined }
}

/**
 * Everything a join decides on, read by the link's code in one round trip, with the attempt
 * counted against `limits` in the same batch (as `countAttempt` counts it): the caller decides
 * what a missing link or exceeded limits mean before it joins, and the join then waits at most
 * on its write batch. So a join is two round trips at most, whatever it turns out to be; one
 * where the same code was joined through before in this isolate and the join is the crowd's
 * (see `join-at-once.ts`): its write then goes with these reads, guarded by them in SQL.
 *
 * What is read comes from no per-isolate cache: the link is read at this moment, so a link
 * revoked, used up or pointed elsewhere a moment ago is refused at once, and every write checks
 * its state again inside its INSERT. Reading an earlier sign-up that a double opt-in ignores,
 * or a referrer the link does not have, costs no round trip; it keeps the batch one shape.
 */
export async function readForJoin(
  db: Database,
  code: string,
  input: JoinInput,
  options: JoinOptions,
  limits: RateLimit[] = [],
  /**
   * Limits the caller lets this person past when exceeded (an address's, for someone who solved
   * the challenge): counted all the same, and no reason not to write the join at once.
   */
  waived: RateLimit[] = [],
): Promise<JoinReading> {
  // One batch, however the link turns out: the reads by the link's code, then the attempt.
  const client = db.$client
  const since = new Date(options.now.getTime() - options.cooldownDays * 86400_000)
  const reads = joinReadStatements(client, code, { ...input, rejectedSince: since })
  const attempt = attemptStatements(client, limits, options.now)
  const planned = await planAtOnce(db, code, input, options, limits, since, waived)
  let results: D1Result[]
  try {
    results = await client.batch([...reads, ...attempt, ...(planned?.write.statements ?? [])])
  } catch (error) {
    // The same person at the same moment in another join: decided on the reads, as any join is.
    if (!planned || !isUniqueViolation(error)) throw error
    rememberLink(code, undefined)
    return readForJoin(db, code, input, options, limits, waived)
  }
  const [linkRead, community, groupRows, known] = results
  const linkRow = linkRead?.results[0] as LinkRow | undefined
  const link = linkRow?.id == null ? undefined : rowOf(invites, linkRow)
  const communityRow = community?.results[0] as
    (Record<string, unknown> & { confirmation_mailer: number }) | undefined
  const reading: JoinReading = {
    invite: link,
    retired: link ? null : (linkRow?.retired_code ?? null),
    exceeded: exceededLimits(limits, results.slice(reads.length), options.now),
    community: communityRow && rowOf(communities, communityRow),
    groupRows: rowsOf(groups, groupRows),
    known: (known?.results[0] as { known: number } | undefined)?.known === 1,
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
  if (planned) {
    const first = reads.length + attempt.length
    reading.atOnce = { ...planned, ...landedAtOnce(planned.write, results, first) }
  }
  rememberLink(code, seenLinkOf(reading), options.now)
  return reading
}

/** What a join through a link may be written from next time, if the reading shows it whole. */
function seenLinkOf(reading: JoinReading): SeenLink | undefined {
  const { invite, community, groupRows } = reading
  const announcementGroup = groupRows.find((group) => group.kind === 'announcement')
  if (!invite || !community || !announcementGroup) return undefined
  const group = groupRows.find((row) => row.id === invite.groupId) ?? null
  return {
    invite,
    target: { community, announcementGroup, group },
    confirmationMailer: reading.confirmationMailer,
  }
}

/** The row `joinReadStatements` reads the link in: its columns, and what else it reads with it. */
type LinkRow = Record<string, unknown> & {
  id: string | null
  retired_code: RetiredCode | null
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
  const { community, groupRows, referrer } = read
  // The link as it stands now, not as the caller may have found it a moment ago.
  invite = read.invite ?? invite
  const target = joinTargetOf(community, groupRows, invite.groupId)
  const double = target.community.consent === 'double'
  assertInviteUsable(invite, options.now)
  const open = target.community.visibility === 'open'
  const joinsNow = open && !double
  // Full as read a moment ago: the write would refuse too, so it is not sent. Room as read
  // proves nothing (others may be joining now): the write's own conditions decide that. A
  // double opt-in's sign-up too: confirmed into a group with no room, it could not join.
  const full = open ? fullGroupOf(target) : undefined
  if (full) throw groupFull(full)
  // A known contact (a member's, a waiting request's, or one declined within the cooling-off
  // period), where the form's word is proof enough otherwise: answered as a new sign-up would
  // be, after the same refusals (a known number on a revoked link or into a full group is
  // refused like any other). With a double opt-in every sign-up is new until its proof, which
  // finds the earlier one (services/consent.ts).
  const referrerId = attributableReferrer(referrer, input)
  // A double opt-in's confirmation e-mail is asked for whoever listens now or later; a single
  // opt-in's only where a mail system listens (the answer says whether one does).
  const mail = double || read.confirmationMailer
  const repeat = !double && read.known
  // Written with the reads (`join-at-once.ts`): its condition held what the rules here find.
  const atOnce = read.atOnce
  if (atOnce && (atOnce.landed || atOnce.repeated)) {
    const asSeen =
      joinsNow &&
      referrerId === null &&
      atOnce.seen.invite.id === invite.id &&
      groupIdsOf(atOnce.seen.target).join() === groupIdsOf(target).join() &&
      (atOnce.seen.target.announcementGroup.telegramChatId === null) ===
        (target.announcementGroup.telegramChatId === null) &&
      (input.email === null || mail === atOnce.seen.confirmationMailer)
    if (!asSeen || (repeat ? !atOnce.repeated : !atOnce.landed)) {
      // Never, while the condition mirrors these rules. What landed is kept and answered as it
      // is, so a retry does not make the person a repeat of themselves.
      console.error(JSON.stringify({ job: 'join', error: 'written at once against its reads' }))
    }
    return atOnce.repeated
      ? repeatMade(atOnce.write, atOnce.repeated, atOnce.seen.target)
      : madeSignUp(atOnce.write, atOnce.landed!, atOnce.seen.target, options)
  }
  if (repeat) {
    return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
  }

  const write = await signUpWrite(db, { invite, target, input, options, referrerId, mail })
  const client = db.$client
  let results: D1Result[]
  try {
    results = await client.batch([
      ...write.statements,
      // What explains a refusal, read in the same batch.
      refusalRead(
        client,
        target,
        invite.id,
        write.memberId
          ? { table: 'members', id: write.memberId }
          : { table: 'join_requests', id: write.request.id },
        options.now,
      ),
    ])
  } catch (error) {
    // The same person signing up twice at the same moment: the second finds the first.
    if (isUniqueViolation(error) && (await findExisting(db, invite.communityId, input))) {
      return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
    }
    throw error
  }
  const landed = landedSignUp(write, results)
  if (!landed) {
    const refusal = refusalOf(invite.id, results[write.statements.length], options.now)
    // Neither the link nor a group refused it: the same person got in first, as a member or a
    // waiting request (each checks for the other, see `signUpStatements`).
    if (refusal.code === 'conflict' && (await findExisting(db, invite.communityId, input))) {
      return repeatSignUp(db, invite, target, input, options, read.confirmationMailer, referrerId)
    }
    throw refusal
  }
  return madeSignUp(write, landed, target, options)
}

/** The outcome of a new sign-up whose write landed. */
function madeSignUp(
  write: SignUpWrite,
  { stored, memberMade }: LandedSignUp,
  target: JoinTarget,
  options: JoinOptions,
): JoinOutcome {
  const made = { request: stored, statusToken: write.statusToken, confirmCode: write.confirmCode }
  if (target.community.consent === 'double') return { status: 'unconfirmed', ...made }
  if (target.community.visibility !== 'open') return { status: 'pending', ...made }
  // Where a proof is offered, the member's links wait for it (pages/sign-up-links.ts
  // `linksAwaitProof`): the answer then carries no member.
  return {
    status: 'active',
    ...made,
    member: options.confirmation ? null : rowOf(members, memberMade!),
    target,
    referralCode: write.referralCode,
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
  const write = await repeatSignUpWrite(db, {
    invite,
    target,
    input,
    options,
    referrerId: referrerMemberId,
    mail,
  })
  const results = await db.$client.batch(write.statements)
  return repeatMade(write, landedSignUp(write, results)!, target)
}

/** The outcome of a repeat sign-up whose write landed: answered as a new sign-up would be. */
function repeatMade(write: SignUpWrite, { stored }: LandedSignUp, target: JoinTarget): JoinOutcome {
  const made = { request: stored, statusToken: write.statusToken, confirmCode: write.confirmCode }
  return target.community.visibility === 'open'
    ? { status: 'active', ...made, member: null, target }
    : { status: 'pending', ...made }
}

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
