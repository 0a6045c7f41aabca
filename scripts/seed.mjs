// `npm run seed`: applies migrations and loads the demo data into the local D1 database.
// Safe to run again: the demo rows have fixed ids and are inserted only when missing, and the
// sixty days of history (scripts/demo-history.mjs) are loaded once.
import { loadDemo } from './demo-load.mjs'
import { applyLocalMigrations } from './local-migrations.mjs'

applyLocalMigrations(['--local'])
loadDemo(['--local'])
console.log('Demo data loaded into the local database.')
