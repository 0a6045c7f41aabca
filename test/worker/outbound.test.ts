/// <reference types="vite/client" />
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { newId } from '../../src/lib/ids'
import { seal } from '../../src/lib/secret-box'
import { checkOutboundUrl, fetchOutbound } from '../../src/lib/outbound'
import { deliverEvent } from '../../src/services/delivery/events'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { call, countRows, createCommunity, createToken, expectProblem, query } from './helpers'

// The worker project runs as a deployment does: ALLOW_HTTP_WEBHOOKS is false.
const deployed = { allowLoopbackHttp: false }

/** Every notation the URL parser accepts for a host that is not on the public internet. */
const REFUSED: Array<[url: string, reason: string]> = [
  // Scheme and credentials
  ['http://hooks.example.com/in', 'must be https'],
  ['ftp://hooks.example.com/in', 'must be https'],
  ['file:///etc/passwd', 'must be https'],
  ['https://user:secret@hooks.example.com/in', 'must not contain a user name or password'],
  ['https://user@hooks.example.com/in', 'must not contain a user name or password'],
  ['not a url', 'not a URL'],
  // IPv4 loopback, in every way the URL parser reads 127.0.0.1
  ['https://127.0.0.1/', 'loopback address'],
  ['https://127.255.255.254:8443/x', 'loopback address'],
  ['https://127.1/', 'loopback address'],
  ['https://127.0.1/', 'loopback address'],
  ['https://2130706433/', 'loopback address'],
  ['https://0x7f000001/', 'loopback address'],
  ['https://0x7F.0x0.0x0.0x1/', 'loopback address'],
  ['https://0177.0.0.1/', 'loopback address'],
  ['https://017700000001/', 'loopback address'],
  ['https://127.0.0.1./', 'loopback address'],
  ['https://%31%32%37.0.0.1/', 'loopback address'],
  ['https://１２７.０.０.１/', 'loopback address'],
  // IPv4 ranges, at their edges
  ['https://0.0.0.0/', 'unspecified address'],
  ['https://0/', 'unspecified address'],
  ['https://10.0.0.1/', 'private address'],
  ['https://10.255.255.255/', 'private address'],
  ['https://172.16.0.1/', 'private address'],
  ['https://172.31.255.255/', 'private address'],
  ['https://192.168.0.1/', 'private address'],
  ['https://3232235777/', 'private address'],
  ['https://100.64.0.1/', 'shared address (CGNAT)'],
  ['https://100.127.255.255/', 'shared address (CGNAT)'],
  ['https://169.254.169.254/latest/meta-data/', 'link-local address'],
  ['https://169.254.170.2/v2/credentials', 'link-local address'],
  ['https://224.0.0.1/', 'multicast address'],
  ['https://239.255.255.250/', 'multicast address'],
  ['https://255.255.255.255/', 'broadcast address'],
  ['https://240.0.0.1/', 'reserved address'],
  ['https://192.0.2.10/', 'reserved address'],
  ['https://198.18.0.1/', 'reserved address'],
  // IPv6, and IPv4 embedded in IPv6
  ['https://[::1]/', 'loopback address'],
  ['https://[0:0:0:0:0:0:0:1]/', 'loopback address'],
  ['https://[::]/', 'unspecified address'],
  ['https://[::ffff:127.0.0.1]/', 'loopback address'],
  ['https://[::ffff:7f00:1]/', 'loopback address'],
  ['https://[::FFFF:7F00:0001]/', 'loopback address'],
  ['https://[0:0:0:0:0:ffff:169.254.169.254]/', 'link-local address'],
  ['https://[::ffff:10.0.0.1]/', 'private address'],
  ['https://[::127.0.0.1]/', 'loopback address'],
  ['https://[::a00:1]/', 'private address'],
  ['https://[::8.8.8.8]/', 'reserved address'],
  ['https://[::ffff:0:a00:1]/', 'private address'],
  ['https://[64:ff9b::127.0.0.1]/', 'loopback address'],
  ['https://[64:ff9b::a9fe:a9fe]/', 'link-local address'],
  ['https://[64:ff9b:1::1]/', 'private address'],
  ['https://[2002:7f00:1::]/', 'loopback address'],
  ['https://[2002:c0a8:101::1]/', 'private address'],
  ['https://[2002:a9fe:a9fe::]/', 'link-local address'],
  ['https://[fc00::1]/', 'private address'],
  ['https://[fd12:3456:789a::1]/', 'private address'],
  ['https://[FD00::1]/', 'private address'],
  ['https://[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/', 'private address'],
  ['https://[fe80::1]/', 'link-local address'],
  ['https://[fe80::1%25eth0]/', 'not a URL'],
  ['https://[febf::1]/', 'link-local address'],
  ['https://[fec0::1]/', 'private address'],
  ['https://[ff02::1]/', 'multicast address'],
  ['https://[2001:db8::1]/', 'reserved address'],
  ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'reserved address'],
  ['https://[100::1]/', 'reserved address'],
  // Names
  ['https://localhost/', 'local host name'],
  ['https://LOCALHOST:8443/x', 'local host name'],
  ['https://localhost./', 'local host name'],
  ['https://localhost../', 'local host name'],
  ['https://%6c%6fcalhost/', 'local host name'],
  ['https://api.localhost/', 'local host name'],
  ['https://Printer.Local/', 'local host name'],
  ['https://db.internal/', 'local host name'],
  ['https://router.home.arpa/', 'local host name'],
  ['https://metadata.google.internal/computeMetadata/v1/', 'cloud metadata host'],
  ['https://METADATA.GOOGLE.INTERNAL./', 'cloud metadata host'],
  ['https://metadata.goog/', 'cloud metadata host'],
  ['https://instance-data/latest/', 'cloud metadata host'],
  ['https://intranet/', 'single-label host'],
  ['https://metadata/', 'single-label host'],
  ['https://xn--nxasmq6b/', 'single-label host'],
]

const ALLOWED = [
  'https://hooks.example.com/in',
  'https://HOOKS.Example.COM./in',
  'https://hooks.example.com:8443/in?x=1',
  'https://8.8.8.8/',
  'https://126.255.255.255/',
  'https://128.0.0.1/',
  'https://11.0.0.1/',
  'https://172.15.255.255/',
  'https://172.32.0.1/',
  'https://100.63.255.255/',
  'https://100.128.0.1/',
  'https://192.169.0.1/',
  'https://169.255.0.1/',
  'https://[2606:4700:4700::1111]/',
  'https://[::ffff:8.8.8.8]/',
  'https://[64:ff9b::808:808]/',
  'https://[2002:808:808::1]/',
  'https://bücher.example/',
  'https://local.example.com/',
  'https://localhost.example.com/',
]

describe('checkOutboundUrl: only https to public hosts, in every notation', () => {
  it('runs as a deployment does here (ALLOW_HTTP_WEBHOOKS is false)', () => {
    expect(loadConfig(env).ALLOW_HTTP_WEBHOOKS).toBe(false)
  })

  it.each(REFUSED)('refuses %s (%s)', (url, reason) => {
    expect(checkOutboundUrl(url, deployed)).toEqual({ ok: false, reason })
  })

  it.each(ALLOWED)('allows %s', (url) => {
    expect(checkOutboundUrl(url, deployed)).toMatchObject({ ok: true })
  })

  it('admits plain http and local hosts in local development only, never credentials', () => {
    const local = { allowLoopbackHttp: true }
    for (const url of [
      'http://127.0.0.1:8790/webhook',
      'http://localhost:8790/events',
      'https://[::1]:8443/',
      'http://10.0.0.5/hook',
    ]) {
      expect(checkOutboundUrl(url, local), url).toMatchObject({ ok: true })
      expect(checkOutboundUrl(url, deployed), url).toMatchObject({ ok: false })
    }
    expect(checkOutboundUrl('ftp://127.0.0.1/', local)).toEqual({
      ok: false,
      reason: 'must be https',
    })
    expect(checkOutboundUrl('http://a:b@127.0.0.1/', local)).toEqual({
      ok: false,
      reason: 'must not contain a user name or password',
    })
  })

  it('fetchOutbound refuses such a URL itself, without sending anything', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data/', 'http://hooks.example.com/']) {
      const result = await fetchOutbound(url, { method: 'POST' }, { ...deployed, timeoutMs: 1000 })
      expect(result).toMatchObject({ ok: false, retryable: false })
      expect(!result.ok && result.reason).toMatch(/^refused: /)
    }
  })
})

describe('one way out', () => {
  it('nothing in the Worker calls fetch but src/lib/outbound.ts', () => {
    const sources = import.meta.glob<string>('../../src/**/*.{ts,tsx}', {
      query: '?raw',
      import: 'default',
      eager: true,
    })
    const files = Object.keys(sources)
    expect(files).toContain('../../src/services/channels.ts')
    const callers = files.filter(
      (file) =>
        !file.endsWith('/src/lib/outbound.ts') &&
        /(^|[^\w.])fetch\(|(globalThis|self)\.fetch\b/.test(sources[file]!),
    )
    expect(callers).toEqual([])
    expect(sources['../../src/lib/outbound.ts']).toMatch(/await fetch\(/)
  })
})

describe('configuration: outbound URLs are checked when it is read', () => {
  it('refuses a delivery webhook, Cloud API or Turnstile URL on a private host or plain http', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { DELIVERY_WEBHOOK_URL: 'https://169.254.169.254/latest' },
        /DELIVERY_WEBHOOK_URL: refused: link-local address/,
      ],
      [
        { DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:8790/webhook' },
        /DELIVERY_WEBHOOK_URL: refused: must be https/,
      ],
      [
        { WHATSAPP_API_BASE: 'https://[::ffff:10.1.2.3]' },
        /WHATSAPP_API_BASE: refused: private address/,
      ],
      [
        { TURNSTILE_VERIFY_URL: 'https://localhost./siteverify' },
        /TURNSTILE_VERIFY_URL: refused: local host name/,
      ],
    ]
    for (const [vars, message] of cases) {
      expect(() => loadConfig({ ...env, ...vars } as Env)).toThrow(message)
    }
  })

  it('accepts public https URLs, an unset delivery URL, and loopback http in local development', () => {
    const config = loadConfig({
      ...env,
      DELIVERY_WEBHOOK_URL: 'https://hooks.example.com/announcements',
    } as Env)
    expect(config.DELIVERY_WEBHOOK_URL).toBe('https://hooks.example.com/announcements')
    expect(loadConfig({ ...env, DELIVERY_WEBHOOK_URL: '' } as Env).DELIVERY_WEBHOOK_URL).toBe(
      undefined,
    )
    const local = loadConfig({
      ...env,
      ALLOW_HTTP_WEBHOOKS: 'true',
      DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:8790/webhook',
    } as Env)
    expect(local.DELIVERY_WEBHOOK_URL).toBe('http://127.0.0.1:8790/webhook')
  })
})

const SSRF_TARGETS: Array<[url: string, reason: string]> = [
  ['https://169.254.169.254/latest/meta-data/iam/', 'link-local address'],
  ['https://127.1/', 'loopback address'],
  ['https://2130706433/', 'loopback address'],
  ['https://[::ffff:7f00:1]/', 'loopback address'],
  ['https://localhost./', 'local host name'],
  ['https://metadata.google.internal/computeMetadata/v1/', 'cloud metadata host'],
  ['https://10.0.0.1/', 'private address'],
  ['https://[fd00::1]/', 'private address'],
  ['http://hooks.example.com/', 'must be https'],
]

describe('registering a webhook endpoint', () => {
  it.each(SSRF_TARGETS)(
    'the API refuses %s with a 400 naming the reason, and stores nothing',
    async (url, reason) => {
      const community = await createCommunity()
      const admin = await createToken({ role: 'community_admin', communityId: community.id })
      const before = await countRows('webhook_endpoints')
      const problem = expectProblem(
        await call('POST', '/api/webhooks', {
          token: admin.token,
          body: { url, events: ['*'], communityId: community.id },
        }),
        400,
        'validation_failed',
      )
      expect(problem.detail).toContain(reason)
      expect(problem.errors).toEqual([{ path: 'url', message: reason }])
      expect(await countRows('webhook_endpoints')).toBe(before)
    },
  )

  it('the API accepts a public https endpoint, and stores its secret only encrypted', async () => {
    const created = await call('POST', '/api/webhooks', {
      body: { url: 'https://hooks.example.com/in', events: ['*'] },
    })
    expect(created.status, created.text).toBe(201)
    const [row] = await query<Record<string, unknown>>(
      'select * from webhook_endpoints where id = ?',
      created.json.id,
    )
    const secret = created.json.secret as string
    expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length, 20))
  })

  it('the dashboard refuses a private address on the page, in the admin’s language', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const before = await countRows('webhook_endpoints')
    const form = await page('/admin/webhooks', cookie)
    const refused = await post('/admin/webhooks', cookie, {
      _csrf: csrfOf(form.text),
      url: 'https://169.254.169.254/latest/meta-data/',
      communityId: community.id,
      events: ['member.joined'],
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain(
      'This address cannot receive webhooks, so no endpoint was added: a link-local address.',
    )
    expect(refused.text).toContain('value="https://169.254.169.254/latest/meta-data/"')
    expect(refused.text).not.toContain('whsec_')

    const german = await post(
      '/admin/webhooks',
      cookie,
      { _csrf: csrfOf(form.text), url: 'https://localhost/', events: ['*'] },
      { 'accept-language': 'de' },
    )
    expect(german.status).toBe(400)
    expect(german.text).toContain('ein lokaler Hostname')
    expect(await countRows('webhook_endpoints')).toBe(before)
  })
})

describe('delivering to an endpoint stored before the rule', () => {
  it('re-checks the URL before sending: the delivery fails as refused, nothing is sent', async () => {
    const community = await createCommunity()
    const now = Date.now()
    const endpointId = newId('whk')
    const eventId = newId('evt')
    await query(
      `insert into webhook_endpoints (id, community_id, url, events, secret_ciphertext, created_at)
       values (?, ?, 'https://169.254.169.254/latest/meta-data/', '["*"]', 'unused', ?)`,
      endpointId,
      community.id,
      now,
    )
    await query(
      `insert into events (id, type, community_id, payload, created_at, delivered_at)
       values (?, 'member.joined', ?, '{}', ?, ?)`,
      eventId,
      community.id,
      now,
      now,
    )
    await query(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, updated_at)
       values (?, ?, 'queued', 0, ?)`,
      eventId,
      endpointId,
      now,
    )
    // A real secret, sealed as the service does, so only the URL can stop this delivery.
    const config = loadConfig(env)
    await query(
      'update webhook_endpoints set secret_ciphertext = ? where id = ?',
      await seal(config.SIGNING_SECRET!, 'whsec_dGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=='),
      endpointId,
    )
    const verdict = await deliverEvent(
      createDb(env.DB),
      config,
      { eventId, endpointId },
      new Date(now),
    )
    expect(verdict).toEqual({ action: 'dead-letter', error: 'refused: link-local address' })
    const log = await call('GET', `/api/webhooks/${endpointId}/deliveries`)
    expect(log.json.data).toEqual([
      expect.objectContaining({
        status: 'failed',
        attempts: 1,
        responseStatus: null,
        lastError: 'refused: link-local address',
      }),
    ])
  })

  it('shows only the status of an answer stored before bodies were dropped', async () => {
    const community = await createCommunity()
    const created = await call('POST', '/api/webhooks', {
      body: { url: 'https://hooks.example.com/old', events: ['*'], communityId: community.id },
    })
    const now = Date.now()
    const eventIds = [newId('evt'), newId('evt'), newId('evt')]
    const stored = [
      'HTTP 500: {"aws_secret_access_key":"wJalrXUtnFEMI/K7MDENG"}',
      'network: TypeError: internal error; reference = 0123abcd',
      'ami-id\ninstance-id\niam/security-credentials/admin-role',
    ]
    for (const [i, eventId] of eventIds.entries()) {
      await query(
        `insert into events (id, type, community_id, payload, created_at, delivered_at)
         values (?, 'member.joined', ?, '{}', ?, ?)`,
        eventId,
        community.id,
        now,
        now,
      )
      await query(
        `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, last_error, response_status, updated_at)
         values (?, ?, 'failed', 1, ?, null, ?)`,
        eventId,
        created.json.id,
        stored[i],
        now + i,
      )
    }
    const log = await call('GET', `/api/webhooks/${created.json.id}/deliveries`)
    expect(log.json.data.map((row: { lastError: string }) => row.lastError)).toEqual([
      'delivery failed',
      'network error',
      'HTTP 500 from the endpoint',
    ])
    expect(log.text).not.toContain('wJalrXUtnFEMI')
    expect(log.text).not.toContain('reference')
    expect(log.text).not.toContain('security-credentials')
    const { cookie } = await signIn()
    const dashboard = await page('/admin/webhooks', cookie)
    expect(dashboard.text).toContain('HTTP 500 from the endpoint')
    expect(dashboard.text).not.toContain('wJalrXUtnFEMI')
    expect(dashboard.text).not.toContain('security-credentials')
  })
})

describe('migration 0010: answers stored before this change are scrubbed', () => {
  it('keeps the status and a fixed reason of old rows, and leaves fixed reasons alone', async () => {
    const community = await createCommunity()
    const created = await call('POST', '/api/webhooks', {
      body: { url: 'https://hooks.example.com/scrub', events: ['*'], communityId: community.id },
    })
    const now = Date.now()
    const old = [
      ['HTTP 502: <html>upstream 10.0.3.7 secret-page</html>', 'HTTP 502 from the endpoint'],
      ['network: TypeError: connect ECONNREFUSED 10.0.3.7', 'network error'],
      ['endpoint removed', 'endpoint removed'],
      ['HTTP 404 from the endpoint', 'HTTP 404 from the endpoint'],
    ]
    const eventIds = old.map(() => newId('evt'))
    for (const [i, [stored]] of old.entries()) {
      await query(
        `insert into events (id, type, community_id, payload, created_at) values (?, 'member.joined', ?, '{}', ?)`,
        eventIds[i],
        community.id,
        now,
      )
      await query(
        `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, last_error, updated_at)
         values (?, ?, 'failed', 1, ?, ?)`,
        eventIds[i],
        created.json.id,
        stored,
        now,
      )
    }
    await query(
      `insert into dead_letters (queue, body, error, created_at) values ('community-growth-deliveries-dlq', '{}', ?, ?)`,
      'HTTP 500: {"password":"hunter2-old-row"}',
      now,
    )
    const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0010_scrub_delivery_errors.sql')!
    expect(migration.queries.length).toBeGreaterThan(0)
    await env.DB.batch(migration.queries.map((sql) => env.DB.prepare(sql)))

    const rows = await query<{ event_id: string; last_error: string }>(
      'select event_id, last_error from webhook_deliveries where endpoint_id = ?',
      created.json.id,
    )
    const byEvent = new Map(rows.map((row) => [row.event_id, row.last_error]))
    expect(eventIds.map((id) => byEvent.get(id))).toEqual(old.map(([, scrubbed]) => scrubbed))
    const dead = await query<{ error: string }>('select error from dead_letters')
    expect(JSON.stringify(dead)).not.toContain('hunter2-old-row')
    expect(dead.map((row) => row.error)).toContain('HTTP 500 from the endpoint')
  })
})
