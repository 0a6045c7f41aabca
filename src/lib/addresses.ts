/**
 * Which IP addresses are not on the public internet. Input is a host as `new URL()` leaves it:
 * IPv4 already in dotted-decimal (the URL parser turns `127.1`, `2130706433`, `0x7f000001` and
 * `0177.0.0.1` into `127.0.0.1`), IPv6 in brackets and lower case (`[::ffff:7f00:1]`).
 */

/** Why an address is not public, in words an admin understands. */
export const ADDRESS_KINDS = [
  'loopback address',
  'private address',
  'link-local address',
  'shared address (CGNAT)',
  'unspecified address',
  'multicast address',
  'broadcast address',
  'reserved address',
] as const
export type AddressKind = (typeof ADDRESS_KINDS)[number]

type Range<T, Kind = AddressKind> = readonly [prefix: T, bits: number, kind: Kind]

// More specific ranges first: the first match wins.
const IPV4_RANGES: readonly Range<string>[] = [
  ['255.255.255.255', 32, 'broadcast address'],
  ['0.0.0.0', 8, 'unspecified address'],
  ['10.0.0.0', 8, 'private address'],
  ['100.64.0.0', 10, 'shared address (CGNAT)'],
  ['127.0.0.0', 8, 'loopback address'],
  ['169.254.0.0', 16, 'link-local address'],
  ['172.16.0.0', 12, 'private address'],
  ['192.0.0.0', 24, 'reserved address'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved address'], // documentation
  ['192.88.99.0', 24, 'reserved address'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'private address'],
  ['198.18.0.0', 15, 'reserved address'], // benchmarking
  ['198.51.100.0', 24, 'reserved address'], // documentation
  ['203.0.113.0', 24, 'reserved address'], // documentation
  ['224.0.0.0', 4, 'multicast address'],
  ['240.0.0.0', 4, 'reserved address'],
]

/**
 * IPv6 ranges that are not public in themselves (embeddings of IPv4 are checked apart): every
 * block IANA's IPv6 special-purpose registry lists as not globally reachable, and the deprecated
 * and multicast blocks. More specific ranges first: the first match wins, and a null kind is a
 * block inside one refused as a whole that is public all the same.
 */
const IPV6_RANGES: readonly Range<string, AddressKind | null>[] = [
  ['::', 128, 'unspecified address'],
  ['::1', 128, 'loopback address'],
  ['64:ff9b:1::', 48, 'private address'], // local-use NAT64
  ['100::', 64, 'reserved address'], // discard-only
  ['100:0:0:1::', 64, 'reserved address'], // dummy prefix (RFC 9780)
  // IETF protocol assignments (2001::/23) reach no one on the internet, but for these services.
  ['2001:1::1', 128, null], // Port Control Protocol anycast
  ['2001:1::2', 128, null], // TURN anycast
  ['2001:1::3', 128, null], // DNS-SD service registration anycast
  ['2001:3::', 32, null], // AMT
  ['2001:4:112::', 48, null], // AS112
  ['2001:30::', 28, null], // drone remote ID entity tags
  ['2001::', 32, 'reserved address'], // Teredo: an IPv4 host behind a tunnel
  ['2001:2::', 48, 'reserved address'], // benchmarking
  ['2001:10::', 28, 'reserved address'], // ORCHID (deprecated)
  // ORCHIDv2: IANA calls it globally reachable, but its addresses name hosts, they locate none
  // (RFC 7343: not routable at the IP layer), so no webhook can live there.
  ['2001:20::', 28, 'reserved address'],
  ['2001::', 23, 'reserved address'],
  ['2001:db8::', 32, 'reserved address'], // documentation
  ['3fff::', 20, 'reserved address'], // documentation (RFC 9637)
  ['5f00::', 16, 'reserved address'], // SRv6 segment identifiers (RFC 9602)
  ['fc00::', 7, 'private address'], // unique local
  ['fe80::', 10, 'link-local address'],
  ['fec0::', 10, 'private address'], // site-local (deprecated)
  ['ff00::', 8, 'multicast address'],
]

/** IPv6 prefixes that carry an IPv4 address, and where: [prefix, bits, first 16-bit word]. */
const IPV4_EMBEDDINGS: readonly (readonly [prefix: string, bits: number, word: number])[] = [
  ['::ffff:0:0', 96, 6], // IPv4-mapped
  ['::', 96, 6], // IPv4-compatible (deprecated)
  ['::ffff:0:0:0', 96, 6], // IPv4-translated (SIIT)
  ['64:ff9b::', 96, 6], // NAT64 well-known prefix
  ['2002::', 16, 1], // 6to4
]

/** `a.b.c.d` as 32 bits, or null if it is not exactly that. */
export function parseIpv4(host: string): number | null {
  const parts = host.split('.')
  if (parts.length !== 4) return null
  let value = 0
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null
    value = value * 256 + Number(part)
  }
  return value
}

/** An IPv6 address (without brackets) as eight 16-bit words, or null. */
export function parseIpv6(host: string): number[] | null {
  let text = host.toLowerCase()
  // A trailing dotted IPv4 part (`::ffff:127.0.0.1`) becomes two words.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!)
    if (v4 === null) return null
    text = `${dotted[1]}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const words = (part: string) => (part === '' ? [] : part.split(':'))
  const head = words(halves[0]!)
  const tail = halves.length === 2 ? words(halves[1]!) : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail]
  if (!all.every((word) => /^[0-9a-f]{1,4}$/.test(word))) return null
  return all.map((word) => parseInt(word, 16))
}

function ipv4InRange(address: number, prefix: string, bits: number): boolean {
  const base = parseIpv4(prefix)!
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return (address & mask) >>> 0 === (base & mask) >>> 0
}

function ipv6InRange(words: number[], prefix: string, bits: number): boolean {
  const base = parseIpv6(prefix)!
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff
    if ((words[i]! & mask) !== (base[i]! & mask)) return false
  }
  return true
}

/** Why an IPv4 address (32 bits) is not public, or null when it is. */
export function ipv4Kind(address: number): AddressKind | null {
  return IPV4_RANGES.find(([prefix, bits]) => ipv4InRange(address, prefix, bits))?.[2] ?? null
}

/** Why an IPv6 address (eight words) is not public, or null when it is. */
export function ipv6Kind(words: number[]): AddressKind | null {
  const own = IPV6_RANGES.find(([prefix, bits]) => ipv6InRange(words, prefix, bits))?.[2]
  // `::` and `::1` are inside the IPv4-compatible range: their own meaning comes first.
  if (own === 'unspecified address' || own === 'loopback address') return own
  for (const [prefix, bits, word] of IPV4_EMBEDDINGS) {
    if (!ipv6InRange(words, prefix, bits)) continue
    const embedded = ((words[word]! << 16) | words[word + 1]!) >>> 0
    return ipv4Kind(embedded) ?? (prefix === '::' ? 'reserved address' : null)
  }
  return own ?? null
}

/**
 * Why a URL host that is an IP address is not public; null for a public address and for
 * anything that is not an address (a name).
 */
export function addressKind(host: string): AddressKind | null {
  if (host.startsWith('[') && host.endsWith(']')) {
    const words = parseIpv6(host.slice(1, -1))
    return words ? ipv6Kind(words) : 'reserved address'
  }
  const v4 = parseIpv4(host)
  return v4 === null ? null : ipv4Kind(v4)
}

/** Whether a URL host is an IP address literal (as the URL parser leaves one). */
export function isAddressLiteral(host: string): boolean {
  return host.startsWith('[') || parseIpv4(host) !== null
}
