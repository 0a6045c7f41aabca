import { decodeBase64Url } from 'hono/utils/encode'
import { base64Url } from './crypto'

/**
 * Encrypts secrets that must be read back (webhook signing secrets sign every delivery, so they
 * cannot be hashed like API tokens). AES-GCM with a key derived from the installation's signing
 * secret: a copy of the database alone does not reveal them.
 */
async function keyFrom(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`secret-box:${secret}`),
  )
  return crypto.subtle.importKey('raw', material, 'AES-GCM', false, ['encrypt', 'decrypt'])
}

export async function seal(secret: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await keyFrom(secret),
    new TextEncoder().encode(plaintext),
  )
  return `${base64Url(iv)}.${base64Url(new Uint8Array(sealed))}`
}

export async function open(secret: string, box: string): Promise<string> {
  const [iv, data] = box.split('.').map((part) => decodeBase64Url(part))
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: iv! },
    await keyFrom(secret),
    data!,
  )
  return new TextDecoder().decode(plain)
}
