import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Database } from '../db/client'
import { apiTokens, communities, type ApiToken } from '../db/schema'
import type { AccessConfig } from '../lib/config'
import { importJwks, JwksSchema, verifyJwt, type JwtRefusal } from '../lib/jwt'
import { logError } from '../lib/log'
import { stillHeldByAdmins } from './held-by'
import { fetchOutbound } from '../lib/outbound'

/**
 * Signing in through Cloudflare Access: the identity Access asserts (a JWT signed with the
 * team's keys) is believed only once its signature, issuer, audience and time check out, and it
 * opens nothing but the tokens that carry the asserted e-mail address.
 */

/** Keys are read again after this long, so a rotation at Cloudflare reaches every isolate. */
const CERTS_TTL_MS = 5 * 60_000
/** Seconds of clock difference between Cloudflare and this Worker that are forgiven. */
const CLOCK_SKEW_SECONDS = 60
/** Unknown `kid`s that may each cause one early read of the keys, per cache period. */
const MAX_EARLY_REFETCHES = 10

interface CachedKeys {
  keys: Map<string, CryptoKey>
  fetchedAt: number
  /** The unknown `kid`s that already caused a read: each one causes at most one. */
  refetchedFor: Set<string>
}

const certsCache = new Map<string, CachedKeys>()

async function fetchKeys(access: AccessConfig): Promise<Map<string, CryptoKey> | null> {
  const result = await fetchOutbound(
    access.certsUrl,
    { headers: { accept: 'application/json' } },
    { timeoutMs: 10_000, allowLoopbackHttp: access.allowLoopbackHttp },
  )
  if (!result.ok || !result.response.ok) {
    logError({
      access: 'certs unavailable',
      reason: result.ok ? result.response.status : result.reason,
    })
    if (result.ok) await result.response.body?.cancel()
    return null
  }
  const document = JwksSchema.safeParse(await result.response.json().catch(() => null))
  if (!document.success) {
    logError({ access: 'certs unreadable' })
    return null
  }
  return importJwks(document.data)
}

/**
 * The team's key named `kid`: from this isolate's copy while it is fresh, read again once when
 * it is stale or when the `kid` is new to it (Cloudflare rotates keys and publishes the next one
 * before signing with it).
 */
async function keyFor(access: AccessConfig, kid: string, now: Date): Promise<CryptoKey | null> {
  const cached = certsCache.get(access.certsUrl)
  const fresh = cached && now.getTime() - cached.fetchedAt < CERTS_TTL_MS
  if (fresh && cached.keys.has(kid)) return cached.keys.get(kid)!
  if (fresh && (cached.refetchedFor.has(kid) || cached.refetchedFor.size >= MAX_EARLY_REFETCHES)) {
    return null
  }
  const keys = await fetchKeys(access)
  if (!keys) return fresh ? (cached.keys.get(kid) ?? null) : null
  const refetchedFor = fresh ? cached.refetchedFor : new Set<string>()
  if (!keys.has(kid)) refetchedFor.add(kid)
  certsCache.set(access.certsUrl, {
    keys,
    fetchedAt: fresh ? cached.fetchedAt : now.getTime(),
    refetchedFor,
  })
  return keys.get(kid) ?? null
}

export type AccessIdentity =
  { ok: true; email: string; issuedAt: Date } | { ok: false; reason: JwtRefusal }

/**
 * The e-mail address an Access assertion vouches for, lower-cased, once it checks out, and when
 * Access issued it (`iat`; the epoch where it says nothing, which no sign-out is before).
 */
export async function verifyAccessAssertion(
  access: AccessConfig,
  assertion: string,
  now: Date,
): Promise<AccessIdentity> {
  const check = await verifyJwt(assertion, {
    issuer: access.teamDomain,
    audience: access.audience,
    now,
    skewSeconds: CLOCK_SKEW_SECONDS,
    keyFor: (kid) => keyFor(access, kid, now),
  })
  if (!check.ok) return check
  const email = check.claims.email.trim().toLowerCase()
  return { ok: true, email, issuedAt: new Date((check.claims.iat ?? 0) * 1000) }
}

/** A teammate's token with the name of its community, as the chooser lists it. */
export interface TeammateAccess {
  token: ApiToken
  communityName: string
}

/**
 * The live tokens carrying `email`, at most one per community (the schema keeps it so), by
 * community name; bounded, as nobody chooses among more than a page of communities. An address
 * given by an admin who could not give it any more (revoked, demoted) signs nobody in.
 */
export async function teammatesByEmail(db: Database, email: string): Promise<TeammateAccess[]> {
  const rows = await db
    .select({ token: apiTokens, communityName: communities.name })
    .from(apiTokens)
    .innerJoin(communities, eq(communities.id, apiTokens.communityId))
    .where(
      and(
        eq(apiTokens.email, email),
        isNull(apiTokens.revokedAt),
        stillHeldByAdmins(apiTokens.emailAlsoHeldBy, apiTokens.communityId),
      ),
    )
    .orderBy(asc(communities.name), asc(apiTokens.id))
    .limit(100)
  return rows
}

/**
 * Whether an assertion issued at `issuedAt` may still sign `token` in: not when its teammate
 * signed out everywhere since (`api_tokens.signed_out_at`), or the device that signed out would
 * be signed straight back in by the Access cookie it keeps.
 */
export function assertionStillSignsIn(token: ApiToken, issuedAt: Date): boolean {
  return token.signedOutAt === null || token.signedOutAt.getTime() <= issuedAt.getTime()
}
