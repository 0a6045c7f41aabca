import { Hono } from 'hono'
import type { AppEnv } from '../../env'
import { readForm } from '../../lib/forms'
import { sameOriginOnly } from '../../middleware/same-origin'
import {
  csrfTokenFor,
  dashboardSession,
  signIn,
  signOut,
  signOutEverywhere,
} from '../../middleware/dashboard-session'
import { can, ownScope } from '../../services/access'
import { listCommunities } from '../../services/communities'
import { pendingCounts } from '../../services/join-requests'
import { findPrincipalByToken } from '../../services/tokens'
import { Csrf, Shell, words } from '../../views/dashboard'
import { lang, shell } from './page'
import { formatNumber } from '../../lib/i18n'
import { communitiesApp, CommunityFields } from './communities'
import { linksApp } from './links'
import { approvalsApp } from './approvals'
import { membersApp } from './members'
import { announcementsApp } from './announcements'
import { webhooksApp } from './webhooks'
import { cspNonce } from '../../middleware/security-headers'

/**
 * The dashboard at `/admin`: the same services as the API behind a session cookie, for people
 * who would rather click than call. Every rule (who may do what, limits) lives in the services;
 * this file only turns forms into service calls and results into pages.
 */
export const dashboardApp = new Hono<AppEnv>()

// Before anything else, sign-in included: no state changes on behalf of another website.
dashboardApp.use('/admin', sameOriginOnly())
dashboardApp.use('/admin/*', sameOriginOnly())

dashboardApp.get('/admin/login', (c) => {
  const t = words(lang(c))
  const failed = c.req.query('failed') === '1'
  return c.html(
    <Shell lang={lang(c)} nonce={cspNonce(c)} title={t.signIn}>
      <section class="narrow">
        <h1>{t.signIn}</h1>
        <p class="muted">{t.signInHint}</p>
        {failed && (
          <p class="err" role="alert">
            {t.wrongToken}
          </p>
        )}
        <form
          method="post"
          action={`/admin/login?next=${encodeURIComponent(c.req.query('next') ?? '/admin')}`}
        >
          <label for="token">{t.token}</label>
          <input
            id="token"
            name="token"
            type="password"
            required
            autocomplete="current-password"
            class="wide"
          />
          <p>
            <button type="submit">{t.signIn}</button>
          </p>
        </form>
      </section>
    </Shell>,
  )
})

dashboardApp.post('/admin/login', async (c) => {
  const form = await readForm(c)
  const token = typeof form.token === 'string' ? form.token.trim() : ''
  const principal = token
    ? await findPrincipalByToken(c.var.db, token, c.var.config.ADMIN_TOKEN)
    : null
  if (!principal) return c.redirect('/admin/login?failed=1', 303)
  await signIn(c, principal)
  const next = c.req.query('next') ?? '/admin'
  // Only a path of this dashboard: never an open redirect.
  return c.redirect(/^\/admin(\/[\w/-]*)?$/.test(next) ? next : '/admin', 303)
})

dashboardApp.use('/admin', dashboardSession())
dashboardApp.use('/admin/*', async (c, next) =>
  c.req.path === '/admin/login' ? next() : dashboardSession()(c, next),
)

dashboardApp.post('/admin/logout', async (c) => {
  await signOut(c)
  return c.redirect('/admin/login', 303)
})

/** Ends every session of this token: for a lost laptop, or a cookie that may have been copied. */
dashboardApp.post('/admin/logout-everywhere', async (c) => {
  await signOutEverywhere(c)
  return c.redirect('/admin/login', 303)
})

dashboardApp.get('/admin', async (c) => {
  const t = words(lang(c))
  const page = await listCommunities(c.var.db, c.var.principal, { limit: 100 })
  const pending = await pendingCounts(
    c.var.db,
    page.data
      .filter((community) =>
        can(c.var.principal, 'joinRequests.read', { communityId: community.id }),
      )
      .map((community) => community.id),
  )
  return shell(
    c,
    t.communities,
    <section>
      <h1>{t.communities}</h1>
      {page.data.length === 0 && <p class="muted">{t.noCommunities}</p>}
      <table>
        <thead>
          <tr>
            <th>{t.communities}</th>
            <th>{t.status}</th>
            <th class="n" id="approvals">
              {t.approvals}
            </th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((community) => (
            <tr>
              <td>
                <a href={`/admin/communities/${community.id}`}>
                  <bdi>{community.name}</bdi>
                </a>
              </td>
              <td>{community.visibility === 'open' ? t.open : t.closed}</td>
              <td class="n">
                {pending.has(community.id) ? (
                  <a href={`/admin/communities/${community.id}/approvals`}>
                    {formatNumber(lang(c), pending.get(community.id)!)} {t.pending}
                  </a>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {can(c.var.principal, 'community.create') && (
        <form method="post" action="/admin/communities">
          <Csrf token={await csrfTokenFor(c)} />
          <h2 class="spaced">{t.newCommunity}</h2>
          <CommunityFields t={t} />
          <p>
            <button type="submit">{t.create}</button>
          </p>
        </form>
      )}
      {can(c.var.principal, 'webhooks.manage', ownScope(c.var.principal)) && (
        <p>
          <a href="/admin/webhooks">{t.webhooks}</a>
        </p>
      )}
    </section>,
  )
})

// Every page after sign-in, one sub-app per thing an admin manages.
for (const app of [
  communitiesApp,
  linksApp,
  approvalsApp,
  membersApp,
  announcementsApp,
  webhooksApp,
]) {
  dashboardApp.route('/', app)
}
