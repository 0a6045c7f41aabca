import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { noteTokenUse } from './bearer-auth'
import { signingSecret, type Config } from '../lib/config'
import { constantTimeEqual, sha256Hex } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { readForm } from '../lib/forms'
import { signToken } from '../lib/signing'
import { can, type Principal } from '../services/access'
import {
  endAllSessions,
  endSession,
  findSession,
  SESSION_HOURS,
  startSession,
  type SessionOwner,
} from '../services/sessions'

const COOKIE = 'cg_session'
const CSRF_PURPOSE = 'dashboard-csrf'

/**
 * Names the current `ADMIN_TOKEN` without revealing it (keyed with the signing secret, so the
 * stored value says nothing about the token): a new token ends the old one's sessions.
 */
async function bootstrapKey(config: Config): Promise<string | null> {
  if (!config.ADMIN_TOKEN) return null
  return sha256Hex(`bootstrap-session:${signingSecret(config)}:${config.ADMIN_TOKEN}`)
}

async function sessionOwner(c: Context<AppEnv>, principal: Principal): Promise<SessionOwner> {
  return principal.tokenId
    ? { tokenId: principal.tokenId }
    : { bootstrapKey: (await bootstrapKey(c.var.config)) ?? '' }
}

/**
 * Starts a dashboard session for a token that signed in: a row in `sessions` and a cookie with
 * its random id (never the token), HttpOnly, SameSite=Strict and Secure on https. A session this
 * browser had before ends: a new sign-in never inherits an old session id. The session keeps
 * who made the sign-in link used (`Principal.linkMadeBy`).
 */
export async function signIn(c: Context<AppEnv>, principal: Principal): Promise<void> {
  const previous = getCookie(c, COOKIE)
  if (previous) await endSession(c.var.db, previous)
  const owner = await sessionOwner(c, principal)
  const id = await startSession(c.var.db, owner, new Date(), principal)
  setCookie(c, COOKIE, id, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: '/admin',
    maxAge: SESSION_HOURS * 3600,
  })
}

/** Ends this browser's session on the server and forgets its cookie. */
export async function signOut(c: Context<AppEnv>): Promise<void> {
  const id = getCookie(c, COOKIE)
  if (id) await endSession(c.var.db, id)
  deleteCookie(c, COOKIE, { path: '/admin' })
}

/** Ends every session of the signed-in token, in every browser, this one included. */
export async function signOutEverywhere(c: Context<AppEnv>): Promise<void> {
  await endAllSessions(c.var.db, await sessionOwner(c, c.var.principal), new Date())
  deleteCookie(c, COOKIE, { path: '/admin' })
}

/** The form token of this session: every dashboard form carries it, every POST checks it. */
export async function csrfTokenFor(c: Context<AppEnv>): Promise<string> {
  const session = getCookie(c, COOKIE) ?? ''
  return (await signToken(signingSecret(c.var.config), CSRF_PURPOSE, session)).split('.').pop()!
}

/**
 * Requires a live dashboard session (see `sessions`: not signed out, not expired, its token not
 * revoked) and puts its principal on the context, with the pending requests read with it in one
 * round trip: `pendingApprovals`, of the communities it may decide on (the header sums them), and
 * `viewedApprovals`, of the community a path is about (`viewedCommunity`), for its approvals tab.
 * Without one, people are sent to sign in; a POST must also carry the session's form token.
 */
export function dashboardSession(
  options: {
    viewedCommunity?: (path: string) => string | undefined
    /**
     * Asked when a request has no live session: an answer of its own (another way of signing
     * in, e.g. Cloudflare Access), or null to send the browser to the sign-in page.
     */
    withoutSession?: (c: Context<AppEnv>) => Promise<Response | null>
  } = {},
) {
  return createMiddleware<AppEnv>(async function dashboardSession(c, next) {
    const id = getCookie(c, COOKIE)
    const session = id
      ? await findSession(
          c.var.db,
          id,
          await bootstrapKey(c.var.config),
          new Date(),
          options.viewedCommunity?.(c.req.path),
        )
      : null
    if (!session) {
      deleteCookie(c, COOKIE, { path: '/admin' })
      const answer = await options.withoutSession?.(c)
      if (answer) return answer
      return c.redirect(`/admin/login?next=${encodeURIComponent(c.req.path)}`, 303)
    }
    if (c.req.method === 'POST') {
      // Every form's token, the QR designer's (multipart, for its logo) too.
      const form = await readForm(c, { files: true })
      const sent = typeof form._csrf === 'string' ? form._csrf : ''
      if (!(await constantTimeEqual(sent, await csrfTokenFor(c)))) {
        // A page like any other refusal, in the dashboard's language, with a way back.
        throw new ApiError(
          'csrf_failed',
          'This form has expired. Go back: what you typed is still there. Copy it, reload the page, and send it again.',
        )
      }
    }
    const { principal } = session
    const decidesOn = (counts: Map<string, number>) =>
      new Map(
        [...counts].filter(([communityId]) => can(principal, 'joinRequests.read', { communityId })),
      )
    c.set('principal', principal)
    c.set('pendingApprovals', decidesOn(session.pending))
    c.set('viewedApprovals', decidesOn(session.viewedPending))
    noteTokenUse(c, principal)
    await next()
  })
}
