// `npm run dev [-- <wrangler dev arguments>]`: everything a newcomer needs, in one command.
// 1. creates .dev.vars from .dev.vars.example when it is missing (the local owner token),
// 2. applies pending D1 migrations to the local database,
// 3. loads the demo data (idempotent; skip with SEED=0),
// 4. starts `wrangler dev` with the arguments given after `--`.
import { copyFileSync, existsSync } from 'node:fs'
import { spawnWrangler, wrangler } from './wrangler.mjs'

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  console.log('Created .dev.vars from .dev.vars.example (local secrets, git-ignored).')
}

wrangler(['d1', 'migrations', 'apply', 'DB', '--local'])
if (process.env.SEED !== '0')
  wrangler(['d1', 'execute', 'DB', '--local', '--file', 'scripts/seed.sql'])

const dev = spawnWrangler(['dev', ...process.argv.slice(2)])
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => dev.kill(signal))
}
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
