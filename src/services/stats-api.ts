import type { Database } from '../db/client'
import { utcDay } from '../lib/time'
import { byDayQuery } from './stats'
import {
  breakdownsOf,
  breakdownsQuery,
  visitFiltersOf,
  type BreakdownRow,
  type StatsFilters,
  type StatsRange,
  type StatsScope,
} from './stats-breakdowns'
import {
  joinedAnswer,
  joinedByLinkValueQuery,
  joinedTotalsQuery,
  otherRouteQuery,
  scopeLeadsOf,
  scopeLeadsQuery,
  sumVerified,
  verifiedByDayQuery,
  verifiedRetentionAnswer,
} from './stats-verified'

/**
 * The stats API's answer (`GET /api/invites/{id}/stats`, `GET /api/communities/{id}/stats`):
 * the figures of a period under its filters, from the rollups in one batch.
 */

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
    // Who counted the joins and what Telegram saw, summed over the links in SQL; Telegram's
    // figures under the link's filters only, also per day (needed where a filter names a
    // visit's dimension, which `byDay`'s rows then take).
    joined: joinedTotalsQuery(db, scope, range, filters, today),
    // The same per value of the link's source and campaign, for the breakdowns' rows.
    joinedByLinkValue: joinedByLinkValueQuery(db, scope, range, filters, today),
    verifiedByDay: verifiedByDayQuery(db, scope, range, filters),
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
 * `verifiedLeaves`), and `joined` the joins each link's own platform counted
 * (`joinedAnswer`), as each row of the breakdowns by source and campaign does for its links;
 * without it the answer is what it always was. Telegram's figures take only
 * the link's filters: a filter on a visit's own dimension leaves them as they are, and `joined`
 * and `verifiedRetention` say so (`notFilteredBy`).
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
  const telegram = options.telegram === true
  const notFilteredBy = visitFiltersOf(filters)
  // Where the link or community leads now, for a period without figures: no rollup, one row.
  const leads = scopeLeadsQuery(db, scope)
  // A community's joins through no link of ours, in its chats, in the same batch.
  const community = 'communityId' in scope ? scope.communityId : ''
  const otherRoutes = otherRouteQuery(db, community, range)
  const [dayRows, breakdownRows, joinedRows, leadsRows, verifiedDays, otherRows, valueRows] =
    await db.batch([
      q.byDay,
      q.breakdowns,
      telegram ? q.joined : q.joined.limit(0),
      telegram ? leads : leads.limit(0),
      telegram && notFilteredBy.length > 0 ? q.verifiedByDay : q.verifiedByDay.limit(0),
      telegram && community ? otherRoutes : otherRoutes.limit(0),
      telegram ? q.joinedByLinkValue : q.joinedByLinkValue.limit(0),
    ])
  const byDay =
    notFilteredBy.length > 0 && telegram ? withVerifiedDays(dayRows, verifiedDays) : dayRows
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
    { ...NO_DAY_FIGURES },
  )
  const shown = <T extends Figures>(row: T) => {
    if (telegram) return row
    const { verifiedJoins: _joins, verifiedLeaves: _leaves, ...rest } = row
    return rest
  }
  const joined = joinedRows[0]
  const scopeLeads = scopeLeadsOf(leadsRows)
  const answer = joined && joinedAnswer(joined, totals.uniqueVisitors, scopeLeads, notFilteredBy)
  // Each source's and campaign's joins as its links' platforms counted them, where Telegram is
  // configured; a value whose links are all gone counts none of them.
  const byValue = new Map(valueRows.map((row) => [`${row.dimension}:${row.value}`, row]))
  const withJoined = (dimension: 'source' | 'campaign', rows: BreakdownRow[]) =>
    breakdownAnswer(rows).map((row) => {
      if (!telegram) return row
      const links = byValue.get(`${dimension}:${row.value}`) ?? NO_LINKS
      const joined = joinedAnswer(links, row.uniqueVisitors, scopeLeads, notFilteredBy)
      const apart = joined.countedBy === 'our_forms' ? [] : notFilteredBy
      return { ...row, joined, verifiedRetention: verifiedRetentionAnswer(links, apart) }
    })
  // Joins through no link of ours have no source or campaign: under a filter on those, none of
  // them is in the answer; nor in a community none of whose groups is on Telegram.
  const other =
    filters.source === undefined && filters.campaign === undefined && scopeLeads !== 'our_forms'
      ? otherRows[0]
      : undefined
  return {
    ...range,
    filters,
    ...(other ? { otherRoutes: other } : {}),
    totals: shown(withConversion(totals)),
    byDay: byDay.map((row) => shown(withConversion(row))),
    ...(joined && answer
      ? {
          joined: answer,
          // Said where it matters: where Telegram counts some of the joins.
          verifiedRetention: verifiedRetentionAnswer(
            joined,
            answer.countedBy === 'our_forms' ? [] : notFilteredBy,
          ),
        }
      : {}),
    // The same rows as the breakdowns, in the shape these lists had before them.
    byCountry: country.map((row) => ({ country: row.value, ...figuresOf(row) })),
    bySource: source.map((row) => ({ source: row.value, ...figuresOf(row) })),
    breakdowns: {
      source: withJoined('source', source),
      campaign: withJoined('campaign', campaign),
      country: breakdownAnswer(country),
      device: breakdownAnswer(device),
      referrer: breakdownAnswer(referrer),
      via: breakdownAnswer(via),
    },
  }
}

/** A breakdown row's links, where none of them has figures (`joinedByLinkValueQuery`). */
const NO_LINKS = {
  links: 0,
  telegramLinks: 0,
  verifiedByTelegram: 0,
  sentOnByOurForms: 0,
  ...sumVerified([]),
}

/** A day's figures of the stats API before its conversion, all 0. */
const NO_DAY_FIGURES: Omit<Figures, 'conversionRate'> = {
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
}

/**
 * The days of the period under filters that name a visit's dimension, with what Telegram saw
 * on each under the link's filters only (`verifiedByDayQuery`): a day on which Telegram saw a
 * join or a leave is there even if nothing else under the filters happened on it.
 */
function withVerifiedDays<T extends { day: string } & Omit<Figures, 'conversionRate'>>(
  rows: T[],
  verifiedDays: Array<{ day: string; verifiedJoins: number; verifiedLeaves: number }>,
): Array<Omit<Figures, 'conversionRate'> & { day: string }> {
  const verified = new Map(verifiedDays.map((row) => [row.day, row]))
  const seen = verifiedDays.filter((row) => row.verifiedJoins > 0 || row.verifiedLeaves > 0)
  const days = [...new Set([...rows.map((row) => row.day), ...seen.map((row) => row.day)])].sort()
  const byDay = new Map(rows.map((row) => [row.day, row]))
  return days.map((day) => ({
    ...(byDay.get(day) ?? NO_DAY_FIGURES),
    day,
    verifiedJoins: verified.get(day)?.verifiedJoins ?? 0,
    verifiedLeaves: verified.get(day)?.verifiedLeaves ?? 0,
  }))
}
