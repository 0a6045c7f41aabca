import { base64Url, hmacSha256, sha256Hex } from './crypto'

/**
 * A sign-up's status page is `/s/<token>`. Its token is an HMAC of the sign-up's id with the
 * signing secret, and only its SHA-256 is stored, as for any secret link: the database alone
 * opens no status page, yet the Worker can make the link again for a WhatsApp message to the
 * person who proved they hold it (services/whatsapp-words.ts). 43 characters, as a random
 * 32-byte token was.
 */
export async function statusTokenFor(secret: string, requestId: string): Promise<string> {
  return base64Url(await hmacSha256(secret, `status-link:${requestId}`))
}

/**
 * The status page's link of a sign-up, as its holder got it on the web (`?lang=` keeps the page
 * in their language), or null where its token cannot be made again: a sign-up from before tokens
 * were derived (a random one, of which only the hash is kept), or a changed signing secret.
 */
export async function statusPageLink(
  secret: string,
  baseUrl: string,
  request: { id: string; statusTokenHash: string },
  lang: string,
): Promise<string | null> {
  const token = await statusTokenFor(secret, request.id)
  if ((await sha256Hex(token)) !== request.statusTokenHash) return null
  return `${baseUrl}/s/${token}?lang=${lang}`
}
