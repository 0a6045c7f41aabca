// Applies the pending D1 migrations to a local database in one go.
//
// `wrangler d1 migrations apply --local` starts a local runtime for each migration (about 0.7 s
// each: 20 s and more for this project's history on a fresh database, on every first
// `npm run dev` and every test that starts from nothing). This applies the pending ones through a
// single `wrangler d1 execute`: one runtime, one transaction, so a migration that fails leaves
// none of them half-applied. Each is recorded in wrangler's own table, as wrangler records it, so
// `wrangler d1 migrations list` and `apply` agree with it afterwards. Remote databases keep
// wrangler's own command (`npm run db:migrate:remote`).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runWranglerForJson, runWranglerQuietly } from './wrangler.mjs'

/** The folder wrangler.toml names as the database's `migrations_dir`. */
const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'migrations')

/** wrangler's table of applied migrations, created in wrangler's words, to the byte. */
const MIGRATIONS_TABLE = [
  'CREATE TABLE IF NOT EXISTS "d1_migrations"(',
  '\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,',
  '\t\tname       TEXT UNIQUE,',
  '\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL',
  ');',
].join('\n')

/**
 * Applies the migrations not yet applied to the local database `where` names (wrangler's location
 * flags: `--local`, `--persist-to <dir>`, `--config <file>`), in wrangler's order. Returns
 * their names.
 */
export function applyLocalMigrations(where = ['--local']) {
  const applied = appliedMigrations(where)
  // The files wrangler takes: `*.sql`, no hidden ones (an editor's lock files), no directories.
  const pending = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && entry.name.endsWith('.sql'))
    .map((entry) => entry.name)
    .filter((name) => !applied.has(name))
    .sort(inMigrationOrder)
  if (pending.length === 0) return []
  const scratch = mkdtempSync(path.join(tmpdir(), 'migrations-'))
  try {
    const file = path.join(scratch, 'pending.sql')
    const sql = pending.map(
      (name) =>
        `${readFileSync(path.join(MIGRATIONS_DIR, name), 'utf8')}\n` +
        `INSERT INTO d1_migrations (name) VALUES ('${name.replaceAll("'", "''")}');\n`,
    )
    writeFileSync(file, sql.join(''))
    runWranglerQuietly(['d1', 'execute', 'DB', ...where, '--file', file])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return pending
}

/** Wrangler's order: by the number a name starts with, numbered ones first, then by name. */
function inMigrationOrder(a, b) {
  const [x, y] = [Number.parseInt(a, 10), Number.parseInt(b, 10)]
  if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) {
    if (Number.isNaN(x)) return 1
    if (Number.isNaN(y)) return -1
    return x - y
  }
  return a < b ? -1 : a > b ? 1 : 0
}

/** The names in wrangler's table of applied migrations (created, empty, on a new database). */
function appliedMigrations(where) {
  const results = runWranglerForJson([
    'd1',
    'execute',
    'DB',
    ...where,
    '--command',
    `${MIGRATIONS_TABLE} SELECT name FROM d1_migrations;`,
  ])
  // One entry per statement: the table's creation, then its names.
  return new Set(results.flatMap((result) => result.results ?? []).map((row) => row.name))
}
