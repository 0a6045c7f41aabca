// Runs wrangler from the project's own node_modules, on the project's own Node (npm puts
// node_modules/.bin first on PATH), with the offline-friendly defaults the README describes.
import { spawn, spawnSync } from 'node:child_process'

export const wranglerEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
}

/** Runs `wrangler <args>` to completion and exits the script if it fails. */
export function wrangler(args) {
  const result = spawnSync('wrangler', args, { stdio: 'inherit', env: wranglerEnv })
  if (result.status !== 0) {
    console.error(`wrangler ${args.join(' ')} failed`)
    process.exit(result.status ?? 1)
  }
}

/** Starts `wrangler <args>` as a long-running child that shares this terminal. */
export function spawnWrangler(args) {
  return spawn('wrangler', args, { stdio: 'inherit', env: wranglerEnv })
}
