import { sql, type SQLWrapper } from 'drizzle-orm'
import { apiTokens } from '../db/schema'

/**
 * Who else could act as a teammate. A sign-in link is a bearer secret its maker holds as much as
 * the teammate; an Access address is controlled by whoever chose it; and whatever is made in a
 * session that someone else could have opened, they could have made too. So sessions, sign-in
 * links and addresses keep the admins' tokens whose holders could be behind them (`alsoHeldBy`),
 * passed on from each to what it makes, and each works only while every one of those admins could
 * still make it (`stillHeldByAdmins`): revoking or demoting one ends, at its next use, everything
 * they could use to act as someone else, however long the chain. Owners' tokens serve the
 * installation and are trusted whatever becomes of them, as the tokens owners make are.
 */

/**
 * `held` with `by` added, each once, leaving out `teammate` (nobody else is theirs to count):
 * what a link or an address made by `by` in a session held by `held` is held by. Null for none.
 */
export function alsoHeldBy(
  held: readonly string[] | null | undefined,
  by: string | null | undefined,
  teammate: string,
): string[] | null {
  const all = new Set([...(held ?? []), ...(by ? [by] : [])])
  all.delete(teammate)
  return all.size > 0 ? [...all] : null
}

/**
 * Whether every token in `column` (a JSON array of token ids, or null) could still make what it
 * holds in `communityId`: an owner's, or a live admin's of that community. Each id is one lookup
 * by primary key; the arrays hold a few ids at most.
 */
export function stillHeldByAdmins(column: SQLWrapper, communityId: SQLWrapper) {
  return sql`not exists (select 1 from json_each(coalesce(${column}, '[]'))
    where not exists (select 1 from ${apiTokens} as holder where holder.id = json_each.value
      and (holder.role = 'owner'
        or (holder.role = 'community_admin' and holder.revoked_at is null
          and holder.community_id = ${communityId}))))`
}
