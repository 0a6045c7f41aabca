import { joinTargetSql } from './joining-target'
import { subscribedEndpointSql } from './webhooks'

/**
 * The reads a sign-up decides on (`readForJoin` in `joining.ts`), as plain SQL. Their text
 * depends on nothing a request brings, only their bound values do, so it is written out once
 * per isolate: building it with drizzle's query builder on every join was a large share of the
 * join's CPU in the Worker.
 *
 * Every read finds the link by its code, ?1, in the same batch: a link revoked or pointed
 * elsewhere a moment ago is read as it is now.
 */

/** The link's community and group, as subqueries by its code. */
const LINK_COMMUNITY = '(select community_id from invites where code = ?1)'
const LINK_GROUP = '(select group_id from invites where code = ?1)'

/**
 * The link behind the code at this moment, in one row whatever it turns out to be: the link's
 * columns (null where no link has the code now), why a code no link has now was a link's
 * once (rotated away, or its community deleted: such a link is gone, not unknown), and the owner of a referral link (`referrer_*`, null where there is
 * none). A referral link on Telegram credits only joins Telegram reports through it: a sign-up on
 * the web through its code credits no referrer. One statement where three were: every statement
 * of a batch costs its own round of work in D1, however small its result.
 */
const LINK = `select i.*,
    (select case when invite_id is null then 'deleted' else 'rotated' end
      from invite_codes where code = ?1) as retired_code,
    r.id as referrer_id, r.status as referrer_status,
    r.phone as referrer_phone, r.email as referrer_email
  from (select 1) left join invites i on i.code = ?1
    left join members r on r.id = i.referrer_member_id
      and not exists (select 1 from telegram_invite_links t
        where t.invite_id = i.id and t.status in ('pending', 'active'))
  limit 1`

const TARGET = joinTargetSql(LINK_COMMUNITY, LINK_GROUP, '?2')

/**
 * The link's community, with whether an endpoint turns its confirmation requests (?2) into
 * e-mails (`confirmation_mailer`).
 */
const COMMUNITY = `select c.*, exists (${subscribedEndpointSql('c.id')}) as confirmation_mailer
  from (${TARGET.community}) c`

/**
 * The same person, by contacts as far as they identify anyone: a phone number (?2) or e-mail
 * address (?3) whose owner confirmed it (in a community without double opt-in: as given). A
 * contact not given is bound as null and matches nothing; every sign-up gives at least one.
 */

/**
 * The `column` of the person's row of `table` in a state, in a community (its id as SQL): by
 * their phone number, or else by their e-mail address. One lookup per contact, so that each
 * searches that contact's index; a condition on either contact at once (an OR) would read every
 * row of the community in that state instead.
 */
const samePersonIn = (table: string, column: string, community: string, status: string) =>
  `coalesce(
    (select ${column} from ${table} where community_id = ${community} and status = '${status}'
      and phone = ?2 and phone_confirmed_at is not null limit 1),
    (select ${column} from ${table} where community_id = ${community} and status = '${status}'
      and email = ?3 and email_confirmed_at is not null limit 1))`

/**
 * The ids of the person's requests by which they are known in a community (its id as SQL), each
 * null where there is none: the request that made their active membership, their request
 * waiting for an admin, and their latest rejection since ?4 (the start of the cooling-off
 * period).
 *
 * A rejection refuses nothing at the sign-up (that would tell whoever typed the contact that it
 * was declined): a single opt-in takes the sign-up as a repeat, and its proof shows the decision
 * to the contact's owner only (services/consent.ts). Only a contact a proof backed counts: a
 * number someone else typed into a rejected request never keeps its owner out. Each contact is
 * looked up within the community, so that each searches its (community, contact, decided_at)
 * index.
 */
const knownRequestIds = (community: string) => ({
  active: samePersonIn('members', 'join_request_id', community, 'active'),
  pending: samePersonIn('join_requests', 'id', community, 'pending'),
  rejected: `(select r.id from join_requests r
    where r.community_id = ${community} and r.status = 'rejected' and r.decided_at > ?4
      and ((r.community_id = ${community} and r.phone = ?2 and r.phone_confirmed_at is not null
            and r.phone_consent_method != 'single_opt_in')
        or (r.community_id = ${community} and r.email = ?3 and r.email_confirmed_at is not null
            and r.email_consent_method != 'single_opt_in'))
    order by r.decided_at desc
    limit 1)`,
})

/**
 * Whether the person is known in a community (its id as SQL): one of the requests of
 * `knownRequestIds` exists. Only whether, not which: that is all a sign-up decides on (a known
 * person's single opt-in is a repeat sign-up), and a statement that names no column is the
 * cheapest to compile, which D1 does for every statement it runs (locally, for every call).
 */
const knownContactSql = (community: string) => `exists (select 1 from join_requests
  where id in (${Object.values(knownRequestIds(community)).join(', ')}))`

/** Whether the person is known where the link with code ?1 leads (`known`, 1 or 0). */
export const KNOWN_CONTACT = `select ${knownContactSql(LINK_COMMUNITY)} as known`

/**
 * `KNOWN_CONTACT` in a community given by its id (?1; ?2 to ?4 as there), as an expression: the
 * condition of a write that depends on it (join-at-once.ts).
 */
export const KNOWN_CONTACT_EXISTS = knownContactSql('?1')

/** The contacts a sign-up gives, and when a rejection still holds it back. */
export interface JoinReadValues {
  phone: string | null
  email: string | null
  rejectedSince: Date
}

/**
 * The reads of a sign-up through the link with `code`, in the order `readForJoin` takes their
 * results: the link (`LINK`), the community (`COMMUNITY`), its groups in play, and whether the
 * person is known there (`KNOWN_CONTACT`).
 */
export function joinReadStatements(
  client: D1Database,
  code: string,
  values: JoinReadValues,
): D1PreparedStatement[] {
  const { phone, email } = values
  return [
    client.prepare(LINK).bind(code),
    client.prepare(COMMUNITY).bind(code, 'member.confirmation_requested'),
    client.prepare(TARGET.groups).bind(code, 'announcement'),
    client.prepare(KNOWN_CONTACT).bind(code, phone, email, values.rejectedSince.getTime()),
  ]
}

/**
 * The person's active membership's request and pending request in a community (?1 its id), by
 * the same contacts: what a sign-up that lost a race to the same person's finds.
 */
const EXISTING = knownRequestIds('?1')
const EXISTING_ACTIVE_REQUEST = `select * from join_requests where id = ${EXISTING.active}`
const EXISTING_PENDING_REQUEST = `select * from join_requests where id = ${EXISTING.pending}`

export function existingStatements(
  client: D1Database,
  communityId: string,
  contacts: { phone: string | null; email: string | null },
): D1PreparedStatement[] {
  return [
    client.prepare(EXISTING_ACTIVE_REQUEST).bind(communityId, contacts.phone, contacts.email),
    client.prepare(EXISTING_PENDING_REQUEST).bind(communityId, contacts.phone, contacts.email),
  ]
}
