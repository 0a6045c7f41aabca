import { and, between, eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteDailyStats, invites } from '../db/schema'
import { addDays } from '../lib/time'

/**
 * The dimensions the stats break down and filter by. Source and campaign are the link's; the
 * others are the visit's or the sign-up's own, kept on every rollup row, so each breakdown counts
 * the whole funnel and any filters combine.
 */
export const BREAKDOWNS = ['source', 'campaign', 'country', 'device', 'referrer', 'via'] as const

export type Breakdown = (typeof BREAKDOWNS)[number]

/** The value that stands for "none": a link without a source or campaign, a visit without referrer. */
export const NONE = '(none)'

/** Filters on the stats: at most one value per dimension, all of them must hold. */
export type StatsFilters = Partial<Record<Breakdown, string>>

/** Which rollup rows a stats answer covers: one invite's, or a whole community's. */
export type StatsScope = { inviteId: string } | { communityId: string }

export interface StatsRange {
  from: string
  to: string
}

/**
 * At most this many values per breakdown: the busiest ones, so an answer stays small. Countries
 * are bounded by the ISO list anyway: all of them are kept.
 */
const BREAKDOWN_ROWS = 100
const COUNTRY_ROWS = 250

const d = inviteDailyStats

/** Rows whose link has this source (or campaign); `NONE` matches links without one. */
function linkColumnIs(column: typeof invites.source | typeof invites.campaign, value: string) {
  const condition = value === NONE ? sql`coalesce(${column}, '') = ''` : eq(column, value)
  return sql`exists (select 1 from ${invites} where ${invites.id} = ${d.inviteId} and ${condition})`
}

/** The WHERE of every stats query: the scope, the period, and each filter. */
export function statsWhere(
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters = {},
  inviteIds?: string[],
): SQL {
  const conditions: (SQL | undefined)[] = [
    'inviteId' in scope ? eq(d.inviteId, scope.inviteId) : eq(d.communityId, scope.communityId),
    between(d.day, range.from, range.to),
    inviteIds ? inArray(d.inviteId, inviteIds) : undefined,
    filters.source !== undefined ? linkColumnIs(invites.source, filters.source) : undefined,
    filters.campaign !== undefined ? linkColumnIs(invites.campaign, filters.campaign) : undefined,
    filters.country !== undefined ? eq(d.country, filters.country) : undefined,
    filters.device !== undefined ? eq(d.device, filters.device) : undefined,
    filters.referrer !== undefined
      ? eq(d.referrerHost, filters.referrer === NONE ? '' : filters.referrer)
      : undefined,
    filters.via !== undefined ? eq(d.via, filters.via) : undefined,
  ]
  return and(...conditions)!
}

/**
 * The whole funnel summed over rollup rows: visits to joins, and past the join, of the people
 * who joined in the period, how many have left since, and how many were still members 7 and 30
 * days after joining. Retention counts only the days of the period at least 7 (30) days before
 * `today`: for later joins it is not known yet.
 */
export function funnelMeasures(today: string) {
  const cutoff7 = addDays(today, -7)
  const cutoff30 = addDays(today, -30)
  return {
    visits: sql<number>`coalesce(sum(${d.visits}), 0)`.as('f_visits'),
    uniqueVisitors: sql<number>`coalesce(sum(${d.uniqueVisitors}), 0)`.as('f_unique_visitors'),
    scans: sql<number>`coalesce(sum(${d.qrVisits}), 0)`.as('f_scans'),
    clicks: sql<number>`coalesce(sum(${d.linkVisits}), 0)`.as('f_clicks'),
    botVisits: sql<number>`coalesce(sum(${d.botVisits}), 0)`.as('f_bot_visits'),
    joinRequests: sql<number>`coalesce(sum(${d.joinRequests}), 0)`.as('f_join_requests'),
    confirmations: sql<number>`coalesce(sum(${d.confirmations}), 0)`.as('f_confirmations'),
    confirmedByPhone: sql<number>`coalesce(sum(${d.confirmedByPhone}), 0)`.as('f_by_phone'),
    confirmedByEmail: sql<number>`coalesce(sum(${d.confirmedByEmail}), 0)`.as('f_by_email'),
    joins: sql<number>`coalesce(sum(${d.joins}), 0)`.as('f_joins'),
    leaves: sql<number>`coalesce(sum(${d.leaves}), 0)`.as('f_leaves'),
    // When retention becomes measurable: 7 (30) days after this.
    firstJoinDay: sql<string | null>`min(case when ${d.joins} > 0 then ${d.day} end)`.as(
      'f_first_join_day',
    ),
    joinedAtLeast7DaysAgo:
      sql<number>`coalesce(sum(case when ${d.day} <= ${cutoff7} then ${d.joins} end), 0)`.as(
        'f_joined_7',
      ),
    stayed7Days:
      sql<number>`coalesce(sum(case when ${d.day} <= ${cutoff7} then ${d.joins} - ${d.leftWithin7Days} end), 0)`.as(
        'f_stayed_7',
      ),
    joinedAtLeast30DaysAgo:
      sql<number>`coalesce(sum(case when ${d.day} <= ${cutoff30} then ${d.joins} end), 0)`.as(
        'f_joined_30',
      ),
    stayed30Days:
      sql<number>`coalesce(sum(case when ${d.day} <= ${cutoff30} then ${d.joins} - ${d.leftWithin30Days} end), 0)`.as(
        'f_stayed_30',
      ),
  }
}

/**
 * One query per breakdown, each reading the same rollup rows as the funnel (so under the same
 * filters) and grouping them by the dimension's value, busiest first.
 */
export function breakdownQueries(db: Database, where: SQL, today: string) {
  const measures = funnelMeasures(today)
  const busiestFirst = sql`f_visits desc, f_join_requests desc, value`
  const byLink = (column: typeof invites.source | typeof invites.campaign) =>
    db
      .select({
        value: sql<string>`coalesce(nullif(${column}, ''), ${NONE})`.as('value'),
        ...measures,
      })
      .from(d)
      .innerJoin(invites, eq(invites.id, d.inviteId))
      .where(where)
      .groupBy(sql`value`)
      .orderBy(busiestFirst)
      .limit(BREAKDOWN_ROWS)
  const byRow = (value: SQL.Aliased<string>, limit = BREAKDOWN_ROWS) =>
    db
      .select({ value, ...measures })
      .from(d)
      .where(where)
      .groupBy(sql`value`)
      .orderBy(busiestFirst)
      .limit(limit)
  return {
    source: byLink(invites.source),
    campaign: byLink(invites.campaign),
    country: byRow(sql<string>`${d.country}`.as('value'), COUNTRY_ROWS),
    device: byRow(sql<string>`${d.device}`.as('value')),
    referrer: byRow(sql<string>`coalesce(nullif(${d.referrerHost}, ''), ${NONE})`.as('value')),
    via: byRow(sql<string>`${d.via}`.as('value')),
  } satisfies Record<Breakdown, unknown>
}

export type BreakdownRow = Awaited<ReturnType<typeof breakdownQueries>['country']>[number]
