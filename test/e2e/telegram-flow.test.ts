import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotAll, signInToDashboard, stepScreenshot } from '../support/browser'
import { timeLeftInTest } from '../support/eventually'
import { DESKTOP, expectGerman, PHONE, sidewaysOverflow } from '../support/page-checks'
import { startNewcomerDev, type NewcomerDev } from '../support/newcomer-dev'

/**
 * Day one on Telegram, as an admin clicks it through a fresh `npm run dev`: connect
 * the bot, add it to a new group on the stand-in's Telegram page, link that chat to a group of
 * a community made in the dashboard, make a campaign link for it and wait for its Telegram
 * link (on the link's page and in the community's links table), then join through that link as a new person and leave again, and see both in the
 * link's funnel as Telegram saw them. On a phone in German (any English left fails it), then
 * the same page on a desktop in English. With `SCREENSHOTS=1` a screenshot of each step lands in
 * test/e2e/screenshots/telegram-flow/ (a failing test leaves its pages' either way).
 */

let dev: NewcomerDev
let base: string
let standIns: string
let ownerToken: string
let browser: Browser
/** Console and page errors of every page, with the page's address. */
const errors: string[] = []

beforeAll(async () => {
  // A newcomer's shell: nothing of the project configured, so the bot is the local stand-in's.
  dev = await startNewcomerDev({
    unset: /^(WHATSAPP_|TELEGRAM_|DELIVERY_WEBHOOK_URL|STAND_INS|CRON$|SEED$)/,
  })
  base = dev.base
  const output = dev.output()
  standIns = /Telegram {9}(http:\/\/127\.0\.0\.1:\d+)\/telegram/.exec(output)?.[1] ?? ''
  expect(standIns, output).not.toBe('')
  ownerToken = /^ADMIN_TOKEN=(\S+)$/m.exec(
    readFileSync(path.join(dev.checkout, '.dev.vars'), 'utf8'),
  )![1]!
  browser = await launchBrowser()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await dev?.stop()
})

beforeEach(({ task, onTestFailed }) => {
  errors.length = 0
  onTestFailed(() =>
    screenshotAll(browser, `telegram-flow/failed-${task.name.replace(/\W+/g, '-')}`),
  )
})

async function newContext(lang: 'de' | 'en', device: typeof PHONE | typeof DESKTOP) {
  const context: BrowserContext = await browser.newContext({
    ...device,
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
  await stepScreenshot(page, `telegram-flow/${name}.png`)
  expect(await sidewaysOverflow(page), `${name}: wider than the screen`).toBe(0)
}

/** What the stand-in's page says it did after one of its forms. */
async function standInNotice(page: Page): Promise<string> {
  return (await page.locator('p[role=status]').textContent()) ?? ''
}

/** The figure of a step of the link's funnel, which on Telegram is what Telegram saw. */
function seenFigure(page: Page, step: string) {
  return async () => {
    await page.reload()
    const figure = page
      .locator('.funnel li', { has: page.locator('.label', { hasText: step }) })
      .locator('b')
    return (await figure.count()) === 0 ? null : (await figure.first().textContent())?.trim()
  }
}

describe('a Telegram community clicked through from npm run dev', () => {
  it('connects, links a chat, makes a link and sees a join and a leave that Telegram saw', async () => {
    const admin = await (await newContext('de', PHONE)).newPage()
    await signInToDashboard(admin, base, ownerToken)

    // A new community with a group of its own, both made here.
    const name = `Paddeltreff ${Date.now().toString(36)}`
    await admin.getByLabel('Name', { exact: true }).fill(name)
    await admin.getByLabel('Zweck').fill('Wir paddeln jeden Samstag auf der Dahme.')
    await admin.getByRole('button', { name: 'Anlegen' }).click()
    await expect.poll(() => admin.locator('h1').first().textContent()).toBe(name)
    const communityUrl = admin.url().replace(/\?.*$/, '')
    await admin.getByRole('link', { name: 'Einstellungen' }).first().click()
    await admin.getByLabel('Name der Gruppe').fill('Samstagspaddler')
    await admin.getByRole('button', { name: 'Gruppe anlegen' }).click()
    await expect.poll(() => admin.locator('main').textContent()).toContain('Samstagspaddler')
    await expectGerman(admin)
    await snap(admin, '1-community')

    // The Telegram page: connected already (npm run dev did it), and connecting again is harmless.
    await admin.goto(`${base}/admin`)
    await admin.getByRole('link', { name: 'Telegram', exact: true }).click()
    await admin.getByRole('button', { name: 'Erneut verbinden' }).click()
    await expect
      .poll(() => admin.locator('p[role=status]').first().textContent())
      .toContain('Verbunden: Telegram schickt die Updates an diesen Worker.')
    await expectGerman(admin)
    await snap(admin, '2-connected')

    // In "Telegram" (the stand-in's page), the bot is added to a new group as its administrator.
    const telegram = await admin.context().newPage()
    await telegram.goto(`${standIns}/telegram`)
    const chatTitle = `Paddel-Chat ${Date.now().toString(36)}`
    await telegram.getByLabel('Group name').fill(chatTitle)
    await telegram.getByRole('button', { name: 'Add the bot as an administrator' }).click()
    await expect.poll(() => standInNotice(telegram)).toContain('(Worker answered 200)')
    await snap(telegram, '3-bot-added')
    // On a phone: the demo's invite links fit the screen (snap), the top links are tall enough
    // to tap, and what the form did stands out from the page.
    const heights = await telegram.evaluate<number[]>(
      `[...document.querySelectorAll('nav a')].map((link) => link.getBoundingClientRect().height)`,
    )
    expect(heights.length).toBeGreaterThan(0)
    for (const height of heights) expect(height).toBeGreaterThanOrEqual(44)
    expect(
      await telegram.evaluate<string>(
        `getComputedStyle(document.querySelector('p[role=status]')).backgroundColor`,
      ),
    ).not.toBe('rgba(0, 0, 0, 0)')
    expect(await telegram.getByLabel('Through the invite link').textContent()).toContain(
      'Spree Paddlers',
    )

    // The chat shows up on the dashboard's Telegram page; it is linked to the new group.
    const chatRow = admin.locator('tbody tr', { hasText: chatTitle })
    await expect
      .poll(async () => {
        await admin.reload()
        return chatRow.count()
      })
      .toBe(1)
    // The bot's standing and what it still lacks there, in words.
    expect(await chatRow.locator('td[data-label="Bot"]').textContent()).toBe('Administrator')
    expect(await chatRow.locator('td[data-label="Fehlt"]').textContent()).toBe('nichts')
    // The new community's groups to pick from, its announcement group named in German too.
    expect(await chatRow.locator('option', { hasText: name }).allTextContents()).toEqual([
      `${name} · Ankündigungsgruppe`,
      `${name} · Samstagspaddler`,
    ])
    await chatRow.getByRole('combobox').selectOption({ label: `${name} · Samstagspaddler` })
    // Linking changes where the group's people are sent: the page asks first.
    let asked = ''
    admin.once('dialog', (dialog) => {
      asked = dialog.message()
      void dialog.accept()
    })
    await chatRow.getByRole('button', { name: 'Verknüpfen' }).click()
    await expect.poll(() => asked).toContain('mit der gewählten Gruppe verknüpfen?')
    await expect
      .poll(() => admin.locator('p[role=status]').last().textContent())
      .toBe('Gruppe mit dem Chat verknüpft.')
    await expectGerman(admin)
    await snap(admin, '4-linked')

    // A campaign link for the group, from the community's page.
    await admin.goto(communityUrl)
    await admin.getByText('Neuer Link', { exact: true }).first().click()
    await admin.getByLabel('Bezeichnung').fill('Flyer Bootshaus')
    await admin.getByLabel('Quelle (Kanal)').fill('flyer')
    await admin.getByLabel('Gruppe').selectOption({ label: 'Samstagspaddler' })
    await admin.locator('#new-link').getByRole('button', { name: 'Anlegen' }).click()
    await admin.waitForURL(/\/admin\/links\/inv_/)
    const linkUrl = admin.url().replace(/\?.*$/, '')

    // Telegram's own invite link is made after the answer: pending until then.
    const telegramLine = admin.locator('.telegram-link')
    expect(await telegramLine.textContent()).toMatch(
      /Telegram-Link: (ausstehend|https:\/\/t\.me\/\+)/,
    )
    const chatLink = telegramLine.locator('a', { hasText: 'https://t.me/+' })
    await expect
      .poll(
        async () => {
          if ((await chatLink.count()) === 0) await admin.reload()
          return chatLink.count()
        },
        { timeout: timeLeftInTest() },
      )
      .toBe(1)
    const inviteLink = (await chatLink.textContent())!
    // Under npm run dev Telegram's links open the stand-in's page (TELEGRAM_LINK_BASE).
    const opensAt = inviteLink.replace('https://t.me/', `${standIns}/telegram/t.me/`)
    expect(await chatLink.getAttribute('href')).toBe(opensAt)
    const landingUrl = (await admin.locator('main a[href*="/i/"]').first().getAttribute('href'))!
    await expectGerman(admin)
    await snap(admin, '5-telegram-link')

    // The community's links table shows it too, in a column of its own, within the phone's width.
    await admin.goto(communityUrl)
    const column = admin.locator('#links td[data-label="Telegram"]')
    expect(await column.locator('a').textContent()).toBe(inviteLink)
    expect(await column.locator('a').getAttribute('href')).toBe(opensAt)
    expect(await column.getByRole('button').textContent()).toBe('Kopieren')
    await expectGerman(admin)
    await snap(admin, '5-links-table')

    // A new person scans the link's QR code: its landing page's join button is the chat's own
    // invite link, which opens "Telegram" (the stand-in) with that link to join through.
    await telegram.goto(landingUrl)
    await telegram.locator(`a[href="${opensAt}"]`).click()
    await telegram.waitForURL(opensAt)
    expect(await standInNotice(telegram)).toContain(`You opened ${inviteLink}`)
    expect(await telegram.getByLabel('Through the invite link').inputValue()).toBe(inviteLink)
    await telegram.getByLabel('As', { exact: true }).fill('Ida')
    await telegram.getByRole('button', { name: 'Join', exact: true }).click()
    await expect.poll(() => standInNotice(telegram)).toBe('Ida joined (Worker answered 200).')
    await snap(telegram, '6-joined')

    // The link's funnel shows the join as Telegram saw it.
    await admin.goto(linkUrl)
    await expect.poll(seenFigure(admin, 'Beigetreten (von Telegram verifiziert)')).toBe('1')
    await expectGerman(admin)
    await snap(admin, '7-join-seen')

    // Ida leaves the chat again; the funnel shows that too.
    await telegram
      .locator('li', { hasText: 'Ida in' })
      .getByRole('button', { name: 'Leave' })
      .click()
    await expect.poll(() => standInNotice(telegram)).toBe('Ida left (Worker answered 200).')
    await expect
      .poll(seenFigure(admin, 'Ausgetreten oder entfernt (von Telegram verifiziert)'))
      .toBe('1')
    expect(await seenFigure(admin, 'Beigetreten (von Telegram verifiziert)')()).toBe('1')
    await expectGerman(admin)
    await snap(admin, '8-leave-seen')

    // The community's members: Ida, by her Telegram account, gone from the chat as Telegram said.
    await admin.goto(`${communityUrl}/members`)
    await admin.getByLabel('Status').selectOption({ label: 'ausgetreten' })
    await admin.getByRole('button', { name: 'Suchen' }).click()
    const ida = admin.locator('tbody tr', { hasText: 'Ida' })
    await expect.poll(() => ida.textContent()).toContain('Chat verlassen (von Telegram gemeldet)')
    expect(await ida.textContent()).toMatch(/@local\d+ \(Telegram\)/)
    // Her consent and her leave told in the same clock, the community's.
    const times = await ida.locator('time').allTextContents()
    expect(times).toHaveLength(2)
    for (const time of times) expect(time).toMatch(/^\d\d\.\d\d\.\d{4}, \d\d:\d\d$/)
    await expectGerman(admin)
    await snap(admin, '9-members')

    // The same page on a desktop, in English: the same figures, and nothing wider than the screen.
    const desktop = await (await newContext('en', DESKTOP)).newPage()
    await signInToDashboard(desktop, base, ownerToken)
    await desktop.goto(linkUrl)
    expect(await desktop.locator('.telegram-link a').getAttribute('href')).toBe(opensAt)
    expect(await seenFigure(desktop, 'Joined (verified by Telegram)')()).toBe('1')
    expect(await seenFigure(desktop, 'Left or removed (verified by Telegram)')()).toBe('1')
    await snap(desktop, '10-desktop')
    await desktop.goto(communityUrl)
    expect(await desktop.locator('#links td[data-label="Telegram"] a').textContent()).toBe(
      inviteLink,
    )
    await snap(desktop, '11-desktop-links')
    expect(errors).toEqual([])
  })
})
