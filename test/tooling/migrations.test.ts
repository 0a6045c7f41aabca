import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { localD1File, prepareLocalDatabase, toolEnv } from '../support/worker-server'

const root = path.resolve(import.meta.dirname, '../..')
const scratch = mkdtempSync(path.join(tmpdir(), 'migrations-drift-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

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

  it('applied locally in one go build the database wrangler builds one by one, and wrangler finds none pending', () => {
    const oneByOne = path.join(scratch, 'one-by-one')
    const inOneGo = path.join(scratch, 'in-one-go')
    const wrangler = (...args: string[]) => {
      const run = spawnSync('wrangler', args, { cwd: root, env: toolEnv, encoding: 'utf8' })
      expect(run.status, run.stdout + run.stderr).toBe(0)
      return run.stdout + run.stderr
    }
    wrangler('d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', oneByOne)
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
    expect(built.migrations).toHaveLength(
      readdirSync(path.join(root, 'migrations')).filter((name) => name.endsWith('.sql')).length,
    )
    expect(built).toEqual(schema(oneByOne))
    expect(
      wrangler('d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', inOneGo),
    ).toContain('No migrations to apply')
    // Applied again, nothing is pending: the database is as it was.
    prepareLocalDatabase(['--local', '--persist-to', inOneGo])
    expect(schema(inOneGo)).toEqual(built)
    // wrangler starts a local runtime for each migration it applies: about 1.5 s each alone,
    // over 2.5 s on a machine running the rest of the suite beside it, and the list only grows.
  }, 360_000)
})
