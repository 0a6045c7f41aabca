import { and, eq, inArray } from 'drizzle-orm'
import type { Database } from '../db/client'
import { invites } from '../db/schema'
import { getDashboardStats, type FunnelFigures } from './stats'
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

const NO_FUNNEL: FunnelFigures = {
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
  const ids = inviteIds.slice(0, MAX_COMPARED)
  const found = await db
    .select({ id: invites.id, code: invites.code, label: invites.label })
    .from(invites)
    .where(and(eq(invites.communityId, communityId), inArray(invites.id, ids)))
  if (found.length !== new Set(ids).size) return null
  const stats = await getDashboardStats(db, { communityId }, range, today, filters, ids)
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
  const entries: ComparedEntry[] = []
  for (const source of sources.slice(0, MAX_COMPARED)) {
    const stats = await getDashboardStats(db, { communityId }, range, today, {
      ...filters,
      source,
    })
    entries.push({
      key: source,
      label: source,
      funnel: stats.funnel,
      visits: stats.days.map((d) => d.visits),
      joins: stats.days.map((d) => d.joins),
    })
  }
  return entries
}
