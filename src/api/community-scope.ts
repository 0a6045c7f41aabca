import type { Context } from 'hono'
import type { Community } from '../db/schema'
import type { AppEnv } from '../env'
import { assertCan, type Action } from '../services/access'
import { getCommunityOrThrow } from '../services/communities'

/**
 * The community a dashboard page under `/admin/communities/{id}` is about, once the caller may do
 * `action` there (the API's router does the same for every operation declared on a community).
 *
 * Access is decided first, from the id alone: a token scoped to another community gets the same
 * 404 as for an id that does not exist, and so learns nothing about other communities; 403 only
 * when it sees the community but its role may not do `action`.
 */
export async function communityFor(
  c: Context<AppEnv>,
  id: string,
  action: Action,
): Promise<Community> {
  assertCan(c.var.principal, action, { communityId: id }, 'Community')
  return getCommunityOrThrow(c.var.db, id)
}
