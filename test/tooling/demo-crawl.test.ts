import { rmSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  localD1File,
  startWorker,
  TEST_OWNER_TOKEN,
  demoState,
  type RunningWorker,
} from '../support/worker-server'

/**
 * The seeded demo as a newcomer clicks through it: every page, link and image the signed-in
 * dashboard shows, followed breadth-first within the site, in German and in English, plus the
 * landing page and QR code of every demo link (referral links are not listed in the dashboard,
 * but members share them). Fails on any 4xx/5xx and on any `<img>` that is not an image.
 */

const RUNNERS = 'cmt_0000000000000000000000000b'
const MAKERS = 'cmt_0000000000000000000000000k'
const PADDLERS = 'cmt_0000000000000000000000000t'
/** Enough for every page of the demo; a query variant of one path counts against its path. */
const MAX_URLS = 600
const MAX_VARIANTS_PER_PATH = 8
const CONCURRENCY = 4

let state: string
let worker: RunningWorker
let cookie: string
let demoCodes: string[]
/** Codes of demo links that have ended (a poster whose campaign is over): their page answers 410. */
let endedCodes: Set<string>

beforeAll(async () => {
  state = demoState('crawl-state')
  const db = new DatabaseSync(localD1File(state), { readOnly: true })
  try {
    const codes = (sql: string) =>
      (db.prepare(sql).all() as Array<{ code: string }>).map((row) => row.code)
    endedCodes = new Set(
      codes(`select code from invites where expires_at <= ${Date.now()} order by id`),
    )
    demoCodes = codes('select code from invites order by id').filter(
      (code) => !endedCodes.has(code),
    )
  } finally {
    db.close()
  }
  worker = await startWorker({ state })
  cookie = await signIn()
}, 180_000)

afterAll(async () => {
  await worker?.stop()
  if (state) rmSync(state, { recursive: true, force: true })
})

/** Signs in with the owner token as the sign-in form does; returns the session cookie. */
async function signIn(): Promise<string> {
  const response = await fetch(`${worker.url}/admin/login?next=/admin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: worker.url },
    body: new URLSearchParams({ token: TEST_OWNER_TOKEN }),
  })
  expect(response.status).toBe(303)
  expect(response.headers.get('location')).toBe('/admin')
  const session = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith('cg_session='))
  expect(session).toBeDefined()
  return session!
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' }

function decodeEntities(text: string): string {
  return text.replace(/&(amp|quot|#39|lt|gt);/g, (_, name: string) => ENTITIES[name]!)
}

interface Found {
  url: string
  image: boolean
}

/** The `href` and `src` of a page's tags; `src` of an `<img>` must answer with an image. */
function linksOf(html: string): Found[] {
  const found: Found[] = []
  for (const tag of html.matchAll(/<(a|link|img|script|source|iframe)\b[^>]*>/gi)) {
    const name = tag[1]!.toLowerCase()
    for (const attribute of tag[0].matchAll(/\s(href|src)\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
      const value = decodeEntities(attribute[3] ?? attribute[4] ?? '')
      found.push({ url: value, image: name === 'img' && attribute[1]!.toLowerCase() === 'src' })
    }
  }
  return found
}

interface Visit {
  url: string
  from: string
}

interface Answer {
  status: number
  image: boolean
}

interface CrawlResult {
  visited: Map<string, Answer>
  problems: string[]
}

/** Whether a response body is the image its content type says it is. */
function isImage(contentType: string, body: Uint8Array): boolean {
  if (contentType.startsWith('image/svg+xml'))
    return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(new TextDecoder().decode(body.slice(0, 200)))
  if (contentType.startsWith('image/png'))
    return body.length > 8 && body[0] === 0x89 && body[1] === 0x50 && body[2] === 0x4e
  return contentType.startsWith('image/') && body.length > 0
}

/**
 * Breadth-first over the site from `starts`, following same-origin links only. GET is safe on
 * this site by design (actions are forms that POST), so every link may be followed; sign-out and
 * every other action are forms, not links, and are never sent.
 */
async function crawl(starts: Found[], headers: Record<string, string>): Promise<CrawlResult> {
  const origin = new URL(worker.url).origin
  const visited = new Map<string, Answer>()
  const queued = new Set<string>()
  const variants = new Map<string, number>()
  /** Every URL some page shows as an `<img>`, and the first page that does. */
  const images = new Map<string, string>()
  const problems: string[] = []
  const queue: Visit[] = []
  const enqueue = (raw: string, from: string, image: boolean) => {
    let url: URL
    try {
      url = new URL(raw, from)
    } catch {
      problems.push(`${from}: unparseable link ${raw}`)
      return
    }
    if (url.origin !== origin) return
    url.hash = ''
    const key = url.pathname + url.search
    if (image && !images.has(key)) images.set(key, from)
    if (queued.has(key)) return
    // Query variants of one page (periods, sorting, next pages) count against a bound; every
    // image a page shows is fetched.
    const seen = variants.get(url.pathname) ?? 0
    if (!image && seen >= MAX_VARIANTS_PER_PATH) return
    if (queued.size >= MAX_URLS) {
      problems.push(`more than ${MAX_URLS} URLs: raise the bound or look for a link loop`)
      return
    }
    variants.set(url.pathname, seen + 1)
    queued.add(key)
    queue.push({ url: key, from })
  }
  for (const start of starts) enqueue(start.url, worker.url, start.image)

  const fetchOne = async (visit: Visit) => {
    const page = worker.url + visit.url
    const response = await fetch(page, { redirect: 'manual', headers: { cookie, ...headers } })
    const body = new Uint8Array(await response.arrayBuffer())
    const contentType = response.headers.get('content-type') ?? ''
    visited.set(visit.url, { status: response.status, image: isImage(contentType, body) })
    // An ended link's page is a 410 by design, which offers a way on: followed like any page.
    const endedPage =
      response.status === 410 && endedCodes.has(/^\/i\/([^/?]+)(\?|$)/.exec(visit.url)?.[1] ?? '')
    if (response.status >= 400 && !endedPage) {
      problems.push(`${response.status} ${visit.url} (linked from ${visit.from})`)
      return
    }
    const location = response.headers.get('location')
    if (location) enqueue(location, page, images.has(visit.url))
    if (!contentType.startsWith('text/html')) return
    for (const link of linksOf(new TextDecoder().decode(body))) {
      if (link.url === '' || link.url.startsWith('#')) continue
      if (/^(data|mailto|tel|javascript|sms|whatsapp):/i.test(link.url)) {
        if (link.image && !link.url.startsWith('data:image/'))
          problems.push(`${visit.url}: <img src> is not an image: ${link.url.slice(0, 40)}`)
        continue
      }
      enqueue(link.url, page, link.image)
    }
  }

  while (queue.length > 0) {
    const batch = queue.splice(0, CONCURRENCY)
    await Promise.all(batch.map(fetchOne))
  }
  for (const [url, from] of images) {
    const answer = visited.get(url)
    if (answer && answer.status < 300 && !answer.image)
      problems.push(`<img src> is not an image: ${url} (shown on ${from})`)
  }
  return { visited, problems }
}

describe('the seeded demo, crawled', () => {
  for (const lang of ['de', 'en'] as const) {
    it(`answers every link and image the dashboard shows, in ${lang}`, async () => {
      const starts = [
        { url: `/admin?lang=${lang}`, image: false },
        ...demoCodes.flatMap((code) => [
          { url: `/i/${code}?lang=${lang}`, image: false },
          { url: `/i/${code}/qr.svg`, image: true },
          { url: `/i/${code}/qr.png`, image: true },
        ]),
      ]
      const { visited, problems } = await crawl(starts, {
        accept: 'text/html,*/*',
        'accept-language': lang === 'de' ? 'de-DE,de' : 'en-GB,en',
      })
      expect(problems).toEqual([])
      // Not a crawl of the sign-in page: the dashboard's own pages were reached.
      const paths = new Set([...visited.keys()].map((url) => url.split('?')[0]))
      for (const page of [
        '/admin',
        `/admin/communities/${RUNNERS}`,
        `/admin/communities/${RUNNERS}/members`,
        `/admin/communities/${RUNNERS}/announcements`,
        `/admin/communities/${MAKERS}/approvals`,
        `/admin/communities/${MAKERS}/settings`,
        // The closed community's audit log, with its approvals and rejections.
        `/admin/communities/${MAKERS}/audit`,
        // The Telegram community's approvals, and its audit log with the decisions behind them.
        `/admin/communities/${PADDLERS}/approvals`,
        `/admin/communities/${PADDLERS}/audit`,
        '/admin/links/inv_000000000000000000000000b2',
        '/admin/links/inv_000000000000000000000000k2',
      ])
        expect(paths, page).toContain(page)
      // The ended poster's page was reached from its link's page, and answered as ended.
      expect([...endedCodes]).toEqual(['winterposter'])
      expect(visited.get('/i/winterposter')).toEqual({ status: 410, image: false })
      // The QR code a link's page shows was fetched and is one.
      expect(visited.get('/i/runnersinsta/qr.svg?size=240')).toEqual({ status: 200, image: true })
      // Every demo link was answered: its landing page, its join form and its QR codes.
      expect(demoCodes).toContain('runnersinsta')
      expect(demoCodes.filter((code) => code.startsWith('runwith')).length).toBeGreaterThan(0)
      for (const code of demoCodes) {
        for (const page of [`/i/${code}`, `/i/${code}/join`, `/i/${code}/qr.svg`])
          expect(paths, page).toContain(page)
      }
    }, 240_000)
  }
})
