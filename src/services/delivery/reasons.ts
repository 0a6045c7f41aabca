import { OUTBOUND_REFUSALS } from '../../lib/outbound'
import { pausedReason, WHATSAPP_REASONS } from '../../platforms/whatsapp/errors'

/**
 * Why a delivery did not go out, as stored on delivery rows and shown to admins: a small closed
 * set of fixed phrases plus `HTTP <status> from the endpoint` (with a provider's numeric error
 * code, e.g. the WhatsApp Cloud API's). Never anything the endpoint wrote: an endpoint is chosen
 * by an admin, and what it answers must not come back to them through us. The phrases are stable
 * English, as the API and the CSV give them; the dashboard shows them in its reader's language
 * (lib/i18n/delivery-reasons.ts).
 */
export const FIXED_DELIVERY_REASONS: readonly string[] = [
  'redirect not followed',
  'timed out',
  'network error',
  ...OUTBOUND_REFUSALS.map((reason) => `refused: ${reason}`),
  'outcome unknown: an earlier attempt was interrupted after sending',
  // A send without an answer in time, or interrupted after its claim (see `resendsWhenUnknown`).
  'timed out: outcome unknown',
  'connection lost: outcome unknown',
  'outcome unknown: the attempt was interrupted after it may have been sent',
  'outcome unknown: the last attempt was interrupted after it may have been sent',
  'interrupted; sent again with the same webhook-id',
  'run cancelled',
  'member left',
  'no phone number',
  'phone number not confirmed',
  'the number sent STOP',
  'no confirmed contact',
  'announcement deleted',
  'event not found',
  'endpoint removed',
  // The endpoint answered 410 Gone before this delivery's turn (`stopWebhookEndpoint`).
  'endpoint stopped: it answered 410 Gone',
  'unexpected error',
  'webhook channel is not configured (DELIVERY_WEBHOOK_URL, DELIVERY_WEBHOOK_SECRET)',
  'WhatsApp is not configured (WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID)',
  'delivery failed',
  // What WhatsApp reported back, by the error-code table (src/platforms/whatsapp/errors.ts).
  ...WHATSAPP_REASONS,
  ...WHATSAPP_REASONS.map(pausedReason),
]
const FIXED_REASONS = new Set(FIXED_DELIVERY_REASONS)

const HTTP_REASON = /^HTTP \d{3} from the endpoint( \(error \d{1,16}\))?$/
const WHATSAPP_CODE_REASON =
  /^WhatsApp (could not deliver it|did not take it at any attempt) \(error \d{1,16}\)$/

/** Whether `reason` is one of the phrases a delivery row may hold. */
export function isDeliveryReason(reason: string): boolean {
  return FIXED_REASONS.has(reason) || HTTP_REASON.test(reason) || WHATSAPP_CODE_REASON.test(reason)
}

/**
 * The reason to show for a stored one. Rows written before endpoints' answers were dropped may
 * hold an answer's text (`HTTP 500: <body>`, `network: <error>`): only its status is shown.
 */
export function shownReason(stored: string | null): string | null {
  if (stored === null || isDeliveryReason(stored)) return stored
  const status = /^HTTP (\d{3})\b/.exec(stored)?.[1]
  if (status) return `HTTP ${status} from the endpoint`
  if (stored.startsWith('network')) return 'network error'
  return 'delivery failed'
}
