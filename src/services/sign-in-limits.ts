import { keyedHash } from '../lib/signing'
import { networkOf } from './join-limits'
import type { RateLimit } from './rate-limits'

/**
 * Wrong sign-ins one network (an IPv4 address, or the /64 of an IPv6 address) may try on the
 * dashboard's form in ten minutes. API tokens are 256 random bits, beyond any guessing, but
 * `ADMIN_TOKEN` is chosen by a person and may be as short as 16 characters: twenty tries in ten
 * minutes is far too slow to guess a secret. Each try is counted in D1 (exact; sign-ins are rare)
 * before the token is looked at, so past the limit even a right guess is refused and tells
 * nothing; a right sign-in is then given back, so a whole team behind one office address signs
 * in as often as it likes.
 */
export const SIGN_IN_ATTEMPTS_PER_NETWORK = 20
export const SIGN_IN_WINDOW_SECONDS = 600

/** The limit a sign-in from `ip` counts against; its key is a keyed hash, never the address. */
export async function signInLimit(secret: string, ip: string): Promise<RateLimit> {
  return {
    key: `sign-in:address:${await keyedHash(secret, 'sign-in-address', networkOf(ip))}`,
    limit: SIGN_IN_ATTEMPTS_PER_NETWORK,
    windowSeconds: SIGN_IN_WINDOW_SECONDS,
  }
}
