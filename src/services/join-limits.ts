import { keyedHash } from '../lib/signing'
import type { RateLimit } from './rate-limits'

/**
 * How often people may try to join (the README's "Join limits" explains the numbers):
 *
 * - Per contact: each phone number and each e-mail address at most 5 attempts an hour, across
 *   every community, address and browser. Repeats of one contact are what sign-up spam and
 *   probing look like; a real person needs one or two tries. In D1: exact, and an hour is longer
 *   than the rate-limiting binding's windows.
 * - Per address: `JOIN_LIMIT_PER_ADDRESS` (300) joins in ten minutes from one IP address (for
 *   IPv6, its /64, which one device can rotate through). Sized for a crowd: a room of phones on
 *   one venue Wi-Fi shares an address, and often the same browser version, so the User-Agent
 *   is no part of any key. Past it, a person is asked to solve a Turnstile challenge when
 *   Turnstile is configured, and answered 429 otherwise. In D1: exact over ten minutes.
 * - The flood guard: the `JOIN_ADDRESS_LIMITER` binding (600 a minute per address) at
 *   Cloudflare's edge, checked before any database work, so a flood never reaches D1. Its
 *   60-second window and per-location, approximate counting suit exactly this.
 *
 * Keys are keyed hashes: the counters never hold a phone number, e-mail or IP address.
 */
export const CONTACT_ATTEMPTS_PER_HOUR = 5
export const ADDRESS_WINDOW_SECONDS = 600
/** What the binding answers a refused request with; its window is a minute. */
export const FLOOD_RETRY_AFTER_SECONDS = 60

/** The network an address stands for: an IPv4 address, or the /64 of an IPv6 address. */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip.trim())
  if (mapped) return mapped[1]!
  if (!ip.includes(':')) return ip.trim()
  const [head = '', tail = ''] = ip.trim().toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = ip.includes('::') && tail ? tail.split(':') : []
  const groups = ip.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/** The key an address is counted under, in D1 and at the edge. */
export function addressKey(secret: string, ip: string): Promise<string> {
  return keyedHash(secret, 'join-address', networkOf(ip))
}

/** Gmail's domains: one inbox, whatever dots its name is written with. */
const GMAIL = new Set(['gmail.com', 'googlemail.com'])

/**
 * The mailbox an e-mail address reaches, as its attempts are counted: without a `+tag` in its
 * local part, which most providers deliver to the same inbox (`ana+1@…` is `ana@…`), and at
 * Gmail without dots (`a.na@gmail.com` is `ana@gmail.com`), so neither can multiply the
 * attempts, and the confirmation e-mails, one inbox gets. (Addresses come lower-cased.)
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@')
  const domain = email.slice(at + 1)
  let local = email.slice(0, at)
  const plus = local.indexOf('+')
  if (plus > 0) local = local.slice(0, plus)
  if (GMAIL.has(domain)) return `${local.replaceAll('.', '')}@gmail.com`
  return `${local}@${domain}`
}

/** The D1 limits of one join attempt: its address, and each contact it names. */
export async function joinLimits(
  secret: string,
  attempt: { addressKey: string; phone: string | null; email: string | null },
  perAddress: number,
): Promise<{ address: RateLimit; contacts: RateLimit[] }> {
  const contacts: RateLimit[] = []
  for (const [kind, value] of [
    ['phone', attempt.phone],
    ['email', attempt.email],
  ] as const) {
    if (value === null) continue
    const counted = kind === 'email' ? mailboxOf(value) : value
    contacts.push({
      key: `join:${kind}:${await keyedHash(secret, `join-${kind}`, counted)}`,
      limit: CONTACT_ATTEMPTS_PER_HOUR,
      windowSeconds: 3600,
    })
  }
  return {
    address: {
      key: `join:address:${attempt.addressKey}`,
      limit: perAddress,
      windowSeconds: ADDRESS_WINDOW_SECONDS,
    },
    contacts,
  }
}

/**
 * A confirmation template is a message the business starts, to a number nobody has proven yet:
 * at most one a day per number, across all communities, so typing strangers' numbers into
 * forms cannot make the business message them again and again (Meta rates the sending number
 * by how people react). The person can always confirm by sending their code themselves.
 */
export async function confirmationTemplateLimit(secret: string, phone: string): Promise<RateLimit> {
  return {
    key: `confirm-template:${await keyedHash(secret, 'confirm-template', phone)}`,
    limit: 1,
    windowSeconds: 86_400,
  }
}
