import type { ContactKind } from '../db/schema'

/**
 * The owner's latest proof of a contact decides which membership has it. A contact nobody had
 * proven can be typed into several sign-ups (a member's address next to a stranger's own
 * number), and each asks its owner for a proof, in messages alike. Proven through sign-up ?1,
 * whose membership carries it unproven, it is taken from the other active membership that has
 * it proven (the unique index allows one): that membership and its sign-up keep the contact,
 * unproven, so that a later proof through them takes it back. Whichever message the owner acts
 * on last, the contact is where they last meant it, and no typist can keep it. Only where the
 * other membership keeps a proven contact of its own; an admin's record moves nothing (it backs
 * a contact, it does not outweigh its owner's proof). Runs after the proof is recorded on ?1
 * and before its membership's own update, in the same batch.
 */
export function ownersLatestProof(
  client: D1Database,
  requestId: string,
  contact: ContactKind,
): D1PreparedStatement[] {
  // Column names from the two contact kinds only, never from input.
  const col = contact
  const other = contact === 'phone' ? 'email' : 'phone'
  // The memberships that hold the contact proven while ?1 has just proven it for its own: ?1's
  // record is set and its member's not yet, which is true only between the two updates.
  const holders = `select m.id from members m
    where m.community_id = (select community_id from join_requests where id = ?1)
      and m.${col} = (select ${col} from join_requests where id = ?1)
      and m.${col}_confirmed_at is not null and m.status = 'active'
      and (m.${other}_confirmed_at is not null or m.telegram_user_id is not null)
      and exists (select 1 from join_requests r join members t on t.id = r.member_id
        where r.id = ?1 and t.id != m.id and t.status = 'active' and t.${col} = r.${col}
          and r.${col}_confirmed_at is not null and t.${col}_confirmed_at is null)`
  const unproven = `${col}_confirmed_at = null, ${col}_consent_method = null,
    ${col}_consent_proof = null`
  return [
    // The holders' sign-ups first: the second statement changes who the holders are.
    client
      .prepare(`update join_requests set ${unproven} where member_id in (${holders})`)
      .bind(requestId),
    client.prepare(`update members set ${unproven} where id in (${holders})`).bind(requestId),
  ]
}
