import { and, asc, between, eq, gte, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { ID_CHUNK, chunks } from '../lib/chunks'
import { announcements, inviteDailyStats } from '../db/schema'
import { csvLine } from '../lib/csv'
import { utcDay } from '../lib/time'
import {
  breakdownQueries,
  funnelMeasures,
  statsWhere,
  type BreakdownRow,
  type StatsFilters,
  type StatsRange,
  type StatsScope,
} from './stats-breakdowns'
import {
  verifiedCohortMeasures,
  verifiedQuery,
  verifiedRetentionAnswer,
  type VerifiedFigures,
} from './stats-verified'

export interface Figures {
  visits: number
  uniqueVisitors: number
  scans: number
  clicks: number
  botVisits: number
  joinRequests: number
  confirmations: number
  confirmedByPhone: number
  confirmedByEmail: number
  joins: number
  /** Joins and leaves Telegram reported for links on Telegram groups (see `getStats`). */
  verifiedJoins: number
  verifiedLeaves: number
  conversionRate: number
}

const measures = {
  visits: sql<number>`coalesce(sum(${inviteDailyStats.visits}), 0)`,
  uniqueVisitors: sql<number>`coalesce(sum(${inviteDailyStats.uniqueVisitors}), 0)`,
  scans: sql<number>`coalesce(sum(${inviteDailyStats.qrVisits}), 0)`,
  clicks: sql<number>`coalesce(sum(${inviteDailyStats.linkVisits}), 0)`,
  botVisits: sql<number>`coalesce(sum(${inviteDailyStats.botVisits}), 0)`,
  joinRequests: sql<number>`coalesce(sum(${inviteDailyStats.joinRequests}), 0)`,
  confirmations: sql<number>`coalesce(sum(${inviteDailyStats.confirmations}), 0)`,
  confirmedByPhone: sql<number>`coalesce(sum(${inviteDailyStats.confirmedByPhone}), 0)`,
  confirmedByEmail: sql<number>`coalesce(sum(${inviteDailyStats.confirmedByEmail}), 0)`,
  joins: sql<number>`coalesce(sum(${inviteDailyStats.joins}), 0)`,
  verifiedJoins: sql<number>`coalesce(sum(${inviteDailyStats.verifiedJoins}), 0)`,
  verifiedLeaves: sql<number>`coalesce(sum(${inviteDailyStats.verifiedLeaves}), 0)`,
}

/**
 * The queries behind a stats answer. They read the daily rollups through the (invite, day)
 * primary key or the (community, day) index, never the raw visits, so their cost follows the
 * number of days and dimension values, not the number of visits. Exported for the test that
 * checks their query plans.
 */
export function statsQueries(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters = {},
  today = range.to,
) {
  const where = statsWhere(scope, range, filters)
  return {
    ...breakdownQueries(db, where, today),
    byDay: db
      .select({ day: inviteDailyStats.day, ...measures })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.day)
      .orderBy(asc(inviteDailyStats.day)),
    verified: verifiedQuery(db, where, today),
  }
}

/** Conversion: joins per unique visitor (people, bots excluded), 0 when nobody came. */
function withConversion<T extends { joins: number; uniqueVisitors: number }>(
  row: T,
): T & { conversionRate: number } {
  const conversionRate = rateOf(row.joins, row.uniqueVisitors)
  return { ...row, conversionRate }
}

/** A breakdown row as the answer's older `bySource` and `byCountry` lists give it. */
function figuresOf(row: BreakdownRow): Omit<Figures, 'verifiedJoins' | 'verifiedLeaves'> {
  return withConversion({
    visits: row.visits,
    uniqueVisitors: row.uniqueVisitors,
    scans: row.scans,
    clicks: row.clicks,
    botVisits: row.botVisits,
    joinRequests: row.joinRequests,
    confirmations: row.confirmations,
    confirmedByPhone: row.confirmedByPhone,
    confirmedByEmail: row.confirmedByEmail,
    joins: row.joins,
  })
}

/** A breakdown's rows with their conversion (joins per unique visitor). */
function breakdownAnswer(rows: BreakdownRow[]) {
  return rows.map((row) => ({ ...row, conversionRate: rateOf(row.joins, row.uniqueVisitors) }))
}

function rateOf(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10000) / 10000 : 0
}

/**
 * The stats API's answer: the figures of the period under the query's filters. `telegram`:
 * Telegram is configured, and the totals and days carry what Telegram saw (`verifiedJoins`,
 * `verifiedLeaves`); without it the answer is what it always was.
 */
export async function getStats(
  db: Database,
  scope: StatsScope,
  query: StatsRange & { filters?: StatsFilters },
  options: { telegram?: boolean; today?: string } = {},
) {
  const today = options.today ?? utcDay(new Date())
  const range = { from: query.from, to: query.to }
  const filters = query.filters ?? {}
  const q = statsQueries(db, scope, range, filters, today)
  const [byDay, source, campaign, country, device, referrer, via, verified] = await db.batch([
    q.byDay,
    q.source,
    q.campaign,
    q.country,
    q.device,
    q.referrer,
    q.via,
    options.telegram ? q.verified : q.verified.limit(0),
  ])
  const totals = byDay.reduce(
    (sum, row) => ({
      visits: sum.visits + row.visits,
      uniqueVisitors: sum.uniqueVisitors + row.uniqueVisitors,
      scans: sum.scans + row.scans,
      clicks: sum.clicks + row.clicks,
      botVisits: sum.botVisits + row.botVisits,
      joinRequests: sum.joinRequests + row.joinRequests,
      confirmations: sum.confirmations + row.confirmations,
      confirmedByPhone: sum.confirmedByPhone + row.confirmedByPhone,
      confirmedByEmail: sum.confirmedByEmail + row.confirmedByEmail,
      joins: sum.joins + row.joins,
      verifiedJoins: sum.verifiedJoins + row.verifiedJoins,
      verifiedLeaves: sum.verifiedLeaves + row.verifiedLeaves,
    }),
    {
      visits: 0,
      uniqueVisitors: 0,
      scans: 0,
      clicks: 0,
      botVisits: 0,
      joinRequests: 0,
      confirmations: 0,
      confirmedByPhone: 0,
      confirmedByEmail: 0,
      joins: 0,
      verifiedJoins: 0,
      verifiedLeaves: 0,
    },
  )
  const shown = <T extends Figures>(row: T) => {
    if (options.telegram) return row
    const { verifiedJoins: _joins, verifiedLeaves: _leaves, ...rest } = row
    return rest
  }
  return {
    ...range,
    filters,
    totals: shown(withConversion(totals)),
    byDay: byDay.map((row) => shown(withConversion(row))),
    ...(options.telegram && verified[0]
      ? { verifiedRetention: verifiedRetentionAnswer(verified[0] as VerifiedFigures) }
      : {}),
    // The same rows as the breakdowns, in the shape these lists had before them.
    byCountry: country.map((row) => ({ country: row.value, ...figuresOf(row) })),
    bySource: source.map((row) => ({ source: row.value, ...figuresOf(row) })),
    breakdowns: {
      source: breakdownAnswer(source),
      campaign: breakdownAnswer(campaign),
      country: breakdownAnswer(country),
      device: breakdownAnswer(device),
      referrer: breakdownAnswer(referrer),
      via: breakdownAnswer(via),
    },
  }
}

/** A funnel as the rollups sum it up; see `funnelMeasures`. */
export interface FunnelFigures {
  visits: number
  uniqueVisitors: number
  scans: number
  clicks: number
  joinRequests: number
  /** Sign-ups confirmed by their owner (double opt-in); single opt-in ones count at sign-up. */
  confirmations: number
  /** Of those, first proven by the phone number (WhatsApp) or by the e-mail address. */
  confirmedByPhone: number
  confirmedByEmail: number
  joins: number
  leaves: number
  /** The first day of the period with a join, null without any. */
  firstJoinDay: string | null
  /** Joins at least 7 days before today, and how many of them stayed 7 days. */
  joinedAtLeast7DaysAgo: number
  stayed7Days: number
  joinedAtLeast30DaysAgo: number
  stayed30Days: number
}

/** The queries behind the dashboard's funnels and trends; exported for the query-plan test. */
export function funnelQueries(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  today: string,
  filters: StatsFilters = {},
  inviteIds?: string[],
) {
  const where = statsWhere(scope, range, filters, inviteIds)
  return {
    ...breakdownQueries(db, where, today),
    total: db.select(funnelMeasures(today)).from(inviteDailyStats).where(where),
    verified: verifiedQuery(db, where, today),
    byDay: db
      .select({ day: inviteDailyStats.day, ...measures, ...verifiedCohortMeasures })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.day)
      .orderBy(asc(inviteDailyStats.day)),
    byInvite: db
      .select({ inviteId: inviteDailyStats.inviteId, ...funnelMeasures(today) })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.inviteId),
    byInviteAndDay: db
      .select({
        inviteId: inviteDailyStats.inviteId,
        day: inviteDailyStats.day,
        visits: measures.visits,
        joins: measures.joins,
      })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.inviteId, inviteDailyStats.day),
  }
}

export interface DayFigures {
  day: string
  visits: number
  scans: number
  clicks: number
  joinRequests: number
  confirmations: number
  confirmedByPhone: number
  confirmedByEmail: number
  joins: number
  /** Telegram only: joins and leaves it saw, and of that day's joins, who left within 7 / 30 days. */
  verifiedJoins: number
  verifiedLeaves: number
  verifiedLeftWithin7Days: number
  verifiedLeftWithin30Days: number
}

/** Every day of `days` with its figures, zero where nothing happened. */
export function fillDays<T extends { day: string }>(
  days: string[],
  rows: T[],
  zero: Omit<T, 'day'>,
): T[] {
  const byDay = new Map(rows.map((row) => [row.day, row]))
  return days.map((day) => byDay.get(day) ?? ({ ...zero, day } as T))
}

/**
 * Everything a dashboard stats view shows, in one batch over the rollups: the funnel, the
 * figures of every day of the period, and (for a community) each link's funnel and daily trend.
 * Its cost follows days × links × countries, never visits or members.
 */
export async function getDashboardStats(
  db: Database,
  scope: StatsScope,
  range: StatsRange & { days: string[] },
  today: string,
  filters: StatsFilters = {},
  inviteIds?: string[],
) {
  const q = funnelQueries(db, scope, range, today, filters, inviteIds)
  const perLink = 'communityId' in scope
  const [
    total,
    byDay,
    byInvite,
    byInviteAndDay,
    source,
    campaign,
    country,
    device,
    referrer,
    via,
    verified,
  ] = await db.batch([
    q.total,
    q.byDay,
    perLink ? q.byInvite : q.byInvite.limit(0),
    perLink ? q.byInviteAndDay : q.byInviteAndDay.limit(0),
    q.source,
    q.campaign,
    q.country,
    q.device,
    q.referrer,
    q.via,
    q.verified,
  ])
  const zero = {
    visits: 0,
    scans: 0,
    clicks: 0,
    joinRequests: 0,
    confirmations: 0,
    confirmedByPhone: 0,
    confirmedByEmail: 0,
    joins: 0,
    verifiedJoins: 0,
    verifiedLeaves: 0,
    verifiedLeftWithin7Days: 0,
    verifiedLeftWithin30Days: 0,
  }
  const days = fillDays<DayFigures>(
    range.days,
    byDay.map((row) => ({
      day: row.day,
      visits: row.visits,
      scans: row.scans,
      clicks: row.clicks,
      joinRequests: row.joinRequests,
      confirmations: row.confirmations,
      confirmedByPhone: row.confirmedByPhone,
      confirmedByEmail: row.confirmedByEmail,
      joins: row.joins,
      verifiedJoins: row.verifiedJoins,
      verifiedLeaves: row.verifiedLeaves,
      verifiedLeftWithin7Days: row.verifiedLeftWithin7Days,
      verifiedLeftWithin30Days: row.verifiedLeftWithin30Days,
    })),
    zero,
  )
  const index = new Map(range.days.map((day, i) => [day, i]))
  const trends = new Map<string, number[]>()
  const joinTrends = new Map<string, number[]>()
  const seriesOf = (map: Map<string, number[]>, inviteId: string) => {
    let series = map.get(inviteId)
    if (!series) map.set(inviteId, (series = range.days.map(() => 0)))
    return series
  }
  for (const row of byInviteAndDay) {
    const i = index.get(row.day)
    if (i === undefined) continue
    seriesOf(trends, row.inviteId)[i] = row.visits
    seriesOf(joinTrends, row.inviteId)[i] = row.joins
  }
  return {
    funnel: total[0] as FunnelFigures,
    verified: verified[0] as VerifiedFigures,
    days,
    links: new Map(
      byInvite.map(({ inviteId, ...figures }) => [inviteId, figures as FunnelFigures]),
    ),
    trends,
    joinTrends,
    breakdowns: { source, campaign, country, device, referrer, via },
  }
}

/**
 * The figures of every day as CSV rows, for a spreadsheet. With Telegram on, what Telegram saw
 * follows in columns named as such: joins and leaves it reported, and of that day's joins, how
 * many left the chat within 7 and 30 days (verified retention, by the day of the join).
 */
export function statsCsv(days: DayFigures[], telegram = false): string {
  const header = [
    'day',
    'visits',
    'qr_scans',
    'link_clicks',
    'join_requests',
    'confirmed',
    'joins',
    'confirmed_by_phone',
    'confirmed_by_email',
    ...(telegram
      ? [
          'joined_seen_by_telegram',
          'left_seen_by_telegram',
          'of_those_joined_left_within_7_days_seen_by_telegram',
          'of_those_joined_left_within_30_days_seen_by_telegram',
        ]
      : []),
  ]
  return [
    csvLine(header),
    ...days.map((d) =>
      csvLine([
        d.day,
        d.visits,
        d.scans,
        d.clicks,
        d.joinRequests,
        d.confirmations,
        d.joins,
        d.confirmedByPhone,
        d.confirmedByEmail,
        ...(telegram
          ? [
              d.verifiedJoins,
              d.verifiedLeaves,
              d.verifiedLeftWithin7Days,
              d.verifiedLeftWithin30Days,
            ]
          : []),
      ]),
    ),
  ].join('\r\n')
}

/** Joins per unique visitor, as the API's `conversionRate`; 0 when nobody came. */
export function conversionOf(f: Pick<FunnelFigures, 'joins' | 'uniqueVisitors'>): number {
  return f.uniqueVisitors > 0 ? f.joins / f.uniqueVisitors : 0
}

/** Of the joins old enough to tell, the share still members after 7 or 30 days; null if none. */
export function retentionOf(f: FunnelFigures, days: 7 | 30): number | null {
  const base = days === 7 ? f.joinedAtLeast7DaysAgo : f.joinedAtLeast30DaysAgo
  return base > 0 ? (days === 7 ? f.stayed7Days : f.stayed30Days) / base : null
}

/**
 * The dashboard home's figures across communities: each one's joins over a period (from the
 * rollups) and its next scheduled announcement.
 */
export async function homeFigures(
  db: Database,
  communityIds: string[],
  range: StatsRange,
  now: Date,
) {
  const joins = new Map<string, number>()
  const next = new Map<string, { body: string; sendAt: Date }>()
  for (const ids of chunks(communityIds, ID_CHUNK)) {
    const [joinRows, nextRows] = await db.batch([
      db
        .select({ communityId: inviteDailyStats.communityId, joins: measures.joins })
        .from(inviteDailyStats)
        .where(
          and(
            inArray(inviteDailyStats.communityId, ids),
            between(inviteDailyStats.day, range.from, range.to),
          ),
        )
        .groupBy(inviteDailyStats.communityId),
      db
        .select({
          communityId: announcements.communityId,
          body: announcements.body,
          sendAt: sql<number>`min(${announcements.sendAt})`.as('next_send_at'),
        })
        .from(announcements)
        .where(
          and(
            inArray(announcements.communityId, ids),
            eq(announcements.status, 'scheduled'),
            gte(announcements.sendAt, now),
          ),
        )
        .groupBy(announcements.communityId),
    ])
    for (const row of joinRows) joins.set(row.communityId, row.joins)
    for (const row of nextRows)
      next.set(row.communityId, { body: row.body, sendAt: new Date(row.sendAt) })
  }
  return { joins, next }
}
