import { getTableColumns, type Table } from 'drizzle-orm'

/**
 * Ids per statement when a list is bound: D1 binds at most 100 values per statement, and the
 * statement's other conditions need a few of them.
 */
export const ID_CHUNK = 90

/**
 * The rows of `table` one INSERT may carry: D1 binds at most 100 values per statement, one per
 * column of each row (counted from the table, so a column added later still fits).
 */
export function rowsPerInsert(table: Table): number {
  return Math.floor(100 / Object.keys(getTableColumns(table)).length)
}

/** The items in runs of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * What one `sendBatch` may carry: at most 100 messages and 256 KB in all. The bytes are counted
 * as the messages' JSON in UTF-8, with room left for the queue's own framing of each.
 */
export const QUEUE_BATCH_MESSAGES = 100
export const QUEUE_BATCH_BYTES = 200 * 1024

/**
 * The messages in runs a queue takes in one `sendBatch`: at most `QUEUE_BATCH_MESSAGES`, and no
 * more than `QUEUE_BATCH_BYTES` of JSON unless a single message is that large alone. Counting
 * messages alone is not enough where they carry what people wrote: a hundred long texts pass the
 * count and fail the batch.
 */
export function queueBatches<T>(messages: readonly T[]): T[][] {
  const encoder = new TextEncoder()
  const out: T[][] = []
  let batch: T[] = []
  let bytes = 0
  for (const message of messages) {
    const size = encoder.encode(JSON.stringify(message)).byteLength
    if (
      batch.length === QUEUE_BATCH_MESSAGES ||
      (batch.length > 0 && bytes + size > QUEUE_BATCH_BYTES)
    ) {
      out.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(message)
    bytes += size
  }
  if (batch.length > 0) out.push(batch)
  return out
}
