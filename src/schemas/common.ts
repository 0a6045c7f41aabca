import { z } from '@hono/zod-openapi'
import { idPattern, type IdPrefix } from '../lib/ids'
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../lib/slug'
import { cleanText } from '../lib/text'

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

/**
 * Every free-text field people or admins send (names, descriptions, answers, labels, texts):
 * cleaned by `cleanText` (NFC, no bidi or control characters; line breaks kept only when
 * `multiline`), trimmed, then held to `max` characters. It stays a string schema, so callers
 * add `.min()`, `.optional()` or documentation as for any other.
 */
export function userText(max: number, options: { multiline?: boolean } = {}) {
  return z
    .string()
    .overwrite((value) => cleanText(value, options))
    .trim()
    .max(max)
}

export const NameSchema = userText(100).min(1)
export const DescriptionSchema = userText(500, { multiline: true })
export const SlugSchema = z
  .string()
  .min(3)
  .max(SLUG_MAX_LENGTH)
  .regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens only')
  .openapi({ example: 'berlin-runners' })

export const TimestampSchema = z.iso.datetime().openapi({ example: '2026-11-24T09:00:00.000Z' })

/** An IANA time zone name the runtime knows. The issue names its problem for the forms' words. */
export const TimeZoneSchema = z
  .string()
  .max(64)
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone })
        return true
      } catch {
        return false
      }
    },
    { message: 'Not an IANA time zone, e.g. Europe/Berlin', params: { problem: 'timeZone' } },
  )
