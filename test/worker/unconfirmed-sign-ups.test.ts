import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  expectProblem,
  joinJson,
  newPhone,
  query,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** A community asking for a double opt-in, a link into it, and an owner's dashboard session. */
async function doubleOptIn(visibility: 'open' | 'closed' = 'open') {
  const community = await createCommunity({ consent: 'double', visibility })
  const invite = await createInvite(community.id)
  const { cookie } = await signIn()
  return { community, invite, cookie }
}

/** A sign-up its owner has not confirmed yet. */
async function unconfirmedSignUp(code: string, body: Record<string, unknown>) {
  const joined = await joinJson(code, body)
  expect(joined.status, joined.text).toBe(201)
  expect(joined.json.status).toBe('unconfirmed')
  return joined.json.joinRequestId as string
}

const approvalsOf = (communityId: string) => `/admin/communities/${communityId}/approvals`

async function memberCount(communityId: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    'select count(*) as n from members where community_id = ?',
    communityId,
  )
  return row!.n
}

describe('sign-ups waiting for their owner to confirm', () => {
  it('are listed for the admins, who record consent they hold proof of', async () => {
    const { community, invite, cookie } = await doubleOptIn()
    const phone = newPhone()
    const gus = await unconfirmedSignUp(invite.code, { name: 'Gus Waiting', phone })
    const approvals = approvalsOf(community.id)
    const shown = await page(approvals, cookie)
    expect(shown.status).toBe(200)
    expect(shown.text).toContain('Waiting for their own confirmation')
    expect(shown.text).toContain('Gus Waiting')
    // Not among the requests the admins decide: nobody decides on them before they confirm.
    expect(shown.text).toContain('No pending requests')

    // Without a proof: refused where it was typed, nothing recorded.
    const csrf = csrfOf(shown.text)
    const consentPath = `${approvals}/${gus}/consent`
    const bare = await post(consentPath, cookie, { _csrf: csrf, proof: '  ' })
    expect(bare.status).toBe(400)
    expect(bare.text).toMatch(/id="jr_[0-9a-z]+-proof"[^>]*aria-invalid="true"/)
    expect(await memberCount(community.id)).toBe(0)

    const recorded = await post(consentPath, cookie, {
      _csrf: csrf,
      proof: 'Signed form at the stand, 28 Nov',
    })
    expect(recorded.status, recorded.text).toBe(303)
    expect(recorded.headers.get('location')).toBe(`${approvals}?done=consentRecorded`)
    expect((await page(recorded.headers.get('location')!, cookie)).text).toContain(
      'The consent is recorded.',
    )
    // An open community: the person is a member now, the proof their consent record.
    const members = await call('GET', `/api/communities/${community.id}/members`)
    expect(members.json.data).toHaveLength(1)
    expect(members.json.data[0]).toMatchObject({
      name: 'Gus Waiting',
      consentRecord: { method: 'admin', proofId: 'owner: Signed form at the stand, 28 Nov' },
      contactConsent: { phone: { method: 'admin' }, email: null },
    })
    expect((await page(approvals, cookie)).text).not.toContain('Gus Waiting')
    const confirmations = () =>
      query<{ target_id: string }>(
        "select target_id from audit_log where community_id = ? and action = 'join_request.confirmed'",
        community.id,
      )
    expect(await confirmations()).toEqual([{ target_id: gus }])

    // Sent again (a second tab): nothing more recorded, nothing more in the log.
    const again = await post(consentPath, cookie, { _csrf: csrf, proof: 'Another proof' })
    expect(again.status).toBe(303)
    expect(await memberCount(community.id)).toBe(1)
    expect(await confirmations()).toHaveLength(1)
  })

  it('confirm only the contacts the proof names', async () => {
    const { community, invite, cookie } = await doubleOptIn()
    const both = await unconfirmedSignUp(invite.code, {
      name: 'Both Contacts',
      phone: newPhone(),
      email: `both-${crypto.randomUUID().slice(0, 8)}@example.com`,
    })
    const approvals = approvalsOf(community.id)
    const shown = await page(approvals, cookie)
    expect(shown.text).toContain('The proof covers')
    const csrf = csrfOf(shown.text)
    const unnamed = await post(`${approvals}/${both}/consent`, cookie, {
      _csrf: csrf,
      proof: 'Paper form',
    })
    expect(unnamed.status).toBe(400)
    expect(unnamed.text).toContain('Choose what the proof covers')
    // What was typed stays in the form.
    expect(unnamed.text).toContain('value="Paper form"')
    expect(await memberCount(community.id)).toBe(0)

    const email = await post(`${approvals}/${both}/consent`, cookie, {
      _csrf: csrf,
      proof: 'Paper form',
      contacts: 'email',
    })
    expect(email.status, email.text).toBe(303)
    const members = await call('GET', `/api/communities/${community.id}/members`)
    expect(members.json.data[0].contactConsent).toMatchObject({
      phone: null,
      email: { method: 'admin', proofId: 'owner: Paper form' },
    })
  })

  it('go on to the admins’ decision in a closed community once consent is recorded', async () => {
    const { community, invite, cookie } = await doubleOptIn('closed')
    const id = await unconfirmedSignUp(invite.code, { name: 'Closed Waiting', phone: newPhone() })
    const pending = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(pending.json.data).toEqual([])
    const waiting = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=unconfirmed`,
    )
    expect(waiting.json.data).toMatchObject([{ id, status: 'pending', confirmed: false }])

    const approvals = approvalsOf(community.id)
    const csrf = csrfOf((await page(approvals, cookie)).text)
    const recorded = await post(`${approvals}/${id}/consent`, cookie, {
      _csrf: csrf,
      proof: 'Phone call, recorded',
    })
    expect(recorded.status).toBe(303)
    expect(await memberCount(community.id)).toBe(0)
    const after = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(after.json.data).toMatchObject([{ id, confirmed: true }])
    expect(
      (await call('GET', `/api/communities/${community.id}/join-requests?status=unconfirmed`)).json
        .data,
    ).toEqual([])
    // On the page: among the requests to decide, no longer among those waiting.
    const shown = await page(approvals, cookie)
    expect(shown.text).toContain('Closed Waiting')
    expect(shown.text).toContain('Nobody is waiting to confirm')
  })

  it('record a proof whole or not at all: a contact the sign-up lacks refuses it all', async () => {
    const { community, invite, cookie } = await doubleOptIn()
    const id = await unconfirmedSignUp(invite.code, { name: 'Phone Only', phone: newPhone() })
    const approvals = approvalsOf(community.id)
    const csrf = csrfOf((await page(approvals, cookie)).text)
    const both = await post(`${approvals}/${id}/consent`, cookie, {
      _csrf: csrf,
      proof: 'Paper',
      contacts: ['phone', 'email'],
    })
    expect(both.status).toBe(400)
    expect(both.text).toContain('Nothing recorded')
    expectProblem(
      await call('POST', `/api/join-requests/${id}/confirm`, {
        body: { proof: 'Paper', contacts: ['phone', 'email'] },
      }),
      409,
      'invalid_state',
    )
    const [row] = await query<{ phone_consent_method: string | null; status: string }>(
      'select phone_consent_method, status from join_requests where id = ?',
      id,
    )
    expect(row).toEqual({ phone_consent_method: null, status: 'pending' })
    expect(await memberCount(community.id)).toBe(0)
    expect(await query('select id from audit_log where target_id = ?', id)).toEqual([])
  })

  it('keep a proof recorded when the group is full, the request then waiting for an admin', async () => {
    const community = await createCommunity({ consent: 'double', visibility: 'open' })
    const group = await createGroup(community.id, { memberLimit: 1 })
    const invite = await createInvite(community.id, { groupId: group.id })
    const first = await unconfirmedSignUp(invite.code, { name: 'First In', phone: newPhone() })
    const second = await unconfirmedSignUp(invite.code, { name: 'Second Late', phone: newPhone() })
    const { cookie } = await signIn()
    const approvals = approvalsOf(community.id)
    const csrf = csrfOf((await page(approvals, cookie)).text)
    expect(
      (await post(`${approvals}/${first}/consent`, cookie, { _csrf: csrf, proof: 'A' })).status,
    ).toBe(303)
    const full = await post(`${approvals}/${second}/consent`, cookie, { _csrf: csrf, proof: 'B' })
    expect(full.status).toBe(200)
    expect(full.text).toContain('the group is full')
    // Among the requests to decide now, with the proof kept and in the log.
    const pending = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(pending.json.data).toMatchObject([
      {
        id: second,
        confirmed: true,
        contactConsent: { phone: { method: 'admin', proofId: 'owner: B' } },
      },
    ])
    const logged = await query<{ target_id: string }>(
      "select target_id from audit_log where community_id = ? and action = 'join_request.confirmed' order by id",
      community.id,
    )
    expect(logged.map((row) => row.target_id)).toEqual([first, second])
  })

  it('leave an expired sign-up unlisted and say so to whoever still sends its form', async () => {
    const { community, invite, cookie } = await doubleOptIn()
    const id = await unconfirmedSignUp(invite.code, { name: 'Too Late', phone: newPhone() })
    const approvals = approvalsOf(community.id)
    const csrf = csrfOf((await page(approvals, cookie)).text)
    await query(
      'update join_requests set confirm_expires_at = ? where id = ?',
      Date.now() - 1000,
      id,
    )
    const shown = await page(approvals, cookie)
    expect(shown.text).not.toContain('Too Late')
    const late = await post(`${approvals}/${id}/consent`, cookie, { _csrf: csrf, proof: 'Form' })
    expect(late.status).toBe(400)
    expect(late.text).toContain('This sign-up expired unconfirmed')
    expect(await memberCount(community.id)).toBe(0)
    expect(
      (await call('GET', `/api/communities/${community.id}/join-requests?status=unconfirmed`)).json
        .data,
    ).toEqual([])
  })

  it('are recorded only by those who decide the community’s requests', async () => {
    const { community, invite } = await doubleOptIn()
    const id = await unconfirmedSignUp(invite.code, { name: 'Guarded', phone: newPhone() })
    const group = (await call('GET', `/api/communities/${community.id}/groups`)).json.data[0]
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    const other = await createCommunity()
    const stranger = await createToken({ role: 'community_admin', communityId: other.id })
    const path = `${approvalsOf(community.id)}/${id}/consent`
    for (const [token, status] of [
      [groupAdmin.token, 403],
      [stranger.token, 404],
    ] as const) {
      const { cookie } = await signIn(token)
      const csrf = csrfOf((await page('/admin', cookie)).text)
      const refused = await post(path, cookie, { _csrf: csrf, proof: 'Forged' })
      expect(refused.status).toBe(status)
    }
    // The stranger's own community in the path does not reach a sign-up of another.
    const { cookie } = await signIn(stranger.token)
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const elsewhere = await post(`${approvalsOf(other.id)}/${id}/consent`, cookie, {
      _csrf: csrf,
      proof: 'Forged',
    })
    expect(elsewhere.status).toBe(404)
    expect(await memberCount(community.id)).toBe(0)
    expectProblem(
      await call('GET', `/api/communities/${community.id}/join-requests?status=waiting`),
      400,
      'validation_failed',
    )
  })

  it('show nothing where the community asks for no confirmation and none wait', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const shown = await page(approvalsOf(community.id), cookie)
    expect(shown.status).toBe(200)
    expect(shown.text).not.toContain('Waiting for their own confirmation')
  })
})
