import {
  createTableRelationsHelpers,
  type ExtractTablesWithRelations,
  extractTablesRelationalConfig,
  type RelationalSchemaConfig,
  type TableRelationalConfig,
} from 'drizzle-orm'
import { drizzle, DrizzleD1Database, SQLiteD1Session } from 'drizzle-orm/d1'
import { SQLiteAsyncDialect, type SQLiteTable } from 'drizzle-orm/sqlite-core'
import { RelationalQueryBuilder } from 'drizzle-orm/sqlite-core/query-builders/query'
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
  /** Counts the invocation's D1 round trips (`round-trips.ts`), for the job logs. */
  roundTrips?: RoundTripCounter
}

type Drizzle = ReturnType<typeof drizzle<typeof schema>>

/** SQL generation holds no per-client state: one dialect serves every client. */
const dialect = new SQLiteAsyncDialect()

/** The relational view of the schema (`db.query.*`): the same for every client, so made once. */
let relationalSchema: RelationalSchemaConfig<ExtractTablesWithRelations<typeof schema>> | undefined

/**
 * `drizzle(client, { schema })` as drizzle-orm's own D1 driver builds it, but with the schema's
 * relational view made once per isolate instead of once per client, and its per-table query
 * builders (`db.query.*`) made on first use. Every request makes its own clients (each with its
 * own counters), and drizzle's constructor builds a relational builder for every table each
 * time: on the hot path (a cached landing page or QR code, a webhook) no query runs at all, yet
 * that was the largest single cost of such a request in a CPU profile of the Worker.
 */
function drizzleOver(client: D1Database): Drizzle {
  if (!relationalSchema) {
    const tables = extractTablesRelationalConfig<ExtractTablesWithRelations<typeof schema>>(
      schema,
      createTableRelationsHelpers,
    )
    relationalSchema = {
      fullSchema: schema,
      schema: tables.tables,
      tableNamesMap: tables.tableNamesMap,
    }
  }
  const view = relationalSchema
  const session = new SQLiteD1Session(client, dialect, view, {})
  // Without the schema the constructor builds no relational builders; they come on first use.
  const db = new DrizzleD1Database('async', dialect, session, undefined) as unknown as Drizzle
  Object.assign(db, {
    _: { schema: view.schema, fullSchema: view.fullSchema, tableNamesMap: view.tableNamesMap },
    query: relationalQueries(view, session),
  })
  db.$client = client
  return db
}

/**
 * `db.query.<table>` for every table, as drizzle's constructor makes them, each made when first
 * asked for. A proxy, as a getter defined on each client showed in CPU profiles itself.
 */
function relationalQueries(
  view: NonNullable<typeof relationalSchema>,
  session: SQLiteD1Session<Record<string, unknown>, ExtractTablesWithRelations<typeof schema>>,
): Drizzle['query'] {
  const tables: Record<string, TableRelationalConfig> = view.schema
  const made: Record<string, unknown> = {}
  return new Proxy(made, {
    get(_, name) {
      if (typeof name !== 'string' || !Object.hasOwn(tables, name)) return undefined
      return (made[name] ??= new RelationalQueryBuilder(
        'async',
        view.fullSchema,
        view.schema,
        view.tableNamesMap,
        view.fullSchema[name as keyof typeof schema] as SQLiteTable,
        tables[name]!,
        dialect,
        session,
      ))
    },
  }) as Drizzle['query']
}

export function createDb(d1: D1Database, options: DbOptions = {}) {
  const limited = limitedD1(d1, options)
  return drizzleOver(options.roundTrips ? countRoundTrips(limited, options.roundTrips) : limited)
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
  const deferredDb = drizzleOver(limited)
  if (!options.roundTrips) return { db: deferredDb, deferredDb }
  return { db: drizzleOver(countRoundTrips(limited, options.roundTrips)), deferredDb }
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
