import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { base64 } from '../lib/crypto'

/** Where Cloudflare Turnstile's script and challenge frame come from. */
export const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com'
const JOIN_FORM = /^\/i\/[^/]+\/join$/

/** Turnstile's origin on the join form when Turnstile is configured, nowhere else. */
function turnstileSource(c: Context<AppEnv>): string {
  return c.get('config').TURNSTILE_SECRET && JOIN_FORM.test(c.req.path) ? TURNSTILE_ORIGIN : ''
}

/**
 * The headers besides the CSP, as hono's `secureHeaders` sets them with the options this
 * project used (its defaults, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`, the
 * permissions below), written out once: building them per response was a measurable share of
 * the hot path's CPU.
 */
const STATIC_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['cross-origin-resource-policy', 'same-origin'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'same-origin'],
  ['strict-transport-security', 'max-age=15552000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'DENY'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
  ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
]

/** The Content-Security-Policy of one response, with its nonce (and Turnstile on the join form). */
function contentSecurityPolicy(nonce: string, turnstile: string): string {
  const scripts = turnstile ? `'nonce-${nonce}' ${turnstile}` : `'nonce-${nonce}'`
  return (
    `default-src 'none'; script-src ${scripts}; style-src 'nonce-${nonce}'; ` +
    `img-src 'self' https: data:; frame-src ${turnstile || "'none'"}; connect-src 'self'; ` +
    `form-action 'self'; frame-ancestors 'none'; base-uri 'none'`
  )
}

/** 128 random bits, base64: a new one for every response. */
function newNonce(): string {
  return base64(crypto.getRandomValues(new Uint8Array(16)))
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
  return createMiddleware<AppEnv>(async function securityHeaders(c, next) {
    const nonce = newNonce()
    c.set('cspNonce', nonce)
    await next()
    const headers = c.res.headers
    for (const [name, value] of STATIC_HEADERS) if (!headers.has(name)) headers.set(name, value)
    if (!headers.has('content-security-policy')) {
      headers.set('content-security-policy', contentSecurityPolicy(nonce, turnstileSource(c)))
    }
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
  })
}

/** The nonce that lets this response's own inline `<style>` and `<script>` run. */
export function cspNonce(c: Context<AppEnv>): string {
  return c.get('cspNonce') ?? ''
}
