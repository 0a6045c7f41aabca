import { rmSync } from 'node:fs'
import type { Browser, BrowserContext } from 'playwright-core'
import { launchBrowser, signInToDashboard } from './browser'
import { demoState, startWorker, TEST_OWNER_TOKEN, type RunningWorker } from './worker-server'

/** The sizes a marketer's dashboard is checked at: a phone held upright and a desktop window. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 900 },
]

/** How many pixels a page is wider than its window: above 0, the reader scrolls sideways. */
export const HORIZONTAL_OVERFLOW =
  'document.documentElement.scrollWidth - document.documentElement.clientWidth'

export interface DemoDashboard {
  /** Where the Worker serves the demo. */
  url: string
  /**
   * A browser context signed in to the dashboard as the owner. It stays open until `close`:
   * the packaged Chromium runs as one process, and closing a context's last page ends it, so
   * one page of it is kept open throughout.
   */
  context: BrowserContext
  close(): Promise<void>
}

/** The seeded demo, served from a fresh state of its own, and a browser signed in to it. */
export async function openDemoDashboard(statePrefix: string): Promise<DemoDashboard> {
  const state = demoState(statePrefix)
  let worker: RunningWorker | undefined
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await worker?.stop()
    rmSync(state, { recursive: true, force: true })
  }
  try {
    worker = await startWorker({ state })
    browser = await launchBrowser()
    const context = await browser.newContext({ deviceScaleFactor: 1 })
    await signInToDashboard(await context.newPage(), worker.url, TEST_OWNER_TOKEN)
    return { url: worker.url, context, close }
  } catch (error) {
    await close()
    throw error
  }
}
