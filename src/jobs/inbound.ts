import { createDb } from '../db/client'
import { loadConfig, type Config } from '../lib/config'
import { InboundItemSchema } from '../platforms/whatsapp/schemas'
import { channelTimeoutMs } from '../services/channels'
import { applyInboundItem } from '../services/whatsapp-inbound'
import { deliveriesOfStatuses, NOT_RECORDED_YET } from '../services/whatsapp-statuses'
import { logError, logInfo } from '../lib/log'

export const INBOUND_QUEUE_NAME = 'community-growth-whatsapp-inbound'

/**
 * How often a status whose message is not recorded yet is tried (its queue message's attempts).
 * Fewer tries than the consumer's `max_retries`, so the last one is acknowledged, as a status
 * of no message of ours.
 */
export const STATUS_TRIES = 4

/** The most sends of one batch of the deliveries' consumer (its `max_batch_size`). */
const SENDS_PER_BATCH = 50

/**
 * How long a status whose message is not recorded yet waits before its next try. The sender
 * records a batch's message ids once its last send is answered: a batch takes its sends at the
 * configured pace, and its last answer may take the channel's whole timeout. So a short wait
 * first (most such statuses come from a batch about to finish), then as long as the longest
 * batch, then twice that: 3, 33 and 66 s at the default pace and timeout, about three times
 * what the longest batch takes. At most the 12 hours a queue lets a message wait.
 */
function statusWaitSeconds(config: Config, attempts: number): number {
  const pacing = SENDS_PER_BATCH / config.DELIVERY_RATE_PER_SECOND
  const longestBatch = Math.ceil(pacing + channelTimeoutMs(config) / 1000)
  const wait = attempts <= 1 ? Math.max(3, Math.ceil(pacing)) : longestBatch * (attempts - 1)
  return Math.min(43_200, wait)
}

/**
 * WhatsApp's notifications, applied one at a time in the order they were queued (the deliveries
 * their statuses are about read ahead in one statement). An item that
 * does not parse is dropped (retrying cannot fix it); one that fails is retried on its own, as is
 * a status that came before the send it is about was recorded (`STATUS_TRIES`).
 * What the batch did is logged once, as counts by kind and outcome: a broadcast's statuses
 * arrive by the thousand, Workers Logs counts every line, and locally (`wrangler dev`) a line
 * per status cost more CPU than applying the status did.
 */
export async function applyInbound(batch: MessageBatch, env: Env): Promise<void> {
  const db = createDb(env.DB)
  const deps = { config: loadConfig(env), deliveryQueue: env.DELIVERY_QUEUE }
  const outcomes: Record<string, number> = {}
  const parsedItems = batch.messages.map((message) => InboundItemSchema.safeParse(message.body))
  // The statuses' deliveries read in one go; each item is still applied, and acknowledged, alone.
  const lookup = await deliveriesOfStatuses(
    db,
    parsedItems.flatMap((parsed) => (parsed.success ? [parsed.data] : [])),
  )
  for (const [i, message] of batch.messages.entries()) {
    const parsed = parsedItems[i]!
    if (!parsed.success) {
      logError({ queue: batch.queue, id: message.id }, 'malformed item')
      message.ack()
      continue
    }
    try {
      const outcome = await applyInboundItem(db, deps, parsed.data, new Date(), lookup)
      const waited = outcome === NOT_RECORDED_YET && message.attempts >= STATUS_TRIES
      const key = `${parsed.data.kind}:${waited ? 'unknown' : outcome}`
      outcomes[key] = (outcomes[key] ?? 0) + 1
      if (outcome === NOT_RECORDED_YET && !waited) {
        message.retry({ delaySeconds: statusWaitSeconds(deps.config, message.attempts) })
      } else message.ack()
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: 10 })
    }
  }
  if (Object.keys(outcomes).length > 0) logInfo({ job: 'whatsapp-inbound', outcomes })
}
