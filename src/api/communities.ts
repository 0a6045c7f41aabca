import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { assertAllowedUrls } from '../lib/urls'
import { PaginationQuerySchema, pageSchema } from '../lib/pagination'
import { assertCan } from '../services/access'
import {
  createCommunity,
  deleteCommunity,
  listCommunities,
  updateCommunity,
} from '../services/communities'
import {
  demoteToGroupAdmin,
  listCommunityAdmins,
  promoteToCommunityAdmin,
} from '../services/tokens'
import { idParam } from '../schemas/common'
import {
  CommunitySchema,
  CreateCommunitySchema,
  serializeCommunity,
  UpdateCommunitySchema,
} from '../schemas/communities'
import { DemoteAdminSchema, serializeToken, TokenSchema } from '../schemas/tokens'
import { communityFor } from './community-scope'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  IMAGE_RULE,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  optionalJsonBody,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'

export const communitiesApi = new OpenAPIHono<AppEnv>()

const tags = ['Communities']
const CommunityParams = idParam('cmt')

communitiesApi.openapi(
  createRoute({
    method: 'post',
    path: '/communities',
    operationId: 'createCommunity',
    tags,
    summary: 'Create a community with its announcement group',
    security: bearerSecurity,
    request: { query: NoQuerySchema, body: jsonBody(CreateCommunitySchema) },
    responses: {
      201: jsonResponse(CommunitySchema, 'The new community'),
      ...problemResponses(
        [...BODY_PROBLEMS, 'validation_failed', 'unauthorized', 'forbidden', 'slug_taken'],
        { rules: { photoUrl: IMAGE_RULE } },
      ),
    },
  }),
  async (c) => {
    assertCan(c.var.principal, 'community.create')
    const input = c.req.valid('json')
    assertAllowedUrls(input, c.var.config)
    const { community } = await createCommunity(c.var.db, input, new Date())
    return c.json(serializeCommunity(community), 201)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'get',
    path: '/communities',
    operationId: 'listCommunities',
    tags,
    summary: 'List the communities this token may see',
    security: bearerSecurity,
    request: { query: PaginationQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(CommunitySchema), 'A page of communities, oldest first'),
      ...problemResponses(['validation_failed', 'unauthorized']),
    },
  }),
  async (c) => {
    const page = await listCommunities(c.var.db, c.var.principal, c.req.valid('query'))
    return c.json({ data: page.data.map(serializeCommunity), nextCursor: page.nextCursor }, 200)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'get',
    path: '/communities/{id}',
    operationId: 'getCommunity',
    tags,
    summary: 'Read a community',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams },
    responses: {
      200: jsonResponse(CommunitySchema, 'The community'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    return c.json(serializeCommunity(await communityFor(c, id, 'community.read')), 200)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'patch',
    path: '/communities/{id}',
    operationId: 'updateCommunity',
    tags,
    summary: 'Change a community',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: jsonBody(UpdateCommunitySchema),
    },
    responses: {
      200: jsonResponse(CommunitySchema, 'The changed community'),
      ...problemResponses(
        [...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'slug_taken', 'group_limit_reached'],
        {
          rules: { photoUrl: IMAGE_RULE },
          notes: {
            group_limit_reached:
              'A lowered `maxGroups` is below the discussion groups the community has.',
          },
        },
      ),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    assertCan(c.var.principal, 'community.update', { communityId: id })
    const input = c.req.valid('json')
    assertAllowedUrls(input, c.var.config)
    return c.json(serializeCommunity(await updateCommunity(c.var.db, id, input, new Date())), 200)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'delete',
    path: '/communities/{id}',
    operationId: 'deleteCommunity',
    tags,
    summary: 'Delete a community, its groups and its scoped tokens',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses(['payload_too_large', ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    assertCan(c.var.principal, 'community.delete', { communityId: id })
    await deleteCommunity(c.var.db, id)
    return c.body(null, 204)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'get',
    path: '/communities/{id}/admins',
    operationId: 'listCommunityAdmins',
    tags: ['Admins'],
    summary: 'List the community admins and group admins of a community',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams },
    responses: {
      200: jsonResponse(z.object({ data: z.array(TokenSchema) }), 'The admins'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    await communityFor(c, id, 'admins.read')
    const admins = await listCommunityAdmins(c.var.db, id)
    return c.json({ data: admins.map(serializeToken) }, 200)
  },
)

const AdminParams = CommunityParams.extend(idParam('tok', 'tokenId').shape)

communitiesApi.openapi(
  createRoute({
    method: 'post',
    path: '/communities/{id}/admins/{tokenId}/promote',
    operationId: 'promoteCommunityAdmin',
    tags: ['Admins'],
    summary: 'Promote a group admin to community admin',
    description: 'Admins of an added group stay group admins until promoted here.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AdminParams },
    responses: {
      200: jsonResponse(TokenSchema, 'The admin, now a community admin'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id, tokenId } = c.req.valid('param')
    await communityFor(c, id, 'admins.change')
    return c.json(serializeToken(await promoteToCommunityAdmin(c.var.db, id, tokenId)), 200)
  },
)

communitiesApi.openapi(
  createRoute({
    method: 'post',
    path: '/communities/{id}/admins/{tokenId}/demote',
    operationId: 'demoteCommunityAdmin',
    tags: ['Admins'],
    summary: 'Demote a community admin to group admin',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: AdminParams,
      body: optionalJsonBody(DemoteAdminSchema),
    },
    responses: {
      200: jsonResponse(TokenSchema, 'The admin, now a group admin'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_role_change'], {
        notes: { not_found: 'No such community, admin of it, or group of it (`groupId`).' },
      }),
    },
  }),
  async (c) => {
    const { id, tokenId } = c.req.valid('param')
    await communityFor(c, id, 'admins.change')
    const { groupId } = c.req.valid('json')
    return c.json(serializeToken(await demoteToGroupAdmin(c.var.db, id, tokenId, groupId)), 200)
  },
)
