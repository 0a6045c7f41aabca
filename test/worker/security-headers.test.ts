import { beforeAll, describe, expect, it } from 'vitest'
import { dashboardApp } from '../../src/pages/dashboard/index'
import {
  call,
  createCommunity,
  createInvite,
  newPhone,
  visit,
  type Answer,
  joinAsMember,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name!, values]),
  )
}

/**
 * What every HTML page must carry: a strict CSP whose nonce is on each of the page's own inline
 * styles and scripts (and on nothing else), no inline style attributes, no framing, no sniffing,
 * a referrer policy, and no caching.
 */
function expectSecurePage(what: string, response: Answer) {
  expect(response.headers.get('content-type'), what).toContain('text/html')
  const csp = directives(response.headers.get('content-security-policy') ?? '')
  expect(csp.get('default-src'), what).toEqual(["'none'"])
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"])
  expect(csp.get('base-uri'), what).toEqual(["'none'"])
  expect(csp.get('form-action'), what).toEqual(["'self'"])
  const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(csp.get('style-src')?.[0] ?? '')?.[1]
  expect(nonce, `${what}: style-src has a nonce`).toBeDefined()
  expect(csp.get('script-src'), what).toContain(`'nonce-${nonce}'`)
  for (const directive of ['script-src', 'style-src']) {
    expect(csp.get(directive), what).not.toContain("'unsafe-inline'")
    expect(csp.get(directive), what).not.toContain("'unsafe-eval'")
  }
  const tags = response.text.match(/<(script|style)\b[^>]*>/g) ?? []
  for (const tag of tags) expect(tag, what).toContain(`nonce="${nonce}"`)
  expect(response.text, `${what}: no script from elsewhere`).not.toMatch(/<script[^>]*\ssrc=/)
  expect(response.text, `${what}: no inline style attribute`).not.toMatch(/<[^>]+\sstyle="/)
  expect(response.headers.get('x-frame-options'), what).toBe('DENY')
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(response.headers.get('referrer-policy'), what).toMatch(/^(same-origin|no-referrer)$/)
  expect(response.headers.get('cache-control'), what).toContain('no-store')
  return nonce!
}

let cookie: string
let ids: Record<string, string>

/** The secret of a fresh teammate's sign-in link, whose page opens without a session. */
async function signInLinkSecret(): Promise<string> {
  const created = await call('POST', `/api/communities/${ids.communities}/team-invitations`, {
    body: { name: 'Headers teammate', role: 'community_admin' },
  })
  expect(created.status, created.text).toBe(201)
  return created.json.url.split('/').pop()
}
let statusUrl: string
let leaveUrl: string
let code: string

beforeAll(async () => {
  const community = await createCommunity({ visibility: 'open' })
  const invite = await createInvite(community.id, { label: 'Headers' })
  const joined = await joinAsMember(invite.code, { name: 'Heidi Headers', phone: newPhone() })
  expect(joined.status).toBe(201)
  statusUrl = new URL(joined.json.statusUrl).pathname
  leaveUrl = new URL(joined.json.leaveUrl).pathname
  code = invite.code
  const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Headers', sendAt: '2031-01-01T10:00:00Z' },
  })
  ids = {
    communities: community.id,
    links: invite.id,
    members: joined.json.memberId,
    announcements: announcement.json.id,
  }
  cookie = (await signIn()).cookie
})

describe('security headers on every page', () => {
  it('the pages people see: landing, join form, status, leave, error pages', async () => {
    const pages: Array<[string, string, number]> = [
      ['landing page', `/i/${code}`, 200],
      ['join form', `/i/${code}/join`, 200],
      ['status page', statusUrl, 200],
      ['leave page', leaveUrl, 200],
      ['unknown invite', '/i/abcdefghjkmnp', 404],
      ['unknown page', '/nowhere', 404],
      ['unknown status link', `/s/${'x'.repeat(43)}`, 404],
      ['bad leave link', '/leave/forged.token', 404],
    ]
    for (const [what, path, status] of pages) {
      const response = await visit(path)
      expect(response.status, what).toBe(status)
      expectSecurePage(what, response)
    }
    const revoked = await createInvite(ids.communities!)
    await call('POST', `/api/invites/${revoked.id}/revoke`)
    const gone = await visit(`/i/${revoked.code}`)
    expect(gone.status).toBe(410)
    expectSecurePage('revoked invite', gone)
    const left = await call('POST', leaveUrl, {
      token: null,
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
      },
      rawBody: '',
    })
    expectSecurePage('after leaving', left)
    const expired = await call('POST', `/i/${code}/join`, {
      token: null,
      rawBody: 'name=x&email=x%40example.com&consent=yes',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(expired.status).toBe(403)
    expectSecurePage('expired join form', expired)
  })

  it('gives every response its own nonce', async () => {
    const first = expectSecurePage('landing', await visit(`/i/${code}`))
    const second = expectSecurePage('landing again', await visit(`/i/${code}`))
    expect(first).not.toBe(second)
  })

  it('the sign-in page and every dashboard page', async () => {
    expectSecurePage('sign-in', await page('/admin/login', ''))
    // Every page the dashboard's router has: a new one is covered without editing this test.
    const routes = dashboardApp.routes.filter((route) => route.method === 'GET')
    expect(routes.length).toBeGreaterThanOrEqual(9)
    for (const route of routes) {
      const path = route.path
        .replace(/\/admin\/(\w+)\/:id/, (_, kind: string) => `/admin/${kind}/${ids[kind]}`)
        .replace(':secret', await signInLinkSecret())
      expect(path, route.path).not.toContain(':')
      const response = await page(path, cookie)
      // Telegram's page exists only once a bot token is configured (not in these tests).
      expect(response.status, path).toBe(path === '/admin/telegram' ? 404 : 200)
      if (path.endsWith('.csv')) {
        expect(response.headers.get('cache-control'), path).toContain('no-store')
        expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
      } else expectSecurePage(path, response)
    }
    const refused = await post('/admin/communities', cookie, {
      _csrf: csrfOf((await page('/admin', cookie)).text),
      name: '',
    })
    expect(refused.status).toBe(400)
    expectSecurePage('dashboard error page', refused)
    const hook = await post('/admin/webhooks', cookie, {
      _csrf: csrfOf((await page('/admin', cookie)).text),
      url: 'https://hooks.example.com/headers',
      events: 'member.joined',
      communityId: ids.communities!,
    })
    expect(hook.text).toContain('whsec_')
    expectSecurePage('webhook secret shown once', hook)
  })

  it('the API reference: served from here, no script at all, works offline', async () => {
    const docs = await visit('/api/docs')
    expect(docs.status).toBe(200)
    expectSecurePage('API docs', docs)
    expect(docs.text).not.toContain('<script')
    expect(docs.text, 'nothing loaded from elsewhere').not.toMatch(
      /<(link|img|iframe)[^>]+(href|src)="https?:/,
    )
    expect(docs.text).toContain('<code>/api/communities/{id}/members</code>')
    expect(docs.text).toContain('href="/api/openapi.json"')
    expect(docs.text).toContain('id="schema-Problem"')
  })

  it('API answers with personal data are never cached and never sniffed', async () => {
    for (const path of [
      `/api/communities/${ids.communities}/members`,
      `/api/communities/${ids.communities}/members.csv`,
      `/api/communities/${ids.communities}/join-requests`,
      '/api/tokens',
    ]) {
      const response = await call('GET', path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('cache-control'), path).toContain('no-store')
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
    }
    const problem = await call('GET', '/api/communities/cmt_00000000000000000000000000')
    expect(problem.headers.get('cache-control')).toContain('no-store')
    expect(problem.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('the landing page and QR images, made with their headers at once, carry every header the rest gets', async () => {
    // What the middleware gives a page it did not build: the same names must be on the hot path.
    const notFound = await visit('/i/no-such-link-here')
    expect(notFound.status).toBe(404)
    const perResponse = new Set(['content-type', 'content-length', 'content-language', 'etag'])
    const expected = [...notFound.headers.keys()].filter((name) => !perResponse.has(name))
    for (const name of [
      'strict-transport-security',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'permissions-policy',
      'origin-agent-cluster',
      'x-frame-options',
    ]) {
      expect(expected, name).toContain(name)
    }
    const svg = await call('GET', `/i/${code}/qr.svg`, { token: null })
    const unchanged = await call('GET', `/i/${code}/qr.png`, {
      token: null,
      headers: {
        'if-none-match': (await call('GET', `/i/${code}/qr.png`, { token: null })).headers.get(
          'etag',
        )!,
      },
    })
    expect(unchanged.status).toBe(304)
    for (const [what, answer] of [
      ['landing page', await visit(`/i/${code}`)],
      ['QR SVG', svg],
      ['QR PNG, not modified', unchanged],
    ] as const) {
      for (const name of expected) expect(answer.headers.has(name), `${what}: ${name}`).toBe(true)
    }
  })

  it('the files every site serves (icons, robots.txt) carry them too, with their own caching', async () => {
    const page = await visit('/i/no-such-link-here')
    const perResponse = new Set([
      'content-type',
      'content-length',
      'content-language',
      'cache-control',
    ])
    const expected = [...page.headers.keys()].filter((name) => !perResponse.has(name))
    for (const path of ['/favicon.svg', '/favicon.ico', '/robots.txt']) {
      const answer = await visit(path)
      expect(answer.status, path).toBe(200)
      for (const name of expected) expect(answer.headers.has(name), `${path}: ${name}`).toBe(true)
      expect(answer.headers.get('cache-control'), path).toMatch(/^public, max-age=\d+$/)
    }
    // An SVG opened on its own is a document: no script or style of it runs.
    const icon = directives((await visit('/favicon.svg')).headers.get('content-security-policy')!)
    expect(icon.get('script-src')).toEqual(["'none'"])
  })

  it('the health check, which passes no middleware, carries them too, and is never cached', async () => {
    const page = await visit('/i/no-such-link-here')
    const perResponse = new Set(['content-type', 'content-length', 'content-language'])
    const expected = [...page.headers.keys()].filter((name) => !perResponse.has(name))
    const health = await visit('/healthz')
    expect(health.status).toBe(200)
    expect(health.text).toBe('ok')
    for (const name of expected) expect(health.headers.has(name), name).toBe(true)
    expect(health.headers.get('cache-control')).toBe('no-store')
    const csp = directives(health.headers.get('content-security-policy')!)
    expect(csp.get('default-src')).toEqual(["'none'"])
    expect(csp.get('script-src')).toEqual(["'none'"])
  })

  it('QR codes stay cacheable and embeddable on other sites', async () => {
    const qr = await call('GET', `/i/${code}/qr.svg`, { token: null })
    expect(qr.status).toBe(200)
    expect(qr.headers.get('cache-control')).not.toContain('no-store')
    expect(qr.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    expect(qr.headers.get('x-content-type-options')).toBe('nosniff')
    // An SVG opened on its own is a document: it asked for no nonce, so no inline code runs.
    const csp = directives(qr.headers.get('content-security-policy') ?? '')
    expect(csp.get('default-src')).toEqual(["'none'"])
    expect(csp.get('script-src')).toEqual(["'none'"])
    expect(csp.get('style-src')).toEqual(["'none'"])
    const answer = await call('GET', `/api/communities/${ids.communities}`)
    expect(
      directives(answer.headers.get('content-security-policy') ?? '').get('script-src'),
    ).toEqual(["'none'"])
  })
})
