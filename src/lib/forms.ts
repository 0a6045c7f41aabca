import type { Context } from 'hono'
import { ApiError } from './errors'

/**
 * Reads an HTML form (urlencoded or multipart). A body that cannot be read is a 400, not a 500.
 * Repeated fields come back as arrays. Hono caches the parsed body, so reading twice is cheap.
 */
export async function readForm(
  c: Context,
): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody({ all: true })
  } catch {
    throw new ApiError('bad_request', 'The form could not be read.')
  }
}
