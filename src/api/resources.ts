import type { Database } from '../db/client'
import type {
  Announcement,
  ApiToken,
  Community,
  Group,
  Invite,
  Member,
  TeamInvitation,
  TelegramJoinRequest,
  WebhookEndpoint,
} from '../db/schema'
import { inviteScope, type Scope } from '../services/access'
import { getAnnouncementOrThrow } from '../services/announcements'
import { getCommunityOrThrow } from '../services/communities'
import { getGroupOrThrow } from '../services/groups'
import { getInviteOrThrow } from '../services/invites'
import { getJoinRequestForApprovalOrThrow } from '../services/joining-decisions'
import { getMemberOrThrow } from '../services/members'
import { getPendingInvitationOrThrow } from '../services/team'
import { getTokenOrThrow } from '../services/tokens'
import { getTelegramJoinRequestOrThrow } from '../platforms/telegram/join-requests'
import { getWebhookEndpointOrThrow } from '../services/webhooks'

interface Resolver<T> {
  /** What a 404 calls it: "<label> does not exist or is not visible to this token." */
  label: string
  /** Its one read, which answers 404 when there is no such resource. */
  load: (db: Database, id: string) => Promise<T>
  /** The community (and group) it belongs to; none for what belongs to the installation. */
  scope: (resource: T) => Scope | undefined
  /**
   * The scope read off the id alone, where the id says it: access is then decided before the
   * read, so a refused request costs no round trip.
   */
  scopeOfId?: (id: string) => Scope
}

function resolver<T>(definition: Resolver<T>): Resolver<T> {
  return definition
}

const inCommunity = (resource: { communityId: string }): Scope => ({
  communityId: resource.communityId,
})
/** Tokens and webhook endpoints without a community belong to the whole installation. */
const inCommunityOrInstallation = (resource: { communityId: string | null }) =>
  resource.communityId ? { communityId: resource.communityId } : undefined

/**
 * How the router finds what an operation's `{id}` names, by the kind of resource its access
 * declares: one read per request, whose result the handler gets (`c.var.<kind>`), so that no
 * handler reads it again or decides access itself.
 */
export const RESOLVERS = {
  community: resolver<Community>({
    label: 'Community',
    load: getCommunityOrThrow,
    scope: (community) => ({ communityId: community.id }),
    scopeOfId: (id) => ({ communityId: id }),
  }),
  group: resolver<Group>({
    label: 'Group',
    load: getGroupOrThrow,
    scope: (group) => ({ communityId: group.communityId, groupId: group.id }),
  }),
  invite: resolver<Invite>({ label: 'Invite', load: getInviteOrThrow, scope: inviteScope }),
  // Read with where an approval lands, in the same round trip: approving needs both.
  joinRequest: resolver<Awaited<ReturnType<typeof getJoinRequestForApprovalOrThrow>>>({
    label: 'Join request',
    load: getJoinRequestForApprovalOrThrow,
    scope: ({ request }) => inCommunity(request),
  }),
  member: resolver<Member>({ label: 'Member', load: getMemberOrThrow, scope: inCommunity }),
  announcement: resolver<Announcement>({
    label: 'Announcement',
    load: getAnnouncementOrThrow,
    scope: inCommunity,
  }),
  webhook: resolver<WebhookEndpoint>({
    label: 'Webhook endpoint',
    load: getWebhookEndpointOrThrow,
    scope: inCommunityOrInstallation,
  }),
  // Only a sign-in link still pending: one used, revoked or expired is gone, as if never made.
  teamInvitation: resolver<TeamInvitation>({
    label: 'Invitation',
    load: (db, id) => getPendingInvitationOrThrow(db, id, new Date()),
    scope: inCommunity,
  }),
  telegramJoinRequest: resolver<TelegramJoinRequest>({
    label: 'Join request',
    load: getTelegramJoinRequestOrThrow,
    scope: inCommunity,
  }),
  token: resolver<ApiToken>({
    label: 'Token',
    load: getTokenOrThrow,
    scope: inCommunityOrInstallation,
  }),
}

export type ResourceKind = keyof typeof RESOLVERS

/** What the router hands a handler for each kind. */
export type ResolvedResources = {
  [K in ResourceKind]: (typeof RESOLVERS)[K] extends Resolver<infer T> ? T : never
}
