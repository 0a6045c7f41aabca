import { rmSync } from 'node:fs'
import type { Browser, BrowserContext } from 'playwright-core'
import { launchBrowser, signInToDashboard } from './browser'
import { demoState, startWorker, TEST_OWNER_TOKEN, type RunningWorker } from './worker-server'

/** The sizes a marketer's dashboard is checked at: a phone held upright and a desktop window. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 900 },
]

/** The demo's open community, Berlin Runners, and its closed one, Kiez Makers. */
export const RUNNERS = 'cmt_0000000000000000000000000b'
export const MAKERS = 'cmt_0000000000000000000000000k'
/** The demo's Telegram community (scripts/demo-telegram.mjs): its joins verified by Telegram. */
const PADDLERS = 'cmt_0000000000000000000000000t'

/** Every dashboard page of the seeded demo worth a look, by a name for its screenshot. */
export const DEMO_PAGES: Array<[name: string, path: string]> = [
  ['home', '/admin'],
  ['approvals', '/admin/approvals'],
  ['runners', `/admin/communities/${RUNNERS}`],
  ['runners-90-days', `/admin/communities/${RUNNERS}?period=90&sort=retention30`],
  ['poster-link', '/admin/links/inv_0000000000000000000000000b'],
  ['runners-filtered', `/admin/communities/${RUNNERS}?source=instagram&device=mobile`],
  [
    'runners-compare',
    `/admin/communities/${RUNNERS}/compare?links=inv_0000000000000000000000000b,inv_000000000000000000000000b2`,
  ],
  ['paddlers', `/admin/communities/${PADDLERS}`],
  ['paddlers-compare', `/admin/communities/${PADDLERS}/compare?sources=flyer,instagram`],
  ['makers', `/admin/communities/${MAKERS}`],
  ['makers-approvals', `/admin/communities/${MAKERS}/approvals`],
  ['runners-approvals', `/admin/communities/${RUNNERS}/approvals`],
  ['runners-members', `/admin/communities/${RUNNERS}/members`],
  ['runners-rewards', `/admin/communities/${RUNNERS}/rewards`],
  ['runners-announcements', `/admin/communities/${RUNNERS}/announcements`],
  ['runners-settings', `/admin/communities/${RUNNERS}/settings`],
  ['runners-team', `/admin/communities/${RUNNERS}/team`],
  ['runners-audit-log', `/admin/communities/${RUNNERS}/audit`],
  ['webhooks', '/admin/webhooks'],
]

/** How many pixels a page is wider than its window: above 0, the reader scrolls sideways. */
export const HORIZONTAL_OVERFLOW =
  'document.documentElement.scrollWidth - document.documentElement.clientWidth'

/**
 * Tables whose figures are cut off by the box around them: a body cell that ends past the right
 * edge of a box that scrolls sideways. The reader sees the first columns and has to find the
 * rest by scrolling inside the page, on a screen that had room for them. A table in no such box
 * must keep to its card (its `section`): one that spills past it runs over the card's edge.
 */
export const TABLES_CUT_OFF = `(() => {
  const problems = []
  for (const table of document.querySelectorAll('table')) {
    if (table.getClientRects().length === 0) continue
    let box = table.parentElement
    while (box && !['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX))
      box = box.parentElement
    if (!box || box === document.body || box === document.documentElement) {
      // No box that scrolls: the table must keep to the card it stands in, not spill past it.
      const card = table.closest('section')
      if (!card) continue
      const inner = card.getBoundingClientRect().right - parseFloat(getComputedStyle(card).paddingRight)
      const spill = table.getBoundingClientRect().right - inner
      if (spill > 1) {
        const heading = card.querySelector(':scope > h2')
        const name = (heading?.textContent || '').trim().slice(0, 30)
        problems.push('"' + name + '" past its card by ' + Math.round(spill) + ' px')
      }
      continue
    }
    // A box of a pixel is for screen readers (a chart's figures), seen by nobody.
    if (box.clientWidth <= 1) continue
    const edge = box.getBoundingClientRect().right
    const cells = [...table.tBodies].flatMap((body) => [...body.querySelectorAll('td, th')])
    const past = Math.max(0, ...cells.map((cell) => cell.getBoundingClientRect().right - edge))
    if (past <= 1) continue
    const heading = table.caption || table.closest(':has(> h2)')?.querySelector(':scope > h2')
    const name = (heading?.textContent || cells[0]?.textContent || '').trim().slice(0, 30)
    problems.push('"' + name + '" cut off by ' + Math.round(past) + ' px')
  }
  return problems
})()`

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
