import type { Database } from '../db/client'
import { deadLetters } from '../db/schema'
import { chunks } from '../lib/chunks'

/**
 * Keeps a batch's dead letters, all of them in one D1 batch, so that a failed write, retried,
 * keeps none twice. Twenty rows a statement keeps each within D1's bound parameters.
 */
export async function keepDeadLetters(
  db: Database,
  letters: Array<typeof deadLetters.$inferInsert>,
): Promise<void> {
  const [first, ...rest] = chunks(letters, 20).map((chunk) => db.insert(deadLetters).values(chunk))
  if (first) await db.batch([first, ...rest])
}
