import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { PaginationQuerySchema, pageSchema } from '../lib/pagination'
import { assertCan } from '../services/access'
import {
  createInvite,
  getInviteOrThrow,
  listInvites,
  revokeInvite,
  rotateInvite,
  updateInvite,
} from '../services/invites'
import { getStats } from '../services/stats'
import { idParam } from '../schemas/common'
import {
  CreateInviteSchema,
  InviteSchema,
  serializeInvite,
  UpdateInviteSchema,
} from '../schemas/invites'
import { StatsQuerySchema, StatsSchema } from '../schemas/stats'
import { communityFor } from './community-scope'
import { telegramConfig } from '../lib/config'
import { otherRouteFigures } from '../platforms/telegram/apply'
import {
  retireTelegramLinksOf,
  telegramLinkForNewInvite,
  telegramLinkOfInvite,
  telegramLinksOfInvites,
} from './telegram'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  FUTURE_RULE,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  STATS_RULES,
  RESOURCE_PROBLEMS,
} from './openapi'

export const invitesApi = new OpenAPIHono<AppEnv>()

const tags = ['Invite links']
const CommunityParams = idParam('cmt')
const InviteParams = idParam('inv')

invitesApi.openapi(
  createRoute({
    method: 'post',
    path: '/communities/{id}/invites',
    operationId: 'createInvite',
    tags,
    summary: 'Create an invite link (one per channel, campaign or poster)',
    description:
      'The link gets a random code, or the custom `code` asked for (a vanity slug such as ' +
      '`summer-run`). A custom code that any link has or ever had is refused with 409 `code_taken`.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams, body: jsonBody(CreateInviteSchema) },
    responses: {
      201: jsonResponse(InviteSchema, 'The link, with its URL and QR code URLs'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'code_taken'], {
        rules: {
          groupId: 'A group of this community',
          expiresAt: FUTURE_RULE,
          code: 'Not a reserved word (paths of this app such as `admin`, `api`, `join`, `qr`, and words that look official such as `login`, `support`, `whatsapp`), in any case',
        },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    await communityFor(c, id, 'invites.manage')
    const now = new Date()
    const invite = await createInvite(c.var.db, id, c.req.valid('json'), now)
    const telegram = await telegramLinkForNewInvite(c, invite, now)
    return c.json(serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, now, telegram), 201)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'get',
    path: '/communities/{id}/invites',
    operationId: 'listInvites',
    tags,
    summary: 'List a community’s invite links',
    security: bearerSecurity,
    request: { params: CommunityParams, query: PaginationQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(InviteSchema), 'A page of links, oldest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    await communityFor(c, id, 'invites.read')
    const page = await listInvites(c.var.db, id, c.req.valid('query'))
    const now = new Date()
    const telegram = await telegramLinksOfInvites(c, page.data)
    const data = page.data.map((invite) =>
      serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, now, telegram.get(invite.id)),
    )
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'get',
    path: '/invites/{id}',
    operationId: 'getInvite',
    tags,
    summary: 'Read an invite link',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams },
    responses: {
      200: jsonResponse(InviteSchema, 'The link'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const invite = await getInviteOrThrow(c.var.db, id)
    assertCan(c.var.principal, 'invites.read', { communityId: invite.communityId })
    const telegram = await telegramLinkOfInvite(c, invite)
    return c.json(serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, new Date(), telegram), 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'patch',
    path: '/invites/{id}',
    operationId: 'updateInvite',
    tags,
    summary: 'Change a link’s label or limits',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams, body: jsonBody(UpdateInviteSchema) },
    responses: {
      200: jsonResponse(InviteSchema, 'The changed link'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'max_uses_below_uses'], {
        rules: { expiresAt: FUTURE_RULE },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const invite = await getInviteOrThrow(c.var.db, id)
    assertCan(c.var.principal, 'invites.manage', { communityId: invite.communityId })
    const now = new Date()
    const updated = await updateInvite(c.var.db, invite, c.req.valid('json'), now)
    return c.json(serializeInvite(updated, c.var.config.PUBLIC_BASE_URL, now), 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'post',
    path: '/invites/{id}/revoke',
    operationId: 'revokeInvite',
    tags,
    summary: 'Revoke a link: its page and QR code stop working',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams },
    responses: {
      200: jsonResponse(InviteSchema, 'The revoked link'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const invite = await getInviteOrThrow(c.var.db, id)
    assertCan(c.var.principal, 'invites.manage', { communityId: invite.communityId })
    const now = new Date()
    const revoked = await revokeInvite(c.var.db, invite, now)
    await retireTelegramLinksOf(c, invite, now)
    return c.json(serializeInvite(revoked, c.var.config.PUBLIC_BASE_URL, now), 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'post',
    path: '/invites/{id}/rotate',
    operationId: 'rotateInvite',
    tags,
    summary: 'Give a link a new code; the old code stops working',
    description:
      'The new code is always a random one, also for a link with a custom code: the old code, ' +
      'custom or not, answers 410 from now on and is never issued again, to this link or any other.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams },
    responses: {
      200: jsonResponse(InviteSchema, 'The link with its new code'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const invite = await getInviteOrThrow(c.var.db, id)
    assertCan(c.var.principal, 'invites.manage', { communityId: invite.communityId })
    const now = new Date()
    const rotated = await rotateInvite(c.var.db, invite, now)
    await retireTelegramLinksOf(c, invite, now)
    const telegram = await telegramLinkForNewInvite(c, rotated, now)
    return c.json(serializeInvite(rotated, c.var.config.PUBLIC_BASE_URL, now, telegram), 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'get',
    path: '/invites/{id}/stats',
    operationId: 'getInviteStats',
    tags: ['Stats'],
    summary:
      'A link’s funnel: visits, unique visitors, scans vs clicks, joins; by day, source and country',
    security: bearerSecurity,
    request: { params: InviteParams, query: StatsQuerySchema },
    responses: {
      200: jsonResponse(StatsSchema, 'The figures'),
      ...problemResponses([...RESOURCE_PROBLEMS], {
        rules: STATS_RULES,
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const invite = await getInviteOrThrow(c.var.db, id)
    assertCan(c.var.principal, 'stats.read', { communityId: invite.communityId })
    const telegram = !!telegramConfig(c.var.config)
    const stats = await getStats(c.var.db, { inviteId: id }, c.req.valid('query'), { telegram })
    return c.json(stats, 200)
  },
)

invitesApi.openapi(
  createRoute({
    method: 'get',
    path: '/communities/{id}/stats',
    operationId: 'getCommunityStats',
    tags: ['Stats'],
    summary: 'A community’s funnel over all its links',
    security: bearerSecurity,
    request: { params: CommunityParams, query: StatsQuerySchema },
    responses: {
      200: jsonResponse(StatsSchema, 'The figures'),
      ...problemResponses([...RESOURCE_PROBLEMS], {
        rules: STATS_RULES,
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    await communityFor(c, id, 'stats.read')
    const telegram = !!telegramConfig(c.var.config)
    const range = c.req.valid('query')
    const stats = await getStats(c.var.db, { communityId: id }, range, { telegram })
    if (!telegram) return c.json(stats, 200)
    return c.json({ ...stats, otherRoutes: await otherRouteFigures(c.var.db, id, range) }, 200)
  },
)
