import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { readForm } from '../../lib/forms'
import { sameOriginOnly } from '../../middleware/same-origin'
import { rememberLanguage } from '../../middleware/dashboard-language'
import {
  csrfTokenFor,
  dashboardSession,
  signIn,
  signOut,
  signOutEverywhere,
} from '../../middleware/dashboard-session'
import { assertCan, can, ownScope, type Action } from '../../services/access'
import { homeFigureQueries, homeFiguresOf } from '../../services/home-figures'
import { addDays } from '../../lib/time'
import { todayIn } from './stats-range'
import {
  createCommunity,
  listCommunitiesQuery,
  listedCommunityIds,
} from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { CreateCommunitySchema } from '../../schemas/communities'
import type { FormState } from '../../views/form-fields'
import { findPrincipalByToken } from '../../services/tokens'
import { countTokenTry } from '../../services/sign-in-limits'
import { accessConfig, signingSecret, telegramConfig } from '../../lib/config'
import { words } from '../../views/dashboard/shell'
import { HomePage, SignInPage } from '../../views/dashboard/home'
import { approvalsHref, CommunityId, inLanguage, lang, shell, withNotice } from './page'
import { communitiesPages, communityFromForm } from './communities'
import { linksPages } from './links'
import { linksBulkPages } from './links-bulk'
import { approvalsPages } from './approvals'
import { telegramApprovalsPages } from './telegram-approvals'
import { membersPages } from './members'
import { rewardsPages } from './rewards'
import { announcementsPages } from './announcements'
import { announcementReportPages } from './announcement-report'
import { announcementEditPages } from './announcement-edit'
import { webhooksPages } from './webhooks'
import { ACCEPT_PATH, teamPages } from './team'
import { auditLogPages } from './audit-log'
import { groupFormPages } from './group-form'
import { auditCreation, auditTrail } from '../../middleware/audit-trail'
import { telegramPages } from './telegram'
import { statsComparePages } from './stats-compare'
import { cspNonce } from '../../middleware/security-headers'
import { ACCESS_CHOOSE_PATH, ACCESS_LOGOUT_PATH, accessPages, signInThroughAccess } from './access'

/**
 * The dashboard at `/admin`: the same services as the API behind a session cookie, for people
 * who would rather click than call. Every rule (who may do what, limits) lives in the services;
 * this file only turns forms into service calls and results into pages.
 */
export const dashboardApp = new Hono<AppEnv>()

// Before anything else, sign-in included: no state changes on behalf of another website.
dashboardApp.use('/admin', sameOriginOnly())
dashboardApp.use('/admin/*', sameOriginOnly())
// A language chosen on any page, the sign-in page and error pages too, stays chosen (`/admin/*`
// covers `/admin` itself).
dashboardApp.use('/admin/*', rememberLanguage())

/** Where the sign-in page says a sign-out ended sessions (`?out=`). */
const SIGNED_OUT = ['here', 'everywhere'] as const

dashboardApp.get('/admin/login', (c) =>
  c.html(
    <SignInPage
      lang={lang(c)}
      nonce={cspNonce(c)}
      failed={c.req.query('failed') === '1'}
      signedOut={SIGNED_OUT.find((where) => where === c.req.query('out'))}
      action={signInAction(c)}
    />,
  ),
)

/** Where the sign-in form posts: here again, with the page to go on to after it. */
function signInAction(c: Context<AppEnv>): string {
  return `/admin/login?next=${encodeURIComponent(c.req.query('next') ?? '/admin')}`
}

/** The sign-in form: a token, as typed (a space copied with it is not part of it). */
const SignInForm = z.object({ token: z.string().trim().catch('') })

dashboardApp.post('/admin/login', async (c) => {
  const { token } = SignInForm.parse(await readForm(c))
  // Every address counts here, a missing one as one network of its own (src/services/sign-in-limits.ts).
  const ip = c.req.header('cf-connecting-ip') ?? 'unknown'
  const tried = await countTokenTry(c.var.db, signingSecret(c.var.config), ip, token, new Date())
  if (tried.refused) {
    c.header('Retry-After', String(tried.retryAfter))
    return c.html(
      <SignInPage
        lang={lang(c)}
        nonce={cspNonce(c)}
        failed={false}
        retryInMinutes={Math.ceil(tried.retryAfter / 60)}
        action={signInAction(c)}
      />,
      429,
    )
  }
  const principal = token
    ? await findPrincipalByToken(c.var.db, token, c.var.config.ADMIN_TOKEN)
    : null
  if (!principal) return c.redirect('/admin/login?failed=1', 303)
  c.executionCtx.waitUntil(tried.giveBack(c.var.deferredDb))
  await signIn(c, principal)
  const next = c.req.query('next') ?? '/admin'
  // Only a path of this dashboard: never an open redirect.
  return c.redirect(/^\/admin(\/[\w/-]*)?$/.test(next) ? next : '/admin', 303)
})

// The community a page's path names, whose pending requests its header shows.
const session = dashboardSession({
  viewedCommunity: (path) =>
    CommunityId.safeParse(/^\/admin\/communities\/([^/]+)/.exec(path)?.[1]).data,
  withoutSession: signInThroughAccess,
})
// `/admin/*` covers `/admin` itself: one session check (one round trip) per request.
dashboardApp.use('/admin/*', async (c, next) =>
  c.req.path === '/admin/login' || c.req.path === ACCESS_CHOOSE_PATH || ACCEPT_PATH.test(c.req.path)
    ? next()
    : session(c, next),
)
// After the session check: every change made here goes into its community's audit log.
dashboardApp.use('/admin/*', auditTrail())

/**
 * Behind Cloudflare Access, signing out ends this browser's Access session too: its Access
 * cookie would sign it straight back in. Elsewhere, the sign-in page says what happened.
 */
function afterSignOut(c: Context<AppEnv>, out: 'here' | 'everywhere') {
  if (accessConfig(c.var.config)) return c.redirect(ACCESS_LOGOUT_PATH, 303)
  return c.redirect(inLanguage(c, `/admin/login?out=${out}`), 303)
}

dashboardApp.post('/admin/logout', async (c) => {
  await signOut(c)
  return afterSignOut(c, 'here')
})

/** Ends every session of this token: for a lost laptop, or a cookie that may have been copied. */
dashboardApp.post('/admin/logout-everywhere', async (c) => {
  await signOutEverywhere(c)
  return afterSignOut(c, 'everywhere')
})

dashboardApp.get('/admin', (c) => homePage(c))

/**
 * The home page: every community this admin manages with its key figures, and the form for a
 * new one (as it was sent, after a refusal).
 */
async function homePage(c: Context<AppEnv>, form?: FormState) {
  const principal = c.var.principal
  const db = c.var.db
  const now = new Date()
  const today = todayIn('Europe/Berlin', now)
  const week = { from: addDays(today, -6), to: today }
  // One round trip for the page, on top of the session's (which read the pending requests).
  const [rows, ...figureRows] = await db.batch([
    listCommunitiesQuery(db, principal, { limit: 100 }),
    ...homeFigureQueries(db, listedCommunityIds(db, principal, 100), week, now),
  ])
  const page = toPage(rows, 100)
  const figures = homeFiguresOf(figureRows, telegramConfig(c.var.config) !== null)
  const allowed = (action: Action) =>
    new Set(
      page.data
        .filter((community) => can(principal, action, { communityId: community.id }))
        .map((community) => community.id),
    )
  const mayReadStats = allowed('stats.read')
  const mayReadAnnouncements = allowed('announcements.read')
  const pending = c.var.pendingApprovals
  return shell(
    c,
    words(lang(c)).communities,
    <HomePage
      lang={lang(c)}
      communities={page.data}
      pending={pending}
      approvalsHref={approvalsHref(pending)}
      joins={new Map([...figures.joins].filter(([id]) => mayReadStats.has(id)))}
      mayReadStats={mayReadStats}
      onWhatsApp={figures.onWhatsApp}
      next={new Map([...figures.next].filter(([id]) => mayReadAnnouncements.has(id)))}
      create={
        can(principal, 'community.create')
          ? { action: inLanguage(c, '/admin/communities'), csrf: await csrfTokenFor(c), form }
          : null
      }
    />,
    form ? 400 : 200,
    '/admin',
  )
}

dashboardApp.post('/admin/communities', async (c) => {
  assertCan(c.var.principal, 'community.create')
  const read = communityFromForm(await readForm(c), CreateCommunitySchema, c.var.config, lang(c))
  if ('refused' in read) return homePage(c, read.refused)
  const { community } = await createCommunity(c.var.db, read.data, new Date())
  auditCreation(c, community)
  return c.redirect(withNotice(inLanguage(c, `/admin/communities/${community.id}`), 'created'), 303)
})

// Every page after sign-in, one sub-app per thing an admin manages.
for (const app of [
  accessPages,
  communitiesPages,
  linksPages,
  linksBulkPages,
  approvalsPages,
  telegramApprovalsPages,
  membersPages,
  rewardsPages,
  announcementsPages,
  announcementReportPages,
  announcementEditPages,
  webhooksPages,
  teamPages,
  auditLogPages,
  groupFormPages,
  telegramPages,
  statsComparePages,
]) {
  dashboardApp.route('/', app)
}
