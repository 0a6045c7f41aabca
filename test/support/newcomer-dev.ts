import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, toolEnv } from './worker-server'

const root = path.resolve(import.meta.dirname, '../..')

/** What a checkout holds that `npm run dev` needs; `node_modules` is linked, not copied. */
const CHECKOUT_ENTRIES = [
  'package.json',
  'tsconfig.json',
  'wrangler.toml',
  '.dev.vars.example',
  'src',
  'migrations',
  'scripts',
]

export interface NewcomerDev {
  /** The copied checkout `npm run dev` runs in (its .dev.vars and local database are there). */
  checkout: string
  base: string
  /** Everything `npm run dev` printed so far. */
  output: () => string
  /** Stops it (SIGINT to its process group, SIGKILL if it lingers) and removes the checkout. */
  stop: () => Promise<void>
}

/**
 * `npm run dev -- --port <free port>` as a newcomer starts it: in a fresh copy of the checkout (no
 * .dev.vars, no local database yet), with no terminal to answer questions, and with nothing of
 * the project configured in the shell (`unset` names the variables taken out of the caller's
 * environment, besides PUBLIC_BASE_URL, which would win over the port). Resolves once its summary
 * is printed.
 */
export async function startNewcomerDev(
  options: { env?: Record<string, string>; unset?: RegExp; readyWithinMs?: number } = {},
): Promise<NewcomerDev> {
  // A free port can be taken by another process between finding it and binding it (other
  // tests start servers too): try others then, as a newcomer would. The debugger's port too:
  // left to the script, it is the first free one from 9229, which two starts at the same moment
  // (another suite's on this machine) both take.
  for (let attempt = 1; ; attempt++) {
    try {
      const port = await freePort()
      let inspectorPort = await freePort()
      while (inspectorPort === port) inspectorPort = await freePort()
      return await startOnce(options, port, inspectorPort)
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error
    }
  }
}

class PortTaken extends Error {}

async function startOnce(
  options: { env?: Record<string, string>; unset?: RegExp; readyWithinMs?: number },
  port: number,
  inspectorPort: number,
): Promise<NewcomerDev> {
  const checkout = mkdtempSync(path.join(tmpdir(), 'newcomer-'))
  for (const entry of CHECKOUT_ENTRIES)
    cpSync(path.join(root, entry), path.join(checkout, entry), { recursive: true })
  symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), 'dir')
  const env: Record<string, string | undefined> = { ...toolEnv, ...options.env }
  for (const name of Object.keys(env)) {
    if (name === 'PUBLIC_BASE_URL' || (options.unset?.test(name) && !options.env?.[name]))
      delete env[name]
  }
  const dev: ChildProcess = spawn(
    'node',
    ['scripts/dev.mjs', '--port', String(port), '--inspector-port', String(inspectorPort)],
    {
      cwd: checkout,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let output = ''
  dev.stdout!.on('data', (chunk) => (output += chunk))
  dev.stderr!.on('data', (chunk) => (output += chunk))
  const stop = async () => {
    if (dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once('exit', resolve))
      process.kill(-dev.pid!, 'SIGINT')
      await Promise.race([exited, sleep(10_000)])
      if (dev.exitCode === null) process.kill(-dev.pid!, 'SIGKILL')
    }
    rmSync(checkout, { recursive: true, force: true })
  }
  // Only a bound for a start that hangs: on two cores busy with other suites, the first start
  // (migrations, the demo's history) has taken more than 100 s.
  const readyWithinMs = options.readyWithinMs ?? 240_000
  const deadline = Date.now() + readyWithinMs
  while (!output.includes('Fire the cron')) {
    const stopped = dev.exitCode !== null
    if (stopped || Date.now() > deadline) {
      await stop()
      if (!stopped)
        throw new Error(`npm run dev not ready in ${readyWithinMs / 1000} s:\n${output}`)
      const message = `npm run dev stopped:\n${output}`
      throw output.includes('Address already in use') ? new PortTaken(message) : new Error(message)
    }
    await sleep(200)
  }
  return { checkout, base: `http://localhost:${port}`, output: () => output, stop }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
