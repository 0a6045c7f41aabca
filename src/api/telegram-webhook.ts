import { OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../env'
import { telegramConfig } from '../lib/config'
import { constantTimeEqual } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { problemResponses } from './openapi'
import { PUBLIC_ACCESS, PUBLIC_ACCESS_SENTENCE } from './operation'
import { updateItem } from '../platforms/telegram/updates'

/**
 * Telegram's webhook (setWebhook): each update is one POST whose `X-Telegram-Bot-Api-Secret-Token`
 * is the secret we gave setWebhook. Checked before the body is read; then the update is queued
 * and answered at once (Telegram resends on a slow answer), and applied by the Telegram queue's
 * consumer, once per `update_id` (see `platforms/telegram/apply.ts`).
 */
export const telegramWebhookApp = new OpenAPIHono<AppEnv>()

/** An update is a few KiB; anything much larger is not one. */
const MAX_UPDATE_BYTES = 256 * 1024

const UpdateAnswerSchema = z
  .object({
    received: z
      .number()
      .int()
      .min(0)
      .max(1)
      .describe('1: the update was queued; 0: an update type the product does not act on'),
  })
  .openapi('TelegramUpdateAnswer')

/**
 * Documented here, served by the plain route below: a `createRoute` would read and parse the
 * body before the handler runs, and the secret must be checked before anything reads what an
 * unauthenticated sender sent.
 */
telegramWebhookApp.openAPIRegistry.registerPath({
  method: 'post',
  path: '/webhooks/telegram',
  operationId: 'receiveTelegramUpdate',
  'x-access': PUBLIC_ACCESS,
  tags: ['Telegram'],
  summary: 'Updates from Telegram’s Bot API (joins, leaves, join requests, the bot’s rights)',
  description:
    'Sent by Telegram once the webhook is connected (`POST /api/telegram/connect`), with ' +
    '`X-Telegram-Bot-Api-Secret-Token` set to `TELEGRAM_WEBHOOK_SECRET`. `chat_member`, ' +
    '`my_chat_member`, `chat_join_request` and `message` updates are queued and applied in the ' +
    'background, each once by its `update_id`; any other update is acknowledged with ' +
    '`received: 0`, so that Telegram does not resend it. At most 256 KiB. ' +
    PUBLIC_ACCESS_SENTENCE,
  security: [],
  request: {
    headers: z.object({
      'x-telegram-bot-api-secret-token': z
        .string()
        .describe('The `secret_token` given to setWebhook: `TELEGRAM_WEBHOOK_SECRET`'),
    }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .any()
            .describe('A Telegram `Update` (`update_id` and one optional field per kind)'),
        },
      },
    },
  },
  responses: {
    200: {
      content: { 'application/json': { schema: UpdateAnswerSchema } },
      description: 'Accepted',
    },
    ...problemResponses(['malformed_json', 'unauthorized', 'payload_too_large'], {
      html: true,
      notes: {
        malformed_json: 'The body is not JSON.',
        unauthorized:
          'The secret token is missing or does not match, or Telegram is not configured.',
        payload_too_large: 'The body is larger than 256 KiB.',
      },
    }),
  },
})

telegramWebhookApp.post(
  '/webhooks/telegram',
  async (c, next) => {
    const telegram = telegramConfig(c.var.config)
    const secret = telegram?.webhookSecret
    if (!telegram || !secret)
      throw new ApiError('unauthorized', 'Telegram updates are not configured.')
    const sent = c.req.header('x-telegram-bot-api-secret-token') ?? ''
    if (!(await constantTimeEqual(sent, secret))) {
      throw new ApiError('unauthorized', 'The update’s secret token does not match.')
    }
    await next()
  },
  bodyLimit({
    maxSize: MAX_UPDATE_BYTES,
    onError: () => {
      throw new ApiError('payload_too_large', 'Telegram updates are limited to 256 KiB.')
    },
  }),
  async (c) => {
    let body: unknown
    try {
      body = JSON.parse(await c.req.text())
    } catch {
      throw new ApiError('malformed_json', 'The request body is not valid JSON.')
    }
    const item = updateItem(body)
    if (item) await c.env.TELEGRAM_QUEUE.send(item)
    const answer: z.infer<typeof UpdateAnswerSchema> = { received: item ? 1 : 0 }
    return c.json(answer)
  },
)
