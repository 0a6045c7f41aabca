import { asc, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteDailyStats } from '../db/schema'
import { utcDay } from '../lib/time'
import {
  breakdownsOf,
  breakdownsQuery,
  funnelMeasures,
  rollupFor,
  statsWhere,
  type Rollup,
  type BreakdownRow,
  type StatsFilters,
  type StatsRange,
  type StatsScope,
} from './stats-breakdowns'
import {
  joinedAnswer,
  linkJoinsQuery,
  scopeOnTelegramQuery,
  sumVerified,
  verifiedCohortMeasures,
  verifiedRetentionAnswer,
  type LinkJoins,
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

/**
 * The queries behind a stats answer. They read the daily rollups through the (invite, day)
 * primary key or the (community, day) index, never the raw visits, so their cost follows the
 * number of days and dimension values, not the number of visits; the figures by day read the
 * totals per invite and day where the filters allow (`rollupFor`). Exported for the test that
 * checks their query plans.
 */
export function statsQueries(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters = {},
  today = range.to,
) {
  return {
    breakdowns: breakdownsQuery(db, scope, range, filters, today),
    byDay: byDayQuery(db, scope, range, filters),
    // What Telegram saw, per link, reads the daily rollup: its cohort columns are in no
    // narrower one.
    links: linkJoinsQuery(db, statsWhere(scope, range, filters), today),
  }
}

/** The figures of each day of the period that has any, from the narrowest rollup that answers. */
function byDayQuery(
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
 * `verifiedLeaves`), and `joined` the joins each link's own platform counted
 * (`joinedAnswer`); without it the answer is what it always was.
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
  // Where the link or community leads now, for a period without figures: no rollup, one row.
  const onTelegram = scopeOnTelegramQuery(db, scope)
  const [byDay, breakdownRows, links, scopeRows] = await db.batch([
    q.byDay,
    q.breakdowns,
    options.telegram ? q.links : q.links.limit(0),
    options.telegram ? onTelegram : onTelegram.limit(0),
  ])
  const { source, campaign, country, device, referrer, via } = breakdownsOf(breakdownRows)
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
    ...(options.telegram
      ? {
          joined: joinedAnswer(links, totals.uniqueVisitors, scopeRows[0]?.onTelegram === 1),
          verifiedRetention: verifiedRetentionAnswer(sumVerified(links)),
        }
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
    byDay: byDayQuery(db, scope, range, filters, inviteIds),
    // What Telegram saw and our form sent on, per link, from the daily rollup (its cohort
    // columns are in no narrower one): the funnel's "joined" is counted link by link.
    links: linkJoinsQuery(db, statsWhere(scope, range, filters, inviteIds), today),
    verifiedByDay: db
      .select({ day: inviteDailyStats.day, ...verifiedCohortMeasures })
      .from(inviteDailyStats)
      .where(statsWhere(scope, range, filters, inviteIds))
      .groupBy(inviteDailyStats.day),
    byInvite: db
      .select({ inviteId: rollup.inviteId, ...funnelMeasures(today, rollup) })
      .from(from)
      .where(narrow)
      .groupBy(rollup.inviteId),
    byInviteAndDay: db
      .select({
        inviteId: rollup.inviteId,
        day: rollup.day,
        visits: summed.visits,
        joins: summed.joins,
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
  const cohorts = new Map(verifiedByDay.map((row) => [row.day, row]))
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
      verifiedLeftWithin7Days: cohorts.get(row.day)?.verifiedLeftWithin7Days ?? 0,
      verifiedLeftWithin30Days: cohorts.get(row.day)?.verifiedLeftWithin30Days ?? 0,
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
    // Nothing where Telegram is not configured (its query then reads no row).
    verified: sumVerified(linkJoins),
    linkJoins: linkJoins as LinkJoins[],
    days,
    links: new Map(
      byInvite.map(({ inviteId, ...figures }) => [inviteId, figures as FunnelFigures]),
    ),
    trends,
    joinTrends,
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
