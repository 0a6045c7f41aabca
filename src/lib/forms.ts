import type { Context } from 'hono'
import { ApiError } from './errors'

/**
 * Reads an HTML form (urlencoded or multipart). A body that cannot be read (a broken `%` escape
 * too), or that is not UTF-8, is a 400, not a 500. Repeated fields come back as arrays. Hono
 * caches the parsed body, so reading twice is cheap.
 */
export async function readForm(
  c: Context,
): Promise<Record<string, string | File | (string | File)[]>> {
  let form: Record<string, string | File | (string | File)[]>
  try {
    // A `%` that starts no escape is no browser's: the runtime would drop it from what was typed.
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
    if (
      mediaType === 'application/x-www-form-urlencoded' &&
      /%(?![0-9A-Fa-f]{2})/.test(new TextDecoder().decode(await c.req.arrayBuffer()))
    ) {
      throw new Error('a broken escape')
    }
    form = await c.req.parseBody({ all: true })
  } catch {
    throw new ApiError('bad_request', 'The form could not be read.')
  }
  // A browser sends a textarea's line breaks as CRLF, and its `maxlength` counts each as one
  // character: read as one, a text the field took fits the limit the server holds it to.
  const oneBreak = (value: string | File) => {
    if (typeof value !== 'string') return value
    // Bytes that are not UTF-8 (a crafted or broken request) arrive as U+FFFD: refused, rather
    // than stored as a name or text nobody typed.
    if (value.includes('\uFFFD')) throw new ApiError('bad_request', 'The form is not UTF-8 text.')
    return value.replace(/\r\n?/g, '\n')
  }
  return Object.fromEntries(
    Object.entries(form).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.map(oneBreak) : oneBreak(value),
    ]),
  )
}
