import { asc, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteDailyStats } from '../db/schema'
import {
  breakdownsOf,
  breakdownsQuery,
  funnelMeasures,
  rollupFor,
  statsWhere,
  type FunnelFigures,
  type Rollup,
  type StatsFilters,
  type StatsRange,
  type StatsScope,
} from './stats-breakdowns'
import {
  isReferralLink,
  linkJoinsQuery,
  sumVerified,
  verifiedByDayQuery,
  type LinkJoins,
} from './stats-verified'

export type { FunnelFigures }

/**
 * The dashboard's stats: the funnel, the days and each link's figures, read in a page's batch
 * over the rollups. The stats API's answer is in `stats-api.ts`.
 */

/** The day's figures summed over rows of `rollup`. */
export function measuresOf(rollup: Rollup) {
  return {
    visits: sql<number>`coalesce(sum(${rollup.visits}), 0)`,
    uniqueVisitors: sql<number>`coalesce(sum(${rollup.uniqueVisitors}), 0)`,
    scans: sql<number>`coalesce(sum(${rollup.qrVisits}), 0)`,
    clicks: sql<number>`coalesce(sum(${rollup.linkVisits}), 0)`,
    botVisits: sql<number>`coalesce(sum(${rollup.botVisits}), 0)`,
    joinRequests: sql<number>`coalesce(sum(${rollup.joinRequests}), 0)`,
    confirmations: sql<number>`coalesce(sum(${rollup.confirmations}), 0)`,
    confirmedByPhone: sql<number>`coalesce(sum(${rollup.confirmedByPhone}), 0)`,
    confirmedByEmail: sql<number>`coalesce(sum(${rollup.confirmedByEmail}), 0)`,
    joins: sql<number>`coalesce(sum(${rollup.joins}), 0)`,
    verifiedJoins: sql<number>`coalesce(sum(${rollup.verifiedJoins}), 0)`,
    verifiedLeaves: sql<number>`coalesce(sum(${rollup.verifiedLeaves}), 0)`,
  }
}

/** The figures of each day of the period that has any, from the narrowest rollup that answers. */
export function byDayQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  inviteIds?: string[],
) {
  const rollup = rollupFor(filters)
  return (
    db
      .select({ day: rollup.day, ...measuresOf(rollup) })
      // drizzle's `from` takes one table type; both rollups have every column named here.
      .from(rollup as typeof inviteDailyStats)
      .where(statsWhere(scope, range, filters, inviteIds, rollup))
      .groupBy(rollup.day)
      .orderBy(asc(rollup.day))
  )
}

/** A link's funnel before anyone came: every figure 0, no join day yet. */
export const NO_FUNNEL: FunnelFigures = {
  visits: 0,
  uniqueVisitors: 0,
  scans: 0,
  clicks: 0,
  joinRequests: 0,
  confirmations: 0,
  confirmedByPhone: 0,
  confirmedByEmail: 0,
  joins: 0,
  leaves: 0,
  firstJoinDay: null,
  joinedAtLeast7DaysAgo: 0,
  stayed7Days: 0,
  joinedAtLeast30DaysAgo: 0,
  stayed30Days: 0,
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
  // The funnel, the days and the links need no visit dimension: the totals answer them unless
  // a filter names one.
  const rollup = rollupFor(filters)
  const narrow = statsWhere(scope, range, filters, inviteIds, rollup)
  const from = rollup as typeof inviteDailyStats // one table type for drizzle, as in `byDayQuery`
  const summed = measuresOf(rollup)
  return {
    breakdowns: breakdownsQuery(db, scope, range, filters, today, inviteIds),
    total: db.select(funnelMeasures(today, rollup)).from(from).where(narrow),
    // The stats API's days, and the leaves our records show, on the day of the join: of the
    // day's joins, who left since, and who left within 7 and 30 days (the CSV's columns).
    byDay: db
      .select({
        day: rollup.day,
        ...summed,
        leaves: sql<number>`coalesce(sum(${rollup.leaves}), 0)`,
        leftWithin7Days: sql<number>`coalesce(sum(${rollup.leftWithin7Days}), 0)`,
        leftWithin30Days: sql<number>`coalesce(sum(${rollup.leftWithin30Days}), 0)`,
      })
      .from(from)
      .where(narrow)
      .groupBy(rollup.day)
      .orderBy(asc(rollup.day)),
    // What Telegram saw and our form sent on, per link, from the daily rollup (its cohort
    // columns are in no narrower one): the funnel's "joined" is counted link by link. What
    // Telegram saw takes only the link's filters, here and per day.
    links: linkJoinsQuery(db, scope, range, filters, today, inviteIds),
    verifiedByDay: verifiedByDayQuery(db, scope, range, filters, inviteIds),
    byInvite: db
      .select({
        inviteId: rollup.inviteId,
        referral: isReferralLink(rollup.inviteId).as('referral'),
        ...funnelMeasures(today, rollup),
      })
      .from(from)
      .where(narrow)
      .groupBy(rollup.inviteId),
    byInviteAndDay: db
      .select({
        inviteId: rollup.inviteId,
        day: rollup.day,
        visits: summed.visits,
        joins: summed.joins,
        verifiedJoins: summed.verifiedJoins,
      })
      .from(from)
      .where(narrow)
      .groupBy(rollup.inviteId, rollup.day),
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
  /**
   * Leaves as our records show them (opt-outs, leave links, removals, erasures, and on Telegram
   * what it reported), counted on the day of the join: of the day's joins, who left since, and
   * who left within 7 / 30 days.
   */
  leaves: number
  leftWithin7Days: number
  leftWithin30Days: number
  /**
   * Telegram only: joins and leaves it saw, and of that day's joins, who left within 7 / 30
   * days; under the link's filters only (`verifiedByDayQuery`).
   */
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
 * Everything a dashboard stats view shows, as the queries of one batch over the rollups: the
 * funnel, the figures of every day of the period, and (for a community) each link's funnel and
 * daily trend. Its cost follows days × links × countries, never visits or members. A page puts
 * them in its own batch and reads their rows with `dashboardStatsOf`.
 */
export function dashboardStatsQueries(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  today: string,
  filters: StatsFilters = {},
  inviteIds?: string[],
  /** Whether Telegram is configured: only then is what it saw read. */
  telegram = false,
) {
  const q = funnelQueries(db, scope, range, today, filters, inviteIds)
  const perLink = 'communityId' in scope
  return [
    q.total,
    q.byDay,
    perLink ? q.byInvite : q.byInvite.limit(0),
    perLink ? q.byInviteAndDay : q.byInviteAndDay.limit(0),
    q.breakdowns,
    telegram ? q.links : q.links.limit(0),
    telegram ? q.verifiedByDay : q.verifiedByDay.limit(0),
  ] as const
}

/** The rows a batch of `queries` answers, one list per query. */
export type RowsOf<Queries extends readonly unknown[]> = {
  [K in keyof Queries]: Awaited<Queries[K]>
}

export type DashboardStatsRows = RowsOf<ReturnType<typeof dashboardStatsQueries>>

/** What `dashboardStatsQueries` read, as the stats view shows it, for the days of `range`. */
export function dashboardStatsOf(
  range: { days: string[] },
  [
    total,
    byDay,
    byInvite,
    byInviteAndDay,
    breakdownRows,
    linkJoins,
    verifiedByDay,
  ]: DashboardStatsRows,
) {
  const verified = new Map(verifiedByDay.map((row) => [row.day, row]))
  const zero = {
    visits: 0,
    scans: 0,
    clicks: 0,
    joinRequests: 0,
    confirmations: 0,
    confirmedByPhone: 0,
    confirmedByEmail: 0,
    joins: 0,
    leaves: 0,
    leftWithin7Days: 0,
    leftWithin30Days: 0,
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
      leaves: row.leaves,
      leftWithin7Days: row.leftWithin7Days,
      leftWithin30Days: row.leftWithin30Days,
      verifiedJoins: 0,
      verifiedLeaves: 0,
      verifiedLeftWithin7Days: 0,
      verifiedLeftWithin30Days: 0,
    })),
    zero,
  ).map((day) => {
    // What Telegram saw on the day, under the link's filters only (`verifiedByDayQuery`).
    const seen = verified.get(day.day)
    return seen ? { ...day, ...seen, day: day.day } : day
  })
  const index = new Map(range.days.map((day, i) => [day, i]))
  const trends = new Map<string, number[]>()
  const joinTrends = new Map<string, number[]>()
  const verifiedJoinTrends = new Map<string, number[]>()
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
    seriesOf(verifiedJoinTrends, row.inviteId)[i] = row.verifiedJoins
  }
  return {
    funnel: total[0] as FunnelFigures,
    // Nothing where Telegram is not configured (its query then reads no row).
    verified: sumVerified(linkJoins),
    linkJoins: linkJoins as LinkJoins[],
    days,
    links: new Map(
      byInvite.map(({ inviteId, referral: _, ...figures }) => [inviteId, figures as FunnelFigures]),
    ),
    /** Of the links with figures, members' own referral links (the rest are campaign links). */
    referralLinks: new Set(byInvite.filter((row) => row.referral).map((row) => row.inviteId)),
    trends,
    joinTrends,
    /**
     * Each link's verified joins per day, read as `joinTrends` (under every filter): the joins
     * chart adds them up only where no filter names a visit's dimension (`countedStats`).
     */
    verifiedJoinTrends,
    breakdowns: breakdownsOf(breakdownRows),
  }
}

/** `dashboardStatsQueries` in a batch of their own, and their rows as `dashboardStatsOf` reads them. */
export async function getDashboardStats(
  db: Database,
  scope: StatsScope,
  range: StatsRange & { days: string[] },
  today: string,
  filters: StatsFilters = {},
  inviteIds?: string[],
  telegram = false,
) {
  const rows = await db.batch(
    dashboardStatsQueries(db, scope, range, today, filters, inviteIds, telegram),
  )
  return dashboardStatsOf(range, rows)
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
