import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { getCommunityOrThrow } from '../../services/communities'
import { getJoinRequestOrThrow, listJoinRequests } from '../../services/join-requests'
import { approveJoinRequest, rejectJoinRequest } from '../../services/joining'
import { ReasonSchema } from '../../schemas/members'
import { communityFor } from '../community-scope'
import { Csrf, words } from '../../views/dashboard'
import { CommunityId, lang, idOrThrow, formText, communityShell, cursorOf, NextPage } from './page'

/** Pending join requests, decided one by one or in bulk. */
export const approvalsApp = new Hono<AppEnv>()

approvalsApp.get('/admin/communities/:id/approvals', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'joinRequests.read', { communityId: id })
  const decide = can(c.var.principal, 'joinRequests.decide', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  const pending = await listJoinRequests(c.var.db, id, {
    status: 'pending',
    limit: 100,
    cursor: cursorOf(c),
  })
  const table = (
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
        {pending.data.map((request) => (
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
              {community.joinQuestions.map((question, i) => (
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
            <label for="reason">{t.reason}</label>
            <input id="reason" name="reason" maxlength={500} class="wide" />
            <p>
              <button type="submit" name="action" value="approve">
                {t.approveSelected}
              </button>{' '}
              <button type="submit" class="danger" name="action" value="reject">
                {t.rejectSelected}
              </button>
            </p>
          </form>
        ) : (
          <>
            {table}
            <NextPage cursor={pending.nextCursor} c={c} />
          </>
        )}
      </section>
    </>,
  )
})

const DecisionForm = z.object({
  action: z.enum(['approve', 'reject']),
  ids: z
    .array(z.string().regex(idPattern('jr')))
    .min(1)
    .max(100),
  reason: ReasonSchema.optional(),
})

/** One decision (a row's button) or many (the checkboxes): the same services as the API. */
approvalsApp.post('/admin/communities/:id/approvals', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'joinRequests.decide')
  const form = await readForm(c)
  const only = formText(form, 'only')?.split(':')
  const ids = form.ids === undefined ? [] : ([] as unknown[]).concat(form.ids).map(String)
  const parsed = DecisionForm.safeParse({
    action: only ? only[0] : formText(form, 'action'),
    ids: only ? [only[1]] : ids,
    reason: formText(form, 'reason'),
  })
  if (!parsed.success) return c.redirect(`/admin/communities/${id}/approvals`, 303)
  let done = 0
  const problems = new Set<string>()
  for (const requestId of parsed.data.ids) {
    try {
      const request = await getJoinRequestOrThrow(c.var.db, requestId)
      if (request.communityId !== id) continue
      if (parsed.data.action === 'approve') await approveJoinRequest(c.var.db, request, new Date())
      else await rejectJoinRequest(c.var.db, request, parsed.data.reason ?? null, new Date())
      done += 1
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      problems.add(error.code)
    }
  }
  return c.redirect(
    `/admin/communities/${id}/approvals?decided=${done}&action=${parsed.data.action}&refused=${[...problems].join(',')}`,
    303,
  )
})
