import { sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteDailyStats } from '../db/schema'
import { cohortMeasures } from './stats-periods'

/**
 * What Telegram itself saw, apart from what our own forms saw: joins and leaves it reported
 * through our links, and, of the people who joined on a day (a cohort), how many were still in
 * the chat 7 and 30 days later. Read from the same rollup rows as the rest of the stats.
 */

const d = inviteDailyStats

/** Verified retention, shaped as the funnel's retention is (so it reads the same way). */
export interface VerifiedFigures {
  /** Joins Telegram reported through the links, in the period. */
  joins: number
  /** Leaves Telegram reported, on the day they happened. */
  leaves: number
  firstJoinDay: string | null
  joinedAtLeast7DaysAgo: number
  stayed7Days: number
  joinedAtLeast30DaysAgo: number
  stayed30Days: number
}

/** Telegram's joins and leaves, and its cohorts' retention, measured as the funnel's are. */
function verifiedMeasures(today: string) {
  return {
    joins: sql<number>`coalesce(sum(${d.verifiedJoins}), 0)`.as('v_joins'),
    leaves: sql<number>`coalesce(sum(${d.verifiedLeaves}), 0)`.as('v_leaves'),
    ...cohortMeasures(
      today,
      d.day,
      {
        joins: d.verifiedJoins,
        leftWithin7Days: d.verifiedLeftWithin7Days,
        leftWithin30Days: d.verifiedLeftWithin30Days,
      },
      'v',
    ),
  }
}

/** The verified figures of the rollup rows under `where`: one row. */
export function verifiedQuery(db: Database, where: SQL, today: string) {
  return db.select(verifiedMeasures(today)).from(d).where(where)
}

/** Per day, of that day's verified joins: how many left within 7 and 30 days (for the CSV). */
export const verifiedCohortMeasures = {
  verifiedLeftWithin7Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin7Days}), 0)`,
  verifiedLeftWithin30Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin30Days}), 0)`,
}

/** The stats API's verified retention: the counts, and the shares (null until measurable). */
export function verifiedRetentionAnswer(f: VerifiedFigures) {
  const share = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null
  return {
    observedBy: 'telegram' as const,
    joins: f.joins,
    joinedAtLeast7DaysAgo: f.joinedAtLeast7DaysAgo,
    stayed7Days: f.stayed7Days,
    retention7Days: share(f.stayed7Days, f.joinedAtLeast7DaysAgo),
    joinedAtLeast30DaysAgo: f.joinedAtLeast30DaysAgo,
    stayed30Days: f.stayed30Days,
    retention30Days: share(f.stayed30Days, f.joinedAtLeast30DaysAgo),
    firstJoinDay: f.firstJoinDay,
  }
}
