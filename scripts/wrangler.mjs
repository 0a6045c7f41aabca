// Runs wrangler from the project's own node_modules, on the project's own Node (npm puts
// node_modules/.bin first on PATH), with the offline-friendly defaults the README describes.
import { spawn, spawnSync } from 'node:child_process'

export const wranglerEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false',
}

/**
 * Runs `wrangler <args>` to completion without questions (wrangler takes the default answer when
 * CI is set) and returns what it printed; prints it all and exits the script when it fails.
 */
export function runWranglerQuietly(args) {
  const result = runWrangler(args)
  return `${result.stdout ?? ''}${result.stderr ?? ''}`
}

/** Runs `wrangler <args> --json` as `runWranglerQuietly` does; returns what it printed, parsed. */
export function runWranglerForJson(args) {
  return JSON.parse(runWrangler([...args, '--json']).stdout)
}

function runWrangler(args) {
  const result = spawnSync('wrangler', args, {
    env: { ...wranglerEnv, CI: 'true' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (result.status !== 0) {
    console.error(`${result.stdout ?? ''}${result.stderr ?? ''}`)
    console.error(`wrangler ${args.join(' ')} failed`)
    process.exit(result.status ?? 1)
  }
  return result
}

/**
 * Starts `wrangler <args>` as a long-running child. Its start-up chatter (banner, bindings table)
 * is held back; once it is ready, `onReady` runs and everything it prints after that (requests,
 * the Worker's logs) passes through. If it stops before it is ready, the held-back output is shown.
 */
export function spawnWrangler(args, { onReady } = {}) {
  const child = spawn('wrangler', args, { env: wranglerEnv, stdio: ['inherit', 'pipe', 'pipe'] })
  let ready = false
  let held = ''
  const pass = (stream, target) =>
    stream.on('data', (chunk) => {
      if (ready) return target.write(chunk)
      held += chunk
      if (/Ready on /.test(held)) {
        ready = true
        onReady?.()
      }
    })
  pass(child.stdout, process.stdout)
  pass(child.stderr, process.stderr)
  child.on('exit', () => {
    if (!ready) process.stderr.write(held)
  })
  return child
}
