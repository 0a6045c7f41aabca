import { DurableObject } from 'cloudflare:workers'
import type { Config } from '../lib/config'
import { type Pace } from './delivery/messages'

/**
 * The shared pace of one sender (one webhook URL, one WhatsApp phone number): a token bucket in a
 * Durable Object, so the rate holds across isolates and concurrent queue consumers, whatever the
 * consumer's `max_concurrency`. It hands out send slots: `reserve(count, intervalMs, burst)` books
 * the next `count` slots, `intervalMs` apart, and answers when the first one is. The bucket holds
 * `burst` tokens: slots left unused while a consumer was busy between batches (up to `burst` of
 * them) may be used at once, so the pause between batches does not lower the rate; over any
 * stretch of time no more than the rate plus `burst` go out. A Durable Object runs one call at a
 * time, so two consumers never get the same slot.
 *
 * The booking lives in memory: should the object be evicted, it starts again from now, which
 * costs at most the slots booked ahead (a fraction of a second).
 */
export class SendRateLimiter extends DurableObject<Env> {
  private nextFree = 0

  reserve(count: number, intervalMs: number, burst = 0): number {
    const now = Date.now()
    const start = Math.max(now - burst * intervalMs, this.nextFree)
    this.nextFree = start + count * intervalMs
    return start
  }
}

/** Whose rate a send counts against: the channel's sender. */
export function senderKey(config: Config): string {
  return config.DELIVERY_CHANNEL === 'whatsapp'
    ? `whatsapp:${config.WHATSAPP_PHONE_NUMBER_ID}`
    : `webhook:${config.DELIVERY_WEBHOOK_URL ?? ''}`
}

/** Slots booked per call to the limiter: about a fifth of a second's worth. */
function blockSize(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond / 5))
}

/** The bucket's size: a tenth of a second's worth of sends (at least one). */
export function burstSize(ratePerSecond: number): number {
  return Math.max(1, Math.floor(ratePerSecond / 10))
}

/**
 * A pace for one consumer batch of at most `budget` sends, drawing its slots from the sender's
 * shared limiter a block at a time (one call per block, not per send), never more than the batch
 * can use: a batch that books slots it does not send would slow the sender down.
 *
 * A send goes out within the bucket's reach of its slot or not on that slot at all: a slot already
 * further behind than `burst` intervals (this consumer was held up, or its isolate stalled while
 * waiting) is given up and a fresh one booked, so a consumer that falls behind never fires its
 * stale slots together with the slots other consumers are sending on now.
 */
export function createSharedPacer(
  limiter: DurableObjectNamespace<SendRateLimiter>,
  sender: string,
  ratePerSecond: number,
  budget: number,
): Pace {
  const stub = limiter.get(limiter.idFromName(sender))
  const interval = 1000 / ratePerSecond
  const burst = burstSize(ratePerSecond)
  const reach = burst * interval
  let remaining = budget
  let slots: number[] = []
  let booking: Promise<void> | null = null
  const book = async () => {
    const count = Math.max(1, Math.min(remaining, blockSize(ratePerSecond)))
    remaining -= count
    const start = await stub.reserve(count, interval, burst)
    slots.push(...Array.from({ length: count }, (_, i) => start + i * interval))
  }
  const nextSlot = async (): Promise<number> => {
    for (;;) {
      const stale = slots.filter((slot) => slot < Date.now() - reach).length
      if (stale > 0) {
        slots = slots.slice(stale)
        remaining += stale
      }
      if (slots.length > 0) return slots.shift()!
      booking ??= book().finally(() => (booking = null))
      await booking
    }
  }
  return async () => {
    for (;;) {
      const slot = await nextSlot()
      const wait = slot - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (Date.now() - slot <= reach) return
      remaining += 1
    }
  }
}
