import { hmacSha256 } from './crypto'

/**
 * Signing per the Standard Webhooks specification: `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`), keyed
 * with the base64 part of a `whsec_` secret.
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (char) =>
    char.charCodeAt(0),
  )
  const mac = await hmacSha256(keyBytes, `${id}.${timestamp}.${body}`)
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${btoa(binary)}`,
  }
}

/** A fresh `whsec_` secret: 24 random bytes, base64. */
export function newWebhookSecret(): string {
  let binary = ''
  for (const byte of crypto.getRandomValues(new Uint8Array(24))) binary += String.fromCharCode(byte)
  return `whsec_${btoa(binary)}`
}
