import { ApiError, type FieldError } from './errors'

/**
 * Why `value` is not an https URL on `allowedHosts` (an empty list allows any host), or null
 * when it is one. Subdomains of an allowed host are not allowed: `chat.whatsapp.com` does not
 * admit `chat.whatsapp.com.evil.example`, nor `evil.chat.whatsapp.com`, nor another port of it
 * (`chat.whatsapp.com:8443`; `:443` is the same URL and passes). A user name or password
 * in it is refused wherever it points: it would be shown to, or sent by, everyone who loads it.
 */
export function httpsUrlRefusal(
  value: string,
  allowedHosts: readonly string[],
): 'not_https' | 'credentials' | 'host' | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'not_https'
  }
  if (url.protocol !== 'https:') return 'not_https'
  if (url.username || url.password) return 'credentials'
  if (allowedHosts.length === 0) return null
  // An allowed host is that host as https serves it: on another port it is another server.
  return allowedHosts.includes(url.hostname.toLowerCase()) && url.port === '' ? null : 'host'
}

export function isAllowedHttpsUrl(value: string, allowedHosts: readonly string[]): boolean {
  return httpsUrlRefusal(value, allowedHosts) === null
}

/**
 * Whether people may be sent on to this chat invite link. Unlike images, an empty allow-list
 * admits nothing: this is where joining redirects to, so it is never an open redirect.
 */
export function isAllowedChatInviteUrl(value: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.length > 0 && isAllowedHttpsUrl(value, allowedHosts)
}

const IMAGE_URL_REFUSALS = {
  not_https: () => 'Must be an https URL',
  credentials: () => 'An image URL may not hold a user name or password',
  host: (hosts: readonly string[]) => `Images may come from ${hosts.join(', ')} only`,
}

/**
 * Checks URL fields against the installation's allow-lists: images may come only from
 * `IMAGE_HOSTS` (when set), chat invite links only from `CHAT_INVITE_HOSTS`, because people are
 * redirected there after joining.
 */
export function assertAllowedUrls(
  fields: { photoUrl?: string | null; iconUrl?: string | null; chatInviteUrl?: string | null },
  config: { IMAGE_HOSTS: string[]; CHAT_INVITE_HOSTS: string[] },
): void {
  const errors: FieldError[] = []
  for (const path of ['photoUrl', 'iconUrl'] as const) {
    const refusal = fields[path] ? httpsUrlRefusal(fields[path], config.IMAGE_HOSTS) : null
    if (refusal) errors.push({ path, message: IMAGE_URL_REFUSALS[refusal](config.IMAGE_HOSTS) })
  }
  const invite = fields.chatInviteUrl
  if (invite && !isAllowedChatInviteUrl(invite, config.CHAT_INVITE_HOSTS)) {
    const hosts = config.CHAT_INVITE_HOSTS
    errors.push({
      path: 'chatInviteUrl',
      message:
        hosts.length === 0
          ? 'This installation accepts no chat invite links (CHAT_INVITE_HOSTS is empty)'
          : httpsUrlRefusal(invite, hosts) === 'credentials'
            ? 'A chat invite link may not hold a user name or password'
            : `Chat invite links must be https on ${hosts.join(', ')}`,
    })
  }
  if (errors.length > 0) {
    throw new ApiError('validation_failed', 'A URL is not one this installation accepts.', {
      errors,
    })
  }
}
