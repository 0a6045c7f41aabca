import { hmacSha256 } from './crypto'
import { keyedHash, signToken } from './signing'

/** One-time codes and links that confirm a sign-up (double opt-in). */

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
export const CONFIRM_PURPOSE = 'confirm'

/**
 * The one-time code of a sign-up, derived from its status token: the status page (whose link
 * only the person holds) can show it again, while the database keeps only a keyed hash.
 */
export async function confirmCodeFor(secret: string, statusToken: string): Promise<string> {
  const mac = await hmacSha256(secret, `confirm-code:${statusToken}`)
  let code = ''
  for (let i = 0; i < 8; i++) code += CODE_ALPHABET[mac[i]! % CODE_ALPHABET.length]
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/** The stored form of a code. */
export function confirmCodeHash(secret: string, code: string): Promise<string> {
  return keyedHash(secret, 'confirm-code', code.toUpperCase())
}

/** The most codes one message is searched for (a longest chat message holds about 400). */
const MAX_CODES_PER_MESSAGE = 50

/**
 * What may be a confirmation code in a chat message, each once, last first (the prefilled text
 * ends with it; a community's name before it may hold something that looks alike). All of them
 * are looked up, so the sender's own code counts wherever it stands among others.
 */
export function findConfirmCodes(text: string): string[] {
  const matches = text.toUpperCase().matchAll(/\b([A-Z0-9]{4})-([A-Z0-9]{4})\b/g)
  const codes = [...new Set([...matches].map((match) => `${match[1]}-${match[2]}`))]
  return codes.reverse().slice(0, MAX_CODES_PER_MESSAGE)
}

/**
 * The chat with the business number, with `text` typed in where one is given (the message that
 * carries the code, START): a wa.me link, or the same path and query on another base
 * (`WHATSAPP_CHAT_LINK_BASE`; locally, the phone page of `npm run dev`).
 */
export function waMeLink(
  businessNumber: string,
  text: string | null,
  base = 'https://wa.me',
): string {
  return `${base}/${businessNumber}${text === null ? '' : `?text=${encodeURIComponent(text)}`}`
}

/** The signed link an e-mail confirmation goes to. */
export async function confirmLinkToken(secret: string, requestId: string): Promise<string> {
  return signToken(secret, CONFIRM_PURPOSE, requestId)
}

/**
 * The page of the link e-mailed to a sign-up's address, in the language it signed up in: it
 * confirms the address, and afterwards shows its holder the sign-up's decision and the way in.
 */
export async function emailedPageUrl(
  baseUrl: string,
  secret: string,
  request: { id: string; language: string | null },
): Promise<string> {
  return `${baseUrl}/confirm/${await confirmLinkToken(secret, request.id)}?lang=${request.language ?? 'de'}`
}
