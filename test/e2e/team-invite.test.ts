import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, signInToDashboard } from '../support/browser'
import { eventually } from '../support/eventually'
import {
  apiClient,
  startWorker,
  TEST_OWNER_TOKEN,
  type RunningWorker,
} from '../support/worker-server'

/**
 * A community admin invites a teammate from the Team page on a desktop, in German; the teammate
 * opens the sign-in link on a phone, in English, confirms and is in, without ever seeing a
 * token; the audit log says who did what.
 */

let worker: RunningWorker
let browser: Browser

beforeAll(async () => {
  worker = await startWorker()
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await worker?.stop()
})

describe('a team without pasting tokens', () => {
  it('invites a teammate who signs in through the link on a phone', async () => {
    const api = apiClient(worker.url)
    const community = await api('POST', '/api/communities', {
      name: 'Team Runners',
      description: 'Running together',
      visibility: 'open',
    })

    const desktop = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'de-DE',
    })
    const admin = await desktop.newPage()
    await signInToDashboard(admin, worker.url, TEST_OWNER_TOKEN)
    await admin.goto(`${worker.url}/admin/communities/${community.id}`)
    await admin.getByRole('link', { name: 'Team', exact: true }).click()
    await admin.getByLabel('Name oder E-Mail').fill('Ana (ana@example.org)')
    await admin.getByLabel('Rolle').selectOption('community_admin')
    await admin.getByRole('button', { name: 'Anmeldelink erstellen' }).click()
    const link = await admin.locator('#sign-in-link').inputValue()
    expect(link).toMatch(new RegExp(`^${worker.url}/admin/accept/`))
    await expect.poll(() => admin.getByText('Offene Anmeldelinks').isVisible()).toBe(true)
    expect(await admin.locator('table').last().innerText()).toContain('Ana (ana@example.org)')

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      locale: 'en-GB',
    })
    const teammate = await phone.newPage()
    await teammate.goto(link)
    expect(await teammate.locator('h1').innerText()).toBe('Sign in to the dashboard')
    expect(await teammate.locator('main').innerText()).toContain('Team Runners')
    await Promise.all([
      teammate.waitForURL(`${worker.url}/admin/communities/${community.id}`),
      teammate.getByRole('button', { name: 'Sign in' }).tap(),
    ])
    expect(await teammate.locator('footer').innerText()).toContain('Ana (ana@example.org)')
    // The teammate can open the team page on the phone, and it fits the screen.
    await teammate.goto(`${worker.url}/admin/communities/${community.id}/team`)
    const overflow = await teammate.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )
    expect(overflow).toBeLessThanOrEqual(0)
    expect(await teammate.locator('main').innerText()).not.toMatch(/cg_[A-Za-z0-9_-]{20,}/)

    // The link is used up.
    const again = await phone.newPage()
    const response = await again.goto(link)
    expect(response?.status()).toBe(410)

    // The audit log names both: who invited, who signed in.
    await eventually(async () => {
      await admin.goto(`${worker.url}/admin/communities/${community.id}/audit`)
      const log = await admin.locator('main').innerText()
      expect(log).toContain('Teammitglied eingeladen')
      expect(log).toContain('Teammitglied angemeldet')
      expect(log).toContain('Ana (ana@example.org)')
    })
  }, 120_000)
})
