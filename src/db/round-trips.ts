/**
 * Round trips to D1, counted the way they cost in production: every call is a request over the
 * network to the database's primary, so what a page waits on is the number of calls, not the
 * number of statements. A statement run on its own (`first`, `all`, `run`, `raw`) is one round
 * trip, a `batch()` is one however many statements it holds, and so is an `exec()`. Preparing and
 * binding a statement costs nothing until it runs.
 */
export interface RoundTripCounter {
  roundTrips: number
}

/** The D1 binding with every round trip added to `counter`; results are unchanged. */
export function countRoundTrips(d1: D1Database, counter: RoundTripCounter): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => new CountedStatement(target.prepare(sql), counter)
      }
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          counter.roundTrips += 1
          return target.batch(
            statements.map((statement) =>
              statement instanceof CountedStatement ? statement.inner : statement,
            ),
          )
        }
      }
      if (property === 'exec') {
        return (sql: string) => {
          counter.roundTrips += 1
          return target.exec(sql)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

class CountedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly counter: RoundTripCounter,
  ) {}

  bind(...values: unknown[]): CountedStatement {
    return new CountedStatement(this.inner.bind(...values), this.counter)
  }

  first(column?: string) {
    this.counter.roundTrips += 1
    return column === undefined ? this.inner.first() : this.inner.first(column)
  }

  all() {
    this.counter.roundTrips += 1
    return this.inner.all()
  }

  run() {
    this.counter.roundTrips += 1
    return this.inner.run()
  }

  raw(options?: { columnNames?: boolean }) {
    this.counter.roundTrips += 1
    return options?.columnNames ? this.inner.raw({ columnNames: true }) : this.inner.raw()
  }
}
