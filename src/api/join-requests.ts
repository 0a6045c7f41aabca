import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { ApiError, notFound } from '../lib/errors'
import { paginationQuery, pageSchema } from '../lib/pagination'
import { getJoinRequestOrThrow, listJoinRequests } from '../services/join-requests'
import { decideJoinRequest, recordAdminConsent } from './join-decisions'
import { idParam } from '../schemas/common'
import {
  AdminConfirmSchema,
  BulkDecisionSchema,
  BulkResultSchema,
  JoinRequestQuerySchema,
  JoinRequestSchema,
  RejectSchema,
  serializeJoinRequest,
} from '../schemas/members'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  optionalJsonBody,
  problemResponses,
  RESOURCE_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

export const joinRequestsApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(joinRequestsApi)

const tags = ['Join requests']
const CommunityParams = idParam('cmt')
const RequestParams = idParam('jr')

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/join-requests',
    operationId: 'listJoinRequests',
    access: { action: 'joinRequests.read', on: 'community' },
    tags,
    summary: 'Join requests in one status (pending by default), oldest first',
    security: bearerSecurity,
    request: {
      params: CommunityParams,
      query: paginationQuery('jr').extend(JoinRequestQuerySchema.shape),
    },
    responses: {
      200: jsonResponse(pageSchema(JoinRequestSchema), 'A page of requests'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listJoinRequests(c.var.db, id, c.req.valid('query'))
    return c.json({ data: page.data.map(serializeJoinRequest), nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/join-requests/{id}/approve',
    operationId: 'approveJoinRequest',
    access: { action: 'joinRequests.decide', on: 'joinRequest' },
    tags,
    summary: 'Approve a request: the person becomes a member',
    description:
      'Approving twice is harmless. A full group refuses with 409 `group_full`, naming the group in `groupId`; the request stays pending, to be approved once there is room. The applicant is told through the contact they confirmed: a confirmed phone number on WhatsApp (a text within 24 hours of their own message, later only with `WHATSAPP_APPROVED_TEMPLATE`), a confirmed e-mail address by your mail system through the `join.approved` event (with `name`, `email`, `communityName`, `language`).',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RequestParams },
    responses: {
      200: jsonResponse(JoinRequestSchema, 'The approved request'),
      ...problemResponses(
        [
          ...ACTION_PROBLEMS,
          ...RESOURCE_PROBLEMS,
          'invalid_state',
          'already_member',
          'group_full',
          'conflict',
        ],
        {
          notes: {
            invalid_state: 'The request was rejected, or its sign-up is not confirmed yet.',
          },
        },
      ),
    },
  }),
  async (c) => {
    const { request, target } = c.var.joinRequest
    const approved = await decideJoinRequest(c, request, { action: 'approve' }, target)
    return c.json(serializeJoinRequest(approved), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/join-requests/{id}/confirm',
    operationId: 'confirmJoinRequest',
    access: { action: 'joinRequests.decide', on: 'joinRequest' },
    tags,
    summary: 'Record consent an admin holds proof of, for a sign-up’s contacts',
    description:
      'For consent given outside the app (a signed form, say), for the contacts it names: each named contact’s consent record gets the method `admin`, its proof the text sent and who sent it. Contacts proven already keep their record; one a single opt-in took on the form’s word gets this proof. If the named contact turns out to be confirmed on an earlier sign-up or membership of the same person, the answer is that earlier sign-up. Every contact named must be the sign-up’s: otherwise nothing is recorded. In an open community whose group is full, the proof is recorded all the same and the answer is the request, still `pending`, waiting for an admin (and for room).',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RequestParams, body: jsonBody(AdminConfirmSchema) },
    responses: {
      200: jsonResponse(JoinRequestSchema, 'The confirmed request'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        rules: {
          contacts: 'Required when the sign-up has both a phone number and an e-mail address',
        },
        notes: {
          invalid_state:
            'The sign-up expired unconfirmed, is a repeat sign-up, or has no such contact.',
        },
      }),
    },
  }),
  async (c) => {
    const body = c.req.valid('json')
    const { request: shown } = await recordAdminConsent(c, c.var.joinRequest.request, {
      text: body.proof,
      contacts: body.contacts,
    })
    return c.json(serializeJoinRequest(shown), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/join-requests/{id}/reject',
    operationId: 'rejectJoinRequest',
    access: { action: 'joinRequests.decide', on: 'joinRequest' },
    tags,
    summary: 'Reject a request, optionally with a reason the person sees',
    description:
      'Rejecting twice is harmless. The applicant is told through the contact they confirmed: a confirmed phone number on WhatsApp (a text with the reason within 24 hours of their own message, later only with `WHATSAPP_REJECTED_TEMPLATE`), a confirmed e-mail address by your mail system through the `join.rejected` event (with `name`, `email`, `communityName`, `language`, `reason`).',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: RequestParams,
      body: optionalJsonBody(RejectSchema),
    },
    responses: {
      200: jsonResponse(JoinRequestSchema, 'The rejected request'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: {
          invalid_state: 'The request was approved already, or its sign-up is not confirmed yet.',
        },
      }),
    },
  }),
  async (c) => {
    const { request } = c.var.joinRequest
    const { reason } = c.req.valid('json') ?? {}
    const rejected = await decideJoinRequest(c, request, {
      action: 'reject',
      reason: reason ?? null,
    })
    return c.json(serializeJoinRequest(rejected), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/join-requests/bulk',
    operationId: 'decideJoinRequestsInBulk',
    access: { action: 'joinRequests.decide', on: 'community' },
    tags,
    summary: 'Approve or reject up to 100 requests at once',
    description:
      'Each request is decided on its own; the answer says, per id, whether it worked and why not (for `group_full`, which group has no room: `groupId`).',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: CommunityParams, body: jsonBody(BulkDecisionSchema) },
    responses: {
      200: jsonResponse(BulkResultSchema, 'One result per id'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { action, ids, reason } = c.req.valid('json')
    const results = []
    for (const requestId of new Set(ids)) {
      try {
        const request = await getJoinRequestOrThrow(c.var.db, requestId)
        // Another community's request is answered as one that does not exist, word for word.
        if (request.communityId !== id) throw notFound('Join request')
        const decided = await decideJoinRequest(
          c,
          request,
          action === 'approve' ? { action } : { action, reason: reason ?? null },
        )
        results.push({ id: requestId, ok: true, status: decided.status })
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        const groupId = error.extensions?.groupId
        results.push({
          id: requestId,
          ok: false,
          code: error.code,
          detail: error.message,
          ...(groupId ? { groupId } : {}),
        })
      }
    }
    return c.json({ results }, 200)
  },
)
