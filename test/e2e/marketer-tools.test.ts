import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HORIZONTAL_OVERFLOW,
  openDemoDashboard,
  VIEWPORTS,
  type DemoDashboard,
} from '../support/demo-dashboard'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { englishLeftIn } from '../support/language'

/**
 * What a marketer does first with the demo, on a phone and a desktop, in German and English:
 * creates a link from the button at the top, edits it, designs its QR code (the preview follows
 * the fields), and opens an announcement's report per recipient, filtered to the failed.
 */

const RUNNERS = 'cmt_0000000000000000000000000b'

let demo: DemoDashboard

beforeAll(async () => {
  demo = await openDemoDashboard('marketer-state')
}, 180_000)

afterAll(() => demo?.close())

const OWN_WORDS = `(() => {
  const body = document.body.cloneNode(true)
  for (const element of body.querySelectorAll('bdi, script, style, code, option, textarea, blockquote, [lang]'))
    element.remove()
  body.style.position = 'absolute'
  document.body.append(body)
  const text = body.innerText
  body.remove()
  return text
})()`

/** A page in one language and size that collects what a reader would call broken. */
async function openPage(lang: 'de' | 'en', viewport: { width: number; height: number }) {
  const page = await demo.context.newPage()
  await page.setViewportSize(viewport)
  await page.setExtraHTTPHeaders({ 'accept-language': lang === 'de' ? 'de-DE,de' : 'en-GB,en' })
  const problems: string[] = []
  // A form refused on purpose answers 400, which the browser logs as a failed load.
  const expected = { refusal: false }
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected.refusal)
      problems.push(`console error ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(error.message))
  const check = async (where: string) => {
    const overflow = await page.evaluate<number>(HORIZONTAL_OVERFLOW)
    if (overflow > 0) problems.push(`${where}: ${overflow} px wider than the screen`)
    if (lang === 'de') {
      const english = englishLeftIn(await page.evaluate<string>(OWN_WORDS))
      if (english.length > 0) problems.push(`${where}: English left: ${english.join(', ')}`)
    }
  }
  return { page, problems, check, expected }
}

async function submit(page: Page, button: string, url: RegExp) {
  await Promise.all([page.waitForURL(url), page.click(button)])
}

describe('a marketer’s tools in the dashboard', () => {
  for (const lang of ['de', 'en'] as const) {
    const t = DASHBOARD_WORDS[lang]
    for (const viewport of VIEWPORTS) {
      it(`edits a link, designs its QR code and reads a report per recipient, ${lang} at ${viewport.width} px`, async () => {
        const { page, problems, check, expected } = await openPage(lang, viewport)
        const tag = `${lang}-${viewport.name}`

        // A new link from the button at the top of the overview.
        await page.goto(`${demo.url}/admin/communities/${RUNNERS}`)
        await page.click('#new-link summary')
        await page.fill('#label', `Flyer ${tag}`)
        await page.fill('#source', 'flyer')
        await check('overview with the form open')
        await submit(page, '#new-link button[type=submit]', /\/admin\/links\/inv_/)

        const linkUrl = page.url().split('?')[0]!
        // Edited on its page.
        await page.fill('#edit-label', `Flyer ${tag}, reprint`)
        await page.fill('#edit-maxUses', '300')
        await submit(page, '#edit button[type=submit]', /done=saved/)
        await expect(page.locator('h1').textContent()).resolves.toBe(`Flyer ${tag}, reprint`)
        await expect(page.inputValue('#edit-maxUses')).resolves.toBe('300')

        // Its QR code designed: the preview follows the fields before anything is saved.
        await page.fill('#fg', '#1d3557')
        await page.selectOption('#style', 'dots')
        await expect.poll(() => page.getAttribute('#qr-preview', 'src')).toContain('fg=1d3557')
        expect(await page.getAttribute('#qr-preview', 'src')).toContain('style=dots')
        await check('link page')
        await submit(page, `button[value=save]`, /done=saved/)
        const image = await page.request.get(
          demo.url + (await page.getAttribute('#qr-preview', 'src'))!,
        )
        expect(image.status()).toBe(200)
        expect(await image.text()).toContain('fill="#1d3557"')

        // An unreadable pair is refused in words, next to the field.
        // The preview keeps the last readable design rather than show a broken image.
        const readable = await page.getAttribute('#qr-preview', 'src')
        await page.fill('#fg', '#bbbbbb')
        await page.fill('#bg', '#ffffff')
        expect(await page.getAttribute('#qr-preview', 'src')).toBe(readable)
        // ...and says so at once: the contrast hint turns into an error, the preview fades.
        await expect.poll(() => page.getAttribute('#qr-contrast-hint', 'class')).toBe('err')
        await expect(page.locator('#qr-preview').getAttribute('style')).resolves.toContain(
          'opacity: 0.35',
        )
        // A logo too big is refused on its field before anything is sent.
        await page.setInputFiles('#logo', {
          name: 'photo.png',
          mimeType: 'image/png',
          buffer: Buffer.alloc(200 * 1024, 7),
        })
        await expect(
          page
            .locator('#logo')
            .evaluate((input) => (input as { validationMessage: string }).validationMessage),
        ).resolves.toContain(t.qrLogoRefused.slice(0, 20))
        await page.setInputFiles('#logo', [])
        expected.refusal = true
        await Promise.all([page.waitForLoadState('load'), page.click('button[value=save]')])
        await expect(page.locator('#fg-error').textContent()).resolves.toContain('4')
        expected.refusal = false

        // An announcement's report per recipient, filtered to those who did not get it.
        await page.goto(`${demo.url}/admin/communities/${RUNNERS}/announcements`)
        await submit(page, 'table a[href^="/admin/announcements/ann_"]', /\/admin\/announcements\//)
        await expect(page.locator('h1').textContent()).resolves.toBe(t.recipientReport)
        const failed = page.locator('nav.periods a', { hasText: t.recipientStatuses.failed })
        if ((await failed.count()) > 0) {
          await submit(page, `nav.periods a:has-text("${t.recipientStatuses.failed}")`, /failed/)
          await expect(page.locator('td[data-label]').first().isVisible()).resolves.toBe(true)
        }
        await check('report')

        // Archived out of the list, and back. Archiving asks first: its page and QR codes stop.
        await page.goto(linkUrl)
        const asked: string[] = []
        page.once('dialog', (dialog) => {
          asked.push(dialog.message())
          void dialog.accept()
        })
        await submit(page, '#archive button', /done=archived/)
        expect(asked).toEqual([t.confirmArchive])
        await expect(page.locator('[role=status]').first().textContent()).resolves.toBe(
          t.archivedNotice,
        )
        await submit(page, '#archive button', /done=restored/)
        await check('restored link')
        expect(problems).toEqual([])
        await page.close()
      })
    }
  }
})
