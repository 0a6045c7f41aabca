import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../lib/errors'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Whether a browser sent this request from a page of this site: `Sec-Fetch-Site` is
 * `same-origin`, or, from a browser too old to send it, `Origin` is this site (the request's own
 * origin or `PUBLIC_BASE_URL`'s). Neither header: not from this site.
 */
export function sentFromThisSite(c: Context<AppEnv>): boolean {
  const site = c.req.header('sec-fetch-site')
  const origin = c.req.header('origin')
  const ours = [new URL(c.req.url).origin, new URL(c.var.config.PUBLIC_BASE_URL).origin]
  return site !== undefined ? site === 'same-origin' : ours.includes(origin ?? '')
}

/**
 * Refuses a state-changing request that a browser sent from another site: a forged sign-in
 * (login CSRF, which no form token can stop, as there is no session yet) or any other forged
 * form (`sentFromThisSite`). A request with neither header is refused as well: every browser
 * sends one of them with a form, and the dashboard is for browsers.
 */
export function sameOriginOnly() {
  return createMiddleware<AppEnv>(async function sameOriginOnly(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next()
    if (!sentFromThisSite(c)) {
      throw new ApiError(
        'cross_site_request',
        'This form was sent from another website. Open the dashboard directly and try again.',
      )
    }
    await next()
  })
}
