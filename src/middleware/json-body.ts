import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../lib/errors'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i

/**
 * Refuses a request body that is not JSON with 415, instead of letting it read as an empty
 * object and fail validation with a confusing message. Bodyless POSTs (actions such as revoke)
 * pass.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async function requireJsonBody(c, next) {
    if (BODY_METHODS.has(c.req.method)) {
      const contentType = c.req.header('content-type')?.split(';')[0]?.trim() ?? ''
      const hasBody = c.req.header('content-length') !== '0' && c.req.raw.body !== null
      if (hasBody && contentType && !JSON_MEDIA_TYPE.test(contentType)) {
        throw new ApiError('unsupported_media_type', 'Send the body as application/json.')
      }
    }
    await next()
  })
}
