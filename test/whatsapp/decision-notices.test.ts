import { describe, expect, it } from 'vitest'
import { call, createInvite, eventually, joinJson, newPhone, query } from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

/**
 * An applicant hears how an admin decided, through the contact they confirmed and only that:
 * WhatsApp for a confirmed number (a text inside the 24-hour window their own message opened, a
 * template after it where one is configured: here `join_approved` for approvals and none for
 * rejections), the events outbox for a confirmed e-mail address, nothing for an unconfirmed one.
 */

/** A closed community asking for a double opt-in, and its invite link. */
async function closedCommunity() {
  const name = `Decisions ${crypto.randomUUID().slice(0, 8)}`
  const created = await call('POST', '/api/communities', {
    body: { name, description: 'x', visibility: 'closed' },
  })
  expect(created.status, created.text).toBe(201)
  expect(created.json.consent).toBe('double')
  return { id: created.json.id as string, name, invite: await createInvite(created.json.id) }
}

/** Signs up and confirms the number by sending the prefilled message from it. */
async function confirmedByWhatsApp(code: string, name: string) {
  const phone = newPhone()
  const joined = await joinJson(code, { name, phone })
  expect(joined.status, joined.text).toBe(201)
  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
  const requestId = joined.json.joinRequestId as string
  await eventually(async () => {
    const [row] = await query<{ confirmed_at: number | null }>(
      'select phone_confirmed_at as confirmed_at from join_requests where id = ?',
      requestId,
    )
    expect(row!.confirmed_at).not.toBeNull()
  })
  // The reply to the confirmation: in a closed community no welcome yet, the admins decide.
  await eventually(async () =>
    expect((await sentTo(phone)).map((m) => m.text?.body ?? '').join()).toContain(
      'entscheidet ein Admin',
    ),
  )
  expect((await sentTo(phone)).map((m) => m.text?.body ?? '').join()).not.toContain('Willkommen')
  return { phone, requestId }
}

/** What reached a number after its first `before` messages. */
async function newSince(phone: string, before: number) {
  return (await sentTo(phone)).slice(before)
}

/** Waits long enough for anything sent after an answer to have arrived. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 700))

async function eventPayload(type: string, requestId: string) {
  const [event] = await query<{ payload: string }>(
    `select payload from events where type = ? and json_extract(payload, '$.joinRequestId') = ?`,
    type,
    requestId,
  )
  return JSON.parse(event!.payload) as Record<string, unknown>
}

describe('the applicant is told the outcome through the channel they confirmed', () => {
  it('a number confirmed by its own message gets a text in the window: approved, once', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Greta')
    const before = (await sentTo(phone)).length

    const approved = await call('POST', `/api/join-requests/${requestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    expect(told.type).toBe('text')
    expect(told.text!.body).toContain(`Deine Anfrage bei ${community.name} ist angenommen`)
    expect(told.text!.body).toContain(`Your request to join ${community.name} is approved`)

    // Approving again is harmless, and tells no one twice.
    expect((await call('POST', `/api/join-requests/${requestId}/approve`)).status).toBe(200)
    await settle()
    expect(await newSince(phone, before)).toHaveLength(1)
    // The event has no e-mail address to give: there is none.
    expect(await eventPayload('join.approved', requestId)).toMatchObject({
      name: 'Greta',
      email: null,
      communityName: community.name,
    })
  })

  it('rejected in the window: the text carries the reason', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Hanno')
    const before = (await sentTo(phone)).length
    const rejected = await call('POST', `/api/join-requests/${requestId}/reject`, {
      body: { reason: 'Only for people from the Kiez' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    expect(told.text!.body).toContain(`Deine Anfrage bei ${community.name} wurde abgelehnt.`)
    expect(told.text!.body).toContain('Begründung: Only for people from the Kiez')
    expect(told.text!.body).toContain('Reason: Only for people from the Kiez')
  })

  it('past the 24 hours: the template where one is configured, otherwise nothing', async () => {
    const community = await closedCommunity()
    const ida = await confirmedByWhatsApp(community.invite.code, 'Ida')
    const jon = await confirmedByWhatsApp(community.invite.code, 'Jon')
    // Their confirmations are a day and an hour old: the window they opened has closed.
    await query(
      'update join_requests set phone_confirmed_at = ? where id in (?, ?)',
      Date.now() - 25 * 3600_000,
      ida.requestId,
      jon.requestId,
    )
    const [idaBefore, jonBefore] = [
      (await sentTo(ida.phone)).length,
      (await sentTo(jon.phone)).length,
    ]

    // Both decided from the dashboard's page across communities, in one go each.
    const { cookie } = await signIn()
    const overview = await page('/admin/approvals', cookie)
    expect(overview.text).toContain(`value="approve:${ida.requestId}"`)
    for (const only of [`approve:${ida.requestId}`, `reject:${jon.requestId}`]) {
      const decided = await post('/admin/approvals', cookie, {
        _csrf: csrfOf(overview.text),
        only,
      })
      expect(decided.headers.get('location')).toContain('decided=1')
    }
    const told = await eventually(async () => {
      const messages = await newSince(ida.phone, idaBefore)
      expect(messages).toHaveLength(1)
      return messages[0]! as { type: string; template?: { name: string; components: any[] } }
    })
    expect(told.type).toBe('template')
    expect(told.template!.name).toBe('join_approved')
    expect(told.template!.components[0].parameters[0].text).toBe(community.name)
    // No template for rejections here, and no free-form text outside the window: nothing.
    await settle()
    expect(await newSince(jon.phone, jonBefore)).toEqual([])
  })

  it('never messages an unconfirmed number; a confirmed e-mail address hears it through the events', async () => {
    const community = await closedCommunity()
    const people = []
    for (const name of ['Kai', 'Lou']) {
      const phone = newPhone()
      const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`
      const joined = await joinJson(community.invite.code, { name, phone, email })
      expect(joined.status, joined.text).toBe(201)
      const requestId = joined.json.joinRequestId as string
      // Confirmed by the e-mailed link only: the number stays unconfirmed.
      const [event] = await query<{ payload: string }>(
        `select payload from events where type = 'member.confirmation_requested'
         and json_extract(payload, '$.joinRequestId') = ?`,
        requestId,
      )
      const confirmed = await call(
        'POST',
        new URL(JSON.parse(event!.payload).confirmUrl).pathname,
        { token: null, headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' } },
      )
      expect(confirmed.status).toBe(200)
      people.push({ name, phone, email, requestId, before: (await sentTo(phone)).length })
    }
    const [kai, lou] = people as [(typeof people)[0], (typeof people)[0]]
    expect((await call('POST', `/api/join-requests/${kai.requestId}/approve`)).status).toBe(200)
    const rejected = await call('POST', `/api/join-requests/${lou.requestId}/reject`, {
      body: { reason: 'Full' },
    })
    expect(rejected.status).toBe(200)
    await settle()
    expect(await newSince(kai.phone, kai.before)).toEqual([])
    expect(await newSince(lou.phone, lou.before)).toEqual([])

    // What the operator's mail system needs to write to them, and no more: no phone number,
    // no status link (only its hash is stored).
    const approvedEvent = await eventPayload('join.approved', kai.requestId)
    expect(approvedEvent).toMatchObject({
      joinRequestId: kai.requestId,
      name: 'Kai',
      email: kai.email,
      communityName: community.name,
    })
    const rejectedEvent = await eventPayload('join.rejected', lou.requestId)
    expect(rejectedEvent).toEqual({
      joinRequestId: lou.requestId,
      reason: 'Full',
      name: 'Lou',
      email: lou.email,
      communityName: community.name,
    })
    for (const payload of [approvedEvent, rejectedEvent]) {
      expect(JSON.stringify(payload)).not.toContain(kai.phone)
      expect(JSON.stringify(payload)).not.toContain(lou.phone)
      expect(JSON.stringify(payload)).not.toContain('/s/')
    }
  })

  it('says nothing to a ticked box once the community asks for confirmation', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: 'Ticked decisions', description: 'x', visibility: 'closed', consent: 'single' },
    })
    const invite = await createInvite(created.json.id)
    const phone = newPhone()
    const email = `ticked-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, { name: 'Tick', phone, email })
    expect(joined.status, joined.text).toBe(201)
    const switched = await call('PATCH', `/api/communities/${created.json.id}`, {
      body: { consent: 'double' },
    })
    expect(switched.status, switched.text).toBe(200)
    const before = (await sentTo(phone)).length

    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    await settle()
    // Not even the approval template: the number was never proven.
    expect(await newSince(phone, before)).toEqual([])
    const payload = await eventPayload('join.approved', joined.json.joinRequestId)
    expect(payload.email).toBeNull()
  })
})
