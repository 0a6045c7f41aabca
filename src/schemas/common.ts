import { z } from '@hono/zod-openapi'
import { idPattern, type IdPrefix } from '../lib/ids'
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../lib/slug'

/** A path parameter holding one kind of id; anything else is a 404 before any query runs. */
export function idParam<N extends string = 'id'>(prefix: IdPrefix, name: N = 'id' as N) {
  const schema = z
    .string()
    .regex(idPattern(prefix), `Not a ${prefix}_ id`)
    .openapi({ param: { name, in: 'path' }, example: `${prefix}_01jd0000000000000000000000` })
  return z.object({ [name]: schema } as { [K in N]: typeof schema })
}

export const HttpsUrlSchema = z
  .url({ protocol: /^https$/, error: 'Must be an https URL' })
  .max(2048)

export const NameSchema = z.string().trim().min(1).max(100)
export const DescriptionSchema = z.string().trim().max(500)
export const SlugSchema = z
  .string()
  .min(3)
  .max(SLUG_MAX_LENGTH)
  .regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens only')
  .openapi({ example: 'berlin-runners' })

export const TimestampSchema = z.iso.datetime().openapi({ example: '2026-11-24T09:00:00.000Z' })
