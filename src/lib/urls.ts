import { ApiError, type FieldError } from './errors'

/**
 * Whether `value` is an https URL whose host is on `allowedHosts` (an empty list allows any
 * host). Subdomains of an allowed host are not allowed: `chat.whatsapp.com` does not admit
 * `chat.whatsapp.com.evil.example`, nor `evil.chat.whatsapp.com`.
 */
export function isAllowedHttpsUrl(value: string, allowedHosts: readonly string[]): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'https:' || url.username || url.password) return false
  return allowedHosts.length === 0 || allowedHosts.includes(url.hostname.toLowerCase())
}

/**
 * Whether people may be sent on to this chat invite link. Unlike images, an empty allow-list
 * admits nothing: this is where joining redirects to, so it is never an open redirect.
 */
export function isAllowedChatInviteUrl(value: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.length > 0 && isAllowedHttpsUrl(value, allowedHosts)
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
    const value = fields[path]
    if (value && !isAllowedHttpsUrl(value, config.IMAGE_HOSTS)) {
      errors.push({ path, message: `Images may come from ${config.IMAGE_HOSTS.join(', ')} only` })
    }
  }
  const invite = fields.chatInviteUrl
  if (invite && !isAllowedChatInviteUrl(invite, config.CHAT_INVITE_HOSTS)) {
    errors.push({
      path: 'chatInviteUrl',
      message: `Chat invite links must be https on ${config.CHAT_INVITE_HOSTS.join(', ')}`,
    })
  }
  if (errors.length > 0) {
    throw new ApiError('validation_failed', 'A URL is not on this installation’s allow-list.', {
      errors,
    })
  }
}
