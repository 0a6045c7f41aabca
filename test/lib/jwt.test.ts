import { beforeAll, describe, expect, it } from 'vitest'
import { importJwks, verifyJwt, type JwtExpectations } from '../../src/lib/jwt'
import { certsDocument, generateSigningKey, signJwt, type SigningKey } from '../support/access-jwt'

const ISSUER = 'https://team.cloudflareaccess.com'
const AUDIENCE = 'aud-0123456789abcdef'
const NOW = new Date('2026-12-03T12:00:00Z')
const T = NOW.getTime() / 1000

let key: SigningKey
let expectations: JwtExpectations

beforeAll(async () => {
  key = await generateSigningKey('kid-1')
  const keys = await importJwks(certsDocument([key]))
  expectations = {
    issuer: ISSUER,
    audience: AUDIENCE,
    now: NOW,
    skewSeconds: 60,
    keyFor: async (kid) => keys.get(kid) ?? null,
  }
})

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: [AUDIENCE],
  email: 'ana@example.org',
  exp: T + 600,
  iat: T,
  nbf: T,
  ...overrides,
})

async function reason(overrides: Record<string, unknown>) {
  const check = await verifyJwt(await signJwt(key, claims(overrides)), expectations)
  return check.ok ? 'ok' : check.reason
}

describe('verifying an Access token', () => {
  it('accepts the audience as one string or in a list, within the clock skew', async () => {
    expect(await reason({})).toBe('ok')
    expect(await reason({ aud: AUDIENCE })).toBe('ok')
    expect(await reason({ aud: ['other', AUDIENCE] })).toBe('ok')
    expect(await reason({ exp: T - 30 })).toBe('ok')
    expect(await reason({ nbf: T + 30, iat: T + 30 })).toBe('ok')
  })

  it('refuses past the skew, and what is not exactly the issuer or audience', async () => {
    expect(await reason({ exp: T - 61 })).toBe('expired')
    expect(await reason({ nbf: T + 61 })).toBe('not yet valid')
    expect(await reason({ iat: T + 61 })).toBe('not yet valid')
    expect(await reason({ iss: `${ISSUER}/` })).toBe('wrong issuer')
    expect(await reason({ aud: [AUDIENCE.toUpperCase()] })).toBe('wrong audience')
    expect(await reason({ aud: [] })).toBe('wrong audience')
    expect(await reason({ email: undefined })).toBe('no e-mail')
    expect(await reason({ exp: String(T + 600) })).toBe('malformed')
  })

  it('refuses malformed tokens without throwing', async () => {
    for (const token of [
      '',
      'a.b',
      'a.b.c.d',
      'a!.b.c',
      `${'a'.repeat(20_000)}.b.c`,
      'e30.e30.a',
    ]) {
      const check = await verifyJwt(token, expectations)
      expect(check.ok, token.slice(0, 20)).toBe(false)
    }
  })

  it('uses only RSA signing keys of the document', async () => {
    const other = await generateSigningKey('kid-2')
    const keys = await importJwks({
      keys: [
        { kid: 'ec', kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' },
        { ...other.jwk, kid: 'enc', use: 'enc' },
        { ...other.jwk, kid: 'ps', alg: 'PS256' },
        { kid: 'broken', kty: 'RSA', n: 'AA', e: 'AQAB' },
        'not a key',
        other.jwk,
      ],
    })
    expect([...keys.keys()]).toEqual(['kid-2'])
  })
})
