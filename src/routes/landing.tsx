import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { MESSAGES, pickLanguage } from '../lib/i18n'
import { deviceClass, isBot, referrerHost } from '../lib/visitor'
import { findLanding, inviteStatus, retiredCodeExists } from '../services/invites'
import { recordVisit } from '../services/visits'
import { CodeParamSchema, LandingQuerySchema } from '../schemas/public'
import { inviteUrls } from '../schemas/invites'
import { ErrorPage } from '../views/error-page'
import { LandingPage } from '../views/landing-page'

export const landingApp = new Hono<AppEnv>()

/**
 * The landing page, the product's hot path: one D1 read, the visit written after the response
 * (`waitUntil`), so neither a slow nor a failing write touches what the visitor sees.
 */
landingApp.get('/i/:code', async (c) => {
  const query = LandingQuerySchema.parse(c.req.query())
  const lang = pickLanguage(c.req.header('accept-language'), query.lang)
  const t = MESSAGES[lang]
  c.header('cache-control', 'private, no-store')
  c.header('content-language', lang)
  const param = CodeParamSchema.safeParse(c.req.param())
  const landing = param.success ? await findLanding(c.var.db, param.data.code) : null
  if (!landing) {
    const rotated = param.success && (await retiredCodeExists(c.var.db, param.data.code))
    return rotated
      ? c.html(<ErrorPage lang={lang} title={t.goneTitle} text={t.rotatedText} />, 410)
      : c.html(<ErrorPage lang={lang} title={t.notFoundTitle} text={t.notFoundText} />, 404)
  }
  const now = new Date()
  const status = inviteStatus(landing.invite, now)
  if (status !== 'active') {
    const text = { revoked: t.revokedText, expired: t.expiredText, used_up: t.usedUpText }[status]
    return c.html(<ErrorPage lang={lang} title={t.goneTitle} text={text} />, 410)
  }

  const userAgent = c.req.header('user-agent') ?? ''
  const bot = isBot(userAgent)
  const country = (c.req.raw.cf?.country as string | undefined) ?? 'XX'
  c.executionCtx.waitUntil(
    recordVisit(c.var.db, {
      inviteId: landing.invite.id,
      communityId: landing.community.id,
      at: now,
      via: query.via,
      country: /^[A-Z]{2}$/.test(country) ? country : 'XX',
      referrerHost: referrerHost(c.req.header('referer')),
      device: deviceClass(userAgent),
      isBot: bot,
      ip: c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? 'unknown',
      userAgent,
    }).catch((error) => {
      console.error(JSON.stringify({ requestId: c.var.requestId, visit: 'not recorded', error: String(error) }))
    }),
  )

  const { url } = inviteUrls(c.var.config.PUBLIC_BASE_URL, landing.invite.code)
  return c.html(
    <LandingPage lang={lang} landing={landing} url={url} joinUrl={`/i/${landing.invite.code}/join?lang=${lang}`} />,
  )
})
