import { z } from 'zod'
import type { Config } from '../lib/config'
import { signWebhook } from '../lib/standard-webhooks'

/** How one attempt to deliver a message went. */
export type SendResult =
  | { outcome: 'sent'; providerMessageId: string | null }
  | { outcome: 'retry'; error: string; retryAfterSeconds?: number }
  | { outcome: 'failed'; error: string }
  /** No answer in time: the receiver may or may not have the message. */
  | { outcome: 'unknown'; error: string }

/**
 * How long one send may take, per channel: a Standard Webhooks receiver should answer within
 * seconds (it queues its work), the Cloud API within a few; after that the outcome is unknown.
 * `DELIVERY_TIMEOUT_SECONDS` overrides both.
 */
export const CHANNEL_TIMEOUT_MS = { webhook: 20_000, whatsapp: 30_000 } as const

export function channelTimeoutMs(config: Config): number {
  return config.DELIVERY_TIMEOUT_SECONDS
    ? config.DELIVERY_TIMEOUT_SECONDS * 1000
    : CHANNEL_TIMEOUT_MS[config.DELIVERY_CHANNEL]
}

/** Sorts an HTTP answer: 2xx sent, 429 and 5xx worth retrying, any other 4xx final. */
function classify(status: number, detail: string, retryAfter: string | null): SendResult | null {
  if (status >= 200 && status < 300) return null
  const error = `HTTP ${status}: ${detail}`.slice(0, 500)
  if (status === 429 || status >= 500) {
    const seconds = Number(retryAfter)
    return {
      outcome: 'retry',
      error,
      ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : {}),
    }
  }
  return { outcome: 'failed', error }
}

async function post(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response | SendResult> {
  try {
    return await fetch(url, { ...init, method: 'POST', signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return {
        outcome: 'unknown',
        error: `timeout: no answer within ${timeoutMs / 1000} s, outcome unknown`,
      }
    }
    return { outcome: 'retry', error: `network: ${String(error)}`.slice(0, 500) }
  }
}

/**
 * Sends a JSON payload to a webhook endpoint, signed per Standard Webhooks. `id` stays the same
 * across retries, so the receiver can drop a message it has seen.
 */
export async function sendSignedWebhook(
  target: { url: string; secret: string },
  id: string,
  payload: unknown,
  now: Date,
  timeoutMs: number = CHANNEL_TIMEOUT_MS.webhook,
): Promise<SendResult> {
  const body = JSON.stringify(payload)
  // `now` is the moment of this request: each attempt is signed when it is sent.
  const headers = await signWebhook(target.secret, id, Math.floor(now.getTime() / 1000), body)
  const response = await post(
    target.url,
    { headers: { 'content-type': 'application/json', ...headers }, body },
    timeoutMs,
  )
  if (!(response instanceof Response)) return response
  const text = await response.text().catch(() => '')
  return (
    classify(response.status, text, response.headers.get('retry-after')) ?? {
      outcome: 'sent',
      providerMessageId: null,
    }
  )
}

const CloudApiSuccess = z.object({ messages: z.array(z.object({ id: z.string() })).min(1) })
const CloudApiError = z.object({
  error: z.object({
    message: z.string(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
  }),
})

/**
 * Throughput and spam-rate errors of the Cloud API: answered with HTTP 400 or 429, yet worth
 * another try later.
 */
const RETRYABLE_CLOUD_API_CODES = new Set([4, 80007, 130429, 131048, 131056, 133016])

/**
 * Sends a text (or, when a template is configured, a template) message through the WhatsApp
 * Business Cloud API: `POST {base}/{version}/{phone-number-id}/messages` with a bearer token.
 */
export async function sendWhatsAppMessage(
  config: Config,
  to: string,
  text: string,
): Promise<SendResult> {
  if (!config.WHATSAPP_ACCESS_TOKEN || !config.WHATSAPP_PHONE_NUMBER_ID) {
    return {
      outcome: 'failed',
      error: 'WhatsApp is not configured (WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID)',
    }
  }
  const message = config.WHATSAPP_TEMPLATE_NAME
    ? {
        type: 'template',
        template: {
          name: config.WHATSAPP_TEMPLATE_NAME,
          language: { code: config.WHATSAPP_TEMPLATE_LANGUAGE },
          components: [{ type: 'body', parameters: [{ type: 'text', text }] }],
        },
      }
    : { type: 'text', text: { preview_url: false, body: text } }
  const url = `${config.WHATSAPP_API_BASE}/${config.WHATSAPP_API_VERSION}/${config.WHATSAPP_PHONE_NUMBER_ID}/messages`
  const response = await post(
    url,
    {
      headers: {
        authorization: `Bearer ${config.WHATSAPP_ACCESS_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to,
        ...message,
      }),
    },
    channelTimeoutMs(config),
  )
  if (!(response instanceof Response)) return response
  const json: unknown = await response.json().catch(() => null)
  if (response.ok) {
    const success = CloudApiSuccess.safeParse(json)
    return {
      outcome: 'sent',
      providerMessageId: success.success ? success.data.messages[0]!.id : null,
    }
  }
  const error = CloudApiError.safeParse(json)
  const detail = error.success
    ? `${error.data.error.code ?? ''} ${error.data.error.message}`.trim()
    : 'unexpected answer'
  if (error.success && RETRYABLE_CLOUD_API_CODES.has(error.data.error.code ?? -1)) {
    return { outcome: 'retry', error: `HTTP ${response.status}: ${detail}` }
  }
  return classify(response.status, detail, response.headers.get('retry-after'))!
}
