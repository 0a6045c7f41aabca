import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import type { TelegramJoinRequest } from '../../db/schema'
import { telegramConfig } from '../../lib/config'
import { notFound } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { formatNumber } from '../../lib/i18n'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { auditLater } from '../../middleware/audit-trail'
import { communityFor } from '../../api/community-scope'
import { can, isOwner } from '../../services/access'
import {
  communitiesWithTelegramRequests,
  decideTelegramJoinRequestsInBulk,
  listTelegramJoinRequests,
} from '../../platforms/telegram/join-requests'
import { Csrf } from '../../views/dashboard'
import { CommunityId, formText, idOrThrow, inLanguage, lang } from './page'

/**
 * Requests to join a community's Telegram chats (`chat_join_request`), in the approval queue
 * beside the web's: marked as from Telegram, with what Telegram tells of the person (name, user
 * name, language, bio), approved and declined through the Bot API one by one or in bulk. What
 * Telegram answers is the truth: a request it no longer has is reported gone, not failed.
 */
export const telegramApprovalsPages = new Hono<AppEnv>()

/** Requests shown per community, and decided at once at most (as the API's bulk operation). */
const REQUESTS_SHOWN = 100
const REQUESTS_PER_COMMUNITY_IN_OVERVIEW = 10
const COMMUNITIES_IN_OVERVIEW = 10

/** The outcome of a decision, in the redirect's query: counts and known reasons only. */
const OutcomeQuery = z.object({
  tg: z
    .string()
    .regex(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/)
    .optional()
    .catch(undefined),
  tgError: z.literal('unavailable').optional().catch(undefined),
})

function DecisionNotice(props: { c: Context<AppEnv> }) {
  const t = telegramDashboardWords(lang(props.c))
  const query = OutcomeQuery.parse(props.c.req.query())
  if (query.tgError) return <p role="status">{t.telegramUnavailable}</p>
  if (!query.tg) return null
  const [approved, declined, gone, open] = query.tg.split('.').map(Number) as [
    number,
    number,
    number,
    number,
  ]
  return <p role="status">{t.decidedNotice(approved, declined, gone, open)}</p>
}

function RequestsTable(props: {
  c: Context<AppEnv>
  requests: TelegramJoinRequest[]
  decide: boolean
  timeZone: string
}) {
  const l = lang(props.c)
  const t = telegramDashboardWords(l)
  const { decide } = props
  return (
    <table class="cards">
      <thead>
        <tr>
          {decide && (
            <th>
              <span class="muted">✓</span>
            </th>
          )}
          <th>{t.chat}</th>
          <th>{t.username}</th>
          <th>{t.language}</th>
          <th>{t.bio}</th>
          <th>{t.requestedAt}</th>
          {decide && <th />}
        </tr>
      </thead>
      <tbody>
        {props.requests.map((request) => {
          const name = [request.firstName, request.lastName].filter(Boolean).join(' ')
          return (
            <tr>
              {decide && (
                <td data-label={t.select}>
                  <input type="checkbox" name="ids" value={request.id} aria-label={name} />
                </td>
              )}
              <td data-label={t.chat}>
                <bdi>{name}</bdi>
                <div class="muted">{t.fromTelegram}</div>
              </td>
              <td data-label={t.username}>
                {request.username ? <bdi>@{request.username}</bdi> : '–'}
              </td>
              <td data-label={t.language}>
                {request.languageCode ? <bdi>{request.languageCode}</bdi> : '–'}
              </td>
              <td data-label={t.bio}>{request.bio ? <bdi>{request.bio}</bdi> : '–'}</td>
              <td data-label={t.requestedAt}>
                {formatMoment(l, request.requestedAt, props.timeZone)}
              </td>
              {decide && (
                <td data-label="" class="actions">
                  <button type="submit" name="only" value={`approve:${request.id}`}>
                    {t.approve}
                  </button>{' '}
                  <button type="submit" class="danger" name="only" value={`decline:${request.id}`}>
                    {t.decline}
                  </button>
                </td>
              )}
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** The form around a community's requests: the rows' own buttons and one for the checked. */
async function DecisionForm(props: {
  c: Context<AppEnv>
  communityId: string
  back: 'community' | 'overview'
  children: unknown
}) {
  const t = telegramDashboardWords(lang(props.c))
  return (
    <form
      method="post"
      action={inLanguage(
        props.c,
        `/admin/communities/${props.communityId}/telegram-approvals?back=${props.back}`,
      )}
    >
      <Csrf token={await csrfTokenFor(props.c)} />
      {props.children as never}
      <p>
        <button type="submit" name="action" value="approve">
          {t.approveSelected}
        </button>{' '}
        <button type="submit" class="danger" name="action" value="decline">
          {t.declineSelected}
        </button>
      </p>
    </form>
  )
}

/** A community's Telegram requests, for its approvals page; nothing while Telegram is off. */
export async function TelegramRequestsSection(props: {
  c: Context<AppEnv>
  community: { id: string; timeZone: string }
}) {
  const { c, community } = props
  if (!telegramConfig(c.var.config)) return null
  const t = telegramDashboardWords(lang(c))
  const decide = can(c.var.principal, 'joinRequests.decide', { communityId: community.id })
  const pending = await listTelegramJoinRequests(c.var.db, community.id, {
    status: 'pending',
    limit: REQUESTS_SHOWN,
  })
  const table = (
    <RequestsTable c={c} requests={pending.data} decide={decide} timeZone={community.timeZone} />
  )
  return (
    <section id="telegram-requests">
      <h2>{t.telegramRequests}</h2>
      <DecisionNotice c={c} />
      <p class="muted">{t.telegramRequestsIntro}</p>
      {pending.data.length === 0 ? (
        <p class="muted">{t.noTelegramRequests}</p>
      ) : decide ? (
        <DecisionForm c={c} communityId={community.id} back="community">
          {table}
        </DecisionForm>
      ) : (
        table
      )}
    </section>
  )
}

/**
 * Every community's Telegram requests the admin may see, for the approvals overview: ten
 * communities, the first ten requests of each, with a link to the community's own page.
 */
export async function TelegramRequestsOverview(props: { c: Context<AppEnv> }) {
  const { c } = props
  if (!telegramConfig(c.var.config)) return null
  const l = lang(c)
  const t = telegramDashboardWords(l)
  const principal = c.var.principal
  const communities = (
    await communitiesWithTelegramRequests(c.var.db, {
      communityId: isOwner(principal) ? null : (principal.communityId ?? ''),
      limit: COMMUNITIES_IN_OVERVIEW,
    })
  ).filter((community) => can(principal, 'joinRequests.read', { communityId: community.id }))
  const lists = await Promise.all(
    communities.map((community) =>
      listTelegramJoinRequests(c.var.db, community.id, {
        status: 'pending',
        limit: REQUESTS_PER_COMMUNITY_IN_OVERVIEW,
      }),
    ),
  )
  return (
    <section id="telegram-requests">
      <h2>{t.telegramRequests}</h2>
      <DecisionNotice c={c} />
      {communities.length === 0 ? (
        <p class="muted">{t.noTelegramRequests}</p>
      ) : (
        await Promise.all(
          communities.map(async (community, i) => {
            const decide = can(principal, 'joinRequests.decide', { communityId: community.id })
            const table = (
              <RequestsTable
                c={c}
                requests={lists[i]!.data}
                decide={decide}
                timeZone={community.timeZone}
              />
            )
            return (
              <>
                <h3>
                  <a href={inLanguage(c, `/admin/communities/${community.id}/approvals`)}>
                    <bdi>{community.name}</bdi>
                  </a>{' '}
                  <span class="muted">
                    {t.telegramWaiting(formatNumber(l, lists[i]!.data.length))}
                    {lists[i]!.nextCursor ? '+' : ''}
                  </span>
                </h3>
                {decide ? (
                  <DecisionForm c={c} communityId={community.id} back="overview">
                    {table}
                  </DecisionForm>
                ) : (
                  table
                )}
              </>
            )
          }),
        )
      )}
    </section>
  )
}

const Decision = z.object({
  action: z.enum(['approve', 'decline']),
  ids: z
    .array(z.string().regex(idPattern('tjr')))
    .min(1)
    .max(REQUESTS_SHOWN),
})

/**
 * One decision (a row's button) or many (the checkboxes), through the same Bot API calls and
 * pacing as the API's bulk operation; each request Telegram took the decision for goes in the
 * audit log. A request of another community is not found, like one that does not exist.
 */
telegramApprovalsPages.post('/admin/communities/:id/telegram-approvals', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'joinRequests.decide')
  const telegram = telegramConfig(c.var.config)
  if (!telegram) throw notFound('Page')
  const back = inLanguage(
    c,
    c.req.query('back') === 'overview' ? '/admin/approvals' : `/admin/communities/${id}/approvals`,
  )
  const form = await readForm(c)
  const only = formText(form, 'only')?.split(':')
  const parsed = Decision.safeParse({
    action: only ? only[0] : formText(form, 'action'),
    ids: only ? [only[1]] : ([] as unknown[]).concat(form.ids ?? []).map(String),
  })
  if (!parsed.success) return c.redirect(`${back}#telegram-requests`, 303)
  const results = await decideTelegramJoinRequestsInBulk(
    c.var.db,
    telegram,
    id,
    parsed.data.ids,
    parsed.data.action,
    new Date(),
  )
  const count = (status: string) => results.filter((r) => r.status === status).length
  for (const result of results) {
    if (result.status !== 'approved' && result.status !== 'declined') continue
    auditLater(c, {
      communityId: id,
      action: result.status === 'approved' ? 'join_request.approved' : 'join_request.rejected',
      actor: c.var.principal,
      targetId: result.id,
    })
  }
  // Telegram could not be reached for the first one: nothing was decided.
  const outcome =
    count('not_decided') === results.length && results.length > 0
      ? 'tgError=unavailable'
      : `tg=${count('approved')}.${count('declined')}.${count('gone')}.${count('not_decided')}`
  return c.redirect(`${back}${back.includes('?') ? '&' : '?'}${outcome}#telegram-requests`, 303)
})
