import { createDb } from '../db/client'
import { loadConfig } from '../lib/config'
import { InboundItemSchema } from '../platforms/whatsapp/schemas'
import { applyInboundItem } from '../services/whatsapp-inbound'
import { deliveriesOfStatuses, NOT_RECORDED_YET } from '../services/whatsapp-statuses'
import { logError, logInfo } from '../lib/log'

export const INBOUND_QUEUE_NAME = 'community-growth-whatsapp-inbound'

/**
 * How often a status whose message is not recorded yet is tried (its queue message's attempts),
 * and how long it waits after each try, times the tries so far: 3, 6 and 9 s, 18 s in all, far
 * longer than a sender's batch takes to record what Meta accepted. Fewer tries than the
 * consumer's `max_retries`, so the last one is acknowledged, as a status of no message of ours.
 */
export const STATUS_TRIES = 4
const STATUS_WAIT_SECONDS = 3

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
        message.retry({ delaySeconds: STATUS_WAIT_SECONDS * message.attempts })
      } else message.ack()
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: 10 })
    }
  }
  if (Object.keys(outcomes).length > 0) logInfo({ job: 'whatsapp-inbound', outcomes })
}
