import type { Config } from '../../lib/config'
import { fetchOutbound } from '../../lib/outbound'
import type { Lang } from '../../lib/i18n'
import { cloudApiMessageRequest, templateLanguage } from './cloud-api'
import { logError } from '../../lib/log'

/**
 * A free-form text reply through the Cloud API. Allowed only inside the 24-hour window that a
 * person's own message opens, which is when we answer: a confirmation, an opt-out, an opt-in.
 * A reply that fails is logged, never retried: the action it confirms has happened either way.
 */
export function sendWhatsAppReply(config: Config, to: string, text: string): Promise<boolean> {
  return postMessage(config, to, { type: 'text', text: { preview_url: false, body: text } })
}

/** Whether the business-initiated confirmation below can go out: a template and the Cloud API. */
export function canSendConfirmationTemplate(config: Config): boolean {
  return (
    !!config.WHATSAPP_CONFIRM_TEMPLATE &&
    !!config.WHATSAPP_ACCESS_TOKEN &&
    !!config.WHATSAPP_PHONE_NUMBER_ID
  )
}

/**
 * The business-initiated confirmation (`WHATSAPP_CONFIRM_TEMPLATE`): an approved template whose
 * quick-reply button carries the sign-up's one-time code, so tapping it confirms. The body's one
 * parameter is the community's name. In the sign-up's language (`lang`) where the template is
 * approved in it.
 */
export function sendConfirmationTemplate(
  config: Config,
  to: string,
  code: string,
  communityName: string,
  lang: Lang | null,
): Promise<boolean> {
  return postMessage(config, to, {
    type: 'template',
    template: {
      name: config.WHATSAPP_CONFIRM_TEMPLATE,
      language: { code: templateLanguage(config, lang) },
      components: [
        { type: 'body', parameters: [{ type: 'text', text: communityName }] },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: code }],
        },
      ],
    },
  })
}

/**
 * A business-initiated template whose body's one parameter is the community's name, as the Cloud
 * API's message: how an applicant hears a decision once their 24-hour window has closed (see
 * services/decision-notices.ts). In the sign-up's language (`lang`) where the template is
 * approved in it.
 */
export function communityTemplate(
  config: Config,
  template: string,
  communityName: string,
  lang: Lang | null,
): Record<string, unknown> {
  return {
    type: 'template',
    template: {
      name: template,
      language: { code: templateLanguage(config, lang) },
      components: [{ type: 'body', parameters: [{ type: 'text', text: communityName }] }],
    },
  }
}

async function postMessage(
  config: Config,
  to: string,
  message: Record<string, unknown>,
): Promise<boolean> {
  if (!config.WHATSAPP_ACCESS_TOKEN || !config.WHATSAPP_PHONE_NUMBER_ID) return false
  const request = cloudApiMessageRequest(config, to, message)
  const result = await fetchOutbound(
    request.url,
    { ...request.init, method: 'POST' },
    { timeoutMs: 10_000, allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS },
  )
  if (!result.ok) {
    logError({ reply: 'failed', reason: result.reason })
    return false
  }
  await result.response.body?.cancel()
  if (!result.response.ok) {
    logError({ reply: 'failed', status: result.response.status })
  }
  return result.response.ok
}
