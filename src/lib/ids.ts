/**
 * Prefixed, time-sortable ids: `<prefix>_` + 10 characters of millisecond time + 16 random
 * characters, all in Crockford's base32 (a ULID with a readable prefix). Sorting ids as strings
 * sorts them by creation time, which makes an id a stable pagination cursor.
 */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

export const ID_PREFIXES = {
  community: 'cmt',
  group: 'grp',
  token: 'tok',
  invite: 'inv',
  member: 'mem',
  joinRequest: 'jr',
  rewardRule: 'rwr',
  reward: 'rwd',
  event: 'evt',
} as const

export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES]

export function newId(prefix: IdPrefix, now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let random = ''
  for (const byte of bytes) random += CROCKFORD[byte % 32]
  return `${prefix}_${idTimePart(now)}${random}`
}

/**
 * The time part of an id, for ids made inside SQL (`prefix_` || time || 16 hex digits of
 * randomblob: hex digits are Crockford digits too, so such ids have the same shape).
 */
export function idTimePart(now: number): string {
  let time = ''
  let rest = now
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time
    rest = Math.floor(rest / 32)
  }
  return time
}

/** A pattern for one kind of id, for validating path parameters. */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`)
}
