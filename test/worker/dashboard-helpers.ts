import { expect } from 'vitest'
import { BASE, call, OWNER_TOKEN } from './helpers'

/** A sign-in link as the dashboard shows it once: the read-only field's value. */
export function shownLink(html: string): string {
  const url = /id="sign-in-link"[^>]*value="([^"]+)"/.exec(html)?.[1]
  expect(url, 'the page shows the sign-in link').toBeTruthy()
  return url!
}

/** Confirms a sign-in link on its page: the form posts back to the same address, same origin. */
export function confirm(url: string) {
  return call('POST', new URL(url).pathname, {
    token: null,
    rawBody: '',
    headers: {
      accept: 'text/html',
      'accept-language': 'en',
      'content-type': 'application/x-www-form-urlencoded',
      origin: BASE,
    },
  })
}

/** The session cookie an answer set (a confirmed sign-in link's, for one). */
export function sessionOf(answer: { headers: Headers }): string {
  return answer.headers.get('set-cookie')!.split(';')[0]!
}

/** Signs in to the dashboard with a token, as the sign-in form does, and returns the cookie. */
export async function signIn(token = OWNER_TOKEN) {
  const response = await call('POST', '/admin/login?next=/admin', {
    token: null,
    rawBody: new URLSearchParams({ token }).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: BASE,
      // Each from an address of its own, as teammates sign in from theirs: a file's many
      // sign-ins are not one network's attempts (see "limits sign-ins" in dashboard.test.ts).
      'cf-connecting-ip': nextAddress(),
    },
  })
  expect(response.status).toBe(303)
  const cookie = response.headers.get('set-cookie') ?? ''
  return { response, cookie: cookie.split(';')[0]! }
}

let addresses = 0
function nextAddress(): string {
  addresses += 1
  return `198.51.${Math.floor(addresses / 250)}.${(addresses % 250) + 1}`
}

/** Opens a dashboard page with a session cookie, in English. */
export async function page(path: string, cookie: string) {
  return call('GET', path, {
    token: null,
    headers: { cookie, accept: 'text/html', 'accept-language': 'en' },
  })
}

/**
 * The header's count of pending requests (every one this admin decides on, in any community)
 * and where it leads; undefined where the header shows none.
 */
export function headerPending(html: string) {
  const header = /<header>.*?<\/header>/s.exec(html)?.[0] ?? ''
  const link = /<a href="([^"]+)"[^>]*>[^<]* <span class="pill">(\d+)<\/span>/.exec(header)
  return link ? { count: Number(link[2]), href: link[1] } : undefined
}

/** The count on a community's approvals tab (its own pending requests); undefined at none. */
export function tabPending(html: string): number | undefined {
  const tabs = /<nav class="tabs">.*?<\/nav>/s.exec(html)?.[0] ?? ''
  const count = /<span class="pill">(\d+)<\/span>/.exec(tabs)?.[1]
  return count === undefined ? undefined : Number(count)
}

/** The session's form token, from any page that carries a form. */
export function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!
}

/** Sends a dashboard form as a browser on the dashboard's own pages does (same origin). */
export async function post(
  path: string,
  cookie: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
) {
  const body = new URLSearchParams()
  for (const [key, value] of Object.entries(fields))
    for (const v of [value].flat()) body.append(key, v)
  return postBody(path, cookie, body.toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    ...headers,
  })
}

/**
 * Sends a body of any making (bytes no browser sends, a multipart form) from the dashboard's own
 * pages, as `post` sends a form.
 */
/**
 * A multipart body of text parts as bytes, so a part can hold bytes that are not UTF-8 (which no
 * browser sends), with the content type that names its boundary.
 */
export function rawMultipart(parts: Array<[string, string | Uint8Array]>) {
  const boundary = 'RawBoundary7MA4YWxk'
  const encode = (text: string) => new TextEncoder().encode(text)
  const chunks = parts.flatMap(([name, value]) => [
    encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
    typeof value === 'string' ? encode(value) : value,
    encode('\r\n'),
  ])
  chunks.push(encode(`--${boundary}--\r\n`))
  const body = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.length
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

export async function postBody(
  path: string,
  cookie: string,
  body: BodyInit,
  headers: Record<string, string> = {},
) {
  return call('POST', path, {
    token: null,
    rawBody: body,
    headers: { cookie, accept: 'text/html', 'accept-language': 'en', origin: BASE, ...headers },
  })
}

/**
 * What a screen reader reads from `aria-labelledby` or `aria-describedby` on each element of
 * `tag` that carries `attribute`: the text of the elements it names, in order, joined by spaces.
 */
export function referencedTexts(
  html: string,
  tag: string,
  attribute: 'aria-labelledby' | 'aria-describedby',
): string[] {
  const textOf = (id: string) => {
    const element = new RegExp(`<(\\w+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html)
    expect(element, `no element with id="${id}"`).not.toBeNull()
    return element![2]!.replace(/<[^>]+>/g, '').trim()
  }
  const uses = html.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${attribute}="([^"]+)"`, 'g'))
  return [...uses].map(([, ids]) => ids!.split(/\s+/).map(textOf).join(' '))
}
