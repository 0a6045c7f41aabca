// The demo's Telegram join requests, as the community's admins decided them. Its links make join
// requests (the community is closed), so every member a verified join made came in through a
// request an admin approved, moments before Telegram reported the join: each of those is here,
// approved, with the audit log entry an approval on the dashboard writes (by the owner, the one
// person signed in to a fresh `npm run dev`). Besides them, what an admin finds to do: three
// requests waiting, and one declined a few days ago.
//
// Each approved request has its own generator, keyed by the account, so the rest of the history
// stays as it was.

import { AUDIT_COLUMNS, DAY_MS, decisionAuditEntry, id, random } from './demo-sql.mjs'

const HOUR_MS = 3_600_000

/** What people write in their Telegram bio, if anything (most write nothing). */
const BIOS = [
  null,
  null,
  null,
  'Kayak since school, mostly on the Dahme.',
  'Canoe on weekends, SUP when it is calm.',
  'Just moved to Köpenick, looking for people to paddle with.',
  'Packraft and bikepacking.',
]
/** Telegram's `language_code` (the app's language), which it does not always send. */
const LANGUAGES = ['de', 'de', 'de', 'en', 'en', null]

const REQUEST_COLUMNS = [
  'id',
  'community_id',
  'chat_id',
  'user_id',
  'invite_id',
  'first_name',
  'last_name',
  'username',
  'language_code',
  'bio',
  'requested_at',
  'status',
  'outcome',
  'decided_at',
]

/**
 * The approved request behind a member: asked through the link the member came through, decided
 * within the day (ten minutes to twenty hours later), and a few seconds before the join Telegram
 * reported, since approving is what lets the person in.
 */
function approvedRequest(communityId, chatId, member) {
  const rand = random(`telegram-request|${member.user}`)
  const decidedAt = member.joinedAt - Math.floor((2 + rand() * 20) * 1000)
  const requestedAt = decidedAt - Math.floor((1 / 6 + rand() * 20) * HOUR_MS)
  const requestId = id('tjr', requestedAt, rand)
  const row = [
    requestId,
    communityId,
    chatId,
    member.user,
    member.inviteId,
    member.firstName,
    null,
    `paddler${member.user}`,
    LANGUAGES[Math.floor(rand() * LANGUAGES.length)],
    BIOS[Math.floor(rand() * BIOS.length)],
    requestedAt,
    'approved',
    null,
    decidedAt,
  ]
  return {
    row,
    audit: decisionAuditEntry(communityId, { requestId, decidedAt, status: 'approved' }, rand),
  }
}

/**
 * The statements of the Telegram community's join requests and the audit log entries of their
 * decisions. `members`: the members its verified joins made (`user`, `firstName`, `inviteId`,
 * `joinedAt`); `links`: its campaign links' ids; `inserts`: the history's insert writer.
 */
export function telegramRequestStatements({
  communityId,
  chatId,
  links,
  members,
  todayStart,
  inserts,
}) {
  const approved = members.map((member) => approvedRequest(communityId, chatId, member))
  const asked = todayStart - DAY_MS + 15 * HOUR_MS
  const request = (n, user, link, person, requestedAt) => [
    `tjr_00000000000000000000000t0${n}`,
    communityId,
    chatId,
    user,
    links[link],
    ...person,
    requestedAt,
  ]
  // Numbered in the order they came, as ids made on arrival are: the list shows them so.
  const waiting = [
    request(
      2,
      7_099_999_990,
      0,
      ['Marta', 'K.', 'marta_paddelt', 'de', 'Kayak since last summer, looking for evening tours.'],
      asked,
    ),
    request(
      3,
      7_099_999_980,
      1,
      ['Sam', null, 'samonthewater', 'en', 'New in Berlin, own a packraft.'],
      asked + 3 * HOUR_MS,
    ),
    request(
      1,
      7_099_999_970,
      0,
      ['Jonas', 'W.', null, 'de', 'Open canoe, room for two more on Sundays.'],
      asked - DAY_MS + 4 * HOUR_MS,
    ),
  ].map((row) => [...row, 'pending', null, null])
  // Declined by the owner: an ad account asking in through the Instagram bio's link.
  const declinedAsk = todayStart - 5 * DAY_MS + 9 * HOUR_MS
  const declined = {
    requestId: 'tjr_00000000000000000000000t04',
    decidedAt: declinedAsk + 4 * HOUR_MS,
    status: 'declined',
  }
  const declinedRow = [
    ...request(
      4,
      7_099_999_960,
      1,
      ['Kayak Deals', null, 'kayakdeals_berlin', 'en', 'Cheap boats, DM for prices!'],
      declinedAsk,
    ),
    'declined',
    null,
    declined.decidedAt,
  ]
  return [
    ...inserts('telegram_join_requests', REQUEST_COLUMNS, [
      ...approved.map((request) => request.row),
      ...waiting,
      declinedRow,
    ]),
    ...inserts('audit_log', AUDIT_COLUMNS, [
      ...approved.map((request) => request.audit),
      decisionAuditEntry(communityId, declined, random('telegram-request|declined')),
    ]),
  ]
}
