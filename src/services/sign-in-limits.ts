import { addressKind } from '../lib/addresses'
import { MemoryCache } from '../lib/memory-cache'
import { keyedHash } from '../lib/signing'
import type { Database } from '../db/client'
import { networkOf } from './join-limits'
import { countAttempt, type ExceededLimit, type RateLimit } from './rate-limits'

/**
 * Wrong tokens one network (an IPv4 address, or the /64 of an IPv6 address) may try in ten
 * minutes, on the dashboard's sign-in form and the API together. API tokens are 256 random bits,
 * beyond any guessing, but `ADMIN_TOKEN` is chosen by a person and may be as short as 16
 * characters: twenty tries in ten minutes is far too slow to guess a secret.
 *
 * The sign-in form counts each try in D1 (exact; sign-ins are rare) before the token is looked
 * at, so past the limit even a right guess is refused and tells nothing; a right sign-in is then
 * given back, so a whole team behind one office address signs in as often as it likes. The API
 * counts only wrong tokens (a right one must not cost a D1 round trip on every call), and past
 * the limit refuses `ADMIN_TOKEN` from that network in every isolate that has seen the network
 * go past it (`blockedNetworks`).
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

/**
 * Networks this isolate has seen past the limit, with when their window ends. The address
 * itself, as it never leaves the isolate's memory; bounded, as anyone can send from many.
 */
const blockedNetworks = new MemoryCache<number>({
  maxEntries: 10_000,
  ttlMs: SIGN_IN_WINDOW_SECONDS * 1000,
})

/** Remembers that `ip`'s network went past the limit, until its window ends. */
export function noteNetworkBlocked(ip: string, exceeded: ExceededLimit, now: Date): void {
  blockedNetworks.set(networkOf(ip), now.getTime() + exceeded.retryAfter * 1000, now.getTime())
}

/** The seconds `ip`'s network must still wait, as far as this isolate knows; null: none. */
export function networkBlockedFor(ip: string, now: Date): number | null {
  const until = blockedNetworks.get(networkOf(ip), now.getTime())
  return until !== undefined && until > now.getTime()
    ? Math.ceil((until - now.getTime()) / 1000)
    : null
}

/**
 * The address an API request's wrong tokens count against: the client's, as Cloudflare gives it
 * on every request it passes on. None for a request without one or from the machine itself
 * (local tools and tests, where no guesser sits across a network): those are not limited.
 */
export function apiClientAddress(header: string | undefined): string | null {
  if (header === undefined) return null
  const host = header.includes(':') ? `[${header.trim()}]` : header.trim()
  return addressKind(host) === 'loopback address' ? null : header
}

/** Counts a wrong API token from `ip`: the exceeded limit once the network is past it. */
export async function countWrongToken(
  db: Database,
  secret: string,
  ip: string,
  now: Date,
): Promise<ExceededLimit | undefined> {
  const [exceeded] = await countAttempt(db, [await signInLimit(secret, ip)], now)
  if (exceeded) noteNetworkBlocked(ip, exceeded, now)
  return exceeded
}
