import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { toHex } from '../lib/crypto'

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
const STATIC_HEADERS = {
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
} as const
const STATIC_HEADER_ENTRIES = Object.entries(STATIC_HEADERS)

/**
 * The Content-Security-Policy of one response. With a nonce, the response's own inline
 * `<style>` and `<script>` carry it (and Turnstile's script may load on the join form); without
 * one, the response asked for none and no inline style or script runs at all.
 */
function contentSecurityPolicy(nonce: string | undefined, turnstile: string): string {
  const ownInline = nonce === undefined ? "'none'" : `'nonce-${nonce}'`
  const scripts = turnstile && nonce !== undefined ? `${ownInline} ${turnstile}` : ownInline
  return (
    `default-src 'none'; script-src ${scripts}; style-src ${ownInline}; ` +
    `img-src 'self' https: data:; frame-src ${turnstile || "'none'"}; connect-src 'self'; ` +
    `form-action 'self'; frame-ancestors 'none'; base-uri 'none'`
  )
}

const NONCE_BYTES = 16
/** Random bytes for the next nonces: one call to the random source serves 64 responses. */
let nonceBytes = new Uint8Array(0)
let nonceBytesUsed = 0

/** 128 random bits, in hex: a new one for every response that asks (`cspNonce`). */
function newNonce(): string {
  if (nonceBytesUsed + NONCE_BYTES > nonceBytes.length) {
    nonceBytes = crypto.getRandomValues(new Uint8Array(NONCE_BYTES * 64))
    nonceBytesUsed = 0
  }
  const bytes = nonceBytes.subarray(nonceBytesUsed, nonceBytesUsed + NONCE_BYTES)
  nonceBytesUsed += NONCE_BYTES
  return toHex(bytes)
}

/** The policy of a response that runs no inline code and loads nothing (`securityHeaders`). */
export const NO_INLINE_CODE_POLICY = contentSecurityPolicy(undefined, '')

/** Responses built with every security header already (`securedResponse`). */
const secured = new WeakSet<Response>()

/**
 * Security headers on every response:
 * - a strict Content-Security-Policy: nothing loads but what the page names, inline `<style>`
 *   and `<script>` only with this response's nonce (`cspNonce(c)`), no inline `style=""`, no
 *   framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), forms post only to this site;
 *   images may come from any https host, as community photos do;
 * - `nosniff`, `Referrer-Policy: same-origin` (nothing leaks to other sites; not `no-referrer`,
 *   which would make browsers send `Origin: null` on the dashboard's own forms), HSTS, COOP;
 * - `Cache-Control: no-store` wherever a route did not choose its own caching: pages and API
 *   answers carry people's contact details and private links, and no cache may keep them.
 * A header a route set itself (a stricter referrer policy, an image's caching) is kept. The hot
 * routes build their response with all of them at once (`securedResponse`), which this skips:
 * setting them one by one afterwards cost a landing page or QR code a tenth of its CPU.
 */
export function securityHeaders() {
  return createMiddleware<AppEnv>(async function securityHeaders(c, next) {
    await next()
    if (secured.has(c.res)) return
    const headers = c.res.headers
    for (const [name, value] of STATIC_HEADER_ENTRIES)
      if (!headers.has(name)) headers.set(name, value)
    if (!headers.has('content-security-policy')) {
      headers.set(
        'content-security-policy',
        contentSecurityPolicy(c.get('cspNonce'), turnstileSource(c)),
      )
    }
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
  })
}

/**
 * A route's fixed headers together with every security header but the CSP (whose nonce is the
 * response's own), made once per route and copied into each of its responses: copying a
 * `Headers` is one call, where naming 17 headers is 17 of them, each checked again.
 */
export class SecuredHeaders {
  #template: Headers | undefined
  constructor(private readonly own: Readonly<Record<string, string>>) {}

  /** Made on first use: a Worker builds nothing but plain values at startup. */
  get template(): Headers {
    return (this.#template ??= new Headers({
      ...STATIC_HEADERS,
      'cache-control': 'no-store',
      ...this.own,
    }))
  }
}

/**
 * A response with every header `securityHeaders` gives, made in one step from a route's
 * `SecuredHeaders` (and its CSP): `perResponse` adds or replaces what varies by response. The
 * CSP is fixed here, so a page must have asked for its nonce (`cspNonce`) before.
 */
export function securedResponse(
  c: Context<AppEnv>,
  body: BodyInit | null,
  status: number,
  fixed: SecuredHeaders,
  perResponse: Record<string, string> = {},
): Response {
  // The response copies the template itself: copying it first into a Headers of our own
  // copied every header twice.
  const response = new Response(body, { status, headers: fixed.template })
  const headers = response.headers
  headers.set(
    'content-security-policy',
    contentSecurityPolicy(c.get('cspNonce'), turnstileSource(c)),
  )
  for (const name in perResponse) headers.set(name, perResponse[name]!)
  secured.add(response)
  return response
}

/**
 * The nonce that lets this response's own inline `<style>` and `<script>` run, made when first
 * asked for: a response that never asks gets a policy that lets no inline code run.
 */
export function cspNonce(c: Context<AppEnv>): string {
  let nonce = c.get('cspNonce')
  if (nonce === undefined) c.set('cspNonce', (nonce = newNonce()))
  return nonce
}
