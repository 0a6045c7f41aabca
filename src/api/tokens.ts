import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { PaginationQuerySchema, pageSchema } from '../lib/pagination'
import { assertCan, ownScope } from '../services/access'
import { createToken, getTokenOrThrow, listTokens, revokeToken } from '../services/tokens'
import { idParam } from '../schemas/common'
import {
  CreatedTokenSchema,
  CreateTokenSchema,
  serializeToken,
  TokenSchema,
} from '../schemas/tokens'
import { getGroupOrThrow } from '../services/groups'
import {
  BODY_PROBLEMS,
  bearerSecurity,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'

export const tokensApi = new OpenAPIHono<AppEnv>()

const tags = ['Tokens']
const TokenParams = idParam('tok')

tokensApi.openapi(
  createRoute({
    method: 'post',
    path: '/tokens',
    operationId: 'createToken',
    tags,
    summary: 'Create an API token',
    description:
      'Owners create any token; a community admin creates admin tokens for their own community. ' +
      'The secret is in `token` in this answer only; just its SHA-256 is stored.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, body: jsonBody(CreateTokenSchema) },
    responses: {
      201: jsonResponse(CreatedTokenSchema, 'The token, with its secret shown once'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], {
        rules: {
          communityId: 'With a `group_admin` token, when given: the community of `groupId`',
        },
        notes: { not_found: 'No community `communityId` or group `groupId`.' },
      }),
    },
  }),
  async (c) => {
    const input = c.req.valid('json')
    // A token is created by whoever could manage what it is scoped to.
    const communityId =
      input.role === 'group_admin'
        ? (await getGroupOrThrow(c.var.db, input.groupId)).communityId
        : input.role === 'community_admin'
          ? input.communityId
          : undefined
    assertCan(
      c.var.principal,
      'tokens.manage',
      input.role === 'owner' || !communityId ? undefined : { communityId },
    )
    const { token, record } = await createToken(c.var.db, input, new Date())
    return c.json({ ...serializeToken(record), token }, 201)
  },
)

tokensApi.openapi(
  createRoute({
    method: 'get',
    path: '/tokens',
    operationId: 'listTokens',
    tags,
    summary: 'List live tokens (owners: all; community admins: their community’s)',
    security: bearerSecurity,
    request: { query: PaginationQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(TokenSchema), 'A page of tokens, oldest first'),
      ...problemResponses(['validation_failed', 'unauthorized', 'forbidden']),
    },
  }),
  async (c) => {
    const scope = ownScope(c.var.principal)
    assertCan(c.var.principal, 'tokens.manage', scope)
    const page = await listTokens(c.var.db, {
      ...c.req.valid('query'),
      communityId: scope?.communityId,
    })
    return c.json({ data: page.data.map(serializeToken), nextCursor: page.nextCursor }, 200)
  },
)

tokensApi.openapi(
  createRoute({
    method: 'delete',
    path: '/tokens/{id}',
    operationId: 'revokeToken',
    tags,
    summary: 'Revoke a token',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: TokenParams },
    responses: {
      204: { description: 'Revoked' },
      ...problemResponses(['payload_too_large', ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const token = await getTokenOrThrow(c.var.db, id)
    assertCan(
      c.var.principal,
      'tokens.manage',
      token.communityId ? { communityId: token.communityId } : undefined,
    )
    await revokeToken(c.var.db, token.id, new Date())
    return c.body(null, 204)
  },
)
