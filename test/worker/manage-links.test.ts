import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** A code no other test of this file uses: storage is shared between the tests of a file. */
function uniqueCode(stem: string): string {
  return `${stem}-${crypto.randomUUID().slice(0, 8)}`
}

async function patch(id: string, body: Record<string, unknown>) {
  return call('PATCH', `/api/invites/${id}`, { body })
}

async function getInvite(id: string) {
  const response = await call<'/api/invites/{id}', 'get'>('GET', `/api/invites/${id}`)
  expect(response.status).toBe(200)
  return response.json
}

async function usedOnce(code: string) {
  const joined = await joinJson(code, { name: 'Early bird', phone: newPhone() })
  expect(joined.status, joined.text).toBe(201)
}

describe('editing a link through the API', () => {
  it('changes label, tags, group, limits and expiry in one request', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id, { label: 'Poster', source: 'flyer' })
    const expiresAt = new Date(Date.now() + 30 * 86400_000).toISOString()
    const response = await patch(invite.id, {
      label: 'Poster, second print',
      source: 'poster',
      medium: 'print',
      campaign: 'autumn',
      groupId: group.id,
      maxUses: 50,
      expiresAt,
    })
    expect(response.status, response.text).toBe(200)
    expect(response.json).toMatchObject({
      label: 'Poster, second print',
      source: 'poster',
      medium: 'print',
      campaign: 'autumn',
      groupId: group.id,
      maxUses: 50,
      expiresAt,
      code: invite.code,
      status: 'active',
    })
    // Clearing is a null.
    const cleared = await patch(invite.id, { source: null, groupId: null, maxUses: null })
    expect(cleared.json).toMatchObject({ source: null, groupId: null, maxUses: null })
  })

  it('refuses a group of another community, changing nothing', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const foreign = await createGroup(other.id)
    const invite = await createInvite(community.id, { label: 'Mine' })
    const refused = await patch(invite.id, { label: 'Changed', groupId: foreign.id })
    expectProblem(refused, 400, 'validation_failed')
    expect((await getInvite(invite.id)).label).toBe('Mine')
  })

  it('refuses a maximum below the uses so far with 409, and accepts one equal to them', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await usedOnce(invite.code)
    await usedOnce(invite.code)
    const refused = await patch(invite.id, { maxUses: 1, label: 'Not saved either' })
    const problem = expectProblem(refused, 409, 'max_uses_below_uses')
    expect(problem.errors).toEqual([{ path: 'maxUses', message: 'At least 2' }])
    expect(await getInvite(invite.id)).toMatchObject({ maxUses: null, label: null })

    const exact = await patch(invite.id, { maxUses: 2 })
    expect(exact.json).toMatchObject({ maxUses: 2, uses: 2, status: 'used_up' })
  })

  it('gives a link a custom code: the old code is gone at once, even where it was cached', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // Opened once, so this isolate holds its landing data and QR image.
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    expect((await call('GET', `/i/${invite.code}/qr.svg`, { token: null })).status).toBe(200)

    const code = uniqueCode('Autumn-Run')
    const response = await patch(invite.id, { code })
    expect(response.status, response.text).toBe(200)
    expect(response.json).toMatchObject({
      code: code.toLowerCase(),
      url: `https://join.example.com/i/${code.toLowerCase()}`,
    })
    expect((await visit(`/i/${invite.code}`)).status).toBe(410)
    expect((await call('GET', `/i/${invite.code}/qr.svg`, { token: null })).status).toBe(410)
    expect((await visit(`/i/${code.toLowerCase()}`)).status).toBe(200)
    const joined = await joinJson(code.toLowerCase(), { name: 'Vanity', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)

    const codes = await query(
      'select code, retired_at is not null as retired from invite_codes where invite_id = ? order by created_at',
      invite.id,
    )
    expect(codes).toEqual([
      { code: invite.code, retired: 1 },
      { code: code.toLowerCase(), retired: 0 },
    ])
    // The old code is never handed out again, to any link.
    const reuse = await patch((await createInvite(community.id)).id, { code: invite.code })
    expect([400, 409]).toContain(reuse.status)
  })

  it('refuses a code another link has or had with 409, leaving the link as it was', async () => {
    const community = await createCommunity()
    const taken = uniqueCode('taken')
    await createInvite(community.id, { code: taken })
    const invite = await createInvite(community.id, { label: 'Before' })
    const refused = await patch(invite.id, { code: taken, label: 'After' })
    expectProblem(refused, 409, 'code_taken')
    expect(await getInvite(invite.id)).toMatchObject({ code: invite.code, label: 'Before' })
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    const codes = await query('select code from invite_codes where invite_id = ?', invite.id)
    expect(codes).toEqual([{ code: invite.code }])
  })

  it('does not retire a code when the same request asks for too low a maximum', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await usedOnce(invite.code)
    await usedOnce(invite.code)
    const code = uniqueCode('both')
    const refused = await patch(invite.id, { code, maxUses: 1 })
    expectProblem(refused, 409, 'max_uses_below_uses')
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    expect(await query('select code from invite_codes where code = ?', code)).toEqual([])
  })
})

describe('archiving, restoring and duplicating links through the API', () => {
  it('archives a link: out of the list, its page and joins refused; restoring brings it back', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Summer' })
    const kept = await createInvite(community.id, { label: 'Kept' })
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)

    const archived = await call('POST', `/api/invites/${invite.id}/archive`)
    expect(archived.status, archived.text).toBe(200)
    expect(archived.json).toMatchObject({ status: 'archived', code: invite.code })
    expect(archived.json.archivedAt).toBeTypeOf('string')

    const listed = await call('GET', `/api/communities/${community.id}/invites`)
    expect(listed.json.data.map((i: { id: string }) => i.id)).toEqual([kept.id])
    const archivedOnly = await call('GET', `/api/communities/${community.id}/invites?archived=true`)
    expect(archivedOnly.json.data.map((i: { id: string }) => i.id)).toEqual([invite.id])

    expect((await visit(`/i/${invite.code}`)).status).toBe(410)
    expect((await call('GET', `/i/${invite.code}/qr.png`, { token: null })).status).toBe(410)
    const refused = await joinJson(invite.code, { name: 'Late', phone: newPhone() })
    expect(refused.status).toBe(410)

    const restored = await call('POST', `/api/invites/${invite.id}/restore`)
    expect(restored.json).toMatchObject({ status: 'active', archivedAt: null, code: invite.code })
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    const joined = await joinJson(invite.code, { name: 'Back', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
  })

  it('duplicates a link for another channel: same settings, own source, new code, no uses', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const expiresAt = new Date(Date.now() + 10 * 86400_000).toISOString()
    const original = await createInvite(community.id, {
      label: 'Spring',
      source: 'instagram',
      medium: 'social',
      campaign: 'spring',
      groupId: group.id,
      maxUses: 100,
      expiresAt,
    })
    await usedOnce(original.code)
    await call('PATCH', `/api/invites/${original.id}`, {
      body: { qrDesign: { fg: '1d3557', bg: 'f1faee', style: 'rounded' } },
    })
    const response = await call('POST', `/api/invites/${original.id}/duplicate`, {
      body: { source: 'flyer' },
    })
    expect(response.status, response.text).toBe(201)
    expect(response.json).toMatchObject({
      label: 'Spring',
      source: 'flyer',
      medium: 'social',
      campaign: 'spring',
      groupId: group.id,
      maxUses: 100,
      expiresAt,
      uses: 0,
      status: 'active',
    })
    expect(response.json.code).not.toBe(original.code)
    const design = await call('GET', `/api/invites/${response.json.id}/qr-design`)
    expect(design.json).toMatchObject({ fg: '1d3557', bg: 'f1faee', style: 'rounded' })
    expect((await visit(`/i/${response.json.code}`)).status).toBe(200)

    const custom = uniqueCode('flyer')
    const named = await call('POST', `/api/invites/${original.id}/duplicate`, {
      body: { source: 'partner', label: 'Partner shop', code: custom },
    })
    expect(named.json).toMatchObject({ code: custom, label: 'Partner shop', source: 'partner' })
    const taken = await call('POST', `/api/invites/${original.id}/duplicate`, {
      body: { source: 'again', code: custom },
    })
    expectProblem(taken, 409, 'code_taken')
    expectProblem(
      await call('POST', `/api/invites/${original.id}/duplicate`, { body: {} }),
      400,
      'validation_failed',
    )
  })
})

describe('managing links in the dashboard', () => {
  it('opens the new-link form from a button at the top of the overview', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    const html = overview.text
    const button = html.indexOf('<summary class="button">New link</summary>')
    expect(button).toBeGreaterThan(-1)
    // Above the figures, not below them.
    expect(button).toBeLessThan(html.indexOf('<h2>Campaign links</h2>'))
    expect(html).toContain(`action="/admin/communities/${community.id}/links"`)

    const created = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrfOf(html),
      label: 'Website',
      source: 'website',
      maxUses: '10',
    })
    expect(created.status, created.text).toBe(303)
    const refused = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrfOf(html),
      label: 'Bad code',
      code: 'admin',
    })
    expect(refused.status).toBe(400)
    // The form comes back open, as it was typed.
    expect(refused.text).toContain('<details id="new-link" class="new-link" open="">')
    expect(refused.text).toContain('value="Bad code"')
  })

  it('edits a link on its page: label, source, maximum, valid-until day and code', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Old label', source: 'web' })
    await usedOnce(invite.code)
    const { cookie } = await signIn()
    const linkPage = await page(`/admin/links/${invite.id}`, cookie)
    expect(linkPage.text).toContain('<h2>Edit link</h2>')
    expect(linkPage.text).toContain('value="Old label"')
    const code = uniqueCode('edited')
    const day = new Date(Date.now() + 20 * 86400_000).toISOString().slice(0, 10)
    const saved = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrfOf(linkPage.text),
      label: 'New label',
      source: 'newsletter',
      campaign: '',
      groupId: '',
      maxUses: '5',
      validUntil: day,
      code,
    })
    expect(saved.status, saved.text).toBe(303)
    expect(saved.headers.get('location')).toBe(`/admin/links/${invite.id}?done=saved`)
    const after = await getInvite(invite.id)
    expect(after).toMatchObject({ label: 'New label', source: 'newsletter', maxUses: 5, code })
    // Valid through that day in Berlin: it ends at the next midnight there.
    const end = new Date(after.expiresAt!)
    expect(end.getTime()).toBeGreaterThan(Date.parse(`${day}T00:00:00Z`))
    expect(end.getTime()).toBeLessThanOrEqual(Date.parse(`${day}T23:00:00Z`))
    const reopened = await page(`/admin/links/${invite.id}`, cookie)
    expect(reopened.text).toContain(`value="${day}"`)
  })

  it('says in place why a maximum below the uses or a taken code is refused', async () => {
    const community = await createCommunity()
    const taken = uniqueCode('taken')
    await createInvite(community.id, { code: taken })
    const invite = await createInvite(community.id, { label: 'Busy' })
    await usedOnce(invite.code)
    await usedOnce(invite.code)
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/links/${invite.id}`, cookie)).text)
    const low = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Busy',
      maxUses: '1',
    })
    expect(low.status).toBe(409)
    expect(low.text).toContain('Used 2 times already: at least 2.')
    expect(low.text).toContain('aria-invalid="true"')
    const codeTaken = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Busy',
      code: taken,
    })
    expect(codeTaken.status).toBe(409)
    expect(codeTaken.text).toContain(`value="${taken}"`)
    const past = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Busy',
      validUntil: '2020-01-01',
    })
    expect(past.status).toBe(400)
    expect(past.text).toContain('This day is in the past.')
    expect(await getInvite(invite.id)).toMatchObject({ maxUses: null, expiresAt: null })
  })

  it('duplicates, archives and restores from the link page; the list shows archived on request', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Stage', source: 'event' })
    const { cookie } = await signIn()
    const linkPage = (await page(`/admin/links/${invite.id}`, cookie)).text
    // A new code breaks what was printed: the button asks first, as revoking does.
    expect(linkPage).toContain(
      `action="/admin/links/${invite.id}/rotate" class="inline" data-confirm="Give this link a new random code?`,
    )
    // So does archiving, which stops its page and QR codes until it is restored.
    expect(linkPage).toContain(
      `action="/admin/links/${invite.id}/archive" data-confirm="Archive this link? Its page and QR codes stop working until you restore it."`,
    )
    const csrf = csrfOf(linkPage)
    const copied = await post(`/admin/links/${invite.id}/duplicate`, cookie, {
      _csrf: csrf,
      source: 'radio',
      label: 'Stage',
    })
    expect(copied.status, copied.text).toBe(303)
    const copyId = /\/admin\/links\/(inv_[0-9a-z]+)/.exec(copied.headers.get('location')!)![1]!
    expect(await getInvite(copyId)).toMatchObject({ source: 'radio', label: 'Stage' })
    const noSource = await post(`/admin/links/${invite.id}/duplicate`, cookie, { _csrf: csrf })
    expect(noSource.status).toBe(400)

    const archived = await post(`/admin/links/${invite.id}/archive`, cookie, { _csrf: csrf })
    expect(archived.headers.get('location')).toBe(`/admin/links/${invite.id}?done=archived`)
    const archivedPage = await page(`/admin/links/${invite.id}?done=archived`, cookie)
    expect(archivedPage.text).toContain('The link is archived')
    expect(archivedPage.text).toContain('>Restore</button>')
    // Archived: restoring is what applies; a new code or revoking waits until it is restored.
    expect(archivedPage.text).not.toContain(`action="/admin/links/${invite.id}/rotate"`)
    expect(archivedPage.text).not.toContain(`action="/admin/links/${invite.id}/revoke"`)

    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(overview).not.toContain(`href="/admin/links/${invite.id}"`)
    expect(overview).toContain(`href="/admin/links/${copyId}"`)
    expect(overview).toContain('Show archived links')
    const archivedList = (await page(`/admin/communities/${community.id}?archived=1`, cookie)).text
    expect(archivedList).toContain('<h2>Archived links</h2>')
    expect(archivedList).toContain(`href="/admin/links/${invite.id}"`)
    expect(archivedList).not.toContain(`href="/admin/links/${copyId}"`)

    await post(`/admin/links/${invite.id}/restore`, cookie, { _csrf: csrf })
    expect((await getInvite(invite.id)).status).toBe('active')
  })
})
