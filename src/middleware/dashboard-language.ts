import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { pickLanguage, type Lang } from '../lib/i18n'

const COOKIE = 'cg_lang'

/**
 * The dashboard's language: `?lang=` where a link or form asks for one, else the one last chosen
 * in this browser (the cookie `rememberLanguage` sets), else the browser's `Accept-Language`.
 */
export function dashboardLanguage(c: Context<AppEnv>): Lang {
  const asked = c.req.query('lang')
  // A `lang` we do not speak leaves the choice made before as it is.
  const chosen = asked === 'de' || asked === 'en' ? asked : getCookie(c, COOKIE)
  return pickLanguage(c.req.header('accept-language'), chosen)
}

/**
 * Keeps a language chosen with `?lang=` (the header's switch) for the rest of the browser's
 * session, so the page's own links, which carry no `lang`, stay in it; choosing the other one
 * replaces it. Public pages keep no cookie: a visitor's links carry `lang` on their short way
 * to joining, where the dashboard has links everywhere.
 */
export function rememberLanguage() {
  return createMiddleware<AppEnv>(async function rememberLanguage(c, next) {
    await next()
    const chosen = c.req.query('lang')
    if ((chosen !== 'de' && chosen !== 'en') || getCookie(c, COOKIE) === chosen) return
    setCookie(c, COOKIE, chosen, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/admin',
    })
  })
}
