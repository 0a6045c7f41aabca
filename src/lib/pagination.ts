import { z } from '@hono/zod-openapi'

/** One page of a listing. Ids sort by creation time, so the last id is the next cursor. */
export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

export const PaginationQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ description: 'Items per page (1-100)', example: 20 }),
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
