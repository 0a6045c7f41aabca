import { z } from 'zod'
import { canonicalCode, CODE_MAX_LENGTH, CODE_MIN_LENGTH, CODE_PATTERN } from '../lib/codes'
import { contrastRatio, QR_ERROR_LEVELS, relativeLuminance } from '../lib/qr'

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

export const MIN_QR_CONTRAST = 4.5

const HexColor = z
  .string()
  .regex(/^#?([0-9a-f]{3}|[0-9a-f]{6})$/i, 'A hex colour such as 1a1a1a or #fff')
  .transform((value) => {
    const hex = value.replace('#', '').toLowerCase()
    return hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex
  })

export const QrQuerySchema = z
  .strictObject({
    size: z.coerce
      .number()
      .int()
      .min(64)
      .max(2048)
      .default(512)
      .describe('PNG width and height in pixels'),
    margin: z.coerce.number().int().min(0).max(16).default(4).describe('Quiet zone in modules'),
    level: z.enum(QR_ERROR_LEVELS).default('M').describe('Error correction: L, M, Q or H'),
    fg: HexColor.default('000000'),
    bg: HexColor.default('ffffff'),
    download: z
      .enum(['0', '1', 'true', 'false'])
      .optional()
      .transform((v) => v === '1' || v === 'true'),
  })
  .refine(
    ({ fg, bg }) =>
      relativeLuminance(fg) < relativeLuminance(bg) && contrastRatio(fg, bg) >= MIN_QR_CONTRAST,
    {
      message: `Scanners need a dark foreground on a light background with a contrast of at least ${MIN_QR_CONTRAST}:1`,
      path: ['fg'],
    },
  )
