import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

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
})
