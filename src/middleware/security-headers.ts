import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { NONCE, secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from '../env'

/** Where Cloudflare Turnstile's script and challenge frame come from. */
export const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com'
const JOIN_FORM = /^\/i\/[^/]+\/join$/

/** Turnstile's origin on the join form when Turnstile is configured, nowhere else. */
function turnstileSource(c: Context<AppEnv>): string {
  return c.var.config.TURNSTILE_SECRET && JOIN_FORM.test(c.req.path) ? TURNSTILE_ORIGIN : ''
}

function turnstileFrames(c: Context<AppEnv>): string {
  return turnstileSource(c) || "'none'"
}

/**
 * Security headers on every response (run after `appContext`, which it reads):
 * - a strict Content-Security-Policy: nothing loads but what the page names, inline `<style>`
 *   and `<script>` only with this response's nonce (`cspNonce(c)`), no inline `style=""`, no
 *   framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), forms post only to this site;
 *   images may come from any https host, as community photos do;
 * - `nosniff`, `Referrer-Policy: same-origin` (nothing leaks to other sites; not `no-referrer`,
 *   which would make browsers send `Origin: null` on the dashboard's own forms), HSTS, COOP;
 * - `Cache-Control: no-store` wherever a route did not choose its own caching: pages and API
 *   answers carry people's contact details and private links, and no cache may keep them.
 * A header a route set itself (a stricter referrer policy, an image's caching) is kept.
 */
export function securityHeaders() {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE, turnstileSource],
      styleSrc: [NONCE],
      imgSrc: ["'self'", 'https:', 'data:'],
      frameSrc: [turnstileFrames],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'same-origin',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
    overwrite: false,
  })
  return createMiddleware<AppEnv>(async function securityHeaders(c, next) {
    await headers(c, next)
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store')
  })
}

/** The nonce that lets this response's own inline `<style>` and `<script>` run. */
export function cspNonce(c: Context<AppEnv>): string {
  return c.var.secureHeadersNonce ?? ''
}
