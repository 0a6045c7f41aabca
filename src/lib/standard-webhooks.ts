import { decodeBase64, encodeBase64 } from 'hono/utils/encode'
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
  const mac = await hmacSha256(
    decodeBase64(secret.replace(/^whsec_/, '')),
    `${id}.${timestamp}.${body}`,
  )
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${encodeBase64(mac.slice().buffer)}`,
  }
}

/** A fresh `whsec_` secret: 24 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(24)).buffer)}`
}
