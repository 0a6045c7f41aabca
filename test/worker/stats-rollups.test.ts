import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { members } from '../../src/db/schema'
import { endMembership } from '../../src/services/leaving'
import { getStats } from '../../src/services/stats-api'
import { BREAKDOWNS, type StatsFilters } from '../../src/services/stats-breakdowns'
import { splitPeriod } from '../../src/services/stats-periods'
import {
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'

/**
 * The narrower rollups the stats read (per invite and day, and per month) are the daily rollup
 * summed, kept so by triggers whichever path writes it. These tests write it every way the
 * product does and check the sums, and check that breakdowns read partly from months answer
 * exactly what the daily rows alone answer.
 */

const COUNTERS = [
  'visits',
  'unique_visitors',
  'qr_visits',
  'link_visits',
  'bot_visits',
  'join_requests',
  'confirmations',
  'confirmed_by_phone',
  'confirmed_by_email',
  'joins',
  'leaves',
  'left_within_7_days',
  'left_within_30_days',
  'verified_joins',
  'verified_leaves',
]
const DIMENSIONS = 'country, via, device, referrer_host'
const sums = COUNTERS.map((c) => `sum(${c}) as ${c}`).join(', ')
const columns = COUNTERS.join(', ')

/** The narrower rollups of one community, and what the daily rollup says they should hold. */
async function rollupsOf(communityId: string) {
  const order = (keys: string) => `order by invite_id, ${keys}`
  return {
    totals: await query(
      `select invite_id, day, ${columns} from invite_daily_totals where community_id = ? ${order('day')}`,
      communityId,
    ),
    totalsExpected: await query(
      `select invite_id, day, ${sums} from invite_daily_stats where community_id = ?
       group by invite_id, day ${order('day')}`,
      communityId,
    ),
    monthly: await query(
      `select invite_id, month, ${DIMENSIONS}, ${columns}, first_join_day from invite_monthly_stats
       where community_id = ? ${order(`month, ${DIMENSIONS}`)}`,
      communityId,
    ),
    monthlyExpected: await query(
      `select invite_id, substr(day, 1, 7) as month, ${DIMENSIONS}, ${sums},
         min(case when joins > 0 then day end) as first_join_day
       from invite_daily_stats where community_id = ?
       group by invite_id, month, ${DIMENSIONS} ${order(`month, ${DIMENSIONS}`)}`,
      communityId,
    ),
  }
}

let address = 0

/**
 * One daily rollup row written straight to D1, as a migration, the seed or any other writer
 * would; later writes to the same row add to it as the product's upserts do.
 */
async function addRollup(
  inviteId: string,
  communityId: string,
  row: {
    day: string
    country?: string
    via?: string
    device?: string
    referrer?: string
    visits?: number
    joinRequests?: number
    joins?: number
    left7?: number
    left30?: number
  },
) {
  const values = [
    row.visits ?? 0,
    row.joinRequests ?? 0,
    row.joins ?? 0,
    row.left30 ?? 0,
    row.left7 ?? 0,
    row.left30 ?? 0,
  ]
  await env.DB.prepare(
    `insert into invite_daily_stats (invite_id, community_id, day, country, via, device, referrer_host,
       visits, unique_visitors, join_requests, joins, leaves, left_within_7_days, left_within_30_days)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict do update set visits = visits + excluded.visits,
       unique_visitors = unique_visitors + excluded.unique_visitors,
       join_requests = join_requests + excluded.join_requests, joins = joins + excluded.joins,
       leaves = leaves + excluded.leaves, left_within_7_days = left_within_7_days + excluded.left_within_7_days,
       left_within_30_days = left_within_30_days + excluded.left_within_30_days`,
  )
    .bind(
      inviteId,
      communityId,
      row.day,
      row.country ?? 'DE',
      row.via ?? 'qr',
      row.device ?? 'mobile',
      row.referrer ?? '',
      values[0],
      values[0],
      ...values.slice(1),
    )
    .run()
}

describe('the rollups the stats read', () => {
  it('hold the daily rollup summed per invite and day and per month, however it is written', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { source: 'flyer' })
    // Through the product: visits from the landing page, a join, and a member who leaves.
    for (const agent of ['iPhone', 'Windows NT 10.0']) {
      const page = await visit(`/i/${invite.code}?via=qr`, {
        'user-agent': `Mozilla/5.0 (${agent})`,
        'cf-connecting-ip': `198.51.100.${++address}`,
      })
      expect(page.status).toBe(200)
    }
    const joined = await joinJson(invite.code, { name: 'Ana', consent: true, phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    const db = createDb(env.DB)
    const [member] = await db.select().from(members).where(eq(members.communityId, community.id))
    await endMembership(db, member!, 'left', new Date())
    await eventually(async () => {
      const [row] = await query<{ visits: number; joins: number; leaves: number }>(
        'select sum(visits) as visits, sum(joins) as joins, sum(leaves) as leaves from invite_daily_totals where invite_id = ?',
        invite.id,
      )
      expect(row).toEqual({ visits: 2, joins: 1, leaves: 1 })
    })
    // Straight to D1, across months and into rows that exist already.
    await addRollup(invite.id, community.id, { day: '2026-01-31', visits: 5, joins: 2 })
    await addRollup(invite.id, community.id, { day: '2026-01-31', visits: 1, joins: 1, left7: 1 })
    await addRollup(invite.id, community.id, { day: '2026-02-01', country: 'AT', joins: 3 })
    await addRollup(invite.id, community.id, { day: '2026-01-05', device: 'desktop', visits: 4 })

    const rollups = await rollupsOf(community.id)
    expect(rollups.totals.length).toBeGreaterThan(2)
    expect(rollups.totals).toEqual(rollups.totalsExpected)
    expect(rollups.monthly).toEqual(rollups.monthlyExpected)
    expect(
      rollups.monthly.find((row) => row.month === '2026-01' && row.device === 'mobile'),
    ).toMatchObject({
      visits: 6,
      joins: 3,
      left_within_7_days: 1,
      first_join_day: '2026-01-31',
    })
  })

  it('splits a period into the months the monthly rollup answers whole and the days left over', () => {
    // A cut-off (today - 7 = 11-26, today - 30 = 11-03) inside November: its days are read.
    expect(splitPeriod('2026-01-15', '2026-12-31', '2026-12-03')).toEqual({
      months: [
        '2026-02',
        '2026-03',
        '2026-04',
        '2026-05',
        '2026-06',
        '2026-07',
        '2026-08',
        '2026-09',
        '2026-10',
        '2026-12',
      ],
      days: [
        ['2026-01-15', '2026-01-31'],
        ['2026-11-01', '2026-11-30'],
      ],
    })
    // Cut-offs in two months (06-24 and 07-18) next to a partial last month: one run of days.
    expect(splitPeriod('2026-03-01', '2026-07-20', '2026-07-25')).toEqual({
      months: ['2026-03', '2026-04', '2026-05'],
      days: [['2026-06-01', '2026-07-20']],
    })
    expect(splitPeriod('2026-02-03', '2026-02-27', '2026-12-03')).toEqual({
      months: [],
      days: [['2026-02-03', '2026-02-27']],
    })
    expect(splitPeriod('2025-12-01', '2026-01-31', '2026-06-01')).toEqual({
      months: ['2025-12', '2026-01'],
      days: [],
    })
  })

  it('answers the same breakdowns from months and days as from the days alone', async () => {
    const community = await createCommunity()
    const links = [
      await createInvite(community.id, { source: 'instagram', campaign: 'spring' }),
      await createInvite(community.id, { source: 'flyer' }),
    ]
    const countries = ['DE', 'AT', 'CH']
    const devices = ['mobile', 'desktop', 'tablet']
    const referrers = ['', 'www.instagram.com', 't.co']
    // Five months of days, every link, with joins, and leaves within 7 and 30 days.
    for (let i = 0; i < 150; i++) {
      const day = new Date(Date.UTC(2026, 0, 10) + i * 86400_000).toISOString().slice(0, 10)
      await addRollup(links[i % 2]!.id, community.id, {
        day,
        country: countries[i % 3],
        device: devices[(i >> 1) % 3],
        referrer: referrers[(i >> 2) % 3],
        via: i % 5 === 0 ? 'link' : 'qr',
        visits: 10 + (i % 7),
        joinRequests: 3 + (i % 4),
        joins: i % 4,
        left7: i % 4 === 3 ? 1 : 0,
        left30: i % 4 >= 2 ? 1 : 0,
      })
    }
    const db = createDb(env.DB)
    const periods: Array<{ from: string; to: string; today: string; filters?: StatsFilters }> = [
      { from: '2026-01-01', to: '2026-12-31', today: '2026-12-03' },
      { from: '2026-01-15', to: '2026-05-20', today: '2026-04-10' },
      { from: '2026-02-01', to: '2026-05-31', today: '2026-03-05', filters: { source: 'flyer' } },
      { from: '2026-01-01', to: '2026-06-30', today: '2026-06-30', filters: { device: 'mobile' } },
    ]
    for (const { from, to, today, filters = {} } of periods) {
      const stats = await getStats(
        db,
        { communityId: community.id },
        { from, to, filters },
        { today },
      )
      for (const dimension of BREAKDOWNS) {
        const expected = await fromDaysAlone(community.id, dimension, from, to, today, filters)
        const answered = stats.breakdowns[dimension].map(({ conversionRate: _, ...row }) => row)
        expect(answered.length, dimension).toBeGreaterThan(0)
        expect(answered, `${dimension} ${from}..${to}, today ${today}`).toEqual(expected)
      }
    }
  })
})

/** A breakdown as the stats computed it before the monthly rollup: every daily row grouped. */
async function fromDaysAlone(
  communityId: string,
  dimension: (typeof BREAKDOWNS)[number],
  from: string,
  to: string,
  today: string,
  filters: StatsFilters,
) {
  const value = {
    source: `coalesce(nullif(i.source, ''), '(none)')`,
    campaign: `coalesce(nullif(i.campaign, ''), '(none)')`,
    country: 'd.country',
    device: 'd.device',
    referrer: `coalesce(nullif(d.referrer_host, ''), '(none)')`,
    via: 'd.via',
  }[dimension]
  const cutoff = (days: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) - days * 86400_000).toISOString().slice(0, 10)
  const filter = [
    filters.source ? `and i.source = '${filters.source}'` : '',
    filters.device ? `and d.device = '${filters.device}'` : '',
  ].join(' ')
  return query(
    `select ${value} as value, sum(d.visits) as visits, sum(d.unique_visitors) as uniqueVisitors,
       sum(d.qr_visits) as scans, sum(d.link_visits) as clicks, sum(d.bot_visits) as botVisits,
       sum(d.join_requests) as joinRequests, sum(d.confirmations) as confirmations,
       sum(d.confirmed_by_phone) as confirmedByPhone, sum(d.confirmed_by_email) as confirmedByEmail,
       sum(d.joins) as joins, sum(d.leaves) as leaves,
       min(case when d.joins > 0 then d.day end) as firstJoinDay,
       coalesce(sum(case when d.day <= ?1 then d.joins end), 0) as joinedAtLeast7DaysAgo,
       coalesce(sum(case when d.day <= ?1 then d.joins - d.left_within_7_days end), 0) as stayed7Days,
       coalesce(sum(case when d.day <= ?2 then d.joins end), 0) as joinedAtLeast30DaysAgo,
       coalesce(sum(case when d.day <= ?2 then d.joins - d.left_within_30_days end), 0) as stayed30Days
     from invite_daily_stats d join invites i on i.id = d.invite_id
     where d.community_id = ?3 and d.day between ?4 and ?5 ${filter}
     group by value order by visits desc, joinRequests desc, value`,
    cutoff(7),
    cutoff(30),
    communityId,
    from,
    to,
  )
}
