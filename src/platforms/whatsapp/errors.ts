/**
 * What to do when WhatsApp reports that a message failed, by Meta's documented error code: one
 * table, used for the statuses the webhook reports (and the send endpoint's answers).
 *
 * - `retry`: a short-lived limit; send again after a backoff.
 * - `defer`: the person's marketing limit; send again much later (a later run of the queue).
 * - `pause`: the business's spam rate limit; stop the whole broadcast and tell the admins.
 * - `final`: this message will not arrive; `endsSubscription` when the person opted out.
 */
export interface ErrorPolicy {
  action: 'retry' | 'defer' | 'pause' | 'final'
  endsSubscription: boolean
  /** The reason in plain words, as admins see it on the announcement. */
  reason: string
  /** For `retry` and `defer`: the reason once the message is not sent again (attempts used up). */
  notSentAgain?: string
}

const POLICIES: Record<number, ErrorPolicy> = {
  130429: {
    action: 'retry',
    endsSubscription: false,
    reason: 'Sending too fast for WhatsApp (throughput limit); sent again later',
    notSentAgain: 'Sending too fast for WhatsApp (throughput limit); not sent again',
  },
  131056: {
    action: 'retry',
    endsSubscription: false,
    reason: 'Too many messages to this person in a short time; sent again later',
    notSentAgain: 'Too many messages to this person in a short time; not sent again',
  },
  131049: {
    action: 'defer',
    endsSubscription: false,
    reason: 'WhatsApp limits the marketing messages this person receives; tried again later',
    notSentAgain: 'WhatsApp limits the marketing messages this person receives; not sent again',
  },
  131048: {
    action: 'pause',
    endsSubscription: false,
    reason: 'Spam rate limit reached: the broadcast was paused',
  },
  131026: {
    action: 'final',
    endsSubscription: false,
    reason: 'Cannot be delivered to this number (not on WhatsApp, or an old app)',
  },
  131050: {
    action: 'final',
    endsSubscription: true,
    reason: 'The person stopped marketing messages from this business',
  },
}

/**
 * The policy for an error code. Its reason is a fixed phrase (Meta's own title is kept apart,
 * in the delivery's `errorTitle`): what a channel answers never becomes a stored reason.
 */
export function whatsAppErrorPolicy(code: number | null | undefined): ErrorPolicy {
  const known = code !== null && code !== undefined ? POLICIES[code] : undefined
  if (known) return known
  return {
    action: 'final',
    endsSubscription: false,
    reason: `WhatsApp could not deliver it${code ? ` (error ${code})` : ''}`,
  }
}

/**
 * Throughput and spam-rate errors of the Cloud API: answered with HTTP 400 or 429, yet worth
 * another try later.
 */
export const RETRYABLE_CLOUD_API_CODES = new Set([4, 80007, 130429, 131056, 133016])

/**
 * Why a message failed for good, in plain words, from the Cloud API's error code (`stored`: the
 * reason a send stored, `HTTP <status> from the endpoint (error <code>)`; or the code a failed
 * status reported). A limit that was tried again says it was not sent again; an outage or limit
 * the table does not know, answered on every attempt, says so rather than "could not deliver".
 */
export function finalFailureReason(code: number, stored?: string | null): string {
  const policy = whatsAppErrorPolicy(code)
  if (policy.notSentAgain) return policy.notSentAgain
  const status = Number(/^HTTP (\d{3}) /.exec(stored ?? '')?.[1] ?? 0)
  if (
    !(code in POLICIES) &&
    (status === 429 || status >= 500 || RETRYABLE_CLOUD_API_CODES.has(code))
  ) {
    return `WhatsApp did not take it at any attempt (error ${code})`
  }
  return policy.reason
}

/**
 * The Cloud API error code a failed send's stored reason ends with (`… (error 131050)`, as
 * `classify` in services/channels.ts writes it), or null.
 */
export function errorCodeIn(reason: string | null): number | null {
  const code = /\(error (\d{1,16})\)$/.exec(reason ?? '')?.[1]
  return code ? Number(code) : null
}

/** The error codes by which Meta says the person stopped this business's messages. */
export const SUBSCRIPTION_ENDED_CODES = Object.entries(POLICIES)
  .filter(([, policy]) => policy.endsSubscription)
  .map(([code]) => Number(code))

/** Every reason the table can give, for the closed set of reasons a delivery row may hold. */
export const WHATSAPP_REASONS = [
  ...Object.values(POLICIES).flatMap((policy) => [
    policy.reason,
    ...(policy.notSentAgain ? [policy.notSentAgain] : []),
  ]),
  'WhatsApp could not deliver it',
]

/** The reason a delivery skipped because its broadcast was paused carries. */
export function pausedReason(reason: string | null): string {
  return `broadcast paused: ${reason ?? ''}`
}

/** How long a deferred message waits: the longest delay a queue message can have. */
export const DEFER_SECONDS = 12 * 3600
