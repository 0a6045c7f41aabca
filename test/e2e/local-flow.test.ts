import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotAll, signInToDashboard, stepScreenshot } from '../support/browser'
import { expectGerman, PHONE, sidewaysOverflow } from '../support/page-checks'
import { startNewcomerDev, type NewcomerDev } from '../support/newcomer-dev'

/**
 * Day one, as a person does it: a fresh `npm run dev` with its demo and local stand-ins, and every
 * flow finished by clicking in a browser on a phone-sized screen. A sign-up confirmed by WhatsApp
 * on the stand-in's phone page (in German) and left again, one confirmed by e-mail through the
 * outbox, and a request to a closed community that an admin approves, the applicant told on the
 * phone. With `SCREENSHOTS=1` a screenshot of each step lands in test/e2e/screenshots/local-flow/
 * (a failing test leaves its pages' either way); any console error
 * or page error fails the run, and so does any English on a German page.
 */

const RUNNERS = 'cmt_0000000000000000000000000b'

let dev: NewcomerDev
let base: string
let standIns: string
let ownerToken: string
let browser: Browser
/** Console and page errors of every page, with the page's address. */
const errors: string[] = []

beforeAll(async () => {
  // A newcomer's shell: nothing of the project configured.
  dev = await startNewcomerDev({
    unset: /^(WHATSAPP_|DELIVERY_WEBHOOK_URL|STAND_INS|CRON$|SEED$)/,
  })
  base = dev.base
  const output = dev.output()
  standIns = /Phone \(WhatsApp\) (http:\/\/127\.0\.0\.1:\d+)\/phone/.exec(output)?.[1] ?? ''
  expect(standIns, output).not.toBe('')
  // The owner token is the one `npm run dev` wrote to .dev.vars, as the summary says.
  ownerToken = /^ADMIN_TOKEN=(\S+)$/m.exec(
    readFileSync(path.join(dev.checkout, '.dev.vars'), 'utf8'),
  )![1]!
  expect(output).toContain(`Owner token      ${ownerToken}`)
  browser = await launchBrowser()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await dev?.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Each test answers for its own errors; one that fails leaves a picture of every open page. */
beforeEach(({ task, onTestFailed }) => {
  errors.length = 0
  onTestFailed(() => screenshotAll(browser, `local-flow/failed-${task.name.replace(/\W+/g, '-')}`))
})

/**
 * A browser context that records its pages' console errors and uncaught errors. Contexts stay
 * open to the end: the packaged Chromium runs as one process, which closing its last page ends.
 */
async function newContext(lang: 'de' | 'en'): Promise<BrowserContext> {
  const context = await browser.newContext({
    ...PHONE,
    locale: lang === 'de' ? 'de-DE' : 'en-GB',
  })
  context.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.page()?.url()}: ${message.text()}`)
  })
  context.on('weberror', (error) => errors.push(`${error.page()?.url()}: ${error.error().message}`))
  return context
}

/** The step, screenshotted when asked (`SCREENSHOTS=1`); the page must fit the screen's width (nothing to scroll sideways). */
async function snap(page: Page, name: string) {
  await stepScreenshot(page, `local-flow/${name}.png`)
  expect(await sidewaysOverflow(page), `${name}: wider than the screen`).toBe(0)
}

const heading = (page: Page) => page.locator('h1').first().textContent()

/** Sends the message the phone page was opened with, from `number`; back on the chat after. */
async function sendFromPhone(page: Page, number: string, name: string) {
  await page.getByLabel('Your phone number').fill(number)
  await snap(page, `${name}-phone`)
  await page.getByRole('button', { name: 'Send' }).click()
  await page.waitForURL(`${standIns}/phone?number=${number.replace(/\D/g, '')}`)
  const chat = page.locator('#chat')
  // The stand-in tells what the Worker answered the signed notification.
  await expect.poll(() => chat.textContent()).toContain('the Worker answered 200')
}

/** Reloads until the page's heading is `title`: what happens after a message takes a moment. */
async function reloadUntilHeading(page: Page, title: string) {
  await expect
    .poll(async () => {
      await page.reload()
      return heading(page)
    })
    .toBe(title)
}

async function signedInAdmin(lang: 'de' | 'en'): Promise<Page> {
  const admin = await (await newContext(lang)).newPage()
  await signInToDashboard(admin, base, ownerToken)
  return admin
}

describe('day one with npm run dev, every flow finished in a browser', () => {
  it('joins the demo community by WhatsApp on a phone, in German, and leaves again', async () => {
    const page = await (await newContext('de')).newPage()
    await page.goto(`${base}/i/sundayrunners`)
    expect(await heading(page)).toBe('Berlin Runners')
    await expectGerman(page)
    await snap(page, 'whatsapp-1-landing')

    await page.getByRole('link', { name: 'Beitreten' }).click()
    await page.getByLabel('Dein Name').fill('Lotte')
    await page.getByLabel('Handynummer').fill('0151 2345 6701')
    await page.getByLabel('Ich bin einverstanden').check()
    await expectGerman(page)
    await snap(page, 'whatsapp-2-form')
    await page.getByRole('button', { name: 'Jetzt beitreten' }).click()
    await expect.poll(() => heading(page)).toBe('Bitte bestätige deine Anmeldung')
    await expectGerman(page)
    await snap(page, 'whatsapp-3-status')

    // "Confirm in WhatsApp" opens the stand-in's phone, the message filled in.
    const code = (await page.locator('p.code').textContent())!.trim()
    await page.getByRole('link', { name: 'In WhatsApp bestätigen' }).click()
    await page.waitForURL(`${standIns}/phone/**`)
    expect(await page.locator('#text').inputValue()).toContain(code)
    await sendFromPhone(page, '+49 151 23456701', 'whatsapp-4')
    await expect
      .poll(() => page.locator('#chat').textContent())
      .toContain('Dein Platz bei Berlin Runners ist sicher')
    await snap(page, 'whatsapp-5-chat')

    // Back to the status page: a member.
    await page.goBack()
    await page.goBack()
    expect(page.url()).toMatch(new RegExp(`^${base}/s/`))
    await reloadUntilHeading(page, 'Dein Platz ist bestätigt')
    await expectGerman(page)
    await snap(page, 'whatsapp-6-member')

    // Leaving, from the status page, with a reason.
    await page.getByRole('link', { name: 'Mitgliedschaft beenden' }).click()
    await expect.poll(() => heading(page)).toBe('Mitgliedschaft beenden?')
    await page.getByLabel('Zu viele Nachrichten').check()
    await expectGerman(page)
    await snap(page, 'leave-1-ask')
    await page.getByRole('button', { name: 'Ja, beenden' }).click()
    await expect.poll(() => heading(page)).toBe('Deine Mitgliedschaft ist beendet')
    await expectGerman(page)
    await snap(page, 'leave-2-done')

    // The dashboard lists them among those who left, with their reason.
    const admin = await signedInAdmin('de')
    await admin.goto(`${base}/admin/communities/${RUNNERS}/members`)
    await admin.getByLabel('Status').selectOption({ label: 'ausgetreten' })
    await admin.getByLabel('Suchen').fill('Lotte')
    await admin.getByRole('button', { name: 'Suchen' }).click()
    const row = admin.locator('tbody tr', { hasText: 'Lotte' })
    await expect.poll(() => row.textContent()).toContain('Zu viele Nachrichten')
    expect(await row.textContent()).toContain('+49 1512 3456701')
    await expectGerman(admin)
    await snap(admin, 'leave-3-dashboard')
    expect(errors).toEqual([])
  })

  it('joins by e-mail and confirms with the link from the local outbox', async () => {
    const context = await newContext('en')
    const page = await context.newPage()
    await page.goto(`${base}/i/sundayrunners`)
    await page.getByRole('link', { name: 'Join' }).click()
    const email = `mara-${Date.now()}@example.com`
    await page.getByLabel('Your name').fill('Mara')
    await page.getByLabel('E-mail').fill(email)
    await page.getByLabel('I agree').check()
    await page.getByRole('button', { name: 'Join now' }).click()
    await expect.poll(() => heading(page)).toBe('Please confirm your sign-up')
    expect(await page.locator('main').textContent()).toContain(
      `An e-mail with a confirmation link is on its way to ${email}.`,
    )
    await snap(page, 'email-1-status')
    const statusUrl = page.url()

    // The outbox, where the e-mail arrives once the cron has run.
    const outbox = await context.newPage()
    await outbox.goto(`${standIns}/outbox`)
    const mail = outbox.locator('article.mail', { hasText: email })
    // Events leave with the cron: its button runs it now, again if the e-mail is not there yet.
    const deadline = Date.now() + 30_000
    while ((await mail.count()) === 0 && Date.now() < deadline) {
      await Promise.all([
        outbox.waitForEvent('load'),
        outbox.getByRole('button', { name: 'Run the cron now' }).click(),
      ])
      await sleep(500)
    }
    expect(await mail.count()).toBe(1)
    await snap(outbox, 'email-2-outbox')
    await mail.getByRole('link').click()
    await expect.poll(() => heading(outbox)).toBe('Confirm your sign-up?')
    await snap(outbox, 'email-3-confirm')
    await outbox.getByRole('button', { name: 'Yes, confirm' }).click()
    await expect.poll(() => heading(outbox)).toBe('Thank you, you have confirmed')
    await snap(outbox, 'email-4-confirmed')

    await page.goto(statusUrl)
    expect(await heading(page)).toBe('Your place is confirmed')
    await snap(page, 'email-5-member')
    expect(errors).toEqual([])
  })

  it('asks to join the closed demo community, confirms by WhatsApp, is approved and told', async () => {
    const page = await (await newContext('de')).newPage()
    await page.goto(`${base}/i/handmademaker`)
    expect(await heading(page)).toBe('Kiez Makers')
    await expectGerman(page)
    await snap(page, 'approval-1-landing')
    await page.getByRole('link', { name: 'Beitritt anfragen' }).click()
    await page.getByLabel('Dein Name').fill('Jule')
    await page.getByLabel('Handynummer').fill('+49 151 23456702')
    await page.getByLabel('What do you like to make?').fill('Schmuck aus Fahrradteilen')
    await page.getByLabel('Which Kiez do you live in?').fill('Reuterkiez')
    await page.getByLabel('Ich bin einverstanden').check()
    await expectGerman(page)
    await snap(page, 'approval-2-form')
    await page.getByRole('button', { name: 'Anfrage senden' }).click()
    await expect.poll(() => heading(page)).toBe('Bitte bestätige deine Anmeldung')
    const statusUrl = page.url()

    await page.getByRole('link', { name: 'In WhatsApp bestätigen' }).click()
    await page.waitForURL(`${standIns}/phone/**`)
    await sendFromPhone(page, '+49 151 23456702', 'approval-3')
    await expect.poll(() => page.locator('#chat').textContent()).toContain('entscheidet ein Admin')
    await page.goto(statusUrl)
    await reloadUntilHeading(page, 'Deine Anfrage ist eingegangen')
    await expectGerman(page)
    await snap(page, 'approval-4-waiting')

    // An admin approves the request on the approvals page.
    const admin = await signedInAdmin('de')
    await admin.goto(`${base}/admin/approvals`)
    // The overview shows each community's ten oldest requests, and how many wait; the demo's
    // recent sign-ups may fill those ten, so the admin goes on to the community's own list.
    await expect
      .poll(() => admin.locator('h2', { hasText: 'Kiez Makers' }).textContent())
      .toMatch(/\d+ offen/)
    await admin.locator('h2').getByRole('link', { name: 'Kiez Makers' }).click()
    const row = admin.locator('tbody tr', { hasText: 'Jule' })
    await expect.poll(() => row.textContent()).toContain('Reuterkiez')
    await expectGerman(admin)
    await snap(admin, 'approval-5-dashboard')
    // The requests run past a phone's screen; once one is checked, the bulk actions stay at its
    // foot while scrolling.
    const bulk = admin.locator('.bulk').first()
    const pageHeight = await admin.evaluate<number>('document.documentElement.scrollHeight')
    expect(pageHeight).toBeGreaterThan(PHONE.viewport.height)
    const check = admin.locator('input[name=ids]').first()
    await check.check()
    for (const y of [0, Math.floor((pageHeight - PHONE.viewport.height) / 2)]) {
      await admin.evaluate(`window.scrollTo(0, ${y})`)
      const box = (await bulk.boundingBox())!
      expect(box.y, `scrolled to ${y}`).toBeGreaterThanOrEqual(0)
      expect(box.y + box.height, `scrolled to ${y}`).toBeLessThanOrEqual(PHONE.viewport.height + 1)
    }
    await check.uncheck()
    await admin.evaluate('window.scrollTo(0, 0)')
    await row.getByRole('button', { name: 'Annehmen', exact: true }).click()
    // The page after the decision, loaded (while it loads, the request's row is gone too).
    await expect
      .poll(() => admin.locator('main > p[role=status]').textContent())
      .toBe('1 Anfrage angenommen.')
    await admin.waitForLoadState('load')
    expect(await row.count()).toBe(0)
    await snap(admin, 'approval-6-approved')

    // The applicant is told on WhatsApp, and the status page shows them in.
    await page.goto(`${standIns}/phone?number=4915123456702`)
    await expect
      .poll(() => page.locator('#chat').textContent())
      .toContain('Deine Anfrage bei Kiez Makers ist angenommen')
    await snap(page, 'approval-7-told')
    await page.goto(statusUrl)
    expect(await heading(page)).toBe('Dein Platz ist bestätigt')
    await expectGerman(page)
    await snap(page, 'approval-8-member')
    expect(errors).toEqual([])
  })
})
