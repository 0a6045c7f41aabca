import { createDb } from '../db/client'
import { recordVisits, VisitMessageSchema, type VisitMessage } from '../services/visits'

export const VISITS_QUEUE_NAME = 'community-growth-visits'

/** The Worker's queue consumer: each queue's batches go to the job that owns them. */
export async function handleQueue(
  batch: MessageBatch,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  switch (batch.queue) {
    case VISITS_QUEUE_NAME:
      return writeVisits(batch, env)
    default:
      console.error(JSON.stringify({ queue: batch.queue, error: 'no consumer for this queue' }))
      batch.retryAll()
  }
}

/**
 * Landing views, up to 100 at a time, written in one D1 batch. A message that does not parse is
 * logged and dropped (retrying cannot fix it); a failed write is retried as a whole.
 */
async function writeVisits(batch: MessageBatch, env: Env): Promise<void> {
  const valid: VisitMessage[] = []
  for (const message of batch.messages) {
    const parsed = VisitMessageSchema.safeParse(message.body)
    if (parsed.success) valid.push(parsed.data)
    else console.error(JSON.stringify({ queue: batch.queue, id: message.id, error: 'malformed visit dropped' }))
  }
  try {
    await recordVisits(createDb(env.DB), valid)
    batch.ackAll()
  } catch (error) {
    console.error(JSON.stringify({ queue: batch.queue, error: String(error) }))
    batch.retryAll({ delaySeconds: 5 })
  }
}
