import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { telegramConfig, type TelegramConfig } from '../lib/config'
import { ApiError } from '../lib/errors'
import { pageSchema } from '../lib/pagination'
import {
  decideTelegramJoinRequest,
  decideTelegramJoinRequestsInBulk,
  listTelegramJoinRequests,
} from '../platforms/telegram/join-requests'
import { idParam } from '../schemas/common'
import {
  serializeJoinRequest,
  TelegramBulkDecisionSchema,
  TelegramBulkResultSchema,
  TelegramJoinRequestSchema,
  TelegramJoinRequestsQuerySchema,
} from '../schemas/telegram'
import { declaredOperations, defineOperation } from './operation'
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
import { auditLater } from '../middleware/audit-trail'

/**
 * Requests to join a closed community's Telegram chat (`chat_join_request`), decided through
 * the Bot API. 404 for everything while Telegram is not configured.
 */
export const telegramJoinRequestsApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(telegramJoinRequestsApi)

const tags = ['Telegram']
const CommunityParams = idParam('cmt')
const RequestParams = idParam('tjr')
const OFF_NOTE = { not_found: 'No such request, or Telegram is not configured.' }

function telegramOrNotFound(c: Pick<Context<AppEnv>, 'var'>): TelegramConfig {
  const telegram = telegramConfig(c.var.config)
  if (!telegram) throw new ApiError('not_found', 'Telegram is not configured.')
  return telegram
}

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/telegram-join-requests',
    operationId: 'listTelegramJoinRequests',
    access: { action: 'joinRequests.read', on: 'community' },
    tags,
    summary: 'Requests to join the community’s Telegram chats, oldest first',
    security: bearerSecurity,
    request: { params: CommunityParams, query: TelegramJoinRequestsQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(TelegramJoinRequestSchema), 'A page of requests'),
      ...problemResponses([...RESOURCE_PROBLEMS], { notes: OFF_NOTE }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    telegramOrNotFound(c)
    const page = await listTelegramJoinRequests(c.var.db, id, c.req.valid('query'))
    return c.json({ data: page.data.map(serializeJoinRequest), nextCursor: page.nextCursor }, 200)
  },
)

for (const decision of ['approve', 'decline'] as const) {
  openapi(
    defineOperation({
      method: 'post',
      path: `/telegram-join-requests/{id}/${decision}`,
      operationId:
        decision === 'approve' ? 'approveTelegramJoinRequest' : 'declineTelegramJoinRequest',
      access: { action: 'joinRequests.decide', on: 'telegramJoinRequest' },
      tags,
      summary:
        decision === 'approve'
          ? 'Let the person into the chat (approveChatJoinRequest)'
          : 'Decline the request (declineChatJoinRequest)',
      description:
        'Deciding twice is harmless. When Telegram no longer has the request (approved in the ' +
        'chat, withdrawn, expired), the answer is the request as `gone`, with what Telegram ' +
        'said in `outcome`.' +
        (decision === 'approve'
          ? ' Approving lets the person into the chat at once, so it is refused with 409 ' +
            '`group_full` (and Telegram is not asked) while the group the chat leads to, or the ' +
            'announcement group, has no room left: its members and the people approved in the ' +
            'last 10 minutes whose join Telegram has not reported yet fill its `memberLimit`.'
          : ''),
      security: bearerSecurity,
      request: { query: NoQuerySchema, params: RequestParams },
      responses: {
        200: jsonResponse(TelegramJoinRequestSchema, 'The request, decided'),
        ...problemResponses(
          [
            ...ACTION_PROBLEMS,
            ...RESOURCE_PROBLEMS,
            'telegram_unavailable',
            ...(decision === 'approve' ? (['group_full'] as const) : []),
          ],
          { notes: OFF_NOTE },
        ),
      },
    }),
    async (c) => {
      const request = c.var.telegramJoinRequest
      const telegram = telegramOrNotFound(c)
      const decided = await decideTelegramJoinRequest(
        c.var.db,
        telegram,
        request,
        decision,
        new Date(),
      )
      return c.json(serializeJoinRequest(decided), 200)
    },
  )
}

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/telegram-join-requests/bulk',
    operationId: 'decideTelegramJoinRequestsInBulk',
    access: { action: 'joinRequests.decide', on: 'community' },
    tags,
    summary: 'Approve or decline up to 100 Telegram requests',
    description:
      'One call to Telegram per request, at most 20 a second. If Telegram asks us to wait, the ' +
      'requests not decided yet are answered `not_decided`: send them again later. Approvals ' +
      'stop at the room the groups have left (see approveTelegramJoinRequest): the ones past ' +
      'it are answered `group_full`, not let in.',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: jsonBody(TelegramBulkDecisionSchema),
    },
    responses: {
      200: jsonResponse(TelegramBulkResultSchema, 'A result per id, in the order sent'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], { notes: OFF_NOTE }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const telegram = telegramOrNotFound(c)
    const { action, ids } = c.req.valid('json')
    const results = await decideTelegramJoinRequestsInBulk(
      c.var.db,
      telegram,
      id,
      ids,
      action,
      new Date(),
    )
    // Each request Telegram took the decision for goes in the audit log, as in the web queue.
    for (const result of results) {
      if (result.status !== 'approved' && result.status !== 'declined') continue
      auditLater(c, {
        communityId: id,
        action: result.status === 'approved' ? 'join_request.approved' : 'join_request.rejected',
        actor: c.var.principal,
        targetId: result.id,
      })
    }
    return c.json({ results }, 200)
  },
)
