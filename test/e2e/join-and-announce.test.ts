import { createServer, type Server } from 'node:http'
import { devices, type Browser, type Page } from 'playwright-core'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure, stepScreenshot } from '../support/browser'
import { scanQrCodes } from '../support/qr-scanner'
import { startWorker, TEST_OWNER_TOKEN, type RunningWorker } from '../support/worker-server'

const SECRET = 'whsec_ZTJlLWRlbGl2ZXJ5LXNlY3JldC0wMTIzNDU2Nzg5'

let worker: RunningWorker
let browser: Browser
let receiver: Server
const delivered: Array<{ type: string; data: { text?: string; recipient?: { name: string } } }> = []

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      delivered.push(
        new Webhook(SECRET).verify(body, request.headers as Record<string, string>) as never,
      )
      response.writeHead(200).end('{}')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const address = receiver.address()
  const port = typeof address === 'object' && address ? address.port : 0
  worker = await startWorker({
    vars: {
      DELIVERY_WEBHOOK_URL: `http://127.0.0.1:${port}/webhook`,
      DELIVERY_WEBHOOK_SECRET: SECRET,
      DELIVERY_RETRY_BASE_SECONDS: '1',
      // As in the other test projects: a statement past D1's limits fails the run.
      D1_LIMIT_CHECKS: 'true',
    },
  })
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await worker?.stop()
  receiver?.close()
})

/** The current minute on Berlin's wall clock, as a datetime-local input wants it. */
function berlinNow(): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Berlin',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date())
      .map((part) => [part.type, part.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`
}

describe('a marketer, a visitor and an admin, in a real browser', () => {
  it('sign in, create a community and a link, scan its QR, join as a visitor, approve, announce, see it delivered', async () => {
    let admin: Page | undefined
    let visitor: Page | undefined
    screenshotOnFailure({ admin: () => admin, visitor: () => visitor })

    admin = await (await browser.newContext({ locale: 'en-GB' })).newPage()
    await admin.goto(`${worker.url}/admin`)
    await admin.getByLabel('API token').fill(TEST_OWNER_TOKEN)
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => admin!.locator('h1').textContent()).toBe('Communities')

    await admin.locator('#name').fill('Kiez Runners')
    await admin.locator('#visibility').selectOption('closed')
    await admin.locator('#consent').selectOption('single')
    await admin.locator('#description').fill('Runs through Neukölln, every Sunday')
    await admin.locator('#joinQuestions').fill('How far do you run?')
    await admin.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => admin!.locator('h1').textContent()).toBe('Kiez Runners')

    // The new-link form opens from the button at the top of the community's page.
    await admin.click('#new-link summary')
    await admin.locator('#label').fill('Poster at the park')
    await admin.locator('#source').fill('poster')
    await admin.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => admin!.locator('h1').textContent()).toBe('Poster at the park')

    // Scan the QR code on the page, as a phone would, once the image has loaded: a screenshot
    // taken while it is still arriving shows an empty box.
    const qrImage = admin.locator('img[src*="qr.svg"]')
    type LoadedImage = { complete: boolean; naturalWidth: number }
    const loadedWidth = (img: unknown) => {
      const { complete, naturalWidth } = img as LoadedImage
      return complete ? naturalWidth : 0
    }
    await expect.poll(() => qrImage.evaluate(loadedWidth)).toBeGreaterThan(0)
    const [scanned] = await scanQrCodes(await qrImage.screenshot({ type: 'png' }))
    expect(scanned).toMatch(new RegExp(`^${worker.url}/i/[a-z2-9]{13}\\?via=qr$`))

    // A new visitor on a phone, in German.
    visitor = await (await browser.newContext({ ...devices['Pixel 7'], locale: 'de-DE' })).newPage()
    await visitor.goto(scanned!)
    await expect.poll(() => visitor!.locator('h1').textContent()).toBe('Kiez Runners')
    await visitor.getByRole('link', { name: 'Beitritt anfragen' }).click()
    await visitor.getByLabel('Dein Name').fill('Wanda')
    await visitor.getByLabel('Handynummer').fill('0151 23')
    await visitor.getByLabel('How far do you run?').fill('10 km')
    await visitor.getByLabel('Ich bin einverstanden').check()
    await visitor.getByRole('button', { name: 'Anfrage senden' }).click()
    // A number too short comes back refused. The form, as typed and with what it lacks, in
    // English and back: its switch sends it, and stores nothing.
    await expect.poll(() => visitor!.locator('p.err').count()).toBeGreaterThan(0)
    await visitor.getByRole('button', { name: 'English' }).click()
    await expect.poll(() => visitor!.locator('html').getAttribute('lang')).toBe('en')
    await expect.poll(() => visitor!.locator('p.err').first().textContent()).toContain('phone')
    expect(await visitor.getByLabel('Your name').inputValue()).toBe('Wanda')
    await visitor.getByRole('button', { name: 'Deutsch' }).click()
    await expect.poll(() => visitor!.locator('html').getAttribute('lang')).toBe('de')
    // Enter in a field sends the form, not the language switch above it.
    await visitor.getByLabel('Handynummer').fill('0151 2345 6780')
    await visitor.getByLabel('Handynummer').press('Enter')
    await expect
      .poll(() => visitor!.locator('h1').textContent())
      .toBe('Deine Anfrage ist eingegangen')

    // The admin sees the request waiting and approves it: the header counts every community's
    // requests, the community's approvals tab its own (here the same one).
    await admin.getByRole('link', { name: '← Kiez Runners' }).click()
    await admin
      .locator('nav.tabs')
      .getByRole('link', { name: /^Approvals/ })
      .click()
    await expect.poll(() => admin!.locator('header .pill').textContent()).toBe('1')
    await expect.poll(() => admin!.locator('nav.tabs .pill').textContent()).toBe('1')
    await expect.poll(() => admin!.locator('tbody').textContent()).toContain('10 km')
    await admin.getByRole('button', { name: 'Approve', exact: true }).click()
    await expect.poll(() => admin!.locator('header .pill').textContent()).toBe('0')
    await expect.poll(() => admin!.locator('nav.tabs .pill').count()).toBe(0)
    await visitor.reload()
    await expect.poll(() => visitor!.locator('h1').textContent()).toBe('Dein Platz ist bestätigt')

    // An announcement, scheduled for later, then changed to go out now with a better text: fired
    // by the cron, the changed one reaches the new member.
    await admin.locator('nav.tabs').getByRole('link', { name: 'Announcements' }).click()
    await admin.locator('#body').fill('Sunday run')
    await admin.locator('#sendAt').fill('2031-01-05T09:00')
    await admin.getByRole('button', { name: 'Schedule' }).click()
    await expect.poll(() => admin!.locator('tbody').textContent()).toContain('Sunday run')
    await admin.getByRole('link', { name: 'Change', exact: true }).click()
    await expect.poll(() => admin!.locator('#body').inputValue()).toBe('Sunday run')
    await admin.locator('#body').fill('Sunday run at 9, see you at the gate')
    await admin.locator('#sendAt').fill(berlinNow())
    await admin.getByRole('button', { name: 'Save changes' }).click()
    await expect
      .poll(() => admin!.locator('[role=status]').first().textContent())
      .toBe('The announcement is changed.')
    await expect.poll(() => admin!.locator('tbody').textContent()).toContain('Sunday run at 9')
    await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
    await expect
      .poll(
        () =>
          delivered.filter((d) => d.data.text === 'Sunday run at 9, see you at the gate').length,
        { timeout: 30_000 },
      )
      .toBe(1)
    expect(delivered.find((d) => d.data.text?.startsWith('Sunday run'))!.data.recipient!.name).toBe(
      'Wanda',
    )
    await expect
      .poll(async () => {
        await admin!.reload()
        return admin!.locator('tbody tr td:nth-child(3)').first().textContent()
      })
      .toBe('1')
    await stepScreenshot(admin, 'announcements.png')
  })
})
