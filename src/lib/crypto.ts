import { encodeBase64, encodeBase64Url } from 'hono/utils/encode'

const encoder = new TextEncoder()

export async function sha256Hex(input: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(input))
  return toHex(new Uint8Array(digest))
}

/**
 * HMAC keys imported from text secrets, kept for the isolate's life: the secrets are the
 * installation's own few (signing, app secret), and importing one costs more than the HMAC.
 */
const hmacKeys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string | Uint8Array): Promise<CryptoKey> {
  const importKey = () =>
    crypto.subtle.importKey(
      'raw',
      typeof secret === 'string' ? encoder.encode(secret) : secret,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )
  if (typeof secret !== 'string') return importKey()
  let key = hmacKeys.get(secret)
  if (!key) {
    // A handful of secrets at most; the bound only guards against a caller passing data here.
    if (hmacKeys.size >= 16) hmacKeys.clear()
    hmacKeys.set(secret, (key = importKey()))
    key.catch(() => hmacKeys.delete(secret))
  }
  return key
}

/** HMAC-SHA256 of `message`, keyed with `secret` (text, or the raw key bytes). */
export async function hmacSha256(
  secret: string | Uint8Array,
  message: string | Uint8Array,
): Promise<Uint8Array> {
  const data = typeof message === 'string' ? encoder.encode(message) : message
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), data))
}

/**
 * Whether `hexMac` is the HMAC-SHA256 of `message` keyed with `secret`. WebCrypto's verify
 * compares in constant time. Only the one spelling senders use, 64 lower-case hex digits, can
 * match: a MAC accepted in several spellings would let a replay pass a check on its exact text.
 */
export async function verifyHmacSha256Hex(
  secret: string,
  message: Uint8Array,
  hexMac: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(hexMac)) return false
  const mac = new Uint8Array(32)
  for (let i = 0; i < 32; i++) mac[i] = parseInt(hexMac.slice(i * 2, i * 2 + 2), 16)
  return crypto.subtle.verify('HMAC', await hmacKey(secret), mac, message)
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** Standard base64, as data: URLs and stored images are written. */
export function base64(bytes: Uint8Array): string {
  return encodeBase64(bytes.slice().buffer)
}

/** Unpadded base64url, as tokens and sealed secrets are written. */
export function base64Url(bytes: Uint8Array): string {
  return encodeBase64Url(bytes.slice().buffer).replace(/=+$/, '')
}

export function randomBase64Url(byteLength: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteLength)))
}

/**
 * Compares two strings without leaking, through timing, how much of them matches. Both sides are
 * hashed first so that inputs of different lengths take the same path.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [hashA, hashB] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ])
  return crypto.subtle.timingSafeEqual(hashA, hashB)
}
