import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { addDays } from '../../lib/time'
import { TimeZoneSchema } from '../../schemas/common'
import { StatsDay } from '../../schemas/stats'
import { words } from '../../views/dashboard/shell'
import { PERIODS, type ResolvedRange } from '../../views/dashboard/stats-range'
import { lang } from './page'

const MAX_DAYS = 366
const DEFAULT_ZONE = 'Europe/Berlin'

const Day = StatsDay
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
 * back to front is shown the right way round, and one longer than a year as the year up to its
 * end; either way the page says so above its figures (`corrected`), rather than showing an error
 * in place of the page.
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
    const t = words(lang(c))
    let to = query.to ?? today
    let from = query.from ?? addDays(to, -29)
    let corrected: string | undefined
    if (from > to) {
      ;[from, to] = [to, from]
      corrected = t.rangeBackwards
    }
    if (from < addDays(to, -(MAX_DAYS - 1))) {
      from = addDays(to, -(MAX_DAYS - 1))
      corrected = t.rangeTooLong(MAX_DAYS)
    }
    return { from, to, period: 'custom', tz: query.tz, days: everyDay(from, to), corrected }
  }
  const period = query.period === 'custom' ? '30' : query.period
  const from = addDays(today, -(Number(period) - 1))
  return { from, to: today, period, tz: query.tz, days: everyDay(from, today) }
}
