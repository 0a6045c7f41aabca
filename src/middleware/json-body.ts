import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../lib/errors'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i

/** A Content-Type header's media type, lower case and without its parameters ('' for none). */
export function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? ''
}

/** Whether a media type is JSON: `application/json` or a structured `application/<x>+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return JSON_MEDIA_TYPE.test(mediaType)
}

/**
 * Refuses a request body that is not JSON with 415, instead of letting it read as an empty
 * object and fail validation with a confusing message. Bodyless POSTs (actions such as revoke)
 * pass.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async function requireJsonBody(c, next) {
    if (BODY_METHODS.has(c.req.method)) {
      const mediaType = mediaTypeOf(c.req.header('content-type'))
      const hasBody = c.req.header('content-length') !== '0' && c.req.raw.body !== null
      if (hasBody && mediaType && !isJsonMediaType(mediaType)) {
        throw new ApiError('unsupported_media_type', 'Send the body as application/json.')
      }
    }
    await next()
  })
}
