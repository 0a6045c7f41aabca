import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { filterParams } from '../../schemas/stats'
import { BREAKDOWNS, type StatsFilters } from '../../services/stats-breakdowns'

const PageFilters = z.object(filterParams)

/**
 * The filters of a stats page, from its query (the same parameters as the stats API). An empty
 * parameter means no filter; a value the API would refuse is refused here too, with a 400.
 */
export function pageFilters(c: Context<AppEnv>): StatsFilters {
  const given: Record<string, string> = {}
  for (const name of BREAKDOWNS) {
    const value = c.req.query(name)
    if (value) given[name] = value
  }
  const parsed = PageFilters.safeParse(given)
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'filter')
    throw new ApiError('validation_failed', `The filter “${field}” has a value we do not know.`)
  }
  const filters: StatsFilters = {}
  for (const name of BREAKDOWNS) {
    const value = parsed.data[name]
    if (value !== undefined) filters[name] = value
  }
  return filters
}
