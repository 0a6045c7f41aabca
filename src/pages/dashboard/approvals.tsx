import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError, notFound } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, isOwner, sees } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import {
  communitiesWithPending,
  getJoinRequestOrThrow,
  joinRequestsPageOf,
  listJoinRequestsQuery,
  pendingCountsOfIdsQuery,
} from '../../services/join-requests'
import type { JoinRequest } from '../../db/schema'
import { AdminConfirmSchema, ReasonSchema } from '../../schemas/members'
import { communityFor } from '../../api/community-scope'
import { decideJoinRequest, recordAdminConsent } from '../../api/join-decisions'
import { fieldMessages } from '../../lib/field-errors'
import { UNCONFIRMED_WORDS } from '../../lib/i18n'
import {
  UnconfirmedSignUps,
  type UnconfirmedView,
} from '../../views/dashboard/unconfirmed-sign-ups'
import { untoldApplicantsOf, untoldApplicantsQuery } from '../../services/decision-notices'
import { fullGroupsQuery, groupsByIdQuery } from '../../services/full-groups'
import { countFullGroups, fullGroupsAsked, fullInDecision, fullParameter } from './full-in-decision'
import { words } from '../../views/dashboard/shell'
import { ApprovalsOverview, ApprovalsPage } from '../../views/dashboard/approvals'
import { telegramOverviewOf, telegramRequestsOf } from './telegram-approvals'
import {
  CommunityId,
  craftedDecision,
  lang,
  idOrThrow,
  formText,
  communityShell,
  inLanguage,
  cursorOf,
  nextPageHref,
  shell,
  withNotice,
} from './page'

/**
 * Pending join requests, decided one by one or in bulk: a community's own page, and one page
 * across every community the admin may decide for, each community's requests under its name.
 */
export const approvalsPages = new Hono<AppEnv>()

/** Communities on one page of the list across communities, and requests shown of each. */
const COMMUNITIES_PER_PAGE = 10
const REQUESTS_PER_COMMUNITY = 10

/** One bulk decision takes at most this many requests (as the API's bulk endpoint). */
const BULK_LIMIT = 100

const RequestId = z.string().regex(idPattern('jr'))

approvalsPages.get('/admin/communities/:id/approvals', (c) =>
  approvalsPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/** How many sign-ups waiting for their owner's confirmation the page lists: the oldest. */
const UNCONFIRMED_SHOWN = 20

async function approvalsPage(
  c: Context<AppEnv>,
  id: string,
  refused?: UnconfirmedView['refused'],
  // A refusal's page answers 400, unless it only says how what was done turned out.
  status: 200 | 400 = refused ? 400 : 200,
) {
  const t = words(lang(c))
  assertCan(c.var.principal, 'joinRequests.read', { communityId: id })
  const decide = can(c.var.principal, 'joinRequests.decide', { communityId: id })
  // Access decided from the id alone; then the page's reads in one round trip (Telegram's
  // requests, where it is configured, are read by their own section after it): with them, the
  // community's full groups, and after a decision the groups it found full, among this
  // community's only.
  const db = c.var.db
  const now = new Date()
  const asked = fullGroupsAsked(c)
  const [communityRows, requestRows, unconfirmedRows, untold, fullRows, ...named] = await db.batch([
    communityQuery(db, id),
    listJoinRequestsQuery(db, id, {
      status: 'pending',
      limit: BULK_LIMIT,
      cursor: cursorOf(c, 'jr'),
    }),
    listJoinRequestsQuery(db, id, { status: 'unconfirmed', limit: UNCONFIRMED_SHOWN }),
    untoldApplicantsQuery(db, id, now),
    fullGroupsQuery(db, [id], now),
    ...(asked.size > 0 ? [groupsByIdQuery(db, [...asked.keys()], id)] : []),
  ])
  const community = communityOf(communityRows)
  const pending = joinRequestsPageOf(requestRows, BULK_LIMIT)
  const unconfirmed = joinRequestsPageOf(unconfirmedRows, UNCONFIRMED_SHOWN)
  const csrf = await csrfTokenFor(c)
  return communityShell(
    c,
    community,
    '/approvals',
    `${community.name}: ${t.approvals}`,
    <>
      <ApprovalsPage
        lang={lang(c)}
        communityId={id}
        room={{ id, visibility: community.visibility, full: fullRows }}
        timeZone={community.timeZone}
        cooldownDays={c.var.config.REJECTION_COOLDOWN_DAYS}
        csrf={csrf}
        requests={pending.data}
        questions={community.joinQuestions}
        decide={decide}
        nextHref={nextPageHref(c, pending.nextCursor)}
        untold={untoldApplicantsOf(untold)}
        telegram={await telegramRequestsOf(c, community)}
      />
      <UnconfirmedSignUps
        lang={lang(c)}
        communityId={id}
        timeZone={community.timeZone}
        csrf={csrf}
        signUps={unconfirmed.data}
        more={unconfirmed.nextCursor !== null}
        asked={community.consent === 'double'}
        decide={decide}
        actionPath={(path) => inLanguage(c, path)}
        refused={refused}
      />
    </>,
    status,
    fullInDecision(c, asked, named.flat()),
  )
}

/**
 * Every community's pending requests on one page, under each community's name: ten communities a
 * page, the first ten requests of each (together never more than one bulk decision takes), with
 * a link to a community's own page when it has more.
 */
approvalsPages.get('/admin/approvals', async (c) => {
  const l = lang(c)
  const t = words(l)
  const principal = c.var.principal
  const owner = isOwner(principal)
  if (!owner)
    assertCan(principal, 'joinRequests.read', { communityId: principal.communityId ?? '' })
  const page = await communitiesWithPending(c.var.db, {
    communityId: owner ? null : principal.communityId,
    cursor: cursorOf(c, 'cmt'),
    limit: COMMUNITIES_PER_PAGE,
  })
  const shown = page.data.filter((community) =>
    can(principal, 'joinRequests.read', { communityId: community.id }),
  )
  const ids = shown.map((community) => community.id)
  // The shown communities' counts, full groups and first requests in one round trip (at most
  // `COMMUNITIES_PER_PAGE` ids, so the list stays far below D1's bound parameters); after a
  // decision, the groups it found full: only in the communities this admin sees (an owner's
  // every one), and named only where this admin may read the requests.
  const db = c.var.db
  const asked = fullGroupsAsked(c)
  const [[fullRows, countRows, ...listRows], named] = await Promise.all([
    ids.length > 0
      ? db.batch([
          fullGroupsQuery(db, ids, new Date()),
          pendingCountsOfIdsQuery(db, ids),
          ...ids.map((id) =>
            listJoinRequestsQuery(db, id, { status: 'pending', limit: REQUESTS_PER_COMMUNITY }),
          ),
        ])
      : ([[], []] as const),
    asked.size > 0
      ? groupsByIdQuery(db, [...asked.keys()], owner ? null : principal.communityId)
      : [],
  ])
  const full = fullInDecision(
    c,
    asked,
    named.filter((group) =>
      can(principal, 'joinRequests.read', { communityId: group.communityId }),
    ),
  )
  // The join requests listed here; Telegram's have their own part of the page.
  const counts = new Map(countRows.map((row) => [row.id, row.count]))
  const lists = listRows.map((rows) => joinRequestsPageOf(rows, REQUESTS_PER_COMMUNITY))
  return shell(
    c,
    t.approvals,
    <ApprovalsOverview
      lang={l}
      csrf={await csrfTokenFor(c)}
      cooldownDays={c.var.config.REJECTION_COOLDOWN_DAYS}
      communities={shown.map((community, i) => ({
        community,
        full: fullRows.filter((group) => group.communityId === community.id),
        count: counts.get(community.id) ?? 0,
        requests: lists[i]!.data,
        more: lists[i]!.nextCursor !== null,
        decide: can(principal, 'joinRequests.decide', { communityId: community.id }),
      }))}
      nextHref={nextPageHref(c, page.nextCursor)}
      telegram={await telegramOverviewOf(c)}
    />,
    undefined,
    undefined,
    full,
  )
})

const DecisionForm = z.object({
  action: z.enum(['approve', 'reject']),
  ids: z
    .array(z.string().regex(idPattern('jr')))
    .min(1)
    .max(BULK_LIMIT),
  reason: ReasonSchema.optional(),
})

/** One decision (a row's button) or many (the checkboxes), from either approvals page's form. */
async function decisionOf(c: Context<AppEnv>) {
  const form = await readForm(c)
  const only = formText(form, 'only')?.split(':')
  // Each request once, however often a crafted form names it: decided and counted once.
  const ids = [
    ...new Set(form.ids === undefined ? [] : ([] as unknown[]).concat(form.ids).map(String)),
  ]
  const action = only ? only[0] : formText(form, 'action')
  const parsed = DecisionForm.safeParse({
    action,
    ids: only ? [only[1]] : ids,
    // The bulk bar's reason goes with a rejection only: what stands in it approves nothing less.
    reason: action === 'reject' ? formText(form, 'reason') : undefined,
  })
  if (parsed.success) return parsed.data
  // A reason the field cannot hold (only a crafted form sends one) is refused by name, not
  // dropped into a page that looks as if nothing was asked.
  const reason = parsed.error.issues.find((issue) => issue.path[0] === 'reason')
  if (reason) {
    throw new ApiError(
      'bad_request',
      reason.code === 'too_big'
        ? 'The field reason is longer than 500 characters.'
        : 'The field reason has no text to show.',
    )
  }
  // The bulk buttons tapped with no box ticked: said so, rather than a page that looks unchanged.
  if (!only && ids.length === 0) return 'none'
  throw craftedDecision(parsed.error.issues[0]!, BULK_LIMIT, 'jr')
}

/**
 * Decides each request with the same services as the API; answers where to go next, with how
 * many were decided and why others were not, for the page's notice.
 */
async function decideEach(
  c: Context<AppEnv>,
  { requests, missing }: Awaited<ReturnType<typeof requestsOf>>,
  decision: z.infer<typeof DecisionForm>,
  back: string,
) {
  let done = 0
  const problems = new Set<string>(missing ? ['not_found'] : [])
  const refusals: ApiError[] = []
  for (const request of requests) {
    try {
      await decideJoinRequest(
        c,
        request,
        decision.action === 'approve'
          ? { action: 'approve' }
          : { action: 'reject', reason: decision.reason ?? null },
      )
      done += 1
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      problems.add(error.code)
      refusals.push(error)
    }
  }
  // The full groups by id, with the requests each kept out: the page names them.
  const full = fullParameter(countFullGroups(refusals))
  return c.redirect(
    `${back}?decided=${done}&action=${decision.action}&refused=${[...problems].join(',')}` +
      (full ? `&full=${full}` : ''),
    303,
  )
}

/**
 * The requests behind `ids` that exist and are the page's (`belongs`), and whether some were
 * not. One of another community counts as missing, exactly like an id that does not exist, so
 * that the answer tells no admin which ids exist elsewhere.
 */
async function requestsOf(
  c: Context<AppEnv>,
  ids: string[],
  belongs: (request: JoinRequest) => boolean,
) {
  const requests: JoinRequest[] = []
  let missing = false
  for (const id of ids) {
    try {
      const request = await getJoinRequestOrThrow(c.var.db, id)
      if (belongs(request)) requests.push(request)
      else missing = true
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      missing = true
    }
  }
  return { requests, missing }
}

approvalsPages.post('/admin/communities/:id/approvals', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'joinRequests.decide')
  const decision = await decisionOf(c)
  const back = `/admin/communities/${id}/approvals`
  if (decision === 'none') return c.redirect(withNotice(back, 'noneSelected'), 303)
  const found = await requestsOf(c, decision.ids, (request) => request.communityId === id)
  return decideEach(c, found, decision, back)
})

/**
 * Decisions across communities, all or nothing: every request must be one the admin may decide,
 * as the API would refuse each of them. One that does not exist or lies in a community the admin
 * may not see is not found (404), the one answer for both; one it sees but may not decide, 403.
 */
approvalsPages.post('/admin/approvals', async (c) => {
  const decision = await decisionOf(c)
  if (decision === 'none') {
    // Nothing ticked is said so only to whoever may decide somewhere: anyone else is refused
    // as the page itself refuses them (with requests named, each is answered as the API would).
    const principal = c.var.principal
    if (!isOwner(principal)) {
      assertCan(principal, 'joinRequests.decide', { communityId: principal.communityId ?? '' })
    }
    return c.redirect(withNotice('/admin/approvals', 'noneSelected'), 303)
  }
  const found = await requestsOf(c, decision.ids, (request) =>
    sees(c.var.principal, { communityId: request.communityId }),
  )
  if (found.missing) throw notFound('Join request')
  for (const request of found.requests) {
    assertCan(c.var.principal, 'joinRequests.decide', { communityId: request.communityId })
  }
  return decideEach(c, found, decision, '/admin/approvals')
})

/**
 * Consent an admin holds proof of, for a sign-up still waiting for its owner: recorded as the
 * API records it (`recordAdminConsent`). In an open community the person becomes a member; in a
 * closed one the request goes on to the admins' list above.
 */
approvalsPages.post('/admin/communities/:id/approvals/:requestId/consent', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const requestId = idOrThrow(RequestId, c.req.param('requestId'))
  assertCan(c.var.principal, 'joinRequests.decide', { communityId: id }, 'Community')
  const request = await getJoinRequestOrThrow(c.var.db, requestId)
  // One of another community is not found, exactly like an id that does not exist.
  if (request.communityId !== id) throw notFound('Join request')
  const form = await readForm(c)
  const contacts = form.contacts === undefined ? undefined : [form.contacts].flat().map(String)
  const values = { proof: typeof form.proof === 'string' ? form.proof : '', contacts }
  const u = UNCONFIRMED_WORDS[lang(c)]
  // The API's fields; no contact ticked leaves them to the sign-up, as the API's body may.
  const parsed = AdminConfirmSchema.safeParse({ proof: values.proof, contacts })
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues)
    return approvalsPage(c, id, { requestId, form: { values, errors } })
  }
  try {
    const { groupFull } = await recordAdminConsent(c, request, {
      text: parsed.data.proof,
      contacts: parsed.data.contacts,
    })
    // Recorded, but no membership yet: said where the sign-up was, and the page shows it above.
    if (groupFull) {
      return approvalsPage(
        c,
        id,
        { requestId, form: { values, errors: {} }, gone: u.groupFull },
        200,
      )
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    if (error.code === 'validation_failed') {
      return approvalsPage(c, id, {
        requestId,
        form: { values, errors: { contacts: u.coversMissing } },
      })
    }
    // The sign-up is no longer listed: said above the list, not beside a row that is gone.
    const gone =
      request.confirmExpiresAt !== null && request.confirmExpiresAt <= new Date()
        ? u.expired
        : u.gone
    return approvalsPage(c, id, { requestId, form: { values, errors: {} }, gone })
  }
  return c.redirect(
    inLanguage(c, withNotice(`/admin/communities/${id}/approvals`, 'consentRecorded')),
    303,
  )
})
