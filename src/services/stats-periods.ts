import { sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { addDays } from '../lib/time'

/**
 * Of the people who joined on the rollup rows' days (a cohort), the first day with a join and
 * how many were still members 7 and 30 days later. Retention counts only the days at least 7
 * (30) days before `today`: for later joins it is not known yet. `joins` and the leaves within
 * 7 and 30 days are the rollup's columns for the kind of join counted (our forms' or
 * Telegram's); `prefix` keeps the aliases apart from other measures of the same select.
 */
export function cohortMeasures(
  today: string,
  day: SQLiteColumn,
  cohort: { joins: SQLiteColumn; leftWithin7Days: SQLiteColumn; leftWithin30Days: SQLiteColumn },
  prefix: string,
) {
  const old = (cutoff: string, figure: SQL) =>
    sql<number>`coalesce(sum(case when ${day} <= ${cutoff} then ${figure} end), 0)`
  const cutoff7 = addDays(today, -7)
  const cutoff30 = addDays(today, -30)
  const { joins } = cohort
  return {
    firstJoinDay: sql<string | null>`min(case when ${joins} > 0 then ${day} end)`.as(
      `${prefix}_first_join_day`,
    ),
    joinedAtLeast7DaysAgo: old(cutoff7, sql`${joins}`).as(`${prefix}_joined_7`),
    stayed7Days: old(cutoff7, sql`${joins} - ${cohort.leftWithin7Days}`).as(`${prefix}_stayed_7`),
    joinedAtLeast30DaysAgo: old(cutoff30, sql`${joins}`).as(`${prefix}_joined_30`),
    stayed30Days: old(cutoff30, sql`${joins} - ${cohort.leftWithin30Days}`).as(
      `${prefix}_stayed_30`,
    ),
  }
}

/**
 * A period split for the breakdowns: the calendar months the monthly rollup answers whole, and
 * the days left over (ranges of days, in order) that the daily rollup answers.
 */
export interface SplitPeriod {
  months: string[]
  days: Array<[from: string, to: string]>
}

/** The last day of a month ('2026-02' -> '2026-02-28'). */
function lastDayOf(month: string): string {
  return addDays(`${nextMonth(month)}-01`, -1)
}

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  // Four digits, as the days are written: the year 999's next month is 0999-02, not 999-02.
  const yyyy = (n: number) => String(n).padStart(4, '0')
  return m === 12 ? `${yyyy(year + 1)}-01` : `${yyyy(year)}-${String(m + 1).padStart(2, '0')}`
}

/**
 * Which months of `from`..`to` the monthly rollup can stand in for. A month qualifies when the
 * period covers it whole and neither retention cut-off (`today` minus 7 and minus 30 days) falls
 * inside it: retention counts a join only once it is that old, so within a qualifying month
 * every day is on the same side of each cut-off. The rest are days: the period's partial first
 * and last months and the (at most two) months a cut-off falls in.
 */
export function splitPeriod(from: string, to: string, today: string): SplitPeriod {
  const cutoffs = [addDays(today, -7), addDays(today, -30)]
  const months: string[] = []
  const days: Array<[string, string]> = []
  for (let month = from.slice(0, 7); month <= to.slice(0, 7); month = nextMonth(month)) {
    const first = `${month}-01`
    const last = lastDayOf(month)
    const whole = first >= from && last <= to
    const cut = cutoffs.some((cutoff) => first <= cutoff && cutoff < last)
    if (whole && !cut) {
      months.push(month)
      continue
    }
    const start = first < from ? from : first
    const end = last > to ? to : last
    const previous = days.at(-1)
    if (previous && addDays(previous[1], 1) === start) previous[1] = end
    else days.push([start, end])
  }
  return { months, days }
}
