import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import worker from '../../src/index'
import { signIn, page } from '../worker/dashboard-helpers'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'

const HUMAN = 'human-token' // passes the Turnstile stand-in
const fake = inject('fakeServicesUrl')
// Parts of what the misbehaving stand-in endpoints answer (LEAKY_BODY in fake-services.ts).
const LEAKED = ['ASIA-LEAKED-KEY-7f3e', 'leaked-session-token-91ab']

async function requestsTo(path: string): Promise<unknown[]> {
  return (await (await fetch(`${fake}/__requests?path=${path}`)).json()) as unknown[]
}

function expectNoLeak(text: string) {
  for (const secret of LEAKED) expect(text).not.toContain(secret)
}

/** Everything the Worker wrote to its log during a test. */
let logged: string[] = []
beforeEach(() => {
  logged = []
  for (const level of ['log', 'error', 'warn', 'info'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '))
    })
  }
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** An endpoint subscribed to a fresh community's joins, and one join to send it. */
async function subscribedJoin(endpointPath: string) {
  const community = await createCommunity()
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}${endpointPath}`, events: ['member.joined'], communityId: community.id },
  })
  expect(subscribed.status, subscribed.text).toBe(201)
  const invite = await createInvite(community.id)
  const joined = await joinJson(invite.code, {
    name: 'Mo',
    phone: newPhone(),
    turnstileToken: HUMAN,
  })
  expect(joined.status).toBe(201)
  return { community, endpointId: subscribed.json.id as string }
}

describe('outbound requests: redirects are not followed', () => {
  it('an event endpoint answering 302 fails the delivery; the redirect target is never asked', async () => {
    const { endpointId } = await subscribedJoin('/redirect')
    await runCron(new Date())
    const [delivery] = await eventually(async () => {
      const log = await call('GET', `/api/webhooks/${endpointId}/deliveries`)
      expect(log.json.data).toEqual([
        expect.objectContaining({
          type: 'member.joined',
          status: 'failed',
          attempts: 1,
          responseStatus: 302,
          lastError: 'redirect not followed',
        }),
      ])
      return log.json.data
    })
    expect(delivery).toBeDefined()
    expect((await requestsTo('/redirect')).length).toBeGreaterThan(0)
    expect(await requestsTo('/redirect-target')).toEqual([])
    // Failed for good: the dead-letter queue records it with the same fixed reason.
    const dead = await eventually(async () => {
      const rows = await query<{ error: string; body: string }>(
        'select error, body from dead_letters',
      )
      const mine = rows.filter((row) => JSON.parse(row.body).endpointId === endpointId)
      expect(mine).toHaveLength(1)
      return mine[0]!
    })
    expect(dead.error).toBe('redirect not followed')
  })

  it('an announcement delivery answered with 302 fails with that reason and is not followed', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await joinJson(invite.code, {
      name: 'redirected Rae',
      phone: newPhone(),
      turnstileToken: HUMAN,
    })
    const before = (await requestsTo('/redirect-target')).length
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Follow me', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    await runCron(new Date(Date.now() + 120_000))
    const status = await eventually(async () => {
      const answer = await call('GET', `/api/announcements/${created.json.id}`)
      expect(answer.json.deliveries).toMatchObject({ failed: 1, queued: 0 })
      return answer.json
    })
    expect(status.failureReasons).toEqual([{ reason: 'redirect not followed', count: 1 }])
    expect((await requestsTo('/redirect-target')).length).toBe(before)
  })
})

describe('outbound requests: what an endpoint answers never comes back', () => {
  it('an event endpoint answering 500 with a secret: only the status and a fixed reason are kept', async () => {
    const { endpointId } = await subscribedJoin('/leaky')
    await runCron(new Date())
    const log = await eventually(async () => {
      const answer = await call('GET', `/api/webhooks/${endpointId}/deliveries`)
      expect(answer.json.data).toEqual([
        expect.objectContaining({
          status: 'failed',
          attempts: 3,
          responseStatus: 500,
          lastError: 'HTTP 500 from the endpoint',
        }),
      ])
      return answer
    })
    expectNoLeak(log.text)
    const { cookie } = await signIn()
    const dashboard = await page('/admin/webhooks', cookie)
    // The status in the answer's column; the reason beside it does not repeat it.
    expect(dashboard.text).toMatch(/data-label="Answer \(HTTP\)">500</)
    expect(dashboard.text).not.toContain('HTTP 500 from the endpoint')
    expectNoLeak(dashboard.text)
    const stored = await query(
      'select last_error from webhook_deliveries where endpoint_id = ? union all select error from dead_letters',
      endpointId,
    )
    expectNoLeak(JSON.stringify(stored))
    // The queue consumer did log its work here, and none of it holds the answer.
    expect(logged.some((line) => line.includes('"job":"deliveries"'))).toBe(true)
    expectNoLeak(logged.join('\n'))
  })

  it('an announcement delivery answered with 500 and a secret shows only the status', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'leaky Lou', phone: newPhone(), turnstileToken: HUMAN })
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    await runCron(new Date(Date.now() + 120_000))
    const status = await eventually(async () => {
      const answer = await call('GET', `/api/announcements/${created.json.id}`)
      expect(answer.json.deliveries).toMatchObject({ failed: 1, queued: 0 })
      return answer
    })
    expect(status.json.failureReasons).toEqual([{ reason: 'HTTP 500 from the endpoint', count: 1 }])
    const deliveries = await call('GET', `/api/announcements/${created.json.id}/deliveries`)
    expect(deliveries.json.data).toEqual([
      expect.objectContaining({ status: 'failed', lastError: 'HTTP 500 from the endpoint' }),
    ])
    expectNoLeak(status.text)
    expectNoLeak(deliveries.text)
    const { cookie } = await signIn()
    expectNoLeak((await page(`/admin/communities/${community.id}/announcements`, cookie)).text)
    expectNoLeak(JSON.stringify(await query('select last_error from deliveries')))
    expectNoLeak(logged.join('\n'))
  })
})
