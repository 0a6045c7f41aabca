import type { Context } from 'hono'
import { ApiError } from './errors'

/**
 * Reads an HTML form: urlencoded, or multipart where it carries a file (`files`: the QR
 * designer's logo; the session's check of the form's token reads either). A body that cannot be
 * read (a broken `%` escape or bytes that are not UTF-8, see `assertUtf8Form`) is a 400, not a
 * 500. A multipart body elsewhere is a 415: its text parts would be read with bytes that are not
 * UTF-8 turned into U+FFFD, a text nobody typed, and no form of ours sends one there. Repeated
 * fields come back as arrays. Hono caches the parsed body, so reading twice is cheap.
 */
export async function readForm(
  c: Context,
  { files = false }: { files?: boolean } = {},
): Promise<Record<string, string | File | (string | File)[]>> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (mediaType === 'multipart/form-data' && !files) {
    throw new ApiError(
      'unsupported_media_type',
      'This form is sent as application/x-www-form-urlencoded, as the page sends it.',
    )
  }
  let form: Record<string, string | File | (string | File)[]>
  try {
    if (mediaType === 'application/x-www-form-urlencoded') assertUtf8Form(await c.req.arrayBuffer())
    form = await c.req.parseBody({ all: true })
  } catch {
    throw new ApiError('bad_request', 'The form could not be read.')
  }
  // A browser sends a textarea's line breaks as CRLF, and its `maxlength` counts each as one
  // character: read as one, a text the field took fits the limit the server holds it to.
  const oneBreak = (value: string | File) =>
    typeof value === 'string' ? value.replace(/\r\n?/g, '\n') : value
  return Object.fromEntries(
    Object.entries(form).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.map(oneBreak) : oneBreak(value),
    ]),
  )
}

/**
 * Throws unless a urlencoded body is UTF-8 once decoded, its escapes whole: the runtime would read
 * bytes that are not as U+FFFD and drop a `%` that starts no escape, storing a text nobody typed.
 * A browser sends both encoded (`%EF%BF%BD` for a typed U+FFFD, `%25` for `%`), so none of its
 * forms is refused.
 */
function assertUtf8Form(body: ArrayBuffer): void {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)
  for (const part of text.split(/[&=]/)) decodeURIComponent(part.replace(/\+/g, ' '))
}
