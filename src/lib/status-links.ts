import { randomBase64Url, sha256Hex } from './crypto'
import { open, seal } from './secret-box'

/**
 * A sign-up's status page is `/s/<token>`: a random 32-byte token (43 characters), of which the
 * database keeps its SHA-256, as for any secret link, and the token itself sealed with the
 * signing secret (AES-GCM, lib/secret-box.ts). The Worker can so make the link again for a
 * WhatsApp message to the person who proved they hold it (services/whatsapp-words.ts), while
 * neither a copy of the database (only a hash and a sealed box) nor the signing secret alone (the
 * token is random, not derived from anything the secret signs) opens anyone's page.
 */

/** A new sign-up's status token, its hash, and the token sealed with `secret` where one is given. */
export async function newStatusToken(
  secret: string | undefined,
): Promise<{ token: string; hash: string; sealed: string | null }> {
  const token = randomBase64Url(32)
  return {
    token,
    hash: await sha256Hex(token),
    sealed: secret ? await seal(secret, token) : null,
  }
}

/**
 * The status page's link of a sign-up, as its holder got it on the web (`?lang=` keeps the page
 * in their language; without one the browser's decides), or null where its token cannot be had
 * again: a sign-up from before tokens were kept sealed, one sealed with another signing secret
 * (the secret was changed since), or a sealed token that is not the one whose hash is stored.
 */
export async function statusPageLink(
  secret: string,
  baseUrl: string,
  request: { statusTokenHash: string; statusTokenSealed: string | null },
  lang: string | null,
): Promise<string | null> {
  if (!request.statusTokenSealed) return null
  let token: string
  try {
    token = await open(secret, request.statusTokenSealed)
  } catch {
    return null
  }
  if ((await sha256Hex(token)) !== request.statusTokenHash) return null
  return `${baseUrl}/s/${token}${lang ? `?lang=${lang}` : ''}`
}
