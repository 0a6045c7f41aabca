import type { Lang } from '../../lib/i18n'
import { BREAKDOWNS, type StatsFilters } from '../../services/stats-breakdowns'
import { words } from './shell'
import { filtersQuery } from './stats-filters'

/** The periods offered as one click; anything else is a custom range of at most a year. */
export const PERIODS = ['7', '30', '90'] as const
const ZONES = [
  'Europe/Berlin',
  'Europe/Vienna',
  'Europe/Zurich',
  'Europe/London',
  'Europe/Paris',
  'Europe/Istanbul',
  'UTC',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Australia/Sydney',
]

export interface ResolvedRange {
  from: string
  to: string
  period: (typeof PERIODS)[number] | 'custom'
  tz: string
  /** Every day of the period, oldest first. */
  days: string[]
  /** How a custom range asked for was corrected to the one shown (back to front, too long). */
  corrected?: string
}

/** The query string that shows `range` again, for links and the CSV export. */
export function rangeQuery(range: ResolvedRange): string {
  const params = new URLSearchParams({ period: range.period, tz: range.tz })
  if (range.period === 'custom') {
    params.set('from', range.from)
    params.set('to', range.to)
  }
  return params.toString()
}

/**
 * The date-range picker above every stats view: one link per period, a custom range, the time
 * zone, and the CSV export of what is shown. Plain links and a GET form: no script needed.
 */
export function RangePicker(props: {
  lang: Lang
  /** The page's own path, where its links and the form lead. */
  path: string
  range: ResolvedRange
  csvHref: string
  /** Kept when the period changes. */
  filters?: StatsFilters
  /** More of the page's query to keep (`name=value&…`, each value URL-encoded). */
  extraQuery?: string
}) {
  const t = words(props.lang)
  const { range, path } = props
  const filters = props.filters ?? {}
  const kept = [filtersQuery(filters), props.extraQuery ?? ''].filter(Boolean).join('&')
  const extra = new URLSearchParams(props.extraQuery ?? '')
  const zones = ZONES.includes(range.tz) ? ZONES : [range.tz, ...ZONES]
  return (
    <div class="picker">
      <nav class="periods" aria-label={t.period}>
        {PERIODS.map((period) => (
          <a
            href={`${path}?${[rangeQuery({ ...range, period }), kept].filter(Boolean).join('&')}`}
            aria-current={range.period === period ? 'true' : undefined}
          >
            {t.lastDays(period)}
          </a>
        ))}
      </nav>
      <form method="get" action={path} class="custom-range">
        <input type="hidden" name="period" value="custom" />
        {[...extra].map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        {BREAKDOWNS.map((name) =>
          filters[name] !== undefined ? (
            <input type="hidden" name={name} value={filters[name]} />
          ) : null,
        )}
        <span>
          <label for="range-from">{t.fromDay}</label>
          <input id="range-from" name="from" type="date" value={range.from} max={range.to} />
        </span>
        <span>
          <label for="range-to">{t.toDay}</label>
          <input id="range-to" name="to" type="date" value={range.to} />
        </span>
        <span>
          <label for="range-tz">{t.timezone}</label>
          <select id="range-tz" name="tz">
            {zones.map((zone) => (
              <option value={zone} selected={zone === range.tz}>
                {zone}
              </option>
            ))}
          </select>
        </span>
        <span>
          <button type="submit" class="secondary">
            {t.apply}
          </button>
        </span>
      </form>
      {range.corrected && (
        <p class="warn" role="status">
          {range.corrected}
        </p>
      )}
      <p class="muted">
        {t.shownPeriod(range.days.length)}{' '}
        <a href={props.csvHref} download>
          {t.exportStatsCsv}
        </a>
      </p>
    </div>
  )
}
