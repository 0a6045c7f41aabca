import type { Database } from '../db/client'
import { firstRowOf } from '../db/rows'
import { joinRequests, type Invite, type JoinRequest } from '../db/schema'
import { newInviteCode } from '../lib/codes'
import { confirmCodeFor, confirmCodeHash, emailedPageUrl } from '../lib/confirm-codes'
import { newId } from '../lib/ids'
import type { Lang } from '../lib/i18n'
import { newStatusToken } from '../lib/status-links'
import { placeColumns, type SignUpPlace } from '../lib/visitor'
import { groupIdsOf, membershipStatements, type JoinTarget } from './join-statements'
import {
  confirmationRequestedStatement,
  formValues,
  signUpCounts,
  signUpStatements,
  type SqlCondition,
} from './sign-up-statements'

/** What a person sends to join through an invite link, and where they came from. */
export interface JoinInput extends SignUpPlace {
  name: string
  phone: string | null
  email: string | null
  answers: string[]
  consent: boolean
  /** The language of the page they signed up on: what we write to them on WhatsApp is in it. */
  language?: Lang
}

/** How a double opt-in is asked for: the secret codes and links are made with, and for how long. */
interface ConfirmationOptions {
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

/**
 * The write of a new sign-up, made in one place for both ways a join sends it: after its reads
 * (`join` in `joining.ts`), or in the same batch as them (`join-at-once.ts`). Its statements,
 * and what it gives the person once: the status token and the number's one-time code.
 */
export interface SignUpWrite {
  statements: D1PreparedStatement[]
  request: JoinRequest
  statusToken: string
  confirmCode: string | null
  /** Set where the sign-up is a membership at once: the member's id and referral code. */
  memberId?: string
  referralCode?: string
  /** Where in `statements` the member row (or its id) comes back. */
  memberAt: number
}

/** What a new sign-up writes depends on: where it lands, and how. */
export interface SignUpPlan {
  invite: Invite
  target: JoinTarget
  input: JoinInput
  options: JoinOptions
  /** Whom the link credits (see `attributableReferrer`), or null. */
  referrerId: string | null
  /** Whether the confirmation e-mail is asked for (a mail system listens, or double opt-in). */
  mail: boolean
  /** A condition more of the sign-up's INSERT (`join-at-once.ts`), with its own parameters. */
  condition?: SqlCondition
}

/**
 * The guarded statements of a new sign-up: the sign-up itself (a waiting request, or with a
 * single opt-in in an open community the membership at once), the proof it is offered, and
 * the membership's statements. Each depends on the sign-up's row, so nothing lands without it.
 */
export async function signUpWrite(db: Database, plan: SignUpPlan): Promise<SignUpWrite> {
  const { invite, target, input, options } = plan
  const double = target.community.consent === 'double'
  if (double && !options.confirmation) throw new Error('a double opt-in needs ConfirmationOptions')
  const open = target.community.visibility === 'open'
  const joinsNow = open && !double
  const status = await newStatusToken(options.confirmation?.secret)
  const statusToken = status.token
  const request: JoinRequest = {
    ...signUpRow(invite, target, input, status, options.now),
    referrerMemberId: plan.referrerId,
    ...(double ? {} : formsWord(input, options.now)),
  }
  const { statements: proof, code: confirmCode } = options.confirmation
    ? await offerProof(db, request, statusToken, options.confirmation, plan.mail)
    : NO_PROOF
  const memberId = joinsNow ? newId('mem', options.now.getTime()) : undefined
  const referralCode = joinsNow ? newInviteCode() : undefined
  const client = db.$client
  // The sign-up's statement returns the row it stored, and a membership's its member: what the
  // guarded writes left, read in the same batch (one transaction, one round trip).
  const signUp = signUpStatements(
    client,
    request,
    { open, announce: !double, groupIds: groupIdsOf(target), memberId, condition: plan.condition },
    options.now,
  )
  const membership =
    memberId && referralCode
      ? membershipStatements(client, target, request, memberId, options.now, {
          referralCode,
          counted: signUpCounts(request),
          returnsMember: !options.confirmation,
        })
      : []
  return {
    statements: [...signUp, ...proof, ...membership],
    request,
    statusToken,
    confirmCode,
    memberId,
    referralCode,
    memberAt: signUp.length + proof.length,
  }
}

/**
 * The write of a repeat sign-up (see `repeatSignUp` in `joining.ts`): what they answered stays
 * with the first sign-up, this one holds only what a proof needs, and is offered the proof.
 */
export async function repeatSignUpWrite(db: Database, plan: SignUpPlan): Promise<SignUpWrite> {
  const { invite, target, input, options } = plan
  const status = await newStatusToken(options.confirmation?.secret)
  const statusToken = status.token
  const request = {
    ...signUpRow(invite, target, input, status, options.now),
    answers: [],
    referrerMemberId: plan.referrerId,
  }
  const { statements: proof, code: confirmCode } = options.confirmation
    ? await offerProof(db, request, statusToken, options.confirmation, plan.mail)
    : NO_PROOF
  return {
    statements: [repeatSignUpStatement(db.$client, request), ...proof],
    request,
    statusToken,
    confirmCode,
    memberAt: 0,
  }
}

/**
 * A repeat sign-up (see `repeatSignUp` in `joining.ts`): only what a proof needs, waiting for
 * one, counted nowhere. Returns the row it stored. (The crowd's join stores the same row with
 * the INSERT of `signUpStatements`, where its condition finds the person known.)
 */
function repeatSignUpStatement(client: D1Database, request: JoinRequest): D1PreparedStatement {
  return client
    .prepare(
      `insert into join_requests (id, community_id, invite_id, group_id, referrer_member_id, name,
         phone, email, answers, consent, country, via, device, referrer_host, status,
         status_token_hash, created_at, confirm_expires_at, confirm_code_hash, language,
         status_token_sealed)
       values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'pending', ?15, ?16, ?17, ?18, ?19, ?20)
       returning *`,
    )
    .bind(
      ...formValues(request),
      request.via,
      request.device,
      request.referrerHost,
      request.statusTokenHash,
      request.createdAt.getTime(),
      request.confirmExpiresAt?.getTime() ?? null,
      request.confirmCodeHash,
      request.language,
      request.statusTokenSealed,
    )
}

/**
 * What a sign-up's write left, from the results of its statements (the batch's from `first`
 * on): the stored sign-up and, for a membership at once, its member row (or id); undefined
 * where the guards refused it.
 */
export function landedSignUp(
  write: SignUpWrite,
  results: D1Result[],
  first = 0,
): LandedSignUp | undefined {
  const stored = firstRowOf(joinRequests, results[first])
  const memberMade = write.memberId
    ? (results[first + write.memberAt]?.results[0] as Record<string, unknown> | undefined)
    : undefined
  if (!stored || (write.memberId && !memberMade)) return undefined
  return { stored, memberMade }
}

/** A sign-up's write that landed: the row stored and, for a membership at once, its member. */
export interface LandedSignUp {
  stored: JoinRequest
  memberMade: Record<string, unknown> | undefined
}

/**
 * A sign-up as the form gave it, waiting for a proof of any contact, with nobody credited for it,
 * keeping of its status token the hash and the sealed token (lib/status-links.ts).
 */
function signUpRow(
  invite: Invite,
  target: JoinTarget,
  input: JoinInput,
  status: { hash: string; sealed: string | null },
  now: Date,
): JoinRequest {
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
    language: input.language ?? null,
    status: 'pending',
    reason: null,
    statusTokenHash: status.hash,
    statusTokenSealed: status.sealed,
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
    // Set by the statement that stores it (`signUpStatements`), as the link's use is taken.
    tookUse: false,
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
  // The e-mail and its link's page are in the language the person signed up in.
  const language = request.language ?? 'de'
  const url = await emailedPageUrl(confirmation.baseUrl, confirmation.secret, request)
  const statement = confirmationRequestedStatement(db.$client, request, url, language)
  return { statements: [statement], code }
}

/** The statements that ask for the confirmation e-mail, and the number's one-time code. */
interface OfferedProof {
  statements: D1PreparedStatement[]
  code: string | null
}

const NO_PROOF: OfferedProof = { statements: [], code: null }
