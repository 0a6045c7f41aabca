import type { Invite } from '../db/schema'

/** Whether a link lets people in, for every reader of a link: landing page, join, API, dashboard. */
export const INVITE_STATUSES = ['active', 'revoked', 'archived', 'expired', 'used_up'] as const
export type InviteStatus = (typeof INVITE_STATUSES)[number]

/** Whether a link still lets people in, and if not, why. */
export function inviteStatus(
  invite: Pick<Invite, 'revokedAt' | 'archivedAt' | 'expiresAt' | 'maxUses' | 'uses'>,
  now: Date,
): InviteStatus {
  if (invite.revokedAt) return 'revoked'
  if (invite.archivedAt) return 'archived'
  if (invite.expiresAt && invite.expiresAt.getTime() <= now.getTime()) return 'expired'
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used_up'
  return 'active'
}

/** Why a link that is not active refuses a join, for the API's answer. */
export const inviteRefusal = {
  revoked: 'This invite link has been withdrawn.',
  archived: 'This invite link has been withdrawn.',
  expired: 'This invite link has expired.',
  used_up: 'This invite link has been used as often as allowed.',
} as const satisfies Record<Exclude<InviteStatus, 'active'>, string>

/**
 * How a campaign link ended by its own terms (its date, its uses), or null: such a link's page
 * names its community and may lead on to a fallback. One the admins withdrew or archived may
 * have leaked, and a member's own link would tie them to the community: neither does.
 */
export function endedByOwnTerms(
  invite: Parameters<typeof inviteStatus>[0] & Pick<Invite, 'referrerMemberId'>,
  now: Date,
): 'expired' | 'used_up' | null {
  if (invite.referrerMemberId) return null
  const status = inviteStatus(invite, now)
  return status === 'expired' || status === 'used_up' ? status : null
}
