import { ApiError, notFound } from '../lib/errors'
import type { TokenRole } from '../db/schema'

/**
 * Who is calling: the bootstrap owner (from the `ADMIN_TOKEN` secret, `tokenId` null) or a
 * stored API token. A community admin is scoped to `communityId`; a group admin to `groupId`
 * (and reads the community that group belongs to).
 */
export interface Principal {
  tokenId: string | null
  name: string
  role: TokenRole
  communityId: string | null
  groupId: string | null
  /**
   * For a dashboard session started from a sign-in link someone else made: their name (see
   * `sessions.linkMadeBy`). The audit log keeps it next to the actor.
   */
  linkMadeBy?: string | null
  /**
   * The admins' tokens whose holders could be behind this session besides its teammate
   * (`services/held-by.ts`): what it makes is held by them too.
   */
  alsoHeldBy?: string[] | null
}

/**
 * Who an action is open to:
 * - `owners`: owner tokens only;
 * - `community_readers`: owners, the community's admins and the admins of its groups;
 * - `community_admins`: owners and the community's admins;
 * - `group_admins`: owners, the community's admins and the admin of that very group.
 */
export type Audience = 'owners' | 'community_readers' | 'community_admins' | 'group_admins'

/**
 * The access policy: every decision of the API and of the dashboard is read from this table, so
 * a page never shows or offers what the API would refuse (and a test walks both to prove it).
 * Contact details, referrers' names and rewards are for community admins; a group admin reads
 * the community's public face, its links and their figures, and manages its own group.
 */
export const POLICY = {
  'community.create': 'owners',
  'community.delete': 'owners',
  'community.read': 'community_readers',
  'community.update': 'community_admins',
  'admins.read': 'community_readers',
  'admins.change': 'community_admins',
  'groups.read': 'community_readers',
  'group.create': 'community_admins',
  'group.update': 'group_admins',
  'group.delete': 'community_admins',
  'invites.read': 'community_readers',
  'invites.manage': 'community_admins',
  'stats.read': 'community_readers',
  'joinRequests.read': 'community_admins',
  'joinRequests.decide': 'community_admins',
  'members.read': 'community_admins',
  'members.remove': 'community_admins',
  'referrals.read': 'community_admins',
  'referrals.manage': 'community_admins',
  'announcements.read': 'community_admins',
  'announcements.manage': 'community_admins',
  'webhooks.manage': 'community_admins',
  'tokens.manage': 'community_admins',
  'team.read': 'community_admins',
  'team.manage': 'community_admins',
  'audit.read': 'community_admins',
  // The bot and its webhook serve the whole installation; so does the list of its chats.
  'telegram.manage': 'owners',
} as const satisfies Record<string, Audience>

export type Action = keyof typeof POLICY

/**
 * What an action is about: a community (and, for group actions, one of its groups). No scope
 * means the whole installation, which only owners act on.
 */
export interface Scope {
  communityId: string
  groupId?: string
  /**
   * A member's own referral link (`inviteScope`): theirs and their referrals', so read as
   * referrals are, by the community's admins; its community's readers see it exists.
   */
  referral?: boolean
}

/** What an invite link is in: its community, and, for a member's referral link, that. */
export function inviteScope(invite: {
  communityId: string
  referrerMemberId: string | null
}): Scope {
  return { communityId: invite.communityId, referral: invite.referrerMemberId !== null }
}

export function isOwner(principal: Principal): boolean {
  return principal.role === 'owner'
}

/** Whether `principal` may do `action` on `scope` (the installation when none is given). */
export function can(principal: Principal, action: Action, scope?: Scope | null): boolean {
  if (isOwner(principal)) return true
  if (!scope || principal.communityId !== scope.communityId) return false
  const communityAdmin = principal.role === 'community_admin'
  switch (audienceOf(action, scope)) {
    case 'owners':
      return false
    case 'community_readers':
      return true
    case 'community_admins':
      return communityAdmin
    case 'group_admins':
      return (
        communityAdmin || (principal.role === 'group_admin' && principal.groupId === scope.groupId)
      )
  }
}

/** Who `action` on `scope` is open to: the policy's audience, a referral's readers for one. */
function audienceOf(action: Action, scope?: Scope | null): Audience {
  const audience: Audience = POLICY[action]
  return scope?.referral && audience === 'community_readers' ? POLICY['referrals.read'] : audience
}

const REFUSALS: Record<Audience, string> = {
  owners: 'This token may see this, but only an owner token may do it.',
  community_readers: 'This token may see this, but not do it.',
  community_admins:
    'This token may see this, but only an owner or an admin of this community may do it.',
  group_admins:
    'This token may see this, but only an owner, a community admin or this group’s admin may do it.',
}

/**
 * Whether `principal` may see what lies in `scope` at all: owners everything, a scoped token its
 * own community. The installation (no scope) is seen by every token: what only owners may do
 * there is refused (403), not hidden.
 */
export function sees(principal: Principal, scope?: Scope | null): boolean {
  return isOwner(principal) || !scope || principal.communityId === scope.communityId
}

/**
 * Throws unless `principal` may do `action` on `scope`. What lies in a community the token may
 * not see answers 404 exactly as an id that does not exist (`what` names it), so that no token
 * learns which ids exist elsewhere; 403 only when the token sees it but its role may not act.
 */
export function assertCan(
  principal: Principal,
  action: Action,
  scope?: Scope | null,
  what = 'This resource',
): void {
  if (can(principal, action, scope)) return
  if (!sees(principal, scope)) throw notFound(what)
  throw new ApiError('forbidden', scope ? REFUSALS[audienceOf(action, scope)] : REFUSALS.owners)
}

/**
 * The scope of what a principal administers beyond a single community: owners the whole
 * installation (no scope), everyone else their community. Lists of tokens and webhooks use it.
 */
export function ownScope(principal: Principal): Scope | undefined {
  return isOwner(principal) || !principal.communityId
    ? undefined
    : { communityId: principal.communityId }
}
