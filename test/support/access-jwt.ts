/**
 * Cloudflare Access as the tests play it: RSA signing keys generated with WebCrypto, the team's
 * certs document built from them (the JWKS, and each key in a self-signed X.509 certificate, as
 * Cloudflare serves `/cdn-cgi/access/certs`), and the tokens Access puts in
 * `Cf-Access-Jwt-Assertion`.
 */

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  jwk: JsonWebKey & { kid: string }
  cert: string
}

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

function base64Url(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  return btoa(String.fromCharCode(...data))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

// DER, just enough of it for a self-signed certificate.
function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    body.set(part, offset)
    offset += part.length
  }
  const length =
    body.length < 0x80
      ? [body.length]
      : body.length < 0x100
        ? [0x81, body.length]
        : [0x82, body.length >> 8, body.length & 0xff]
  return new Uint8Array([tag, ...length, ...body])
}
const bytes = (...values: number[]) => new Uint8Array(values)
const text = (value: string) => new TextEncoder().encode(value)
const SHA256_WITH_RSA = der(
  0x30,
  der(0x06, bytes(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b)),
  bytes(0x05, 0x00),
)
const commonName = (name: string) =>
  der(0x30, der(0x31, der(0x30, der(0x06, bytes(0x55, 0x04, 0x03)), der(0x0c, text(name)))))
const utcTime = (at: Date) =>
  der(0x17, text(at.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'))

async function selfSignedCertificate(kid: string, keys: CryptoKeyPair): Promise<string> {
  const spki = new Uint8Array(
    (await crypto.subtle.exportKey('spki', keys.publicKey)) as ArrayBuffer,
  )
  const name = commonName(`${kid}.test-team.cloudflareaccess.com`)
  const now = Date.now()
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, bytes(2))),
    der(0x02, bytes(0x01, ...crypto.getRandomValues(new Uint8Array(8)))),
    SHA256_WITH_RSA,
    name,
    der(0x30, utcTime(new Date(now - 86400_000)), utcTime(new Date(now + 30 * 86400_000))),
    name,
    spki,
  )
  const signature = new Uint8Array(await crypto.subtle.sign(RS256, keys.privateKey, tbs))
  const certificate = der(0x30, tbs, SHA256_WITH_RSA, der(0x03, bytes(0), signature))
  const base64 = btoa(String.fromCharCode(...certificate))
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`
}

/** A new RS256 key pair named `kid`, with its JWK and certificate for the certs document. */
export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const keys = (await crypto.subtle.generateKey(
    { ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const { kty, n, e } = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as JsonWebKey
  return {
    kid,
    privateKey: keys.privateKey,
    jwk: { kid, kty, alg: 'RS256', use: 'sig', e, n },
    cert: await selfSignedCertificate(kid, keys),
  }
}

/** The certs document Cloudflare Access serves for a team with these keys, current first. */
export function certsDocument(keys: SigningKey[]) {
  const certs = keys.map((key) => ({ kid: key.kid, cert: key.cert }))
  return { keys: keys.map((key) => key.jwk), public_cert: certs[0], public_certs: certs }
}

/** A compact JWS over `payload` with `header` as given (any `alg`), signed RS256 by `key`. */
export async function signJwt(
  key: SigningKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT' },
): Promise<string> {
  const signed = `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(payload))}`
  const signature = await crypto.subtle.sign(RS256, key.privateKey, text(signed))
  return `${signed}.${base64Url(new Uint8Array(signature))}`
}

/** A token "signed" with HMAC-SHA256 keyed by `secret` (the public key, in the classic attack). */
export async function signHs256(
  secret: string,
  payload: Record<string, unknown>,
  kid: string,
): Promise<string> {
  const signed = `${base64Url(JSON.stringify({ alg: 'HS256', kid, typ: 'JWT' }))}.${base64Url(JSON.stringify(payload))}`
  const hmac = await crypto.subtle.importKey(
    'raw',
    text(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, text(signed)))
  return `${signed}.${base64Url(signature)}`
}

/** An unsigned token (`alg: none`), as an attacker would send one. */
export function unsignedJwt(payload: Record<string, unknown>, kid: string): string {
  return `${base64Url(JSON.stringify({ alg: 'none', kid, typ: 'JWT' }))}.${base64Url(JSON.stringify(payload))}.`
}
