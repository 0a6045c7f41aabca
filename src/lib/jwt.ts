import { decodeBase64Url } from 'hono/utils/encode'
import { z } from 'zod'

/**
 * Verifying the JSON Web Tokens Cloudflare Access puts in front of every request it lets
 * through (RFC 7519, signed per RFC 7515 with RS256 only). Nothing in a token is believed until
 * its signature checks out against a key the caller found by the token's `kid`.
 */

const B64URL = /^[A-Za-z0-9_-]+$/
// Access tokens are a few kilobytes; anything far larger is not one.
const MAX_TOKEN_LENGTH = 16_384
const MIN_MODULUS_BYTES = 256

/** One RSA signing key as a JWKS lists it; keys of other kinds are skipped, not refused. */
const JwkSchema = z.looseObject({
  kid: z.string().min(1).max(256),
  kty: z.string(),
  alg: z.string().optional(),
  use: z.string().optional(),
  n: z.string().regex(B64URL).optional(),
  e: z.string().regex(B64URL).optional(),
})

/**
 * The team's certs document as Cloudflare Access serves it: `keys` (the JWKS), and the same keys
 * as X.509 certificates in `public_cert` / `public_certs`, which are not needed here.
 */
export const JwksSchema = z.looseObject({
  keys: z.array(z.unknown()).max(50),
})

/** The RSA keys of a certs document, by `kid`, ready for WebCrypto. */
export async function importJwks(document: z.infer<typeof JwksSchema>) {
  const keys = new Map<string, CryptoKey>()
  for (const entry of document.keys) {
    const jwk = JwkSchema.safeParse(entry)
    if (!jwk.success) continue
    const { kid, kty, alg, use, n, e } = jwk.data
    if (kty !== 'RSA' || !n || !e || (alg && alg !== 'RS256') || (use && use !== 'sig')) continue
    // Cloudflare's keys are 2048-bit; a shorter modulus is not one of theirs, and forgeable.
    if (Math.floor((n.length * 3) / 4) < MIN_MODULUS_BYTES) continue
    try {
      const key = await crypto.subtle.importKey(
        'jwk',
        { kty: 'RSA', n, e, alg: 'RS256', ext: true },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['verify'],
      )
      keys.set(kid, key)
    } catch {
      // A key WebCrypto cannot use verifies nothing: the tokens it signed are refused.
    }
  }
  return keys
}

const HeaderSchema = z.object({
  alg: z.literal('RS256'),
  kid: z.string().min(1).max(256),
})

const ClaimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string()).max(20)]),
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
  email: z.string().min(3).max(254),
})

export type JwtClaims = z.infer<typeof ClaimsSchema>

/** Why a token was refused: fixed phrases for the log, never the token's own words. */
export type JwtRefusal =
  | 'malformed'
  | 'algorithm not allowed'
  | 'unknown key'
  | 'bad signature'
  | 'wrong issuer'
  | 'wrong audience'
  | 'expired'
  | 'not yet valid'
  | 'no e-mail'

export type JwtCheck = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtRefusal }

export interface JwtExpectations {
  issuer: string
  audience: string
  now: Date
  /** Seconds of clock difference forgiven on `exp`, `nbf` and `iat`. */
  skewSeconds: number
  /** The verification key named by `kid`, or null when the issuer has no such key. */
  keyFor: (kid: string) => Promise<CryptoKey | null>
}

/** A base64url part as bytes (hono's decoder; padding is optional, as JWTs leave it off). */
function bytesOf(part: string): Uint8Array<ArrayBuffer> {
  return decodeBase64Url(part) as Uint8Array<ArrayBuffer>
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytesOf(part)))
  } catch {
    return undefined
  }
}

/**
 * Verifies a compact JWS: RS256 only (so neither `none` nor an HMAC keyed with the public key
 * can pass), the signature against the key its `kid` names, then the issuer, the audience, the
 * time window and an e-mail claim.
 */
export async function verifyJwt(token: string, expect: JwtExpectations): Promise<JwtCheck> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((part) => B64URL.test(part))) {
    return { ok: false, reason: 'malformed' }
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  const rawHeader = decodeJson(headerPart)
  if (typeof rawHeader !== 'object' || rawHeader === null) return { ok: false, reason: 'malformed' }
  const header = HeaderSchema.safeParse(rawHeader)
  if (!header.success) {
    return { ok: false, reason: 'alg' in rawHeader ? 'algorithm not allowed' : 'malformed' }
  }
  const key = await expect.keyFor(header.data.kid)
  if (!key) return { ok: false, reason: 'unknown key' }
  let signature: Uint8Array<ArrayBuffer>
  try {
    signature = bytesOf(signaturePart)
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`)
  const valid = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, signed)
  if (!valid) return { ok: false, reason: 'bad signature' }
  const claims = ClaimsSchema.safeParse(decodeJson(payloadPart))
  if (!claims.success) {
    const email = (decodeJson(payloadPart) as { email?: unknown } | undefined)?.email
    return { ok: false, reason: email === undefined ? 'no e-mail' : 'malformed' }
  }
  const { iss, aud, exp, nbf, iat } = claims.data
  if (iss !== expect.issuer) return { ok: false, reason: 'wrong issuer' }
  if (![aud].flat().includes(expect.audience)) return { ok: false, reason: 'wrong audience' }
  const now = expect.now.getTime() / 1000
  if (exp <= now - expect.skewSeconds) return { ok: false, reason: 'expired' }
  for (const moment of [nbf, iat]) {
    if (moment !== undefined && moment > now + expect.skewSeconds) {
      return { ok: false, reason: 'not yet valid' }
    }
  }
  return { ok: true, claims: claims.data }
}
