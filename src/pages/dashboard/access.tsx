import { Hono, type Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { z } from 'zod'
import type { ApiToken } from '../../db/schema'
import type { AppEnv } from '../../env'
import { accessConfig } from '../../lib/config'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { logInfo } from '../../lib/log'
import { signIn } from '../../middleware/dashboard-session'
import { cspNonce } from '../../middleware/security-headers'
import {
  assertionStillSignsIn,
  teammatesByEmail,
  verifyAccessAssertion,
} from '../../services/access-sign-in'
import type { Principal } from '../../services/access'
import { principalOf } from '../../services/tokens'
import { AccessChooserPage, AccessRefusedPage } from '../../views/dashboard/access'
import { lang } from './page'

/**
 * Signing in through Cloudflare Access, for a deployment behind it: the identity provider's
 * address, vouched for by Access's signed assertion, opens the dashboard session of the
 * teammate carrying that address. Without `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` the assertion is
 * never read, so nobody can sign in by sending the header to a Worker that Access does not guard.
 */
export const accessPages = new Hono<AppEnv>()

/** Where the chooser's forms post; outside the session check, as nobody is signed in yet. */
export const ACCESS_CHOOSE_PATH = '/admin/access/choose'

// Access sends it as a header on every request it lets through; the cookie is its fallback.
const Assertion = z.string().min(1).max(16_384)

function assertionOf(c: Context<AppEnv>): string | null {
  const sent = c.req.header('cf-access-jwt-assertion') ?? getCookie(c, 'CF_Authorization')
  return Assertion.safeParse(sent).data ?? null
}

/** Only a path of this dashboard: never an open redirect. */
function dashboardPath(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[\w/-]*)?$/.test(value) ? value : '/admin'
}

/**
 * Where a browser behind Access signs out of Access itself (on the application's own domain):
 * otherwise its Access cookie signs it straight back in.
 */
export const ACCESS_LOGOUT_PATH = '/cdn-cgi/access/logout'

/**
 * The address Access vouches for on this request, and when Access issued the assertion; null
 * when Access is off or it does not.
 */
async function accessIdentity(
  c: Context<AppEnv>,
): Promise<{ email: string; issuedAt: Date } | null> {
  const access = accessConfig(c.var.config)
  const assertion = access && assertionOf(c)
  if (!access || !assertion) return null
  const identity = await verifyAccessAssertion(access, assertion, new Date())
  if (!identity.ok) {
    // The reason only: neither the token nor the address it claims goes to the log.
    logInfo({ access: 'assertion refused', reason: identity.reason })
    return null
  }
  return { email: identity.email, issuedAt: identity.issuedAt }
}

/**
 * The teammates an assertion may sign in: those with its address, except any who signed out
 * everywhere after Access issued it. `signedOut`: some were left out for that alone.
 */
async function teammatesOf(c: Context<AppEnv>, identity: { email: string; issuedAt: Date }) {
  const all = await teammatesByEmail(c.var.db, identity.email)
  const teammates = all.filter(({ token }) => assertionStillSignsIn(token, identity.issuedAt))
  return { teammates, signedOut: teammates.length < all.length }
}

/**
 * The teammate an Access session acts as; where someone else gave the token its address, the
 * session names them, as one from someone else's sign-in link does (they control the address).
 */
function accessPrincipalOf(token: ApiToken): Principal {
  return {
    ...principalOf(token),
    linkMadeBy: token.emailSetBy,
    alsoHeldBy: token.emailAlsoHeldBy,
  }
}

/**
 * For the session check (`dashboardSession`'s `withoutSession`): a request without a session
 * that carries a valid Access assertion is signed in as the one teammate with its address (then
 * sent on to the page it asked for), offered a choice among several, or told it has no access.
 * Null, so the sign-in page follows, when Access is off or the assertion does not check out.
 */
export async function signInThroughAccess(c: Context<AppEnv>): Promise<Response | null> {
  const identity = await accessIdentity(c)
  if (!identity) return null
  const { email } = identity
  const { teammates, signedOut } = await teammatesOf(c, identity)
  const nonce = cspNonce(c)
  // Signed out everywhere since Access vouched: signing in to Access again opens the session.
  if (teammates.length === 0 && signedOut) return c.redirect(ACCESS_LOGOUT_PATH, 303)
  if (teammates.length === 0) {
    return c.html(<AccessRefusedPage lang={lang(c)} nonce={nonce} email={email} />, 403)
  }
  // A GET comes back to where it was going; a form sent without a session is not replayed.
  const next = c.req.method === 'GET' ? dashboardPath(c.req.path) : '/admin'
  if (teammates.length === 1) {
    await signIn(c, accessPrincipalOf(teammates[0]!.token))
    return c.redirect(next, 303)
  }
  return c.html(
    <AccessChooserPage
      lang={lang(c)}
      nonce={nonce}
      email={email}
      action={`${ACCESS_CHOOSE_PATH}?lang=${lang(c)}`}
      next={next}
      choices={teammates.map(({ token, communityName }) => ({
        tokenId: token.id,
        communityName,
        role: token.role,
      }))}
    />,
  )
}

const Choice = z.object({ tokenId: z.string().regex(idPattern('tok')), next: z.unknown() })

/** The chooser's choice: the assertion is checked again, and the token must carry its address. */
accessPages.post(ACCESS_CHOOSE_PATH, async (c) => {
  const choice = Choice.safeParse(await readForm(c))
  const identity = choice.success ? await accessIdentity(c) : null
  if (!choice.success || !identity) return c.redirect('/admin/login', 303)
  const { teammates } = await teammatesOf(c, identity)
  const chosen = teammates.find(({ token }) => token.id === choice.data.tokenId)
  if (!chosen) {
    const email = identity.email
    return c.html(<AccessRefusedPage lang={lang(c)} nonce={cspNonce(c)} email={email} />, 403)
  }
  await signIn(c, accessPrincipalOf(chosen.token))
  return c.redirect(dashboardPath(choice.data.next), 303)
})
