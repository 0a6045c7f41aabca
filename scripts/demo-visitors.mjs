// Sixty days of people coming through the demo's campaign links (scripts/demo-communities.mjs),
// day by day: their visits by channel, country, device and referrer, the sign-ups, double opt-in
// confirmations and decisions that followed, the members those made and the ones who left again,
// and the members who became referrers with links of their own. Only figures and rows here; the
// SQL is written by scripts/demo-history.mjs.
//
// Deterministic: every figure comes from a seeded generator keyed by the calendar day and the
// link, so the same day always gets the same history.
import { CROCKFORD, DAY_MS, id, random, utcDay } from './demo-sql.mjs'
import {
  DAYS,
  LINKS,
  MAKERS,
  MAKERS_ANNOUNCEMENTS,
  RUNNERS,
  RUNNERS_ANNOUNCEMENTS,
  customCode,
} from './demo-communities.mjs'

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

function pick(rand, weighted) {
  let r = rand()
  for (const [value, weight] of weighted) if ((r -= weight) < 0) return value
  return weighted.at(-1)[0]
}

/**
 * The history up to `now` (`todayStart`: the start of its UTC day): the daily rollups by link,
 * day, country and way in; the sign-ups (as rows in the order demo-history.mjs writes them), the
 * admins' decisions among them (`communityId`, `requestId`, `decidedAt`, `status`), the members
 * they made, their groups, and the referral links members were given.
 */
export function visitorHistory(now, todayStart) {
  const rollups = new Map()
  const requests = []
  const members = []
  const groupMembers = []
  const referralLinks = []
  const decisions = []
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
        // An admin decided the closed community's requests, on the dashboard; the open one's are
        // approved as they are confirmed, by no one.
        if (closed && decidedAt !== null)
          decisions.push({ communityId: link.community, requestId, decidedAt, status: outcome })
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
  return { rollups, requests, decisions, members, groupMembers, referralLinks }
}
