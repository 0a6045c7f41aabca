import { and, between, eq, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { inviteDailyStats, inviteDailyTotals, inviteMonthlyStats, invites } from '../db/schema'
import { addDays } from '../lib/time'
import { cohortMeasures, splitPeriod } from './stats-periods'

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

/** A daily rollup the stats read: the full one, or its totals per invite and day. */
export type Rollup = typeof inviteDailyStats | typeof inviteDailyTotals

/** A rollup with the visit's dimensions: the daily one or the monthly one. */
type Dimensioned = typeof inviteDailyStats | typeof inviteMonthlyStats

/**
 * The narrowest rollup that answers under these filters: the totals per invite and day unless a
 * filter names a visit's own dimension (only the full rollup keeps those). The link's source and
 * campaign are the link's, so the totals answer them too.
 */
export function rollupFor(filters: StatsFilters): Rollup {
  return rowFiltered(filters) ? inviteDailyStats : inviteDailyTotals
}

/**
 * The dimensions that are a visit's own (or its sign-up's), not the link's. Telegram reports a
 * join with its link only, stored under country `XX` with these unknown, so its figures cannot be
 * broken down by them: they take only the link's filters (`linkFiltersOf`).
 */
export const VISIT_DIMENSIONS = ['country', 'device', 'referrer', 'via'] as const

export type VisitDimension = (typeof VISIT_DIMENSIONS)[number]

/** The filters that name a visit's own dimension, in the order of `VISIT_DIMENSIONS`. */
export function visitFiltersOf(filters: StatsFilters): VisitDimension[] {
  return VISIT_DIMENSIONS.filter((dimension) => filters[dimension] !== undefined)
}

/** Only the filters on the link itself: its source and campaign. */
export function linkFiltersOf(filters: StatsFilters): StatsFilters {
  const { source, campaign } = filters
  return {
    ...(source !== undefined ? { source } : {}),
    ...(campaign !== undefined ? { campaign } : {}),
  }
}

function rowFiltered(filters: StatsFilters): boolean {
  return visitFiltersOf(filters).length > 0
}

/**
 * The filters on a visit's own dimensions as one condition on rows of a rollup that keeps them,
 * undefined without any: a measure can count only the rows that meet it (`sum(case when …)`)
 * where the query's WHERE takes only the link's filters.
 */
export function visitCondition(
  filters: StatsFilters,
  r: Dimensioned = inviteDailyStats,
): SQL | undefined {
  const conditions = [
    filters.country !== undefined ? eq(r.country, filters.country) : undefined,
    filters.device !== undefined ? eq(r.device, filters.device) : undefined,
    filters.referrer !== undefined
      ? eq(r.referrerHost, filters.referrer === NONE ? '' : filters.referrer)
      : undefined,
    filters.via !== undefined ? eq(r.via, filters.via) : undefined,
  ].filter((condition) => condition !== undefined)
  return conditions.length > 0 ? and(...conditions) : undefined
}

/** Rows whose link has this source (or campaign); `NONE` matches links without one. */
function linkColumnIs(
  inviteId: SQLiteColumn,
  column: typeof invites.source | typeof invites.campaign,
  value: string,
) {
  const condition = value === NONE ? sql`coalesce(${column}, '') = ''` : eq(column, value)
  return sql`exists (select 1 from ${invites} where ${invites.id} = ${inviteId} and ${condition})`
}

/** The scope, the links and the filters over any of the rollups, with the period given. */
function scopedWhere(
  r: Rollup | typeof inviteMonthlyStats,
  scope: StatsScope,
  period: SQL | undefined,
  filters: StatsFilters,
  inviteIds?: string[],
): SQL {
  if (!('country' in r) && rowFiltered(filters))
    throw new Error('the totals per day cannot take a filter on a visit dimension')
  const conditions: (SQL | undefined)[] = [
    'inviteId' in scope ? eq(r.inviteId, scope.inviteId) : eq(r.communityId, scope.communityId),
    period,
    inviteIds ? inArray(r.inviteId, inviteIds) : undefined,
    filters.source !== undefined
      ? linkColumnIs(r.inviteId, invites.source, filters.source)
      : undefined,
    filters.campaign !== undefined
      ? linkColumnIs(r.inviteId, invites.campaign, filters.campaign)
      : undefined,
    rowFiltered(filters) ? visitCondition(filters, r as Dimensioned) : undefined,
  ]
  return and(...conditions)!
}

/**
 * The WHERE of the stats queries over a daily rollup: the scope, the period, and each filter.
 * The totals (see `rollupFor`) take no filter on a visit's dimension.
 */
export function statsWhere(
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters = {},
  inviteIds?: string[],
  rollup: Rollup = d,
): SQL {
  return scopedWhere(rollup, scope, between(rollup.day, range.from, range.to), filters, inviteIds)
}

/**
 * The whole funnel summed over rollup rows: visits to joins, and past the join, of the people
 * who joined in the period, how many have left since, and how many were still members 7 and 30
 * days after joining. Retention counts only the days of the period at least 7 (30) days before
 * `today`: for later joins it is not known yet.
 */
export function funnelMeasures(today: string, d: Rollup = inviteDailyStats) {
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
    // When retention becomes measurable: 7 (30) days after its first join day.
    ...cohortMeasures(today, d.day, d, 'f'),
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

/** A breakdown's row: one value of the dimension with the funnel of the rollup rows that have it. */
export interface BreakdownRow extends FunnelFigures {
  value: string
  botVisits: number
}

/** The rollups' counters each breakdown sums: the answer's name and the rollup's column. */
const SUMMED = {
  visits: 'visits',
  uniqueVisitors: 'uniqueVisitors',
  scans: 'qrVisits',
  clicks: 'linkVisits',
  botVisits: 'botVisits',
  joinRequests: 'joinRequests',
  confirmations: 'confirmations',
  confirmedByPhone: 'confirmedByPhone',
  confirmedByEmail: 'confirmedByEmail',
  joins: 'joins',
  leaves: 'leaves',
} as const

const RETENTION = [
  'joinedAtLeast7DaysAgo',
  'stayed7Days',
  'joinedAtLeast30DaysAgo',
  'stayed30Days',
] as const

/**
 * Every breakdown in one statement. A breakdown is one grouping of the rollup rows, and each
 * row's figures only add up, so the rows are first summed per combination of link and
 * dimensions (`combos`: one row per combination that occurred, whatever the number of days),
 * then each dimension folds those few sums. The rows come from the monthly rollup for the
 * months the period covers whole (`splitPeriod`) and from the daily one for the other days: a
 * year is twelve monthly rows per combination plus a month or two of daily ones, not 365 daily
 * ones. Six queries each grouping every daily row cost 190 ms for a community's year in
 * `npm run bench -- stats`. Answers `(dimension, value, figures)` rows, busiest first within
 * each dimension; `breakdownsOf` splits them.
 */
export function breakdownsQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  today: string,
  inviteIds?: string[],
) {
  const cutoff7 = addDays(today, -7)
  const cutoff30 = addDays(today, -30)
  const split = splitPeriod(range.from, range.to, today)
  const m = inviteMonthlyStats
  const names = Object.keys(SUMMED) as (keyof typeof SUMMED)[]
  const id = (name: string) => sql.identifier(name)
  // One rollup's rows in the shape `combos` sums: the counters, the first join day, and the
  // joins old enough for each retention figure (all of a month's, or none: see `splitPeriod`).
  const rowsOf = (r: Dimensioned, day: SQL, firstJoinDay: SQL, where: SQL) => {
    const old = (cutoff: string, figure: SQL) =>
      sql`case when ${day} <= ${cutoff} then ${figure} end`
    return sql`select ${r.inviteId} as "inviteId", ${r.country} as "country",
        ${r.device} as "device", ${r.referrerHost} as "referrer", ${r.via} as "via",
        ${sql.join(
          names.map((name) => sql`${r[SUMMED[name]]} as ${id(name)}`),
          sql`, `,
        )},
        ${firstJoinDay} as "firstJoinDay",
        ${old(cutoff7, sql`${r.joins}`)} as "joinedAtLeast7DaysAgo",
        ${old(cutoff7, sql`${r.joins} - ${r.leftWithin7Days}`)} as "stayed7Days",
        ${old(cutoff30, sql`${r.joins}`)} as "joinedAtLeast30DaysAgo",
        ${old(cutoff30, sql`${r.joins} - ${r.leftWithin30Days}`)} as "stayed30Days"
      from ${r} where ${where}`
  }
  const monthly = rowsOf(
    m,
    sql`date(${m.month} || '-01', '+1 month', '-1 day')`,
    sql`${m.firstJoinDay}`,
    scopedWhere(m, scope, inArray(m.month, split.months), filters, inviteIds),
  )
  const daily = rowsOf(
    d,
    sql`${d.day}`,
    sql`case when ${d.joins} > 0 then ${d.day} end`,
    scopedWhere(
      d,
      scope,
      split.days.length ? or(...split.days.map(([from, to]) => between(d.day, from, to))) : sql`0`,
      filters,
      inviteIds,
    ),
  )
  const summed = (name: string) => sql`coalesce(sum(${id(name)}), 0) as ${id(name)}`
  const perCombo = sql.join(
    [
      ...names.map((name) => sql`sum(${id(name)}) as ${id(name)}`),
      sql`min("firstJoinDay") as "firstJoinDay"`,
      ...RETENTION.map((name) => sql`sum(${id(name)}) as ${id(name)}`),
    ],
    sql`, `,
  )
  const perValue = sql.join(
    [...names.map(summed), sql`min("firstJoinDay") as "firstJoinDay"`, ...RETENTION.map(summed)],
    sql`, `,
  )
  const orNone = (value: SQL) => sql`coalesce(nullif(${value}, ''), ${NONE})`
  // Raw SQL inside a select rather than `db.all`: drizzle's D1 batch cannot bind the parameters
  // of a raw statement, and this one runs in the stats batch. Each combo meets each dimension
  // through `json_each` rather than six `union all` terms: D1 refuses a compound select of six.
  const ranked = sql`(
    with picked as (${monthly} union all ${daily}),
    combos as (
      select "inviteId", "country", "device", "referrer", "via", ${perCombo}
      from picked group by "inviteId", "country", "device", "referrer", "via"
    ),
    valued as (
      select json_each.value as dimension,
        case json_each.value
          when 'source' then ${orNone(sql`${invites.source}`)}
          when 'campaign' then ${orNone(sql`${invites.campaign}`)}
          when 'country' then combos."country"
          when 'device' then combos."device"
          when 'referrer' then ${orNone(sql`combos."referrer"`)}
          else combos."via"
        end as value,
        combos.*
      from combos
        cross join json_each(${JSON.stringify(BREAKDOWNS)})
        left join ${invites} on ${invites.id} = combos."inviteId"
      where ${invites.id} is not null or json_each.value not in ('source', 'campaign')
    ),
    grouped as (select dimension, value, ${perValue} from valued group by dimension, value)
    select *, row_number() over (
      partition by dimension order by "visits" desc, "joinRequests" desc, value
    ) as position
    from grouped
  ) as ranked`
  const column = <T>(name: string) => sql<T>`${id(name)}`
  return db
    .select({
      dimension: column<Breakdown>('dimension'),
      value: column<string>('value'),
      ...(Object.fromEntries(names.map((name) => [name, column<number>(name)])) as Record<
        keyof typeof SUMMED,
        SQL<number>
      >),
      firstJoinDay: column<string | null>('firstJoinDay'),
      joinedAtLeast7DaysAgo: column<number>('joinedAtLeast7DaysAgo'),
      stayed7Days: column<number>('stayed7Days'),
      joinedAtLeast30DaysAgo: column<number>('joinedAtLeast30DaysAgo'),
      stayed30Days: column<number>('stayed30Days'),
    })
    .from(ranked)
    .where(
      sql`position <= case dimension when 'country' then ${COUNTRY_ROWS} else ${BREAKDOWN_ROWS} end`,
    )
    .orderBy(sql`dimension, position`)
}

/** `breakdownsQuery`'s rows, split by dimension (each list busiest first). */
export function breakdownsOf(
  rows: (BreakdownRow & { dimension: Breakdown })[],
): Record<Breakdown, BreakdownRow[]> {
  const lists = Object.fromEntries(BREAKDOWNS.map((b) => [b, [] as BreakdownRow[]])) as Record<
    Breakdown,
    BreakdownRow[]
  >
  for (const { dimension, ...row } of rows) lists[dimension]?.push(row)
  return lists
}
