import { describe, expect, it } from 'vitest'
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_MESSAGES, queueBatches } from '../../src/lib/chunks'

const bytesOf = (batch: unknown[]) =>
  batch.reduce<number>((sum, m) => sum + new TextEncoder().encode(JSON.stringify(m)).byteLength, 0)

describe('queue batches', () => {
  it('keeps every message, in order, at most 100 a batch', () => {
    const messages = Array.from({ length: 250 }, (_, i) => ({ i }))
    const batches = queueBatches(messages)
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50])
    expect(batches.flat()).toEqual(messages)
  })

  it('splits long texts by their bytes in UTF-8, so no batch passes what a queue takes', () => {
    // A hundred replies of 2,500 characters, each three bytes in UTF-8: 750 KB in all.
    const messages = Array.from({ length: 100 }, (_, i) => ({ i, text: '€'.repeat(2_500) }))
    const batches = queueBatches(messages)
    expect(batches.length).toBeGreaterThan(3)
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(QUEUE_BATCH_MESSAGES)
      expect(bytesOf(batch)).toBeLessThanOrEqual(QUEUE_BATCH_BYTES)
    }
    expect(batches.flat()).toEqual(messages)
  })

  it('sends a message larger than a batch’s bytes alone, and nothing for no messages', () => {
    const large = { text: 'x'.repeat(QUEUE_BATCH_BYTES + 1) }
    expect(queueBatches([{ a: 1 }, large, { b: 2 }])).toEqual([[{ a: 1 }], [large], [{ b: 2 }]])
    expect(queueBatches([])).toEqual([])
  })
})
