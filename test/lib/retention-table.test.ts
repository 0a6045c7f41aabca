import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * docs/security.md promises that its table "What is kept, and for how long" lists every table of
 * the schema, so that a table holding personal data cannot be added without saying how long it
 * keeps it and what deletes it.
 */

const root = path.join(import.meta.dirname, '..', '..')

function schemaTables(): string[] {
  const folder = path.join(root, 'src', 'db', 'schema')
  return readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [
      ...readFileSync(path.join(folder, file), 'utf8').matchAll(/sqliteTable\(\s*'([a-z_]+)'/g),
    ])
    .map((match) => match[1]!)
    .sort()
}

/** The tables named in the first column of the retention table. */
function tablesInRetentionTable(): Set<string> {
  const doc = readFileSync(path.join(root, 'docs', 'security.md'), 'utf8')
  const section = doc.split('## What is kept, and for how long')[1]!.split('\n## ')[0]!
  const named = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!))
  return new Set(named)
}

describe('the retention table of docs/security.md', () => {
  it('lists every table of the schema', () => {
    const tables = schemaTables()
    expect(tables.length).toBeGreaterThan(30)
    const listed = tablesInRetentionTable()
    expect(tables.filter((table) => !listed.has(table))).toEqual([])
  })
})
