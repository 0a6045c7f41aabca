import { OpenAPIHono, z } from '@hono/zod-openapi'
import { changedLinkSettings } from '../services/audit'
import type { AppEnv } from '../env'
import { paginationQuery, pageSchema, toPage } from '../lib/pagination'
import {
  createInvite,
  listInvitesQuery,
  revokeInvite,
  rotateInvite,
  updateInvite,
} from '../services/invites'
import { BULK_LINKS_MAX, createInvites } from '../services/invites-bulk'
import { getStats } from '../services/stats-api'
import { can } from '../services/access'
import { assertQrDesignReadable, resetQrDesign, saveQrDesign } from '../services/qr-designs'
import { logoBytes } from './invite-qr-design'
import { idParam } from '../schemas/common'
import {
  CreateInviteSchema,
  CreateInvitesSchema,
  InviteListQuerySchema,
  InviteSchema,
  serializeInvite,
  UpdateInviteSchema,
} from '../schemas/invites'
import { StatsQuerySchema, StatsSchema } from '../schemas/stats'
import { telegramConfig } from '../lib/config'
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
  optionalJsonBody,
  problemResponses,
  STATS_RULES,
  RESOURCE_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'
import { answerOf, auditDetail, auditLinksMade, changedNothing } from '../middleware/audit-trail'

export const invitesApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(invitesApi)

const tags = ['Invite links']
const FALLBACK_RULE = 'A campaign link of this community that lets people in now'
const CommunityParams = idParam('cmt')
const InviteParams = idParam('inv')

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/invites',
    operationId: 'createInvite',
    access: { action: 'invites.manage', on: 'community' },
    tags,
    summary: 'Create an invite link (one per channel, campaign or poster)',
    description:
      'The link gets a random code, or the custom `code` asked for (a vanity slug such as ' +
      '`summer-run`). A custom code that any link has or ever had is refused with 409 `code_taken`. ' +
      'Every field is optional, and so is the body: without one, the link gets a random code ' +
      'and no group, tags, limit or expiry.',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: optionalJsonBody(CreateInviteSchema),
    },
    responses: {
      201: jsonResponse(InviteSchema, 'The link, with its URL and QR code URLs'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'code_taken'], {
        rules: {
          groupId: 'A group of this community',
          expiresAt: FUTURE_RULE,
          fallbackInviteId: FALLBACK_RULE,
          code: 'Not a reserved word (paths of this app such as `admin`, `api`, `join`, `qr`, and words that look official such as `login`, `support`, `whatsapp`), in any case',
        },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const now = new Date()
    const invite = await createInvite(c.var.db, id, c.req.valid('json'), now)
    const telegram = await telegramLinkForNewInvite(c, invite, now)
    return c.json(serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, now, telegram), 201)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/invites/bulk',
    operationId: 'createInvites',
    access: { action: 'invites.manage', on: 'community' },
    tags,
    summary: `Create up to ${BULK_LINKS_MAX} invite links at once (a campaign’s channels or promoters)`,
    description:
      'Each link as `POST /communities/{id}/invites` takes it; they are made in the order given, ' +
      'all or none: a refusal names the link by its place (`links.3.code`) and makes no link. ' +
      'Links into a group on Telegram get their Telegram link from the cron job, not at once: ' +
      'it makes about 20 a minute for the whole installation.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams, body: jsonBody(CreateInvitesSchema) },
    responses: {
      201: jsonResponse(
        z.object({ data: z.array(InviteSchema) }),
        'The links, in the order asked for, with their URLs and QR code URLs',
      ),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'code_taken'], {
        notes: { payload_too_large: 'The body is larger than 256 KiB.' },
        rules: {
          // Named by the link's place: `links.3.groupId`.
          links:
            'Each link’s `groupId` a group of this community, its `fallbackInviteId` a campaign link of it that lets people in now, its `expiresAt` in the future, its `code` not a reserved word nor the code of another link in the request; a refusal names the link by its place (`links.3.code`)',
        },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const now = new Date()
    const planTelegram = telegramConfig(c.var.config) !== null
    const made = await createInvites(c.var.db, id, c.req.valid('json').links, now, {
      planTelegram,
    })
    auditLinksMade(c, id, made, now)
    const telegram = await telegramLinksOfInvites(c, made)
    const data = made.map((invite) =>
      serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, now, telegram.get(invite.id)),
    )
    return c.json({ data }, 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/invites',
    operationId: 'listInvites',
    access: { action: 'invites.read', on: 'community' },
    tags,
    summary: 'List a community’s invite links',
    security: bearerSecurity,
    request: {
      params: CommunityParams,
      query: paginationQuery('inv').extend(InviteListQuerySchema.shape),
    },
    responses: {
      200: jsonResponse(pageSchema(InviteSchema), 'A page of links, oldest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const query = c.req.valid('query')
    const referralLinks = can(c.var.principal, 'referrals.read', { communityId: id })
    const rows = await listInvitesQuery(c.var.db, id, { ...query, referralLinks })
    const page = toPage(rows, query.limit)
    const now = new Date()
    const telegram = await telegramLinksOfInvites(c, page.data)
    const data = page.data.map((invite) =>
      serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, now, telegram.get(invite.id)),
    )
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/invites/{id}',
    operationId: 'getInvite',
    access: { action: 'invites.read', on: 'invite' },
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
    const { invite } = c.var
    const telegram = await telegramLinkOfInvite(c, invite)
    return c.json(serializeInvite(invite, c.var.config.PUBLIC_BASE_URL, new Date(), telegram), 200)
  },
)

openapi(
  defineOperation({
    method: 'patch',
    path: '/invites/{id}',
    operationId: 'updateInvite',
    access: { action: 'invites.manage', on: 'invite' },
    tags,
    summary: 'Change a link: label, tags, group, limits, code',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: InviteParams, body: jsonBody(UpdateInviteSchema) },
    responses: {
      200: jsonResponse(InviteSchema, 'The changed link'),
      ...problemResponses(
        [...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'max_uses_below_uses', 'code_taken'],
        {
          rules: {
            expiresAt: FUTURE_RULE,
            groupId: 'A group of this community',
            fallbackInviteId: `${FALLBACK_RULE}, not this link`,
            'qrDesign.fg': 'Darker than `bg`, with a WCAG contrast of at least 4.5:1',
            'qrDesign.logoPng':
              'A PNG of 8 bits per channel, not interlaced, at most 40 KB and 512 by 512 pixels',
          },
        },
      ),
    },
  }),
  async (c) => {
    const { invite } = c.var
    const now = new Date()
    const { qrDesign, ...fields } = c.req.valid('json')
    const design = qrDesign && { ...qrDesign, logo: logoBytes(qrDesign.logoPng) }
    // The design is checked before anything is written, so a refused one changes nothing.
    if (design) await assertQrDesignReadable(design, 'qrDesign')
    const updated = await updateInvite(c.var.db, invite, fields, now)
    if (design) await saveQrDesign(c.var.db, updated, design, now)
    else if (qrDesign === null) await resetQrDesign(c.var.db, updated)
    const changed = [
      ...changedLinkSettings(invite, updated),
      ...(qrDesign !== undefined ? ['qrDesign'] : []),
    ]
    if (changed.length > 0) auditDetail(c, changed.join(', '))
    else changedNothing(c)
    return c.json(serializeInvite(updated, c.var.config.PUBLIC_BASE_URL, now), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/invites/{id}/revoke',
    operationId: 'revokeInvite',
    access: { action: 'invites.manage', on: 'invite' },
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
    const { invite } = c.var
    const now = new Date()
    const revoked = answerOf(c, invite, await revokeInvite(c.var.db, invite, now))
    await retireTelegramLinksOf(c, invite, now)
    return c.json(serializeInvite(revoked, c.var.config.PUBLIC_BASE_URL, now), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/invites/{id}/rotate',
    operationId: 'rotateInvite',
    access: { action: 'invites.manage', on: 'invite' },
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
    const { invite } = c.var
    const now = new Date()
    const rotated = await rotateInvite(c.var.db, invite, now)
    await retireTelegramLinksOf(c, invite, now)
    const telegram = await telegramLinkForNewInvite(c, rotated, now)
    return c.json(serializeInvite(rotated, c.var.config.PUBLIC_BASE_URL, now, telegram), 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/invites/{id}/stats',
    operationId: 'getInviteStats',
    access: { action: 'stats.read', on: 'invite' },
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
    const telegram = !!telegramConfig(c.var.config)
    const stats = await getStats(c.var.db, { inviteId: id }, c.req.valid('query'), { telegram })
    return c.json(stats, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/stats',
    operationId: 'getCommunityStats',
    access: { action: 'stats.read', on: 'community' },
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
    const telegram = !!telegramConfig(c.var.config)
    const range = c.req.valid('query')
    return c.json(await getStats(c.var.db, { communityId: id }, range, { telegram }), 200)
  },
)
