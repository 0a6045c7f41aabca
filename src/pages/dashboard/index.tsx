import { Hono, type Context } from 'hono'
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
import { assertCan, can, ownScope, type Action } from '../../services/access'
import { homeFigures } from '../../services/stats'
import { addDays } from '../../lib/time'
import { todayIn } from './stats-range'
import { createCommunity, listCommunities } from '../../services/communities'
import { CreateCommunitySchema } from '../../schemas/communities'
import type { FormState } from '../../views/form-fields'
import { pendingCounts } from '../../services/join-requests'
import { findPrincipalByToken } from '../../services/tokens'
import { Csrf, Shell, words } from '../../views/dashboard'
import { approvalsHref, inLanguage, lang, shell } from './page'
import { formatNumber, LOCALES } from '../../lib/i18n'
import { communitiesPages, CommunityFields, communityFromForm } from './communities'
import { linksPages } from './links'
import { approvalsPages } from './approvals'
import { telegramApprovalsPages } from './telegram-approvals'
import { membersPages } from './members'
import { announcementsPages } from './announcements'
import { announcementReportPages } from './announcement-report'
import { webhooksPages } from './webhooks'
import { ACCEPT_PATH, teamPages } from './team'
import { auditLogPages } from './audit-log'
import { groupFormPages } from './group-form'
import { auditTrail } from '../../middleware/audit-trail'
import { telegramPages } from './telegram'
import { statsComparePages } from './stats-compare'
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
  c.req.path === '/admin/login' || ACCEPT_PATH.test(c.req.path)
    ? next()
    : dashboardSession()(c, next),
)
// After the session check: every change made here goes into its community's audit log.
dashboardApp.use('/admin/*', auditTrail())

dashboardApp.post('/admin/logout', async (c) => {
  await signOut(c)
  return c.redirect('/admin/login', 303)
})

/** Ends every session of this token: for a lost laptop, or a cookie that may have been copied. */
dashboardApp.post('/admin/logout-everywhere', async (c) => {
  await signOutEverywhere(c)
  return c.redirect('/admin/login', 303)
})

dashboardApp.get('/admin', (c) => homePage(c))

/**
 * The home page: every community this admin manages with its key figures, and the form for a
 * new one (as it was sent, after a refusal).
 */
async function homePage(c: Context<AppEnv>, form?: FormState) {
  const l = lang(c)
  const t = words(l)
  const now = new Date()
  const page = await listCommunities(c.var.db, c.var.principal, { limit: 100 })
  const allowed = (action: Action) =>
    page.data
      .filter((community) => can(c.var.principal, action, { communityId: community.id }))
      .map((community) => community.id)
  const today = todayIn('Europe/Berlin', now)
  const [pending, figures] = await Promise.all([
    pendingCounts(c.var.db, allowed('joinRequests.read')),
    homeFigures(c.var.db, allowed('stats.read'), { from: addDays(today, -6), to: today }, now),
  ])
  const mayReadAnnouncements = new Set(allowed('announcements.read'))
  const next = [...figures.next.entries()]
    .filter(([id]) => mayReadAnnouncements.has(id))
    .sort(([, a], [, b]) => a.sendAt.getTime() - b.sendAt.getTime())[0]
  const when = (at: Date) =>
    new Intl.DateTimeFormat(LOCALES[l], {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'Europe/Berlin',
    }).format(at)
  const nameOf = new Map(page.data.map((community) => [community.id, community.name]))
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0)
  return shell(
    c,
    t.communities,
    <section>
      <h1>{t.communities}</h1>
      {page.data.length === 0 ? (
        <p class="muted">{t.noCommunities}</p>
      ) : (
        <div class="grid key-figures">
          <a class="stat" href={pending.size > 0 ? approvalsHref(pending) : '#communities'}>
            <span class="muted">{t.pendingRequests}</span>
            <b>{formatNumber(l, sum(pending.values()))}</b>
          </a>
          <div class="stat">
            <span class="muted">{t.joinsThisWeek}</span>
            <b>{formatNumber(l, sum(figures.joins.values()))}</b>
          </div>
          <div class="stat">
            <span class="muted">{t.nextAnnouncement}</span>
            {next ? (
              <>
                <b>{when(next[1].sendAt)}</b>
                <a href={`/admin/communities/${next[0]}/announcements`}>
                  <bdi>{nameOf.get(next[0])}</bdi>
                </a>
              </>
            ) : (
              <b>–</b>
            )}
          </div>
        </div>
      )}
      <table class="cards spaced" id="communities">
        <thead>
          <tr>
            <th>{t.communities}</th>
            <th>{t.status}</th>
            <th class="n">{t.approvals}</th>
            <th class="n">{t.joinsThisWeek}</th>
            <th>{t.nextAnnouncement}</th>
          </tr>
        </thead>
        <tbody>
          {page.data.map((community) => (
            <tr>
              <td data-label={t.communities}>
                <a href={`/admin/communities/${community.id}`}>
                  <bdi>{community.name}</bdi>
                </a>
              </td>
              <td data-label={t.status}>{community.visibility === 'open' ? t.open : t.closed}</td>
              <td class="n" data-label={t.approvals}>
                {(pending.get(community.id) ?? 0) > 0 ? (
                  <a href={`/admin/communities/${community.id}/approvals`}>
                    {formatNumber(l, pending.get(community.id)!)} {t.pending}
                  </a>
                ) : (
                  '–'
                )}
              </td>
              <td class="n" data-label={t.joinsThisWeek}>
                {figures.joins.has(community.id) ||
                can(c.var.principal, 'stats.read', { communityId: community.id })
                  ? formatNumber(l, figures.joins.get(community.id) ?? 0)
                  : '–'}
              </td>
              <td data-label={t.nextAnnouncement}>
                {mayReadAnnouncements.has(community.id) && figures.next.has(community.id)
                  ? when(figures.next.get(community.id)!.sendAt)
                  : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {can(c.var.principal, 'community.create') && (
        <form method="post" action={inLanguage(c, '/admin/communities')}>
          <Csrf token={await csrfTokenFor(c)} />
          <h2 class="spaced">{t.newCommunity}</h2>
          <CommunityFields t={t} form={form} />
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
      {c.var.config.TELEGRAM_BOT_TOKEN && can(c.var.principal, 'telegram.manage') && (
        <p>
          <a href="/admin/telegram">Telegram</a>
        </p>
      )}
    </section>,
    undefined,
    form ? 400 : 200,
  )
}

dashboardApp.post('/admin/communities', async (c) => {
  assertCan(c.var.principal, 'community.create')
  const read = communityFromForm(await readForm(c), CreateCommunitySchema, c.var.config, lang(c))
  if ('refused' in read) return homePage(c, read.refused)
  const { community } = await createCommunity(c.var.db, read.data, new Date())
  return c.redirect(inLanguage(c, `/admin/communities/${community.id}`), 303)
})

// Every page after sign-in, one sub-app per thing an admin manages.
for (const app of [
  communitiesPages,
  linksPages,
  approvalsPages,
  telegramApprovalsPages,
  membersPages,
  announcementsPages,
  announcementReportPages,
  webhooksPages,
  teamPages,
  auditLogPages,
  groupFormPages,
  telegramPages,
  statsComparePages,
]) {
  dashboardApp.route('/', app)
}
