import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../lib/errors'
import type { Context } from 'hono'
import type { Principal } from '../services/access'
import { shouldRecordUse, touchTokenUse } from '../services/team'
import { apiClientAddress, countTokenTry } from '../services/sign-in-limits'
import { tooManyAttempts } from '../services/rate-limits'
import { findPrincipalByToken } from '../services/tokens'
import { signingSecret } from '../lib/config'

export interface BearerAuthOptions {
  /**
   * Paths under the mount point that answer without a token (the API's own documentation); one
   * ending in `/*` stands for every path below it.
   */
  publicPaths?: string[]
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/**
 * Requires `Authorization: Bearer <token>` and puts the caller on the context as `principal`.
 * A missing, malformed, unknown or revoked token is a 401, before anything else (a 429 once its
 * network has sent too many wrong ones: src/services/sign-in-limits.ts); what the caller
 * may do with a valid one the router decides from each operation's declared access (403, or 404
 * for what it may not see: src/api/operation.ts).
 */
export function bearerAuth(options: BearerAuthOptions = {}) {
  const paths = options.publicPaths ?? []
  const publicPaths = new Set(paths.filter((path) => !path.endsWith('/*')))
  const publicPrefixes = paths
    .filter((path) => path.endsWith('/*'))
    .map((path) => path.slice(0, -1))
  return createMiddleware<AppEnv>(async function bearerAuth(c, next) {
    const path = c.req.path
    if (publicPaths.has(path) || publicPrefixes.some((prefix) => path.startsWith(prefix))) {
      return next()
    }
    const match = BEARER.exec(c.req.header('authorization') ?? '')
    const challenge = { 'WWW-Authenticate': 'Bearer realm="api"' }
    if (!match?.[1]) {
      throw new ApiError('unauthorized', 'Send an API token as "Authorization: Bearer <token>".', {
        headers: challenge,
      })
    }
    const token = match[1]
    // A token that could be a guess at ADMIN_TOKEN is counted before it is compared, and
    // refused, right or wrong, from a network past its limit (src/services/sign-in-limits.ts).
    const ip = apiClientAddress(c.req.header('cf-connecting-ip'))
    const tried = ip
      ? await countTokenTry(c.var.db, signingSecret(c.var.config), ip, token, new Date())
      : null
    if (tried?.refused) throw tooManyAttempts([tried])
    const principal = await findPrincipalByToken(c.var.db, token, c.var.config.ADMIN_TOKEN)
    if (!principal) {
      throw new ApiError('unauthorized', 'This token is unknown or has been revoked.', {
        headers: challenge,
      })
    }
    if (tried) c.executionCtx.waitUntil(tried.giveBack(c.var.deferredDb))
    c.set('principal', principal)
    noteTokenUse(c, principal)
    await next()
  })
}

/**
 * Writes down when a stored token was last used (for "who has access"), after the answer and
 * at most once a minute per token, so the request itself pays nothing for it.
 */
export function noteTokenUse(c: Context<AppEnv>, principal: Principal): void {
  const now = new Date()
  if (!principal.tokenId || !shouldRecordUse(principal.tokenId, now)) return
  c.executionCtx.waitUntil(touchTokenUse(c.var.deferredDb, principal.tokenId, now))
}
