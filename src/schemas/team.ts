import { z } from '@hono/zod-openapi'
import {
  AUDIT_ACTIONS,
  TEAM_ROLES,
  TOKEN_ROLES,
  type ApiToken,
  type AuditEntry,
  type TeamInvitation,
} from '../db/schema'
import { idPattern } from '../lib/ids'
import { paginationQuery } from '../lib/pagination'
import { NameSchema, TimestampSchema } from './common'

/** A teammate's address as Cloudflare Access asserts it: compared lower-cased. */
const TeammateEmailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('Not a valid e-mail address'))
  .transform((value) => value.toLowerCase())
  .describe(
    'The teammate’s e-mail address: behind Cloudflare Access, signing in with it opens this access',
  )
  .openapi({ example: 'ana@example.org' })

export const CreateTeamInvitationSchema = z
  .discriminatedUnion('role', [
    z
      .strictObject({
        name: NameSchema.openapi({ example: 'Ana (ana@example.org)' }),
        role: z.literal('community_admin'),
        email: TeammateEmailSchema.optional(),
      })
      .describe('An admin of this community'),
    z
      .strictObject({
        name: NameSchema.openapi({ example: 'Ben (ben@example.org)' }),
        role: z.literal('group_admin'),
        groupId: z
          .string()
          .regex(idPattern('grp'), 'Not a grp_ id')
          .describe('One of this community’s groups'),
        email: TeammateEmailSchema.optional(),
      })
      .describe('An admin of one of its groups'),
  ])
  .openapi('CreateTeamInvitation')

export const TeamInvitationSchema = z
  .object({
    id: z.string().openapi({ example: 'tin_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    name: z.string().describe('Who it is for, as the inviting admin wrote it'),
    role: z.enum(TEAM_ROLES),
    groupId: z.string().nullable(),
    email: z.string().nullable().describe('The address the teammate’s access will carry'),
    invitedBy: z.string().describe('The name of the token that invited'),
    createdAt: TimestampSchema,
    expiresAt: TimestampSchema,
  })
  .openapi('TeamInvitation')

export const CreatedTeamInvitationSchema = TeamInvitationSchema.extend({
  url: z
    .url()
    .describe(
      'The one-time sign-in link, shown only this once: opening it asks to confirm, confirming signs the teammate in to the dashboard',
    ),
}).openapi('CreatedTeamInvitation')

export const TeammateSchema = z
  .object({
    id: z.string().openapi({ example: 'tok_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    name: z.string(),
    role: z.enum(TOKEN_ROLES),
    groupId: z.string().nullable(),
    email: z.string().nullable().describe('The address that signs in through Cloudflare Access'),
    emailSetBy: z
      .string()
      .nullable()
      .describe(
        'Who gave the token its address, when someone other than the teammate did ("owner" for ' +
          'the bootstrap owner): the audit log names them next to what sessions opened through ' +
          'that address do. Null for the teammate’s own address or the one their invitation carried',
      ),
    createdAt: TimestampSchema,
    lastUsedAt: TimestampSchema.nullable().describe(
      'When the token or a dashboard session of it was last used, to the minute; null if never',
    ),
  })
  .openapi('Teammate')

export const UpdateTeammateSchema = z
  .strictObject({
    email: TeammateEmailSchema.nullable().describe(
      'The address that signs in through Cloudflare Access; null removes it',
    ),
  })
  .openapi('UpdateTeammate')

export const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ example: 'aud_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    at: TimestampSchema,
    action: z.enum(AUDIT_ACTIONS),
    actorTokenId: z.string().nullable().describe('The token that acted; null for the owner'),
    actorName: z.string().describe('Its name at the time; "owner" for the bootstrap owner'),
    actorLinkMadeBy: z
      .string()
      .nullable()
      .describe(
        'Who made the sign-in link the actor’s dashboard session started from, when someone ' +
          'else did (they held that link too); null otherwise',
      ),
    targetId: z.string().nullable().describe('What was acted on, when it has an id'),
    detail: z
      .string()
      .nullable()
      .describe(
        'What the entry adds to its action: a rejection’s reason, as the person was told it; ' +
          'the Telegram chat a group was linked to. Null otherwise',
      ),
  })
  .openapi('AuditEntry')

export const AuditQuerySchema = paginationQuery('aud').extend({
  action: z.enum(AUDIT_ACTIONS).optional().describe('Only entries of this kind'),
})

export function serializeInvitation(invitation: TeamInvitation) {
  return {
    id: invitation.id,
    communityId: invitation.communityId,
    name: invitation.name,
    role: invitation.role,
    groupId: invitation.groupId,
    email: invitation.email,
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
  }
}

export function serializeTeammate(token: ApiToken): z.infer<typeof TeammateSchema> {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    groupId: token.groupId,
    email: token.email,
    emailSetBy: token.email === null ? null : token.emailSetBy,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  }
}

export function serializeAuditEntry(entry: AuditEntry): z.infer<typeof AuditEntrySchema> {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    action: entry.action,
    actorTokenId: entry.actorTokenId,
    actorName: entry.actorName,
    actorLinkMadeBy: entry.actorLinkMadeBy,
    targetId: entry.targetId,
    detail: entry.detail,
  }
}
