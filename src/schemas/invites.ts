import { z } from '@hono/zod-openapi'
import type { Invite } from '../db/schema'
import { idPattern } from '../lib/ids'
import { INVITE_STATUSES, inviteStatus } from '../services/invites'
import { TimestampSchema, userText } from './common'

/** A link's own name in the dashboard. */
export const InviteLabelSchema = userText(100).min(1)
/** Where a link is shared: source, medium, campaign. */
export const TagSchema = userText(64).min(1)

const FutureTimestamp = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), 'Must be in the future')
  .transform((value) => new Date(value))
  .openapi({ type: 'string', format: 'date-time', example: '2027-01-31T23:59:59Z' })

const MaxUses = z.number().int().min(1).max(1_000_000)

export const CreateInviteSchema = z
  .strictObject({
    label: InviteLabelSchema.optional().openapi({ example: 'Instagram bio' }),
    groupId: z
      .string()
      .regex(idPattern('grp'), 'Not a grp_ id')
      .optional()
      .describe('Land on this group rather than the whole community'),
    source: TagSchema.optional().openapi({ example: 'instagram' }),
    medium: TagSchema.optional().openapi({ example: 'social' }),
    campaign: TagSchema.optional().openapi({ example: 'spring-2027' }),
    maxUses: MaxUses.optional().describe('Joins allowed through this link'),
    expiresAt: FutureTimestamp.optional(),
  })
  .openapi('CreateInvite')

export const UpdateInviteSchema = z
  .strictObject({
    label: InviteLabelSchema.nullable(),
    maxUses: MaxUses.nullable(),
    expiresAt: FutureTimestamp.nullable(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'Send at least one field to change')
  .openapi('UpdateInvite')

export const InviteSchema = z
  .object({
    id: z.string().openapi({ example: 'inv_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    groupId: z.string().nullable(),
    code: z.string().openapi({ example: 'k7mq2xw9fhd3p' }),
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
    status: z.enum(INVITE_STATUSES),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Invite')

export function inviteUrls(baseUrl: string, code: string) {
  const url = `${baseUrl}/i/${code}`
  return { url, qrSvgUrl: `${url}/qr.svg`, qrPngUrl: `${url}/qr.png` }
}

export function serializeInvite(
  invite: Invite,
  baseUrl: string,
  now: Date,
): z.infer<typeof InviteSchema> {
  return {
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
    status: inviteStatus(invite, now),
    createdAt: invite.createdAt.toISOString(),
    updatedAt: invite.updatedAt.toISOString(),
  }
}
