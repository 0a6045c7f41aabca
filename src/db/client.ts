import { drizzle } from 'drizzle-orm/d1'
import { checkedD1, type QueryCounter } from './d1-limits'
import { countRoundTrips, type RoundTripCounter } from './round-trips'
import * as schema from './schema'

export type Database = ReturnType<typeof createDb>
export type { QueryCounter, RoundTripCounter }

export interface DbOptions {
  /** Counts the D1 statements the invocation runs, for the job logs. */
  counter?: QueryCounter
  /**
   * Refuses every statement past D1's limits before it runs (tests and local development, see
   * `D1_LIMIT_CHECKS`). One client per invocation: the query limit counts per client.
   */
  checkLimits?: boolean
}

export function createDb(d1: D1Database, options: DbOptions = {}) {
  return drizzle(limitedD1(d1, options), { schema })
}

function limitedD1(d1: D1Database, options: DbOptions): D1Database {
  return options.checkLimits
    ? checkedD1(d1, options.counter)
    : options.counter
      ? countingD1(d1, options.counter)
      : d1
}

/**
 * The clients of one request: `db` for the work its answer waits on, and `deferredDb` for work
 * that runs after the answer (`waitUntil`: visit logging, notices). With `roundTrips` given,
 * every round trip `db` makes is added to it and the deferred work is left out, so the count
 * is what the answer waited on. Both go through one binding, so D1's per-invocation query limit
 * (with `checkLimits`) counts them together.
 */
export function createRequestDbs(
  d1: D1Database,
  options: { checkLimits?: boolean; roundTrips?: RoundTripCounter } = {},
): { db: Database; deferredDb: Database } {
  const limited = limitedD1(d1, { checkLimits: options.checkLimits })
  const deferredDb = drizzle(limited, { schema })
  if (!options.roundTrips) return { db: deferredDb, deferredDb }
  return { db: drizzle(countRoundTrips(limited, options.roundTrips), { schema }), deferredDb }
}

function countingD1(d1: D1Database, counter: QueryCounter): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          counter.queries += 1
          return target.prepare(query)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
