import { z } from 'zod'
import { fetchOutbound } from '../lib/outbound'
import { logError } from '../lib/log'

const SiteverifyResponse = z.object({
  success: z.boolean(),
  'error-codes': z.array(z.string()).optional(),
})

/**
 * Asks Cloudflare Turnstile (siteverify) whether a form was sent by a person. The endpoint is
 * configuration, so tests run against a local server that speaks the same protocol.
 */
export async function verifyTurnstile(
  options: { secret: string; verifyUrl: string; allowLoopbackHttp: boolean },
  token: string | undefined,
  remoteIp: string | undefined,
): Promise<boolean> {
  if (!token) return false
  const form = new URLSearchParams({ secret: options.secret, response: token })
  if (remoteIp) form.set('remoteip', remoteIp)
  const result = await fetchOutbound(
    options.verifyUrl,
    { method: 'POST', body: form },
    { timeoutMs: 10_000, allowLoopbackHttp: options.allowLoopbackHttp },
  )
  if (!result.ok || !result.response.ok) {
    // The status and a fixed reason only: what the service answered is not logged.
    const reason = result.ok ? `HTTP ${result.response.status}` : result.reason
    logError({ turnstile: 'verification failed', reason })
    if (result.ok) await result.response.body?.cancel()
    return false
  }
  const parsed = SiteverifyResponse.safeParse(await result.response.json().catch(() => null))
  return parsed.success && parsed.data.success
}
