// The demo's Telegram community: a closed community whose discussion group is a Telegram chat
// the bot administers, with sixty days of what Telegram itself reported (each verified join with
// the invite link it came through, each leave, joins by other routes), the members those joins
// made (as the Worker makes them, src/platforms/telegram/members.ts: their Telegram account is
// their contact and their join its proof), and the join requests behind them, approved, with a
// few waiting for an admin (scripts/demo-telegram-requests.mjs). Under `npm run dev` the local
// Telegram stand-in plays the Bot API for that chat (scripts/telegram-stand-in.mjs).
//
// Deterministic like the rest of the demo (a seeded generator keyed by the day and the link), and
// loaded once: every statement after the community's own inserts only while the community's
// reward rule, inserted last, is missing.

import { DAY_MS, id, insertsUnlessLoaded, random, utcDay } from './demo-sql.mjs'
import { telegramRequestStatements } from './demo-telegram-requests.mjs'

const DAYS = 60
export const PADDLERS = 'cmt_0000000000000000000000000t'
export const PADDLERS_CHAT_ID = -1001000000001
const ANNOUNCEMENTS = 'grp_000000000000000000000000t0'
const CHAT_GROUP = 'grp_000000000000000000000000t1'
const MARKER = 'rwr_0000000000000000000000dem1'
const NOT_LOADED = `NOT EXISTS (SELECT 1 FROM reward_rules WHERE id = '${MARKER}')`
const inserts = insertsUnlessLoaded(NOT_LOADED)
const FIRST_NAMES = ['Jana', 'Tom', 'Aylin', 'Ben', 'Nele', 'Kemal', 'Paula', 'Finn', 'Ida', 'Leo']

/** The chat's invite links, one per campaign link, as the bot made them. */
const LINKS = [
  {
    id: 'inv_00000000000000000000000t01',
    code: 'spreepaddlers',
    label: 'Flyer at the boathouse',
    source: 'flyer',
    medium: 'print',
    qr: 0.9,
    weight: 1.0,
    url: 'https://t.me/+DemoSpreePaddlersFlyer',
  },
  {
    id: 'inv_00000000000000000000000t02',
    code: 'paddlersinsta',
    label: 'Instagram bio',
    source: 'instagram',
    medium: 'social',
    qr: 0.05,
    weight: 1.4,
    url: 'https://t.me/+DemoSpreePaddlersInsta',
  },
]

/**
 * The member a verified join through one of our links made, as the Worker writes it: named as in
 * Telegram, the Telegram account as the contact, the join (its `update_id`) as the proof of
 * consent, and, after a leave, `left` as of when Telegram saw it. Its own generator, keyed by the
 * account, so the rest of the history stays as it was.
 */
function telegramMember(user, firstName, inviteId, joinedAt, leftAt) {
  const rand = random(`telegram-member|${user}`)
  const proof = String(Math.floor(joinedAt / 1000) * 100 + Math.floor(rand() * 100))
  return {
    id: id('mem', joinedAt, rand),
    user,
    row: [
      firstName,
      1,
      leftAt === null ? 'active' : 'left',
      inviteId,
      0,
      joinedAt,
      leftAt,
      leftAt === null ? null : 'left_chat',
      joinedAt,
      'telegram_join',
      proof,
      PADDLERS_CHAT_ID,
      user,
      `paddler${user}`,
      joinedAt,
      'telegram_join',
      proof,
    ],
    active: leftAt === null,
    joinedAt,
    firstName,
    inviteId,
  }
}

/**
 * The members, those still in the chat in the announcement group and the chat's group, and the
 * counts the Worker keeps with them: each group's members, each link's uses.
 */
function membersStatements(members) {
  return [
    ...inserts(
      'members',
      [
        'id',
        'community_id',
        'name',
        'consent',
        'status',
        'invite_id',
        'referral_count',
        'joined_at',
        'ended_at',
        'leave_reason',
        'confirmed_at',
        'consent_method',
        'consent_proof',
        'telegram_chat_id',
        'telegram_user_id',
        'telegram_username',
        'telegram_confirmed_at',
        'telegram_consent_method',
        'telegram_consent_proof',
      ],
      members.map((member) => [member.id, PADDLERS, ...member.row]),
    ),
    ...inserts(
      'group_members',
      ['group_id', 'member_id', 'joined_at'],
      members
        .filter((member) => member.active)
        .flatMap((member) => [
          [ANNOUNCEMENTS, member.id, member.joinedAt],
          [CHAT_GROUP, member.id, member.joinedAt],
        ]),
    ),
    `UPDATE groups SET member_count = (SELECT count(*) FROM group_members WHERE group_id = groups.id)
WHERE community_id = '${PADDLERS}' AND ${NOT_LOADED};`,
    `UPDATE invites SET uses = (SELECT count(*) FROM members m WHERE m.invite_id = invites.id)
WHERE community_id = '${PADDLERS}' AND ${NOT_LOADED};`,
  ]
}

/**
 * A link's day as rollup rows, one per way in, as the Worker counts visits (each row's scans or
 * clicks only, under its `via`), so the funnel's scans and clicks are the way-in breakdown's.
 * Telegram says nothing of how a person came (the Worker keeps its counts under country `XX`);
 * here they sit on the row of the link's usual way in, which the stats do not filter them by.
 */
function rollupRows(r) {
  return ['qr', 'link'].flatMap((via) => {
    const visits = r[via]
    const verified =
      via === r.usualWay ? [r.verifiedJoins, r.verifiedLeaves, r.left7, r.left30] : [0, 0, 0, 0]
    if (visits === 0 && verified.every((n) => n === 0)) return []
    return [
      [
        r.inviteId,
        PADDLERS,
        r.day,
        'DE',
        via,
        'mobile',
        '',
        visits,
        Math.round(visits * 0.86),
        via === 'qr' ? visits : 0,
        via === 'link' ? visits : 0,
        ...verified,
      ],
    ]
  })
}

/** The SQL statements of the Telegram community, up to `now`. */
export function demoTelegramStatements(now = new Date()) {
  const todayStart = Date.parse(`${utcDay(now.getTime())}T00:00:00.000Z`)
  const since = todayStart - DAYS * DAY_MS
  const rollups = new Map()
  /** A link's figures of a day: its visits, and what Telegram reported through it. */
  const rollup = (link, day) => {
    const key = `${link.id}|${day}`
    if (!rollups.has(key))
      rollups.set(key, {
        inviteId: link.id,
        day,
        usualWay: link.qr >= 0.5 ? 'qr' : 'link',
        qr: 0,
        link: 0,
        verifiedJoins: 0,
        verifiedLeaves: 0,
        left7: 0,
        left30: 0,
      })
    return rollups.get(key)
  }
  const memberships = []
  const members = []
  const otherRoutes = []
  let nextUser = 7_100_000_000
  for (let back = DAYS - 1; back >= 0; back--) {
    const dayStart = todayStart - back * DAY_MS
    const day = utcDay(dayStart)
    const growth = 0.6 + (0.7 * (DAYS - back)) / DAYS
    for (const link of LINKS) {
      const rand = random(`${day}|${link.code}|telegram`)
      const visits = Math.round(link.weight * 14 * growth * (0.6 + 0.8 * rand()))
      const row = rollup(link, day)
      row.qr = Math.round(visits * link.qr)
      row.link = visits - row.qr
      for (let v = 0; v < visits; v++) {
        if (rand() > 0.18) continue
        // Telegram saw the person come in through this link: a verified join.
        const joinedAt = dayStart + Math.floor(rand() * Math.min(DAY_MS, now.getTime() - dayStart))
        if (joinedAt > now.getTime()) continue
        row.verifiedJoins += 1
        const user = (nextUser += 10)
        const leftAt =
          rand() < 0.22 ? joinedAt + Math.floor((3 + rand() * 30) * DAY_MS) : Number.NaN
        const left = leftAt < now.getTime()
        const firstName = FIRST_NAMES[Math.floor(rand() * FIRST_NAMES.length)]
        memberships.push([
          PADDLERS_CHAT_ID,
          user,
          `paddler${user}`,
          firstName,
          left ? 0 : 1,
          link.id,
          joinedAt,
          left ? leftAt : null,
          left ? leftAt : joinedAt,
        ])
        members.push(telegramMember(user, firstName, link.id, joinedAt, left ? leftAt : null))
        if (!left) continue
        // A leave counts on the day it happened, for the link the person came through, and on
        // the join's day (its cohort) if within 7 or 30 days of it, as the Worker counts it
        // (`cohortLeaveStatement`): verified retention reads the cohort.
        rollup(link, utcDay(leftAt)).verifiedLeaves += 1
        if (leftAt - joinedAt <= 7 * DAY_MS) row.left7 += 1
        if (leftAt - joinedAt <= 30 * DAY_MS) row.left30 += 1
      }
    }
    // People added by an admin or joining through the chat's own link: counted as "other".
    const other = random(`${day}|telegram-other`)
    const otherJoins = other() < 0.3 ? 1 : 0
    if (otherJoins) otherRoutes.push([PADDLERS_CHAT_ID, day, otherJoins, other() < 0.2 ? 1 : 0])
  }
  return [
    `INSERT OR IGNORE INTO communities (id, slug, name, description, photo_url, visibility, join_questions, max_groups, created_at, updated_at)
VALUES ('${PADDLERS}', 'spree-paddlers', 'Spree Paddlers',
  'Canoe and kayak tours on the Spree, organised in our Telegram group. New paddlers are asked to say hello first.',
  NULL, 'closed', '[]', 50, ${since}, ${since});`,
    ...inserts(
      'groups',
      [
        'id',
        'community_id',
        'kind',
        'name',
        'description',
        'topic',
        'icon_url',
        'member_limit',
        'chat_invite_url',
        'origin',
        'telegram_chat_id',
        'created_at',
        'updated_at',
      ],
      [
        [
          ANNOUNCEMENTS,
          PADDLERS,
          'announcement',
          'Announcements',
          'News from the Spree Paddlers. Only admins post here.',
          null,
          null,
          2000,
          null,
          'created',
          null,
          since,
          since,
        ],
        [
          CHAT_GROUP,
          PADDLERS,
          'discussion',
          'Paddle chat',
          'Our Telegram group: tours, boat sharing and the weather on the Spree.',
          'Tours',
          null,
          1024,
          null,
          'added',
          PADDLERS_CHAT_ID,
          since + 1,
          since + 1,
        ],
      ],
    ),
    ...inserts(
      'telegram_chats',
      [
        'chat_id',
        'type',
        'title',
        'username',
        'bot_status',
        'can_invite_users',
        'can_post_messages',
        'status_at',
        'created_at',
      ],
      [
        [
          PADDLERS_CHAT_ID,
          'supergroup',
          'Spree Paddlers',
          null,
          'administrator',
          1,
          1,
          since,
          since,
        ],
      ],
    ),
    ...inserts(
      'invites',
      [
        'id',
        'community_id',
        'group_id',
        'code',
        'label',
        'source',
        'medium',
        'campaign',
        'max_uses',
        'uses',
        'created_at',
        'updated_at',
      ],
      LINKS.map((link) => [
        link.id,
        PADDLERS,
        CHAT_GROUP,
        link.code,
        link.label,
        link.source,
        link.medium,
        'demo',
        null,
        0,
        since,
        since,
      ]),
    ),
    ...inserts(
      'invite_codes',
      ['code', 'invite_id', 'created_at', 'retired_at'],
      LINKS.map((link) => [link.code, link.id, since, null]),
    ),
    ...inserts(
      'telegram_invite_links',
      [
        'id',
        'invite_id',
        'chat_id',
        'url',
        'creates_join_request',
        'status',
        'attempts',
        'created_at',
      ],
      LINKS.map((link, i) => [
        `tgl_00000000000000000000000t0${i + 1}`,
        link.id,
        PADDLERS_CHAT_ID,
        link.url,
        1,
        'active',
        1,
        since,
      ]),
    ),
    ...inserts(
      'invite_daily_stats',
      [
        'invite_id',
        'community_id',
        'day',
        'country',
        'via',
        'device',
        'referrer_host',
        'visits',
        'unique_visitors',
        'qr_visits',
        'link_visits',
        'verified_joins',
        'verified_leaves',
        'verified_left_within_7_days',
        'verified_left_within_30_days',
      ],
      [...rollups.values()].flatMap(rollupRows),
    ),
    ...inserts(
      'telegram_memberships',
      [
        'chat_id',
        'user_id',
        'username',
        'first_name',
        'is_member',
        'invite_id',
        'joined_at',
        'left_at',
        'status_at',
      ],
      memberships,
    ),
    ...membersStatements(members),
    ...inserts(
      'telegram_chat_daily_stats',
      ['chat_id', 'day', 'verified_joins', 'verified_leaves'],
      otherRoutes,
    ),
    ...telegramRequestStatements({
      communityId: PADDLERS,
      chatId: PADDLERS_CHAT_ID,
      links: LINKS.map((link) => link.id),
      members,
      todayStart,
      inserts,
    }),
    // The marker, last: from now on every statement above leaves the demo as it is.
    `INSERT OR IGNORE INTO reward_rules (id, community_id, threshold, title, description, code, created_at)
VALUES ('${MARKER}', '${PADDLERS}', 3, 'A free guided tour', 'For three paddlers brought along.', NULL, ${since});`,
  ]
}
