import { z } from 'zod'
import { type Config } from '../../lib/config'

/**
 * What the delivery phases share: the queue messages that move the work (validated with zod when
 * a consumer reads them), what a consumer does after an attempt, and the retry rules. The phases
 * are `claim.ts` (due announcements become runs, runs expand into deliveries), `send.ts`
 * (announcement messages), `telegram-posts.ts` (one post per Telegram-linked chat), `events.ts` (outbox events to webhook endpoints), `reconcile.ts`
 * (the cron job moves stalled work on from the database) and `runs.ts` (an admin's resume and
 * stop).
 */

export const DeliveryMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('expand'), dispatchId: z.string().min(1).max(40) }),
  z.object({
    kind: z.literal('announce'),
    dispatchId: z.string().min(1).max(40),
    memberId: z.string().min(1).max(40),
  }),
  z.object({
    kind: z.literal('telegram-post'),
    dispatchId: z.string().min(1).max(40),
    chatId: z
      .number()
      .int()
      .min(-(2 ** 53) + 1)
      .max(2 ** 53 - 1),
  }),
  z.object({
    kind: z.literal('event'),
    eventId: z.string().min(1).max(40),
    endpointId: z.string().min(1).max(40),
  }),
])
export type DeliveryMessage = z.infer<typeof DeliveryMessageSchema>

/** What the queue consumer should do with a message after a delivery attempt. */
export type Verdict =
  | { action: 'ack' }
  | { action: 'retry'; delaySeconds: number }
  | { action: 'dead-letter'; error: string }

/**
 * Exponential backoff with jitter: about base, 2x, 4x ... seconds, capped at an hour. A
 * receiver's `Retry-After` makes the wait longer, never shorter: a throttled receiver answering
 * "1 second" each time would otherwise use up every attempt within seconds.
 */
export function backoffSeconds(
  baseSeconds: number,
  attempt: number,
  retryAfterSeconds?: number,
): number {
  const base = Math.min(3600, baseSeconds * 2 ** (attempt - 1))
  const scheduled = Math.max(1, Math.round(base * (0.5 + Math.random())))
  if (!retryAfterSeconds) return scheduled
  return Math.min(3600, Math.max(scheduled, Math.ceil(retryAfterSeconds)))
}

export type DeliveryKey = { dispatchId: string; memberId: string }
export type Outcome = {
  status: 'sent' | 'failed' | 'skipped' | 'queued' | 'unknown' | 'cancelled'
  error: string | null
  providerMessageId?: string | null
  /** For `queued`: when the retry is due (ms). */
  nextAttemptAt?: number
}

/** Waits for this send's turn under the sender's rate (see `createPacer` and the limiter). */
export type Pace = () => Promise<void>

/**
 * What happens when a send's outcome is unknown (a timeout, or a claim left `sending` by a
 * consumer that died), per channel:
 * - `webhook`: Standard Webhooks receivers deduplicate by `webhook-id`, which stays the same on
 *   every attempt, so the message is sent again (up to `DELIVERY_MAX_ATTEMPTS`); only when the
 *   attempts are used up does it stay "outcome unknown".
 * - `whatsapp`: the Cloud API does not deduplicate; a second send may reach the person twice, so
 *   the delivery is settled as "outcome unknown" and never sent again blindly.
 */
export function resendsWhenUnknown(config: Config): boolean {
  return config.DELIVERY_CHANNEL === 'webhook'
}
