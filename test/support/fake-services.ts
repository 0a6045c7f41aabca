import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { TestProject } from 'vitest/node'

/**
 * Stand-ins for the outside services the Worker talks to, on 127.0.0.1, speaking their
 * documented protocols. Tests inside workerd reach them over real HTTP and read back what they
 * received from `GET /__requests`.
 *
 * - Cloudflare Turnstile siteverify: `POST /turnstile/v0/siteverify` (form: secret, response,
 *   remoteip) answers `{ success, "error-codes" }`. The token `human-token` passes.
 */
export const TURNSTILE_SECRET = 'test-turnstile-secret'
export const TURNSTILE_HUMAN_TOKEN = 'human-token'

interface Recorded {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

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
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const body = await readBody(request)
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(value))
    }
    if (url.pathname === '/__requests') {
      if (request.method === 'DELETE') recorded.length = 0
      return json(200, recorded.filter((r) => !url.searchParams.get('path') || r.path.startsWith(url.searchParams.get('path')!)))
    }
    recorded.push({ method: request.method ?? 'GET', path: url.pathname, headers: request.headers, body })

    if (request.method === 'POST' && url.pathname === '/turnstile/v0/siteverify') {
      const form = new URLSearchParams(body)
      if (form.get('secret') !== TURNSTILE_SECRET) return json(200, { success: false, 'error-codes': ['invalid-input-secret'] })
      if (form.get('response') !== TURNSTILE_HUMAN_TOKEN) {
        return json(200, { success: false, 'error-codes': ['invalid-input-response'] })
      }
      return json(200, { success: true, challenge_ts: new Date().toISOString(), hostname: 'join.example.com', 'error-codes': [] })
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
