import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** A community that asks for a double opt-in, as new communities do by default. */
async function doubleOptInCommunity(overrides: Record<string, unknown> = {}) {
  const response = await call('POST', '/api/communities', {
    body: {
      name: `Double ${crypto.randomUUID()}`,
      description: 'x',
      visibility: 'open',
      ...overrides,
    },
  })
  expect(response.status, response.text).toBe(201)
  const invite = await createInvite(response.json.id)
  return { community: response.json as { id: string; name: string; consent: string }, invite }
}

async function eventsOf(communityId: string) {
  return query<{ type: string; payload: string }>(
    'select type, payload from events where community_id = ? order by id',
    communityId,
  )
}

describe('double opt-in', () => {
  it('is what a new community asks for, and an admin can switch it to single', async () => {
    const { community } = await doubleOptInCommunity()
    expect(community.consent).toBe('double')
    const updated = await call('PATCH', `/api/communities/${community.id}`, {
      body: { consent: 'single' },
    })
    expect(updated.json.consent).toBe('single')
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, { body: { consent: 'maybe' } }),
      400,
      'validation_failed',
    )
  })

  it('is a setting in the dashboard, double unless the admin picks single', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const created = await post('/admin/communities', cookie, {
      _csrf: csrf,
      name: `Dashboard consent ${crypto.randomUUID().slice(0, 6)}`,
      description: '',
      visibility: 'open',
      consent: 'single',
    })
    expect(created.status).toBe(303)
    const id = /cmt_[0-9a-z]+/.exec(created.headers.get('location')!)![0]
    expect((await call('GET', `/api/communities/${id}`)).json.consent).toBe('single')
    const settings = await page(`/admin/communities/${id}/settings?lang=en`, cookie)
    expect(settings.text).toMatch(/<option value="single" selected="">Single opt-in/)
    const fresh = await page('/admin?lang=en', cookie)
    expect(fresh.text).toMatch(/<option value="double" selected="">Double opt-in/)
  })

  it('keeps a phone sign-up unconfirmed: no member, no event, a wa.me link with a one-time code', async () => {
    const { community, invite } = await doubleOptInCommunity()
    const joined = await joinJson(invite.code, { name: 'Ada', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    expect(joined.json).toMatchObject({ status: 'unconfirmed', memberId: null })
    const { code, whatsappUrl } = joined.json.confirmation
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    expect(whatsappUrl).toMatch(/^https:\/\/wa\.me\/49301234567\?text=/)
    expect(decodeURIComponent(whatsappUrl.split('text=')[1])).toContain(code)
    // Only a keyed hash of the code is stored.
    const [stored] = await query<{ confirm_code_hash: string }>(
      'select confirm_code_hash from join_requests where id = ?',
      joined.json.joinRequestId,
    )
    expect(stored!.confirm_code_hash).not.toContain(code)
    expect(await query('select id from members where community_id = ?', community.id)).toEqual([])
    expect((await eventsOf(community.id)).map((e) => e.type)).toEqual([])

    const status = await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')
    expect(status.text).toContain('Confirm in WhatsApp')
    expect(status.text).toContain(code)
    expect(status.text).toContain('data:image/svg+xml;base64,')
  })

  it('e-mails a link through the outbox; opening it shows a button, only the POST confirms', async () => {
    const { community, invite } = await doubleOptInCommunity({ timeZone: 'America/New_York' })
    const joined = await joinJson(invite.code, {
      name: 'Bo',
      email: `bo-${Date.now()}@example.com`,
    })
    expect(joined.json.status).toBe('unconfirmed')
    const [event] = await eventsOf(community.id)
    expect(event!.type).toBe('member.confirmation_requested')
    const payload = JSON.parse(event!.payload)
    expect(payload.confirmUrl).toMatch(/^https:\/\/join\.example\.com\/confirm\/.+\?lang=de$/)
    // What the e-mail needs to be written in the person's language, naming the community, with
    // the link's expiry on the community's clock.
    expect(payload).toMatchObject({
      language: 'de',
      communityName: community.name,
      timeZone: 'America/New_York',
    })
    const path = new URL(payload.confirmUrl).pathname

    const preview = await visit(path + '?lang=en')
    expect(preview.status).toBe(200)
    expect(preview.text).toContain('Yes, confirm')
    expect(await query('select id from members where community_id = ?', community.id)).toEqual([])

    // From another site: refused, nothing confirmed.
    const forged = await call('POST', path, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'cross-site' },
    })
    expect(forged.status).toBe(403)
    expect(await query('select id from members where community_id = ?', community.id)).toEqual([])

    const confirmed = await call('POST', path, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(confirmed.status).toBe(200)
    const members = await call('GET', `/api/communities/${community.id}/members`)
    expect(members.json.data).toHaveLength(1)
    expect(members.json.data[0].consentRecord).toMatchObject({
      method: 'email_link',
      proofId: expect.stringMatching(/^link_/),
    })
    expect((await eventsOf(community.id)).map((e) => e.type)).toEqual([
      'member.confirmation_requested',
      'member.joined',
    ])
    // Twice is harmless: still one member.
    await call('POST', path, { token: null, headers: { 'sec-fetch-site': 'same-origin' } })
    expect((await call('GET', `/api/communities/${community.id}/members`)).json.data).toHaveLength(
      1,
    )

    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    expect(csv.text.split('\r\n')[0]).toContain('confirmed_at,consent_method,consent_proof')
    expect(csv.text).toContain(',email_link,link_')
  })

  it('does not let an admin approve a closed community’s request before it is confirmed', async () => {
    const { community, invite } = await doubleOptInCommunity({ visibility: 'closed' })
    const joined = await joinJson(invite.code, { name: 'Cy', phone: newPhone() })
    expect(joined.json.status).toBe('unconfirmed')
    expectProblem(
      await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`),
      409,
      'invalid_state',
    )
    expect((await eventsOf(community.id)).map((e) => e.type)).toEqual([])
  })

  it('brings a closed community’s request to the admins once confirmed, with the record kept', async () => {
    const { community, invite } = await doubleOptInCommunity({ visibility: 'closed' })
    const joined = await joinJson(invite.code, {
      name: 'Fe',
      email: `fe-${Date.now()}@example.com`,
    })
    const pending = () =>
      call('GET', `/api/communities/${community.id}/join-requests?status=pending`)
    expect((await pending()).json.data).toEqual([])
    const [event] = await eventsOf(community.id)
    await call('POST', new URL(JSON.parse(event!.payload).confirmUrl).pathname, {
      token: null,
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    expect((await pending()).json.data).toMatchObject([
      { id: joined.json.joinRequestId, confirmed: true },
    ])
    expect((await eventsOf(community.id)).map((e) => e.type)).toEqual([
      'member.confirmation_requested',
      'join.requested',
    ])
    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const members = await call('GET', `/api/communities/${community.id}/members`)
    expect(members.json.data[0].consentRecord.method).toBe('email_link')
  })

  it('lets an admin record consent they hold proof of, as the record shows', async () => {
    const { community, invite } = await doubleOptInCommunity()
    const joined = await joinJson(invite.code, { name: 'Gus', phone: newPhone() })
    expectProblem(
      await call('POST', `/api/join-requests/${joined.json.joinRequestId}/confirm`, { body: {} }),
      400,
      'validation_failed',
    )
    const confirmed = await call(
      'POST',
      `/api/join-requests/${joined.json.joinRequestId}/confirm`,
      {
        body: { proof: 'Signed form at the stand, 28 Nov' },
      },
    )
    expect(confirmed.status, confirmed.text).toBe(200)
    expect(confirmed.json).toMatchObject({ status: 'approved', confirmed: true })
    const members = await call('GET', `/api/communities/${community.id}/members`)
    expect(members.json.data[0].consentRecord).toMatchObject({
      method: 'admin',
      proofId: 'owner: Signed form at the stand, 28 Nov',
    })
  })

  it('deletes unconfirmed sign-ups with their contact data once they expire', async () => {
    const { community, invite } = await doubleOptInCommunity()
    const phone = newPhone()
    await joinJson(invite.code, { name: 'Di', phone })
    const single = await createCommunity()
    const kept = await joinJson((await createInvite(single.id)).code, { name: 'Ed', phone })
    expect(kept.json.status).toBe('active')

    await runCron(Date.now() + 47 * 3600_000)
    expect(await query('select id from join_requests where phone = ?', phone)).toHaveLength(2)
    await runCron(Date.now() + 49 * 3600_000)
    const left = await query<{ community_id: string }>(
      'select community_id from join_requests where phone = ?',
      phone,
    )
    expect(left.map((row) => row.community_id)).toEqual([single.id])
    // The same person may sign up again.
    const again = await joinJson(invite.code, { name: 'Di', phone })
    expect(again.status).toBe(201)
    expect(community.id).toBeTruthy()
  })
})
