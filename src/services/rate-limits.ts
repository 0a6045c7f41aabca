import { sql } from 'drizzle-orm'
import type { Database } from '../db/client'
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
 * one upsert per limit, in one batch, so the count is exact under concurrency). Joins are rare
 * next to page views, so a write per attempt is affordable, and unlike the Workers
 * rate-limiting binding it allows windows of ten minutes or an hour and is exact.
 */
export async function countAttempt(
  db: Database,
  limits: RateLimit[],
  now: Date,
): Promise<ExceededLimit[]> {
  const [first, ...rest] = attemptStatements(db.$client, limits, now)
  if (!first) return []
  return exceededLimits(limits, await db.$client.batch([first, ...rest]), now)
}

/**
 * One attempt counted in a limit's window (?1 its key, ?2 the window's start), answering the
 * window's count so far. Plain SQL made once: it runs on every join.
 */
const COUNT_ATTEMPT = `insert into rate_limits (key, window_start, count) values (?1, ?2, 1)
  on conflict (key, window_start) do update set count = count + 1
  returning count`

/** The upserts that count one attempt against each limit, to run in a batch (see above). */
export function attemptStatements(
  client: D1Database,
  limits: RateLimit[],
  now: Date,
): D1PreparedStatement[] {
  return limits.map((limit) =>
    client.prepare(COUNT_ATTEMPT).bind(limit.key, windowStartOf(limit, now)),
  )
}

/** The limits that `attemptStatements`' results (in the same order) show exceeded. */
export function exceededLimits(
  limits: RateLimit[],
  counts: D1Result[],
  now: Date,
): ExceededLimit[] {
  const countOf = (i: number) => (counts[i]?.results[0] as { count: number } | undefined)?.count
  return limits
    .filter((limit, i) => (countOf(i) ?? 0) > limit.limit)
    .map((limit) => ({
      ...limit,
      retryAfter: Math.ceil(
        (windowStartOf(limit, now) + limit.windowSeconds * 1000 - now.getTime()) / 1000,
      ),
    }))
}

function windowStartOf(limit: RateLimit, now: Date): number {
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

/** Deletes windows that have ended (run by the scheduled job). */
export async function pruneRateLimits(db: Database, now: Date): Promise<void> {
  await db.delete(rateLimits).where(sql`${rateLimits.windowStart} < ${now.getTime() - 86400_000}`)
}
