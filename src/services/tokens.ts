import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm'
import { unsubscribeEndpointsOf } from './webhooks'
import type { Database } from '../db/client'
import { apiTokens, groups, sessions, type ApiToken, type TokenRole } from '../db/schema'
import { constantTimeEqual, randomBase64Url, sha256Hex } from '../lib/crypto'
import { ApiError, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'
import type { Principal } from './access'
import { getCommunityOrThrow } from './communities'
import { getGroupOrThrow } from './groups'

const TOKEN_PREFIX = 'cg_'

export interface CreateTokenInput {
  name: string
  role: TokenRole
  communityId?: string
  groupId?: string
}

/**
 * Resolves a bearer token to who is calling. The bootstrap token is compared in constant time;
 * stored tokens are looked up by their SHA-256, so the secret itself never reaches the database
 * and a lookup reveals nothing about near misses.
 */
export async function findPrincipalByToken(
  db: Database,
  token: string,
  bootstrapToken: string | undefined,
): Promise<Principal | null> {
  if (bootstrapToken && (await constantTimeEqual(token, bootstrapToken))) {
    return BOOTSTRAP_OWNER
  }
  if (!token.startsWith(TOKEN_PREFIX)) return null
  const tokenHash = await sha256Hex(token)
  const row = await db.query.apiTokens.findFirst({
    where: and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)),
  })
  if (!row || !(await constantTimeEqual(row.tokenHash, tokenHash))) return null
  return principalOf(row)
}

export const BOOTSTRAP_OWNER: Principal = {
  tokenId: null,
  name: 'bootstrap owner',
  role: 'owner',
  communityId: null,
  groupId: null,
}

export function principalOf(row: ApiToken): Principal {
  return {
    tokenId: row.id,
    name: row.name,
    role: row.role,
    communityId: row.communityId,
    groupId: row.groupId,
  }
}

/** Creates a token and returns its secret once; only the hash is kept. */
export async function createToken(
  db: Database,
  input: CreateTokenInput,
  creator: Principal,
  now: Date,
): Promise<{ token: string; record: ApiToken }> {
  const scope = await resolveScope(db, input)
  const token = TOKEN_PREFIX + randomBase64Url(32)
  const record: ApiToken = {
    id: newId('tok', now.getTime()),
    name: input.name,
    role: input.role,
    ...scope,
    tokenHash: await sha256Hex(token),
    tokenPrefix: token.slice(0, 10),
    createdAt: now,
    revokedAt: null,
    lastUsedAt: null,
    email: null,
    createdByTokenId: creator.tokenId,
    invitedByTokenId: null,
    signedOutAt: null,
    emailSetBy: null,
    emailAlsoHeldBy: null,
  }
  if (creator.tokenId === null) {
    await db.insert(apiTokens).values(record)
    return { token, record }
  }
  // Written only while its maker may still make it, checked in the same statement: a maker
  // revoked or demoted between the access check and this write would otherwise leave a token
  // behind that their revocation did not find (`revokeToken`).
  const makerMayStill = sql`exists (select 1 from ${apiTokens} where ${apiTokens.id} = ${creator.tokenId}
    and ${apiTokens.revokedAt} is null
    and (${apiTokens.role} = 'owner'
      or (${apiTokens.role} = 'community_admin' and ${apiTokens.communityId} = ${record.communityId})))`
  const written = await db.run(sql`insert into ${apiTokens} (id, name, role, community_id, group_id,
      token_hash, token_prefix, created_at, revoked_at, last_used_at, email, created_by_token_id,
      signed_out_at)
    select ${record.id}, ${record.name}, ${record.role}, ${record.communityId}, ${record.groupId},
      ${record.tokenHash}, ${record.tokenPrefix}, ${now.getTime()}, null, null, null,
      ${creator.tokenId}, null
    where ${makerMayStill}`)
  if (written.meta.changes === 0) {
    throw new ApiError('unauthorized', 'This token was revoked or lost its role meanwhile.')
  }
  return { token, record }
}

/** A token's scope follows from its role: owners have none, the others name what they manage. */
async function resolveScope(
  db: Database,
  input: CreateTokenInput,
): Promise<{ communityId: string | null; groupId: string | null }> {
  switch (input.role) {
    case 'owner':
      if (input.communityId || input.groupId) {
        throw new ApiError('validation_failed', 'An owner token is not scoped.', {
          errors: [{ path: 'communityId', message: 'Not allowed for role owner' }],
        })
      }
      return { communityId: null, groupId: null }
    case 'community_admin': {
      if (!input.communityId || input.groupId) {
        throw new ApiError('validation_failed', 'A community admin token names one community.', {
          errors: [{ path: 'communityId', message: 'Required for role community_admin' }],
        })
      }
      const community = await getCommunityOrThrow(db, input.communityId)
      return { communityId: community.id, groupId: null }
    }
    case 'group_admin': {
      if (!input.groupId) {
        throw new ApiError('validation_failed', 'A group admin token names one group.', {
          errors: [{ path: 'groupId', message: 'Required for role group_admin' }],
        })
      }
      const group = await getGroupOrThrow(db, input.groupId)
      if (input.communityId && input.communityId !== group.communityId) {
        throw new ApiError('validation_failed', 'That group belongs to another community.', {
          errors: [{ path: 'communityId', message: 'Does not match the group’s community' }],
        })
      }
      return { communityId: group.communityId, groupId: group.id }
    }
  }
}

/** Live tokens, all of them or those scoped to one community. */
export async function listTokens(
  db: Database,
  options: { communityId?: string; cursor?: string; limit: number },
): Promise<Page<ApiToken>> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(
      and(
        isNull(apiTokens.revokedAt),
        options.communityId ? eq(apiTokens.communityId, options.communityId) : undefined,
        options.cursor ? gt(apiTokens.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(apiTokens.id))
    .limit(options.limit + 1)
  return toPage(rows, options.limit)
}

export async function getTokenOrThrow(db: Database, tokenId: string): Promise<ApiToken> {
  const token = await db.query.apiTokens.findFirst({
    where: and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)),
  })
  if (!token) throw notFound('Token')
  return token
}

/**
 * Revoking keeps the row (who had access, and when) but the token stops working at once, and
 * every dashboard session signed in with it ends in the same batch. The tokens it made go with it
 * (`madeBy`), unless it is an owner's: what an admin made is theirs, and an admin removed for
 * cause keeps no way back in through a token they made before. An owner's tokens are the
 * installation's, and survive the owner's token being replaced.
 */
export async function revokeToken(db: Database, tokenId: string, now: Date): Promise<void> {
  const revoked = and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt))
  const notAnOwners = sql`not exists (select 1 from ${apiTokens} where ${apiTokens.id} = ${tokenId} and ${apiTokens.role} = 'owner')`
  await db.batch([
    ...revokeMadeBy(db, tokenId, now, notAnOwners),
    db.update(apiTokens).set({ revokedAt: now }).where(revoked),
    db.delete(sessions).where(eq(sessions.tokenId, tokenId)),
  ])
}

/**
 * The tokens `tokenId` made through the API, and those they made, and so on: a query of their ids.
 * Made by an admin, they are admin tokens of the same community, so the chain stays short.
 */
function madeBy(tokenId: string) {
  return sql`(with recursive made(id) as (
      select ${apiTokens.id} from ${apiTokens} where ${apiTokens.createdByTokenId} = ${tokenId}
      union
      select t.id from ${apiTokens} t join made on t.created_by_token_id = made.id
    ) select id from made)`
}

/**
 * Revokes the live tokens `tokenId` made (`madeBy`) where `condition` holds, ends their sessions,
 * and unsubscribes the endpoints `tokenId` and they subscribed (only a teammate's are recorded:
 * an owner's serve the installation). What `tokenId` could use to act as a teammate stops at its
 * next use (`services/held-by.ts`); the Access addresses it gave its community's teammates are
 * removed here as well, so the team page shows none that signs nobody in.
 */
function revokeMadeBy(db: Database, tokenId: string, now: Date, condition: SQL) {
  const themAndMade = sql`(select ${tokenId} union select id from ${madeBy(tokenId)})`
  const itsCommunity = sql`(select ${apiTokens.communityId} from ${apiTokens} where ${apiTokens.id} = ${tokenId})`
  return [
    // An owner's tokens, and what they subscribed, stay (see `revokeToken`).
    ...unsubscribeEndpointsOf(db, themAndMade, itsCommunity, now, condition),
    db
      .update(apiTokens)
      .set({ email: null, emailSetBy: null, emailAlsoHeldBy: null })
      .where(
        and(
          eq(apiTokens.communityId, itsCommunity),
          sql`exists (select 1 from json_each(${apiTokens.emailAlsoHeldBy}) where value in ${themAndMade})`,
          condition,
        ),
      ),
    db
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(inArray(apiTokens.id, madeBy(tokenId)), isNull(apiTokens.revokedAt), condition)),
    db.delete(sessions).where(and(inArray(sessions.tokenId, madeBy(tokenId)), condition)),
  ] as const
}

/** Everyone who administers a community: its community admins and the admins of its groups. */
/** A community's live tokens, oldest first: a query, to await or to run in a batch. */
export function listCommunityAdmins(db: Database, communityId: string) {
  return db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.communityId, communityId), isNull(apiTokens.revokedAt)))
    .orderBy(asc(apiTokens.id))
}

/** A live token of this community (a community or group admin); 404 naming `what` otherwise. */
export async function getTeammateOrThrow(
  db: Database,
  communityId: string,
  tokenId: string,
  what: 'Teammate' | 'Admin' = 'Teammate',
): Promise<ApiToken> {
  const token = await db.query.apiTokens.findFirst({
    where: and(
      eq(apiTokens.id, tokenId),
      eq(apiTokens.communityId, communityId),
      isNull(apiTokens.revokedAt),
    ),
  })
  if (!token) throw notFound(what)
  return token
}

/**
 * Makes a group admin a community admin. Admins of an added group stay group admins until this
 * is done explicitly. Their group is remembered so that a demotion can return them to it.
 */
export async function promoteToCommunityAdmin(
  db: Database,
  communityId: string,
  tokenId: string,
): Promise<ApiToken> {
  const token = await getTeammateOrThrow(db, communityId, tokenId, 'Admin')
  if (token.role === 'community_admin') return token
  const [promoted] = await db
    .update(apiTokens)
    .set({ role: 'community_admin' })
    .where(eq(apiTokens.id, token.id))
    .returning()
  return promoted!
}

/** Makes a community admin a group admin again, of their former group or of `groupId`. */
export async function demoteToGroupAdmin(
  db: Database,
  communityId: string,
  tokenId: string,
  groupId: string | undefined,
): Promise<ApiToken> {
  const token = await getTeammateOrThrow(db, communityId, tokenId, 'Admin')
  const targetGroupId = groupId ?? token.groupId
  if (!targetGroupId) {
    throw new ApiError(
      'invalid_role_change',
      'This admin has no group to return to; name one with groupId.',
    )
  }
  const group = await db.query.groups.findFirst({
    where: and(eq(groups.id, targetGroupId), eq(groups.communityId, communityId)),
  })
  if (!group) throw notFound('Group')
  if (token.role === 'group_admin' && token.groupId === group.id) return token
  // A group admin makes no tokens: those made as a community admin go (`revokeToken`).
  const [[demoted]] = await db.batch([
    db
      .update(apiTokens)
      .set({ role: 'group_admin', groupId: group.id })
      .where(eq(apiTokens.id, token.id))
      .returning(),
    ...revokeMadeBy(db, token.id, new Date(), sql`1`),
  ])
  return demoted!
}
