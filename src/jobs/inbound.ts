import { createDb } from '../db/client'
import { loadConfig } from '../lib/config'
import { InboundItemSchema } from '../platforms/whatsapp/schemas'
import { applyInboundItem } from '../services/whatsapp-inbound'
import { logError, logInfo } from '../lib/log'

export const INBOUND_QUEUE_NAME = 'community-growth-whatsapp-inbound'

/**
 * WhatsApp's notifications, applied one at a time in the order they were queued. An item that
 * does not parse is dropped (retrying cannot fix it); one that fails is retried on its own.
 */
export async function applyInbound(batch: MessageBatch, env: Env): Promise<void> {
  const db = createDb(env.DB)
  const deps = { config: loadConfig(env), deliveryQueue: env.DELIVERY_QUEUE }
  for (const message of batch.messages) {
    const parsed = InboundItemSchema.safeParse(message.body)
    if (!parsed.success) {
      logError({ queue: batch.queue, id: message.id }, 'malformed item')
      message.ack()
      continue
    }
    try {
      const outcome = await applyInboundItem(db, deps, parsed.data, new Date())
      logInfo({ job: 'whatsapp-inbound', kind: parsed.data.kind, outcome })
      message.ack()
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: 10 })
    }
  }
}
