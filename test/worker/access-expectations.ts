import { POLICY, type Audience } from '../../src/services/access'
import type { Request } from './contract-cases'
import type { TokenHolder } from './contract-world'
import { createGroup, createToken, query } from './helpers'
import type { Operation } from './openapi-contract'

/**
 * What the API should answer a caller, computed from an operation's declared access (`x-access`
 * in the OpenAPI document) and the policy table, not from the router's own code: the access walk
 * and the contract walk hold every operation to it.
 */

export interface AccessDocument {
  action: keyof typeof POLICY | null
  audience: Audience | 'anyone' | 'any_token'
  on: string
}

/** A caller with a valid token. */
export interface Caller {
  role: 'owner' | 'community_admin' | 'group_admin'
  communityId?: string
  groupId?: string
}

/** Where what a request acts on lies; undefined for the whole installation. */
export type Place = { communityId: string; groupId?: string } | undefined

const RESOURCE_TABLES: Record<string, string> = {
  invite: 'invites',
  joinRequest: 'join_requests',
  member: 'members',
  announcement: 'announcements',
  webhook: 'webhook_endpoints',
  token: 'api_tokens',
  teamInvitation: 'team_invitations',
  telegramJoinRequest: 'telegram_join_requests',
}

/** The operation's declaration, or why it has none that the walk can hold it to. */
export function accessOf(operation: Operation): AccessDocument {
  const access = (operation.definition as { 'x-access'?: AccessDocument })['x-access']
  if (!access) throw new Error(`${operation.operationId} declares no access (x-access)`)
  return access
}

async function communityOfGroup(groupId: string): Promise<Place> {
  const [row] = await query<{ community_id: string }>(
    'select community_id from groups where id = ?',
    groupId,
  )
  if (!row) throw new Error(`no group ${groupId}`)
  return { communityId: row.community_id, groupId }
}

/**
 * Where a request's target lies, read straight from D1 by what the declaration names: the
 * resource of the path's `id`, the group or community the body names, or the installation (the
 * caller's own community, for `caller`, is for `expectedStatus` to know).
 */
export async function placeOf(access: AccessDocument, request: Request): Promise<Place> {
  const id = request.pathParams.id
  switch (access.on) {
    case 'public':
    case 'signed_in':
    case 'installation':
    case 'caller':
      return undefined
    case 'body': {
      const body = (request.body ?? {}) as { groupId?: string; communityId?: string }
      if (body.groupId) return communityOfGroup(body.groupId)
      return body.communityId ? { communityId: body.communityId } : undefined
    }
    case 'community':
      return { communityId: id! }
    case 'group':
      return communityOfGroup(id!)
  }
  const table = RESOURCE_TABLES[access.on]
  if (!table) throw new Error(`unknown resource kind ${access.on}`)
  const [row] = await query<{ community_id: string | null }>(
    `select community_id from ${table} where id = ?`,
    id,
  )
  if (!row) throw new Error(`no ${access.on} ${id}`)
  return row.community_id ? { communityId: row.community_id } : undefined
}

/**
 * The status a caller gets (`success` when allowed): 401 without a valid token; 404 for what lies
 * in a community the token may not see, as for an id that does not exist; 403 when the token sees
 * it but its role is not in the action's audience.
 */
export function expectedStatus(
  access: AccessDocument,
  caller: Caller | null,
  place: Place,
  success: number,
): number {
  if (access.audience === 'anyone') return success
  if (!caller) return 401
  if (access.audience === 'any_token' || caller.role === 'owner') return success
  if (access.on === 'caller')
    place = caller.communityId ? { communityId: caller.communityId } : undefined
  if (place && place.communityId !== caller.communityId) return 404
  const admin = caller.role === 'community_admin'
  const allowed =
    place !== undefined &&
    {
      owners: false,
      community_readers: true,
      community_admins: admin,
      group_admins: admin || caller.groupId === place.groupId,
    }[access.audience]
  return allowed ? success : 403
}

/** The problem code that goes with a refusal. */
export function codeOf(status: number): string | undefined {
  return { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[status]
}

/** The caller a created token stands for. */
export function callerOf(token: {
  role: Caller['role']
  communityId: string | null
  groupId: string | null
}): Caller {
  return {
    role: token.role,
    communityId: token.communityId ?? undefined,
    groupId: token.groupId ?? undefined,
  }
}

/**
 * Tokens of the community a request acts on, made once each: the walks call every operation
 * with the admins of the very community its target lies in.
 */
export class TokensOf {
  private readonly made = new Map<string, Promise<TokenHolder>>()

  private once(key: string, make: () => Promise<TokenHolder>): Promise<TokenHolder> {
    if (!this.made.has(key)) this.made.set(key, make())
    return this.made.get(key)!
  }

  communityAdmin(communityId: string): Promise<TokenHolder> {
    return this.once(`community ${communityId}`, () =>
      createToken({ role: 'community_admin', communityId }),
    )
  }

  /** The admin of `groupId`, or of a group of the community made for the walk. */
  groupAdmin(communityId: string, groupId?: string): Promise<TokenHolder> {
    return this.once(`group ${groupId ?? communityId}`, async () =>
      createToken({ role: 'group_admin', groupId: groupId ?? (await createGroup(communityId)).id }),
    )
  }
}
