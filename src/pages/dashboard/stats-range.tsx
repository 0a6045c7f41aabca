import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { addDays } from '../../lib/time'
import { TimeZoneSchema } from '../../schemas/common'
import { words } from '../../views/dashboard'
import { lang } from './page'
import { BREAKDOWNS, type StatsFilters } from '../../services/stats-breakdowns'
import { filtersQuery } from '../../views/dashboard/stats-filters'

/** The periods offered as one click; anything else is a custom range of at most a year. */
export const PERIODS = ['7', '30', '90'] as const
const MAX_DAYS = 366
const DEFAULT_ZONE = 'Europe/Berlin'
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
}

const Day = z.iso.date()
const RangeQuery = z.object({
  period: z.enum([...PERIODS, 'custom']).catch('30'),
  from: Day.optional().catch(undefined),
  to: Day.optional().catch(undefined),
  tz: TimeZoneSchema.catch(DEFAULT_ZONE),
})

/** Today's calendar day where the admin is. */
export function todayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now)
}

export function everyDay(from: string, to: string): string[] {
  const days: string[] = []
  for (let day = from; day <= to && days.length <= MAX_DAYS; day = addDays(day, 1)) days.push(day)
  return days
}

/**
 * The period the stats views show, from the page's query: the last 7, 30 (the default) or 90
 * days up to today in the admin's time zone, or a custom range of days. A custom range that is
 * back to front or longer than a year is refused with a 400 that says so.
 */
export function statsRange(c: Context<AppEnv>, now: Date): ResolvedRange {
  const query = RangeQuery.parse({
    period: c.req.query('period') ?? '30',
    from: c.req.query('from') || undefined,
    to: c.req.query('to') || undefined,
    tz: c.req.query('tz') || DEFAULT_ZONE,
  })
  const today = todayIn(query.tz, now)
  if (query.period === 'custom' && (query.from || query.to)) {
    const to = query.to ?? today
    const from = query.from ?? addDays(to, -29)
    const t = words(lang(c))
    if (from > to) throw new ApiError('validation_failed', t.rangeBackwards, { localized: true })
    if (from < addDays(to, -(MAX_DAYS - 1)))
      throw new ApiError('validation_failed', t.rangeTooLong(MAX_DAYS), { localized: true })
    return { from, to, period: 'custom', tz: query.tz, days: everyDay(from, to) }
  }
  const period = query.period === 'custom' ? '30' : query.period
  const from = addDays(today, -(Number(period) - 1))
  return { from, to: today, period, tz: query.tz, days: everyDay(from, today) }
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
  c: Context<AppEnv>
  range: ResolvedRange
  csvHref: string
  /** Kept when the period changes. */
  filters?: StatsFilters
  /** More of the page's query to keep (`name=value&…`, plain names and values only). */
  extraQuery?: string
}) {
  const t = words(lang(props.c))
  const { range } = props
  const filters = props.filters ?? {}
  const kept = [filtersQuery(filters), props.extraQuery ?? ''].filter(Boolean).join('&')
  const extra = new URLSearchParams(props.extraQuery ?? '')
  const path = new URL(props.c.req.url).pathname
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
      <p class="muted">
        {t.shownPeriod(range.days.length)}{' '}
        <a href={props.csvHref} download>
          {t.exportStatsCsv}
        </a>
      </p>
    </div>
  )
}
