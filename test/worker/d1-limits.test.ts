import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { checkedD1, D1LimitError } from '../../src/db/d1-limits'
import { createDb } from '../../src/db/client'
import { communities } from '../../src/db/schema'
import { like } from 'drizzle-orm'

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ')
const numbers = (n: number) => Array.from({ length: n }, (_, i) => i)

// The table is empty on purpose: local D1 measures a LIKE pattern only when a row is compared
// with it, so without the checks these statements would pass here and fail in production.
const EMPTY = 'create table if not exists limit_probe (name text)'

describe('the checked D1 binding', () => {
  it('runs statements within the limits and returns their results', async () => {
    const db = checkedD1(env.DB)
    const row = await db
      .prepare(`select count(*) as n from (select 1 where 1 in (${placeholders(100)}))`)
      .bind(...numbers(100))
      .first<{ n: number }>()
    expect(row?.n).toBe(1)
    const [a, b] = await db.batch([
      db.prepare('select ?1 as v').bind('a'),
      db.prepare('select ?1 as v').bind('b'),
    ])
    expect(a!.results).toEqual([{ v: 'a' }])
    expect(b!.results).toEqual([{ v: 'b' }])
  })

  it('refuses more than 100 bound parameters, naming the limit and the SQL', async () => {
    const db = checkedD1(env.DB)
    const sql = `select 1 where 1 in (${placeholders(101)})`
    expect(() => db.prepare(sql).bind(...numbers(101))).toThrow(D1LimitError)
    expect(() => db.prepare(sql).bind(...numbers(101))).toThrow(
      /101 bound parameters in one statement \(at most 100\)\. SQL: select 1 where 1 in \(\?, \?/,
    )
  })

  it('refuses LIKE and GLOB patterns over 50 bytes, even when no row is compared', async () => {
    await env.DB.prepare(EMPTY).run()
    const db = checkedD1(env.DB)
    const probe = (op: string, pattern: string) =>
      db.prepare(`select * from limit_probe where name ${op} ?`).bind(pattern).all()
    await expect(probe('like', 'x'.repeat(50))).resolves.toBeTruthy()
    expect(() => db.prepare('select 1 where ? like ?1').bind('x'.repeat(51))).toThrow(
      /a LIKE pattern of 51 bytes \(at most 50\)/,
    )
    // Bytes, not characters: 26 umlauts are 52 bytes.
    await expect(async () => probe('like', 'ü'.repeat(26))).rejects.toThrow(/52 bytes/)
    await expect(async () => probe('GLOB', '*'.repeat(51))).rejects.toThrow(/GLOB pattern of 51/)
    // A pattern built in SQL from a bound value and literals is measured whole.
    expect(() =>
      db
        .prepare(`select * from limit_probe where name like '%' || ? || '%' escape '\\'`)
        .bind('y'.repeat(49)),
    ).toThrow(/LIKE pattern of 51 bytes/)
    expect(() => db.prepare(`select 1 where 'a' like '${'z'.repeat(51)}'`)).toThrow(D1LimitError)
    // A question mark inside a string literal is not a parameter.
    await expect(
      db.prepare(`select * from limit_probe where name = '?' and name like ?`).bind('short').all(),
    ).resolves.toBeTruthy()
  })

  it('checks the statements drizzle builds, as the Worker runs them', async () => {
    const db = createDb(env.DB, { checkLimits: true })
    const error = await db
      .select()
      .from(communities)
      .where(like(communities.slug, `${'a'.repeat(60)}-%`))
      .then(() => null)
      .catch((error: unknown) => error)
    expect((error as Error).cause).toBeInstanceOf(D1LimitError)
    expect(String((error as Error).cause)).toMatch(/LIKE pattern of 62 bytes/)
  })

  it('refuses a statement over 100 KB', () => {
    const db = checkedD1(env.DB)
    expect(() => db.prepare(`select '${'x'.repeat(100_000)}'`)).toThrow(
      /a statement of 100009 bytes \(at most 100000\)/,
    )
  })

  it('refuses the 1,001st query of one invocation; a batch is one query, as D1 counts', async () => {
    const counter = { queries: 0 }
    const db = checkedD1(env.DB, counter)
    const statements = Array.from({ length: 50 }, () => db.prepare('select 1'))
    for (let i = 0; i < 10; i++) await db.batch(statements)
    for (let i = 0; i < 990; i++) await db.prepare('select 1').first()
    // The statements are counted for the logs: 10 batches of 50 and 990 on their own.
    expect(counter.queries).toBe(1490)
    await expect(async () => db.prepare('select 1').all()).rejects.toThrow(
      /more than 1000 queries in one invocation \(this is query 1001\)/,
    )
    // A new invocation (a new client) starts counting again.
    await expect(checkedD1(env.DB).prepare('select 1').all()).resolves.toBeTruthy()
    // 1,500 statements: counted, not timed, so a busy machine gets the time it needs.
  }, 60_000)
})
