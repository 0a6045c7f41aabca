import type { ContactKind, JoinRequest } from '../db/schema'
import { newId } from '../lib/ids'
import type { Lang } from '../lib/i18n'
import { roomIn } from './group-seats'
import { rollupStatement, type RollupColumn } from './join-statements'

/**
 * The SQL that stores a sign-up: its row, the link's use, its count, and the request for a
 * confirmation e-mail. What follows a sign-up that is a membership at once is in
 * `join-statements.ts`; when each is sent, in `sign-up-write.ts`.
 */

/**
 * The outbox event that asks the operator's mail system to send the confirmation link, with what
 * the e-mail needs to be written in the person's language and to name what they signed up to:
 * the language they signed up in and the community's name. It holds the person's name, e-mail
 * address and a live link, so it goes with the sign-up when that expires
 * (`eraseExpiredSignUps`), or `EVENT_RETENTION_DAYS` after delivery otherwise.
 */
export function confirmationRequestedStatement(
  client: D1Database,
  request: JoinRequest,
  confirmUrl: string,
  language: Lang,
): D1PreparedStatement {
  const nowMs = request.createdAt.getTime()
  return client
    .prepare(
      `insert into events (id, type, community_id, payload, created_at)
       select ?2, 'member.confirmation_requested', ?3,
         json_object('joinRequestId', ?1, 'name', ?4, 'email', ?5, 'confirmUrl', ?6, 'expiresAt', ?7,
           'language', ?9, 'communityName', (select name from communities where id = ?3),
           'timeZone', (select time_zone from communities where id = ?3)), ?8
       where exists (select 1 from join_requests where id = ?1)`,
    )
    .bind(
      request.id,
      newId('evt', nowMs),
      request.communityId,
      request.name,
      request.email,
      confirmUrl,
      request.confirmExpiresAt!.toISOString(),
      nowMs,
      language,
    )
}

/**
 * A condition more of a sign-up's INSERT, made for the parameter number it may start at (the
 * INSERT's own come first): SQL starting with `and`, and its parameters in their order. With
 * `known`, SQL true where the person is known in the community: the INSERT then stores a repeat
 * sign-up instead (see `signUpStatements`).
 */
export type SqlCondition = (firstParameter: number) => {
  sql: string
  params: unknown[]
  known?: string
}

/**
 * What a sign-up's INSERT stores first, as ?1 to ?11 (its id, community, link, group, referrer,
 * then what the form gave): the same for a new sign-up and a repeat one.
 */
export function formValues(request: JoinRequest): unknown[] {
  return [
    request.id,
    request.communityId,
    request.inviteId,
    request.groupId,
    request.referrerMemberId,
    request.name,
    request.phone,
    request.email,
    JSON.stringify(request.answers),
    request.consent ? 1 : 0,
    request.country,
  ]
}

/**
 * Statements that store a sign-up, guarded by the link being usable. The first returns the row
 * it stored (none when the link or a group refused it). With `memberId`, the sign-up is the join
 * itself (`membershipStatements` with `withSignUp` follows in the same batch): it is stored
 * approved, as that membership's, instead of being updated to it a statement later.
 */
export function signUpStatements(
  client: D1Database,
  request: JoinRequest,
  options: {
    open: boolean
    announce: boolean
    groupIds: string[]
    memberId?: string
    condition?: SqlCondition
  },
  now: Date,
): D1PreparedStatement[] {
  const nowMs = now.getTime()
  // A sign-up that is the join itself needs room in its groups, as its membership does (the same
  // conditions in the same transaction): no room, no sign-up either.
  const joinsNow = options.memberId !== undefined
  // Its proven contacts must not be the same person's in the state it does not meet in a
  // unique index: stored approved, a waiting request of theirs; stored pending, their active
  // membership. Otherwise a join that read the community open (or closed) a moment before it
  // closed (or opened) would leave a membership and a request side by side; refused here, it is
  // taken as the repeat sign-up it is (`join`). Each lookup reads that state's unique index.
  const [table, state] = joinsNow ? ['join_requests', 'pending'] : ['members', 'active']
  const nobodyElses = (contact: ContactKind, value: string, provenAt: string) =>
    `and (${provenAt} is null or not exists (select 1 from ${table} where community_id = ?2
       and status = '${state}' and ${contact} = ${value} and ${contact}_confirmed_at is not null))`
  const room = joinsNow
    ? `and ${roomIn('?14', '?13')} and (?15 is null or ${roomIn('?15', '?13')})`
    : `and coalesce(?14, ?15, 1) is not null` // always true; binds the same parameters
  const nobodyElse = `${nobodyElses('phone', '?7', '?20')} ${nobodyElses('email', '?8', '?22')}`
  const condition = options.condition?.(30)
  // Where the condition tells whether the person is known (the crowd's join, join-at-once.ts),
  // the same INSERT stores a repeat sign-up for a known person (as `repeatSignUpStatement`
  // does: waiting for a proof, no consent, no membership) and the membership's sign-up for a
  // new one, so a join sends one statement whichever it is. A repeat's row has no `member_id`:
  // nothing that follows, all guarded by the membership, is written for it.
  // Only where the sign-up is the membership does a repeat differ from it by what is stored.
  if (condition?.known && !joinsNow) throw new Error('a repeat is told apart only from a member')
  const known = condition?.known ? 'k.known' : undefined
  const unlessKnown = (value: string) =>
    known ? `case when ${known} then null else ${value} end` : value
  const statements = [
    client
      .prepare(
        `insert into join_requests (id, community_id, invite_id, group_id, referrer_member_id, name, phone, email,
           answers, consent, country, status, status_token_hash, created_at,
           confirm_expires_at, confirmed_at, consent_method, confirm_code_hash,
           phone_confirmed_at, phone_consent_method, email_confirmed_at, email_consent_method,
           via, device, referrer_host, member_id, decided_at, language, status_token_sealed, took_use)
         select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
           case when ${unlessKnown('?27')} is null then 'pending' else 'approved' end, ?12, ?13, ?16,
           ${['?17', '?18'].map(unlessKnown).join(', ')}, ?19,
           ${['?20', '?21', '?22', '?23'].map(unlessKnown).join(', ')}, ?24, ?25, ?26,
           ${unlessKnown('?27')}, case when ${unlessKnown('?27')} is null then null else ?13 end, ?28, ?29,
           ${
             // The use the statement after it takes (see there): a membership's sign-up, or a
             // request; never a known contact's repeat.
             joinsNow ? `${unlessKnown('?27')} is not null` : '1'
           }
         ${
           // LIMIT keeps SQLite from copying the subquery into each column that reads it, where
           // it would be compiled, and run, once per column.
           known ? `from (select ${condition!.known} as known limit 1) k` : ''
         }
         where exists (select 1 from invites where id = ?3 and revoked_at is null and archived_at is null
           and (expires_at is null or expires_at > ?13) and (max_uses is null or uses < max_uses)) ${room}
           ${known ? `and (${known} or (1 ${nobodyElse}))` : nobodyElse}
           ${condition?.sql ?? ''}
         returning *`,
      )
      .bind(
        ...formValues(request),
        request.statusTokenHash,
        nowMs,
        options.groupIds[0],
        options.groupIds[1] ?? null,
        request.confirmExpiresAt?.getTime() ?? null,
        request.confirmedAt?.getTime() ?? null,
        request.consentMethod,
        request.confirmCodeHash,
        request.phoneConfirmedAt?.getTime() ?? null,
        request.phoneConsentMethod,
        request.emailConfirmedAt?.getTime() ?? null,
        request.emailConsentMethod,
        request.via,
        request.device,
        request.referrerHost,
        options.memberId ?? null,
        request.language,
        request.statusTokenSealed,
        ...(condition?.params ?? []),
      ),
    // A link's uses count sign-ups: joins in an open community, requests in a closed one (a
    // repeat sign-up stored by the same INSERT counts none).
    client
      .prepare(
        `update invites set uses = uses + 1, updated_at = ?3 where id = ?2
         and exists (select 1 from join_requests where id = ?1 ${joinsNow ? 'and member_id is not null' : ''})`,
      )
      .bind(request.id, request.inviteId, nowMs),
    // A sign-up that is a membership at once is counted with the join, on the same rollup row
    // (`membershipStatements`): one statement fewer on the busiest write.
    ...(joinsNow
      ? []
      : [
          rollupStatement(client, request, now, signUpCounts(request), {
            table: 'join_requests',
            id: request.id,
          }),
        ]),
  ]
  // An unconfirmed request reaches the admins when it is confirmed (see services/consent.ts).
  if (!options.open && options.announce) {
    statements.push(
      client
        .prepare(
          `insert into events (id, type, community_id, payload, created_at)
           select ?2, 'join.requested', ?3, json_object('joinRequestId', ?1, 'inviteId', ?4), ?5
           where exists (select 1 from join_requests where id = ?1)`,
        )
        .bind(request.id, newId('evt', nowMs), request.communityId, request.inviteId, nowMs),
    )
  }
  return statements
}

/**
 * What a sign-up adds to its rollup row: a single opt-in one is confirmed as it is made, a double
 * opt-in one when its owner confirms it (services/consent.ts).
 */
export function signUpCounts(request: JoinRequest): RollupColumn[] {
  return request.confirmedAt !== null ? ['join_requests', 'confirmations'] : ['join_requests']
}
