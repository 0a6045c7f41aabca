import { ADDRESS_KINDS, addressKind, isAddressLiteral } from './addresses'

/**
 * Every URL the Worker fetches (webhook endpoints, the delivery webhook, the WhatsApp Cloud API,
 * Turnstile) passes through here: checked when it is registered or configured, and again right
 * before each request, because configuration changes and rows may predate a rule.
 */

/** Why a URL may not be fetched: a short, fixed phrase an admin can act on. */
export const OUTBOUND_REFUSALS = [
  'not a URL',
  'must be https',
  'must not contain a user name or password',
  'cloud metadata host',
  'local host name',
  'single-label host',
  ...ADDRESS_KINDS,
] as const
export type OutboundRefusal = (typeof OUTBOUND_REFUSALS)[number]

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: OutboundRefusal }

export interface OutboundOptions {
  /**
   * Local development (`ALLOW_HTTP_WEBHOOKS`): plain http, and hosts on loopback and private
   * networks, where the local stand-ins run.
   */
  allowLoopbackHttp: boolean
}

// Names of cloud metadata services that are not already local names or private addresses.
const METADATA_HOSTS = new Set(['metadata.goog', 'metadata.google.internal', 'instance-data'])
// Names that resolve to this machine or a private network by convention or by standard.
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'lan']

/**
 * Whether the Worker may send a request to `value`. Only https to a public host, written in any
 * notation the URL parser accepts: the parser first turns `127.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `%6c%6fcalhost`, upper case and full-width digits into one canonical host, and
 * the canonical host is what is checked.
 */
export function checkOutboundUrl(value: string | URL, options: OutboundOptions): OutboundCheck {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { ok: false, reason: 'not a URL' }
  }
  const scheme = url.protocol
  if (scheme !== 'https:' && !(scheme === 'http:' && options.allowLoopbackHttp)) {
    return { ok: false, reason: 'must be https' }
  }
  if (url.username || url.password) {
    return { ok: false, reason: 'must not contain a user name or password' }
  }
  if (options.allowLoopbackHttp) return { ok: true, url }
  const reason = hostRefusal(url.hostname)
  return reason ? { ok: false, reason } : { ok: true, url }
}

/** Why a host (as `URL.hostname` gives it) is not a public one, or null. */
function hostRefusal(hostname: string): OutboundRefusal | null {
  const host = hostname.toLowerCase().replace(/\.+$/, '')
  if (host === '') return 'single-label host'
  if (isAddressLiteral(host)) return addressKind(host)
  if (METADATA_HOSTS.has(host)) return 'cloud metadata host'
  if (LOCAL_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))) {
    return 'local host name'
  }
  if (!host.includes('.')) return 'single-label host'
  return null
}

/** How a request that did not get a usable answer went: fixed phrases, never the remote body. */
export type OutboundFailure =
  `refused: ${OutboundRefusal}` | 'redirect not followed' | 'timed out' | 'network error'

export type OutboundResult =
  | { ok: true; response: Response }
  | { ok: false; reason: OutboundFailure; status?: number; retryable: boolean }

/**
 * The one place the Worker calls `fetch` for a URL it was given. Re-checks the URL, never
 * follows a redirect (a 3xx is a failed attempt, so an allowed host cannot send us on to a
 * forbidden one), and gives up after `timeoutMs`. A failure carries a fixed reason; the body of a
 * redirect is discarded unread.
 */
export async function fetchOutbound(
  url: string,
  init: RequestInit,
  options: OutboundOptions & { timeoutMs: number },
): Promise<OutboundResult> {
  const check = checkOutboundUrl(url, options)
  if (!check.ok) return { ok: false, reason: `refused: ${check.reason}`, retryable: false }
  const timeout = AbortSignal.timeout(options.timeoutMs)
  let response: Response
  try {
    response = await fetch(check.url, {
      ...init,
      redirect: 'manual',
      signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    })
  } catch (error) {
    const timedOut = timeout.aborted || (error instanceof Error && error.name === 'TimeoutError')
    return { ok: false, reason: timedOut ? 'timed out' : 'network error', retryable: true }
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    return {
      ok: false,
      reason: 'redirect not followed',
      status: response.status,
      retryable: false,
    }
  }
  return { ok: true, response }
}
