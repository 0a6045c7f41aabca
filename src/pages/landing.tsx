import { Hono, type Context } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from '../env'
import type { Config } from '../lib/config'
import { inviteGoneText, type Lang, MESSAGES, pickLanguage } from '../lib/i18n'
import { MemoryCache } from '../lib/memory-cache'
import { deviceClass, isBot, originQuery, referrerHost } from '../lib/visitor'
import { getLanding, inviteStatus, type Landing, retiredCodeExists } from '../services/invites'
import { bufferVisit } from '../services/visit-buffer'
import { CodeParamSchema, LandingQuerySchema } from '../schemas/public'
import { inviteUrls } from '../schemas/invites'
import { ErrorPage } from '../views/error-page'
import { LandingPage } from '../views/landing-page'
import { cspNonce } from '../middleware/security-headers'

export const landingApp = new Hono<AppEnv>()

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
  c.header('cache-control', 'private, no-store')
  c.header('content-language', lang)
  const landing = code === null ? null : await getLanding(db, code)
  if (!landing) {
    const rotated = code !== null && (await retiredCodeExists(db, code))
    return rotated
      ? c.html(
          <ErrorPage lang={lang} nonce={cspNonce(c)} title={t.goneTitle} text={t.rotatedText} />,
          410,
        )
      : c.html(
          <ErrorPage
            lang={lang}
            nonce={cspNonce(c)}
            title={t.notFoundTitle}
            text={t.notFoundText}
          />,
          404,
        )
  }
  const now = new Date()
  const status = inviteStatus(landing.invite, now)
  if (status !== 'active') {
    const text = inviteGoneText(t, status)
    return c.html(
      <ErrorPage lang={lang} nonce={cspNonce(c)} title={t.goneTitle} text={text} />,
      410,
    )
  }

  const userAgent = c.req.header('user-agent') ?? ''
  const country = c.req.raw.cf?.country
  const referrer = referrerHost(c.req.header('referer'))
  bufferVisit(
    c.executionCtx,
    { db: c.get('deferredDb'), queue: c.env.VISITS_QUEUE },
    {
      visit: {
        inviteId: landing.invite.id,
        communityId: landing.community.id,
        at: now.getTime(),
        via: query.via,
        country: typeof country === 'string' && /^[A-Z]{2}$/.test(country) ? country : 'XX',
        referrerHost: referrer,
        device: deviceClass(userAgent),
        isBot: isBot(userAgent),
      },
      ip: c.req.header('cf-connecting-ip') ?? 'unknown',
      userAgent,
    },
  )

  // The join link carries how this person came, so their sign-up counts in the same breakdowns.
  const origin = originOf(query.via, referrer)
  return c.html(landingHtml(c.get('config'), landing, lang, cspNonce(c), origin))
})

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

/** The join link's origin parameters by way in and referrer host, kept the same way. */
const origins = new MemoryCache<string>({ maxEntries: 2000, ttlMs: 60_000 })

function originOf(via: string, referrer: string | null): string {
  const key = `${via} ${referrer ?? ''}`
  let origin = origins.get(key)
  if (origin === undefined) origins.set(key, (origin = originQuery(via, referrer)))
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
 * The landing pages rendered from one cached landing, by language. Keyed by the landing object
 * itself: when the invite cache reads the invite again (every few seconds, or at once after a
 * change in this isolate), the new object starts afresh and the old pages go with the old one.
 */
const renderedPages = new WeakMap<Landing, Map<Lang, string>>()

/**
 * The landing page's HTML: rendered once per landing and language, then only given this
 * response's nonce, so a cached view does no rendering.
 */
async function landingHtml(
  config: Config,
  landing: Landing,
  lang: Lang,
  nonce: string,
  origin: string,
): Promise<string> {
  nonceSlot ??= `nonce-slot-${crypto.randomUUID()}`
  originSlot ??= `origin-slot-${crypto.randomUUID()}`
  let byLanguage = renderedPages.get(landing)
  if (!byLanguage) renderedPages.set(landing, (byLanguage = new Map()))
  let html = byLanguage.get(lang)
  if (html === undefined) {
    const { url } = inviteUrls(config.PUBLIC_BASE_URL, landing.invite.code)
    // On Telegram the chat's own invite link is the join: Telegram then tells us who came.
    const telegramJoin = (config.TELEGRAM_BOT_TOKEN && landing.telegramUrl) || null
    html = await (
      <LandingPage
        lang={lang}
        nonce={nonceSlot}
        landing={landing}
        url={url}
        joinUrl={telegramJoin ?? `/i/${landing.invite.code}/join?lang=${lang}&${originSlot}`}
        joinsInTelegram={telegramJoin !== null}
      />
    ).toString()
    byLanguage.set(lang, html)
  }
  // `origin` holds only letters, digits, dots, dashes, '=' and '&' (escaped here for the attribute).
  return html.replaceAll(nonceSlot, nonce).replaceAll(originSlot, origin.replaceAll('&', '&amp;'))
}
