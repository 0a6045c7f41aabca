import { addressKind } from '../lib/addresses'
import { MemoryCache } from '../lib/memory-cache'
import { keyedHash } from '../lib/signing'
import type { Database } from '../db/client'
import { networkOf } from './join-limits'
import { countAttempt, giveBackAttempts, type RateLimit } from './rate-limits'

/**
 * Tries of a token worth guessing, on the dashboard's sign-in form and the API together.
 *
 * Stored tokens are 256 random bits (`cg_` and 43 characters), beyond any guessing, and are not
 * counted: a forgotten script sending a revoked one locks nobody out. Any other token can only
 * be `ADMIN_TOKEN`, which a person chooses (16 characters at least): each try of one is counted
 * in D1 before it is compared, so past the limit even the right one is refused and tells nothing,
 * however many tries arrive at once; a right one is then given back, after the answer, so a team
 * or a script uses it as often as it likes. Twenty tries in ten minutes per network (an IPv4
 * address, an IPv6 /64), and a hundred per wider network (an IPv4 /24, an IPv6 /48, which one
 * holder may well have whole).
 */
export const SIGN_IN_ATTEMPTS_PER_NETWORK = 20
export const SIGN_IN_ATTEMPTS_PER_WIDER_NETWORK = 100
export const SIGN_IN_WINDOW_SECONDS = 600

/** The shape of a stored token; one that has it is no guess, whoever holds it. */
const STORED_TOKEN = /^cg_[A-Za-z0-9_-]{43}$/

/** Whether trying `token` could be guessing `ADMIN_TOKEN`. */
export function guessable(token: string): boolean {
  return !STORED_TOKEN.test(token)
}

/** The network around an address that one holder may have whole: an IPv4 /24, an IPv6 /48. */
export function widerNetworkOf(ip: string): string {
  const network = networkOf(ip)
  if (network.endsWith('::/64')) return `${network.split(':').slice(0, 3).join(':')}::/48`
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}$/.exec(network)
  return v4 ? `${v4[1]}.0/24` : network
}

/** The limits a try from `ip` counts against, each with the network it stands for. */
async function limitsOf(secret: string, ip: string) {
  const networks: Array<[string, number]> = [
    [networkOf(ip), SIGN_IN_ATTEMPTS_PER_NETWORK],
    [widerNetworkOf(ip), SIGN_IN_ATTEMPTS_PER_WIDER_NETWORK],
  ]
  return Promise.all(
    networks.map(async ([network, limit]) => ({
      network,
      limit: {
        // A keyed hash: the counters never hold an address.
        key: `sign-in:address:${await keyedHash(secret, 'sign-in-address', network)}`,
        limit,
        windowSeconds: SIGN_IN_WINDOW_SECONDS,
      } satisfies RateLimit,
    })),
  )
}

/**
 * Networks this isolate has seen past a limit, with when their window ends: their next tries
 * are refused without a D1 write. Bounded, as anyone can send from many.
 */
const blockedNetworks = new MemoryCache<number>({
  maxEntries: 10_000,
  ttlMs: SIGN_IN_WINDOW_SECONDS * 1000,
})

/** What counting one try of a token decided. */
export type TokenTry =
  | { refused: true; retryAfter: number }
  /** Let through: `giveBack` returns the try once the token proved right. */
  | { refused: false; giveBack: (db: Database) => Promise<void> }

const NOT_COUNTED: TokenTry = { refused: false, giveBack: async () => {} }

/** Counts a try of `token` from `ip`, before the token is compared (see above). */
export async function countTokenTry(
  db: Database,
  secret: string,
  ip: string,
  token: string,
  now: Date,
): Promise<TokenTry> {
  if (!guessable(token)) return NOT_COUNTED
  const wait = blockedFor([networkOf(ip), widerNetworkOf(ip)], now)
  if (wait !== null) return { refused: true, retryAfter: wait }
  const limits = await limitsOf(secret, ip)
  const exceeded = await countAttempt(
    db,
    limits.map(({ limit }) => limit),
    now,
  )
  if (exceeded.length > 0) {
    for (const { network, limit } of limits) {
      const over = exceeded.find((e) => e.key === limit.key)
      if (over) blockedNetworks.set(network, now.getTime() + over.retryAfter * 1000, now.getTime())
    }
    return { refused: true, retryAfter: Math.max(...exceeded.map((e) => e.retryAfter)) }
  }
  return {
    refused: false,
    giveBack: (later) =>
      giveBackAttempts(
        later,
        limits.map(({ limit }) => limit),
        now,
      ),
  }
}

/** The seconds the most blocked of `networks` must still wait, as this isolate knows; null: none. */
function blockedFor(networks: string[], now: Date): number | null {
  const until = Math.max(0, ...networks.map((n) => blockedNetworks.get(n, now.getTime()) ?? 0))
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : null
}

/**
 * The address an API request's tries count against: the client's, as Cloudflare gives it on
 * every request it passes on. None for a request without one or from the machine itself (local
 * tools and tests, where no guesser sits across a network): the API does not count those.
 */
export function apiClientAddress(header: string | undefined): string | null {
  if (header === undefined) return null
  const host = header.includes(':') ? `[${header.trim()}]` : header.trim()
  return addressKind(host) === 'loopback address' ? null : header
}
