import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  DEMO_PAGES,
  HORIZONTAL_OVERFLOW,
  MAKERS,
  openDemoDashboard,
  RUNNERS,
  TABLES_CUT_OFF,
  VIEWPORTS,
  type DemoDashboard,
} from '../support/demo-dashboard'
import { englishLeftIn } from '../support/language'
import { TEST_OWNER_TOKEN } from '../support/worker-server'
import { screenshot, signInToDashboard, stepScreenshot } from '../support/browser'

/**
 * Every dashboard page of the seeded demo, as a marketer sees it on a phone (390 px) and a
 * desktop (1280 px), in German and English (a screenshot of each with `SCREENSHOTS=1`, of any page
 * that fails always), and the test fails on any
 * console error, any horizontal overflow, any table cut off by its box, any unfilled text, and
 * any English on a German page.
 */

let demo: DemoDashboard

beforeAll(async () => {
  demo = await openDemoDashboard('tour-state')
}, 180_000)

afterAll(() => demo?.close())

async function openPage(lang: 'de' | 'en', viewport: { width: number; height: number }) {
  const page = await demo.context.newPage()
  await page.setViewportSize(viewport)
  await page.setExtraHTTPHeaders({ 'accept-language': lang === 'de' ? 'de-DE,de' : 'en-GB,en' })
  return page
}

/**
 * What a reader sees of the dashboard's own words, run in the page: people's words (`bdi`), data
 * (options, text areas, code) and parts marked as another language are left out.
 */
const OWN_WORDS = `(() => {
  const body = document.body.cloneNode(true)
  for (const element of body.querySelectorAll('bdi, script, style, code, option, textarea, [lang]'))
    element.remove()
  body.style.position = 'absolute'
  document.body.append(body)
  const text = body.innerText
  body.remove()
  return text
})()`

describe('the dashboard of the seeded demo', () => {
  for (const lang of ['de', 'en'] as const) {
    for (const viewport of VIEWPORTS) {
      it(`reads well in ${lang} at ${viewport.width} px`, async () => {
        const problems: string[] = []
        {
          for (const [name, pathname] of DEMO_PAGES) {
            const page = await openPage(lang, viewport)
            const errors: string[] = []
            page.on('console', (message) => {
              if (message.type() === 'error') errors.push(message.text())
            })
            page.on('pageerror', (error) => errors.push(error.message))
            if (process.env.TOUR_DEBUG) console.log(lang, viewport.width, name)
            const response = await page.goto(demo.url + pathname)
            const found = problems.length
            if (response?.status() !== 200) problems.push(`${name}: status ${response?.status()}`)
            for (const error of errors) problems.push(`${name}: console error ${error}`)
            const overflow = await page.evaluate<number>(HORIZONTAL_OVERFLOW)
            if (overflow > 0) problems.push(`${name}: ${overflow} px wider than the screen`)
            for (const table of await page.evaluate<string[]>(TABLES_CUT_OFF))
              problems.push(`${name}: ${table}`)
            const text = await page.evaluate<string>(OWN_WORDS)
            if (/\bundefined\b|\bNaN\b|\[object Object\]/.test(text))
              problems.push(`${name}: unfilled text`)
            if (lang === 'de') {
              const english = englishLeftIn(text)
              if (english.length > 0) problems.push(`${name}: English left: ${english.join(', ')}`)
            }
            // A page with a problem is pictured always; every page with SCREENSHOTS=1.
            const picture = `tour/${lang}-${viewport.width}-${name}.png`
            if (problems.length > found) await screenshot(page, picture)
            else await stepScreenshot(page, picture)
            await page.close()
          }
        }
        expect(problems).toEqual([])
      })
    }
  }

  it('keeps every action in reach on a phone: approve, reject, remove, erase, the header on one row', async () => {
    const page = await openPage('de', { width: 360, height: 740 })
    const inView = async (selector: string) => {
      const box = await page.locator(selector).first().boundingBox()
      expect(box, selector).not.toBeNull()
      expect(box!.x).toBeGreaterThanOrEqual(0)
      expect(box!.x + box!.width).toBeLessThanOrEqual(360)
    }
    await page.goto(`${demo.url}/admin/communities/${MAKERS}/approvals`)
    await inView('button[value^="approve:"]')
    await inView('button[value^="reject:"]')
    const header = await page.locator('header').boundingBox()
    expect(header!.height).toBeLessThan(60)
    await page.goto(`${demo.url}/admin/communities/${RUNNERS}/members`)
    await inView('form[action$="/remove"] button')
    await inView('form[action$="/erase"] button')
    // A decision, said in words.
    await page.goto(`${demo.url}/admin/communities/${MAKERS}/approvals`)
    await Promise.all([
      page.waitForURL(/decided=1/),
      page.locator('button[value^="approve:"]').first().click(),
    ])
    await expect(page.locator('p.ok[role=status]').textContent()).resolves.toBe(
      '1 Anfrage angenommen.',
    )
    // A rejection asks first, naming what it means for the person: dismissed, nothing happens.
    const approvals = `${demo.url}/admin/communities/${MAKERS}/approvals`
    await page.goto(approvals)
    const waiting = await page.locator('button[value^="reject:"]').count()
    const asked: string[] = []
    page.once('dialog', (dialog) => {
      asked.push(dialog.message())
      void dialog.dismiss()
    })
    await page.locator('button[value^="reject:"]').first().click()
    await expect.poll(() => asked.length).toBe(1)
    expect(asked[0]).toMatch(
      /^Diese Anfrage ablehnen\? Die Person sieht es auf ihrer Statusseite.* Neu anfragen kann sie erst nach 30 Tagen\.$/,
    )
    await page.goto(approvals)
    expect(await page.locator('button[value^="reject:"]').count()).toBe(waiting)
    // Enter in the reason field decides nothing (it would press the first row's "approve").
    await page.locator('#reason').fill('Voll')
    const posted: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST') posted.push(request.url())
    })
    await page.locator('#reason').press('Enter')
    await page.waitForLoadState('networkidle')
    expect(posted).toEqual([])
    expect(page.url()).toBe(approvals)
    await page.goto(approvals)
    expect(await page.locator('button[value^="reject:"]').count()).toBe(waiting)
    page.once('dialog', (dialog) => void dialog.accept())
    await Promise.all([
      page.waitForURL(/decided=1/),
      page.locator('button[value^="reject:"]').first().click(),
    ])
    expect(await page.locator('button[value^="reject:"]').count()).toBe(waiting - 1)
    // "Alle auswählen" ticks every request's box at once, and unticks them again.
    const selectAll = page.getByLabel('Alle auswählen')
    await selectAll.check()
    const boxes = page.locator('input[name=ids]')
    expect(await boxes.count()).toBeGreaterThan(1)
    const ticked = () =>
      boxes.evaluateAll(
        (all) => all.filter((box) => (box as unknown as { checked: boolean }).checked).length,
      )
    expect(await ticked()).toBe(await boxes.count())
    await selectAll.uncheck()
    expect(await ticked()).toBe(0)
    await page.close()
  })

  it('gives every box to tick, every header and footer link and every filter a target a thumb can hit on a phone', async () => {
    const page = await openPage('de', { width: 390, height: 844 })
    // WCAG 2.2's minimum target: 24 by 24 CSS pixels. A box inside its label counts as the label.
    const TOO_SMALL = `[...document.querySelectorAll('input[type=checkbox], input[type=radio], header a, footer .tools a, .grid.breakdowns td a')]
      .map((element) => {
        const own = element.getBoundingClientRect()
        const target = own.width >= 24 && own.height >= 24 ? own : (element.closest('label') ?? element).getBoundingClientRect()
        return target.width < 24 || target.height < 24
          ? element.outerHTML.slice(0, 60) + ' ' + Math.round(own.width) + 'x' + Math.round(own.height)
          : null
      })
      .filter((problem) => problem !== null)`
    const tooSmall = () => page.evaluate<string[]>(TOO_SMALL)
    const problems: string[] = []
    for (const pathname of [
      `/admin/communities/${RUNNERS}`,
      `/admin/communities/${MAKERS}/approvals`,
      `/admin/communities/${RUNNERS}/announcements`,
      `/admin/communities/${RUNNERS}/compare`,
      '/admin/webhooks',
      '/i/sundayrunners/join',
    ]) {
      await page.goto(demo.url + pathname)
      for (const problem of await tooSmall()) problems.push(`${pathname}: ${problem}`)
    }
    expect(problems).toEqual([])
    await page.close()
  })

  it('fits an endpoint’s deliveries on a phone, the longest event name included', async () => {
    const page = await openPage('de', { width: 390, height: 844 })
    const api = (method: string, pathname: string, body?: unknown) =>
      fetch(demo.url + pathname, {
        method,
        headers: {
          authorization: `Bearer ${TEST_OWNER_TOKEN}`,
          'content-type': 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    // A receiver that takes every event, as a mail system subscribed to the outbox does.
    const receiver = createServer((request, response) => {
      request.resume()
      request.on('end', () => response.writeHead(200).end())
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
    const { port } = receiver.address() as AddressInfo
    const endpoint = await api('POST', '/api/webhooks', {
      url: `http://127.0.0.1:${port}/events`,
      events: ['member.confirmation_requested'],
    })
    expect(endpoint.status).toBe(201)
    await page.goto(`${demo.url}/i/sundayrunners/join`)
    await page.fill('#name', 'Wera')
    await page.fill('#email', 'wera@example.org')
    await page.check('input[name=consent]')
    await Promise.all([page.waitForURL(/\/s\//), page.click('button[type=submit]')])
    // Delivered at the cron's next run: the row then shows the receiver's answer.
    await expect
      .poll(async () => {
        await fetch(`${demo.url}/__scheduled?cron=*+*+*+*+*`)
        await page.goto(`${demo.url}/admin/webhooks`)
        return page.locator('main table tr', { hasText: '200' }).count()
      })
      .toBeGreaterThan(0)
    expect(await page.evaluate<number>(HORIZONTAL_OVERFLOW)).toBe(0)
    // Every column is on the screen: nothing hides behind a sideways scroll.
    const row = page.locator('main table tr', { hasText: '200' }).first()
    const right = await row.evaluate((tr) => tr.getBoundingClientRect().right)
    expect(right).toBeLessThanOrEqual(390)
    await page.close()
  })

  it('offers a copy button only where it copies: with JavaScript, not without', async () => {
    const pathname = '/admin/links/inv_0000000000000000000000000b'
    const copy = (page: Page) => page.getByRole('button', { name: 'Kopieren', exact: true })

    const page = await openPage('de', { width: 390, height: 844 })
    await demo.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url })
    await page.goto(demo.url + pathname)
    await copy(page).click()
    await expect.poll(() => page.getByRole('button', { name: 'Kopiert' }).count()).toBe(1)
    // It offers to copy again: a second copy should not look like nothing happened.
    await expect.poll(() => copy(page).count(), { timeout: 5000 }).toBe(1)
    await page.close()

    // Left open with the browser: the packaged Chromium ends when a context's last page closes.
    const plain = await demo.context.browser()!.newContext({ javaScriptEnabled: false })
    const noScript = await plain.newPage()
    await signInToDashboard(noScript, demo.url, TEST_OWNER_TOKEN)
    await noScript.setExtraHTTPHeaders({ 'accept-language': 'de-DE,de' })
    await noScript.goto(demo.url + pathname)
    // The link itself is there to select and copy by hand; no button that would do nothing.
    await expect(noScript.locator('main a[href*="/i/"]').first().isVisible()).resolves.toBe(true)
    expect(await copy(noScript).isVisible()).toBe(false)
  })

  it('fits the settings’ list of admins on a phone, with the button to change one', async () => {
    const created = await fetch(`${demo.url}/api/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Kim (Laufgruppe)',
        role: 'community_admin',
        communityId: RUNNERS,
      }),
    })
    expect(created.status).toBe(201)
    const page = await openPage('de', { width: 390, height: 844 })
    await page.goto(`${demo.url}/admin/communities/${RUNNERS}/settings`)
    expect(await page.evaluate<number>(HORIZONTAL_OVERFLOW)).toBe(0)
    const change = page.getByRole('button', { name: 'Zum Gruppen-Admin machen' })
    const box = (await change.boundingBox())!
    expect(box.x + box.width).toBeLessThanOrEqual(390)
    await page.close()
  })
})
