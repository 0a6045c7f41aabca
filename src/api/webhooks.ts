import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { signingSecret } from '../lib/config'
import type { WebhookEndpoint } from '../db/schema'
import { ownScope } from '../services/access'
import {
  createWebhookEndpoint,
  disableWebhookEndpoint,
  listWebhookEndpoints,
  recentWebhookDeliveries,
  redeliverEvent,
  resumeWebhookEndpoint,
  withShownReasons,
} from '../services/webhooks'
import { answerOf, auditDetail } from '../middleware/audit-trail'
import { sendTestEvent } from '../services/delivery/events'
import { CreateWebhookSchema, WebhookSchema } from '../schemas/announcements'
import { idParam } from '../schemas/common'
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

export const webhooksApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(webhooksApi)

const tags = ['Webhooks']
const WebhookParams = idParam('whk')
const RedeliverParams = WebhookParams.extend(idParam('evt', 'eventId').shape)

function serializeWebhook(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    communityId: endpoint.communityId,
    createdAt: endpoint.createdAt.toISOString(),
    goneAt: endpoint.goneAt?.toISOString() ?? null,
  }
}

openapi(
  defineOperation({
    method: 'post',
    path: '/webhooks',
    operationId: 'createWebhookEndpoint',
    access: { action: 'webhooks.manage', on: 'body' },
    tags,
    summary: 'Subscribe an endpoint to events (Standard Webhooks, signed)',
    description:
      'The answer carries the signing secret (`whsec_...`) once. Deliveries are POSTs that ' +
      'never follow a redirect (a 3xx is a failed attempt); only the status and a short fixed ' +
      'reason of each attempt are kept, never what the endpoint answered.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, body: jsonBody(CreateWebhookSchema) },
    responses: {
      201: jsonResponse(
        WebhookSchema.extend({ secret: z.string() }),
        'The endpoint and its secret',
      ),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], {
        rules: {
          url: 'A public host: private, loopback, link-local and other non-public addresses, localhost, `*.local`, `*.internal`, cloud metadata hosts and single-label hosts are refused, and plain http unless `ALLOW_HTTP_WEBHOOKS` is set',
        },
        notes: {
          forbidden: 'Only owners subscribe without a `communityId`; group admins not at all.',
          not_found: 'No community `communityId`, or none this token may see.',
        },
      }),
    },
  }),
  async (c) => {
    // Access to the community named was decided by the router; that it exists, by the service.
    const input = c.req.valid('json')
    const { endpoint, secret } = await createWebhookEndpoint(
      c.var.db,
      { url: input.url, events: input.events, communityId: input.communityId ?? null },
      {
        signingSecret: signingSecret(c.var.config),
        allowHttp: c.var.config.ALLOW_HTTP_WEBHOOKS,
        madeBy: c.var.principal,
      },
      new Date(),
    )
    return c.json({ ...serializeWebhook(endpoint), secret }, 201)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/webhooks',
    operationId: 'listWebhookEndpoints',
    access: { action: 'webhooks.manage', on: 'caller' },
    tags,
    summary: 'Endpoints this token may see',
    security: bearerSecurity,
    request: { query: NoQuerySchema },
    responses: {
      200: jsonResponse(z.object({ data: z.array(WebhookSchema) }), 'The endpoints'),
      ...problemResponses(['validation_failed', 'unauthorized', 'forbidden']),
    },
  }),
  async (c) => {
    const scope = ownScope(c.var.principal)
    const endpoints = await listWebhookEndpoints(c.var.db, scope?.communityId ?? null)
    return c.json({ data: endpoints.map(serializeWebhook) }, 200)
  },
)

openapi(
  defineOperation({
    method: 'delete',
    path: '/webhooks/{id}',
    operationId: 'deleteWebhookEndpoint',
    access: { action: 'webhooks.manage', on: 'webhook' },
    tags,
    summary: 'Unsubscribe an endpoint',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: WebhookParams },
    responses: {
      204: { description: 'Removed' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    await disableWebhookEndpoint(c.var.db, c.var.webhook, new Date())
    return c.body(null, 204)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/webhooks/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    access: { action: 'webhooks.manage', on: 'webhook' },
    tags,
    summary: 'Recent deliveries to an endpoint, with failures and their reasons',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: WebhookParams },
    responses: {
      200: jsonResponse(
        z.object({
          data: z.array(
            z.object({
              eventId: z.string(),
              type: z.string(),
              status: z.string(),
              attempts: z.number().int(),
              responseStatus: z.number().int().nullable(),
              lastError: z
                .string()
                .nullable()
                .describe(
                  'A short fixed reason (`HTTP 500 from the endpoint`, `timed out`, ' +
                    '`redirect not followed`, `refused: private address`, ...), never the body',
                ),
              updatedAt: z.string(),
            }),
          ),
        }),
        'The latest 50',
      ),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const rows = withShownReasons(await recentWebhookDeliveries(c.var.db, c.var.webhook.id))
    return c.json(
      { data: rows.map((row) => ({ ...row, updatedAt: row.updatedAt.toISOString() })) },
      200,
    )
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/webhooks/{id}/deliveries/{eventId}/redeliver',
    operationId: 'redeliverWebhookEvent',
    access: { action: 'webhooks.manage', on: 'webhook' },
    tags,
    summary: 'Send one event to the endpoint again, with its attempts starting over',
    description:
      'For a delivery that failed, whose outcome is unknown, or that was sent and is wanted ' +
      'again. It goes with the same `webhook-id`, so a receiver that deduplicates recognises ' +
      'an event it took before, and is tried on the retry schedule again. The answer comes ' +
      'before the send: `GET /webhooks/{id}/deliveries` shows how it went.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RedeliverParams },
    responses: {
      202: { description: 'Waiting to be sent again' },
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: {
          not_found: 'No such endpoint, or no delivery of that event to it.',
          invalid_state:
            'The event is being delivered to this endpoint now, or the endpoint is stopped (it ' +
            'answered 410 Gone): resume it first.',
        },
      }),
    },
  }),
  async (c) => {
    const { eventId } = c.req.valid('param')
    await redeliverEvent(c.var.db, c.env.EVENTS_QUEUE, c.var.webhook, eventId, new Date())
    auditDetail(c, eventId)
    return c.body(null, 202)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/webhooks/{id}/resume',
    operationId: 'resumeWebhookEndpoint',
    access: { action: 'webhooks.manage', on: 'webhook' },
    tags,
    summary: 'Send events again to an endpoint that answered 410 Gone',
    description:
      'A receiver answering 410 Gone says it wants no more events (Standard Webhooks): the ' +
      'endpoint stops at once (`goneAt`), and nothing is sent or queued for it. Resuming sends ' +
      'it the events that come from now on; those from while it was stopped are failed on its ' +
      'deliveries, each to send again with `POST /webhooks/{id}/deliveries/{eventId}/redeliver`. ' +
      'An endpoint that was not stopped is answered as it is.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: WebhookParams },
    responses: {
      200: jsonResponse(WebhookSchema, 'The endpoint, receiving events'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const given = c.var.webhook
    const endpoint = answerOf(c, given, await resumeWebhookEndpoint(c.var.db, given))
    return c.json(serializeWebhook(endpoint), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/webhooks/{id}/test',
    operationId: 'testWebhookEndpoint',
    access: { action: 'webhooks.manage', on: 'webhook' },
    tags,
    summary: 'Send the endpoint a test event now, and hear how it went',
    description:
      'A `webhook.test` event (`data`: `communityId`, `webhookId`; no person in it), signed with ' +
      'the endpoint’s secret as every event is, whatever events the endpoint subscribed to, ' +
      'stopped or not. Sent once, waiting up to 10 seconds for the answer; nothing is stored or ' +
      'tried again, and the answer changes nothing about the endpoint. Six a minute per endpoint.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: WebhookParams },
    responses: {
      200: jsonResponse(
        z
          .object({
            eventId: z.string().describe('The test event’s `webhook-id`'),
            delivered: z.boolean().describe('Whether the receiver answered with a 2xx'),
            responseStatus: z
              .number()
              .int()
              .nullable()
              .describe('The receiver’s HTTP status; null when none came'),
            reason: z
              .string()
              .nullable()
              .describe('Why it did not arrive, as deliveries give it (`timed out`, …)'),
          })
          .openapi('WebhookTest'),
        'How the test event went',
      ),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'rate_limited']),
    },
  }),
  async (c) => c.json(await sendTestEvent(c.var.db, c.var.config, c.var.webhook, new Date()), 200),
)
