import { z } from 'zod'
import type { DeliveryChannel } from '../db/schema'
import type { Config } from '../lib/config'
import { fetchOutbound } from '../lib/outbound'
import { signWebhook } from '../lib/standard-webhooks'
import type { Lang } from '../lib/i18n'
import { cloudApiMessageRequest, templateLanguage } from '../platforms/whatsapp/cloud-api'
import {
  DEFER_SECONDS,
  RETRYABLE_CLOUD_API_CODES,
  whatsAppErrorPolicy,
} from '../platforms/whatsapp/errors'

/**
 * How one attempt to deliver a message went. `error` is a short fixed reason (see
 * `services/delivery/reasons.ts`), never what the endpoint answered; `status` its HTTP status.
 */
export type SendResult =
  | { outcome: 'sent'; providerMessageId: string | null; status?: number }
  | { outcome: 'retry'; error: string; status?: number; retryAfterSeconds?: number }
  | { outcome: 'failed'; error: string; status?: number }
  /** No answer in time: the receiver may or may not have the message. */
  | { outcome: 'unknown'; error: string }

/** Whether a channel tells, for each message it took, that it was delivered, and that it was read. */
export interface Receipts {
  delivered: boolean
  read: boolean
}

/**
 * What each channel reports back: the Cloud API both, as status notifications per message; a
 * webhook endpoint neither (it answers that it took the message, and that is all anyone hears).
 */
export const CHANNEL_RECEIPTS: Record<DeliveryChannel, Receipts> = {
  webhook: { delivered: false, read: false },
  whatsapp: { delivered: true, read: true },
}

/** The reason stored for a send that got no answer in time. */
export const TIMED_OUT_UNKNOWN = 'timed out: outcome unknown'

/** The reason stored for a Cloud API send whose connection was lost before its answer. */
export const CONNECTION_LOST_UNKNOWN = 'connection lost: outcome unknown'

/**
 * How long one send may take, per channel: a Standard Webhooks receiver should answer within
 * seconds (it queues its work), the Cloud API within a few; after that the outcome is unknown.
 * `DELIVERY_TIMEOUT_SECONDS` overrides both.
 */
export const CHANNEL_TIMEOUT_MS = { webhook: 20_000, whatsapp: 30_000 } as const

export function channelTimeoutMs(
  config: Config,
  channel: DeliveryChannel = config.DELIVERY_CHANNEL,
): number {
  return config.DELIVERY_TIMEOUT_SECONDS
    ? config.DELIVERY_TIMEOUT_SECONDS * 1000
    : CHANNEL_TIMEOUT_MS[channel]
}

/**
 * Sorts an HTTP answer: 2xx sent, 429 and 5xx worth retrying, any other 4xx final. The reason
 * names the status (and a provider's numeric error code), not the body.
 */
/**
 * A `Retry-After` header in seconds: a number of seconds, or an HTTP date (RFC 9110 allows both),
 * counted from now. NaN when it says neither.
 */
function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === '') return NaN
  if (/^\s*\d+\s*$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? NaN : Math.ceil((at - now) / 1000)
}

function classify(status: number, retryAfter: string | null, code?: number): SendResult | null {
  if (status >= 200 && status < 300) return null
  const error = `HTTP ${status} from the endpoint${code === undefined ? '' : ` (error ${code})`}`
  if (status === 429 || status >= 500) {
    const seconds = retryAfterSeconds(retryAfter)
    return {
      outcome: 'retry',
      error,
      status,
      ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : {}),
    }
  }
  return { outcome: 'failed', error, status }
}

async function post(
  url: string,
  init: RequestInit,
  allowLoopbackHttp: boolean,
  timeoutMs: number,
): Promise<Response | SendResult> {
  const result = await fetchOutbound(
    url,
    { ...init, method: 'POST' },
    { timeoutMs, allowLoopbackHttp },
  )
  if (result.ok) return result.response
  if (result.reason === 'timed out') return { outcome: 'unknown', error: TIMED_OUT_UNKNOWN }
  return {
    outcome: result.retryable ? 'retry' : 'failed',
    error: result.reason,
    ...(result.status ? { status: result.status } : {}),
  }
}

/**
 * Sends a JSON payload to a webhook endpoint, signed per Standard Webhooks. `id` stays the same
 * across retries, so the receiver can drop a message it has seen.
 */
export async function sendSignedWebhook(
  target: { url: string; secret: string; allowLoopbackHttp: boolean },
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
    target.allowLoopbackHttp,
    timeoutMs,
  )
  if (!(response instanceof Response)) return response
  // The receiver's answer is not read: nothing it says is stored or shown.
  await response.body?.cancel()
  return (
    classify(response.status, response.headers.get('retry-after')) ?? {
      outcome: 'sent',
      providerMessageId: null,
      status: response.status,
    }
  )
}

const CloudApiSuccess = z.object({
  messages: z.array(z.object({ id: z.string().max(256) })).min(1),
})
const CloudApiError = z.object({
  error: z.object({
    message: z.string(),
    code: z.number().int().optional(),
    error_subcode: z.number().optional(),
  }),
})

/**
 * Sends a text (or, when a template is configured, a template) message through the WhatsApp
 * Business Cloud API: `POST {base}/{version}/{phone-number-id}/messages` with a bearer token. A
 * template goes in the recipient's language (`lang`) where it is approved in it.
 */
export async function sendWhatsAppMessage(
  config: Config,
  to: string,
  text: string,
  lang: Lang | null,
): Promise<SendResult> {
  const message = config.WHATSAPP_TEMPLATE_NAME
    ? {
        type: 'template',
        template: {
          name: config.WHATSAPP_TEMPLATE_NAME,
          language: { code: templateLanguage(config, lang) },
          components: [{ type: 'body', parameters: [{ type: 'text', text }] }],
        },
      }
    : { type: 'text', text: { preview_url: false, body: text } }
  return sendCloudApiMessage(config, to, message, channelTimeoutMs(config))
}

/**
 * Sends one message (a text or a template, as the Cloud API spells it) to `to` and sorts the
 * answer: sent with Meta's message id, worth another try (429, 5xx, Meta's throughput and
 * per-person limits), failed for good, or unknown (no answer within `timeoutMs`).
 */
export async function sendCloudApiMessage(
  config: Config,
  to: string,
  message: Record<string, unknown>,
  timeoutMs: number,
): Promise<SendResult> {
  if (!config.WHATSAPP_ACCESS_TOKEN || !config.WHATSAPP_PHONE_NUMBER_ID) {
    return {
      outcome: 'failed',
      error: 'WhatsApp is not configured (WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID)',
    }
  }
  const request = cloudApiMessageRequest(config, to, message)
  const response = await post(request.url, request.init, config.ALLOW_HTTP_WEBHOOKS, timeoutMs)
  if (!(response instanceof Response)) {
    // The Cloud API does not deduplicate, and a connection lost may have carried the message
    // before it dropped: nobody knows, so it is never sent again, as after a timeout. (A webhook
    // receiver drops a repeat by its webhook-id: there, a lost connection is tried again.)
    return response.outcome === 'retry' && response.error === 'network error'
      ? { outcome: 'unknown', error: CONNECTION_LOST_UNKNOWN }
      : response
  }
  const json: unknown = await response.json().catch(() => null)
  if (response.ok) {
    const success = CloudApiSuccess.safeParse(json)
    return {
      outcome: 'sent',
      providerMessageId: success.success ? success.data.messages[0]!.id : null,
    }
  }
  // Only the documented numeric error code is kept, never the message text.
  const code = CloudApiError.safeParse(json).data?.error.code
  const result = classify(response.status, response.headers.get('retry-after'), code)!
  if (result.outcome === 'failed' && RETRYABLE_CLOUD_API_CODES.has(code ?? -1)) {
    return { ...result, outcome: 'retry' }
  }
  // Meta's per-person limits, by the one error-code table: worth another try later.
  const policy = code !== undefined ? whatsAppErrorPolicy(code) : null
  if (result.outcome === 'failed' && (policy?.action === 'retry' || policy?.action === 'defer')) {
    return {
      ...result,
      outcome: 'retry',
      ...(policy.action === 'defer' ? { retryAfterSeconds: DEFER_SECONDS } : {}),
    }
  }
  return result
}
