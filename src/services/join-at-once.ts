import type { Database } from '../db/client'
import type { Invite } from '../db/schema'
import type { JoinTarget } from './join-statements'
import type { SqlCondition } from './sign-up-statements'
import { KNOWN_CONTACT_EXISTS } from './join-reads'
import { inviteStatus } from './invite-status'
import { fullGroupOf } from './joining-target'
import { windowStartOf, type RateLimit } from './rate-limits'
import { firstRowOf } from '../db/rows'
import { joinRequests } from '../db/schema'
import {
  landedSignUp,
  signUpWrite,
  type JoinInput,
  type JoinOptions,
  type LandedSignUp,
  type SignUpWrite,
} from './sign-up-write'
import { subscribedEndpointSql } from './webhooks'

/**
 * A join in one round trip: the crowd's case, a single opt-in into an open community through a
 * link with nobody to credit, where the join's writes go in the same batch as its reads.
 *
 * What the writes need to be made (the link's id, community and groups) is what the last join
 * through the same code read, kept per isolate. It only shapes them: a write lands only where,
 * in the same transaction, what the join decides on reading it holds, in SQL
 * (`atOnceCondition`): the new member's where the person is new, the repeat sign-up's where they
 * are known, both by one INSERT. Where anything changed since, or the join is refused, nothing
 * is written, and the join goes on as every other does: it decides on the reads of this very
 * batch, and a sign-up it still makes is written after them, the second and last round trip.
 */

/** What the last reading of a link showed, where its joins become memberships at once. */
export interface SeenLink {
  invite: Invite
  target: JoinTarget
  /** Whether a mail system listened for the community's confirmation requests. */
  confirmationMailer: boolean
}

/** Per isolate, by code; bounded, as the codes come from requests. */
const seenLinks = new Map<string, SeenLink>()
const SEEN_LINKS_KEPT = 1000

/** Keeps what a join read of a link whose joins can be written at once; forgets it otherwise. */
export function rememberLink(code: string, seen: SeenLink | undefined, now?: Date): void {
  const atOnce =
    seen &&
    now &&
    // A link that no longer works refuses every join: those joins send only their reads.
    inviteStatus(seen.invite, now) === 'active' &&
    seen.invite.referrerMemberId === null &&
    seen.target.community.visibility === 'open' &&
    seen.target.community.consent === 'single' &&
    // A full group refuses every join until someone leaves: those joins send only their reads.
    !fullGroupOf(seen.target)
  if (!atOnce) {
    seenLinks.delete(code)
    return
  }
  // The link seen longest ago makes room (a Map keeps its keys in the order they were set).
  seenLinks.delete(code)
  if (seenLinks.size >= SEEN_LINKS_KEPT) seenLinks.delete(seenLinks.keys().next().value!)
  seenLinks.set(code, seen)
}

/**
 * A join's write, planned from what an earlier join through the same code read: the new
 * member's, or for a person known there the repeat sign-up's, whichever its INSERT finds in SQL.
 * So a known number is answered in as many round trips and statements as a new one, and how
 * long the answer takes tells nobody which it was.
 */
export interface AtOnceWrite {
  seen: SeenLink
  write: SignUpWrite
}

/** The write of a join through `code` to send with its reads, if the link was seen before. */
export async function planAtOnce(
  db: Database,
  code: string,
  input: JoinInput,
  options: JoinOptions,
  limits: RateLimit[],
  rejectedSince: Date,
  /** Limits the caller lets this person past when exceeded (see `readForJoin`). */
  waived: RateLimit[],
): Promise<AtOnceWrite | undefined> {
  const seen = seenLinks.get(code)
  if (!seen) return undefined
  const plan = {
    invite: seen.invite,
    target: seen.target,
    // An open community asks no questions: nothing answered is kept (as `join` keeps it).
    input: { ...input, answers: [] },
    options,
    referrerId: null,
    mail: seen.confirmationMailer,
  }
  const held = limits.filter((limit) => !waived.includes(limit))
  const given = { code, seen, input, limits: held, rejectedSince, now: options.now }
  return { seen, write: await signUpWrite(db, { ...plan, condition: atOnceCondition(given) }) }
}

/**
 * What the write sent with a join's reads left (the batch's results from `first` on): the new
 * member's sign-up and member, or the repeat sign-up (stored with no member), or neither. Only
 * the crowd's join is written this way, a membership at once, so a sign-up stored without a
 * member is a repeat.
 */
export function landedAtOnce(
  write: SignUpWrite,
  results: D1Result[],
  first: number,
): { landed: LandedSignUp | undefined; repeated: LandedSignUp | undefined } {
  const stored = firstRowOf(joinRequests, results[first])
  return stored && stored.memberId === null
    ? { landed: undefined, repeated: { stored, memberMade: undefined } }
    : { landed: landedSignUp(write, results, first), repeated: undefined }
}

/**
 * Parameters ?n of a statement's text moved up by `by`: a read written for a batch of its own
 * (its parameters from ?1) used as a condition inside another statement, after its parameters.
 */
function shifted(sql: string, by: number): string {
  return sql.replace(/\?(\d+)/g, (_, n: string) => `?${Number(n) + by}`)
}

/**
 * Everything the join decides on reading it, as a condition of the sign-up's INSERT
 * (`signUpStatements`), beyond what that INSERT checks itself (the link usable: not revoked,
 * archived, expired or used up; each group with room): the link is still the one seen (nobody's
 * referral link, in the same community and group); the community still open, with a single
 * opt-in; its announcement group the same, on the same platform (on Telegram, the member's
 * referral link gets a Telegram link planned); no limit of this attempt exceeded (counted
 * earlier in the same batch); for an e-mail address, a mail system listening as it did. And, as
 * `known`, whether the person is known there, which makes the INSERT a repeat sign-up (the
 * reads' `KNOWN_CONTACT_EXISTS`: an active membership or waiting request by a proven contact, or
 * a proven rejection in the cooling-off period). Nothing is checked twice: D1 compiles every
 * statement afresh, and this one is the join's largest.
 */
function atOnceCondition(given: {
  code: string
  seen: SeenLink
  input: JoinInput
  limits: RateLimit[]
  rejectedSince: Date
  now: Date
}): SqlCondition {
  const { code, seen, input, limits, rejectedSince, now } = given
  const { invite, target } = seen
  return (first) => {
    const params: unknown[] = []
    /** The next parameter, bound to `value`. */
    const p = (value: unknown) => {
      params.push(value)
      return `?${first + params.length - 1}`
    }
    /** Where a read written with ?1 onwards starts, as the parameters bound next. */
    const nextFrom = () => first + params.length - 1
    const group = target.group?.id ?? null
    const [codeAt, communityAt, groupAt] = [p(code), p(invite.communityId), p(group)]
    let sql = `and exists (select 1 from invites i join communities c on c.id = i.community_id
        where i.code = ${codeAt} and i.id = ${p(invite.id)} and i.community_id = ${communityAt}
          and i.group_id is ${groupAt} and i.referrer_member_id is null
          and c.visibility = 'open' and c.consent = 'single')
      and exists (select 1 from groups where id = ${p(target.announcementGroup.id)}
        and community_id = ${communityAt} and kind = 'announcement'
        and (telegram_chat_id is null) = ${p(target.announcementGroup.telegramChatId === null ? 1 : 0)})
      and (${groupAt} is null or (exists (select 1 from groups
        where id = ${groupAt} and community_id = ${communityAt})))`
    // The reads' own rules, their ?1 to ?4 (community, phone, e-mail, cooling-off start) bound
    // next. The community is the link's: the condition above holds the code to it.
    const knownFrom = nextFrom()
    p(invite.communityId)
    p(input.phone)
    p(input.email)
    p(rejectedSince.getTime())
    const known = shifted(KNOWN_CONTACT_EXISTS, knownFrom)
    if (input.email) {
      const mailerFrom = nextFrom()
      p(invite.communityId)
      p('member.confirmation_requested')
      sql += ` and (exists (${shifted(subscribedEndpointSql('?1'), mailerFrom)})) = ${p(
        seen.confirmationMailer ? 1 : 0,
      )}`
    }
    for (const limit of limits) {
      sql += ` and not exists (select 1 from rate_limits where key = ${p(limit.key)}
        and window_start = ${p(windowStartOf(limit, now))} and count > ${p(limit.limit)})`
    }
    return { sql, params, known }
  }
}
