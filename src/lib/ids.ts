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
  announcement: 'ann',
  dispatch: 'dsp',
  webhook: 'whk',
  inboundMessage: 'msg',
  teamInvitation: 'tin',
  auditEntry: 'aud',
  telegramInviteLink: 'tgl',
  telegramJoinRequest: 'tjr',
} as const

export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES]

let lastTime = -1
let lastRandom: number[] = []

/**
 * Ids made in the same millisecond by one isolate keep their order (the random part counts
 * up, as in monotonic ULIDs), so the events of one batch are read back in the order written.
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  if (now <= lastTime) {
    now = lastTime
    let i = lastRandom.length - 1
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0
    if (i >= 0) lastRandom[i]! += 1
  } else {
    lastTime = now
    lastRandom = [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte % 32)
  }
  return `${prefix}_${idTimePart(now)}${lastRandom.map((digit) => CROCKFORD[digit]).join('')}`
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
