import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { constantTimeEqual, hmacSha256, toHex } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { inboundItems, NotificationSchema, type InboundItem } from '../schemas/whatsapp'

/**
 * The WhatsApp Cloud API's webhook: Meta's verification handshake, and the notifications
 * (statuses of sent messages, messages people send, marketing preferences). A notification is
 * only accepted with a valid `X-Hub-Signature-256` over its raw body, checked before anything
 * reads it; it is then queued and answered at once (Meta retries slow endpoints), and applied
 * by the inbound queue's consumer (see `services/whatsapp-inbound.ts`).
 */
export const whatsAppWebhookApp = new Hono<AppEnv>()

/** Meta's notifications are a few KiB; anything much larger is not one. */
export const MAX_NOTIFICATION_BYTES = 256 * 1024

const HandshakeSchema = z.object({
  'hub.mode': z.literal('subscribe'),
  'hub.verify_token': z.string().min(1).max(200),
  'hub.challenge': z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/),
})

whatsAppWebhookApp.get('/webhooks/whatsapp', async (c) => {
  const expected = c.var.config.WHATSAPP_VERIFY_TOKEN
  const query = HandshakeSchema.safeParse(c.req.query())
  if (
    !expected ||
    !query.success ||
    !(await constantTimeEqual(query.data['hub.verify_token'], expected))
  ) {
    throw new ApiError('forbidden', 'The verify token does not match.')
  }
  return c.text(query.data['hub.challenge'], 200, { 'content-type': 'text/plain; charset=utf-8' })
})

whatsAppWebhookApp.post('/webhooks/whatsapp', async (c) => {
  const secret = c.var.config.WHATSAPP_APP_SECRET
  if (!secret) throw new ApiError('unauthorized', 'WhatsApp notifications are not configured.')
  const declared = Number(c.req.header('content-length') ?? 0)
  if (declared > MAX_NOTIFICATION_BYTES) throw tooLarge()
  const body = await readLimited(c.req.raw, MAX_NOTIFICATION_BYTES)
  const signature = c.req.header('x-hub-signature-256') ?? ''
  if (!(await constantTimeEqual(signature, `sha256=${await hmacSha256Hex(secret, body)}`))) {
    throw new ApiError('unauthorized', 'The notification’s signature does not match.')
  }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(body))
  } catch {
    throw new ApiError('malformed_json', 'The request body is not valid JSON.')
  }
  const notification = NotificationSchema.safeParse(json)
  // Something signed that is no notification we know: acknowledged, so Meta does not retry it.
  const items: InboundItem[] = notification.success
    ? inboundItems(notification.data, new Date())
    : []
  for (let i = 0; i < items.length; i += 100) {
    await c.env.INBOUND_QUEUE.sendBatch(items.slice(i, i + 100).map((item) => ({ body: item })))
  }
  return c.json({ received: items.length })
})

function tooLarge(): ApiError {
  return new ApiError(
    'payload_too_large',
    `Notifications are limited to ${MAX_NOTIFICATION_BYTES / 1024} KiB.`,
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

async function hmacSha256Hex(secret: string, body: Uint8Array): Promise<string> {
  return toHex(await hmacSha256(secret, body))
}
