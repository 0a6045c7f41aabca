import { z } from '@hono/zod-openapi'
import type { IdPrefix } from './ids'

/** One page of a listing. Ids sort by creation time, so the last id is the next cursor. */
export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

/**
 * An integer query parameter, written as one (`20`, not `2e1`, ` 20` or `0x14`): what a client
 * generated from the document sends, and nothing the document does not call an integer.
 */
export function queryInteger(min: number, max: number, fallback: number) {
  return integerInQuery(min, max).default(fallback)
}

/** `queryInteger` for a parameter that may be left out and has no default. */
export function integerInQuery(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value),
    // What reaches the number check as text was not written as an integer (`1e1`, `+5`).
    z
      .number({ error: `An integer from ${min} to ${max}, written in digits` })
      .int()
      .min(min)
      .max(max),
  )
}

/**
 * The `cursor` query parameter: the `nextCursor` of a previous page, which is the last item's id,
 * or for a listing ordered by several ids those ids joined by `~`, one per kind given. Anything
 * else, a cursor of another listing included, was not made by this listing and is refused (400)
 * before any query runs: an id of another kind would sort somewhere meaningless among these.
 */
export function cursorQuery(...kinds: [IdPrefix, ...IdPrefix[]]) {
  const pattern = new RegExp(`^${kinds.map((kind) => `${kind}_[0-9a-z]{26}`).join('~')}$`)
  return z
    .string()
    .regex(pattern, 'Not a cursor returned by this API')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page' })
}

/** `limit` and `cursor` of a listing of one kind of item, paged by their ids. */
export function paginationQuery(kind: IdPrefix) {
  return z.strictObject({
    limit: queryInteger(1, 100, 20).openapi({ description: 'Items per page (1-100)', example: 20 }),
    cursor: cursorQuery(kind),
  })
}

/** Query services fetch `limit + 1` rows; the extra row tells whether another page exists. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit)
  const nextCursor = rows.length > limit ? (data[data.length - 1]?.id ?? null) : null
  return { data, nextCursor }
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() })
}
