import { and, eq, inArray, isNotNull } from 'drizzle-orm'
import type { Database } from '../db/client'
import { joinRequests, type ConsentMethod, type ContactKind, type JoinRequest } from '../db/schema'
import { sha256Hex } from '../lib/crypto'
import { ApiError, isUniqueViolation } from '../lib/errors'
import { newId } from '../lib/ids'
import { utcDay } from '../lib/time'
import { verifyToken } from '../lib/signing'
import { CONFIRM_PURPOSE, confirmCodeHash } from '../lib/confirm-codes'
import { approveJoinRequest } from './joining-decisions'
import { getJoinTarget } from './joining-target'
import { REFERRED_PROVEN, referralStatements } from './join-statements'
import { ownersLatestProof } from './contact-owners'

/**
 * Double opt-in, per contact. A sign-up in a community with `consent: 'double'` is stored
 * unconfirmed; each contact it gives is confirmed only by a proof that comes from that contact:
 * the phone number by a one-time code sent from its own WhatsApp account (the sender's number is
 * the proof) or by the quick-reply button of a confirmation template sent to it, the e-mail
 * address by the link e-mailed to it, either by an admin's recorded consent naming it. The first
 * proof lets the sign-up go on: the membership begins (open communities) or the request reaches
 * the admins (closed ones). Nothing is ever sent to a contact that is not confirmed. Unconfirmed
 * sign-ups are deleted when they expire.
 *
 * In a community that asks for no proof (single opt-in) the form's word confirms each contact,
 * and the same proofs back it afterwards: a proof upgrades the contact's consent record, and it
 * is what shows the member their own links (pages/sign-up-links.ts), so that whoever types a
 * number learns nothing about its owner.
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

/** Whether the sign-up still waits for its owner to confirm any of its contacts. */
export function isUnconfirmed(request: JoinRequest): boolean {
  return request.confirmExpiresAt !== null && request.confirmedAt === null
}

/**
 * Whether this contact of the sign-up still waits for its proof (it has one to prove): not
 * confirmed at all, or taken on the form's word alone (single opt-in), which a proof may still
 * back.
 */
export function contactUnconfirmed(request: JoinRequest, contact: ContactKind): boolean {
  return contact === 'phone'
    ? request.phone !== null &&
        (request.phoneConfirmedAt === null || request.phoneConsentMethod === 'single_opt_in')
    : request.email !== null &&
        (request.emailConfirmedAt === null || request.emailConsentMethod === 'single_opt_in')
}

/**
 * Whether a proof by `method` would add to this contact's consent record: it has none yet, or
 * only the form's word (single opt-in), or, for the one-time code, a record by any other proof.
 * The code alone also proves who holds the sign-up's status link (see `holderProven`), so it
 * still backs a number that the template's button confirmed (its message becomes the record).
 */
export function contactAwaitsProof(
  request: JoinRequest,
  contact: ContactKind,
  method: ConsentMethod,
): boolean {
  if (contactUnconfirmed(request, contact)) return true
  // Only over the button's record (an admin's evidence stays as it is), and only while the
  // sign-up still has its code.
  return (
    contact === 'phone' &&
    method === 'whatsapp_message' &&
    request.phone !== null &&
    request.phoneConsentMethod === 'whatsapp_button' &&
    request.confirmCodeHash !== null
  )
}

/**
 * Whether the holder of the sign-up's status link proved a contact of it. Only the one-time code
 * does: the status page shows it, and it counts only sent from the number's own WhatsApp. An
 * e-mailed link, a template's button or an admin's record proves the contact, not who holds the
 * status link (someone may have typed another person's number or address into the form).
 */
export function holderProven(request: JoinRequest): boolean {
  if (request.phone === null) return false
  if (request.phoneConsentMethod === 'whatsapp_message') return true
  // A number proven by the button or an admin before the code outlived such proofs: its code
  // was cleared then and can never come, so its links show as they did.
  return (
    request.phoneConsentMethod !== null &&
    request.phoneConsentMethod !== 'single_opt_in' &&
    request.confirmCodeHash === null
  )
}

/**
 * Whether the sign-up's offer of a proof ends at `confirmExpiresAt`: for a sign-up still waiting
 * for its first proof, and for the proof a single opt-in offers its member (it shows them their
 * own links, see pages/sign-up-links.ts) until one of their contacts is proven. Once one is, the
 * other may be proven at any time, however the sign-up began: a single opt-in member's and a
 * known contact's sign-up proven by the same proof must read alike (its page shows whether the
 * offer ends), or the typist would learn that the number next to their own address was a
 * member's.
 */
export function proofExpires(request: JoinRequest): boolean {
  return (
    request.confirmExpiresAt !== null &&
    (request.confirmedAt === null ||
      (request.consentMethod === 'single_opt_in' && !anyContactProven(request)))
  )
}

/**
 * Whether a sign-up waits for room rather than for a decision: in an open community a confirmed
 * sign-up stays pending only where its group filled up before the proof came (`groupFull` of
 * `confirmContact`), until an admin lets it in.
 */
export function waitsForRoom(
  request: Pick<JoinRequest, 'status' | 'confirmedAt'>,
  community: { visibility: string },
): boolean {
  return (
    community.visibility === 'open' && request.status === 'pending' && request.confirmedAt !== null
  )
}

/** Whether a proof (more than the form's word) backs a contact of the sign-up. */
function anyContactProven(request: JoinRequest): boolean {
  const proven = (method: string | null) => method !== null && method !== 'single_opt_in'
  return proven(request.phoneConsentMethod) || proven(request.emailConsentMethod)
}

/**
 * Whether a proof for this contact can still be taken: the one-time code for the number (a
 * template's button, which carries that code, only where `contactUnconfirmed`), the link for the
 * address.
 */
export function canConfirm(
  request: JoinRequest,
  contact: ContactKind,
  now: Date,
  method: ConsentMethod = contact === 'phone' ? 'whatsapp_message' : 'email_link',
): boolean {
  if (request.repeatOf !== null || !contactAwaitsProof(request, contact, method)) return false
  return !proofExpires(request) || request.confirmExpiresAt! > now
}

/**
 * The sign-up whose phone number a code confirms, among the codes a message carries: only one
 * that gave the sender's own number (someone else's code in the same message confirms nothing).
 */
export async function findRequestByCode(
  db: Database,
  secret: string,
  codes: string[],
  phone: string,
  now: Date,
  /** The message typed the code, or tapped the template's button that carries it. */
  method: 'whatsapp_message' | 'whatsapp_button' = 'whatsapp_message',
): Promise<JoinRequest | null> {
  if (codes.length === 0) return null
  // Every code of the message in one read; the first of `codes` (the message's last code
  // first, see `findConfirmCodes`) that is a sign-up of the sender's own number wins.
  const hashes = await Promise.all(codes.map((code) => confirmCodeHash(secret, code)))
  const found = await db.query.joinRequests.findMany({
    where: and(
      isNotNull(joinRequests.confirmCodeHash),
      inArray(joinRequests.confirmCodeHash, hashes),
      eq(joinRequests.phone, phone),
    ),
    limit: hashes.length,
  })
  for (const hash of hashes) {
    const request = found.find((row) => row.confirmCodeHash === hash)
    if (request && canConfirm(request, 'phone', now, method)) return request
  }
  return null
}

export type ConfirmResult =
  /**
   * The contact is confirmed now. `request` is the sign-up as it is after. `groupFull`: in an
   * open community, its group filled up before the proof came; the request waits, confirmed,
   * for an admin to let it in once there is room (approving it is refused until then).
   */
  | { outcome: 'confirmed'; request: JoinRequest; memberId: string | null; groupFull?: true }
  | { outcome: 'already'; request: JoinRequest; memberId: string | null }
  /**
   * The proof showed that this person had signed up already (an active membership or a request
   * with this contact confirmed): the new sign-up now points at that one, which is `request`.
   */
  | { outcome: 'repeat'; request: JoinRequest; memberId: string | null }
  | { outcome: 'expired' }

type Proof = {
  method: ConsentMethod
  id: string
  /**
   * When the person gave it, where its channel stamps that (a WhatsApp message's time, as Meta
   * sends it); the moment it is handled otherwise. A STOP is ordered against this: a code sent
   * before a STOP and handled after it must not count as sent after it (`reachableAfterStop`).
   */
  at?: Date
}

/**
 * Records the proof of one contact (when, how, the proof's id) on the sign-up, and on its
 * membership if it has one. The first proof of a sign-up lets it go on: in an open community the
 * membership begins at once (with its `member.joined` event, referral credit and rewards); in a
 * closed one the request now reaches the admins (`join.requested`). The code, once sent, is
 * cleared, so it confirms once; a template's button (which carries it) leaves it for the holder
 * of the status link, to prove that the sign-up is theirs.
 */
export async function confirmContact(
  db: Database,
  request: JoinRequest,
  contact: ContactKind,
  proof: Proof,
  now: Date,
  /** How long a declined request keeps its proven contacts from asking again. */
  cooldownDays: number,
): Promise<ConfirmResult> {
  const declinedSince = now.getTime() - cooldownDays * 86400_000
  const value = contact === 'phone' ? request.phone : request.email
  if (value === null || request.repeatOf !== null) {
    throw new ApiError(
      'invalid_state',
      contact === 'phone'
        ? 'This sign-up has no phone number to confirm.'
        : 'This sign-up has no e-mail address to confirm.',
    )
  }
  if (!contactAwaitsProof(request, contact, proof.method)) {
    return { outcome: 'already', request, memberId: request.memberId }
  }
  if (isUnconfirmed(request)) {
    if (request.confirmExpiresAt! <= now) return { outcome: 'expired' }
    const earlier = await earlierSignUp(db, request, contact, value, declinedSince)
    if (earlier) return markRepeat(db, request, earlier, proof, now)
  }
  let first: boolean | null
  try {
    first = await recordProof(db, request, contact, proof, now)
  } catch (error) {
    // Someone else's sign-up proved the same contact at the same moment: the proof decides,
    // and it says this person signed up twice.
    if (!isUniqueViolation(error)) throw error
    const earlier = await earlierSignUp(db, request, contact, value, declinedSince)
    if (earlier && isUnconfirmed(request)) return markRepeat(db, request, earlier, proof, now)
    return { outcome: 'already', request, memberId: request.memberId }
  }
  // Nothing recorded: another proof of it came first, or the contact is someone else's and its
  // membership left it out (see `recordProof`): either way, this proof adds nothing.
  if (first === null) return { outcome: 'already', request, memberId: request.memberId }
  const fresh = (await db.query.joinRequests.findFirst({ where: eq(joinRequests.id, request.id) }))!
  if (!first) return { outcome: 'confirmed', request: fresh, memberId: fresh.memberId }
  const target = await getJoinTarget(db, request.communityId, request.groupId)
  if (target.community.visibility === 'closed') {
    return { outcome: 'confirmed', request: fresh, memberId: null }
  }
  try {
    const { request: approved, member } = await approveJoinRequest(db, fresh, now)
    return { outcome: 'confirmed', request: approved, memberId: member.id }
  } catch (error) {
    // The proof stands (it is recorded); the place does not: others took the last ones first.
    if (error instanceof ApiError && error.code === 'group_full') {
      return { outcome: 'confirmed', request: fresh, memberId: null, groupFull: true }
    }
    // Another sign-up of the same person became the membership between our look and our proof.
    if (!(error instanceof ApiError) || error.code !== 'already_member') throw error
    const earlier = await earlierSignUp(db, fresh, contact, value, declinedSince)
    if (!earlier) throw error
    return markRepeat(db, fresh, earlier, proof, now)
  }
}

/**
 * The proof in one batch (a transaction). Returns whether it was the sign-up's first: only then
 * does the confirmation count in the rollups and a closed community's request reach the admins;
 * null where nothing was recorded. A sign-up whose membership left this contact out (another
 * member's, see `contactOfOwn` in join-statements.ts) records no proof of it: the proof is its
 * owner's consent to their own membership, not to this one, and shows them nothing of it.
 */
async function recordProof(
  db: Database,
  request: JoinRequest,
  contact: ContactKind,
  proof: Proof,
  now: Date,
): Promise<boolean | null> {
  const client = db.$client
  const nowMs = now.getTime()
  // Never later than now (a stamp from the future would outrank a STOP that came after it), nor
  // before the sign-up (Meta stamps to the second).
  const provenMs = Math.max(
    Math.min(proof.at?.getTime() ?? nowMs, nowMs),
    Math.min(request.createdAt.getTime(), nowMs),
  )
  const col = contact // only ever 'phone' or 'email': safe to name columns by it
  // What the proof may still add to (see `contactAwaitsProof`), in SQL: ?3 is its method.
  const awaits = `(${col}_confirmed_at is null or ${col}_consent_method = 'single_opt_in'
    or (?3 = 'whatsapp_message' and '${col}' = 'phone' and ${col}_consent_method = 'whatsapp_button'))`
  // The first proof of a still unconfirmed sign-up, before the update below marks it.
  const firstProof = `exists (select 1 from join_requests where id = ?1 and confirmed_at is null
    and status = 'pending' and ${col} is not null and ${col}_confirmed_at is null)`
  // A single opt-in member's first proof is what credits their referrer (see REFERRED_PROVEN),
  // checked before the proof below is recorded.
  const credit =
    request.referrerMemberId && request.consentMethod === 'single_opt_in'
      ? referralStatements(
          client,
          request.id,
          nowMs,
          `exists (select 1 from join_requests r join members m on m.id = r.member_id
             where r.id = ?1 and m.status = 'active' and r.${col} is not null
               and r.repeat_of is null and not ${REFERRED_PROVEN})`,
        )
      : []
  const results = await client.batch<{ first: number }>([
    ...credit,
    // The confirmation counts in the daily rollups on the day it happens, on the sign-up's link
    // and country: the same rule as joins (counted when the membership begins), so in an open
    // community "confirmed" and "joined" land on the same day and "joined" never outgrows
    // "confirmed".
    client
      .prepare(
        `insert into invite_daily_stats (invite_id, community_id, day, country, via, device,
           referrer_host, confirmations, confirmed_by_${col})
         select ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, 1 where ?2 is not null and ${firstProof}
         on conflict (invite_id, day, country, via, device, referrer_host) do update set
           confirmations = confirmations + 1, confirmed_by_${col} = confirmed_by_${col} + 1`,
      )
      .bind(
        request.id,
        request.inviteId,
        request.communityId,
        utcDay(now),
        request.country,
        request.via,
        request.device,
        request.referrerHost,
      ),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select ?2, 'join.requested', ?3, json_object('joinRequestId', ?1, 'inviteId', ?4), ?5
         where ${firstProof} and (select visibility from communities where id = ?3) = 'closed'`,
      )
      .bind(request.id, newId('evt', nowMs), request.communityId, request.inviteId, nowMs),
    client
      .prepare(
        `update join_requests set ${col}_confirmed_at = ?2, ${col}_consent_method = ?3,
           ${col}_consent_proof = ?4,
           confirm_code_hash = case when ?3 = 'whatsapp_message' then null else confirm_code_hash end,
           consent_method = coalesce(consent_method, ?3),
           consent_proof = case when confirmed_at is null then ?4 else consent_proof end,
           confirmed_at = coalesce(confirmed_at, ?2)
         where id = ?1 and ${col} is not null and repeat_of is null and ${awaits}
           and not exists (select 1 from members m where m.id = join_requests.member_id
             and m.${col} is null)
         returning confirmed_at = ?2 as first`,
      )
      .bind(request.id, provenMs, proof.method, proof.id.slice(0, 200)),
    ...(proof.method === 'admin' ? [] : ownersLatestProof(client, request.id, contact)),
    // A member's later proof of their other contact, or of a contact a single opt-in took on the
    // form's word: recorded on the membership too.
    client
      .prepare(
        `update members set ${col}_confirmed_at = ?2, ${col}_consent_method = ?3, ${col}_consent_proof = ?4
         where id = (select member_id from join_requests where id = ?1) and status = 'active'
           and ${col} = (select ${col} from join_requests where id = ?1) and ${awaits}`,
      )
      .bind(request.id, provenMs, proof.method, proof.id.slice(0, 200)),
  ])
  const marked = results[credit.length + 2]!.results[0]
  return marked === undefined ? null : marked.first === 1
}

/** Where an earlier sign-up of the same person stands: what a repeat pointing at it shows. */
type Earlier = {
  requestId: string
  memberId: string | null
  status: 'approved' | 'pending' | 'rejected'
}

/**
 * The same person's earlier sign-up, found by the contact just proven: their membership, their
 * request waiting for the admins, or their request declined since `declinedSince` (the
 * cooling-off period: the proof then shows them that decision, and no new request reaches the
 * admins). A declined request counts only by a contact a proof backed: a number someone else
 * typed into it never keeps its owner out.
 */
async function earlierSignUp(
  db: Database,
  request: JoinRequest,
  contact: ContactKind,
  value: string,
  declinedSince: number,
): Promise<Earlier | null> {
  const col = contact
  const row = await db.$client
    .prepare(
      `select join_request_id as requestId, id as memberId, 'approved' as status from members
         where community_id = ?1 and ${col} = ?2 and ${col}_confirmed_at is not null and status = 'active'
       union all
       select id, null, 'pending' from join_requests
         where community_id = ?1 and ${col} = ?2 and ${col}_confirmed_at is not null
           and status = 'pending' and id != ?3
       union all
       select id, null, 'rejected' from join_requests
         where community_id = ?1 and ${col} = ?2 and ${col}_consent_method != 'single_opt_in'
           and status = 'rejected' and decided_at > ?4 and id != ?3
       limit 1`,
    )
    .bind(request.communityId, value, request.id, declinedSince)
    .first<Earlier>()
  return row ?? null
}

/**
 * Turns a proven repeat sign-up into a pointer at the earlier one: its status link now shows
 * that sign-up (only its owner, who just proved the contact, holds the link), and it keeps no
 * contact data of its own.
 */
async function markRepeat(
  db: Database,
  request: JoinRequest,
  earlier: Earlier,
  proof: Proof,
  now: Date,
): Promise<ConfirmResult> {
  const client = db.$client
  const [marked] = await client.batch([
    client
      .prepare(
        `update join_requests set repeat_of = ?2, name = '', phone = null, email = null, answers = '[]',
           status = ?6, decided_at = ?3, confirmed_at = coalesce(confirmed_at, ?3),
           consent_method = ?4, consent_proof = ?5, confirm_code_hash = null
         where id = ?1 and status = 'pending' and member_id is null and repeat_of is null`,
      )
      .bind(
        request.id,
        earlier.requestId,
        now.getTime(),
        proof.method,
        proof.id.slice(0, 200),
        // Where the earlier sign-up stood: what the repeat's own page says, whatever comes later.
        earlier.status,
      ),
    // Its request for a confirmation e-mail held the name and address as typed: gone with it,
    // unless it is already on its way (then it goes with the events' retention).
    client
      .prepare(
        `delete from events where type = 'member.confirmation_requested'
           and payload ->> '$.joinRequestId' = ?1 and changes() = 1
           and not exists (select 1 from webhook_deliveries d where d.event_id = events.id)`,
      )
      .bind(request.id),
  ])
  if (marked!.meta.changes === 0) {
    const current = (await db.query.joinRequests.findFirst({
      where: eq(joinRequests.id, request.id),
    }))!
    return { outcome: 'already', request: current, memberId: current.memberId }
  }
  // The earlier sign-up itself stays as it was: whoever holds its status link may not be the
  // person who just proved the contact (someone may have typed their number into it), so this
  // proof opens nothing there, and credits its referrer nothing.
  const shown = (await db.query.joinRequests.findFirst({
    where: eq(joinRequests.id, earlier.requestId),
  }))!
  return { outcome: 'repeat', request: shown, memberId: earlier.memberId }
}

/**
 * Whether a contact's consent stands for its community now, for anything sent to it. A single
 * opt-in is a ticked box, no proof: once the community asks for confirmation (switched to double
 * opt-in), it no longer counts, and the contact hears from us again only once its owner proves
 * it (`APPLICANT_FIELDS` in join-statements.ts says the same in SQL).
 */
export function consentStands(
  confirmedAt: Date | null,
  method: ConsentMethod | null,
  asksForProof: boolean,
): boolean {
  return confirmedAt !== null && !(asksForProof && method === 'single_opt_in')
}
