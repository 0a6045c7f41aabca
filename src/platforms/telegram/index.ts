import { ApiError } from '../../lib/errors'
import type { BotApiResult } from './client'

/**
 * What the services and routes use of Telegram: the client's calls, and the one way their
 * failures become answers.
 */
export { getChatMember, getWebhookInfo, setWebhook, type WebhookInfo } from './client'
export { ALLOWED_UPDATES } from './updates'

/** The result of a Bot API call, or a 502 that says why there is none (never the token). */
export function resultOrThrow<T>(outcome: BotApiResult<T>, what: string): T {
  if (outcome.ok) return outcome.result
  const reason =
    outcome.kind === 'rate_limited'
      ? `Telegram asks us to wait ${outcome.retryAfter} s`
      : outcome.kind === 'refused'
        ? `Telegram answered ${outcome.errorCode}: ${outcome.description}`
        : `Telegram could not be reached (${outcome.reason})`
  throw new ApiError('telegram_unavailable', `${what} failed. ${reason}.`, {
    headers:
      outcome.kind === 'rate_limited' ? { 'retry-after': String(outcome.retryAfter) } : undefined,
  })
}
