import { createMiddleware } from 'hono/factory'
import { createRequestDbs } from '../db/client'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { loadConfig } from '../lib/config'

/** The response header that carries a request's D1 round trips when `D1_ROUND_TRIP_HEADER` is on. */
export const ROUND_TRIP_HEADER = 'x-d1-round-trips'

/**
 * Puts what every handler needs on the context once per request: parsed configuration and the
 * drizzle clients.
 *
 * With `D1_ROUND_TRIP_HEADER=true` (tests, benchmarks; never production) every answer carries
 * the number of D1 round trips made before it was produced in `x-d1-round-trips`: the figure
 * that carries over to production, where each is a network round trip to the database. Work
 * deferred past the answer (`waitUntil`, through `deferredDb`) is not in it.
 */
export function appContext() {
  return createMiddleware<AppEnv>(async function appContext(c, next) {
    const config = loadConfig(c.env)
    c.set('config', config)
    const counter = config.D1_ROUND_TRIP_HEADER ? { roundTrips: 0 } : undefined
    const { db, deferredDb } = createRequestDbs(c.env.DB, {
      checkLimits: config.D1_LIMIT_CHECKS,
      roundTrips: counter,
    })
    c.set('db', db)
    c.set('deferredDb', deferredDb)
    await next()
    if (counter) c.res.headers.set(ROUND_TRIP_HEADER, String(counter.roundTrips))
  })
}

/**
 * The id that an error's answer and its log line share: Cloudflare's ray id where there is one.
 * Made when an error first asks for it, as most requests never do.
 */
export function requestIdOf(c: Context<AppEnv>): string {
  let id = c.get('requestId')
  if (id === undefined) c.set('requestId', (id = c.req.header('cf-ray') ?? crypto.randomUUID()))
  return id
}
