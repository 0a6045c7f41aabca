import { and, asc, eq, gt, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { SelectedFields } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import { apiTokens, communities, sessions } from '../db/schema'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import type { Principal } from './access'
import { pendingCountQuery, pendingCountsOf, pendingCountsQuery } from './join-requests'
import { stillHeldByAdmins } from './held-by'
import { BOOTSTRAP_OWNER, principalOf } from './tokens'

export const SESSION_HOURS = 8
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

/**
 * Who a session belongs to: a stored token, or the bootstrap owner under a fingerprint of the
 * current `ADMIN_TOKEN`.
 */
export type SessionOwner = { tokenId: string } | { bootstrapKey: string }

/**
 * Starts a session and returns its id, for the cookie only: the database keeps its hash.
 * `link` names who made the sign-in link it started from, when that was someone else, and who
 * could be behind it (`Principal.linkMadeBy`, `alsoHeldBy`).
 */
export async function startSession(
  db: Database,
  owner: SessionOwner,
  now: Date,
  link: Pick<Principal, 'linkMadeBy' | 'alsoHeldBy'> = {},
): Promise<string> {
  const id = randomBase64Url(32)
  await db.insert(sessions).values({
    idHash: await sha256Hex(id),
    tokenId: 'tokenId' in owner ? owner.tokenId : null,
    bootstrapKey: 'bootstrapKey' in owner ? owner.bootstrapKey : null,
    linkMadeBy: link.linkMadeBy ?? null,
    alsoHeldBy: link.alsoHeldBy?.length ? link.alsoHeldBy : null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000),
  })
  return id
}

/** A live session: who it is, and the pending requests of the communities it looks after. */
export interface LiveSession {
  principal: Principal
  /**
   * Pending requests by community: of the first 100 communities the session's token sees (the
   * header sums them). Every community asked about has a row; which of them the principal may
   * read is for the caller to decide.
   */
  pending: Map<string, number>
  /**
   * The pending requests of `viewed` alone (its approvals tab shows them), kept apart: a
   * community past those 100 would change the header's sum on its own pages only.
   */
  viewedPending: Map<string, number>
}

/**
 * The principal of a live session (not signed out, not expired, its token not revoked, and for
 * the bootstrap owner started under the current `ADMIN_TOKEN`: `bootstrapKey`, null when unset),
 * with the pending requests every dashboard page shows in its header: one round trip.
 */
export async function findSession(
  db: Database,
  sessionId: string,
  bootstrapKey: string | null,
  now: Date,
  viewed?: string,
): Promise<LiveSession | null> {
  if (!SESSION_ID.test(sessionId)) return null
  const live = and(eq(sessions.idHash, await sha256Hex(sessionId)), gt(sessions.expiresAt, now))
  const sessionToken = <T extends SelectedFields>(fields: T) =>
    db
      .select(fields)
      .from(sessions)
      .leftJoin(apiTokens, and(eq(apiTokens.id, sessions.tokenId), isNull(apiTokens.revokedAt)))
  // The communities the session's token sees, as `listCommunities` lists them: an owner's first
  // 100 (an id range from '' for owners, from null, so none, for everyone else), or the token's.
  const ownerFrom = sessionToken({ from: sql`''` }).where(
    and(live, or(isNull(sessions.tokenId), eq(apiTokens.role, 'owner'))),
  )
  const ownerSees = db
    .select({ id: communities.id })
    .from(communities)
    .where(gte(communities.id, sql`(${ownerFrom})`))
    .orderBy(asc(communities.id))
    .limit(100)
  const [[row], ownerCounts, tokenCounts, viewedCounts] = await db.batch([
    // A session someone else could have opened ends once one of them could not open it now.
    // The session's own columns by name: in a batch D1 answers rows as objects, so a column
    // name both tables have (`created_at`) would be one key, and every column after it shifted.
    sessionToken({
      session: {
        bootstrapKey: sessions.bootstrapKey,
        linkMadeBy: sessions.linkMadeBy,
        alsoHeldBy: sessions.alsoHeldBy,
      },
      token: apiTokens,
    })
      .where(and(live, stillHeldByAdmins(sessions.alsoHeldBy, apiTokens.communityId)))
      .limit(1),
    pendingCountsQuery(db, inArray(communities.id, ownerSees)),
    pendingCountsQuery(
      db,
      inArray(communities.id, sessionToken({ id: apiTokens.communityId }).where(live)),
    ),
    pendingCountQuery(db, viewed ?? ''),
  ])
  if (!row) return null
  const pending = pendingCountsOf([...ownerCounts, ...tokenCounts])
  const viewedPending = pendingCountsOf(viewedCounts)
  if (row.token) {
    const principal = {
      ...principalOf(row.token),
      linkMadeBy: row.session.linkMadeBy,
      alsoHeldBy: row.session.alsoHeldBy,
    }
    return { principal, pending, viewedPending }
  }
  const bootstrap = row.session.bootstrapKey !== null && row.session.bootstrapKey === bootstrapKey
  return bootstrap ? { principal: BOOTSTRAP_OWNER, pending, viewedPending } : null
}

/** Signs one session out, on the server: its cookie stops working wherever it was copied to. */
export async function endSession(db: Database, sessionId: string): Promise<void> {
  if (!SESSION_ID.test(sessionId)) return
  await db.delete(sessions).where(eq(sessions.idHash, await sha256Hex(sessionId)))
}

/** "Sign out everywhere": ends every session of the token (or bootstrap secret) behind `owner`. */
export async function endAllSessions(db: Database, owner: SessionOwner, now: Date): Promise<void> {
  if (!('tokenId' in owner)) {
    await db.delete(sessions).where(eq(sessions.bootstrapKey, owner.bootstrapKey))
    return
  }
  // A device behind Cloudflare Access keeps its Access cookie: what it asserts from before now
  // signs this token in no more (`teammatesByEmail`).
  await db.batch([
    db.delete(sessions).where(eq(sessions.tokenId, owner.tokenId)),
    db.update(apiTokens).set({ signedOutAt: now }).where(eq(apiTokens.id, owner.tokenId)),
  ])
}

/** Forgets expired sessions (run by the scheduled job). */
export async function pruneSessions(db: Database, now: Date): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, now))
}
