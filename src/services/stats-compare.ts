import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { invites } from '../db/schema'
import { addDays } from '../lib/time'
import { assertCan, inviteScope, type Principal } from './access'
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
import { countedLink, countedStats, type JoinedCount } from './stats-joined'
import { leadsIntoTelegram, scopeLeadsOf, scopeLeadsQuery } from './stats-verified'

/** At most this many links or sources side by side: a table that still fits a screen. */
export const MAX_COMPARED = 6

/**
 * One column of a comparison: a link's or a source's funnel and its figures per day, its
 * "joined" counted where its people join, as the stats page counts it (`countedStats`): what
 * Telegram verified for links into Telegram chats, what our form sent on for the others.
 */
export interface ComparedEntry {
  key: string
  label: string
  funnel: FunnelFigures
  /** How the funnel's "joined" was counted. */
  joined: JoinedCount
  visits: number[]
  /** The joins of each day, counted as the funnel's are. */
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
  links: LinksCompared,
): Promise<ComparedEntry[] | null> {
  const queries = compareLinksQueries(db, communityId, inviteIds, range, today, filters, links)
  return compareLinksOf(inviteIds, range, filters, await db.batch(queries), links.principal)
}

/**
 * Who compares (a member's referral link is read as referrals are: its community's other
 * readers are refused with 403, as for the link itself), and whether to read where each link
 * leads now (`telegram`, where Telegram is configured).
 */
export interface LinksCompared {
  telegram: boolean
  principal: Principal
}

/**
 * `compareLinks`' reads, for a batch: the links (to check they are the community's, and where
 * each leads now where Telegram is configured), their stats.
 */
export function compareLinksQueries(
  db: Database,
  communityId: string,
  inviteIds: string[],
  range: StatsRange,
  today: string,
  filters: StatsFilters,
  { telegram }: Pick<LinksCompared, 'telegram'>,
) {
  const ids = inviteIds.slice(0, MAX_COMPARED)
  return [
    db
      .select({
        id: invites.id,
        communityId: invites.communityId,
        referrerMemberId: invites.referrerMemberId,
        code: invites.code,
        label: invites.label,
        onTelegram: (telegram ? leadsIntoTelegram(invites.id) : sql<number>`0`).as('on_telegram'),
      })
      .from(invites)
      .where(and(eq(invites.communityId, communityId), inArray(invites.id, ids))),
    ...dashboardStatsQueries(db, { communityId }, range, today, filters, ids, telegram),
  ] as const
}

/**
 * The links `compareLinksQueries` read, side by side; null when one is not the community's. A
 * link `principal` may not read the stats of (a member's referral link) is refused (403).
 */
export function compareLinksOf(
  inviteIds: string[],
  range: Period,
  filters: StatsFilters,
  [found, ...statsRows]: RowsOf<ReturnType<typeof compareLinksQueries>>,
  principal: Principal,
): ComparedEntry[] | null {
  const ids = inviteIds.slice(0, MAX_COMPARED)
  if (found.length !== new Set(ids).size) return null
  for (const invite of found) assertCan(principal, 'stats.read', inviteScope(invite))
  const stats = dashboardStatsOf(range, statsRows)
  const zeros = range.days.map(() => 0)
  return ids.map((id) => {
    const invite = found.find((row) => row.id === id)!
    const seen = stats.linkJoins.find((link) => link.inviteId === id)
    const form = stats.links.get(id) ?? NO_FUNNEL
    const { joined, ...funnel } = countedLink(form, seen, invite.onTelegram === 1, filters)
    // Per day, the joins the funnel counts: Telegram's where it counts them all.
    const verifiedDays = joined.by === 'telegram' && joined.notFilteredBy.length === 0
    return {
      key: id,
      label: invite.label ?? invite.code,
      funnel,
      joined,
      visits: stats.trends.get(id) ?? zeros,
      joins: (verifiedDays ? stats.verifiedJoinTrends : stats.joinTrends).get(id) ?? zeros,
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
  telegram: boolean,
): Promise<ComparedEntry[]> {
  const [leads, ...perSource] = compareSourcesQueries(
    db,
    communityId,
    sources,
    range,
    today,
    filters,
    telegram,
  )
  const [leadsRows, ...rows] = await db.batch([leads, ...perSource])
  return compareSourcesOf(communityId, sources, range, filters, [leadsRows, ...rows])
}

/**
 * `compareSources`' reads, for a batch: where the community's groups lead now (where Telegram
 * is configured; for a source without figures), then each source's stats queries, one source
 * after the other (`compareSourcesOf` takes their rows in the same order).
 */
export function compareSourcesQueries(
  db: Database,
  communityId: string,
  sources: string[],
  range: StatsRange,
  today: string,
  filters: StatsFilters,
  telegram: boolean,
) {
  const scope = { communityId }
  const leads = scopeLeadsQuery(db, scope)
  return [
    telegram ? leads : leads.limit(0),
    ...sources
      .slice(0, MAX_COMPARED)
      .flatMap((source) => [
        ...dashboardStatsQueries(
          db,
          scope,
          range,
          today,
          { ...filters, source },
          undefined,
          telegram,
        ),
      ]),
  ] as const
}

/** The sources `compareSourcesQueries` read, side by side, from their rows in its order. */
export function compareSourcesOf(
  communityId: string,
  sources: string[],
  range: Period,
  filters: StatsFilters,
  [leadsRows, ...rows]: readonly [
    Array<{ telegram: number; elsewhere: number }>,
    ...DashboardStatsRows[number][],
  ],
): ComparedEntry[] {
  const shown = sources.slice(0, MAX_COMPARED)
  const size = rows.length / Math.max(shown.length, 1)
  const leads = scopeLeadsOf(leadsRows)
  return shown.map((source, i) => {
    // Each source's rows are the answers to its own `dashboardStatsQueries`, in their order.
    const stats = dashboardStatsOf(
      range,
      rows.slice(i * size, (i + 1) * size) as unknown as DashboardStatsRows,
    )
    // Where Telegram is not configured its figures read no row: our forms count.
    const counted = countedStats(stats, { communityId }, leads, { ...filters, source })
    const { joined, ...funnel } = counted.funnel
    const parts = counted.joinedByDay
    return {
      key: source,
      label: source,
      funnel,
      joined,
      visits: stats.days.map((d) => d.visits),
      joins: parts
        ? parts.verified.map((n, day) => n + parts.sentOnToWhatsApp[day]!)
        : stats.days.map((d) => d.joins),
    }
  })
}

/** The funnel's steps in order, each with the step its share is taken of (as the funnel shows). */
type Step = (typeof STEPS)[number]

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
 * measurable yet says from which day it will be (`measurableFrom`), as the page does. The join
 * of an entry Telegram counts is a share of the visits, as its funnel on the page shows it, and
 * its join requests and leaves a share of nothing (the landing page of a link into a Telegram
 * chat leads past our form; Telegram counts a leave on the day it happens).
 */
export function withSteps(entries: ComparedEntry[]) {
  const baseOf = (entry: ComparedEntry, step: Step) => {
    if (step.step === 'joinRequests' && entry.joined.by !== 'our_forms') return null
    if (!joinedPastOurForm(entry)) return step.base
    // Telegram reports a leave on the day it happens, whenever the person joined: its leaves
    // are no share of the period's joins.
    if (step.step === 'leaves') return null
    return step.step === 'joins' ? 'visits' : step.base
  }
  const rates = entries.map((entry) =>
    STEPS.map((step) => {
      const base = baseOf(entry, step)
      const of = base === null ? 0 : (entry.funnel[base] as number)
      return of > 0 ? (entry.funnel[step.step] as number) / of : null
    }),
  )
  return entries.map((entry, i) => ({
    ...entry,
    funnel: funnelOnly(entry.funnel),
    joined: joinedOf(entry),
    conversionRate: round(conversionOf(entry.funnel)),
    steps: STEPS.map((s, n) => {
      const { step } = s
      const base = baseOf(entry, s)
      const rate = rates[i]![n]!
      const first = rates[0]![n]!
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

/**
 * Whether an entry's joins are counted past our form: by Telegram for some of its links, under
 * no filter its joins cannot take. Most people join through the Telegram link straight from the
 * landing page, so the join is a share of the visits (as the funnel shows it), not of our
 * form's confirmations.
 */
function joinedPastOurForm({ joined }: ComparedEntry): boolean {
  return joined.by !== 'our_forms' && joined.notFilteredBy.length === 0
}

/**
 * An entry's "joined" as the stats API's `joined` says it: who counted it, and under a filter
 * Telegram's joins cannot take, no figure (its funnel then holds what our form sent on).
 */
function joinedOf({ joined, funnel }: ComparedEntry) {
  const apart = joined.by !== 'our_forms' && joined.notFilteredBy.length > 0
  return {
    countedBy: joined.by,
    joins: apart ? null : funnel.joins,
    verifiedByTelegram: joined.verifiedByTelegram,
    sentOnByOurForms: joined.sentOnToWhatsApp,
    conversionRate: apart ? null : round(conversionOf(funnel)),
    ...(apart ? { notFilteredBy: [...joined.notFilteredBy] } : {}),
  }
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
  // Never more than a period may hold, whatever the days given (as the dashboard's `everyDay`).
  for (let day = from; day <= to && days.length <= MAX_PERIOD_DAYS; day = addDays(day, 1))
    days.push(day)
  return days
}

/** A year and a day: more than the longest period the stats take (366 days). */
const MAX_PERIOD_DAYS = 367

/**
 * Which of `sources` a link of the community carries: a query for the compare page's batch.
 * Only those are compared there, so that a crafted address cannot put its words in the page's
 * columns (the API compares any, each its own figures, zero for one no link carries).
 */
export function carriedSourcesQuery(db: Database, communityId: string, sources: string[]) {
  return db
    .selectDistinct({ source: invites.source })
    .from(invites)
    .where(and(eq(invites.communityId, communityId), inArray(invites.source, sources)))
    .limit(sources.length)
}
