import { describe, expect, it } from 'vitest'
import {
  call,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
} from '../worker/helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

/**
 * Consent is proven per contact: a proof confirms the contact it comes from and nothing else.
 * Each test is an attack the second outside review tried, or the way out it asked for.
 */

async function doubleOptIn(visibility: 'open' | 'closed' = 'open') {
  const created = await call('POST', '/api/communities', {
    body: { name: `Per contact ${crypto.randomUUID()}`, description: 'x', visibility },
  })
  expect(created.status, created.text).toBe(201)
  return { community: created.json as { id: string }, invite: await createInvite(created.json.id) }
}

/** Opens the e-mailed link of a sign-up and presses its button, as the address's owner would. */
async function confirmByEmail(joinRequestId: string) {
  const [event] = await query<{ payload: string }>(
    `select payload from events where type = 'member.confirmation_requested'
     and json_extract(payload, '$.joinRequestId') = ?`,
    joinRequestId,
  )
  const path = new URL(JSON.parse(event!.payload).confirmUrl).pathname
  const confirmed = await call('POST', path, {
    token: null,
    headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
  })
  expect(confirmed.status).toBe(200)
}

/** Sends the sign-up's prefilled confirmation from `phone`'s own WhatsApp. */
async function confirmByWhatsApp(phone: string, joined: { json: any }) {
  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
}

async function membersOf(communityId: string) {
  return (await call('GET', `/api/communities/${communityId}/members?status=active`)).json
    .data as Array<{
    id: string
    phone: string | null
    email: string | null
    contactConsent: { phone: { method: string } | null; email: { method: string } | null }
  }>
}

async function announceAndWait(communityId: string, body: string) {
  const created = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, sendAt: new Date(Date.now() + 1000).toISOString() },
  })
  expect(created.status, created.text).toBe(201)
  await runCron(new Date(Date.now() + 120_000))
  await eventually(async () =>
    expect((await call('GET', `/api/announcements/${created.json.id}`)).json.status).toBe('sent'),
  )
  return (await call('GET', `/api/announcements/${created.json.id}/deliveries`)).json
}

describe('a proof confirms the contact it proves, and nothing else', () => {
  it('a stranger’s phone signed up with my e-mail, confirmed from my inbox: the stranger gets nothing', async () => {
    const { community, invite } = await doubleOptIn()
    const strangersPhone = newPhone()
    const joined = await joinJson(invite.code, {
      name: 'Mallory',
      phone: strangersPhone,
      email: `mallory-${crypto.randomUUID()}@example.com`,
    })
    expect(joined.json.status).toBe('unconfirmed')
    await confirmByEmail(joined.json.joinRequestId)

    const [member] = await membersOf(community.id)
    expect(member!.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(member!.contactConsent.phone).toBeNull()

    const sendsBefore = (await sentTo(strangersPhone)).length
    const deliveries = await announceAndWait(community.id, 'Only for confirmed numbers')
    expect(deliveries.data).toMatchObject([
      { memberId: member!.id, status: 'skipped', lastError: 'phone number not confirmed' },
    ])
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await sentTo(strangersPhone)).toHaveLength(sendsBefore)

    // The stranger is not held hostage: they sign up with their own number and prove it.
    const owner = await joinJson(invite.code, { name: 'Sam', phone: strangersPhone })
    expect(owner.status).toBe(201)
    expect(owner.json.status).toBe('unconfirmed')
    expect(owner.json.confirmation.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    await confirmByWhatsApp(strangersPhone, owner)
    await eventually(async () => {
      const sam = (await membersOf(community.id)).find(
        (m) => m.phone === strangersPhone && m.contactConsent.phone,
      )
      expect(sam?.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    })
  })

  it('my phone with a stranger’s e-mail, confirmed by my WhatsApp: the address stays unconfirmed', async () => {
    const { community, invite } = await doubleOptIn()
    const myPhone = newPhone()
    const strangersEmail = `stranger-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, {
      name: 'Mallory',
      phone: myPhone,
      email: strangersEmail,
    })
    await confirmByWhatsApp(myPhone, joined)
    const member = await eventually(async () => {
      const [found] = await membersOf(community.id)
      expect(found).toBeDefined()
      return found!
    })
    expect(member.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    expect(member.contactConsent.email).toBeNull()
    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    const [header, row] = csv.text.trim().split('\r\n')
    const cells = Object.fromEntries(
      header!.split(',').map((column, i) => [column, row!.split(',')[i]]),
    )
    expect(cells.phone_consent_method).toBe('whatsapp_message')
    expect(cells.email_consent_method).toBe('')

    // The address's owner can still confirm it by the link sent to it, and only then it counts.
    await confirmByEmail(joined.json.joinRequestId)
    const [after] = await membersOf(community.id)
    expect(after!.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(after!.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
  })

  it('an admin’s recorded consent confirms only the contacts it names', async () => {
    const { community, invite } = await doubleOptIn()
    const joined = await joinJson(invite.code, {
      name: 'Both',
      phone: newPhone(),
      email: `both-${crypto.randomUUID()}@example.com`,
    })
    const confirm = (body: unknown) =>
      call('POST', `/api/join-requests/${joined.json.joinRequestId}/confirm`, { body })
    const unnamed = expectProblem(await confirm({ proof: 'signed form' }), 400, 'validation_failed')
    expect(unnamed.errors[0].path).toBe('contacts')
    const named = await confirm({ proof: 'signed form', contacts: ['email'] })
    expect(named.status, named.text).toBe(200)
    expect(named.json.contactConsent).toMatchObject({
      phone: null,
      email: { method: 'admin', proofId: 'owner: signed form' },
    })
    const [member] = await membersOf(community.id)
    expect(member!.contactConsent.phone).toBeNull()
  })
})

describe('nobody holds someone else’s number hostage, or learns who is a member', () => {
  it('answers a member’s number exactly like a new one; the owner’s proof then shows the membership', async () => {
    const { community, invite } = await doubleOptIn()
    const phone = newPhone()
    const first = await joinJson(invite.code, { name: 'Uma', phone })
    await confirmByWhatsApp(phone, first)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))

    // Someone who only knows the number learns nothing from the answer.
    const probe = await joinJson(invite.code, { name: 'Probe', phone })
    const unknown = await joinJson(invite.code, { name: 'Probe', phone: newPhone() })
    expect(probe.status).toBe(unknown.status)
    expect(Object.keys(probe.json).sort()).toEqual(Object.keys(unknown.json).sort())
    expect(Object.keys(probe.json.confirmation).sort()).toEqual(
      Object.keys(unknown.json.confirmation).sort(),
    )
    expect(probe.json).toMatchObject({ status: 'unconfirmed', memberId: null })
    const probePage = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
    expect(probePage.text).not.toContain('/leave/')

    // The number's owner proves it with the new sign-up's code: its status link now shows the
    // membership, and there is still one member.
    await confirmByWhatsApp(phone, probe)
    await eventually(async () => {
      const page = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
      expect(page.text).toContain('/leave/')
    })
    expect(await membersOf(community.id)).toHaveLength(1)
    const [repeat] = await query<{ phone: string | null; name: string }>(
      'select phone, name from join_requests where id = ?',
      probe.json.joinRequestId,
    )
    expect(repeat).toEqual({ phone: null, name: '' })
  })

  it('a message carrying the sender’s own code and someone else’s confirms the sender’s only', async () => {
    const { community, invite } = await doubleOptIn()
    const mine = newPhone()
    const theirs = newPhone()
    const me = await joinJson(invite.code, { name: 'Me', phone: mine })
    const them = await joinJson(invite.code, { name: 'Them', phone: theirs })
    await notify(
      textNotification(mine, `${me.json.confirmation.code} ${them.json.confirmation.code}`),
    )
    await eventually(async () => {
      const members = await membersOf(community.id)
      expect(members.map((m) => m.phone)).toEqual([mine])
    })
    const [theirRequest] = await query<{ confirmed_at: number | null }>(
      'select confirmed_at from join_requests where id = ?',
      them.json.joinRequestId,
    )
    expect(theirRequest!.confirmed_at).toBeNull()
  })
})
