import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { dashboardStatsOf, dashboardStatsQueries } from '../../services/stats'
import type { StatsScope } from '../../services/stats-breakdowns'
import { countedStats } from '../../services/stats-joined'
import type { JoinedBy } from '../../services/stats-verified'
import { telegramConfig } from '../../lib/config'
import type { StatsView } from '../../views/dashboard/stats'
import { filtersQuery } from '../../views/dashboard/stats-filters'
import { rangeQuery } from '../../views/dashboard/stats-range'
import { pageFilters } from './stats-filters'
import { statsRange, todayIn } from './stats-range'

/**
 * The reads of a community's or a link's stats view (`StatsSections`): `queries` go into the
 * page's own batch; `view` makes the stats view of their rows, `leads` saying where the link (or
 * the community's groups) lead now (`leadsNow`), which the page read itself.
 * The period and filters are checked here, before anything is read (a bad one is a 400).
 */
export function statsViewReads(c: Context<AppEnv>, scope: StatsScope, csvPath: string) {
  const now = new Date()
  const range = statsRange(c, now)
  const filters = pageFilters(c)
  const today = todayIn(range.tz, now)
  const telegram = telegramConfig(c.var.config) !== null
  const query = [rangeQuery(range), filtersQuery(filters)].filter(Boolean).join('&')
  const csvHref = `${csvPath}?${query}`
  const compareHref =
    'communityId' in scope ? `/admin/communities/${scope.communityId}/compare?${query}` : null
  return {
    queries: dashboardStatsQueries(c.var.db, scope, range, today, filters, undefined, telegram),
    view: (
      rows: Parameters<typeof dashboardStatsOf>[1],
      leads: JoinedBy = 'our_forms',
    ): StatsView => {
      const stats = dashboardStatsOf(range, rows)
      const counted = countedStats(stats, scope, telegram ? leads : 'our_forms', filters)
      return {
        range,
        filters,
        ...stats,
        counted: counted.funnel,
        countedLinks: counted.links,
        telegramLinks: counted.telegramLinks,
        joinedByDay: counted.joinedByDay,
        countedBreakdowns: counted.breakdowns,
        csvHref,
        compareHref,
        telegram,
      }
    },
  }
}

/** The stats view in a round trip of its own (the CSV downloads). */
export async function loadStatsView(c: Context<AppEnv>, scope: StatsScope, csvPath: string) {
  const reads = statsViewReads(c, scope, csvPath)
  return reads.view(await c.var.db.batch(reads.queries))
}
