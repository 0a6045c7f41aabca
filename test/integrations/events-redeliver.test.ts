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
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')

/** An endpoint of a new community, on the receiver that answers 200. */
async function endpointOfNewCommunity() {
  const community = await createCommunity()
  const subscribed = await call('POST', '/api/webhooks', {
    body: { url: `${fake}/webhook`, events: ['*'], communityId: community.id },
  })
  expect(subscribed.status, subscribed.text).toBe(201)
  return { community, endpointId: subscribed.json.id as string }
}

/** An event whose delivery to the endpoint gave up: the receiver was down for its every try. */
async function failedDelivery(endpointId: string, communityId: string) {
  const eventId = newId('evt')
  await env.DB.batch([
    env.DB.prepare(
      `insert into events (id, type, community_id, payload, created_at, delivered_at)
       values (?1, 'member.joined', ?2, json_object('memberId', 'mem_x'), ?3, ?3)`,
    ).bind(eventId, communityId, Date.now() - 86_400_000),
    env.DB.prepare(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, last_error, response_status, updated_at)
       values (?, ?, 'failed', 8, 'HTTP 500 from the endpoint', 500, ?)`,
    ).bind(eventId, endpointId, Date.now() - 3_600_000),
  ])
  return eventId
}

async function received(eventId: string): Promise<number> {
  const all = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as Array<{
    headers: Record<string, string>
  }>
  return all.filter((request) => request.headers['webhook-id'] === eventId).length
}

const deliveryRow = async (eventId: string) =>
  (
    await query<{ status: string; attempts: number; last_error: string | null }>(
      'select status, attempts, last_error from webhook_deliveries where event_id = ?',
      eventId,
    )
  )[0]

it('sends an event that failed to its endpoint again, with the same webhook-id, attempts anew', async () => {
  const { community, endpointId } = await endpointOfNewCommunity()
  const eventId = await failedDelivery(endpointId, community.id)

  const again = await call('POST', `/api/webhooks/${endpointId}/deliveries/${eventId}/redeliver`)
  expect(again.status, again.text).toBe(202)
  await eventually(async () => {
    expect(await deliveryRow(eventId)).toEqual({ status: 'sent', attempts: 1, last_error: null })
  })
  expect(await received(eventId)).toBe(1)
  const log = await call('GET', `/api/webhooks/${endpointId}/deliveries`)
  expect(log.json.data[0]).toMatchObject({ eventId, status: 'sent', responseStatus: 200 })

  // Wanted again once sent (the receiver lost what it did with it): it goes once more.
  const more = await call('POST', `/api/webhooks/${endpointId}/deliveries/${eventId}/redeliver`)
  expect(more.status, more.text).toBe(202)
  await eventually(async () => expect(await received(eventId)).toBe(2))

  // The audit log says who sent which event again.
  const [entry] = await query<{ action: string; community_id: string; detail: string }>(
    `select action, community_id, detail from audit_log where target_id = ? order by at desc limit 1`,
    endpointId,
  )
  expect(entry).toEqual({
    action: 'webhook.redelivered',
    community_id: community.id,
    detail: eventId,
  })
})

it('refuses an event still being delivered, and one the endpoint never had, writing nothing', async () => {
  const { community, endpointId } = await endpointOfNewCommunity()
  const eventId = await failedDelivery(endpointId, community.id)
  await query(
    `update webhook_deliveries set status = 'sending', attempts = 2 where event_id = ?`,
    eventId,
  )

  const busy = await call('POST', `/api/webhooks/${endpointId}/deliveries/${eventId}/redeliver`)
  expectProblem(busy, 409, 'invalid_state')
  expect(await deliveryRow(eventId)).toMatchObject({ status: 'sending', attempts: 2 })

  const other = await endpointOfNewCommunity()
  const elsewhere = await call(
    'POST',
    `/api/webhooks/${other.endpointId}/deliveries/${eventId}/redeliver`,
  )
  expectProblem(elsewhere, 404, 'not_found')
  // An admin of the other community does not learn the endpoint exists.
  const admin = await createToken({ role: 'community_admin', communityId: other.community.id })
  const hidden = await call('POST', `/api/webhooks/${endpointId}/deliveries/${eventId}/redeliver`, {
    token: admin.token,
  })
  expectProblem(hidden, 404, 'not_found')
  expect(await deliveryRow(eventId)).toMatchObject({ status: 'sending', attempts: 2 })

  // An event erased since (its member's data gone) is not sent again, whatever its delivery says.
  const erased = await failedDelivery(endpointId, community.id)
  await query('delete from events where id = ?', erased)
  const gone = await call('POST', `/api/webhooks/${endpointId}/deliveries/${erased}/redeliver`)
  expectProblem(gone, 404, 'not_found')
  expect(await deliveryRow(erased)).toMatchObject({ status: 'failed', attempts: 8 })
})

it('offers a failed delivery to be sent again on the webhooks page, and says it is on its way', async () => {
  const { community, endpointId } = await endpointOfNewCommunity()
  const eventId = await failedDelivery(endpointId, community.id)
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const action = `/admin/webhooks/${endpointId}/deliveries/${eventId}/redeliver`
  const button = html.slice(html.indexOf(`action="${action}`))
  expect(button).toMatch(new RegExp(`^action="${action}[^"]*"`))
  expect(button.slice(0, button.indexOf('</form>'))).toContain(WEBHOOKS_WORDS.en.redeliver)

  const sent = await post(action, cookie, { _csrf: csrfOf(html) })
  expect(sent.status, sent.text).toBe(303)
  const after = await page(sent.headers.get('location')!, cookie)
  expect(after.text).toContain(WEBHOOKS_WORDS.en.redeliveredNotice)
  await eventually(async () => expect(await received(eventId)).toBe(1))
})

it('finishes a redelivery whose queue message was lost: the cron job finds the row waiting', async () => {
  const { community, endpointId } = await endpointOfNewCommunity()
  const eventId = await failedDelivery(endpointId, community.id)
  // As the answer leaves it when the message could not be sent: waiting, its message lost.
  await query(
    `update webhook_deliveries set status = 'queued', attempts = 0, last_error = null,
       response_status = null, next_attempt_at = 0, updated_at = ? where event_id = ?`,
    Date.now() - 10 * 60_000,
    eventId,
  )
  expect(await received(eventId)).toBe(0)
  await runCron(new Date())
  await eventually(async () => {
    expect(await deliveryRow(eventId)).toMatchObject({ status: 'sent', attempts: 1 })
  })
  expect(await received(eventId)).toBe(1)
})
