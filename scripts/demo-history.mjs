// Sixty days of demo history for the demo communities, as SQL: visits by channel and country
// (QR scans and link clicks) in the daily rollups, sign-ups, double opt-in confirmations and
// joins, approvals, members who left again, referrals with a leaderboard and rewards, and past announcements with deliveries.
//
// Deterministic: every figure comes from a seeded generator keyed by the calendar day and the
// link, so the same day always gets the same history. Loaded once: every statement only inserts
// while the demo's history marker (a reward rule inserted last) is missing, so loading the demo
// again on a later day changes nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Cron } from 'croner'
import { canonicalCode, customCodeProblem } from '../src/lib/codes.ts'
import { runWranglerQuietly } from './wrangler.mjs'
import { demoTelegramStatements } from './demo-telegram.mjs'
import { CROCKFORD, DAY_MS, id, insertsUnlessLoaded, q, random, utcDay } from './demo-sql.mjs'

const DAYS = 60
const RUNNERS = 'cmt_0000000000000000000000000b'
const MAKERS = 'cmt_0000000000000000000000000k'
const RUNNERS_ANNOUNCEMENTS = 'grp_000000000000000000000000b0'
const MAKERS_ANNOUNCEMENTS = 'grp_000000000000000000000000k0'
const MARKER = 'rwr_0000000000000000000000dem0'
const NOT_LOADED = `NOT EXISTS (SELECT 1 FROM reward_rules WHERE id = '${MARKER}')`
const inserts = insertsUnlessLoaded(NOT_LOADED)

/**
 * The demo's codes are custom codes, as an admin would choose them: held to the rules the API
 * holds a wished-for code to (shape, reserved words) and stored in the form it stores them in.
 */
function customCode(code) {
  const problem = customCodeProblem(code)
  if (problem) throw new Error(`The demo code "${code}" is not a valid custom code: ${problem}`)
  return canonicalCode(code)
}

/** Campaign links per channel; the first of each community exists in seed.sql already. */
const LINKS = [
  {
    id: 'inv_0000000000000000000000000b',
    community: RUNNERS,
    code: 'sundayrunners',
    label: 'Poster at Tempelhofer Feld',
    source: 'poster',
    medium: 'print',
    qr: 0.88,
    weight: 1.0,
    rate: 0.07,
    group: 'grp_000000000000000000000000b1',
  },
  {
    id: 'inv_000000000000000000000000b2',
    community: RUNNERS,
    code: 'runnersinsta',
    label: 'Instagram bio',
    source: 'instagram',
    medium: 'social',
    qr: 0.06,
    weight: 1.5,
    rate: 0.045,
  },
  {
    id: 'inv_000000000000000000000000b3',
    community: RUNNERS,
    code: 'runnersweb',
    label: 'Website footer',
    source: 'website',
    medium: 'web',
    qr: 0.02,
    weight: 0.8,
    rate: 0.08,
  },
  {
    id: 'inv_000000000000000000000000b4',
    community: RUNNERS,
    code: 'laufladen',
    label: 'Partner: Laufladen Kreuzberg',
    source: 'partner',
    medium: 'print',
    qr: 0.7,
    weight: 0.45,
    rate: 0.11,
    group: 'grp_000000000000000000000000b2',
  },
  {
    id: 'inv_0000000000000000000000000k',
    community: MAKERS,
    code: 'handmademaker',
    label: 'Instagram bio',
    source: 'instagram',
    medium: 'social',
    qr: 0.08,
    weight: 0.7,
    rate: 0.06,
  },
  {
    id: 'inv_000000000000000000000000k2',
    community: MAKERS,
    code: 'repairflyer',
    label: 'Flyer at the repair café',
    source: 'flyer',
    medium: 'print',
    qr: 0.92,
    weight: 0.35,
    rate: 0.12,
    group: 'grp_000000000000000000000000k1',
  },
].map((link) => ({ ...link, code: customCode(link.code) }))
// How people come: QR codes are scanned by phones; links are tapped on phones more than clicked.
const QR_DEVICES = [
  ['mobile', 0.93],
  ['tablet', 0.07],
]
const LINK_DEVICES = [
  ['mobile', 0.68],
  ['desktop', 0.26],
  ['tablet', 0.06],
]
const BOT_ORIGIN = { via: 'link', device: 'bot', referrer: '' }
/** Where a tapped link was, by the link's source ('' for none: typed in, an app, a chat). */
const REFERRERS = {
  instagram: [
    ['l.instagram.com', 0.7],
    ['www.instagram.com', 0.2],
    ['', 0.1],
  ],
  website: [
    ['sunday-runners.example', 0.8],
    ['www.google.com', 0.1],
    ['', 0.1],
  ],
  partner: [
    ['laufladen.example', 0.5],
    ['', 0.5],
  ],
}

const COUNTRIES = [
  ['DE', 0.8],
  ['AT', 0.07],
  ['CH', 0.05],
  ['NL', 0.03],
  ['XX', 0.05],
]
const FIRST_NAMES = [
  'Lea',
  'Jonas',
  'Mia',
  'Paul',
  'Emma',
  'Ben',
  'Hanna',
  'Elias',
  'Lina',
  'Noah',
  'Sofia',
  'Finn',
  'Clara',
  'Luis',
  'Ida',
  'Emil',
  'Mila',
  'Anton',
  'Frieda',
  'Theo',
  'Aylin',
  'Deniz',
  'Marta',
  'Tomasz',
  'Yusuf',
  'Nora',
  'Karl',
  'Greta',
  'Oskar',
  'Leni',
]
const INITIALS = 'ABCDEFGHKLMNPRSTWZ'
const ANSWERS = [
  ['Furniture', 'Neukölln'],
  ['Bikes', 'Kreuzberg'],
  ['Sewing', 'Wedding'],
  ['Electronics', 'Friedrichshain'],
  ['Woodwork', 'Moabit'],
]
const LEAVE_ERRORS = ['Recipient phone number not on WhatsApp', 'Message undeliverable']

function pick(rand, weighted) {
  let r = rand()
  for (const [value, weight] of weighted) if ((r -= weight) < 0) return value
  return weighted.at(-1)[0]
}

/** The SQL for sixty days of history up to `now`. */
export function demoHistorySql(now = new Date()) {
  const todayStart = Date.parse(`${utcDay(now.getTime())}T00:00:00.000Z`)
  const rollups = new Map()
  const requests = []
  const members = []
  const groupMembers = []
  const referralLinks = []
  const rollup = (inviteId, community, day, country, origin) => {
    const key = `${inviteId}|${day}|${country}|${origin.via}|${origin.device}|${origin.referrer}`
    if (!rollups.has(key))
      rollups.set(key, {
        inviteId,
        community,
        day,
        country,
        ...origin,
        visits: 0,
        unique: 0,
        qr: 0,
        link: 0,
        bots: 0,
        requests: 0,
        confirmations: 0,
        byPhone: 0,
        joins: 0,
        leaves: 0,
        left7: 0,
        left30: 0,
      })
    return rollups.get(key)
  }
  const activeByCommunity = { [RUNNERS]: [], [MAKERS]: [] }

  for (let back = DAYS - 1; back >= 0; back--) {
    const dayStart = todayStart - back * DAY_MS
    const day = utcDay(dayStart)
    const weekday = new Date(dayStart).getUTCDay()
    const growth = 0.65 + (0.6 * (DAYS - back)) / DAYS
    // Referral links of members who joined earlier bring a few people each.
    const links = [...LINKS, ...referralLinks.filter((link) => link.since < dayStart)]
    for (const link of links) {
      const rand = random(`${day}|${link.code}`)
      const busy =
        link.community === RUNNERS
          ? [1.7, 0.8, 1.0, 0.9, 1.0, 1.1, 1.3][weekday]
          : [0.9, 0.8, 0.9, 1.0, 1.1, 1.2, 1.6][weekday]
      let visits = Math.round(link.weight * 22 * busy * growth * (0.6 + 0.8 * rand()))
      // Race day: the poster's QR code on the stage screen, eighteen days ago.
      if (back === 18 && link.code === 'sundayrunners') visits = 640
      // The last hours of today are still to come.
      if (back === 0)
        visits = Math.round(visits * Math.min(1, (now.getTime() - dayStart) / DAY_MS + 0.1))
      for (let v = 0; v < visits; v++) {
        const country = pick(rand, COUNTRIES)
        // Device and referrer from a generator of their own, so the rest of the history stays.
        const traits = random(`${day}|${link.code}|${v}|traits`)
        if (rand() < 0.04) {
          rollup(link.id, link.community, day, country, BOT_ORIGIN).bots += 1
          continue
        }
        const via = rand() < link.qr ? 'qr' : 'link'
        const origin = {
          via,
          device: pick(traits, via === 'qr' ? QR_DEVICES : LINK_DEVICES),
          // A scanned code has no referrer; a tapped link mostly the page it was on.
          referrer: via === 'qr' ? '' : pick(traits, REFERRERS[link.source] ?? [['', 1]]),
        }
        const row = rollup(link.id, link.community, day, country, origin)
        row.visits += 1
        row[via] += 1
        if (rand() > 0.86) continue // the same person again today
        row.unique += 1
        if (rand() >= link.rate * (back === 18 && link.code === 'sundayrunners' ? 0.5 : 1)) continue
        const at = dayStart + Math.floor(rand() * Math.min(DAY_MS, now.getTime() - dayStart))
        const closed = link.community === MAKERS
        const outcome = !closed
          ? 'approved'
          : now.getTime() - at < 2.5 * DAY_MS
            ? 'pending'
            : rand() < 0.85
              ? 'approved'
              : 'rejected'
        const name = `${FIRST_NAMES[Math.floor(rand() * FIRST_NAMES.length)]} ${INITIALS[Math.floor(rand() * INITIALS.length)]}.`
        const phone = `+49151${String(10_000_000 + Math.floor(rand() * 89_999_999))}`
        const requestId = id('jr', at, rand)
        // Double opt-in: the person confirms by sending the prefilled WhatsApp message a few
        // minutes later (its own generator, so the rest of the history stays as it was); about
        // one in ten others signs up too but never confirms, and their sign-up expires.
        const consent = random(`${requestId}|confirm`)
        const confirmedAt = Math.min(at + Math.floor(consent() * 40 * 60_000), now.getTime())
        if (consent() < 0.1) row.requests += 1
        const confirmRow = rollup(link.id, link.community, utcDay(confirmedAt), country, origin)
        confirmRow.confirmations += 1
        confirmRow.byPhone += 1
        const decidedAt =
          outcome === 'pending'
            ? null
            : closed
              ? Math.max(confirmedAt, at + Math.floor(rand() * 20 * 3_600_000))
              : confirmedAt
        const memberId = outcome === 'approved' ? id('mem', decidedAt, rand) : null
        const answers = closed ? ANSWERS[Math.floor(rand() * ANSWERS.length)] : []
        row.requests += 1
        requests.push([
          requestId,
          link.community,
          link.id,
          link.group ?? null,
          link.referrer ?? null,
          name,
          phone,
          JSON.stringify(answers),
          country,
          outcome,
          outcome === 'rejected' ? 'We are full for this season, sorry.' : null,
          `demo-${requestId}`,
          memberId,
          at,
          decidedAt,
          confirmedAt,
          origin,
        ])
        if (!memberId) continue
        // Joins count on the day of the decision, as the Worker counts them.
        const joinRow = rollup(link.id, link.community, utcDay(decidedAt), country, origin)
        joinRow.joins += 1
        let status = 'active'
        let endedAt = null
        if (rand() < 0.09) {
          const stayed = Math.floor(1 + rand() * 45) * DAY_MS * (0.5 + rand() / 2)
          if (decidedAt + stayed < now.getTime()) {
            status = rand() < 0.85 ? 'left' : 'removed'
            endedAt = Math.round(decidedAt + stayed)
            joinRow.leaves += 1
            if (stayed <= 7 * DAY_MS) joinRow.left7 += 1
            if (stayed <= 30 * DAY_MS) joinRow.left30 += 1
          }
        }
        members.push([
          memberId,
          link.community,
          name,
          phone,
          status,
          requestId,
          link.id,
          link.referrer ?? null,
          decidedAt,
          endedAt,
          confirmedAt,
        ])
        if (status === 'active') {
          const announcementGroup =
            link.community === RUNNERS ? RUNNERS_ANNOUNCEMENTS : MAKERS_ANNOUNCEMENTS
          groupMembers.push([announcementGroup, memberId, decidedAt])
          if (link.group) groupMembers.push([link.group, memberId, decidedAt])
          activeByCommunity[link.community].push(memberId)
        }
        // A few early joiners of the runners become keen referrers with links of their own.
        if (
          link.community === RUNNERS &&
          !link.referrer &&
          back > 30 &&
          referralLinks.length < 8 &&
          rand() < 0.12 &&
          status === 'active'
        ) {
          const n = referralLinks.length
          referralLinks.push({
            id: `inv_000000000000000000000000r${CROCKFORD[n + 1]}`,
            community: RUNNERS,
            code: customCode(
              `runwith${name
                .split(' ')[0]
                .toLowerCase()
                .replace(/[^a-z]/g, '')}${n + 2}`,
            ),
            label: null,
            source: 'referral',
            medium: null,
            qr: 0.2,
            weight: [0.12, 0.09, 0.07, 0.05, 0.045, 0.04, 0.035, 0.03][n],
            rate: 0.3,
            group: null,
            referrer: memberId,
            since: decidedAt,
          })
        }
      }
    }
  }

  const statements = [
    '-- Demo history, generated by scripts/demo-history.mjs.',
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
        'referrer_member_id',
        'max_uses',
        'uses',
        'created_at',
        'updated_at',
      ],
      [...LINKS.slice(1), ...referralLinks]
        .filter((link) => link.id !== 'inv_0000000000000000000000000k')
        .map((link) => [
          link.id,
          link.community,
          link.group ?? null,
          link.code,
          link.label,
          link.source,
          link.medium,
          link.referrer ? null : 'demo',
          link.referrer ?? null,
          null,
          0,
          link.since ?? todayStart - DAYS * DAY_MS,
          link.since ?? todayStart - DAYS * DAY_MS,
        ]),
    ),
    ...inserts(
      'invite_codes',
      ['code', 'invite_id', 'created_at', 'retired_at'],
      [...LINKS.slice(1), ...referralLinks]
        .filter((link) => link.id !== 'inv_0000000000000000000000000k')
        .map((link) => [link.code, link.id, link.since ?? todayStart - DAYS * DAY_MS, null]),
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
        'bot_visits',
        'join_requests',
        'confirmations',
        'confirmed_by_phone',
        'joins',
        'leaves',
        'left_within_7_days',
        'left_within_30_days',
      ],
      [...rollups.values()].map((r) => [
        r.inviteId,
        r.community,
        r.day,
        r.country,
        r.via,
        r.device,
        r.referrer,
        r.visits,
        r.unique,
        r.qr,
        r.link,
        r.bots,
        r.requests,
        r.confirmations,
        r.byPhone,
        r.joins,
        r.leaves,
        r.left7,
        r.left30,
      ]),
    ),
    ...inserts(
      'join_requests',
      [
        'id',
        'community_id',
        'invite_id',
        'group_id',
        'referrer_member_id',
        'name',
        'phone',
        'answers',
        'consent',
        'country',
        'status',
        'reason',
        'status_token_hash',
        'member_id',
        'created_at',
        'decided_at',
        'confirmed_at',
        'consent_method',
        'consent_proof',
        'phone_confirmed_at',
        'phone_consent_method',
        'phone_consent_proof',
        'via',
        'device',
        'referrer_host',
      ],
      requests.map(
        ([
          rid,
          cmt,
          inv,
          grp,
          ref,
          name,
          phone,
          answers,
          country,
          status,
          reason,
          hash,
          mem,
          at,
          decided,
          confirmed,
          origin,
        ]) => [
          rid,
          cmt,
          inv,
          grp,
          ref,
          name,
          phone,
          answers,
          1,
          country,
          status,
          reason,
          hash,
          mem,
          at,
          decided,
          confirmed,
          'whatsapp_message',
          `wamid.demo-${rid}`,
          // The WhatsApp message proved the phone number, the only contact the demo gives.
          confirmed,
          'whatsapp_message',
          `wamid.demo-${rid}`,
          origin.via,
          origin.device,
          origin.referrer,
        ],
      ),
    ),
    ...inserts(
      'members',
      [
        'id',
        'community_id',
        'name',
        'phone',
        'consent',
        'status',
        'join_request_id',
        'invite_id',
        'referred_by_member_id',
        'referral_count',
        'joined_at',
        'ended_at',
        'confirmed_at',
        'consent_method',
        'consent_proof',
        'phone_confirmed_at',
        'phone_consent_method',
        'phone_consent_proof',
      ],
      members.map(([mid, cmt, name, phone, status, rid, inv, ref, joined, ended, confirmed]) => [
        mid,
        cmt,
        name,
        phone,
        1,
        status,
        rid,
        inv,
        ref,
        0,
        joined,
        ended,
        confirmed,
        'whatsapp_message',
        `wamid.demo-${rid}`,
        confirmed,
        'whatsapp_message',
        `wamid.demo-${rid}`,
      ]),
    ),
    ...inserts('group_members', ['group_id', 'member_id', 'joined_at'], groupMembers),
    `UPDATE members SET referral_count = (SELECT count(*) FROM members r WHERE r.referred_by_member_id = members.id)
WHERE community_id = '${RUNNERS}' AND ${NOT_LOADED};`,
    `UPDATE invites SET uses = (SELECT count(*) FROM members m WHERE m.invite_id = invites.id)
WHERE community_id IN ('${RUNNERS}', '${MAKERS}') AND ${NOT_LOADED};`,
    `UPDATE groups SET member_count = (SELECT count(*) FROM group_members WHERE group_id = groups.id)
WHERE community_id IN ('${RUNNERS}', '${MAKERS}');`,
    ...announcementsSql(now, todayStart),
    ...inserts(
      'reward_rules',
      ['id', 'community_id', 'threshold', 'title', 'description', 'code', 'created_at'],
      [
        [
          'rwr_0000000000000000000000rvn3',
          RUNNERS,
          3,
          'Berlin Runners shirt',
          'For three friends brought along.',
          'SHIRT3',
          todayStart - DAYS * DAY_MS,
        ],
      ],
    ),
    `INSERT OR IGNORE INTO rewards (id, rule_id, member_id, community_id, triggered_by, earned_at)
SELECT 'rwd_' || substr(m.id, 5), 'rwr_0000000000000000000000rvn3', m.id, m.community_id, 'demo', m.joined_at + 20 * ${DAY_MS}
FROM members m WHERE m.community_id = '${RUNNERS}' AND m.referral_count >= 3 AND ${NOT_LOADED};`,
    // The marker, last: from now on every statement above leaves the demo as it is.
    `INSERT OR IGNORE INTO reward_rules (id, community_id, threshold, title, description, code, created_at)
VALUES ('${MARKER}', '${MAKERS}', 5, 'A free workshop place', 'For five makers brought along.', NULL, ${todayStart - DAYS * DAY_MS});`,
  ]
  // The Telegram community, with a guard of its own (see demo-telegram.mjs).
  return `${[...statements, ...demoTelegramStatements(now)].join('\n\n')}\n`
}

/** Past announcements with their deliveries, and the next ones on the schedule. */
function announcementsSql(now, todayStart) {
  const past = [
    [
      RUNNERS,
      52,
      'Welcome to Berlin Runners! Sunday long run: 9:00 at the Tempelhofer Feld entrance Columbiadamm.',
    ],
    [
      RUNNERS,
      38,
      'Track Tuesdays move to 18:30 from next week. Bring a light, it gets dark early.',
    ],
    [RUNNERS, 19, 'Race day tomorrow! Meet at 8:15 by the start banner. Good luck everyone.'],
    [RUNNERS, 6, 'Photos from race day are up. Thank you for 640 visits in one morning!'],
    [MAKERS, 44, 'Repair café this Saturday, 14:00, Weserstraße. Bring a broken toaster.'],
    [MAKERS, 12, 'New workshop: soldering basics, limited to 8 people. Reply to book a place.'],
  ]
  const rows = []
  const statements = []
  for (const [community, back, body] of past) {
    const rand = random(`announcement|${community}|${back}`)
    const at = todayStart - back * DAY_MS + 17 * 3_600_000
    const annId = id('ann', at - 3 * DAY_MS, rand)
    const dspId = id('dsp', at, rand)
    rows.push([annId, community, body, null, at, null, null, 'sent', at, at - 3 * DAY_MS, at])
    statements.push(
      `INSERT OR IGNORE INTO dispatches (id, announcement_id, scheduled_for, status, cursor, queued, sent, failed, skipped, created_at)
SELECT ${q(dspId)}, ${q(annId)}, ${at}, 'expanded', NULL, 0, 0, 0, 0, ${at} WHERE ${NOT_LOADED};`,
      `INSERT OR IGNORE INTO deliveries (dispatch_id, member_id, status, attempts, last_error, provider_message_id, updated_at)
SELECT ${q(dspId)}, m.id,
  CASE WHEN abs(unicode(substr(m.id, -1)) * 7 + unicode(substr(m.id, -2, 1))) % 29 = 0 THEN 'failed' ELSE 'sent' END,
  1, NULL, NULL, ${at + 60_000}
FROM members m WHERE m.community_id = ${q(community)} AND m.joined_at < ${at}
  AND (m.ended_at IS NULL OR m.ended_at > ${at}) AND ${NOT_LOADED};`,
      `UPDATE deliveries SET last_error = CASE WHEN unicode(substr(member_id, -3, 1)) % 2 = 0 THEN ${q(LEAVE_ERRORS[0])} ELSE ${q(LEAVE_ERRORS[1])} END
WHERE dispatch_id = ${q(dspId)} AND status = 'failed' AND last_error IS NULL;`,
      `UPDATE dispatches SET
  sent = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND status = 'sent'),
  failed = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND status = 'failed')
WHERE id = ${q(dspId)};`,
    )
  }
  const weekly = new Cron('0 18 * * 5', { timezone: 'Europe/Berlin' }).nextRun(now)
  const rand = random('announcement|upcoming')
  rows.push([
    id('ann', todayStart - 2 * DAY_MS, rand),
    RUNNERS,
    'Weekend plan: long run Sunday 9:00, easy pace, coffee afterwards.',
    null,
    weekly.getTime(),
    '0 18 * * 5',
    'Europe/Berlin',
    'scheduled',
    null,
    todayStart - 2 * DAY_MS,
    todayStart - 2 * DAY_MS,
  ])
  const soon = todayStart + 3 * DAY_MS + 16 * 3_600_000
  rows.push([
    id('ann', todayStart - DAY_MS, rand),
    MAKERS,
    'Tool library opens on Saturday: borrow drills, saws and sewing machines for free.',
    null,
    soon,
    null,
    null,
    'scheduled',
    null,
    todayStart - DAY_MS,
    todayStart - DAY_MS,
  ])
  return [
    ...inserts(
      'announcements',
      [
        'id',
        'community_id',
        'body',
        'audience_group_ids',
        'send_at',
        'repeat_cron',
        'repeat_timezone',
        'status',
        'claimed_at',
        'created_at',
        'updated_at',
      ],
      rows,
    ),
    ...statements,
  ]
}

/**
 * Loads the demo into the local database (`where`: wrangler's location flags): the communities,
 * groups and links of seed.sql, then sixty days of history up to today. Both go through one
 * `wrangler d1 execute`, which starts a local runtime for each file it runs.
 */
export function loadDemo(where = ['--local']) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'demo-history-'))
  try {
    const file = path.join(scratch, 'demo.sql')
    const seed = readFileSync(path.join(import.meta.dirname, 'seed.sql'), 'utf8')
    writeFileSync(file, `${seed}\n${demoHistorySql(new Date())}`)
    runWranglerQuietly(['d1', 'execute', 'DB', ...where, '--file', file])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
