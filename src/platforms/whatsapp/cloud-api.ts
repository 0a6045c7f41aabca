import type { Config } from '../../lib/config'
import type { Lang } from '../../lib/i18n'

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

/**
 * The `language.code` a template goes to a person in: of the languages the templates are approved
 * in (`WHATSAPP_TEMPLATE_LANGUAGE`), theirs (`en` itself, else the first `en_*` listed), else the
 * first listed. Meta refuses a template in a language it has no approved translation in (error
 * 132001), so a person whose language is unknown or not listed gets the first.
 */
export function templateLanguage(config: Config, lang: Lang | null): string {
  const approved = config.WHATSAPP_TEMPLATE_LANGUAGE
  const own =
    lang === null
      ? undefined
      : (approved.find((code) => code === lang) ??
        approved.find((code) => code.startsWith(`${lang}_`)))
  return own ?? approved[0]!
}
