import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { localD1File, prepareLocalDatabase, toolEnv } from '../support/worker-server'

const root = path.resolve(import.meta.dirname, '../..')
const scratch = mkdtempSync(path.join(tmpdir(), 'migrations-drift-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The migration files in the order wrangler applies them: by their number (all are numbered). */
function migrationFiles(): string[] {
  return readdirSync(path.join(root, 'migrations'))
    .filter((name) => name.endsWith('.sql'))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || (a < b ? -1 : 1))
}

describe('migrations', () => {
  it('match the drizzle schema: drizzle-kit generate finds nothing new to migrate', () => {
    const copy = path.join(scratch, 'migrations')
    cpSync(path.join(root, 'migrations'), copy, { recursive: true })
    const before = readdirSync(copy).sort()
    const run = spawnSync(
      path.join(root, 'node_modules/.bin/drizzle-kit'),
      [
        'generate',
        '--dialect',
        'sqlite',
        '--schema',
        path.join(root, 'src/db/schema'),
        '--out',
        path.relative(root, copy),
      ],
      { cwd: root, encoding: 'utf8' },
    )
    const output = run.stdout + run.stderr
    expect(run.status, output).toBe(0)
    expect(readdirSync(copy).sort(), `schema.ts changed without a migration:\n${output}`).toEqual(
      before,
    )
    expect(output).toMatch(/No schema changes/)
  })

  it("applied locally in one go build the database their files build one by one, in wrangler's own bookkeeping", () => {
    const oneByOne = path.join(scratch, 'one-by-one')
    const inOneGo = path.join(scratch, 'in-one-go')
    const wrangler = (...args: string[]) => {
      const run = spawnSync('wrangler', args, { cwd: root, env: toolEnv, encoding: 'utf8' })
      expect(run.status, run.stdout + run.stderr).toBe(0)
      return run.stdout + run.stderr
    }
    const files = migrationFiles()
    // wrangler makes the database and its table of applied migrations, in its own words, and
    // finds every migration pending...
    const listed = wrangler('d1', 'migrations', 'list', 'DB', '--local', '--persist-to', oneByOne)
    for (const name of files) expect(listed).toContain(name)
    // ...then each file is applied on its own, in wrangler's order, and recorded as wrangler
    // records it. (wrangler's own \`apply\` starts a local runtime for each migration: over a
    // minute for this history on two busy cores, and the list only grows.)
    const db = new DatabaseSync(localD1File(oneByOne))
    try {
      for (const name of files) {
        db.exec(readFileSync(path.join(root, 'migrations', name), 'utf8'))
        db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(name)
      }
    } finally {
      db.close()
    }
    prepareLocalDatabase(['--local', '--persist-to', inOneGo])

    const schema = (state: string) => {
      const db = new DatabaseSync(localD1File(state), { readOnly: true })
      try {
        return {
          objects: db
            .prepare(
              "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name",
            )
            .all(),
          migrations: db.prepare('select id, name from d1_migrations order by id').all(),
        }
      } finally {
        db.close()
      }
    }
    const built = schema(inOneGo)
    expect(built.migrations.map((row) => row.name)).toEqual(files)
    expect(built).toEqual(schema(oneByOne))
    expect(
      wrangler('d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', inOneGo),
    ).toContain('No migrations to apply')
    // Applied again, nothing is pending: the database is as it was.
    prepareLocalDatabase(['--local', '--persist-to', inOneGo])
    expect(schema(inOneGo)).toEqual(built)
  }, 360_000)

  it('move a STOP recorded under the older form of a Mexican or Brazilian WhatsApp id to the number the forms store', () => {
    const db = new DatabaseSync(':memory:')
    const files = migrationFiles()
    const apply = (name: string) =>
      db.exec(
        readFileSync(path.join(root, 'migrations', name), 'utf8')
          .split('--> statement-breakpoint')
          .join('\n'),
      )
    const last = files.indexOf('0049_opt_choices_finished.sql')
    for (const name of files.slice(0, last)) apply(name)
    const insert = db.prepare(
      'insert into marketing_preferences (phone, value, timestamp, applied, held_in_whatsapp) values (?, ?, ?, 1, ?)',
    )
    // Before the fix, a STOP from such an account was recorded under its id as it came.
    insert.run('+5215512345678', 'stop', 2_000, 0)
    insert.run('+551187654321', 'stop', 2_000, 1)
    // Where the number has a choice of its own too, the newer of the two stands.
    insert.run('+5215587654321', 'stop', 3_000, 0)
    insert.run('+525587654321', 'resume', 1_000, 0)
    insert.run('+5215511112222', 'stop', 1_000, 0)
    insert.run('+525511112222', 'resume', 3_000, 0)
    // Numbers valid as they are stay as they are: a current Brazilian mobile, a landline, others.
    insert.run('+5511912345678', 'stop', 2_000, 0)
    insert.run('+551123456789', 'stop', 2_000, 0)
    insert.run('+4915112345678', 'stop', 2_000, 0)
    for (const name of files.slice(last)) apply(name)
    const rows = db
      .prepare(
        'select phone, value, timestamp, applied, held_in_whatsapp as held from marketing_preferences order by phone',
      )
      .all()
    expect(rows).toEqual([
      { phone: '+4915112345678', value: 'stop', timestamp: 2_000, applied: 1, held: 0 },
      { phone: '+525511112222', value: 'resume', timestamp: 3_000, applied: 1, held: 0 },
      { phone: '+525512345678', value: 'stop', timestamp: 2_000, applied: 0, held: 0 },
      { phone: '+525587654321', value: 'stop', timestamp: 3_000, applied: 0, held: 0 },
      { phone: '+551123456789', value: 'stop', timestamp: 2_000, applied: 1, held: 0 },
      { phone: '+5511912345678', value: 'stop', timestamp: 2_000, applied: 1, held: 0 },
      { phone: '+5511987654321', value: 'stop', timestamp: 2_000, applied: 0, held: 1 },
    ])
    db.close()
  })
})
