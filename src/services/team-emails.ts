import { and, eq, isNull, sql, type SQLWrapper } from 'drizzle-orm'
import type { Database } from '../db/client'
import { apiTokens, teamInvitations, type ApiToken } from '../db/schema'
import { ApiError, notFound } from '../lib/errors'
import type { Principal } from './access'
import { actorName } from './audit'
import { alsoHeldBy, stillHeldByAdmins } from './held-by'
import { openInvitation } from './invitation-open'

/**
 * The addresses teammates sign in with through Cloudflare Access: one per address and community,
 * across live tokens and invitations that can still be accepted.
 */

/** A live token of `communityId` carrying `email`: one per address and community. */
export function emailTaken(
  communityId: string | SQLWrapper,
  email: string | SQLWrapper,
  exceptTokenId?: string,
) {
  return sql`exists (select 1 from ${apiTokens} where ${apiTokens.communityId} = ${communityId} and ${apiTokens.email} = ${email} and ${apiTokens.revokedAt} is null${exceptTokenId ? sql` and ${apiTokens.id} <> ${exceptTokenId}` : sql``})`
}

/**
 * An invitation of `communityId` that can still be accepted, carrying `email` (the token its
 * acceptance makes would carry it): an address given elsewhere meanwhile would leave it
 * unacceptable. One that cannot be accepted any more (its inviter gone) holds nothing.
 */
export function emailInvited(communityId: string, email: string, now: Date) {
  return sql`exists (select 1 from ${teamInvitations} where ${teamInvitations.communityId} = ${communityId} and ${teamInvitations.email} = ${email} and ${openInvitation(now)})`
}

export function emailTakenError(): ApiError {
  return new ApiError(
    'validation_failed',
    'Another teammate of this community, or an invitation not yet accepted, has this address.',
    {
      errors: [
        {
          path: 'email',
          message: 'Already on another teammate of this community, or on an open invitation',
        },
      ],
    },
  )
}

/**
 * Gives a teammate's token the address Cloudflare Access signs them in with (null: none). One
 * statement, so two teammates cannot be given one address of a community at the same moment, and
 * none is given by an admin whose access ended since the request was let in. Whoever controls the
 * address signs in as the teammate, so one given by anyone else names them
 * (`apiTokens.emailSetBy`, as a sign-in link's maker is named) and is held by them
 * (`emailAlsoHeldBy`): it signs nobody in once one of them could not give it any more.
 */
export async function setTeammateEmail(
  db: Database,
  token: ApiToken,
  email: string | null,
  actor: Principal,
  now: Date,
): Promise<ApiToken> {
  if (token.role === 'owner' || !token.communityId) {
    throw new ApiError('validation_failed', 'Owners sign in with their token.', {
      errors: [{ path: 'email', message: 'Only a teammate of a community signs in by address' }],
    })
  }
  const given = email === null ? { emailSetBy: null, emailAlsoHeldBy: null } : givenBy(token, actor)
  const [updated] = await db
    .update(apiTokens)
    .set({ email, ...given })
    .where(
      and(
        eq(apiTokens.id, token.id),
        isNull(apiTokens.revokedAt),
        actorMayStill(actor, token.communityId),
        email === null
          ? undefined
          : sql`not ${emailTaken(token.communityId, email, token.id)} and not ${emailInvited(token.communityId, email, now)}`,
      ),
    )
    .returning()
  if (updated) return updated
  if (email !== null && (await actorStillMay(db, actor, token.communityId))) {
    throw emailTakenError()
  }
  throw notFound('Token')
}

/**
 * Who, besides the teammate, could control an address `actor` gives `token`: by name, the actor
 * when that is someone else (the teammate's own names nobody, as the page shows it); by token,
 * the actor and everyone who could have been behind the actor's session, the teammate's own
 * included, so an address given in a session someone else could have opened ends with them.
 */
function givenBy(
  token: ApiToken,
  actor: Principal,
): { emailSetBy: string | null; emailAlsoHeldBy: string[] | null } {
  return {
    emailSetBy: actor.tokenId === token.id ? null : actorName(actor),
    emailAlsoHeldBy: alsoHeldBy(actor.alsoHeldBy, actor.tokenId, token.id),
  }
}

/**
 * Whether `actor` may still manage the team of `communityId` (an owner, or a live admin of it),
 * and so may everyone who could be behind its session: checked in the write itself.
 */
function actorMayStill(actor: Principal, communityId: string) {
  const held = sql`${JSON.stringify(actor.alsoHeldBy ?? [])}`
  if (actor.tokenId === null) return stillHeldByAdmins(held, sql`${communityId}`)
  return and(
    sql`exists (select 1 from ${apiTokens} as actor where actor.id = ${actor.tokenId} and actor.revoked_at is null and (actor.role = 'owner' or (actor.role = 'community_admin' and actor.community_id = ${communityId})))`,
    stillHeldByAdmins(held, sql`${communityId}`),
  )
}

/** `actorMayStill`, read: why a write it guarded changed nothing. */
async function actorStillMay(db: Database, actor: Principal, communityId: string) {
  const [row] = await db
    .select({ may: sql<number>`1` })
    .from(sql`(select 1)`)
    .where(actorMayStill(actor, communityId))
  return row !== undefined
}
