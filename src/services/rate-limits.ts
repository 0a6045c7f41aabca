import { sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { rateLimits } from '../db/schema'
import { ApiError } from '../lib/errors'

export interface RateLimit {
  /** What is limited, e.g. `join:visitor:<hash>`. */
  key: string
  limit: number
  windowSeconds: number
}

/**
 * Counts one attempt against each limit (fixed windows in D1: one upsert per limit, in one
 * batch, so the count is exact under concurrency) and refuses with 429 and Retry-After when any
 * is exceeded. Joins are rare next to page views, so a write per attempt is affordable, and
 * unlike the Workers rate-limiting binding it allows windows of an hour and is exact.
 */
export async function consumeRateLimits(
  db: Database,
  limits: RateLimit[],
  now: Date,
): Promise<void> {
  if (limits.length === 0) return
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
  const exceeded = windows.filter((w, i) => (counts[i]?.[0]?.count ?? 0) > w.limit)
  if (exceeded.length > 0) {
    const retryAfter = Math.max(
      ...exceeded.map((w) =>
        Math.ceil((w.windowStart + w.windowSeconds * 1000 - now.getTime()) / 1000),
      ),
    )
    throw new ApiError(
      'rate_limited',
      `Too many attempts. Please try again in ${retryAfter} seconds.`,
      {
        headers: { 'retry-after': String(retryAfter) },
      },
    )
  }
}

/** Deletes windows that have ended (run by the scheduled job). */
export async function pruneRateLimits(db: Database, now: Date): Promise<void> {
  await db.delete(rateLimits).where(sql`${rateLimits.windowStart} < ${now.getTime() - 86400_000}`)
}
