import { exports } from 'cloudflare:workers'
import { expect, inject } from 'vitest'
import { BASE, call, eventually, runCron } from '../worker/helpers'
import { hubSignature } from '../support/whatsapp-notifications'

/** Meta's part of a test: signed notifications in, and what the Cloud API stand-in received. */

const fake = inject('fakeServicesUrl')

/** A signed notification to the webhook, as Meta sends it; it must be acknowledged. */
export async function notify(payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload)
  const response = await exports.default.fetch(
    new Request(`${BASE}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': await hubSignature(body),
      },
      body,
    }),
  )
  expect(response.status, await response.clone().text()).toBe(200)
  return response
}

/** The messages the Cloud API stand-in was asked to send to one number. */
export async function sentTo(
  phone: string,
): Promise<
  Array<{ to: string; type: string; text?: { body: string }; template?: { name: string } }>
> {
  const requests = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
    body: string
  }>
  return requests
    .map((request) => JSON.parse(request.body))
    .filter((message) => message.to.replace(/\D/g, '') === phone.replace(/\D/g, ''))
}

/** The Cloud API stand-in answers the next `count` sends to `phone` with 500, as in an outage. */
export async function whatsAppOutage(phone: string, count: number): Promise<void> {
  const response = await fetch(`${fake}/__whatsapp-outage`, {
    method: 'PUT',
    body: JSON.stringify({ to: phone, count }),
  })
  expect(response.status).toBe(200)
}

/**
 * Schedules an announcement to the community (with `extra` fields of the API's), runs the cron
 * past its time and waits until its run is over: its deliveries, each sent or why not.
 */
export async function announceAndWait(
  communityId: string,
  body: string,
  extra: Record<string, unknown> = {},
) {
  const created = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, sendAt: new Date(Date.now() + 1000).toISOString(), ...extra },
  })
  expect(created.status, created.text).toBe(201)
  await runCron(new Date(Date.now() + 120_000))
  await eventually(async () =>
    expect((await call('GET', `/api/announcements/${created.json.id}`)).json.status).toBe('sent'),
  )
  return (await call('GET', `/api/announcements/${created.json.id}/deliveries`)).json
}
