import { and, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { invites, type Invite } from '../db/schema'
import { ApiError } from '../lib/errors'
import { inviteStatus } from './invite-status'
import { communityOfInvite, isCampaignLink } from './link-settings'

/**
 * A link's fallback: where the page of a link that ended by its own terms (its date, its uses)
 * leads people on, instead of leaving them at "ask for a new one". Another campaign link of the
 * same community; a member's personal link is none (it would credit that member with joins of
 * a campaign). A link withdrawn or rotated leads nowhere: it may have leaked, and leading on
 * would undo the withdrawal.
 */

/** Which of `ids` are campaign links of the community: the links others may lead on to. */
export function fallbackCandidatesQuery(db: Database, communityId: string, ids: readonly string[]) {
  return db
    .select({ id: invites.id })
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        isNull(invites.referrerMemberId),
        inArray(invites.id, ids.length > 0 ? ids : ['']),
      ),
    )
}

/** Refused: a fallback that is no campaign link of this community (`path` names the field). */
export function fallbackRefused(path: string, why?: 'itself' | 'a member’s link'): ApiError {
  const message =
    why === 'itself'
      ? 'A link cannot lead on to itself'
      : why
        ? 'A member’s personal link leads nowhere once it ends'
        : 'Not a campaign link of this community'
  return new ApiError('validation_failed', 'That link cannot be this link’s fallback.', {
    errors: [{ path, message }],
  })
}

/**
 * Holds that `fallbackId` may be the fallback of link `own` (none yet, for a new link) in the
 * community: a campaign link of it, not the link itself, and `own` no member's personal link
 * (which leads nowhere once it ends). One read, only when one is named.
 */
export async function assertFallbackUsable(
  db: Database,
  communityId: string,
  fallbackId: string | null | undefined,
  own?: Pick<Invite, 'id' | 'referrerMemberId'>,
): Promise<void> {
  if (!fallbackId) return
  if (own?.referrerMemberId) throw fallbackRefused('fallbackInviteId', 'a member’s link')
  if (fallbackId === own?.id) throw fallbackRefused('fallbackInviteId', 'itself')
  const found = await fallbackCandidatesQuery(db, communityId, [fallbackId])
  if (found.length === 0) throw fallbackRefused('fallbackInviteId')
}

/**
 * Where an ended link's page leads on: its fallback's current code, while that link lets people
 * in; null otherwise (none set, ended too, or the link ended by the admins' hand). A read only
 * on the page of a link that ended, never on the landing page's hot path.
 */
export async function fallbackCodeOf(
  db: Database,
  invite: Invite,
  now: Date,
): Promise<string | null> {
  if (!invite.fallbackInviteId || invite.referrerMemberId) return null
  const status = inviteStatus(invite, now)
  if (status !== 'expired' && status !== 'used_up') return null
  const fallback = await db.query.invites.findFirst({
    where: and(
      eq(invites.id, invite.fallbackInviteId),
      eq(invites.communityId, invite.communityId),
    ),
  })
  return fallback && inviteStatus(fallback, now) === 'active' ? fallback.code : null
}

/** How many links a link's form offers to lead on to: the newest, as a campaign's are. */
export const FALLBACK_CHOICES_MAX = 200

/**
 * The links a link's form offers as its fallback, for the page's batch by the link's id: the
 * community's other campaign links not archived, newest first, read through the community's
 * index (see `isCampaignLink`).
 */
export function fallbackChoicesQuery(db: Database, inviteId: string) {
  return db
    .select({ id: invites.id, code: invites.code, label: invites.label })
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
    .select({ id: invites.id, code: invites.code, label: invites.label })
    .from(invites)
    .where(
      eq(
        invites.id,
        sql`(select ${invites.fallbackInviteId} from ${invites} where ${invites.id} = ${inviteId})`,
      ),
    )
}

export type FallbackChoice = Awaited<ReturnType<typeof fallbackChoicesQuery>>[number]

/** The choices the form offers: the chosen one first where the newest do not hold it. */
export function fallbackChoicesOf(
  newest: FallbackChoice[],
  chosen: FallbackChoice[],
): FallbackChoice[] {
  const missing = chosen.filter((link) => !newest.some((choice) => choice.id === link.id))
  return [...missing, ...newest]
}
