import type { Database } from '../db/client'
import type { Member } from '../db/schema'
import { endMembershipStatements } from './leaving'
import { forgetTelegramContacts } from './telegram-retention'

/**
 * Erases a member on request (a person's right to erasure): the membership ends as a removal
 * would (out of every group, referral link revoked, `member.left` naming only the id), and every
 * row that holds their contact data or what they wrote goes, in one batch:
 *
 * - the member's row (name, phone, e-mail, consent record), with their group places, rewards and
 *   the messages they sent to the business number;
 * - their sign-ups (`join_requests`: name, contacts, answers, consent record), and the repeat
 *   sign-ups that point at those (whose status links would still show the membership), with
 *   the WhatsApp notices of decisions on them (`decision_notices`), sent or still due;
 * - every event naming the member or one of those sign-ups (`member.confirmation_requested` holds
 *   the name, e-mail and link; `join.approved` the name and e-mail), with its webhook deliveries;
 * - on Telegram, the account's start of the bot (`telegram_contacts`; one that said `/stop` stays
 *   as the proof, with its user id and dates only), their join requests to the chat (name, user
 *   name, bio), and the name and user name kept with their membership of the chat (the row
 *   itself stays, without them: it orders late updates, so that an old join Telegram resends
 *   cannot bring the member back; it goes `TELEGRAM_ENDED_MEMBERSHIP_DAYS` after they leave).
 *
 * What stays names nobody: the `member.left` event this writes (the id and `removed`), the
 * per-recipient delivery rows of past announcements (a member id, a status; not Meta's message
 * id, which holds the number, nor what Meta reported of it), the audit entries (the ids; a
 * rejection of one of their sign-ups without the reason they were told), the anonymous rollups,
 * and ids in other people's rows (who referred them). Rows keyed by the contact rather than the
 * member run out by themselves: join limit counters (keyed hashes, a day) and the number's last
 * opt-in (14 days; it is shared by every community the number is in). A STOP the number sent
 * stays (the number and two dates): it is the record that nothing may be sent to that number,
 * whoever signs it up next.
 */
export async function eraseMember(db: Database, member: Member, now: Date): Promise<void> {
  const client = db.$client
  // The member's own sign-ups: the one that made the membership, any other that confirmed into
  // it, and the repeat sign-ups pointing at either.
  const own = `select id from join_requests where community_id = ?2 and (member_id = ?1 or id = ?3)`
  const ofSignUps = `from join_requests where community_id = ?2
    and (member_id = ?1 or id = ?3 or repeat_of in (${own}))`
  const signUps = `select id ${ofSignUps}`
  // Events carry no foreign key; they name people by these two fields only, each indexed
  // (`events_member_idx`, `events_join_request_idx`). `+id` drops the column's affinity, which
  // would otherwise be applied to the indexed expression and keep its index out of the plan.
  const theirEvents = `select id from events where community_id = ?2
    and (payload ->> '$.memberId' = ?1
      or payload ->> '$.joinRequestId' in (select +id ${ofSignUps}))`
  // A Telegram member's account in the chat they joined.
  const telegramAccount = `select telegram_chat_id, telegram_user_id from members
    where id = ?1 and community_id = ?2 and telegram_user_id is not null`
  // Each statement binds the parameters it numbers, as D1 wants: ?1 member, ?2 community, ?3 sign-up.
  const params = [member.id, member.communityId, member.joinRequestId]
  const bind = (sql: string) => {
    const highest = Math.max(...[...sql.matchAll(/\?(\d)/g)].map((m) => Number(m[1])))
    return client.prepare(sql).bind(...params.slice(0, highest))
  }
  await client.batch([
    bind(`delete from webhook_deliveries where event_id in (${theirEvents})`),
    bind(`delete from events where id in (${theirEvents})`),
    // After the events went: the `member.left` this writes tells partners the membership ended.
    ...(member.status === 'active' ? endMembershipStatements(client, member, 'removed', now) : []),
    bind(`delete from inbound_messages where member_id = ?1 and community_id = ?2`),
    // Their deliveries stay as a status, without Meta's message id (which holds the number) or
    // what Meta said of it; found run by run of the community's announcements, by key.
    bind(`update deliveries set provider_message_id = null, error_code = null, error_title = null
      where member_id = ?1 and dispatch_id in (select d.id from dispatches d
        join announcements a on a.id = d.announcement_id where a.community_id = ?2)`),
    ...forgetTelegramContacts(client, { sql: 'select ?1', params: [member.id] }),
    bind(`update telegram_memberships set first_name = '', username = null
      where (chat_id, user_id) in (${telegramAccount})`),
    bind(`delete from telegram_join_requests where community_id = ?2
      and (chat_id, user_id) in (${telegramAccount})`),
    bind(`delete from rewards where member_id = ?1 and community_id = ?2`),
    bind(`delete from group_members where member_id = ?1`),
    bind(`delete from decision_notices where join_request_id in (${signUps})`),
    // A rejection's entry keeps that it was made, by the sign-up's id; the reason the person
    // was told is theirs and goes (found by the community's rejections, by their index).
    bind(`update audit_log set detail = null where community_id = ?2
      and action = 'join_request.rejected' and detail is not null and target_id in (${signUps})`),
    bind(`delete from join_requests where id in (${signUps})`),
    bind(`delete from members where id = ?1 and community_id = ?2`),
  ])
}
