import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError, fieldErrors } from '../lib/errors'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i
const CHARSET_PARAMETER = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i
/** How UTF-8 is labelled: its name, and the alias that runtimes' decoders take for it too. */
const UTF_8_LABELS = new Set(['utf-8', 'utf8'])

/** A Content-Type header's media type, lower case and without its parameters ('' for none). */
export function mediaTypeOf(contentType: string | undefined): string {
  return contentType?.split(';')[0]?.trim().toLowerCase() ?? ''
}

/** Whether a media type is JSON: `application/json` or a structured `application/<x>+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return JSON_MEDIA_TYPE.test(mediaType)
}

/**
 * Whether a JSON body's Content-Type lets it be read as UTF-8: it names no charset, or UTF-8.
 * JSON is UTF-8 (RFC 8259) and bodies are read so; a body labelled `utf-16` or `iso-8859-1`
 * would be read as other text than its sender wrote, so it is refused instead.
 */
export function declaresUtf8(contentType: string | undefined): boolean {
  const match = CHARSET_PARAMETER.exec(contentType ?? '')
  if (!match) return true
  return UTF_8_LABELS.has((match[1] ?? match[2] ?? '').trim().toLowerCase())
}

/**
 * Refuses a body whose bytes are not UTF-8 (400 `malformed_json`): read as they are, they would
 * become U+FFFD, stored as a name or a text nobody sent. The body stays readable after it.
 */
export async function assertUtf8Body(c: Context): Promise<void> {
  const bytes = await c.req.arrayBuffer()
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new ApiError('malformed_json', 'The request body is not UTF-8 text.')
  }
}

/** What a client is told when its JSON names a charset other than UTF-8. */
export const UTF_8_ONLY = 'Send JSON in UTF-8: with no charset, or charset=utf-8.'

/**
 * Refuses a request body that is not JSON with 415, instead of letting it read as an empty
 * object and fail validation with a confusing message, and JSON in a charset other than UTF-8
 * (the only one it is read in). Requests without a body (actions such as revoke) pass; what an
 * operation that takes no body makes of a JSON one is `refuseBody`'s.
 */
export function requireJsonBody() {
  return createMiddleware<AppEnv>(async function requireJsonBody(c, next) {
    if (BODY_METHODS.has(c.req.method)) {
      const contentType = c.req.header('content-type')
      const mediaType = mediaTypeOf(contentType)
      const hasBody = c.req.header('content-length') !== '0' && c.req.raw.body !== null
      if (hasBody && mediaType && !isJsonMediaType(mediaType)) {
        throw new ApiError('unsupported_media_type', 'Send the body as application/json.')
      }
      if (hasBody && mediaType && !declaresUtf8(contentType)) {
        throw new ApiError('unsupported_media_type', UTF_8_ONLY)
      }
      if (hasBody) await assertUtf8Body(c)
    }
    await next()
  })
}

/** The body an operation that takes none accepts: nothing, as a JSON object. */
const NoBodySchema = z.strictObject({}, { error: 'This operation takes no body: send none, or {}' })

/**
 * For an operation that takes no body (an action such as revoke, a delete): refuses a body that
 * says anything, so that a request meant for another operation, or with options this one does
 * not have, is not acted on as if they were not there. No body passes, and so does `{}`, which
 * clients that always send a JSON object send for "nothing"; malformed JSON is 400
 * `malformed_json`, any other JSON 400 `validation_failed` (its fields `Unknown field`).
 */
export function refuseBody() {
  return createMiddleware<AppEnv>(async function refuseBody(c, next) {
    const text = c.req.raw.body === null ? '' : await c.req.text()
    if (text.trim() !== '') {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        throw new ApiError('malformed_json', 'The request body is not valid JSON.')
      }
      const result = NoBodySchema.safeParse(value)
      if (!result.success) {
        throw new ApiError('validation_failed', 'This operation takes no body.', {
          errors: fieldErrors(result.error.issues),
        })
      }
    }
    await next()
  })
}
