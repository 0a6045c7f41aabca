import { and, asc, between, desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteDailyStats, invites } from '../db/schema'

/** Which rollup rows a stats answer covers: one invite's, or a whole community's. */
export type StatsScope = { inviteId: string } | { communityId: string }

export interface StatsRange {
  from: string
  to: string
}

export interface Figures {
  visits: number
  uniqueVisitors: number
  scans: number
  clicks: number
  botVisits: number
  joinRequests: number
  joins: number
  conversionRate: number
}

const measures = {
  visits: sql<number>`coalesce(sum(${inviteDailyStats.visits}), 0)`,
  uniqueVisitors: sql<number>`coalesce(sum(${inviteDailyStats.uniqueVisitors}), 0)`,
  scans: sql<number>`coalesce(sum(${inviteDailyStats.qrVisits}), 0)`,
  clicks: sql<number>`coalesce(sum(${inviteDailyStats.linkVisits}), 0)`,
  botVisits: sql<number>`coalesce(sum(${inviteDailyStats.botVisits}), 0)`,
  joinRequests: sql<number>`coalesce(sum(${inviteDailyStats.joinRequests}), 0)`,
  joins: sql<number>`coalesce(sum(${inviteDailyStats.joins}), 0)`,
}

function scopeAndRange(scope: StatsScope, range: StatsRange) {
  return and(
    'inviteId' in scope
      ? eq(inviteDailyStats.inviteId, scope.inviteId)
      : eq(inviteDailyStats.communityId, scope.communityId),
    between(inviteDailyStats.day, range.from, range.to),
  )
}

/**
 * The three queries behind a stats answer. They read the daily rollups through the
 * (invite, day) primary key or the (community, day) index, never the raw visits, so their cost
 * follows the number of days and countries, not the number of visits. Exported for the test
 * that checks their query plans.
 */
export function statsQueries(db: Database, scope: StatsScope, range: StatsRange) {
  const where = scopeAndRange(scope, range)
  return {
    byDay: db
      .select({ day: inviteDailyStats.day, ...measures })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.day)
      .orderBy(asc(inviteDailyStats.day)),
    byCountry: db
      .select({ country: inviteDailyStats.country, ...measures })
      .from(inviteDailyStats)
      .where(where)
      .groupBy(inviteDailyStats.country)
      .orderBy(desc(measures.visits), asc(inviteDailyStats.country)),
    bySource: db
      .select({ source: invites.source, ...measures })
      .from(inviteDailyStats)
      .innerJoin(invites, eq(invites.id, inviteDailyStats.inviteId))
      .where(where)
      .groupBy(invites.source)
      .orderBy(desc(measures.visits)),
  }
}

/** Conversion: joins per unique visitor (people, bots excluded), 0 when nobody came. */
function withConversion<T extends Omit<Figures, 'conversionRate'>>(row: T): T & Figures {
  const conversionRate =
    row.uniqueVisitors > 0 ? Math.round((row.joins / row.uniqueVisitors) * 10000) / 10000 : 0
  return { ...row, conversionRate }
}

export async function getStats(db: Database, scope: StatsScope, range: StatsRange) {
  const queries = statsQueries(db, scope, range)
  const [byDay, byCountry, bySource] = await db.batch([
    queries.byDay,
    queries.byCountry,
    queries.bySource,
  ])
  const totals = byDay.reduce(
    (sum, row) => ({
      visits: sum.visits + row.visits,
      uniqueVisitors: sum.uniqueVisitors + row.uniqueVisitors,
      scans: sum.scans + row.scans,
      clicks: sum.clicks + row.clicks,
      botVisits: sum.botVisits + row.botVisits,
      joinRequests: sum.joinRequests + row.joinRequests,
      joins: sum.joins + row.joins,
    }),
    { visits: 0, uniqueVisitors: 0, scans: 0, clicks: 0, botVisits: 0, joinRequests: 0, joins: 0 },
  )
  return {
    ...range,
    totals: withConversion(totals),
    byDay: byDay.map(withConversion),
    byCountry: byCountry.map(withConversion),
    bySource: bySource.map((row) => withConversion({ ...row, source: row.source ?? '(none)' })),
  }
}

/** Each link's funnel totals over a period, for the dashboard's list of a community's links. */
export async function statsByInvite(db: Database, communityId: string, range: StatsRange) {
  const rows = await db
    .select({ inviteId: inviteDailyStats.inviteId, ...measures })
    .from(inviteDailyStats)
    .where(scopeAndRange({ communityId }, range))
    .groupBy(inviteDailyStats.inviteId)
  return new Map(rows.map((row) => [row.inviteId, withConversion(row)]))
}
