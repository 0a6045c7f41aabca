import { env } from 'cloudflare:workers'
import { expect, inject, it } from 'vitest'
import { newId } from '../../src/lib/ids'
import { WEBHOOKS_WORDS } from '../../src/lib/i18n'
import {
  call,
  createCommunity,
  createToken,
  eventually,
  expectProblem,
  query,
  runCron,
  withinOneWindow,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')

/** A new event of `communityId`, waiting in the outbox for the cron job to fan it out. */
async function newEvent(communityId: string): Promise<string> {
  const eventId = newId('evt')
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at)
     values (?1, 'member.joined', ?2, json_object('memberId', 'mem_x'), ?3)`,
  )
    .bind(eventId, communityId, Date.now())
    .run()
  return eventId
}

/** How many times the receiver at `path` was sent the event `eventId`. */
async function received(path: string, eventId: string): Promise<number> {
  const all = (await (await fetch(`${fake}/__requests?path=${path}`)).json()) as Array<{
    headers: Record<string, string>
  }>
  return all.filter((request) => request.headers['webhook-id'] === eventId).length
}

const deliveryOf = async (eventId: string) =>
  (
    await query<{ status: string; last_error: string | null; response_status: number | null }>(
      'select status, last_error, response_status from webhook_deliveries where event_id = ?',
      eventId,
    )
  )[0]

const endpointOf = async (endpointId: string) => {
  const list = await call('GET', '/api/webhooks')
  return list.json.data.find((endpoint: { id: string }) => endpoint.id === endpointId)
}

it('stops an endpoint that answers 410 Gone: nothing more goes to it until it is resumed', async () => {
  const community = await createCommunity()
  const key = crypto.randomUUID()
  const path = `/gone/${key}`
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}${path}`, events: ['*'], communityId: community.id },
  })
  expect(subscribed.status, subscribed.text).toBe(201)
  const endpointId = subscribed.json.id as string
  expect(subscribed.json.goneAt).toBeNull()

  // The first event meets the 410: failed at once (no retries), and the endpoint stops.
  const first = await newEvent(community.id)
  await runCron(new Date())
  await eventually(async () => {
    expect(await deliveryOf(first)).toEqual({
      status: 'failed',
      last_error: 'HTTP 410 from the endpoint',
      response_status: 410,
    })
  })
  expect(await received(path, first)).toBe(1)
  const stopped = await endpointOf(endpointId)
  expect(stopped.goneAt).toEqual(expect.any(String))

  // The next event is not sent to it: it is on its list as failed, to send again later.
  const second = await newEvent(community.id)
  await runCron(new Date())
  const [fannedOut] = await query<{ delivered_at: number | null }>(
    'select delivered_at from events where id = ?',
    second,
  )
  expect(fannedOut!.delivered_at).not.toBeNull()
  expect(await deliveryOf(second)).toEqual({
    status: 'failed',
    last_error: 'endpoint stopped: it answered 410 Gone',
    response_status: null,
  })
  expect(await received(path, second)).toBe(0)

  // A delivery already waiting when it stopped is settled without a request.
  const waiting = await newEvent(community.id)
  await env.DB.batch([
    env.DB.prepare('update events set delivered_at = ?1 where id = ?2').bind(Date.now(), waiting),
    env.DB.prepare(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, updated_at, next_attempt_at)
       values (?1, ?2, 'queued', 0, ?3, 0)`,
    ).bind(waiting, endpointId, Date.now() - 10 * 60_000),
  ])
  await runCron(new Date())
  await eventually(async () => {
    expect(await deliveryOf(waiting)).toMatchObject({
      status: 'failed',
      last_error: 'endpoint stopped: it answered 410 Gone',
    })
  })
  expect(await received(path, waiting)).toBe(0)

  // Sending one again waits for the endpoint to be resumed.
  const early = await call('POST', `/api/webhooks/${endpointId}/deliveries/${first}/redeliver`)
  expectProblem(early, 409, 'invalid_state')

  // An admin of another community neither sees nor resumes it.
  const other = await createCommunity()
  const stranger = await createToken({ role: 'community_admin', communityId: other.id })
  const hidden = await call('POST', `/api/webhooks/${endpointId}/resume`, {
    token: stranger.token,
  })
  expectProblem(hidden, 404, 'not_found')
  expect((await endpointOf(endpointId)).goneAt).toEqual(stopped.goneAt)

  // The receiver is back; resumed, the endpoint gets the next event, and the first one again.
  await fetch(`${fake}/__back/${key}`, { method: 'PUT' })
  const resumed = await call('POST', `/api/webhooks/${endpointId}/resume`)
  expect(resumed.status, resumed.text).toBe(200)
  expect(resumed.json).toMatchObject({ id: endpointId, goneAt: null })
  const third = await newEvent(community.id)
  await runCron(new Date())
  await eventually(async () => expect(await received(path, third)).toBe(1))
  for (const missed of [first, second]) {
    const again = await call('POST', `/api/webhooks/${endpointId}/deliveries/${missed}/redeliver`)
    expect(again.status, again.text).toBe(202)
    await eventually(async () => expect(await deliveryOf(missed)).toMatchObject({ status: 'sent' }))
  }
  expect(await received(path, second)).toBe(1)

  const [entry] = await query<{ action: string }>(
    `select action from audit_log where target_id = ? and action = 'webhook.resumed'`,
    endpointId,
  )
  expect(entry).toEqual({ action: 'webhook.resumed' })
})

it('shows a stopped endpoint on the webhooks page, with a button that resumes it', async () => {
  const community = await createCommunity()
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}/gone/${crypto.randomUUID()}`, events: ['*'], communityId: community.id },
  })
  const endpointId = subscribed.json.id as string
  await query('update webhook_endpoints set gone_at = ? where id = ?', Date.now(), endpointId)

  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks?lang=de', cookie)).text
  const resumeAt = html.indexOf(`/admin/webhooks/${endpointId}/resume`)
  expect(resumeAt).toBeGreaterThan(0)
  const section = html.slice(
    html.lastIndexOf('<section', resumeAt),
    html.indexOf('</section>', resumeAt),
  )
  expect(section).toContain('Angehalten seit')
  expect(section).toContain(WEBHOOKS_WORDS.de.resume)

  const resumed = await post(`/admin/webhooks/${endpointId}/resume?lang=de`, cookie, {
    _csrf: csrfOf(html),
  })
  expect(resumed.status, resumed.text).toBe(303)
  const after = await page(resumed.headers.get('location')!, cookie)
  expect(after.text).toContain(WEBHOOKS_WORDS.de.resumedNotice)
  expect(after.text).not.toContain(`/admin/webhooks/${endpointId}/resume`)
  expect((await endpointOf(endpointId)).goneAt).toBeNull()
})

it('sends a test event on request and says how it went, stopped or not, changing nothing', async () => {
  const community = await createCommunity()
  const subscribe = async (url: string) => {
    const made = await call('POST', '/api/webhooks', {
      body: { url, events: ['member.left'], communityId: community.id },
    })
    expect(made.status, made.text).toBe(201)
    return made.json as { id: string; secret: string }
  }
  const working = await subscribe(`${fake}/webhook`)
  const tested = await call('POST', `/api/webhooks/${working.id}/test`)
  expect(tested.status, tested.text).toBe(200)
  expect(tested.json).toMatchObject({ delivered: true, responseStatus: 200, reason: null })
  // It arrived signed, as every event, though the endpoint subscribed to other events only.
  const requests = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as Array<{
    headers: Record<string, string>
    body: string
  }>
  const arrived = requests.find((r) => r.headers['webhook-id'] === tested.json.eventId)
  expect(arrived!.headers['webhook-signature']).toMatch(/^v1,/)
  expect(JSON.parse(arrived!.body)).toMatchObject({
    type: 'webhook.test',
    data: { communityId: community.id, webhookId: working.id },
  })
  expect(await deliveryOf(tested.json.eventId)).toBeUndefined()

  // A receiver that is gone says so, and the endpoint is not stopped for a test.
  const goneUrl = `${fake}/gone/${crypto.randomUUID()}`
  const gone = await subscribe(goneUrl)
  const missed = await call('POST', `/api/webhooks/${gone.id}/test`)
  expect(missed.json).toMatchObject({
    delivered: false,
    responseStatus: 410,
    reason: 'HTTP 410 from the endpoint',
  })
  expect((await endpointOf(gone.id)).goneAt).toBeNull()

  // On the page, the outcome shows in the endpoint's own section.
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const shown = await post(`/admin/webhooks/${gone.id}/test`, cookie, { _csrf: csrfOf(html) })
  expect(shown.status).toBe(200)
  // Its own address goes in the address bar: a reload shows the page, sending nothing again.
  expect(shown.text).toContain('data-address="/admin/webhooks')
  const at = shown.text.indexOf(WEBHOOKS_WORDS.en.testMissed('HTTP 410 from the endpoint'))
  expect(at).toBeGreaterThan(0)
  // In the section of that endpoint.
  expect(shown.text.slice(shown.text.lastIndexOf('<section', at), at)).toContain(goneUrl)

  // A receiver that got it and could not verify it: refused, and the likely cause named.
  const refusing = await subscribe(`${fake}/wrong-secret`)
  const refused = await post(`/admin/webhooks/${refusing.id}/test`, cookie, {
    _csrf: csrfOf(html),
  })
  expect(refused.text).toContain(WEBHOOKS_WORDS.en.testRefused('HTTP 401 from the endpoint'))
})

it('sends six test events a minute per endpoint, then asks to wait', async () => {
  const community = await createCommunity()
  const made = await call('POST', '/api/webhooks', {
    body: { url: `${fake}/webhook`, events: ['*'], communityId: community.id },
  })
  const test = () => call('POST', `/api/webhooks/${made.json.id}/test`)
  await withinOneWindow(60, 15)
  for (let i = 0; i < 6; i++) expect((await test()).status).toBe(200)
  const refused = await test()
  expectProblem(refused, 429, 'rate_limited')
  const wait = Number(refused.headers.get('retry-after'))
  expect(wait).toBeGreaterThan(0)
  // The page says so in the endpoint's section, with how long to wait, and stays the page.
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const shown = await post(`/admin/webhooks/${made.json.id}/test`, cookie, { _csrf: csrfOf(html) })
  expect(shown.status).toBe(200)
  expect(shown.text).toMatch(
    /Six test events this minute already: the next can go in \d+ seconds\./,
  )
})
