import { and, gt, isNull, sql } from 'drizzle-orm'
import { apiTokens, teamInvitations } from '../db/schema'
import { stillHeldByAdmins } from './held-by'

/**
 * Whether the token that made an invitation may still manage its community's team (`team.manage`:
 * an owner, or an admin of that community), and so may everyone who could have been behind the
 * session it was made in (`alsoHeldBy`): an admin removed or demoted keeps no way back in through
 * the links they made, or made as someone else. The bootstrap owner's links (no token) always may.
 */
const inviterMayManageTeam = and(
  sql`(${teamInvitations.invitedByTokenId} is null or exists (select 1 from ${apiTokens} where ${apiTokens.id} = ${teamInvitations.invitedByTokenId} and ${apiTokens.revokedAt} is null and (${apiTokens.role} = 'owner' or (${apiTokens.role} = 'community_admin' and ${apiTokens.communityId} = ${teamInvitations.communityId}))))`,
  stillHeldByAdmins(teamInvitations.alsoHeldBy, teamInvitations.communityId),
)!

/**
 * Whether an invitation can still be accepted. Read with `select()`, never `db.query`: the
 * relational builder names every column of `inviterMayManageTeam` after its own table's alias.
 */
export function openInvitation(now: Date) {
  return and(
    isNull(teamInvitations.acceptedAt),
    isNull(teamInvitations.revokedAt),
    gt(teamInvitations.expiresAt, now),
    inviterMayManageTeam,
  )
}
