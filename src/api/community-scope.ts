import type { Context } from 'hono'
import type { Community } from '../db/schema'
import type { AppEnv } from '../env'
import { assertCan, type Action } from '../services/access'
import { getCommunityOrThrow } from '../services/communities'

/**
 * The community a request under `/communities/{id}` is about, once the caller may do `action`
 * there. Every route nested under a community starts here, so none answers an empty list for a
 * community that is not there.
 *
 * Access is decided first, from the id alone: a token scoped to another community gets 403
 * whether or not the id exists, and so learns nothing about other communities. Only a caller
 * who may act there (in practice an owner: scoped tokens go with their community) is told that
 * it does not exist (404).
 */
export async function communityFor(
  c: Context<AppEnv>,
  id: string,
  action: Action,
): Promise<Community> {
  assertCan(c.var.principal, action, { communityId: id })
  return getCommunityOrThrow(c.var.db, id)
}
