import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { newId } from '../../src/lib/ids'
import { seal } from '../../src/lib/secret-box'
import { checkOutboundUrl } from '../../src/lib/outbound'
import { deliverEvent } from '../../src/services/delivery/events'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { call, countRows, createCommunity, createToken, expectProblem, query } from './helpers'
import { ALLOWED, REFUSED } from '../lib/outbound-cases'

// The worker project runs as a deployment does: ALLOW_HTTP_WEBHOOKS is false.
const deployed = { allowLoopbackHttp: false }

// Every notation, case by case, is in test/lib/outbound.test.ts (Node, seconds); here the same
// table once more through workerd's own URL parser, which is the one a deployment runs.
describe('checkOutboundUrl inside workerd', () => {
  it('runs as a deployment does here (ALLOW_HTTP_WEBHOOKS is false)', () => {
    expect(loadConfig(env).ALLOW_HTTP_WEBHOOKS).toBe(false)
  })

  it('answers every case of the table as in Node', () => {
    for (const [url, reason] of REFUSED)
      expect(checkOutboundUrl(url, deployed), url).toEqual({ ok: false, reason })
    for (const url of ALLOWED)
      expect(checkOutboundUrl(url, deployed), url).toMatchObject({ ok: true })
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
