/**
 * A group's seats: its members, and the people let into its Telegram chat whose join Telegram
 * has not reported yet. An approval lets the person in at once and claims their seat
 * (`claimSeat`); their member row follows with the join's report, seconds later. Every write
 * that adds a member checks room with the same count, so nobody takes a seat held meanwhile.
 */

/** How far back an approval still holds a seat while its join has not come. */
const APPROVED_JOIN_WINDOW_MS = 10 * 60_000

/**
 * Telegram dates a join to the second, before our clock's moment of the approval it may follow:
 * a member row of that person joined this much before the approval, or after, is its join (they
 * may have left again since, freeing the seat).
 */
const JOIN_DATE_SLACK_MS = 60_000

/** A person, as SQL expressions for their Telegram chat and user: the one whose join it is. */
interface Joiner {
  chat: string
  user: string
}

/**
 * SQL: how many people were approved into the Telegram chat of group `g` (a table alias; for an
 * announcement group, into any chat of its community: everyone is in it) within the window
 * before `now` (an SQL expression, milliseconds), and whose join has not come (no membership of
 * theirs is active, none began with that approval and ended since). `joiner`: a
 * person whose own approval is not counted (their join is the write that checks).
 */
export function approvedOnTheirWay(g: string, now: string, joiner?: Joiner): string {
  return `(select count(*) from telegram_join_requests r
    where r.community_id = ${g}.community_id and r.status = 'approved'
      and r.decided_at >= ${now} - ${APPROVED_JOIN_WINDOW_MS}
      and (${g}.kind = 'announcement' or r.chat_id = ${g}.telegram_chat_id)
      and not exists (select 1 from members m where m.telegram_chat_id = r.chat_id
        and m.telegram_user_id = r.user_id
        and (m.status = 'active' or m.joined_at >= r.decided_at - ${JOIN_DATE_SLACK_MS}))
      ${joiner ? `and not (r.chat_id = ${joiner.chat} and r.user_id = ${joiner.user})` : ''})`
}

/** SQL: the seats group `g` (a table alias) has taken, its members and `approvedOnTheirWay`. */
export function seatsTaken(g: string, now: string, joiner?: Joiner): string {
  return `(${g}.member_count + ${approvedOnTheirWay(g, now, joiner)})`
}

/** SQL true where the group of id `id` (an SQL expression) has a seat for one more person. */
export function roomIn(id: string, now: string, joiner?: Joiner): string {
  return `(select ${seatsTaken('seat_g', now, joiner)} < seat_g.member_limit
    from groups seat_g where seat_g.id = ${id})`
}
