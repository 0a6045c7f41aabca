import { Hono, type Context } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from '../env'
import { telegramLinkForPeople, type Config } from '../lib/config'
import {
  inviteGoneText,
  type Lang,
  LANGUAGES,
  MESSAGES,
  otherLanguage,
  pickLanguage,
} from '../lib/i18n'
import { MemoryCache } from '../lib/memory-cache'
import {
  deviceClass,
  isBot,
  isSamePage,
  originQuery,
  originRef,
  referrerHost,
  visitorCountry,
} from '../lib/visitor'
import { getLanding, type Landing } from '../services/invites'
import { fallbackCodeOf } from '../services/link-fallbacks'
import { endedByOwnTerms, inviteStatus } from '../services/invite-status'
import { retiredCode } from '../services/retired-codes'
import { bufferVisit } from '../services/visit-buffer'
import { CodeParamSchema, LandingQuerySchema } from '../schemas/public'
import { inviteUrls } from '../schemas/invites'
import { ErrorPage } from '../views/error-page'
import { LandingPage } from '../views/landing-page'
import { languageSwitchOf } from './language-switch'
import { cspNonce, SecuredHeaders, securedResponse } from '../middleware/security-headers'

export const landingApp = new Hono<AppEnv>()

/**
 * A link with a slash after it (some chat apps and QR scanners add one) is the same link: sent on
 * to the address without it, its query kept.
 */
landingApp.get('/i/:code/', (c) => {
  const url = new URL(c.req.url)
  return c.redirect(url.pathname.slice(0, -1) + url.search, 301)
})

/**
 * The landing page, the product's hot path: at most one D1 read (none while the invite is in the
 * isolate's short-lived cache), and the visit only buffered, to be sent to the visits queue
 * after the response, so neither a slow nor a failing write touches what the visitor sees.
 */
landingApp.get('/i/:code', async (c) => {
  const { code, query } = parseLandingUrl(c)
  const lang = pickLanguage(c.req.header('accept-language'), query.lang)
  const t = MESSAGES[lang]
  const db = c.get('db')
  const landing = code === null ? null : await getLanding(db, code)
  const errorPage = (
    status: 404 | 410,
    title: string,
    text: string,
    community?: string,
    back?: { href: string; label: string },
  ) =>
    c.html(
      <ErrorPage
        lang={lang}
        nonce={cspNonce(c)}
        switchHref={languageSwitchOf(c, lang)}
        title={title}
        text={text}
        community={community}
        back={back}
      />,
      status,
      { 'content-language': lang },
    )
  if (!landing) {
    const retired = code === null ? null : await retiredCode(db, code)
    if (retired === null) return errorPage(404, t.notFoundTitle, t.notFoundText)
    return retired.kind === 'deleted'
      ? errorPage(410, t.goneTitle, t.deletedText)
      : errorPage(410, t.goneTitle, t.rotatedText, retired.communityName ?? undefined)
  }
  const now = new Date()
  const status = inviteStatus(landing.invite, now)
  if (status !== 'active') {
    // Ended by its own terms, it names its community and leads on where the admins chose a link
    // to take over (read only here).
    const ownTerms = endedByOwnTerms(landing.invite, now)
    const fallback = ownTerms ? await fallbackCodeOf(db, landing.invite, now) : null
    return errorPage(
      410,
      t.goneTitle,
      fallback && ownTerms ? t.goneLeadOnText(ownTerms) : inviteGoneText(t, status, landing.invite),
      ownTerms ? landing.community.name : undefined,
      fallback
        ? { href: `/i/${fallback}${query.lang ? `?lang=${lang}` : ''}`, label: t.goneLeadOn }
        : undefined,
    )
  }

  const userAgent = c.req.header('user-agent') ?? ''
  const referer = c.req.header('referer')
  // The page's own language switch (`Referrer-Policy: same-origin` names the page it was on):
  // the same visit in another language, not another one, and its way in is the switch's query.
  // Parsed only when the path is in it at all: most visits come from elsewhere, or from nowhere.
  const switched =
    referer !== undefined && referer.includes(c.req.path) && isSamePage(referer, c.req.url)
  const referrer = switched ? originRef(c.req.query('ref')) : referrerHost(referer)
  // Hono answers HEAD with this handler too; HEAD comes from link checkers and monitors, never
  // from a browser opening the page, so it is answered as GET is but not counted as a visit.
  if (c.req.method === 'GET' && !switched) {
    bufferVisit(
      c.executionCtx,
      { db: c.get('deferredDb'), queue: c.env.VISITS_QUEUE },
      {
        visit: {
          inviteId: landing.invite.id,
          communityId: landing.community.id,
          at: now.getTime(),
          via: query.via,
          country: visitorCountry(c.req.raw),
          referrerHost: referrer,
          device: deviceClass(userAgent),
          isBot: isBot(userAgent),
        },
        ip: c.req.header('cf-connecting-ip') ?? 'unknown',
        userAgent,
      },
    )
  }

  // The join link carries how this person came, so their sign-up counts in the same breakdowns.
  const origin = originOf(query.via, referrer)
  const html = landingHtml(c.get('config'), landing, lang, cspNonce(c), origin)
  const page = (text: string) => securedResponse(c, text, 200, PAGE_HEADERS[lang])
  return typeof html === 'string' ? page(html) : html.then(page)
})

/** The landing page's own headers, by language, with the security headers. */
const PAGE_HEADERS = Object.fromEntries(
  LANGUAGES.map((lang) => [
    lang,
    new SecuredHeaders({
      'content-type': 'text/html; charset=UTF-8',
      'content-language': lang,
      'cache-control': 'private, no-store',
    }),
  ]),
) as Record<Lang, SecuredHeaders>

type LandingQuery = z.infer<typeof LandingQuerySchema>

/** Longer URLs than any link we make are parsed each time, not kept. */
const MAX_KEPT_URL = 300

/**
 * What the landing URLs parsed to, by their exact text: the same text always parses the same,
 * and a link shared in a chat is opened by many people, so a repeat skips the schemas (as the
 * QR route does). Bounded, as anyone can make up URLs.
 */
const parsedUrls = new MemoryCache<{ code: string | null; query: LandingQuery }>({
  maxEntries: 2000,
  ttlMs: 60_000,
})

function parseLandingUrl(c: Context<AppEnv>): { code: string | null; query: LandingQuery } {
  const url = c.req.url
  let parsed = url.length <= MAX_KEPT_URL ? parsedUrls.get(url) : undefined
  if (!parsed) {
    const param = CodeParamSchema.safeParse(c.req.param())
    parsed = {
      code: param.success ? param.data.code : null,
      query: LandingQuerySchema.parse(c.req.query()),
    }
    if (url.length <= MAX_KEPT_URL) parsedUrls.set(url, parsed)
  }
  return parsed
}

/**
 * The join link's origin parameters by way in and referrer host, kept the same way, escaped for
 * the page's HTML: they hold only letters, digits, dots, dashes, '=' and '&'.
 */
const origins = new MemoryCache<string>({ maxEntries: 2000, ttlMs: 60_000 })

function originOf(via: string, referrer: string | null): string {
  const key = `${via} ${referrer ?? ''}`
  let origin = origins.get(key)
  if (origin === undefined) {
    origins.set(key, (origin = originQuery(via, referrer).replaceAll('&', '&amp;')))
  }
  return origin
}

/**
 * Stands for the response's CSP nonce in a rendered page kept for later requests. Random per
 * isolate, so no community text can contain it (made on first use: the Workers runtime allows
 * no random values at startup).
 */
let nonceSlot: string | undefined
/** Stands for the visitor's origin in the join link, the same way. */
let originSlot: string | undefined

/**
 * A rendered landing page cut at its slots: `text[0]`, a slot, `text[1]`, … Filling it is a few
 * concatenations, where replacing the slots would scan the whole page once per kind of slot.
 */
interface PageTemplate {
  text: string[]
  /** The slot after each piece of text but the last: true for the nonce, false for the origin. */
  isNonce: boolean[]
}

/**
 * The landing pages rendered from one cached landing, by language. Keyed by the landing object
 * itself: when the invite cache reads the invite again (every few seconds, or at once after a
 * change in this isolate), the new object starts afresh and the old pages go with the old one.
 */
const renderedPages = new WeakMap<Landing, Map<Lang, PageTemplate>>()

/**
 * The landing page's HTML: rendered once per landing and language, then only given this
 * response's nonce and the visitor's origin, so a cached view neither renders nor waits.
 */
function landingHtml(
  config: Config,
  landing: Landing,
  lang: Lang,
  nonce: string,
  origin: string,
): string | Promise<string> {
  const page = renderedPages.get(landing)?.get(lang)
  if (page) return fill(page, nonce, origin)
  return renderLanding(config, landing, lang).then((made) => fill(made, nonce, origin))
}

async function renderLanding(config: Config, landing: Landing, lang: Lang): Promise<PageTemplate> {
  nonceSlot ??= `nonce-slot-${crypto.randomUUID()}`
  originSlot ??= `origin-slot-${crypto.randomUUID()}`
  const { url } = inviteUrls(config.PUBLIC_BASE_URL, landing.invite.code)
  // On Telegram the chat's own invite link is the join: Telegram then tells us who came.
  const telegramJoin =
    config.TELEGRAM_BOT_TOKEN && landing.telegramUrl
      ? telegramLinkForPeople(config, landing.telegramUrl)
      : null
  const html = await (
    <LandingPage
      lang={lang}
      nonce={nonceSlot}
      landing={landing}
      url={url}
      joinUrl={telegramJoin ?? `/i/${landing.invite.code}/join?lang=${lang}&${originSlot}`}
      // The way in travels with the switch, so that the join after it is counted as before.
      switchHref={`?lang=${otherLanguage(lang)}&${originSlot}`}
      joinsInTelegram={telegramJoin !== null}
    />
  ).toString()
  const page = cutAtSlots(html, nonceSlot, originSlot)
  let byLanguage = renderedPages.get(landing)
  if (!byLanguage) renderedPages.set(landing, (byLanguage = new Map()))
  byLanguage.set(lang, page)
  return page
}

function cutAtSlots(html: string, nonce: string, origin: string): PageTemplate {
  const page: PageTemplate = { text: [], isNonce: [] }
  let from = 0
  for (;;) {
    const atNonce = html.indexOf(nonce, from)
    const atOrigin = html.indexOf(origin, from)
    const next = atNonce === -1 ? atOrigin : atOrigin === -1 ? atNonce : Math.min(atNonce, atOrigin)
    if (next === -1) break
    const isNonce = next === atNonce
    page.text.push(html.slice(from, next))
    page.isNonce.push(isNonce)
    from = next + (isNonce ? nonce : origin).length
  }
  page.text.push(html.slice(from))
  return page
}

function fill(page: PageTemplate, nonce: string, origin: string): string {
  let html = page.text[0]!
  for (let i = 0; i < page.isNonce.length; i++) {
    html += (page.isNonce[i] ? nonce : origin) + page.text[i + 1]!
  }
  return html
}
