import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO_PAGES,
  MAKERS,
  openDemoDashboard,
  RUNNERS,
  type DemoDashboard,
} from '../support/demo-dashboard'
import { phoneLayoutProblems } from '../support/phone-layout'

/**
 * The dashboard, the public pages and the API reference on the narrow phones people hold upright
 * (360 and 390 px wide): nothing scrolls sideways, neither the page nor a box in it, and no
 * table's figures lie past the screen's edge (a shadow there is no excuse); a card's
 * label never runs into its value or the next card, however it wraps; every target that stands on
 * its own is at least 24 px each way (WCAG 2.2); and what the desktop's table header offers, the
 * cards offer too.
 */

const PHONE_WIDTHS = [360, 390]
const PAGES: Array<[name: string, path: string]> = [
  ...DEMO_PAGES,
  ['api-docs', '/api/docs'],
  ['landing', '/i/sundayrunners'],
  ['join', '/i/sundayrunners/join'],
]

let demo: DemoDashboard

beforeAll(async () => {
  demo = await openDemoDashboard('phone-layout-state')
}, 180_000)

afterAll(() => demo?.close())

async function openPhone(lang: 'de' | 'en', width: number) {
  const page = await demo.context.newPage()
  await page.setViewportSize({ width, height: 800 })
  await page.setExtraHTTPHeaders({ 'accept-language': lang === 'de' ? 'de-DE,de' : 'en-GB,en' })
  return page
}

describe('the dashboard on a phone', () => {
  for (const lang of ['de', 'en'] as const) {
    for (const width of PHONE_WIDTHS) {
      it(`fits every page, card and target in ${lang} at ${width} px`, async () => {
        const page = await openPhone(lang, width)
        const problems: string[] = []
        for (const [name, pathname] of PAGES) {
          await page.goto(demo.url + pathname)
          for (const problem of await phoneLayoutProblems(page))
            problems.push(`${name}: ${problem}`)
        }
        await page.close()
        expect(problems).toEqual([])
      })
    }
  }

  it('sorts the links in card view as the table header does, each way a thumb can tap', async () => {
    const page = await openPhone('de', 390)
    await page.goto(`${demo.url}/admin/communities/${RUNNERS}`)
    const sortBy = page.getByRole('navigation', { name: 'Sortieren nach' })
    for (const name of [
      'Besuche',
      'Beitritte',
      'Konversion',
      'Bindung 7 Tage',
      'Bindung 30 Tage',
    ]) {
      const link = sortBy.getByRole('link', { name, exact: true })
      const box = await link.boundingBox()
      expect(box, name).not.toBeNull()
      expect(box!.height, name).toBeGreaterThanOrEqual(24)
    }
    await expect(sortBy.locator('[aria-current]').textContent()).resolves.toBe('Besuche')
    await Promise.all([
      page.waitForURL(/sort=joins/),
      sortBy.getByRole('link', { name: 'Beitritte', exact: true }).click(),
    ])
    await expect(sortBy.locator('[aria-current]').textContent()).resolves.toBe('Beitritte')
    const joins = await page
      .locator('#links td[data-label="Beitritte"]')
      .evaluateAll((cells) => cells.map((cell) => Number(cell.textContent!.replace(/\D/g, ''))))
    expect(joins.length).toBeGreaterThan(1)
    expect(joins).toEqual([...joins].sort((a, b) => b - a))
    await page.close()
  })

  it('pins the bulk decision bar to the screen only once a request is checked', async () => {
    const page = await openPhone('en', 360)
    await page.goto(`${demo.url}/admin/communities/${MAKERS}/approvals`)
    const bar = page.locator('.bulk').first()
    const pinned = () =>
      bar.evaluate(
        (element) => element.ownerDocument.defaultView!.getComputedStyle(element).position,
      )
    // Pinned with nothing checked, it would cover the list's last requests for nothing.
    await expect(pinned()).resolves.toBe('static')
    await page.locator('input[name=ids]').first().check()
    await expect(pinned()).resolves.toBe('sticky')
    await page.locator('input[name=ids]').first().uncheck()
    await expect(pinned()).resolves.toBe('static')
    await page.close()
  })

  it('shows the whole date and time of a one-off announcement while it is typed', async () => {
    for (const width of PHONE_WIDTHS) {
      for (const lang of ['de', 'en'] as const) {
        const page = await openPhone(lang, width)
        await page.goto(`${demo.url}/admin/communities/${RUNNERS}/announcements`)
        const sendAt = page.locator('#sendAt')
        await sendAt.fill('2026-12-05T22:09')
        // The width the field takes when nothing narrows it: what its value needs to be seen.
        const { shown, needed } = await sendAt.evaluate((input) => {
          const shown = input.getBoundingClientRect().width
          input.style.maxWidth = 'none'
          input.style.width = 'auto'
          const needed = input.getBoundingClientRect().width
          return { shown, needed }
        })
        expect(shown, `${lang} at ${width} px`).toBeGreaterThanOrEqual(needed - 1)
        await page.close()
      }
    }
  })
})
