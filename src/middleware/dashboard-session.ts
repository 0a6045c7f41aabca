import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { signingSecret } from '../lib/config'
import { constantTimeEqual, sha256Hex } from '../lib/crypto'
import { readForm } from '../lib/forms'
import { signToken, verifyToken } from '../lib/signing'
import { findPrincipalById } from '../services/tokens'

const COOKIE = 'cg_session'
const SESSION_PURPOSE = 'dashboard-session'
const CSRF_PURPOSE = 'dashboard-csrf'
export const SESSION_HOURS = 8

/**
 * Starts a dashboard session for a token that signed in: a signed, expiring cookie naming the
 * token (never the token itself), HttpOnly, SameSite=Strict and Secure on https.
 */
export async function startSession(c: Context<AppEnv>, tokenId: string | null): Promise<void> {
  const expires = Date.now() + SESSION_HOURS * 3600_000
  const who = tokenId ?? `bootstrap:${await bootstrapFingerprint(c)}`
  const value = await signToken(signingSecret(c.var.config), SESSION_PURPOSE, `${who}~${expires}`)
  setCookie(c, COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: '/admin',
    maxAge: SESSION_HOURS * 3600,
  })
}

/** Names the current ADMIN_TOKEN without revealing it: a new token ends the old one's sessions. */
async function bootstrapFingerprint(c: Context<AppEnv>): Promise<string> {
  return (await sha256Hex(`session:${c.var.config.ADMIN_TOKEN ?? ''}`)).slice(0, 16)
}

export function endSession(c: Context<AppEnv>): void {
  deleteCookie(c, COOKIE, { path: '/admin' })
}

/** The form token of this session: every dashboard form carries it, every POST checks it. */
export async function csrfTokenFor(c: Context<AppEnv>): Promise<string> {
  const session = getCookie(c, COOKIE) ?? ''
  return (await signToken(signingSecret(c.var.config), CSRF_PURPOSE, session)).split('.').pop()!
}

/**
 * Requires a dashboard session and puts its principal on the context (the token must still be
 * live: revoking a token ends its sessions). Without one, people are sent to sign in; a POST
 * must also carry the session's form token.
 */
export function dashboardSession() {
  return createMiddleware<AppEnv>(async function dashboardSession(c, next) {
    const cookie = getCookie(c, COOKIE)
    const subject = cookie
      ? await verifyToken(signingSecret(c.var.config), SESSION_PURPOSE, cookie)
      : null
    const [who = '', expires] = subject?.split('~') ?? []
    const bootstrap = who.startsWith('bootstrap:')
    const live =
      Number(expires) > Date.now() &&
      (!bootstrap || who === `bootstrap:${await bootstrapFingerprint(c)}`)
    const principal = live
      ? await findPrincipalById(c.var.db, bootstrap ? null : who, c.var.config.ADMIN_TOKEN)
      : null
    if (!principal) {
      endSession(c)
      return c.redirect(`/admin/login?next=${encodeURIComponent(c.req.path)}`, 303)
    }
    if (c.req.method === 'POST') {
      const form = await readForm(c)
      const sent = typeof form._csrf === 'string' ? form._csrf : ''
      if (!(await constantTimeEqual(sent, await csrfTokenFor(c)))) {
        return c.text('This form has expired. Go back, reload the page and try again.', 403)
      }
    }
    c.set('principal', principal)
    await next()
  })
}
