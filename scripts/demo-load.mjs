// How `npm run dev`, `npm run seed` and the tests put the demo into a local database.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { demoHistorySql } from './demo-history.mjs'
import { runWranglerQuietly } from './wrangler.mjs'

/**
 * Loads the demo into the local database (`where`: wrangler's location flags): the communities,
 * groups and links of seed.sql, then sixty days of history up to today. Both go through one
 * `wrangler d1 execute`, which starts a local runtime for each file it runs.
 */
export function loadDemo(where = ['--local']) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'demo-history-'))
  try {
    const file = path.join(scratch, 'demo.sql')
    const seed = readFileSync(path.join(import.meta.dirname, 'seed.sql'), 'utf8')
    writeFileSync(file, `${seed}\n${demoHistorySql(new Date())}`)
    runWranglerQuietly(['d1', 'execute', 'DB', ...where, '--file', file])
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
