/**
 * Ids per statement when a list is bound: D1 binds at most 100 values per statement, and the
 * statement's other conditions need a few of them.
 */
export const ID_CHUNK = 90

/** The items in runs of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
