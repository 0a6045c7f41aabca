import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, toolEnv } from '../support/worker-server'

const root = path.resolve(import.meta.dirname, '../..')
/** A checkout as a newcomer has it: no .dev.vars, no local database yet. */
const checkout = mkdtempSync(path.join(tmpdir(), 'dev-checkout-'))
let dev: ChildProcess
let output = ''
let port: number
let base: string

/** `npm run dev -- --port <port>` as a newcomer starts it: no terminal to answer questions. */
beforeAll(async () => {
  for (const entry of [
    'package.json',
    'tsconfig.json',
    'wrangler.toml',
    '.dev.vars.example',
    'src',
    'migrations',
    'scripts',
  ])
    cpSync(path.join(root, entry), path.join(checkout, entry), { recursive: true })
  symlinkSync(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), 'dir')
  port = await freePort()
  base = `http://localhost:${port}`
  // A PUBLIC_BASE_URL from the calling shell would win over the port; this run is a newcomer's.
  const env: Record<string, string | undefined> = { ...toolEnv }
  delete env.PUBLIC_BASE_URL
  dev = spawn('node', ['scripts/dev.mjs', '--port', String(port)], {
    cwd: checkout,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  dev.stdout!.on('data', (chunk) => (output += chunk))
  dev.stderr!.on('data', (chunk) => (output += chunk))
  const deadline = Date.now() + 90_000
  while (!output.includes('Fire the cron')) {
    if (dev.exitCode !== null) throw new Error(`npm run dev stopped:\n${output}`)
    if (Date.now() > deadline) throw new Error(`npm run dev not ready in 90 s:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}, 120_000)

afterAll(async () => {
  if (dev?.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve))
    process.kill(-dev.pid!, 'SIGINT')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    if (dev.exitCode === null) process.kill(-dev.pid!, 'SIGKILL')
  }
  rmSync(checkout, { recursive: true, force: true })
})

describe('npm run dev, the first time', () => {
  it('asks nothing and prints a short summary: URL, demo links, owner token, the cron', () => {
    expect(output).not.toMatch(/continue\?|\(Y\/n\)/)
    expect(output).toContain('Created .dev.vars')
    expect(output).toMatch(/Database: \d+ migration\(s\) applied/)
    expect(output).toContain(`Ready on ${base}`)
    expect(output).toContain(`${base}/i/sundayrunners`)
    expect(output).toMatch(/Owner token\s+\S{16,}/)
    expect(output).toContain(`curl "${base}/cdn-cgi/local/scheduled"`)
    expect(output.trim().split('\n').length).toBeLessThan(25)
  })

  it('builds every link for the port it serves on', async () => {
    const landing = await (await fetch(`${base}/i/sundayrunners`)).text()
    expect(landing).toContain(`content="${base}/i/sundayrunners"`)
    expect(landing).not.toContain('localhost:8787')
    const qr = await fetch(`${base}/i/sundayrunners/qr.svg`)
    expect(qr.status).toBe(200)
  })

  it('fires the cron where the summary says', async () => {
    const response = await fetch(`${base}/cdn-cgi/local/scheduled`)
    expect(response.status).toBe(200)
  })

  it('serves a favicon and robots.txt instead of 404s', async () => {
    const icon = await fetch(`${base}/favicon.ico`)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/x-icon')
    const robots = await fetch(`${base}/robots.txt`)
    expect(await robots.text()).toContain('Disallow: /admin')
  })
})
