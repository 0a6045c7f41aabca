import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { paginationQuery, pageSchema } from '../lib/pagination'
import { assertAllowedUrls } from '../lib/urls'
import { assertCan } from '../services/access'
import { createGroup, deleteGroup, listGroups, updateGroup } from '../services/groups'
import { idParam } from '../schemas/common'
import {
  CreateGroupSchema,
  GroupSchema,
  serializeGroup,
  UpdateGroupSchema,
} from '../schemas/groups'
import { telegramConfig } from '../lib/config'
import { linkTelegramChat } from './telegram'
import { retryFailedTelegramLinks } from '../platforms/telegram/invite-links'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  CHAT_RULE,
  IMAGE_RULE,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  RESOURCE_PROBLEMS,
  TELEGRAM_LINK_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

export const groupsApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(groupsApi)

const tags = ['Groups']
const CommunityParams = idParam('cmt')
const GroupParams = idParam('grp')

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/groups',
    operationId: 'createGroup',
    access: { action: 'group.create', on: 'community' },
    tags,
    summary: 'Create a group in a community, or add an existing chat group',
    description:
      'Refused with 409 `group_limit_reached` once the community holds `maxGroups` discussion groups.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams, body: jsonBody(CreateGroupSchema) },
    responses: {
      201: jsonResponse(GroupSchema, 'The new group'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'group_limit_reached'], {
        rules: { iconUrl: IMAGE_RULE, chatInviteUrl: CHAT_RULE },
      }),
    },
  }),
  async (c) => {
    const { community } = c.var
    const input = c.req.valid('json')
    assertAllowedUrls(input, c.var.config)
    const group = await createGroup(c.var.db, community, input, new Date())
    return c.json(serializeGroup(group, !!telegramConfig(c.var.config)), 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/groups',
    operationId: 'listGroups',
    access: { action: 'groups.read', on: 'community' },
    tags,
    summary: 'List a community’s groups, the announcement group first',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('grp') },
    responses: {
      200: jsonResponse(pageSchema(GroupSchema), 'A page of groups, oldest first'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listGroups(c.var.db, id, c.req.valid('query'))
    const telegram = !!telegramConfig(c.var.config)
    const data = page.data.map((group) => serializeGroup(group, telegram))
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/groups/{id}',
    operationId: 'getGroup',
    access: { action: 'groups.read', on: 'group' },
    tags,
    summary: 'Read a group',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: GroupParams },
    responses: {
      200: jsonResponse(GroupSchema, 'The group'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    return c.json(serializeGroup(c.var.group, !!telegramConfig(c.var.config)), 200)
  },
)

openapi(
  defineOperation({
    method: 'patch',
    path: '/groups/{id}',
    operationId: 'updateGroup',
    access: { action: 'group.update', on: 'group' },
    tags,
    summary: 'Change a group',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: GroupParams, body: jsonBody(UpdateGroupSchema) },
    responses: {
      200: jsonResponse(GroupSchema, 'The changed group'),
      ...problemResponses(
        [
          ...BODY_PROBLEMS,
          ...RESOURCE_PROBLEMS,
          ...TELEGRAM_LINK_PROBLEMS,
          'member_limit_below_members',
        ],
        {
          rules: {
            memberLimit:
              'At most 1024 for a discussion group; 2000 is for the announcement group only; not below its members (`memberCount`: 409 `member_limit_below_members`)',
            iconUrl: IMAGE_RULE,
            chatInviteUrl: CHAT_RULE,
            telegramChatId: 'Only when Telegram is configured (`TELEGRAM_BOT_TOKEN`)',
          },
        },
      ),
    },
  }),
  async (c) => {
    const { group } = c.var
    const input = c.req.valid('json')
    // Which chat a group is belongs to the installation's bot, as on the dashboard's Telegram
    // page: only owners link and unlink chats (the chats are every community's).
    if (input.telegramChatId !== undefined) assertCan(c.var.principal, 'telegram.manage')
    assertAllowedUrls(input, c.var.config)
    const now = new Date()
    if (input.telegramChatId != null) await linkTelegramChat(c, input.telegramChatId, group.id, now)
    const updated = await updateGroup(c.var.db, group, input, now)
    if (input.telegramChatId != null) {
      await retryFailedTelegramLinks(c.var.db, input.telegramChatId, now)
    }
    return c.json(serializeGroup(updated, !!telegramConfig(c.var.config)), 200)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/groups/{id}',
    operationId: 'deleteGroup',
    access: { action: 'group.delete', on: 'group' },
    tags,
    summary: 'Delete a discussion group',
    description:
      'The announcement group cannot be deleted (409 `announcement_group_protected`), nor a ' +
      'group scheduled announcements are sent to (409 `group_in_use`, naming them: change ' +
      'their audience or cancel them first). The ' +
      'group’s links stay and lead to the announcement group; with Telegram, their Telegram ' +
      'links into the deleted group’s chat are revoked, and they get ones into the ' +
      'announcement group’s chat if it has one.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: GroupParams },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses([
        ...ACTION_PROBLEMS,
        ...RESOURCE_PROBLEMS,
        'announcement_group_protected',
        'group_in_use',
      ]),
    },
  }),
  async (c) => {
    await deleteGroup(c.var.db, c.var.group, new Date())
    return c.body(null, 204)
  },
)
