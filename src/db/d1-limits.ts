/**
 * D1's documented limits, checked on every statement before it reaches the database.
 *
 * Local D1 enforces some of these only when the data makes them bite (a LIKE pattern is measured
 * when a row is compared with it, a long list of ids is only bound once there are many rows) and
 * does not count queries per invocation at all. With the checks on, a statement past a limit
 * fails at once, whatever the data, with an error naming the limit and the SQL: the tests and
 * `npm run dev` turn them on with `D1_LIMIT_CHECKS=true`; production leaves them off.
 */
export const D1_LIMITS = {
  /** Bound parameters in one statement. */
  boundParameters: 100,
  /** Bytes in one LIKE or GLOB pattern. */
  patternBytes: 50,
  /** Bytes of SQL in one statement. */
  statementBytes: 100_000,
  /**
   * Queries in one Worker invocation (Workers Paid; 50 on the free plan). D1 counts them as
   * subrequests: a statement run on its own is one, a batch is one however many it holds.
   */
  queriesPerInvocation: 1000,
} as const

export type D1Limits = { [K in keyof typeof D1_LIMITS]: number }

/** A statement that D1 would refuse (or that would refuse to run once the data grows). */
export class D1LimitError extends Error {
  constructor(limit: string, sql: string) {
    const shown = sql.replace(/\s+/g, ' ').trim()
    super(
      `D1 limit exceeded: ${limit}. SQL: ${shown.length > 300 ? shown.slice(0, 300) + '…' : shown}`,
    )
    this.name = 'D1LimitError'
    // Loud even where a caller catches and retries (the cron steps, the queue consumers).
    console.error(this.message)
  }
}

/** Counts the queries of one invocation; shared with the jobs' log lines. */
export interface QueryCounter {
  queries: number
}

const encoder = new TextEncoder()
const bytes = (value: string) => encoder.encode(value).length

/**
 * The D1 binding with each limit checked: `prepare`, `bind`, the run methods, `batch` and `exec`
 * throw a `D1LimitError` before a statement past a limit is sent. Every statement run through it
 * (each one of a batch too) is added to `counter`.
 */
export function checkedD1(
  d1: D1Database,
  counter: QueryCounter = { queries: 0 },
  limits: D1Limits = D1_LIMITS,
): D1Database {
  let calls = 0
  // `counter` counts statements (the jobs log them); the limit counts calls to D1.
  const count = (statements: number, sql: string) => {
    counter.queries += statements
    calls += 1
    if (calls > limits.queriesPerInvocation) {
      throw new D1LimitError(
        `more than ${limits.queriesPerInvocation} queries in one invocation (this is query ${calls})`,
        sql,
      )
    }
  }
  const wrap = (sql: string, statement: D1PreparedStatement): D1PreparedStatement =>
    new CheckedStatement(sql, statement, limits, count) as unknown as D1PreparedStatement
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          checkStatementSize(sql, limits)
          checkPatterns(sql, [], limits)
          return wrap(sql, target.prepare(sql))
        }
      }
      if (property === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const inner = statements.map((statement) => {
            if (!(statement instanceof CheckedStatement)) return statement
            return statement.inner
          })
          const first = statements[0]
          count(statements.length, first instanceof CheckedStatement ? first.sql : 'batch')
          return target.batch(inner)
        }
      }
      if (property === 'exec') {
        return async (sql: string) => {
          checkStatementSize(sql, limits)
          count(1, sql)
          return target.exec(sql)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

class CheckedStatement {
  constructor(
    readonly sql: string,
    readonly inner: D1PreparedStatement,
    private readonly limits: D1Limits,
    private readonly count: (statements: number, sql: string) => void,
  ) {}

  bind(...values: unknown[]): CheckedStatement {
    if (values.length > this.limits.boundParameters) {
      throw new D1LimitError(
        `${values.length} bound parameters in one statement (at most ${this.limits.boundParameters})`,
        this.sql,
      )
    }
    checkPatterns(this.sql, values, this.limits)
    return new CheckedStatement(this.sql, this.inner.bind(...values), this.limits, this.count)
  }

  first(column?: string) {
    this.count(1, this.sql)
    return column === undefined ? this.inner.first() : this.inner.first(column)
  }

  all() {
    this.count(1, this.sql)
    return this.inner.all()
  }

  run() {
    this.count(1, this.sql)
    return this.inner.run()
  }

  raw(options?: { columnNames?: boolean }) {
    this.count(1, this.sql)
    return options?.columnNames ? this.inner.raw({ columnNames: true }) : this.inner.raw()
  }
}

function checkStatementSize(sql: string, limits: D1Limits) {
  const size = bytes(sql)
  if (size > limits.statementBytes) {
    throw new D1LimitError(`a statement of ${size} bytes (at most ${limits.statementBytes})`, sql)
  }
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'param'; index: number }
  | { kind: 'string'; value: string }
  | { kind: 'symbol'; text: string }

/**
 * The operand after each LIKE or GLOB: bound values (`?`, `?NNN`) and string literals, joined by
 * `||`, are measured in bytes. An operand computed from columns cannot be known before it runs
 * and is left alone.
 */
function checkPatterns(sql: string, values: unknown[], limits: D1Limits) {
  const tokens = tokenize(sql)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind !== 'word' || !/^(like|glob)$/i.test(token.text)) continue
    // A lower bound: parameters not bound yet and operands computed from columns count as 0.
    let size = 0
    for (let j = i + 1; ; j += 2) {
      const operand = tokens[j]
      if (operand?.kind === 'param') {
        const value = values[operand.index - 1]
        size += value === null || value === undefined ? 0 : bytes(String(value))
      } else if (operand?.kind === 'string') {
        size += bytes(operand.value)
      } else break
      const next = tokens[j + 1]
      if (next?.kind !== 'symbol' || next.text !== '||') break
    }
    if (size > limits.patternBytes) {
      throw new D1LimitError(
        `a ${token.text.toUpperCase()} pattern of ${size} bytes (at most ${limits.patternBytes})`,
        sql,
      )
    }
  }
}

/** Just enough of SQLite's lexer to find parameters, string literals and keywords. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let nextIndex = 1
  let i = 0
  while (i < sql.length) {
    const char = sql[i]!
    if (/\s/.test(char)) {
      i++
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
    } else if (char === "'" || char === '"' || char === '`' || char === '[') {
      const close = char === '[' ? ']' : char
      let value = ''
      let j = i + 1
      for (; j < sql.length; j++) {
        if (sql[j] === close) {
          if (close !== ']' && sql[j + 1] === close) {
            value += close
            j++
          } else break
        } else value += sql[j]
      }
      tokens.push(char === "'" ? { kind: 'string', value } : { kind: 'word', text: value })
      i = j + 1
    } else if (char === '?') {
      const digits = /^\d+/.exec(sql.slice(i + 1))?.[0]
      const index = digits ? Number(digits) : nextIndex
      nextIndex = Math.max(nextIndex, index + 1)
      tokens.push({ kind: 'param', index })
      i += 1 + (digits?.length ?? 0)
    } else if (
      (char === ':' || char === '@' || char === '$') &&
      /[A-Za-z_]/.test(sql[i + 1] ?? '')
    ) {
      const name = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))![0]
      tokens.push({ kind: 'param', index: nextIndex++ })
      i += 1 + name.length
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_]\w*/.exec(sql.slice(i))![0]
      tokens.push({ kind: 'word', text: word })
      i += word.length
    } else if (char === '|' && sql[i + 1] === '|') {
      tokens.push({ kind: 'symbol', text: '||' })
      i += 2
    } else {
      tokens.push({ kind: 'symbol', text: char })
      i++
    }
  }
  return tokens
}
