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
  if (limits.length === 0) return []
  const windows = limits.map((limit) => {
    const size = limit.windowSeconds * 1000
    return { ...limit, windowStart: Math.floor(now.getTime() / size) * size }
  })
  const upserts = windows.map((w) =>
    db
      .insert(rateLimits)
      .values({ key: w.key, windowStart: w.windowStart, count: 1 })
      .onConflictDoUpdate({
        target: [rateLimits.key, rateLimits.windowStart],
        set: { count: sql`${rateLimits.count} + 1` },
      })
      .returning({ count: rateLimits.count }),
  )
  const counts = await db.batch(upserts as [(typeof upserts)[number], ...typeof upserts])
  return windows
    .filter((w, i) => (counts[i]?.[0]?.count ?? 0) > w.limit)
    .map(({ windowStart, ...limit }) => ({
      ...limit,
      retryAfter: Math.ceil((windowStart + limit.windowSeconds * 1000 - now.getTime()) / 1000),
    }))
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
