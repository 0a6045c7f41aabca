// `npm run seed`: applies migrations and loads the demo data into the local D1 database.
// Safe to run again: the demo rows have fixed ids and are inserted only when missing.
import { runWranglerQuietly } from './wrangler.mjs'

runWranglerQuietly(['d1', 'migrations', 'apply', 'DB', '--local'])
runWranglerQuietly(['d1', 'execute', 'DB', '--local', '--file', 'scripts/seed.sql'])
console.log('Demo data loaded into the local database.')
