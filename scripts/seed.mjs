// `npm run seed`: applies migrations and loads the demo data into the local D1 database.
// Safe to run again: the demo rows have fixed ids and are inserted only when missing.
import { wrangler } from './wrangler.mjs'

wrangler(['d1', 'migrations', 'apply', 'DB', '--local'])
wrangler(['d1', 'execute', 'DB', '--local', '--file', 'scripts/seed.sql'])
