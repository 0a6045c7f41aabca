import { z } from '@hono/zod-openapi'
import { TOKEN_ROLES, type ApiToken } from '../db/schema'
import { idPattern } from '../lib/ids'
import { NameSchema, TimestampSchema } from './common'

const TokenNameSchema = NameSchema.openapi({ example: 'Marketing team' })
const CommunityIdSchema = z.string().regex(idPattern('cmt'), 'Not a cmt_ id')
const GroupIdSchema = z.string().regex(idPattern('grp'), 'Not a grp_ id')

/** A token's scope follows from its role, so each role names exactly what it manages. */
export const CreateTokenSchema = z
  .discriminatedUnion('role', [
    z
      .strictObject({ name: TokenNameSchema, role: z.literal('owner') })
      .describe('An owner: the whole installation, no scope'),
    z
      .strictObject({
        name: TokenNameSchema,
        role: z.literal('community_admin'),
        communityId: CommunityIdSchema,
      })
      .describe('An admin of one community'),
    z
      .strictObject({
        name: TokenNameSchema,
        role: z.literal('group_admin'),
        groupId: GroupIdSchema,
        communityId: CommunityIdSchema.optional().describe(
          'When given, it must be the community of `groupId`',
        ),
      })
      .describe('An admin of one group (and reader of its community)'),
  ])
  .openapi('CreateToken')

export const TokenSchema = z
  .object({
    id: z.string().openapi({ example: 'tok_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    name: z.string(),
    role: z.enum(TOKEN_ROLES),
    communityId: z.string().nullable(),
    groupId: z.string().nullable(),
    tokenPrefix: z.string().describe('The first characters of the token, to recognise it by'),
    createdAt: TimestampSchema,
    createdByTokenId: z
      .string()
      .nullable()
      .describe(
        'The token that made this one; a community admin’s tokens are revoked with it, and when ' +
          'it is demoted. Null for a teammate, or made by the bootstrap owner',
      ),
  })
  .openapi('Token')

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().describe('The secret, shown only this once'),
}).openapi('CreatedToken')

export const DemoteAdminSchema = z
  .strictObject({
    groupId: z
      .string()
      .regex(idPattern('grp'), 'Not a grp_ id')
      .optional()
      .describe('The group they administer afterwards; defaults to the one they came from'),
  })
  .openapi('DemoteAdmin')

export function serializeToken(token: ApiToken): z.infer<typeof TokenSchema> {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    communityId: token.communityId,
    groupId: token.groupId,
    tokenPrefix: token.tokenPrefix,
    createdAt: token.createdAt.toISOString(),
    createdByTokenId: token.createdByTokenId,
  }
}
