import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HORIZONTAL_OVERFLOW,
  openDemoDashboard,
  VIEWPORTS,
  type DemoDashboard,
} from '../support/demo-dashboard'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import type { Breakdown } from '../../src/services/stats-breakdowns'

/**
 * A marketer narrowing a link's figures down, on a phone and a desktop, in German and English:
 * a value of a breakdown clicked filters the page (a chip says so and the funnel shows that
 * value's figures), a second filter combines with it, a chip's × takes one away, and the URL,
 * reloaded, shows the same view.
 */

// The runners' Instagram link of the demo: sixty days of visits by country, device and referrer.
const LINK = 'inv_0000000000000000000000000b'

let demo: DemoDashboard

beforeAll(async () => {
  demo = await openDemoDashboard('stats-filters-state')
}, 180_000)

afterAll(() => demo?.close())

/** What the funnel's first step (visits) says. */
function funnelVisits(page: Page) {
  return page.locator('.funnel li').first().locator('b').textContent()
}

function chips(page: Page) {
  return page.locator('nav.chips a.chip')
}

describe('filtering a link’s stats', () => {
  for (const lang of ['de', 'en'] as const) {
    const t = DASHBOARD_WORDS[lang]
    /** The busiest value of a breakdown table: its link, its name and its visits as shown. */
    const busiest = async (page: Page, dimension: Breakdown) => {
      const heading = t.breakdownHeadings[dimension]
      const row = page
        .locator(`xpath=//h2[normalize-space()="${heading}"]/following-sibling::div[1]//tbody/tr`)
        .filter({ has: page.locator('a') })
        .first()
      const link = row.locator('a')
      return {
        link,
        value: (await link.textContent())!.trim(),
        visits: (await row.locator('td').nth(1).textContent())!.trim(),
      }
    }
    const chipOf = (page: Page, dimension: Breakdown, value: string) =>
      page.locator(
        `nav.chips a.chip[aria-label="${t.removeFilter(t.dimensionNames[dimension], value)}"]`,
      )

    for (const viewport of VIEWPORTS) {
      it(`clicks a value, adds a filter, removes one and reloads, ${lang} at ${viewport.width} px`, async () => {
        const page = await demo.context.newPage()
        await page.setViewportSize(viewport)
        await page.setExtraHTTPHeaders({
          'accept-language': lang === 'de' ? 'de-DE,de' : 'en-GB,en',
        })
        const problems: string[] = []
        page.on('pageerror', (error) => problems.push(error.message))
        page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))

        await page.goto(`${demo.url}/admin/links/${LINK}`)
        await expect(chips(page).count()).resolves.toBe(0)
        const unfiltered = await funnelVisits(page)

        // A device clicked: the page is that device's, and a chip says so.
        const device = await busiest(page, 'device')
        await Promise.all([page.waitForURL(/[?&]device=/), device.link.click()])
        await expect(chipOf(page, 'device', device.value).count()).resolves.toBe(1)
        await expect(funnelVisits(page)).resolves.toBe(device.visits)
        expect(device.visits).not.toBe(unfiltered)

        // A country on top: both hold, and the funnel is that country's on that device.
        const country = await busiest(page, 'country')
        await Promise.all([page.waitForURL(/[?&]country=/), country.link.click()])
        expect(page.url()).toMatch(/[?&]device=/)
        await expect(chips(page).count()).resolves.toBe(2)
        await expect(funnelVisits(page)).resolves.toBe(country.visits)

        // The device's chip taken away: the country alone.
        await Promise.all([
          page.waitForURL((url) => !url.searchParams.has('device')),
          chipOf(page, 'device', device.value).click(),
        ])
        expect(page.url()).toMatch(/[?&]country=/)
        await expect(chips(page).count()).resolves.toBe(1)
        await expect(chipOf(page, 'country', country.value).count()).resolves.toBe(1)
        const countryAlone = await funnelVisits(page)

        // The URL is the view: reloaded (as a bookmark or a shared link would be), the same.
        const url = page.url()
        await page.reload()
        expect(page.url()).toBe(url)
        await expect(chipOf(page, 'country', country.value).count()).resolves.toBe(1)
        await expect(chips(page).count()).resolves.toBe(1)
        await expect(funnelVisits(page)).resolves.toBe(countryAlone)
        expect(await page.evaluate<number>(HORIZONTAL_OVERFLOW)).toBeLessThanOrEqual(0)
        expect(problems).toEqual([])
        await page.close()
      })
    }
  }
})
