import { z } from 'zod'

const SiteverifyResponse = z.object({
  success: z.boolean(),
  'error-codes': z.array(z.string()).optional(),
})

/**
 * Asks Cloudflare Turnstile (siteverify) whether a form was sent by a person. The endpoint is
 * configuration, so tests run against a local server that speaks the same protocol.
 */
export async function verifyTurnstile(
  options: { secret: string; verifyUrl: string },
  token: string | undefined,
  remoteIp: string | undefined,
): Promise<boolean> {
  if (!token) return false
  const form = new URLSearchParams({ secret: options.secret, response: token })
  if (remoteIp) form.set('remoteip', remoteIp)
  try {
    const response = await fetch(options.verifyUrl, { method: 'POST', body: form })
    if (!response.ok) return false
    const parsed = SiteverifyResponse.safeParse(await response.json())
    return parsed.success && parsed.data.success
  } catch (error) {
    console.error(JSON.stringify({ turnstile: 'verification failed', error: String(error) }))
    return false
  }
}
