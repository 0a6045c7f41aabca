import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually'
import { startNewcomerDev, type NewcomerDev } from '../support/newcomer-dev'

/** The owner token of .dev.vars.example, which `npm run dev` copies to .dev.vars. */
const OWNER_TOKEN = 'dev-owner-token-change-me-0123456789'
const PADDLERS = 'cmt_0000000000000000000000000t'
const RUNNERS = 'cmt_0000000000000000000000000b'

let dev: NewcomerDev
let base: string

/** `npm run dev -- --port <port>` as a newcomer starts it: no terminal to answer questions. */
beforeAll(async () => {
  // A newcomer's shell: nothing of the project configured, so Telegram is the local stand-in.
  dev = await startNewcomerDev({
    unset: /^(WHATSAPP_|TELEGRAM_|DELIVERY_WEBHOOK_URL|STAND_INS|CRON$|SEED$)/,
  })
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
    // What it prints itself, up to the summary's last line. The Worker's request and job logs
    // and the stand-ins' lines come as they happen (on a busy machine some before the summary),
    // and are not the summary's length.
    const summary = dev.output().slice(0, dev.output().indexOf('Fire the cron'))
    const own = summary
      .trim()
      .split('\n')
      .filter((line) => !/^(\[wrangler:|\[stand-in\]|\{")/.test(line.trim()))
    expect(own.length, own.join('\n')).toBeLessThan(25)
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

  it('lets the demo’s Telegram community be joined on the stand-in, through its own links', async () => {
    const standIns = /Telegram {9}(http:\/\/127\.0\.0\.1:\d+)\/telegram/.exec(dev.output())?.[1]
    expect(standIns, dev.output()).toBeDefined()
    const page = await (await fetch(`${standIns}/telegram`)).text()
    expect(page).toContain('<option value="https://t.me/+DemoSpreePaddlersFlyer">')
    expect(page).toContain('Flyer at the boathouse · Spree Paddlers · asks to join')
    // The landing page's join button opens the stand-in, with the flyer's link to join through.
    const landing = await (await fetch(`${base}/i/spreepaddlers?lang=en`)).text()
    const opens = `${standIns}/telegram/t.me/+DemoSpreePaddlersFlyer`
    expect(landing).toContain(`href="${opens}"`)
    const opened = await (await fetch(opens)).text()
    expect(opened).toContain('<option value="https://t.me/+DemoSpreePaddlersFlyer" selected>')
    expect(opened).toContain('You opened https://t.me/+DemoSpreePaddlersFlyer')
    const joined = await fetch(`${standIns}/telegram/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link: 'https://t.me/+DemoSpreePaddlersFlyer', name: 'Uwe' }),
    })
    expect(((await joined.json()) as { notice: string }).notice).toBe(
      'Uwe asked to join (Worker answered 200).',
    )
    // The community is closed: Uwe waits for an admin, asked through the flyer's link.
    await eventually(async () => {
      const answer = await fetch(
        `${base}/api/communities/${PADDLERS}/telegram-join-requests?status=pending`,
        { headers: { authorization: `Bearer ${OWNER_TOKEN}` } },
      )
      const { data } = (await answer.json()) as { data: Array<{ name: string; inviteId: string }> }
      expect(data).toContainEqual(
        expect.objectContaining({ name: 'Uwe', inviteId: 'inv_00000000000000000000000t01' }),
      )
    })
  })

  it('shows the Telegram community with the members its verified joins made', async () => {
    const landing = await (await fetch(`${base}/i/spreepaddlers?lang=en`)).text()
    const shown = Number(/(\d+) members/.exec(landing)?.[1])
    expect(shown).toBeGreaterThan(100)
    // All of the demo's sixty days (the stats show thirty unless asked).
    const day = (back: number) =>
      new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10)
    const period = `from=${day(61)}&to=${day(0)}`
    const answer = await fetch(`${base}/api/communities/${PADDLERS}/stats?${period}`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    })
    const stats = (await answer.json()) as {
      totals: { verifiedJoins: number; verifiedLeaves: number }
    }
    expect(shown).toBe(stats.totals.verifiedJoins - stats.totals.verifiedLeaves)
  })

  it('shows the demo’s past announcements with WhatsApp’s delivery and read rates', async () => {
    const answer = await fetch(`${base}/api/communities/${RUNNERS}/announcements?limit=100`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    })
    const { data } = (await answer.json()) as {
      data: Array<{
        status: string
        reported: { delivered: boolean; read: boolean }
        deliveries: { sent: number; delivered: number; read: number; failed: number }
        rates: { delivered: number | null; read: number | null }
      }>
    }
    const sent = data.filter((announcement) => announcement.deliveries.sent > 0)
    expect(sent.length).toBeGreaterThan(2)
    for (const announcement of sent) {
      // Sent through WhatsApp, which reports delivery and reading: rates a marketer can read.
      expect(announcement.reported).toEqual({ delivered: true, read: true })
      const { sent: total, delivered, read } = announcement.deliveries
      expect(read).toBeGreaterThan(0)
      expect(delivered).toBeGreaterThan(read)
      expect(total).toBeGreaterThan(delivered)
      expect(announcement.rates.read).toBeGreaterThan(0.5)
      expect(announcement.rates.delivered).toBeLessThan(1)
    }
  })
})
