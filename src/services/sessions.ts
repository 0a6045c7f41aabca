import { and, eq, gt, isNull, lt } from 'drizzle-orm'
import type { Database } from '../db/client'
import { apiTokens, sessions } from '../db/schema'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import type { Principal } from './access'
import { BOOTSTRAP_OWNER, principalOf } from './tokens'

export const SESSION_HOURS = 8
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

/**
 * Who a session belongs to: a stored token, or the bootstrap owner under a fingerprint of the
 * current `ADMIN_TOKEN`.
 */
export type SessionOwner = { tokenId: string } | { bootstrapKey: string }

/** Starts a session and returns its id, for the cookie only: the database keeps its hash. */
export async function startSession(db: Database, owner: SessionOwner, now: Date): Promise<string> {
  const id = randomBase64Url(32)
  await db.insert(sessions).values({
    idHash: await sha256Hex(id),
    tokenId: 'tokenId' in owner ? owner.tokenId : null,
    bootstrapKey: 'bootstrapKey' in owner ? owner.bootstrapKey : null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000),
  })
  return id
}

/**
 * The principal of a live session: not signed out, not expired, its token not revoked, and for
 * the bootstrap owner started under the current `ADMIN_TOKEN` (`bootstrapKey`, null when unset).
 * One query.
 */
export async function findSessionPrincipal(
  db: Database,
  sessionId: string,
  bootstrapKey: string | null,
  now: Date,
): Promise<Principal | null> {
  if (!SESSION_ID.test(sessionId)) return null
  const [row] = await db
    .select({ session: sessions, token: apiTokens })
    .from(sessions)
    .leftJoin(apiTokens, and(eq(apiTokens.id, sessions.tokenId), isNull(apiTokens.revokedAt)))
    .where(and(eq(sessions.idHash, await sha256Hex(sessionId)), gt(sessions.expiresAt, now)))
    .limit(1)
  if (!row) return null
  if (row.token) return principalOf(row.token)
  const bootstrap = row.session.bootstrapKey !== null && row.session.bootstrapKey === bootstrapKey
  return bootstrap ? BOOTSTRAP_OWNER : null
}

/** Signs one session out, on the server: its cookie stops working wherever it was copied to. */
export async function endSession(db: Database, sessionId: string): Promise<void> {
  if (!SESSION_ID.test(sessionId)) return
  await db.delete(sessions).where(eq(sessions.idHash, await sha256Hex(sessionId)))
}

/** "Sign out everywhere": ends every session of the token (or bootstrap secret) behind `owner`. */
export async function endAllSessions(db: Database, owner: SessionOwner): Promise<void> {
  await db
    .delete(sessions)
    .where(
      'tokenId' in owner
        ? eq(sessions.tokenId, owner.tokenId)
        : eq(sessions.bootstrapKey, owner.bootstrapKey),
    )
}

/** Forgets expired sessions (run by the scheduled job). */
export async function pruneSessions(db: Database, now: Date): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, now))
}
