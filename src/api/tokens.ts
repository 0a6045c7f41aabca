import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { paginationQuery, pageSchema } from '../lib/pagination'
import { ownScope } from '../services/access'
import { createToken, listTokens, revokeToken } from '../services/tokens'
import { idParam } from '../schemas/common'
import {
  CreatedTokenSchema,
  CreateTokenSchema,
  serializeToken,
  TokenSchema,
} from '../schemas/tokens'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

export const tokensApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(tokensApi)

const tags = ['Tokens']
const TokenParams = idParam('tok')

openapi(
  defineOperation({
    method: 'post',
    path: '/tokens',
    operationId: 'createToken',
    access: { action: 'tokens.manage', on: 'body' },
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
        notes: {
          not_found: 'No community `communityId` or group `groupId`, or none this token may see.',
          forbidden: 'Only owners create owner tokens; group admins create none.',
        },
      }),
    },
  }),
  async (c) => {
    // Created by whoever may manage what it is scoped to: the router checked the body's group or
    // community, or the installation for an owner token.
    const input = c.req.valid('json')
    const { token, record } = await createToken(c.var.db, input, c.var.principal, new Date())
    return c.json({ ...serializeToken(record), token }, 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/tokens',
    operationId: 'listTokens',
    access: { action: 'tokens.manage', on: 'caller' },
    tags,
    summary: 'List live tokens (owners: all; community admins: their community’s)',
    security: bearerSecurity,
    request: { query: paginationQuery('tok') },
    responses: {
      200: jsonResponse(pageSchema(TokenSchema), 'A page of tokens, oldest first'),
      ...problemResponses(['validation_failed', 'unauthorized', 'forbidden']),
    },
  }),
  async (c) => {
    const scope = ownScope(c.var.principal)
    const page = await listTokens(c.var.db, {
      ...c.req.valid('query'),
      communityId: scope?.communityId,
    })
    return c.json({ data: page.data.map(serializeToken), nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/tokens/{id}',
    operationId: 'revokeToken',
    access: { action: 'tokens.manage', on: 'token' },
    tags,
    summary: 'Revoke a token',
    description:
      'It stops working at once and its dashboard sessions end. The tokens a community admin ' +
      'made (`createdByTokenId`), and those they made, are revoked with it; an owner’s are not.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: TokenParams },
    responses: {
      204: { description: 'Revoked' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    await revokeToken(c.var.db, c.var.token.id, new Date())
    return c.body(null, 204)
  },
)
