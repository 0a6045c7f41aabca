import type { Config } from '../../lib/config'

/**
 * The Cloud API's send-message request to `to`: `POST {base}/{version}/{phone-number-id}/messages`
 * with the bearer token, for announcements and replies alike.
 */
export function cloudApiMessageRequest(
  config: Config,
  to: string,
  message: Record<string, unknown>,
): { url: string; init: RequestInit } {
  return {
    url: `${config.WHATSAPP_API_BASE}/${config.WHATSAPP_API_VERSION}/${config.WHATSAPP_PHONE_NUMBER_ID}/messages`,
    init: {
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
  }
}
