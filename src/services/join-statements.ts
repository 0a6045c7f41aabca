import { type Community, type ContactKind, type Group, type JoinRequest } from '../db/schema'
import { newInviteCode } from '../lib/codes'
import { idTimePart, newId } from '../lib/ids'
import { utcDay } from '../lib/time'
import { roomIn } from './group-seats'

/**
 * The SQL a join, an approval and a leave run in one D1 batch each. Every statement after the
 * first is guarded by the row the first one wrote, so a refused join leaves nothing behind; the
 * rules deciding when they run are in `joining.ts`.
 */

/** Where a membership lands: the community, its announcement group, and maybe one group more. */
export interface JoinTarget {
  community: Community
  announcementGroup: Group
  group: Group | null
}

/** Whether the applicant's (`r`) e-mail address may be written to in its community (`c`). */
const EMAIL_CONSENT_STANDS = `r.email_confirmed_at is not null and not (c.consent = 'double'
    and r.email_consent_method is 'single_opt_in')`

/**
 * What a decision's event says about the applicant (`r`, a join request) and the community (`c`),
 * so the operator's mail system can write to them: their name, their e-mail address only if its
 * owner's consent stands (null otherwise: nothing is ever sent to an unconfirmed contact, nor to
 * a ticked box where the community asks for confirmation, as `consentStands` decides), the
 * community's name, and with the address `pageUrl` (the parameter `page`): the page of the link
 * e-mailed to that address before (`emailedPageUrl`), which shows the decision and, for an
 * approval, the way into the group. Not their status link: whoever confirmed the address may not
 * be whoever typed it into the form and holds that page.
 */
export function applicantFields(page: string): string {
  return `'name', r.name,
  'email', case when ${EMAIL_CONSENT_STANDS} then r.email end,
  'pageUrl', case when ${EMAIL_CONSENT_STANDS} then ${page} end,
  'communityName', c.name, 'language', r.language`
}

/** A decision's WhatsApp notice waits this long for its own request's try before the cron job's. */
export const NOTICE_GRACE_MS = 60_000

/**
 * The statement that records, in a decision's batch, that its applicant is to be told on WhatsApp
 * (services/decision-notices.ts): for a sign-up whose number was proven, and only if this batch
 * made the decision. `madeMember`: the member an approval made (the statement runs after the
 * request's update); null for a rejection (it runs before it, while the request is pending).
 * Whether and what is sent is decided when it is sent.
 */
export function noticeDueStatement(
  client: D1Database,
  requestId: string,
  now: Date,
  madeMember: string | null,
): D1PreparedStatement {
  const decided =
    madeMember === null ? `r.status = 'pending'` : `r.status = 'approved' and r.member_id = ?3`
  return client
    .prepare(
      `insert into decision_notices (join_request_id, community_id, status, attempts, due_at, created_at, updated_at)
       select r.id, r.community_id, 'due', 0, ?2 + ${NOTICE_GRACE_MS}, ?2, ?2 from join_requests r
       where r.id = ?1 and r.phone is not null and r.phone_confirmed_at is not null and ${decided}
       on conflict do nothing`,
    )
    .bind(requestId, now.getTime(), ...(madeMember === null ? [] : [madeMember]))
}

export function groupIdsOf(target: JoinTarget): string[] {
  return [target.announcementGroup.id, ...(target.group ? [target.group.id] : [])]
}

/** A sign-up made in the same batch as its membership (see `signUpStatements`' `memberId`). */
export interface WithSignUp {
  /** The member's own referral link's code. */
  referralCode: string
  /** What the sign-up adds to the rollup row, counted with the join on the same row. */
  counted: RollupColumn[]
  /** Whether the member row is returned whole; otherwise only its id (that it was made). */
  returnsMember: boolean
}

/**
 * Statements that turn a pending sign-up into a membership: the member row (guarded by the
 * request still pending and by every group having room), then, each only if that row exists:
 * the request approved, the group memberships and counts, the member's own referral link, the
 * stats, the referrer's credit and rewards, and the events. `withSignUp`: the sign-up was stored
 * approved as this membership's in the same batch; the member row (or its id) is returned.
 */
export function membershipStatements(
  client: D1Database,
  target: JoinTarget,
  request: JoinRequest,
  memberId: string,
  now: Date,
  withSignUp?: WithSignUp,
  /** An admin's decision: the applicant's `emailedPageUrl`, for the `join.approved` event. */
  applicantPage: string | null = null,
): D1PreparedStatement[] {
  const nowMs = now.getTime()
  const groupIds = groupIdsOf(target)
  const memberExists = `exists (select 1 from members where id = ?1)`
  const referralInviteId = newId('inv', nowMs)
  const referralCode = withSignUp?.referralCode ?? newInviteCode()
  const open = target.community.visibility === 'open'
  const requestReady = withSignUp
    ? `r.status = 'approved' and r.member_id = ?1`
    : `r.status = 'pending'`
  // A contact the sign-up written in this batch holds as confirmed (or does not hold) is taken as
  // given: the lookups of `contactOfOwn` would leave nothing out, and cost compiling all the same.
  const own = (contact: ContactKind, given: string) =>
    withSignUp && (request[contact] === null || request[`${contact}ConfirmedAt`] !== null)
      ? given
      : contactOfOwn(contact, given)
  return [
    client
      .prepare(
        `insert into members (id, community_id, name, phone, email, consent, status, join_request_id, invite_id,
           referred_by_member_id, referral_count, joined_at, confirmed_at, consent_method, consent_proof,
           phone_confirmed_at, phone_consent_method, phone_consent_proof,
           email_confirmed_at, email_consent_method, email_consent_proof)
         select ?1, ?2, ?3, ${own('phone', '?4')}, ${own('email', '?5')}, ?6, 'active', ?7, ?8, ?9, 0, ?10,
           coalesce(r.confirmed_at, ?10), coalesce(r.consent_method, 'single_opt_in'), r.consent_proof,
           r.phone_confirmed_at, r.phone_consent_method, r.phone_consent_proof,
           r.email_confirmed_at, r.email_consent_method, r.email_consent_proof
         from join_requests r where r.id = ?7 and ${requestReady}
           and ${roomIn('?11', '?10')} and (?12 is null or ${roomIn('?12', '?10')})
         ${withSignUp ? `returning ${withSignUp.returnsMember ? '*' : 'id'}` : ''}`,
      )
      .bind(
        memberId,
        request.communityId,
        request.name,
        request.phone,
        request.email,
        request.consent ? 1 : 0,
        request.id,
        request.inviteId,
        request.referrerMemberId,
        nowMs,
        groupIds[0],
        groupIds[1] ?? null,
      ),
    ...(withSignUp
      ? []
      : [
          client
            .prepare(
              `update join_requests set status = 'approved', member_id = ?1, decided_at = ?3 where id = ?2 and ${memberExists}`,
            )
            .bind(memberId, request.id, nowMs),
        ]),
    client
      .prepare(
        `insert into group_members (group_id, member_id, joined_at)
         select id, ?1, ?4 from groups where id in (?2, ?3) and ${memberExists}`,
      )
      .bind(memberId, groupIds[0], groupIds[1] ?? groupIds[0], nowMs),
    client
      .prepare(
        `update groups set member_count = member_count + 1 where id in (?2, ?3) and ${memberExists}`,
      )
      .bind(memberId, groupIds[0], groupIds[1] ?? groupIds[0]),
    client
      .prepare(
        `insert into invites (id, community_id, code, label, source, medium, referrer_member_id, uses, created_at, updated_at)
         select ?2, ?4, ?3, 'Referral link', 'referral', 'member', ?1, 0, ?5, ?5 where ${memberExists}`,
      )
      .bind(memberId, referralInviteId, referralCode, request.communityId, nowMs),
    client
      .prepare(
        `insert into invite_codes (code, invite_id, created_at) select ?2, ?3, ?4 where ${memberExists}`,
      )
      .bind(memberId, referralCode, referralInviteId, nowMs),
    // With the announcement group on Telegram, the referral link leads into its chat through a
    // Telegram link of its own, planned here and made by the cron job (never while anyone waits),
    // so that referrals are credited by what Telegram reports. A group on WhatsApp, as read a
    // moment ago, needs no statement (a chat linked since gets links as every earlier link does).
    ...(target.announcementGroup.telegramChatId === null
      ? []
      : [
          client
            .prepare(
              `insert into telegram_invite_links (id, invite_id, chat_id, url, creates_join_request,
           status, attempts, next_attempt_at, created_at)
         select ?2, ?3, g.telegram_chat_id, null,
           (select c.visibility = 'closed' from communities c where c.id = g.community_id),
           'pending', 0, ?5, ?5
         from groups g where g.id = ?4 and g.telegram_chat_id is not null
           and exists (select 1 from invites where id = ?3) and ${memberExists}`,
            )
            .bind(
              memberId,
              newId('tgl', nowMs),
              referralInviteId,
              target.announcementGroup.id,
              nowMs,
            ),
        ]),
    rollupStatement(client, request, now, [...(withSignUp?.counted ?? []), 'joins'], {
      table: 'members',
      id: memberId,
    }),
    open
      ? client
          .prepare(
            `insert into events (id, type, community_id, payload, created_at)
             select ?2, 'member.joined', ?3, json_object('memberId', ?1, 'joinRequestId', ?4, 'inviteId', ?5), ?6 where ${memberExists}`,
          )
          .bind(
            memberId,
            newId('evt', nowMs),
            request.communityId,
            request.id,
            request.inviteId,
            nowMs,
          )
      : // An admin's decision: the applicant is told, by e-mail through this event.
        client
          .prepare(
            `insert into events (id, type, community_id, payload, created_at)
             select ?2, 'join.approved', ?3,
               json_object('memberId', ?1, 'joinRequestId', ?4, 'inviteId', ?5, ${applicantFields('?7')}), ?6
             from join_requests r join communities c on c.id = r.community_id
             where r.id = ?4 and ${memberExists}`,
          )
          .bind(
            memberId,
            newId('evt', nowMs),
            request.communityId,
            request.id,
            request.inviteId,
            nowMs,
            applicantPage,
          ),
    ...(open
      ? []
      : [
          client
            .prepare(
              `insert into events (id, type, community_id, payload, created_at)
               select ?2, 'member.joined', ?3, json_object('memberId', ?1, 'joinRequestId', ?4, 'inviteId', ?5), ?6 where ${memberExists}`,
            )
            .bind(
              memberId,
              newId('evt', nowMs),
              request.communityId,
              request.id,
              request.inviteId,
              nowMs,
            ),
        ]),
    ...(request.referrerMemberId
      ? referralStatements(
          client,
          request.id,
          nowMs,
          // The membership made above, as the approved request names it.
          `exists (select 1 from join_requests j join members m on m.id = j.member_id
               where j.id = ?1)
             and ${REFERRED_PROVEN}`,
        )
      : []),
  ]
}

/**
 * The sign-up `r`'s `contact` as its membership takes it: left out where its owner never proved
 * it here and it is someone else's, a contact another active membership or waiting request of
 * the community has proven (a member's address typed next to the typist's own new number, proven
 * by its code). The membership carries only what is its owner's; the sign-up keeps what was
 * typed, so that its status page shows whoever holds it the same either way (nothing tells them
 * the address was a member's). `given` is the parameter holding the contact.
 */
function contactOfOwn(contact: ContactKind, given: string): string {
  // Column names from the two contact kinds only, never from input.
  return `case when r.${contact}_confirmed_at is null and (
      exists (select 1 from members m where m.community_id = r.community_id
        and m.${contact} = r.${contact} and m.${contact}_confirmed_at is not null
        and m.status = 'active')
      or exists (select 1 from join_requests p where p.community_id = r.community_id
        and p.${contact} = r.${contact} and p.${contact}_confirmed_at is not null
        and p.status = 'pending' and p.id != r.id))
    then null else ${given} end`
}

/**
 * Whether sign-up ?1's contacts are more than the form's word: a proof backs one, or its
 * community asked for none when proofs were not offered yet (no `confirm_expires_at`). Only then
 * does the referrer get the credit, so that a number typed into a member's referral link earns
 * them nothing the number's owner did not prove, and the referrer's rewards never tell them
 * whether the number was a member's (services/consent.ts gives the credit at the proof).
 */
export const REFERRED_PROVEN = `exists (select 1 from join_requests r where r.id = ?1
  and ${referredProven('r')})`

/**
 * The rewards a referrer's kept count earns at once, for a grant's `insert … select` from
 * `reward_rules r` and the referrer `m`: the community's live rules that count at once, whose
 * threshold the count reached. One text for every way a referral is credited (a sign-up, a
 * Telegram join), so that a retired rule grants through none of them.
 */
export const EARNED_AT_ONCE = `r.community_id = m.community_id and r.min_retention_days = 0
  and r.retired_at is null and m.status = 'active' and m.referral_count >= r.threshold`

/** `REFERRED_PROVEN` of the join request the alias `r` names. */
export function referredProven(r: string): string {
  return `(${r}.confirm_expires_at is null or ${r}.consent_method is not 'single_opt_in'
    or coalesce(${r}.phone_consent_method, 'single_opt_in') != 'single_opt_in'
    or coalesce(${r}.email_consent_method, 'single_opt_in') != 'single_opt_in')`
}

/**
 * Credits the referrer of sign-up ?1 with the membership it made, and grants, exactly once, every
 * reward whose threshold they reached, each statement only `when` (SQL on ?1) holds: run where
 * the credit is due, it holds once per sign-up.
 */
export function referralStatements(
  client: D1Database,
  requestId: string,
  nowMs: number,
  when: string,
): D1PreparedStatement[] {
  const time = idTimePart(nowMs)
  const referrer = `(select referrer_member_id from join_requests where id = ?1)`
  return [
    client
      .prepare(
        `update members set referral_count = referral_count + 1
         where id = ${referrer} and status = 'active' and ${when}`,
      )
      .bind(requestId),
    client
      .prepare(
        `insert or ignore into rewards (id, rule_id, member_id, community_id, triggered_by, earned_at)
         select 'rwd_' || ?2 || lower(hex(randomblob(8))), r.id, m.id, m.community_id, ?1, ?3
         from reward_rules r join members m on m.id = ${referrer}
         where ${EARNED_AT_ONCE} and ${when}`,
      )
      .bind(requestId, time, nowMs),
    client
      .prepare(
        `insert into events (id, type, community_id, payload, created_at)
         select 'evt_' || ?2 || lower(hex(randomblob(8))), 'reward.earned', w.community_id,
           json_object('rewardId', w.id, 'ruleId', w.rule_id, 'memberId', w.member_id), ?3
         from rewards w where w.triggered_by = ?1 and ${when}`,
      )
      .bind(requestId, time, nowMs),
  ]
}

/** The daily rollup columns a sign-up or a membership adds one to. */
export type RollupColumn = 'join_requests' | 'confirmations' | 'joins'

/** Adds one to daily rollup columns of the request's link, if the guarding row exists. */
export function rollupStatement(
  client: D1Database,
  request: JoinRequest,
  now: Date,
  columns: RollupColumn[],
  guard: { table: 'members' | 'join_requests'; id: string },
): D1PreparedStatement {
  return client
    .prepare(
      `insert into invite_daily_stats (invite_id, community_id, day, country, via, device, referrer_host, ${columns.join(', ')})
       select ?1, ?2, ?3, ?4, ?6, ?7, ?8, ${columns.map(() => '1').join(', ')}
       where ?1 is not null and exists (select 1 from ${guard.table} where id = ?5)
       on conflict (invite_id, day, country, via, device, referrer_host) do update set ${columns.map((c) => `${c} = ${c} + 1`).join(', ')}`,
    )
    .bind(
      request.inviteId,
      request.communityId,
      utcDay(now),
      request.country,
      guard.id,
      request.via,
      request.device,
      request.referrerHost,
    )
}
