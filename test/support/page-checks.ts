import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { englishLeftIn } from './language'

/** What a phone shows: 390 px wide, touch, a sharp screen. */
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}

/** A laptop's screen. */
export const DESKTOP = { viewport: { width: 1280, height: 900 } }

/** How far the page runs past the screen's width: 0 when nothing scrolls sideways. */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )
}

/**
 * The page's own words, as a reader sees them: people's words (`bdi`), data (options, text
 * areas, code) and parts marked as another language are left out.
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

/** A German page: marked as German, no English left in it, nothing unfilled. */
export async function expectGerman(page: Page): Promise<void> {
  expect(await page.locator('html').getAttribute('lang'), page.url()).toBe('de')
  const text = await page.evaluate<string>(OWN_WORDS)
  expect(englishLeftIn(text), `English on ${page.url()}`).toEqual([])
  expect(text).not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]/)
}
