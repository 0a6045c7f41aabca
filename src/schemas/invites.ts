import { z } from '@hono/zod-openapi'
import type { Invite } from '../db/schema'
import {
  CODE_MAX_LENGTH,
  CODE_MIN_LENGTH,
  CODE_PATTERN,
  canonicalCode,
  customCodeProblem,
  type CustomCodeProblem,
} from '../lib/codes'
import { idPattern } from '../lib/ids'
import { INVITE_STATUSES, inviteStatus } from '../services/invite-status'
import { BULK_LINKS_MAX } from '../services/invites-bulk'
import { DATE_TIME_PATTERN, TimestampSchema, userText } from './common'
import { HexColor } from './public'
import { QR_ERROR_LEVELS, QR_STYLES } from '../lib/qr'
import type { InviteQrDesign } from '../db/schema'
import {
  DEFAULT_QR_DESIGN,
  MAX_LOGO_BYTES,
  MAX_LOGO_SIDE,
  MIN_QR_CONTRAST,
} from '../services/qr-designs'

/** A link's own name in the dashboard. */
export const InviteLabelSchema = userText(100, { required: true })
/** Where a link is shared: source, medium, campaign. */
export const TagSchema = userText(64, { required: true })

const FutureTimestamp = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), 'Must be in the future')
  .transform((value) => new Date(value))
  .openapi({
    type: 'string',
    format: 'date-time',
    pattern: DATE_TIME_PATTERN,
    example: '2027-01-31T23:59:59Z',
  })

const GroupIdSchema = z.string().regex(idPattern('grp'), 'Not a grp_ id')
const InviteIdSchema = z.string().regex(idPattern('inv'), 'Not an inv_ id')

const FALLBACK_TEXT =
  'Another campaign link of this community that lets people in now (not a member’s personal ' +
  'link, not this one): once this link has expired or is used up, its page offers that ' +
  'link’s page, or, where that one ended too, the first that lets people in along the ' +
  'fallbacks they name (up to five). A link withdrawn or archived leads nowhere and stops the ' +
  'way on; giving a link a new code (`rotate`, or `code` here) clears it as the fallback of others.'

const MaxUses = z.number().int().min(1).max(1_000_000)

/** What the API says about a refused custom code; the dashboard says it in its own words. */
const CUSTOM_CODE_MESSAGES: Record<CustomCodeProblem, string> = {
  length: `${CODE_MIN_LENGTH} to ${CODE_MAX_LENGTH} characters`,
  characters: 'Letters, digits and single dashes between them only',
  reserved: 'This word is reserved',
}

/**
 * A custom code as asked for: checked for shape and reserved words here, for being free by D1
 * when the link is written. Comes out lower case, the one form codes are stored in.
 */
export const CustomCodeSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = customCodeProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: CUSTOM_CODE_MESSAGES[problem] })
  })
  .transform(canonicalCode)
  .openapi({
    type: 'string',
    minLength: CODE_MIN_LENGTH,
    maxLength: CODE_MAX_LENGTH,
    pattern: CODE_PATTERN.source,
    example: 'summer-run',
  })

export const CreateInviteSchema = z
  .strictObject({
    label: InviteLabelSchema.optional().openapi({ example: 'Instagram bio' }),
    groupId: GroupIdSchema.optional().describe(
      'Land on this group rather than the whole community',
    ),
    source: TagSchema.optional().openapi({ example: 'instagram' }),
    medium: TagSchema.optional().openapi({ example: 'social' }),
    campaign: TagSchema.optional().openapi({ example: 'spring-2027' }),
    maxUses: MaxUses.optional().describe('Joins allowed through this link'),
    expiresAt: FutureTimestamp.optional(),
    fallbackInviteId: InviteIdSchema.optional().describe(FALLBACK_TEXT),
    code: CustomCodeSchema.optional().describe(
      'A custom code (vanity slug) instead of a random one: the link becomes `/i/{code}`. ' +
        `${CODE_MIN_LENGTH} to ${CODE_MAX_LENGTH} letters, digits and single dashes between ` +
        'them. Case-insensitive: stored and answered in lower case. Reserved words (paths of ' +
        'this app such as `admin`, `api`, `join`, `qr`, and words that look official such as ' +
        '`login`, `support`, `whatsapp`) are refused with 400 `validation_failed`. A code any ' +
        'link has ever had, including one retired by a rotation, is answered with 409 ' +
        '`code_taken`. Without it, the link gets a random 13-character code.',
    ),
  })
  .openapi('CreateInvite')

export const CreateInvitesSchema = z
  .strictObject({
    links: z
      .array(CreateInviteSchema)
      .min(1)
      .max(BULK_LINKS_MAX)
      .describe(`1 to ${BULK_LINKS_MAX} links, made in this order, all or none`),
  })
  .openapi('CreateInvites')

const HEX_COLOUR_PATTERN = '^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$'
const QrLevelSchema = z.enum(QR_ERROR_LEVELS)
const QrStyleSchema = z.enum(QR_STYLES)

export const QrDesignInputSchema = z
  .strictObject({
    fg: HexColor.describe('Foreground: a hex colour, darker than the background').openapi({
      type: 'string',
      pattern: HEX_COLOUR_PATTERN,
      example: '1d3557',
    }),
    bg: HexColor.describe('Background: a hex colour').openapi({
      type: 'string',
      pattern: HEX_COLOUR_PATTERN,
      example: 'f1faee',
    }),
    margin: z.number().int().min(0).max(16).default(4).describe('Quiet zone in modules'),
    level: QrLevelSchema.default('M').describe(
      'Error correction; H is used whenever there is a logo',
    ),
    style: QrStyleSchema.default('square').describe(
      'Module shape; the three finder patterns stay square',
    ),
    logoPng: z
      .base64()
      .max(Math.ceil((MAX_LOGO_BYTES * 4) / 3) + 4)
      .openapi({ pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' })
      .nullable()
      .optional()
      .describe(
        `A logo for the middle: a PNG (8 bits per channel, at most ${MAX_LOGO_SIDE} by ${MAX_LOGO_SIDE} pixels, ${MAX_LOGO_BYTES / 1024} KB), base64-encoded. SVG and other formats are refused. \`null\` removes the logo; left out, the saved one stays.`,
      ),
  })
  .openapi('QrDesignInput')

export const QrDesignSchema = z
  .object({
    fg: z.string(),
    bg: z.string(),
    margin: z.number().int(),
    level: QrLevelSchema,
    style: QrStyleSchema,
    hasLogo: z.boolean(),
    updatedAt: TimestampSchema.nullable().describe('Null: never designed, black on white'),
  })
  .openapi('QrDesign')

export const UpdateInviteSchema = z
  .strictObject({
    label: InviteLabelSchema.nullable(),
    groupId: GroupIdSchema.nullable().describe('A group of this community, or null for all of it'),
    source: TagSchema.nullable(),
    medium: TagSchema.nullable(),
    campaign: TagSchema.nullable(),
    maxUses: MaxUses.nullable().describe('Not below the link’s uses so far'),
    // The type FutureTimestamp states for its output (a Date) would hide the null.
    expiresAt: FutureTimestamp.nullable().openapi({
      type: ['string', 'null'],
      description: 'When the link stops working, in the future; `null` clears the expiry',
    }),
    fallbackInviteId: InviteIdSchema.nullable().describe(`${FALLBACK_TEXT} \`null\`: none.`),
    qrDesign: QrDesignInputSchema.nullable().describe(
      'The design its QR URLs serve: colours (a dark foreground on a light background with a ' +
        `WCAG contrast of at least ${MIN_QR_CONTRAST}:1, else 400 naming \`qrDesign.fg\`), margin, error ` +
        'correction, module style and a logo. `null` goes back to black on white.',
    ),
    code: CustomCodeSchema.describe(
      'A new custom code. The old code answers 410 from then on and is never issued again, so ' +
        'printed QR codes of the old code stop working. A code any link has or had: 409 `code_taken`.',
    ),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'Send at least one field to change')
  .openapi('UpdateInvite', { minProperties: 1 })

export const InviteSchema = z
  .object({
    id: z.string().openapi({ example: 'inv_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    groupId: z.string().nullable(),
    code: z.string().openapi({
      example: 'k7mq2xw9fhd3p',
      description: 'Random (13 characters) or custom; always lower case',
    }),
    url: z.string().describe('The link to share'),
    qrSvgUrl: z.string(),
    qrPngUrl: z.string(),
    label: z.string().nullable(),
    source: z.string().nullable(),
    medium: z.string().nullable(),
    campaign: z.string().nullable(),
    referrerMemberId: z.string().nullable().describe('Set on a member’s personal referral link'),
    maxUses: z.number().int().nullable(),
    uses: z.number().int(),
    expiresAt: TimestampSchema.nullable(),
    revokedAt: TimestampSchema.nullable(),
    archivedAt: TimestampSchema.nullable().describe(
      'Set while the link is archived: hidden from the default list and refusing joins',
    ),
    status: z.enum(INVITE_STATUSES),
    fallbackInviteId: z
      .string()
      .nullable()
      .describe('The link its page offers once it has expired or is used up'),
    chatInviteUrl: z
      .string()
      .nullable()
      .optional()
      .describe(
        'Telegram only: the chat’s own invite link behind this one (the landing page’s Join ' +
          'button leads there); null while Telegram has not made it yet',
      ),
    telegramLinkStatus: z
      .enum(['pending', 'active', 'failed'])
      .optional()
      .describe(
        'Telegram only: `pending` until Telegram made the chat’s invite link; `failed` when ' +
          'Telegram kept refusing it (see `telegramLinkError`): tried again once the chat is ' +
          'fixed (the group linked again, or the bot given back its rights there)',
      ),
    telegramLinkError: z
      .string()
      .nullable()
      .optional()
      .describe('Telegram only: what Telegram last answered when making the link failed'),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Invite')

export const InviteListQuerySchema = z.strictObject({
  archived: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .openapi({ description: '`true` lists the archived links only; without it, the others' }),
})

/** A copy of a link for another channel: its settings with a source (and code) of its own. */
export const DuplicateInviteSchema = z
  .strictObject({
    source: TagSchema.openapi({ example: 'flyer' }),
    label: InviteLabelSchema.nullable().optional().describe('Without it, the original’s label'),
    code: CustomCodeSchema.optional().describe('A custom code; without it, a random one'),
  })
  .openapi('DuplicateInvite')
/** A link's Telegram invite link, as the invite's JSON shows it (links on Telegram only). */
export interface TelegramLinkView {
  chatInviteUrl: string | null
  telegramLinkStatus: 'pending' | 'active' | 'failed'
  telegramLinkError: string | null
}

export function inviteUrls(baseUrl: string, code: string) {
  const url = `${baseUrl}/i/${code}`
  return { url, qrSvgUrl: `${url}/qr.svg`, qrPngUrl: `${url}/qr.png` }
}

export function serializeInvite(
  invite: Invite,
  baseUrl: string,
  now: Date,
  telegram?: TelegramLinkView,
): z.infer<typeof InviteSchema> {
  return {
    ...telegram,
    id: invite.id,
    communityId: invite.communityId,
    groupId: invite.groupId,
    code: invite.code,
    ...inviteUrls(baseUrl, invite.code),
    label: invite.label,
    source: invite.source,
    medium: invite.medium,
    campaign: invite.campaign,
    referrerMemberId: invite.referrerMemberId,
    maxUses: invite.maxUses,
    uses: invite.uses,
    expiresAt: invite.expiresAt?.toISOString() ?? null,
    revokedAt: invite.revokedAt?.toISOString() ?? null,
    archivedAt: invite.archivedAt?.toISOString() ?? null,
    status: inviteStatus(invite, now),
    fallbackInviteId: invite.fallbackInviteId,
    createdAt: invite.createdAt.toISOString(),
    updatedAt: invite.updatedAt.toISOString(),
  }
}

export function serializeQrDesign(design: InviteQrDesign | null): z.infer<typeof QrDesignSchema> {
  const shown = design ?? DEFAULT_QR_DESIGN
  return {
    fg: shown.fg,
    bg: shown.bg,
    margin: shown.margin,
    level: shown.level,
    style: shown.style,
    hasLogo: Boolean(design?.logoPng),
    updatedAt: design?.updatedAt.toISOString() ?? null,
  }
}
