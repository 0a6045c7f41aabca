import { and, desc, eq, inArray, isNull, ne, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { invites, type Invite } from '../db/schema'
import { ApiError } from '../lib/errors'
import { endedByOwnTerms, inviteStatus, type InviteStatus } from './invite-status'
import { communityOfInvite, isCampaignLink } from './link-settings'

/**
 * A link's fallback: where the page of a link that ended by its own terms (its date, its uses)
 * leads people on, instead of leaving them at "ask for a new one". Another campaign link of the
 * same community; a member's personal link is none (it would credit that member with joins of
 * a campaign). A link withdrawn or archived leads nowhere, nor does an old code: it may have
 * leaked, and leading on would undo the withdrawal.
 */

/** What a link's status is read from, for a select: whether it lets people in now. */
const STATUS_COLUMNS = {
  revokedAt: invites.revokedAt,
  archivedAt: invites.archivedAt,
  expiresAt: invites.expiresAt,
  maxUses: invites.maxUses,
  uses: invites.uses,
}

/** A link as a form or a way on names it, with what its status is read from. */
const CHOICE_COLUMNS = {
  id: invites.id,
  code: invites.code,
  label: invites.label,
  ...STATUS_COLUMNS,
}

/**
 * Which of `ids` are campaign links of the community, with what their status is read from: the
 * links others may lead on to, if they let people in now.
 */
export function fallbackCandidatesQuery(db: Database, communityId: string, ids: readonly string[]) {
  return db
    .select({ id: invites.id, ...STATUS_COLUMNS })
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        isNull(invites.referrerMemberId),
        inArray(invites.id, ids.length > 0 ? ids : ['']),
      ),
    )
}

type Candidate = Awaited<ReturnType<typeof fallbackCandidatesQuery>>[number]

/** Why a link cannot be a fallback, as the API's refusal says it. */
const REFUSALS = {
  foreign: 'Not a campaign link of this community',
  itself: 'A link cannot lead on to itself',
  member: 'A member’s personal link leads nowhere once it ends',
  ended: 'Not a link that lets people in now',
} as const

/** Refused: a fallback that cannot be one (`path` names the field). */
export function fallbackRefused(path: string, why: keyof typeof REFUSALS = 'foreign'): ApiError {
  return new ApiError('validation_failed', 'That link cannot be this link’s fallback.', {
    errors: [{ path, message: REFUSALS[why] }],
  })
}

/**
 * Why `id` cannot be a fallback, among the candidates read (`found`), or null: it must be one of
 * them and let people in now (a link that ended already would lead nowhere from the start).
 */
export function fallbackProblem(
  id: string,
  found: readonly Candidate[],
  now: Date,
): keyof typeof REFUSALS | null {
  const link = found.find((candidate) => candidate.id === id)
  if (!link) return 'foreign'
  return inviteStatus(link, now) === 'active' ? null : 'ended'
}

/**
 * Holds that `fallbackId` may be the fallback of link `own` (none yet, for a new link) in the
 * community: a campaign link of it that lets people in now, not the link itself, and `own` no
 * member's personal link (which leads nowhere once it ends). One read, only when one is named.
 */
export async function assertFallbackUsable(
  db: Database,
  communityId: string,
  fallbackId: string | null | undefined,
  own: Pick<Invite, 'id' | 'referrerMemberId'> | undefined,
  now: Date,
): Promise<void> {
  if (!fallbackId) return
  if (own?.referrerMemberId) throw fallbackRefused('fallbackInviteId', 'member')
  if (fallbackId === own?.id) throw fallbackRefused('fallbackInviteId', 'itself')
  const found = await fallbackCandidatesQuery(db, communityId, [fallbackId])
  const problem = fallbackProblem(fallbackId, found, now)
  if (problem) throw fallbackRefused('fallbackInviteId', problem)
}

/**
 * Unsets link `inviteId` as the fallback of the links leading on to it, for the batch that gives
 * it a new code (`onlyIf`: the condition that the batch gave it): a new code cuts off one that
 * leaked, and their printed pages would hand out the new one to anyone, so they lead nowhere until
 * an admin chooses again.
 */
export function unsetAsFallbackQuery(db: Database, inviteId: string, now: Date, onlyIf?: SQL) {
  return db
    .update(invites)
    .set({ fallbackInviteId: null, updatedAt: now })
    .where(and(eq(invites.fallbackInviteId, inviteId), onlyIf))
}

/** A link's fallback if it may still be one (for a copy of the link), else none. */
export async function usableFallback(db: Database, invite: Invite, now: Date) {
  if (!invite.fallbackInviteId) return null
  const found = await fallbackCandidatesQuery(db, invite.communityId, [invite.fallbackInviteId])
  return fallbackProblem(invite.fallbackInviteId, found, now) ? null : invite.fallbackInviteId
}

/** How far an ended link's page follows fallbacks that ended too: a campaign's few successors. */
const FALLBACK_HOPS = 5

/**
 * The links on the way on from link `inviteId`: its fallback, that one's, and so on, up to
 * `FALLBACK_HOPS` links (a loop ends there too), for a batch or on its own; `firstWorkingOf`
 * puts them in order and reads them.
 */
export function fallbackWayQuery(db: Database, inviteId: string) {
  return db
    .select({
      ...CHOICE_COLUMNS,
      communityId: invites.communityId,
      referrerMemberId: invites.referrerMemberId,
      fallbackInviteId: invites.fallbackInviteId,
    })
    .from(invites)
    .where(
      sql`${invites.id} in (with recursive way(id, hop) as (
          select fallback_invite_id, 1 from invites where id = ${inviteId}
          union all
          select i.fallback_invite_id, way.hop + 1 from way join invites i on i.id = way.id
           where way.hop < ${FALLBACK_HOPS} and i.fallback_invite_id is not null
        ) select id from way)`,
    )
}

export type WayRow = Awaited<ReturnType<typeof fallbackWayQuery>>[number]

/**
 * Where the page of `invite`, ended by its own terms, leads on (`way` as `fallbackWayQuery` read
 * it): the first link that lets people in, past fallbacks that ended by their own terms too;
 * none where the way stops at a link the admins withdrew or archived (it may have leaked), or at
 * a link of another community or a member's.
 */
export function firstWorkingOf(
  invite: Pick<Invite, 'communityId' | 'fallbackInviteId'>,
  way: WayRow[],
  now: Date,
): WayRow | null {
  const byId = new Map(way.map((row) => [row.id, row]))
  let next = invite.fallbackInviteId
  for (let hop = 0; next && hop < FALLBACK_HOPS; hop++) {
    const row = byId.get(next)
    if (!row || row.communityId !== invite.communityId || row.referrerMemberId !== null) return null
    const status = inviteStatus(row, now)
    if (status === 'active') return row
    if (status !== 'expired' && status !== 'used_up') return null
    next = row.fallbackInviteId
  }
  return null
}

/**
 * Where the page of a link that ended leads on: the code of `firstWorkingOf` its way, or null
 * (also for a link that did not end by its own terms, or a member's). One read, only on the page
 * of a link that ended, never on the landing page's hot path; not kept in the isolate, as the
 * links along the way end by their uses, which no cache hears of.
 */
export async function fallbackCodeOf(
  db: Database,
  invite: Invite,
  now: Date,
): Promise<string | null> {
  if (!invite.fallbackInviteId || !endedByOwnTerms(invite, now)) return null
  return firstWorkingOf(invite, await fallbackWayQuery(db, invite.id), now)?.code ?? null
}

/** How many links a link's form offers to lead on to: the newest, as a campaign's are. */
export const FALLBACK_CHOICES_MAX = 200

/**
 * The links a link's form may offer as its fallback, for the page's batch by the link's id: the
 * community's other campaign links not archived, newest first, read through the community's
 * index (see `isCampaignLink`). `fallbackChoicesOf` keeps those that let people in.
 */
export function fallbackChoicesQuery(db: Database, inviteId: string) {
  return db
    .select(CHOICE_COLUMNS)
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityOfInvite(inviteId)),
        isCampaignLink,
        ne(invites.id, inviteId),
        isNull(invites.archivedAt),
      ),
    )
    .orderBy(desc(invites.id))
    .limit(FALLBACK_CHOICES_MAX)
}

/** The link's fallback now, whatever it has become: offered too, so the form sends it back. */
export function chosenFallbackQuery(db: Database, inviteId: string) {
  return db
    .select(CHOICE_COLUMNS)
    .from(invites)
    .where(
      eq(
        invites.id,
        sql`(select ${invites.fallbackInviteId} from ${invites} where ${invites.id} = ${inviteId})`,
      ),
    )
}

type ChoiceRow = Awaited<ReturnType<typeof fallbackChoicesQuery>>[number]

/** A link the form offers, and whether it lets people in (the chosen one may not, any more). */
export interface FallbackChoice {
  id: string
  code: string
  label: string | null
  status: InviteStatus
}

/**
 * The choices the form offers: the links that let people in now, and the one chosen, first,
 * whatever it has become (its status said beside it), so the admin sees it leads nowhere now.
 */
export function fallbackChoicesOf(
  newest: ChoiceRow[],
  chosen: ChoiceRow[],
  now: Date,
): FallbackChoice[] {
  const choice = (row: ChoiceRow): FallbackChoice => ({
    id: row.id,
    code: row.code,
    label: row.label,
    status: inviteStatus(row, now),
  })
  const current = chosen.map(choice)
  const working = newest
    .map(choice)
    .filter((link) => link.status === 'active' && !current.some((c) => c.id === link.id))
  return [...current, ...working]
}
