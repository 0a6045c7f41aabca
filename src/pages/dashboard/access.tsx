import { Hono, type Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { accessConfig } from '../../lib/config'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { logInfo } from '../../lib/log'
import { signIn } from '../../middleware/dashboard-session'
import { cspNonce } from '../../middleware/security-headers'
import { teammatesByEmail, verifyAccessAssertion } from '../../services/access-sign-in'
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

/** The address Access vouches for on this request; null when Access is off or it does not. */
async function accessEmail(c: Context<AppEnv>): Promise<string | null> {
  const access = accessConfig(c.var.config)
  const assertion = access && assertionOf(c)
  if (!access || !assertion) return null
  const identity = await verifyAccessAssertion(access, assertion, new Date())
  if (!identity.ok) {
    // The reason only: neither the token nor the address it claims goes to the log.
    logInfo({ access: 'assertion refused', reason: identity.reason })
    return null
  }
  return identity.email
}

/**
 * For the session check (`dashboardSession`'s `withoutSession`): a request without a session
 * that carries a valid Access assertion is signed in as the one teammate with its address (then
 * sent on to the page it asked for), offered a choice among several, or told it has no access.
 * Null, so the sign-in page follows, when Access is off or the assertion does not check out.
 */
export async function signInThroughAccess(c: Context<AppEnv>): Promise<Response | null> {
  const email = await accessEmail(c)
  if (!email) return null
  const teammates = await teammatesByEmail(c.var.db, email)
  const nonce = cspNonce(c)
  if (teammates.length === 0) {
    return c.html(<AccessRefusedPage lang={lang(c)} nonce={nonce} email={email} />, 403)
  }
  // A GET comes back to where it was going; a form sent without a session is not replayed.
  const next = c.req.method === 'GET' ? dashboardPath(c.req.path) : '/admin'
  if (teammates.length === 1) {
    await signIn(c, principalOf(teammates[0]!.token))
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
  const email = choice.success ? await accessEmail(c) : null
  if (!choice.success || !email) return c.redirect('/admin/login', 303)
  const teammates = await teammatesByEmail(c.var.db, email)
  const chosen = teammates.find(({ token }) => token.id === choice.data.tokenId)
  if (!chosen) {
    return c.html(<AccessRefusedPage lang={lang(c)} nonce={cspNonce(c)} email={email} />, 403)
  }
  await signIn(c, principalOf(chosen.token))
  return c.redirect(dashboardPath(choice.data.next), 303)
})
