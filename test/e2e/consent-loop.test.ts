import type { Server } from 'node:http'
import { devices, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure, stepScreenshot } from '../support/browser'
import { startFakeServices, WHATSAPP_TOKEN } from '../support/fake-services'
import { scanQrCodes } from '../support/qr-scanner'
import {
  APP_SECRET,
  hubSignature,
  statusNotification,
  textNotification,
  VERIFY_TOKEN,
} from '../support/whatsapp-notifications'
import {
  apiClient,
  startWorker,
  TEST_OWNER_TOKEN,
  type RunningWorker,
} from '../support/worker-server'

let worker: RunningWorker
let browser: Browser
let fake: { url: string; server: Server }

beforeAll(async () => {
  fake = await startFakeServices()
  worker = await startWorker({
    vars: {
      DELIVERY_CHANNEL: 'whatsapp',
      WHATSAPP_API_BASE: `${fake.url}/whatsapp`,
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
      WHATSAPP_ACCESS_TOKEN: WHATSAPP_TOKEN,
      WHATSAPP_BUSINESS_NUMBER: '4930123456',
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      DELIVERY_RETRY_BASE_SECONDS: '1',
      ALLOW_HTTP_WEBHOOKS: 'true',
    },
  })
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await worker?.stop()
  fake?.server.close()
})

/** Meta's part: a signed notification to the running Worker's webhook, over real HTTP. */
async function notify(payload: unknown) {
  const body = JSON.stringify(payload)
  const response = await fetch(`${worker.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': await hubSignature(body),
    },
    body,
  })
  expect(response.status).toBe(200)
}

/** What the Cloud API stand-in was asked to send to a number. */
async function sentTo(phone: string) {
  const requests = (await (await fetch(`${fake.url}/__requests?path=/whatsapp`)).json()) as Array<{
    body: string
  }>
  return requests
    .map((request) => JSON.parse(request.body) as { to: string; text?: { body: string } })
    .filter((message) => message.to === phone)
}

describe('double opt-in and hearing back, in a real browser', () => {
  it('join, confirm with the WhatsApp QR code, receive, report read, "Stopp": nothing more', async () => {
    let admin: Page | undefined
    let visitor: Page | undefined
    screenshotOnFailure({ admin: () => admin, visitor: () => visitor })
    const api = apiClient(worker.url)
    const community = await api('POST', '/api/communities', {
      name: 'Kanal Schwimmer',
      description: 'Morning swims',
      visibility: 'open',
    })
    expect(community.consent).toBe('double')
    const invite = await api('POST', `/api/communities/${community.id}/invites`, {})

    // A visitor signs up on a phone: asked to confirm, with a wa.me link and its QR code.
    visitor = await (await browser.newContext({ ...devices['Pixel 7'], locale: 'de-DE' })).newPage()
    await visitor.goto(`${worker.url}/i/${invite.code}/join`)
    await visitor.getByLabel('Dein Name').fill('Uma')
    await visitor.getByLabel('Handynummer').fill('0151 2345 6781')
    await visitor.getByLabel('Ich bin einverstanden').check()
    await visitor.getByRole('button', { name: /beitreten/i }).click()
    await expect
      .poll(() => visitor!.locator('h1').textContent())
      .toBe('Bitte bestätige deine Anmeldung')
    const link = await visitor
      .getByRole('link', { name: 'In WhatsApp bestätigen' })
      .getAttribute('href')
    // A phone cannot scan its own screen: there the QR code and its words are left out...
    const qrImage = visitor.locator('img.qr')
    expect(await qrImage.isVisible()).toBe(false)
    await expect(visitor.locator('main').innerText()).resolves.not.toContain('Am Computer')
    // ...and on a wider screen (a tablet, or the page opened on a computer) they are there.
    // Scanned once the image has loaded: a screenshot of one still arriving shows an empty box.
    await visitor.setViewportSize({ width: 900, height: 900 })
    await expect.poll(() => qrImage.isVisible()).toBe(true)
    type LoadedImage = { complete: boolean; naturalWidth: number }
    const loadedWidth = (img: unknown) => {
      const { complete, naturalWidth } = img as LoadedImage
      return complete ? naturalWidth : 0
    }
    await expect.poll(() => qrImage.evaluate(loadedWidth)).toBeGreaterThan(0)
    const [scanned] = await scanQrCodes(await qrImage.screenshot({ type: 'png' }))
    expect(scanned).toBe(link)
    expect(scanned).toMatch(/^https:\/\/wa\.me\/4930123456\?text=/)
    await visitor.setViewportSize(devices['Pixel 7'].viewport)

    // No announcement reaches the unconfirmed sign-up.
    await api('POST', `/api/communities/${community.id}/announcements`, {
      body: 'Too early',
      sendAt: new Date(Date.now() + 1000).toISOString(),
    })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)

    // They send the prefilled message from their own WhatsApp.
    const text = new URL(scanned!).searchParams.get('text')!
    await notify(textNotification('+4915123456781', text))
    await expect
      .poll(async () => {
        await visitor!.reload()
        return visitor!.locator('h1').textContent()
      })
      .toBe('Dein Platz ist bestätigt')
    await expect
      .poll(async () => (await sentTo('4915123456781')).map((m) => m.text?.body ?? '').join())
      .toContain('Dein Platz bei')

    // An announcement reaches them; WhatsApp reports read, then delivered.
    const announcement = await api('POST', `/api/communities/${community.id}/announcements`, {
      body: 'Schwimmen um 7',
      sendAt: new Date(Date.now() + 1000).toISOString(),
    })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
    await expect
      .poll(async () => (await sentTo('+4915123456781')).map((m) => m.text?.body), {
        timeout: 30_000,
      })
      .toEqual(['Schwimmen um 7'])
    let wamid = ''
    await expect
      .poll(async () => {
        const page = await api('GET', `/api/announcements/${announcement.id}/deliveries`)
        wamid = page.data[0]?.providerMessageId ?? ''
        return wamid
      })
      .toMatch(/^wamid\./)
    await notify(statusNotification(wamid, 'read', '+4915123456781'))
    await notify(statusNotification(wamid, 'delivered', '+4915123456781'))
    await expect
      .poll(async () => (await api('GET', `/api/announcements/${announcement.id}`)).deliveries)
      .toMatchObject({ sent: 1, delivered: 1, read: 1 })

    // The admin sees it in the dashboard.
    admin = await (await browser.newContext({ locale: 'en-GB' })).newPage()
    await admin.goto(`${worker.url}/admin`)
    await admin.getByLabel('API token').fill(TEST_OWNER_TOKEN)
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await admin.goto(`${worker.url}/admin/communities/${community.id}/announcements`)
    const row = admin.locator('tbody tr', { hasText: 'Schwimmen um 7' })
    await expect.poll(() => row.locator('td:nth-child(4)').textContent()).toBe('1 (100%)')
    await expect.poll(() => row.locator('td:nth-child(5)').textContent()).toBe('1 (100%)')
    await admin.goto(`${worker.url}/admin/communities/${community.id}/members`)
    await expect.poll(() => admin!.locator('tbody').textContent()).toContain('WhatsApp message')
    await stepScreenshot(admin, 'consent-members.png')

    // "Stopp" in the chat: unsubscribed, and the next announcement does not reach them.
    await notify(textNotification('+4915123456781', 'Stopp'))
    await expect
      .poll(
        async () => (await api('GET', `/api/communities/${community.id}/members?status=left`)).data,
      )
      .toMatchObject([{ name: 'Uma', leaveReason: 'chat_opt_out' }])
    const after = await api('POST', `/api/communities/${community.id}/announcements`, {
      body: 'Nach dem Stopp',
      sendAt: new Date(Date.now() + 1000).toISOString(),
    })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
    await expect
      .poll(async () => (await api('GET', `/api/announcements/${after.id}`)).status)
      .toBe('sent')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await sentTo('+4915123456781')).map((m) => m.text?.body)).toEqual(['Schwimmen um 7'])
  })
})
