import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

export type Database = ReturnType<typeof createDb>

/** Counts the D1 statements an invocation prepares (each one runs once), for the job logs. */
export interface QueryCounter {
  queries: number
}

export function createDb(d1: D1Database, counter?: QueryCounter) {
  return drizzle(counter ? countingD1(d1, counter) : d1, { schema })
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
