import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
/** What the Workers the tests start read their secrets from instead of `.dev.vars`. */
export const NO_SECRETS_FILE = path.join(root, 'test/no-secrets.env')

export const TEST_OWNER_TOKEN = 'tooling-owner-token-0123456789abcdef'

export interface RunningWorker {
  url: string
  /** Everything the worker printed so far. */
  logs(): string
  /**
   * CPU seconds (user and system) the worker's processes (wrangler and workerd) have used so
   * far, from /proc; null where there is no /proc (not Linux).
   */
  cpuSeconds(): number | null
  stop(): Promise<void>
}

/** The environment wrangler and the scripts run in: the project's own Node first, offline. */
export const toolEnv = {
  ...process.env,
  PATH: `${path.join(root, 'node_modules/.bin')}${path.delimiter}${process.env.PATH}`,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  // Secrets come from NO_SECRETS_FILE only, never from the shell that runs the tests.
  CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
}

/**
 * A new local state directory with the migrations applied and the demo loaded, as `npm run dev`
 * starts: for tests that look at the product the way a newcomer first sees it.
 */
export function demoState(prefix: string): string {
  return copyOfPreparedState(prefix, { demo: true })
}

/**
 * A new local state directory prepared by the scripts `npm run dev` runs (the migrations, and
 * with `demo` the demo), copied from one they prepared once for these migrations and scripts.
 * Preparing starts wrangler and a local runtime for each step, 5 to 9 s of both cores; a copy
 * takes milliseconds, and every test file that starts a Worker needs one. The prepared state is
 * kept under node_modules/.cache, named by a hash of everything that goes into it, so a changed
 * migration or demo script prepares a new one on the next run and no test sees an old one.
 */
function copyOfPreparedState(prefix: string, { demo }: { demo: boolean }): string {
  const key = preparedStateKey()
  const prepared = path.join(PREPARED_STATES, `${demo ? 'demo' : 'migrated'}-${key}`)
  if (!existsSync(prepared)) {
    mkdirSync(PREPARED_STATES, { recursive: true })
    // Prepared beside its final name and renamed into place: a test file running at the same
    // time either finds the whole directory or prepares its own, never a half-written one.
    const fresh = mkdtempSync(`${prepared}.preparing-`)
    try {
      prepareLocalDatabase(['--local', '--persist-to', fresh], { demo })
      renameSync(fresh, prepared)
      removeOldPreparedStates(key)
    } catch (error) {
      rmSync(fresh, { recursive: true, force: true })
      if (!existsSync(prepared)) throw error
    }
  }
  const state = mkdtempSync(path.join(tmpdir(), `${prefix}-`))
  cpSync(prepared, state, { recursive: true })
  copiesOfPreparedStates.add(state)
  return state
}

/** Prepared states of other days or sources, once no run can still be copying them. */
function removeOldPreparedStates(currentKey: string): void {
  for (const entry of readdirSync(PREPARED_STATES)) {
    const full = path.join(PREPARED_STATES, entry)
    if (entry.includes(currentKey)) continue
    if (Date.now() - statSync(full).mtimeMs > 3_600_000)
      rmSync(full, { recursive: true, force: true })
  }
}

/** The state directories this process copied from a prepared one: nothing left to migrate. */
const copiesOfPreparedStates = new Set<string>()

const PREPARED_STATES = path.join(root, 'node_modules/.cache/prepared-test-states')

/**
 * A hash of the migrations, the scripts that apply them and load the demo (with the source file
 * they import), wrangler.toml, and the UTC day: the demo's history is dated back from its day.
 */
function preparedStateKey(): string {
  const hash = createHash('sha256').update(new Date().toISOString().slice(0, 10))
  const files = [
    ...globSync('migrations/**/*', { cwd: root }),
    ...globSync('scripts/*.mjs', { cwd: root }),
    'src/lib/codes.ts',
    'wrangler.toml',
  ].sort()
  for (const file of files) {
    const full = path.join(root, file)
    if (!statSync(full).isFile()) continue
    hash.update(file).update('\0').update(readFileSync(full)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

/**
 * Applies the pending migrations to the local database `where` names (wrangler's location
 * flags) and, with `demo`, loads the demo, with the scripts `npm run dev` runs. They run in a
 * Node of their own: a failing wrangler ends the script's process.
 */
export function prepareLocalDatabase(where: string[], { demo = false } = {}): void {
  const script = [
    `const where = ${JSON.stringify(where)}`,
    `const { applyLocalMigrations } = await import('./scripts/local-migrations.mjs')`,
    `applyLocalMigrations(where)`,
    ...(demo
      ? [`const { loadDemo } = await import('./scripts/demo-load.mjs')`, `loadDemo(where)`]
      : []),
  ].join('\n')
  const run = spawnSync('node', ['--input-type=module', '-e', script], {
    cwd: root,
    env: toolEnv,
    encoding: 'utf8',
  })
  if (run.status !== 0)
    throw new Error(`preparing the local database failed:\n${run.stdout}${run.stderr}`)
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts the real Worker with `wrangler dev` on 127.0.0.1, on a fresh local D1 database with the
 * migrations applied, as a developer would run it. For checks made from outside: scanners,
 * browsers, load tests.
 */
export async function startWorker(
  options: { vars?: Record<string, string>; state?: string; config?: string } = {},
): Promise<RunningWorker> {
  // A given state directory outlives the worker (benchmarks restart on the same data), and its
  // pending migrations are applied unless it is a copy of a prepared one.
  const state = options.state ?? copyOfPreparedState('worker-state', { demo: false })
  if (!copiesOfPreparedStates.has(state))
    prepareLocalDatabase([
      '--local',
      '--persist-to',
      state,
      ...(options.config ? ['--config', options.config] : []),
    ])

  // The port is free when asked for, but another process (an outgoing connection takes its
  // port from the same range) may take it before wrangler binds it: then try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort(), state, options)
    } catch (error) {
      if (attempt === 3 || !(error instanceof PortTaken)) throw error
    }
  }
}

class PortTaken extends Error {}

async function launch(
  port: number,
  state: string,
  options: { vars?: Record<string, string>; state?: string; config?: string },
): Promise<RunningWorker> {
  const url = `http://127.0.0.1:${port}`
  // As `npm run dev` runs it: the local receivers speak plain http on loopback.
  const allVars = {
    ADMIN_TOKEN: TEST_OWNER_TOKEN,
    PUBLIC_BASE_URL: url,
    ALLOW_HTTP_WEBHOOKS: 'true',
    ...options.vars,
  }
  const child = spawn(
    'wrangler',
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      '--show-interactive-dev-session=false',
      '--test-scheduled',
      // Secrets from the tests' own (empty) file, not from a developer's .dev.vars.
      '--env-file',
      NO_SECRETS_FILE,
      ...(options.config ? ['--config', options.config] : []),
      ...Object.entries(allVars).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
    ],
    { cwd: root, env: toolEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  let log = ''
  child.stdout.on('data', (chunk) => (log += chunk))
  child.stderr.on('data', (chunk) => (log += chunk))

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid!, 'SIGINT')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
    }
    if (!options.state) rmSync(state, { recursive: true, force: true })
  }

  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) {
      const message = `wrangler dev exited:\n${log}`
      throw log.includes('Address already in use') ? new PortTaken(message) : new Error(message)
    }
    try {
      const response = await fetch(`${url}/api/openapi.json`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`wrangler dev did not start within 60 s:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { url, logs: () => log, cpuSeconds: () => processTreeCpuSeconds(child.pid!), stop }
}

/** A small client for the running Worker's API, with the owner token. */
export function apiClient(baseUrl: string, token = TEST_OWNER_TOKEN) {
  return async function api(method: string, pathname: string, body?: unknown) {
    const response = await fetch(baseUrl + pathname, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
}

/** The SQLite file behind the local D1 database in a state directory (for bulk loading). */
export function localD1File(state: string): string {
  const [file] = globSync('v3/d1/*/*.sqlite', { cwd: state })
  if (!file) throw new Error(`no local D1 database under ${state}`)
  return path.join(state, file)
}

/** Clock ticks per second of /proc's CPU times: 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100

/** CPU seconds used by a process and every process below it, from /proc; null without /proc. */
function processTreeCpuSeconds(rootPid: number): number | null {
  let names: string[]
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return null
  }
  const processes = new Map<number, { parent: number; ticks: number }>()
  for (const name of names) {
    try {
      // The command name (field 2) may hold spaces and parentheses: fields count after its ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      processes.set(Number(name), {
        parent: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      })
    } catch {
      // The process ended while the list was read.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let current = pid, hops = 0; current > 1 && hops < 64; hops++) {
      if (current === rootPid) return true
      current = processes.get(current)?.parent ?? 0
    }
    return false
  }
  let ticks = 0
  for (const [pid, { ticks: own }] of processes) if (inTree(pid)) ticks += own
  return ticks / TICKS_PER_SECOND
}
