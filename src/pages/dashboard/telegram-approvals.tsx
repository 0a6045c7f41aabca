import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import { notFound } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { auditLater } from '../../middleware/audit-trail'
import { communityFor } from '../../api/community-scope'
import { can, isOwner } from '../../services/access'
import {
  communitiesWithTelegramRequests,
  decideTelegramJoinRequestsInBulk,
  listTelegramJoinRequests,
  listTelegramJoinRequestsQuery,
} from '../../platforms/telegram/join-requests'
import { telegramGroupOfQuery } from '../../services/groups'
import { toPage } from '../../lib/pagination'
import type {
  TelegramOutcome,
  TelegramOverviewView,
  TelegramRequestsView,
} from '../../views/dashboard/telegram-requests'
import {
  CommunityId,
  craftedDecision,
  formText,
  idOrThrow,
  inLanguage,
  lang,
  withNotice,
} from './page'

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
    .regex(/^\d{1,3}(\.\d{1,3}){3,4}$/)
    .optional()
    .catch(undefined),
  tgError: z.literal('unavailable').optional().catch(undefined),
})

/** What the last decision did, from the redirect's query. */
function outcomeOf(c: Context<AppEnv>): TelegramOutcome {
  const query = OutcomeQuery.parse(c.req.query())
  if (query.tgError) return { unavailable: true }
  if (!query.tg) return null
  const [approved, declined, gone, open, full = 0] = query.tg.split('.').map(Number) as [
    number,
    number,
    number,
    number,
    number?,
  ]
  return { approved, declined, gone, open, full }
}

/** A community's Telegram requests, for its approvals page; null while Telegram is off. */
export async function telegramRequestsOf(
  c: Context<AppEnv>,
  community: { id: string; timeZone: string },
): Promise<TelegramRequestsView | null> {
  if (!telegramConfig(c.var.config)) return null
  const db = c.var.db
  const [rows, onTelegram] = await db.batch([
    listTelegramJoinRequestsQuery(db, community.id, { status: 'pending', limit: REQUESTS_SHOWN }),
    telegramGroupOfQuery(db, community.id),
  ])
  const pending = toPage(rows, REQUESTS_SHOWN)
  const outcome = outcomeOf(c)
  // A community with no group on Telegram has no section for it (unless requests still wait
  // from a chat it left, or a decision just made is to be told).
  if (onTelegram.length === 0 && pending.data.length === 0 && !outcome) return null
  return {
    lang: lang(c),
    csrf: await csrfTokenFor(c),
    href: (path) => inLanguage(c, path),
    outcome,
    community,
    requests: pending.data,
    decide: can(c.var.principal, 'joinRequests.decide', { communityId: community.id }),
  }
}

/**
 * Every community's Telegram requests the admin may see, for the approvals overview: ten
 * communities, the first ten requests of each; null while Telegram is off.
 */
export async function telegramOverviewOf(c: Context<AppEnv>): Promise<TelegramOverviewView | null> {
  if (!telegramConfig(c.var.config)) return null
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
  return {
    lang: lang(c),
    csrf: await csrfTokenFor(c),
    href: (path) => inLanguage(c, path),
    outcome: outcomeOf(c),
    communities: communities.map((community, i) => ({
      community,
      requests: lists[i]!.data,
      more: lists[i]!.nextCursor !== null,
      decide: can(principal, 'joinRequests.decide', { communityId: community.id }),
    })),
  }
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
  const ids = ([] as unknown[]).concat(form.ids ?? []).map(String)
  const parsed = Decision.safeParse({
    action: only ? only[0] : formText(form, 'action'),
    ids: only ? [only[1]] : ids,
  })
  if (!parsed.success) {
    // The bulk buttons tapped with no box ticked: said so at the top of the page, where its
    // notices stand (not scrolled past them to the Telegram part).
    if (!only && ids.length === 0) return c.redirect(withNotice(back, 'noneSelected'), 303)
    throw craftedDecision(parsed.error.issues[0]!, REQUESTS_SHOWN, 'tjr')
  }
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
      : `tg=${['approved', 'declined', 'gone', 'not_decided', 'group_full'].map(count).join('.')}`
  return c.redirect(`${back}${back.includes('?') ? '&' : '?'}${outcome}#telegram-requests`, 303)
})
