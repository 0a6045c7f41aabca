import { ApiError } from '../lib/errors'
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
}

export function isOwner(principal: Principal): boolean {
  return principal.role === 'owner'
}

export function canReadCommunity(principal: Principal, communityId: string): boolean {
  return isOwner(principal) || principal.communityId === communityId
}

export function canManageCommunity(principal: Principal, communityId: string): boolean {
  return (
    isOwner(principal) ||
    (principal.role === 'community_admin' && principal.communityId === communityId)
  )
}

export function canManageGroup(
  principal: Principal,
  group: { id: string; communityId: string },
): boolean {
  return (
    canManageCommunity(principal, group.communityId) ||
    (principal.role === 'group_admin' && principal.groupId === group.id)
  )
}

function forbidden(detail: string): ApiError {
  return new ApiError('forbidden', detail)
}

export function assertOwner(principal: Principal): void {
  if (!isOwner(principal)) throw forbidden('Only an owner token may do this.')
}

export function assertCanReadCommunity(principal: Principal, communityId: string): void {
  if (!canReadCommunity(principal, communityId)) {
    throw forbidden('This token is not scoped to that community.')
  }
}

export function assertCanManageCommunity(principal: Principal, communityId: string): void {
  if (!canManageCommunity(principal, communityId)) {
    throw forbidden('Only an owner or an admin of this community may do this.')
  }
}

export function assertCanManageGroup(
  principal: Principal,
  group: { id: string; communityId: string },
): void {
  if (!canManageGroup(principal, group)) {
    throw forbidden('Only an owner, a community admin or this group’s admin may do this.')
  }
}
