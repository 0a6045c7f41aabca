import { z } from '@hono/zod-openapi'
import { TOKEN_ROLES, type ApiToken } from '../db/schema'
import { idPattern } from '../lib/ids'
import { NameSchema, TimestampSchema } from './common'

export const CreateTokenSchema = z
  .strictObject({
    name: NameSchema.openapi({ example: 'Marketing team' }),
    role: z.enum(TOKEN_ROLES),
    communityId: z.string().regex(idPattern('cmt'), 'Not a cmt_ id').optional(),
    groupId: z.string().regex(idPattern('grp'), 'Not a grp_ id').optional(),
  })
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
  }
}
