import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import type { Lang } from '../../lib/i18n'
import { OTHER_REFERRERS } from '../../db/schema'
import { filterParams } from '../../schemas/stats'
import {
  BREAKDOWNS,
  NONE,
  type Breakdown,
  type StatsFilters,
} from '../../services/stats-breakdowns'
import { words } from '../../views/dashboard'
import { lang } from './page'

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

/** The query string of some filters (empty without any), in a stable order. */
export function filtersQuery(filters: StatsFilters): string {
  const params = new URLSearchParams()
  for (const name of BREAKDOWNS) {
    const value = filters[name]
    if (value !== undefined) params.set(name, value)
  }
  return params.toString()
}

/** A dimension's value as the reader says it: a country's name, "phone", "no source" … */
export function valueText(l: Lang, dimension: Breakdown, value: string): string {
  const t = words(l)
  if (dimension === 'country') return countryName(l, value, t.unknownCountry)
  if (dimension === 'device') return t.deviceNames[value] ?? value
  if (dimension === 'via') return t.viaNames[value] ?? value
  if (dimension === 'referrer' && value === OTHER_REFERRERS) return t.otherReferrers
  if (value !== NONE) return value
  return dimension === 'source'
    ? t.noSource
    : dimension === 'campaign'
      ? t.noCampaign
      : t.noReferrer
}

/** A country's name in the reader's language, from its ISO code (`XX`: unknown). */
function countryName(l: Lang, code: string, unknown: string): string {
  if (!/^[A-Z]{2}$/.test(code) || code === 'XX') return unknown
  try {
    return new Intl.DisplayNames([l], { type: 'region' }).of(code) ?? code
  } catch {
    return code
  }
}

/**
 * The filters in force, each a link that removes it (the chip says which filter in words, not
 * only with its cross), and one that removes them all. Without filters, a line saying how to
 * set one.
 */
export function FilterChips(props: { c: Context<AppEnv>; filters: StatsFilters; base: string }) {
  const l = lang(props.c)
  const t = words(l)
  const active = BREAKDOWNS.filter((name) => props.filters[name] !== undefined)
  if (active.length === 0) return <p class="muted">{t.filterHint}</p>
  const href = (filters: StatsFilters) => {
    const query = filtersQuery(filters)
    return query ? `${props.base}&${query}` : props.base
  }
  return (
    <nav class="chips" aria-label={t.activeFilters}>
      <span>{t.activeFilters}:</span>{' '}
      {active.map((name) => {
        const value = valueText(l, name, props.filters[name]!)
        const rest = { ...props.filters }
        delete rest[name]
        return (
          <>
            <a
              class="chip"
              href={href(rest)}
              aria-label={t.removeFilter(t.dimensionNames[name], value)}
            >
              {t.dimensionNames[name]}: <bdi>{value}</bdi> <span aria-hidden="true">×</span>
            </a>{' '}
          </>
        )
      })}
      <a href={href({})}>{t.clearFilters}</a>
    </nav>
  )
}
