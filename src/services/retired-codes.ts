import { and, eq, isNull } from 'drizzle-orm'
import type { Database } from '../db/client'
import { communities, inviteCodes, invites } from '../db/schema'

/** Why a code that is no link's current code was issued once: its link has another code now, or its community was deleted. */
export type RetiredCode = 'rotated' | 'deleted'

/** Why a code that is not any link's current code does not work; null for one never issued. */
export async function retiredCode(
  db: Database,
  code: string,
): Promise<{ kind: RetiredCode; communityName: string | null } | null> {
  // The community a replaced code led to, named on its page while its link is in use: whoever
  // scanned an old poster knows whose new link to ask for. A link revoked or archived since
  // (perhaps because the code went where it should not) names nobody.
  const [row] = await db
    .select({ inviteId: inviteCodes.inviteId, communityName: communities.name })
    .from(inviteCodes)
    .leftJoin(
      invites,
      and(
        eq(invites.id, inviteCodes.inviteId),
        isNull(invites.revokedAt),
        isNull(invites.archivedAt),
      ),
    )
    .leftJoin(communities, eq(communities.id, invites.communityId))
    .where(eq(inviteCodes.code, code))
    .limit(1)
  if (!row) return null
  return row.inviteId === null
    ? { kind: 'deleted', communityName: null }
    : { kind: 'rotated', communityName: row.communityName }
}
