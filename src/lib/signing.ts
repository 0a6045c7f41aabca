import { base64Url, constantTimeEqual, hmacSha256 } from './crypto'

async function sign(secret: string, message: string): Promise<string> {
  return base64Url(await hmacSha256(secret, message)).slice(0, 32)
}

/**
 * A token that proves we issued it for `subject` and `purpose`: `<subject>.<signature>`. Used
 * for leave links, which must work with one tap and no login, yet never for anyone else.
 */
export async function signToken(secret: string, purpose: string, subject: string): Promise<string> {
  return `${subject}.${await sign(secret, `${purpose}:${subject}`)}`
}

/** The subject of a token made by `signToken` for `purpose`, or null if it was not. */
export async function verifyToken(
  secret: string,
  purpose: string,
  token: string,
): Promise<string | null> {
  const dot = token.lastIndexOf('.')
  if (dot <= 0) return null
  const subject = token.slice(0, dot)
  const expected = await sign(secret, `${purpose}:${subject}`)
  return (await constantTimeEqual(token.slice(dot + 1), expected)) ? subject : null
}

/**
 * A keyed hash of `value` for `purpose`: stable, so it can key a counter, but without the secret
 * nobody can tell which phone number, e-mail address or IP address it stands for (a plain hash
 * of a phone number is undone by trying them all).
 */
export async function keyedHash(secret: string, purpose: string, value: string): Promise<string> {
  return sign(secret, `${purpose}:${value}`)
}
