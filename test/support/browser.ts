import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { onTestFailed } from 'vitest'

/** Flags that keep Chromium quiet on a machine without network beyond loopback. */
const OFFLINE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Chrome where macOS and Windows install it: @sparticuz/chromium ships a Linux build only. */
const DESKTOP_CHROME = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
]

/**
 * Launches a headless Chromium for the browser tests. `CHROMIUM_PATH` wins (a developer's own
 * browser); on Linux the Chromium that `npm install` brought in `@sparticuz/chromium` is unpacked
 * and used, so no system package is needed; elsewhere an installed desktop Chrome. `extraArgs`
 * add flags (the Lighthouse script opens a remote-debugging port).
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const override = process.env.CHROMIUM_PATH
  if (override)
    return chromium.launch({ executablePath: override, args: [...OFFLINE_FLAGS, ...extraArgs] })

  if (process.platform === 'linux') {
    const { default: packaged } = await import('@sparticuz/chromium')
    const launch = async () =>
      chromium.launch({
        executablePath: await packaged.executablePath(),
        args: [...packaged.args, ...OFFLINE_FLAGS, ...extraArgs],
      })
    // On a fresh machine the browser files run side by side, and each unpacks Chromium to the
    // same place: one may find the executable there while another is still writing it (the
    // spawn then fails with ETXTBSY). Once written, it starts.
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch()
      } catch (error) {
        if (attempt >= 20 || !String(error).includes('ETXTBSY')) throw error
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
  }
  const desktop = DESKTOP_CHROME.find((candidate) => existsSync(candidate))
  if (!desktop)
    throw new Error('No Chromium found: install Google Chrome or set CHROMIUM_PATH to a Chromium')
  return chromium.launch({ executablePath: desktop, args: [...OFFLINE_FLAGS, ...extraArgs] })
}

/** Signs `page` in to the dashboard at `base` with `token`, as an admin types it. */
export async function signInToDashboard(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/admin/login`)
  await page.locator('#token').fill(token)
  await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')])
}

/** Where the browser tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../e2e/screenshots')

/**
 * A full-page screenshot of a step, to `SCREENSHOTS/<file>`, when a developer asks for them with
 * `SCREENSHOTS=1`; otherwise none. A full-page picture costs the browser more than the checks it
 * sits beside (three quarters of the dashboard tour's time), and nobody looks at it when the
 * test passes; a failing test leaves its pages' screenshots either way (`screenshot`).
 */
export async function stepScreenshot(page: Page, file: string): Promise<void> {
  if (!process.env.SCREENSHOTS || process.env.SCREENSHOTS === '0') return
  await screenshot(page, file)
}

/** A full-page screenshot of every page still open in `browser`, named `<prefix>-<n>.png`. */
export async function screenshotAll(browser: Browser, prefix: string): Promise<void> {
  const pages = browser.contexts().flatMap((context) => context.pages())
  for (const [i, page] of pages.entries())
    await screenshot(page, `${prefix}-${i}.png`).catch(() => {})
}

/** A full-page screenshot to `SCREENSHOTS/<file>`: of a page that failed a check. */
export async function screenshot(page: Page, file: string): Promise<void> {
  const full = path.join(SCREENSHOTS, file)
  mkdirSync(path.dirname(full), { recursive: true })
  await page.screenshot({ path: full, fullPage: true })
}

/** In a test: when it fails, a screenshot of each of `pages` still open, by its name. */
export function screenshotOnFailure(pages: Record<string, () => Page | undefined>): void {
  onTestFailed(async ({ task }) => {
    for (const [name, page] of Object.entries(pages)) {
      const open = page()
      if (open) await screenshot(open, `${task.name.replace(/\W+/g, '-')}-${name}.png`)
    }
  })
}
