import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { queueBatches } from '../lib/chunks'
import { constantTimeEqual, verifyHmacSha256Hex } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { inboundItems, NotificationSchema, type InboundItem } from '../platforms/whatsapp/schemas'
import { problemResponses } from './openapi'
import { defineOperation, PUBLIC_ACCESS, PUBLIC_ACCESS_SENTENCE } from './operation'

/**
 * The WhatsApp Cloud API's webhook: Meta's verification handshake, and the notifications
 * (statuses of sent messages, messages people send, marketing preferences). A notification is
 * only accepted with a valid `X-Hub-Signature-256` over its raw body, checked before anything
 * reads it; it is then queued and answered at once (Meta retries slow endpoints), and applied
 * by the inbound queue's consumer (see `services/whatsapp-inbound.ts`).
 */
export const whatsAppWebhookApp = new OpenAPIHono<AppEnv>()

const tags = ['WhatsApp']

/** Meta's notifications are a few KiB; anything much larger is not one. */
// Meta documents notifications of up to 3 MB: one refused for its size is sent again and again,
// refused each time, and lost after Meta's days of retries.
export const MAX_NOTIFICATION_BYTES = 3 * 1024 * 1024

const CHALLENGE = /^[A-Za-z0-9_.-]{1,200}$/

const utf8 = new TextDecoder()

// Meta sends these three; anything else it may add one day is ignored, not refused.
const HandshakeSchema = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1).max(200),
  'hub.challenge': z.string().regex(CHALLENGE),
})

whatsAppWebhookApp.openapi(
  defineOperation({
    method: 'get',
    path: '/webhooks/whatsapp',
    operationId: 'verifyWhatsAppWebhook',
    access: 'public',
    tags,
    summary: 'Meta’s verification handshake for the WhatsApp webhook',
    description:
      'Answers `hub.challenge` when `hub.verify_token` is `WHATSAPP_VERIFY_TOKEN`. Any other ' +
      'handshake, a malformed one included, is refused with 403, as Meta expects; query ' +
      'parameters other than these three are ignored.',
    security: [],
    request: { query: HandshakeSchema },
    responses: {
      200: {
        content: { 'text/plain': { schema: z.string().regex(CHALLENGE) } },
        description: 'The challenge, echoed',
      },
      ...problemResponses(['forbidden'], {
        html: true,
        notes: {
          forbidden:
            'The verify token does not match, none is configured, or the handshake is malformed.',
        },
      }),
    },
  }),
  async (c) => {
    const expected = c.var.config.WHATSAPP_VERIFY_TOKEN
    const query = c.req.valid('query')
    if (!expected || !(await constantTimeEqual(query['hub.verify_token'], expected))) {
      throw refusedHandshake()
    }
    return c.text(query['hub.challenge'], 200, { 'content-type': 'text/plain; charset=utf-8' })
  },
  (result) => {
    if (!result.success) throw refusedHandshake()
  },
)

function refusedHandshake(): ApiError {
  return new ApiError('forbidden', 'The verify token does not match.')
}

/** What a notification is answered with: how many of its items were queued. */
const NotificationAnswerSchema = z
  .object({
    received: z
      .number()
      .int()
      .min(0)
      .describe('Items queued (statuses, messages, preferences); 0 for anything else signed'),
  })
  .openapi('WhatsAppNotificationAnswer')

/**
 * Documented here, served by the plain route below: a `createRoute` would read and parse the
 * body before the handler runs, and this one must check the signature over the raw bytes (and
 * stop reading past 3 MiB) before anything parses what an unauthenticated sender sent.
 */
whatsAppWebhookApp.openAPIRegistry.registerPath({
  method: 'post',
  path: '/webhooks/whatsapp',
  operationId: 'receiveWhatsAppNotification',
  'x-access': PUBLIC_ACCESS,
  tags,
  summary: 'Notifications from the WhatsApp Cloud API (statuses, messages, preferences)',
  description:
    'Signed by Meta with the app secret (`WHATSAPP_APP_SECRET`): `X-Hub-Signature-256` is ' +
    '`sha256=` and the hex HMAC-SHA256 of the raw body. Statuses of sent messages, messages ' +
    'people send and marketing preferences are queued and applied in the background; anything ' +
    'else signed (another `field`, an unknown shape) is acknowledged with `received: 0`, so ' +
    'that Meta does not retry it. At most 3 MiB, the most Meta documents sending. ' +
    PUBLIC_ACCESS_SENTENCE,
  security: [],
  request: {
    headers: z.object({
      'x-hub-signature-256': z
        .string()
        .describe('`sha256=` and the hex HMAC-SHA256 of the raw body with the app secret'),
    }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .any()
            .describe(
              'A `whatsapp_business_account` notification (`object`, `entry[].changes[]`); any JSON is accepted once signed',
            ),
        },
      },
    },
  },
  responses: {
    200: {
      content: { 'application/json': { schema: NotificationAnswerSchema } },
      description: 'Accepted',
    },
    ...problemResponses(['malformed_json', 'unauthorized', 'payload_too_large'], {
      html: true,
      notes: {
        malformed_json: 'The signed body is not JSON.',
        unauthorized: 'The signature is missing or does not match, or no app secret is configured.',
        payload_too_large: 'The body is larger than 3 MiB.',
      },
    }),
  },
})

whatsAppWebhookApp.post('/webhooks/whatsapp', async (c) => {
  const secret = c.get('config').WHATSAPP_APP_SECRET
  if (!secret) throw new ApiError('unauthorized', 'WhatsApp notifications are not configured.')
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > MAX_NOTIFICATION_BYTES) throw tooLarge()
  const body = await readLimited(c.req.raw, MAX_NOTIFICATION_BYTES)
  const signature = c.req.header('x-hub-signature-256') ?? ''
  const mac = signature.startsWith('sha256=') ? signature.slice('sha256='.length) : ''
  if (!(await verifyHmacSha256Hex(secret, body, mac))) {
    throw new ApiError('unauthorized', 'The notification’s signature does not match.')
  }
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(body))
  } catch {
    throw new ApiError('malformed_json', 'The request body is not valid JSON.')
  }
  const notification = NotificationSchema.safeParse(json)
  // Something signed that is no notification we know: acknowledged, so Meta does not retry it.
  const items: InboundItem[] = notification.success
    ? inboundItems(notification.data, new Date())
    : []
  for (const batch of queueBatches(items)) {
    await c.env.INBOUND_QUEUE.sendBatch(batch.map((item) => ({ body: item })))
  }
  const answer: z.infer<typeof NotificationAnswerSchema> = { received: items.length }
  return c.json(answer)
})

function tooLarge(): ApiError {
  return new ApiError(
    'payload_too_large',
    `Notifications are limited to ${MAX_NOTIFICATION_BYTES / 1024 / 1024} MiB.`,
  )
}

/** The raw body, refused as soon as it grows past `limit` (a missing length proves nothing). */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
