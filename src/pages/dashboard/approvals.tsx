import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError, notFound } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { formatNumber } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, isOwner, sees } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import {
  communitiesWithPending,
  getJoinRequestOrThrow,
  joinRequestsPageOf,
  listJoinRequestsQuery,
  pendingCountsOf,
  pendingCountsOfIdsQuery,
  type JoinRequestListing,
} from '../../services/join-requests'
import type { JoinRequest } from '../../db/schema'
import { ReasonSchema } from '../../schemas/members'
import { communityFor } from '../../api/community-scope'
import { decideJoinRequest } from '../../api/join-decisions'
import { Csrf, words, type Words } from '../../views/dashboard'
import { TelegramRequestsOverview, TelegramRequestsSection } from './telegram-approvals'
import {
  CommunityId,
  lang,
  idOrThrow,
  formText,
  communityShell,
  cursorOf,
  NextPage,
  shell,
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

/** Pending requests as rows; with `decide`, each with a checkbox and its own two buttons. */
function PendingTable(props: {
  t: Words
  requests: JoinRequestListing[]
  questions: string[]
  decide: boolean
}) {
  const { t, decide } = props
  return (
    <table class="cards">
      <thead>
        <tr>
          {decide && (
            <th>
              <span class="muted">✓</span>
            </th>
          )}
          <th>{t.name}</th>
          <th>{t.answers}</th>
          <th>{t.source}</th>
          {decide && <th />}
        </tr>
      </thead>
      <tbody>
        {props.requests.map((request) => (
          <tr>
            {decide && (
              <td data-label={t.select}>
                <input type="checkbox" name="ids" value={request.id} aria-label={request.name} />
              </td>
            )}
            <td data-label={t.name}>
              <bdi>{request.name}</bdi>
              <div class="muted">
                <bdi>{request.phone ?? request.email}</bdi>
              </div>
            </td>
            <td data-label={t.answers}>
              {props.questions.map((question, i) => (
                <div>
                  <span class="muted">
                    <bdi>{question}</bdi>
                  </span>{' '}
                  <bdi>{request.answers[i] ?? '–'}</bdi>
                </div>
              ))}
            </td>
            <td data-label={t.source}>
              <bdi>{request.inviteLabel ?? request.inviteSource ?? '–'}</bdi>
              {request.referrerName && (
                <div class="muted">
                  {t.referredBy} <bdi>{request.referrerName}</bdi>
                </div>
              )}
            </td>
            {decide && (
              <td data-label="" class="actions">
                <button type="submit" name="only" value={`approve:${request.id}`}>
                  {t.approve}
                </button>{' '}
                <button type="submit" class="danger" name="only" value={`reject:${request.id}`}>
                  {t.reject}
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * The decision for every checked request, with the reason for a rejection: a bar that stays at
 * the bottom of the screen while the list scrolls (`.bulk`), so a long list on a phone never
 * leaves it out of reach.
 */
function BulkActions(props: { t: Words }) {
  const { t } = props
  return (
    <div class="bulk">
      <label for="reason">{t.reason}</label>
      <input id="reason" name="reason" maxlength={500} />
      <span>
        <button type="submit" name="action" value="approve">
          {t.approveSelected}
        </button>{' '}
        <button type="submit" class="danger" name="action" value="reject">
          {t.rejectSelected}
        </button>
      </span>
    </div>
  )
}

approvalsPages.get('/admin/communities/:id/approvals', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'joinRequests.read', { communityId: id })
  const decide = can(c.var.principal, 'joinRequests.decide', { communityId: id })
  // Access decided from the id alone; then the page's reads in one round trip (Telegram's
  // requests, where it is configured, are read by their own section after it).
  const db = c.var.db
  const [communityRows, requestRows] = await db.batch([
    communityQuery(db, id),
    listJoinRequestsQuery(db, id, { status: 'pending', limit: BULK_LIMIT, cursor: cursorOf(c) }),
  ])
  const community = communityOf(communityRows)
  const pending = joinRequestsPageOf(requestRows, BULK_LIMIT)
  const table = (
    <PendingTable
      t={t}
      requests={pending.data}
      questions={community.joinQuestions}
      decide={decide}
    />
  )
  return communityShell(
    c,
    community,
    '/approvals',
    `${community.name}: ${t.approvals}`,
    <>
      <section>
        <h2>{t.approvals}</h2>
        {pending.data.length === 0 ? (
          <p class="muted">
            {t.noPending} {t.noPendingNext}
          </p>
        ) : decide ? (
          <form method="post" action={`/admin/communities/${id}/approvals`}>
            <Csrf token={await csrfTokenFor(c)} />
            {table}
            <NextPage cursor={pending.nextCursor} c={c} />
            <BulkActions t={t} />
          </form>
        ) : (
          <>
            {table}
            <NextPage cursor={pending.nextCursor} c={c} />
          </>
        )}
      </section>
      {await TelegramRequestsSection({ c, community })}
    </>,
  )
})

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
    cursor: cursorOf(c),
    limit: COMMUNITIES_PER_PAGE,
  })
  const shown = page.data.filter((community) =>
    can(principal, 'joinRequests.read', { communityId: community.id }),
  )
  const ids = shown.map((community) => community.id)
  // The shown communities' counts and first requests in one round trip (at most
  // `COMMUNITIES_PER_PAGE` ids, so the list stays far below D1's bound parameters).
  const db = c.var.db
  const [countRows, ...listRows] =
    ids.length > 0
      ? await db.batch([
          pendingCountsOfIdsQuery(db, ids),
          ...ids.map((id) =>
            listJoinRequestsQuery(db, id, { status: 'pending', limit: REQUESTS_PER_COMMUNITY }),
          ),
        ])
      : [[]]
  const counts = pendingCountsOf(countRows)
  const lists = listRows.map((rows) => joinRequestsPageOf(rows, REQUESTS_PER_COMMUNITY))
  const decidable = shown.map((community) =>
    can(principal, 'joinRequests.decide', { communityId: community.id }),
  )
  const groups = shown.map((community, i) => (
    <>
      <h2 class="spaced">
        <a href={`/admin/communities/${community.id}/approvals`}>
          <bdi>{community.name}</bdi>
        </a>{' '}
        <span class="muted">
          {formatNumber(l, counts.get(community.id) ?? 0)} {t.pending}
        </span>
      </h2>
      <PendingTable
        t={t}
        requests={lists[i]!.data}
        questions={community.joinQuestions}
        decide={decidable[i]!}
      />
      {lists[i]!.nextCursor && (
        <p>
          <a href={`/admin/communities/${community.id}/approvals`}>
            {t.allPendingOf(formatNumber(l, counts.get(community.id) ?? 0))} →
          </a>
        </p>
      )}
    </>
  ))
  return shell(
    c,
    t.approvals,
    <>
      <section>
        <h1>{t.approvals}</h1>
        {shown.length === 0 ? (
          <p class="muted">
            {t.noPending} {t.noPendingNext}
          </p>
        ) : decidable.some(Boolean) ? (
          <form method="post" action="/admin/approvals">
            <Csrf token={await csrfTokenFor(c)} />
            {groups}
            <NextPage cursor={page.nextCursor} c={c} />
            <BulkActions t={t} />
          </form>
        ) : (
          <>
            {groups}
            <NextPage cursor={page.nextCursor} c={c} />
          </>
        )}
      </section>
      {await TelegramRequestsOverview({ c })}
    </>,
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
  const ids = form.ids === undefined ? [] : ([] as unknown[]).concat(form.ids).map(String)
  const parsed = DecisionForm.safeParse({
    action: only ? only[0] : formText(form, 'action'),
    ids: only ? [only[1]] : ids,
    reason: formText(form, 'reason'),
  })
  return parsed.success ? parsed.data : null
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
    }
  }
  return c.redirect(
    `${back}?decided=${done}&action=${decision.action}&refused=${[...problems].join(',')}`,
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
  if (!decision) return c.redirect(back, 303)
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
  if (!decision) return c.redirect('/admin/approvals', 303)
  const found = await requestsOf(c, decision.ids, (request) =>
    sees(c.var.principal, { communityId: request.communityId }),
  )
  if (found.missing) throw notFound('Join request')
  for (const request of found.requests) {
    assertCan(c.var.principal, 'joinRequests.decide', { communityId: request.communityId })
  }
  return decideEach(c, found, decision, '/admin/approvals')
})
