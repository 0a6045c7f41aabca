import { and, eq, inArray } from 'drizzle-orm'
import type { Database } from '../db/client'
import { invites } from '../db/schema'
import { addDays } from '../lib/time'
import {
  conversionOf,
  dashboardStatsOf,
  dashboardStatsQueries,
  NO_FUNNEL,
  type DashboardStatsRows,
  type FunnelFigures,
  type RowsOf,
} from './stats'
import type { StatsFilters, StatsRange } from './stats-breakdowns'

/** At most this many links or sources side by side: a table that still fits a screen. */
export const MAX_COMPARED = 6

/** One column of a comparison: a link's or a source's funnel and its figures per day. */
export interface ComparedEntry {
  key: string
  label: string
  funnel: FunnelFigures
  visits: number[]
  joins: number[]
}

type Period = StatsRange & { days: string[] }

/**
 * Links of one community side by side over the same period and filters, in one batch over the
 * rollups. Null when a link is not the community's (the page answers 404 for it).
 */
export async function compareLinks(
  db: Database,
  communityId: string,
  inviteIds: string[],
  range: Period,
  today: string,
  filters: StatsFilters,
): Promise<ComparedEntry[] | null> {
  const queries = compareLinksQueries(db, communityId, inviteIds, range, today, filters)
  return compareLinksOf(inviteIds, range, await db.batch(queries))
}

/** `compareLinks`' reads, for a batch: the links (to check they are the community's), their stats. */
export function compareLinksQueries(
  db: Database,
  communityId: string,
  inviteIds: string[],
  range: StatsRange,
  today: string,
  filters: StatsFilters,
) {
  const ids = inviteIds.slice(0, MAX_COMPARED)
  return [
    db
      .select({ id: invites.id, code: invites.code, label: invites.label })
      .from(invites)
      .where(and(eq(invites.communityId, communityId), inArray(invites.id, ids))),
    ...dashboardStatsQueries(db, { communityId }, range, today, filters, ids),
  ] as const
}

/** The links `compareLinksQueries` read, side by side; null when one is not the community's. */
export function compareLinksOf(
  inviteIds: string[],
  range: Period,
  [found, ...statsRows]: RowsOf<ReturnType<typeof compareLinksQueries>>,
): ComparedEntry[] | null {
  const ids = inviteIds.slice(0, MAX_COMPARED)
  if (found.length !== new Set(ids).size) return null
  const stats = dashboardStatsOf(range, statsRows)
  const zeros = range.days.map(() => 0)
  return ids.map((id) => {
    const invite = found.find((row) => row.id === id)!
    return {
      key: id,
      label: invite.label ?? invite.code,
      funnel: stats.links.get(id) ?? NO_FUNNEL,
      visits: stats.trends.get(id) ?? zeros,
      joins: stats.joinTrends.get(id) ?? zeros,
    }
  })
}

/** Sources of one community side by side: each the funnel of its links under the filters. */
export async function compareSources(
  db: Database,
  communityId: string,
  sources: string[],
  range: Period,
  today: string,
  filters: StatsFilters,
): Promise<ComparedEntry[]> {
  const [first, ...rest] = compareSourcesQueries(db, communityId, sources, range, today, filters)
  if (!first) return []
  return compareSourcesOf(sources, range, await db.batch([first, ...rest]))
}

/**
 * `compareSources`' reads, for a batch: each source's stats queries, one source after the other
 * (`compareSourcesOf` takes their rows in the same order).
 */
export function compareSourcesQueries(
  db: Database,
  communityId: string,
  sources: string[],
  range: StatsRange,
  today: string,
  filters: StatsFilters,
) {
  return sources
    .slice(0, MAX_COMPARED)
    .flatMap((source) => [
      ...dashboardStatsQueries(db, { communityId }, range, today, { ...filters, source }),
    ])
}

/** The sources `compareSourcesQueries` read, side by side, from their rows in its order. */
export function compareSourcesOf(
  sources: string[],
  range: Period,
  rows: readonly DashboardStatsRows[number][],
): ComparedEntry[] {
  const shown = sources.slice(0, MAX_COMPARED)
  const size = rows.length / Math.max(shown.length, 1)
  return shown.map((source, i) => {
    // Each source's rows are the answers to its own `dashboardStatsQueries`, in their order.
    const stats = dashboardStatsOf(
      range,
      rows.slice(i * size, (i + 1) * size) as unknown as DashboardStatsRows,
    )
    return {
      key: source,
      label: source,
      funnel: stats.funnel,
      visits: stats.days.map((d) => d.visits),
      joins: stats.days.map((d) => d.joins),
    }
  })
}

/** The funnel's steps in order, each with the step its share is taken of (as the funnel shows). */
const STEPS = [
  { step: 'visits', base: null },
  { step: 'joinRequests', base: 'visits' },
  { step: 'confirmations', base: 'joinRequests' },
  { step: 'joins', base: 'confirmations' },
  { step: 'stayed7Days', base: 'joinedAtLeast7DaysAgo' },
  { step: 'stayed30Days', base: 'joinedAtLeast30DaysAgo' },
  { step: 'leaves', base: 'joins' },
] as const satisfies ReadonlyArray<{
  step: keyof FunnelFigures
  base: keyof FunnelFigures | null
}>

export const COMPARED_STEPS = STEPS.map(({ step }) => step)

const round = (value: number) => Math.round(value * 10000) / 10000

/**
 * A comparison as the API answers it: each entry's funnel steps with their share of the step
 * before (`rate`, null with nothing to measure) and how far that share is from the first
 * entry's (`differenceFromFirst`, a fraction: 0.05 is five points more). A retention step not
 * measurable yet says from which day it will be (`measurableFrom`), as the page does.
 */
export function withSteps(entries: ComparedEntry[]) {
  const rates = entries.map((entry) =>
    STEPS.map(({ base, step }) => {
      const of = base === null ? 0 : (entry.funnel[base] as number)
      return of > 0 ? (entry.funnel[step] as number) / of : null
    }),
  )
  return entries.map((entry, i) => ({
    ...entry,
    funnel: funnelOnly(entry.funnel),
    conversionRate: round(conversionOf(entry.funnel)),
    steps: STEPS.map(({ step, base }, s) => {
      const rate = rates[i]![s]!
      const first = rates[0]![s]!
      const retention = step === 'stayed7Days' ? 7 : step === 'stayed30Days' ? 30 : null
      const waiting =
        retention !== null && rate === null && entry.funnel.joins > 0 && entry.funnel.firstJoinDay
      return {
        step,
        value: entry.funnel[step] as number,
        base: base === null ? null : (entry.funnel[base] as number),
        rate: rate === null ? null : round(rate),
        differenceFromFirst:
          i === 0 || rate === null || first === null ? null : round(rate - first),
        measurableFrom: waiting ? addDays(entry.funnel.firstJoinDay!, retention) : null,
      }
    }),
  }))
}

/** The funnel's own figures (the rollup's query carries a few more). */
function funnelOnly(f: FunnelFigures): FunnelFigures {
  return {
    visits: f.visits,
    uniqueVisitors: f.uniqueVisitors,
    scans: f.scans,
    clicks: f.clicks,
    joinRequests: f.joinRequests,
    confirmations: f.confirmations,
    confirmedByPhone: f.confirmedByPhone,
    confirmedByEmail: f.confirmedByEmail,
    joins: f.joins,
    leaves: f.leaves,
    firstJoinDay: f.firstJoinDay,
    joinedAtLeast7DaysAgo: f.joinedAtLeast7DaysAgo,
    stayed7Days: f.stayed7Days,
    joinedAtLeast30DaysAgo: f.joinedAtLeast30DaysAgo,
    stayed30Days: f.stayed30Days,
  }
}

/** Every day from `from` to `to`, both included. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = []
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day)
  return days
}
