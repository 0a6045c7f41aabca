import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { can } from '../services/access'
import { assertAllowedUrls } from '../lib/urls'
import { auditCreation } from '../middleware/audit-trail'
import { paginationQuery, pageSchema } from '../lib/pagination'
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
import { declaredOperations, defineOperation } from './operation'

export const communitiesApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(communitiesApi)

/** Whether the caller reads a community's offer for members: those who may change it do. */
function readerOf(c: Pick<Context<AppEnv>, 'var'>, community: { id: string }) {
  return { seesOffer: can(c.var.principal, 'community.update', { communityId: community.id }) }
}

const tags = ['Communities']
const CommunityParams = idParam('cmt')

openapi(
  defineOperation({
    method: 'post',
    path: '/communities',
    operationId: 'createCommunity',
    access: { action: 'community.create', on: 'installation' },
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
    const input = c.req.valid('json')
    assertAllowedUrls(input, c.var.config)
    const { community } = await createCommunity(c.var.db, input, new Date())
    auditCreation(c, community)
    return c.json(serializeCommunity(community, { seesOffer: true }), 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities',
    operationId: 'listCommunities',
    access: 'signed_in',
    tags,
    summary: 'List the communities this token may see',
    security: bearerSecurity,
    request: { query: paginationQuery('cmt') },
    responses: {
      200: jsonResponse(pageSchema(CommunitySchema), 'A page of communities, oldest first'),
      ...problemResponses(['validation_failed', 'unauthorized']),
    },
  }),
  async (c) => {
    const page = await listCommunities(c.var.db, c.var.principal, c.req.valid('query'))
    const data = page.data.map((community) => serializeCommunity(community, readerOf(c, community)))
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}',
    operationId: 'getCommunity',
    access: { action: 'community.read', on: 'community' },
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
    return c.json(serializeCommunity(c.var.community, readerOf(c, c.var.community)), 200)
  },
)

openapi(
  defineOperation({
    method: 'patch',
    path: '/communities/{id}',
    operationId: 'updateCommunity',
    access: { action: 'community.update', on: 'community' },
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
    const input = c.req.valid('json')
    assertAllowedUrls(input, c.var.config)
    const updated = await updateCommunity(c.var.db, c.var.community, input, new Date())
    return c.json(serializeCommunity(updated, { seesOffer: true }), 200)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/communities/{id}',
    operationId: 'deleteCommunity',
    access: { action: 'community.delete', on: 'community' },
    tags,
    summary: 'Delete a community, its groups and its scoped tokens',
    description:
      'Everything of the community goes with it, but its links’ codes stay taken: they answer ' +
      '410 from then on and are never issued again, so no poster of it leads elsewhere. With ' +
      'Telegram, its links’ Telegram links are revoked at Telegram by the cron job afterwards.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    await deleteCommunity(c.var.db, c.var.community)
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/admins',
    operationId: 'listCommunityAdmins',
    access: { action: 'admins.read', on: 'community' },
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
    const admins = await listCommunityAdmins(c.var.db, id)
    return c.json({ data: admins.map(serializeToken) }, 200)
  },
)

const AdminParams = CommunityParams.extend(idParam('tok', 'tokenId').shape)

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/admins/{tokenId}/promote',
    operationId: 'promoteCommunityAdmin',
    access: { action: 'admins.change', on: 'community' },
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
    return c.json(serializeToken(await promoteToCommunityAdmin(c.var.db, id, tokenId)), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/admins/{tokenId}/demote',
    operationId: 'demoteCommunityAdmin',
    access: { action: 'admins.change', on: 'community' },
    tags: ['Admins'],
    summary: 'Demote a community admin to group admin',
    description:
      'A group admin makes no tokens: the tokens this admin made (`createdByTokenId`), and ' +
      'those they made, are revoked.',
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
    const { groupId } = c.req.valid('json')
    return c.json(serializeToken(await demoteToGroupAdmin(c.var.db, id, tokenId, groupId)), 200)
  },
)
