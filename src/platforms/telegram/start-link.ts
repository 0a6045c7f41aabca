import { constantTimeEqual } from '../../lib/crypto'
import { keyedHash } from '../../lib/signing'

/**
 * The payload of a member's deep link to the bot (`https://t.me/<bot>?start=<payload>`): their
 * member id and a signature of it, `<member id>-<32 characters>` (63 of the 64 characters
 * Telegram allows, all of A-Z a-z 0-9 _ -). Its `/start` links the Telegram account to that
 * member, so announcements reach it one by one. It is as private as the status page that shows
 * it: a referral code would not do, members share theirs with anyone they invite.
 */

const PURPOSE = 'telegram-start'
const PAYLOAD = /^(mem_[0-9a-hjkmnp-tv-z]{26})-([A-Za-z0-9_-]{32})$/

export async function telegramStartPayload(secret: string, memberId: string): Promise<string> {
  return `${memberId}-${await keyedHash(secret, PURPOSE, memberId)}`
}

/** The member a deep link's payload was made for, or null when we did not make it. */
export async function memberOfStartPayload(
  secret: string,
  payload: string,
): Promise<string | null> {
  const parts = PAYLOAD.exec(payload)
  if (!parts) return null
  const expected = await keyedHash(secret, PURPOSE, parts[1]!)
  return (await constantTimeEqual(parts[2]!, expected)) ? parts[1]! : null
}
