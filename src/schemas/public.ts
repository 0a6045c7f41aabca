import { z } from 'zod'
import { integerInQuery, queryInteger } from '../lib/pagination'
import { canonicalCode, CODE_MAX_LENGTH, CODE_MIN_LENGTH, CODE_PATTERN } from '../lib/codes'
import { QR_ERROR_LEVELS, QR_STYLES } from '../lib/qr'

/**
 * A code the product can issue, generated or custom, in its stored (lower-case) form. Only the
 * checks that cost nothing: whether the code exists is D1's to say, and a path that cannot be a
 * code never reaches it.
 */
export const InviteCodeSchema = z
  .string()
  .min(CODE_MIN_LENGTH)
  .max(CODE_MAX_LENGTH)
  .regex(CODE_PATTERN)
  .transform(canonicalCode)

/** `:code` of every public route keyed by a code: landing page, join, QR codes. */
export const CodeParamSchema = z.object({ code: InviteCodeSchema })

/** Landing page query: both optional, and a wrong value falls back rather than failing. */
export const LandingQuerySchema = z.object({
  via: z.enum(['qr', 'link']).catch('link').default('link'),
  lang: z.enum(['de', 'en']).optional().catch(undefined),
})

export const HexColor = z
  .string()
  .regex(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i, 'A hex colour such as 1a1a1a or #fff')
  .transform((value) => {
    const hex = value.replace('#', '').toLowerCase()
    return hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex
  })

/**
 * QR image options. Those left out come from the link's saved design (or black on white); the
 * colours are checked for contrast once merged with it, since one alone says nothing.
 */
export const QrQuerySchema = z.strictObject({
  size: queryInteger(64, 2048, 512).describe('PNG width and height in pixels'),
  margin: integerInQuery(0, 16).optional().describe('Quiet zone in modules'),
  level: z.enum(QR_ERROR_LEVELS).optional().describe('Error correction: L, M, Q or H'),
  style: z.enum(QR_STYLES).optional().describe('Module shape: square, dots or rounded'),
  fg: HexColor.optional(),
  bg: HexColor.optional(),
  v: z
    .string()
    .regex(/^[0-9a-z]{1,16}$/)
    .optional()
    .describe(
      'A version tag of the design: a new one is a new URL, so no cache shows an old image',
    ),
  download: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
})
