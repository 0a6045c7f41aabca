import { z } from '@hono/zod-openapi'

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
  return z
    .preprocess(
      (value) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value),
      z.number().int().min(min).max(max),
    )
    .default(fallback)
}

export const PaginationQuerySchema = z.strictObject({
  limit: queryInteger(1, 100, 20).openapi({ description: 'Items per page (1-100)', example: 20 }),
  cursor: z
    .string()
    .regex(/^[a-z]{2,4}_[0-9a-z]{26}$/, 'Not a cursor returned by this API')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page' }),
})

/** Query services fetch `limit + 1` rows; the extra row tells whether another page exists. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit)
  const nextCursor = rows.length > limit ? (data[data.length - 1]?.id ?? null) : null
  return { data, nextCursor }
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() })
}
