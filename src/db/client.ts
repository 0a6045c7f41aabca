import { drizzle } from 'drizzle-orm/d1'
import { checkedD1, type QueryCounter } from './d1-limits'
import * as schema from './schema'

export type Database = ReturnType<typeof createDb>
export type { QueryCounter }

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
  const client = options.checkLimits
    ? checkedD1(d1, options.counter)
    : options.counter
      ? countingD1(d1, options.counter)
      : d1
  return drizzle(client, { schema })
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
