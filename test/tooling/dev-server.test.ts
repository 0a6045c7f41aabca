import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNewcomerDev, type NewcomerDev } from '../support/newcomer-dev'

let dev: NewcomerDev
let base: string

/** `npm run dev -- --port <port>` as a newcomer starts it: no terminal to answer questions. */
beforeAll(async () => {
  dev = await startNewcomerDev()
  base = dev.base
}, 300_000)

afterAll(() => dev?.stop())

describe('npm run dev, the first time', () => {
  it('asks nothing and prints a short summary: URL, demo links, owner token, the cron', () => {
    expect(dev.output()).not.toMatch(/continue\?|\(Y\/n\)/)
    expect(dev.output()).toContain('Created .dev.vars')
    expect(dev.output()).toMatch(/Database: \d+ migration\(s\) applied/)
    expect(dev.output()).toContain(`Ready on ${base}`)
    expect(dev.output()).toContain(`${base}/i/sundayrunners`)
    expect(dev.output()).toMatch(/Owner token\s+\S{16,}/)
    expect(dev.output()).toContain(`curl "${base}/cdn-cgi/local/scheduled"`)
    expect(dev.output().trim().split('\n').length).toBeLessThan(25)
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
