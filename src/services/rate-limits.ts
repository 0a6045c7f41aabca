import { sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { textByRowCount } from '../db/rows'
import { rateLimits } from '../db/schema'
import { ApiError } from '../lib/errors'

export interface RateLimit {
  /** What is limited, e.g. `join:phone:<keyed hash>`. */
  key: string
  limit: number
  windowSeconds: number
}

export interface ExceededLimit extends RateLimit {
  /** Seconds until the window that was exceeded ends. */
  retryAfter: number
}

/**
 * Counts one attempt against each limit and answers which were exceeded (fixed windows in D1:
 * one upsert for all the limits, so the count is exact under concurrency). Joins are rare next to
 * page views, so a write per attempt is affordable, and unlike the Workers rate-limiting binding
 * it allows windows of ten minutes or an hour and is exact.
 */
export async function countAttempt(
  db: Database,
  limits: RateLimit[],
  now: Date,
): Promise<ExceededLimit[]> {
  const [statement] = attemptStatements(db.$client, limits, now)
  if (!statement) return []
  return exceededLimits(limits, await db.$client.batch([statement]), now)
}

/**
 * One attempt counted in each limit's window (a key and the window's start per row), answering
 * each window's count so far. One statement for every limit of a join: each statement of a
 * batch costs the database a round of its own work.
 */
const countAttemptsSql = textByRowCount(
  '(?, ?, 1)',
  (values) => `insert into rate_limits (key, window_start, count) values ${values}
   on conflict (key, window_start) do update set count = count + 1
   returning key, window_start as windowStart, count`,
)

/**
 * The upsert that counts one attempt against each limit, to run in a batch (see above): one
 * statement, or none without limits.
 */
export function attemptStatements(
  client: D1Database,
  limits: RateLimit[],
  now: Date,
): D1PreparedStatement[] {
  if (limits.length === 0) return []
  const values = limits.flatMap((limit) => [limit.key, windowStartOf(limit, now)])
  return [client.prepare(countAttemptsSql(limits.length)).bind(...values)]
}

/** The limits that `attemptStatements`' result (RETURNING rows come in no set order) shows exceeded. */
export function exceededLimits(
  limits: RateLimit[],
  [counted]: D1Result[],
  now: Date,
): ExceededLimit[] {
  const rows = (counted?.results ?? []) as Array<{
    key: string
    windowStart: number
    count: number
  }>
  const countOf = (limit: RateLimit) =>
    rows.find((row) => row.key === limit.key && row.windowStart === windowStartOf(limit, now))
      ?.count
  return limits
    .filter((limit) => (countOf(limit) ?? 0) > limit.limit)
    .map((limit) => ({
      ...limit,
      retryAfter: Math.ceil(
        (windowStartOf(limit, now) + limit.windowSeconds * 1000 - now.getTime()) / 1000,
      ),
    }))
}

/** When the window of `limit` that `now` falls in began, as the counters key it. */
export function windowStartOf(limit: RateLimit, now: Date): number {
  const size = limit.windowSeconds * 1000
  return Math.floor(now.getTime() / size) * size
}

/** The 429 for exceeded limits, with the longest wait as Retry-After. */
export function tooManyAttempts(exceeded: Array<{ retryAfter: number }>): ApiError {
  const retryAfter = Math.max(1, ...exceeded.map((limit) => limit.retryAfter))
  return new ApiError(
    'rate_limited',
    `Too many attempts. Please try again in ${retryAfter} seconds.`,
    { headers: { 'retry-after': String(retryAfter) } },
  )
}

/**
 * Takes back an attempt counted at `countedAt` against each limit (for one that turned out to be
 * no guess, such as a right sign-in): counting first keeps a limit exact under concurrency, and
 * giving back afterwards lets it weigh only the attempts it is there for. One statement.
 */
export async function giveBackAttempts(
  db: Database,
  limits: RateLimit[],
  countedAt: Date,
): Promise<void> {
  if (limits.length === 0) return
  const windows = limits.map(() => '(key = ? and window_start = ?)').join(' or ')
  await db.$client
    .prepare(`update rate_limits set count = count - 1 where count > 0 and (${windows})`)
    .bind(...limits.flatMap((limit) => [limit.key, windowStartOf(limit, countedAt)]))
    .run()
}

/** Deletes windows that have ended (run by the scheduled job). */
export async function pruneRateLimits(db: Database, now: Date): Promise<void> {
  await db.delete(rateLimits).where(sql`${rateLimits.windowStart} < ${now.getTime() - 86400_000}`)
}
