import { OTHER_REFERRERS } from '../../db/schema'
import type { Lang } from '../../lib/i18n'
import {
  BREAKDOWNS,
  NONE,
  type Breakdown,
  type StatsFilters,
} from '../../services/stats-breakdowns'
import { words } from './shell'

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
 * set one, where the page has the tables to set one from. `base` is the page's path with its period, the filters' links go there.
 */
export function FilterChips(props: {
  lang: Lang
  filters: StatsFilters
  base: string
  /** Whether the page has the tables whose values set a filter, so the hint can point to them. */
  tablesBelow?: boolean
}) {
  const l = props.lang
  const t = words(l)
  const active = BREAKDOWNS.filter((name) => props.filters[name] !== undefined)
  if (active.length === 0) {
    return props.tablesBelow === false ? null : <p class="muted">{t.filterHint}</p>
  }
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
