import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { TestProject } from 'vitest/node'
import { createFakeTelegram } from './fake-telegram.ts'
import { metaWamid } from './whatsapp-notifications.ts'

/**
 * Stand-ins for the outside services the Worker talks to, on 127.0.0.1, speaking their
 * documented protocols. Tests inside workerd reach them over real HTTP and read back what they
 * received from `GET /__requests`.
 *
 * - Cloudflare Turnstile siteverify: `POST /turnstile/v0/siteverify` (form: secret, response,
 *   remoteip) answers `{ success, "error-codes" }`. The token `human-token` passes.
 * - A webhook receiver: `POST /webhook` answers 200. What it does is steered by the recipient's
 *   name in the payload, so each test picks its case: a name with `flaky` gets 503 on the first
 *   try of each webhook-id, `broken` always 400, `slow-down` 429 with Retry-After once,
 *   `come-back-later` 503 once with a Retry-After that is an HTTP date ten minutes ahead,
 *   `leaky` always 500 with a body holding a secret (`LEAKY_BODY`), `redirected` a 302 to
 *   `/redirect-target`, `slow <ms>` answers after that many milliseconds, and `strict <s>`
 *   refuses (400, as the Standard Webhooks libraries do) a `webhook-timestamp` more than that
 *   many seconds away from the moment the request arrives: the 5-minute tolerance, scaled for
 *   test speed.
 * - Endpoints that misbehave whoever is the recipient: `POST /wrong-secret` answers 401 (a
 *   signature it cannot verify); `POST /leaky` answers 500 with
 *   `LEAKY_BODY`; `POST /redirect` answers 302 to `/redirect-target` (which records the request
 *   like every path, so a test sees whether a redirect was followed); `POST /slow?ms=<ms>`
 *   answers 200 after that many milliseconds.
 * - The WhatsApp Business Cloud API: `POST /whatsapp/{version}/{phone-number-id}/messages` with
 *   a bearer token, answering the documented success (`messages[0].id`) and error (`error.code`)
 *   shapes. Steered by the number: ending in 99 a permanent error (131026), 98 one 500 first,
 *   97 a throughput error (130429) once, 96 answers after 1.5 s, 94 "user stopped marketing
 *   messages" (131050), 93 the spam rate limit (131048), 92 takes the message and then drops
 *   the connection without an answer. An outage a test asks for with
 *   `PUT /__whatsapp-outage` (`{ to, count }`) answers the next `count` sends to that number 500,
 *   whatever came before. Every accepted send gets its own `wamid`. What the Cloud API sends back to the business's webhook (statuses, members' replies,
 *   preferences, signed with the app secret) is built by `whatsapp-notifications.ts`: tests
 *   inside workerd hand it to the Worker themselves; under `npm run dev` the local stand-ins
 *   (`scripts/stand-ins.mjs`) post the same shapes to the running Worker.
 *
 * - Telegram's Bot API under `/telegram`: see `fake-telegram.ts`.
 * - Cloudflare Access's signing keys: `GET /access/cdn-cgi/access/certs` answers the team's
 *   certs document as Cloudflare documents it (`keys`: the JWKS; `public_cert` and
 *   `public_certs`: the same keys as X.509 certificates). The tests sign tokens with keys they
 *   generate, and publish them with `PUT /access/keys` (the document's body, as JSON).
 *
 * Each recorded request carries `receivedAt` (ms), when it arrived.
 */
export const TURNSTILE_SECRET = 'test-turnstile-secret'
export const TURNSTILE_HUMAN_TOKEN = 'human-token'
export const WHATSAPP_TOKEN = 'test-whatsapp-token'
/** What a misbehaving endpoint answers: it must never reach an admin or a log through us. */
export const LEAKY_BODY =
  '{"AccessKeyId":"ASIA-LEAKED-KEY-7f3e","Token":"leaked-session-token-91ab"}'

interface Recorded {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
  receivedAt: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })
}

export function startFakeServices(): Promise<{ url: string; server: Server }> {
  const recorded: Recorded[] = []
  const attempts = new Map<string, number>()
  /** Sends still to answer 500, by number (digits only). */
  const outages = new Map<string, number>()
  /** Receivers at `/gone/<key>` that answer 200 again (`PUT /__back/<key>`); the rest say 410. */
  const back = new Set<string>()
  const telegram = createFakeTelegram()
  let accessCerts: unknown = { keys: [], public_cert: null, public_certs: [] }
  const server = createServer(async (request, response) => {
    const receivedAt = Date.now()
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const body = await readBody(request)
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(value))
    }
    if (url.pathname === '/__requests') {
      if (request.method === 'DELETE') {
        recorded.length = 0
        attempts.clear()
        outages.clear()
      }
      return json(
        200,
        recorded.filter(
          (r) => !url.searchParams.get('path') || r.path.startsWith(url.searchParams.get('path')!),
        ),
      )
    }
    if (request.method === 'PUT' && url.pathname.startsWith('/__back/')) {
      back.add(url.pathname.slice('/__back/'.length))
      return json(200, { ok: true })
    }
    if (request.method === 'PUT' && url.pathname === '/__whatsapp-outage') {
      const { to, count } = JSON.parse(body) as { to: string; count: number }
      outages.set(to.replace(/\D/g, ''), count)
      return json(200, { ok: true })
    }
    recorded.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      headers: request.headers,
      body,
      receivedAt,
    })

    if (request.method === 'POST' && url.pathname === '/turnstile/v0/siteverify') {
      const form = new URLSearchParams(body)
      if (form.get('secret') !== TURNSTILE_SECRET)
        return json(200, { success: false, 'error-codes': ['invalid-input-secret'] })
      if (form.get('response') !== TURNSTILE_HUMAN_TOKEN) {
        return json(200, { success: false, 'error-codes': ['invalid-input-response'] })
      }
      return json(200, {
        success: true,
        challenge_ts: new Date().toISOString(),
        hostname: 'join.example.com',
        'error-codes': [],
      })
    }
    const redirect = () => {
      response.writeHead(302, { location: '/redirect-target', 'content-type': 'text/plain' })
      response.end(LEAKY_BODY)
    }
    const leak = () => {
      response.writeHead(500, { 'content-type': 'application/json' })
      response.end(LEAKY_BODY)
    }
    if (request.method === 'PUT' && url.pathname === '/access/keys') {
      accessCerts = JSON.parse(body)
      return json(200, { ok: true })
    }
    if (request.method === 'GET' && url.pathname === '/access/cdn-cgi/access/certs') {
      return json(200, accessCerts)
    }
    if (request.method === 'POST' && telegram(url.pathname, body, json)) return
    if (request.method === 'POST' && url.pathname === '/redirect') return redirect()
    if (request.method === 'POST' && url.pathname === '/leaky') return leak()
    if (request.method === 'POST' && url.pathname === '/slow') {
      await sleep(Number(url.searchParams.get('ms') ?? '0'))
      return json(200, { ok: true })
    }
    // A receiver whose secret is not the endpoint's: it cannot verify the signature.
    if (request.method === 'POST' && url.pathname === '/wrong-secret') {
      return json(401, { error: 'invalid signature' })
    }
    // A receiver taken down for good, as Standard Webhooks has it say so: 410 Gone.
    if (request.method === 'POST' && url.pathname.startsWith('/gone/')) {
      if (back.has(url.pathname.slice('/gone/'.length))) return json(200, { ok: true })
      return json(410, { error: 'this endpoint no longer exists' })
    }
    if (request.method === 'POST' && url.pathname === '/webhook') {
      const id = String(request.headers['webhook-id'] ?? '')
      const name = String(
        (JSON.parse(body || '{}') as { data?: { recipient?: { name?: string } } }).data?.recipient
          ?.name ?? '',
      )
      const tries = (attempts.get(id) ?? 0) + 1
      attempts.set(id, tries)
      const strict = /strict (\d+)/.exec(name)
      if (strict) {
        const age = Math.abs(receivedAt / 1000 - Number(request.headers['webhook-timestamp']))
        if (!(age <= Number(strict[1]))) return json(400, { error: 'Message timestamp too old' })
      }
      const slow = /slow (\d+)/.exec(name)
      if (slow) await sleep(Number(slow[1]))
      if (name.includes('broken')) return json(400, { error: 'unknown recipient' })
      if (name.includes('leaky')) return leak()
      if (name.includes('redirected')) return redirect()
      if (name.includes('flaky') && tries === 1) return json(503, { error: 'try again' })
      if (name.includes('come-back-later') && tries === 1) {
        // Retry-After as an HTTP date (RFC 9110 allows it): ten minutes from now.
        const later = new Date(Date.now() + 600_000).toUTCString()
        response.writeHead(503, { 'retry-after': later, 'content-type': 'application/json' })
        return response.end('{"error":"down for maintenance"}')
      }
      if (name.includes('slow-down') && tries === 1) {
        response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
        return response.end('{"error":"slow down"}')
      }
      return json(200, { ok: true })
    }

    const whatsapp = /^\/whatsapp\/(v\d+\.\d+)\/(\d+)\/messages$/.exec(url.pathname)
    if (request.method === 'POST' && whatsapp) {
      if (request.headers.authorization !== `Bearer ${WHATSAPP_TOKEN}`) {
        return json(401, {
          error: {
            message: 'Invalid OAuth access token.',
            type: 'OAuthException',
            code: 190,
            fbtrace_id: 'x',
          },
        })
      }
      const message = JSON.parse(body || '{}') as {
        messaging_product?: string
        to?: string
        type?: string
        text?: { body?: string }
      }
      if (message.messaging_product !== 'whatsapp' || !message.to || !message.type) {
        return json(400, {
          error: {
            message: '(#100) Invalid parameter',
            type: 'OAuthException',
            code: 100,
            fbtrace_id: 'x',
          },
        })
      }
      const tries = (attempts.get(message.to) ?? 0) + 1
      attempts.set(message.to, tries)
      const outage = outages.get(message.to.replace(/\D/g, '')) ?? 0
      if (outage > 0) {
        outages.set(message.to.replace(/\D/g, ''), outage - 1)
        return json(500, { error: { message: 'Internal error', code: 1, fbtrace_id: 'x' } })
      }
      if (message.to.endsWith('99')) {
        return json(400, {
          error: {
            message: '(#131026) Message undeliverable',
            type: 'OAuthException',
            code: 131026,
            fbtrace_id: 'x',
          },
        })
      }
      if (message.to.endsWith('96')) await sleep(1500)
      // Taken, then the connection drops before the answer: the message went out all the same.
      if (message.to.endsWith('92')) {
        response.socket?.destroy()
        return
      }
      for (const [suffix, code, text] of [
        ['94', 131050, 'User has stopped marketing messages'],
        ['93', 131048, 'Spam rate limit hit'],
      ] as const) {
        if (message.to.endsWith(suffix)) {
          return json(400, {
            error: { message: `(#${code}) ${text}`, type: 'OAuthException', code, fbtrace_id: 'x' },
          })
        }
      }
      if (message.to.endsWith('98') && tries === 1)
        return json(500, { error: { message: 'Internal error', code: 1, fbtrace_id: 'x' } })
      if (message.to.endsWith('97') && tries === 1) {
        return json(400, {
          error: {
            message: '(#130429) Rate limit hit',
            type: 'OAuthException',
            code: 130429,
            fbtrace_id: 'x',
          },
        })
      }
      const waId = message.to.replace(/\D/g, '')
      return json(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: message.to, wa_id: waId }],
        messages: [{ id: metaWamid(waId) }],
      })
    }
    json(404, { error: 'no such endpoint' })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({ url: `http://127.0.0.1:${port}`, server })
    })
  })
}

declare module 'vitest' {
  export interface ProvidedContext {
    fakeServicesUrl: string
  }
}

/** vitest globalSetup: one fake-services server for the whole run. */
export default async function setup(project: TestProject) {
  const { url, server } = await startFakeServices()
  project.provide('fakeServicesUrl', url)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}
