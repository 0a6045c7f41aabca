import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { call, createCommunity, createInvite, expectProblem, query, visit } from './helpers'

/** A link's fallback: where its page leads people once it has expired or is used up. */

const usedUp = (id: string) =>
  env.DB.prepare('update invites set max_uses = 1, uses = 1 where id = ?').bind(id).run()
const expired = (id: string) =>
  env.DB.prepare('update invites set expires_at = ? where id = ?')
    .bind(Date.now() - 1000, id)
    .run()

/** The way on an ended link's page offers: where its button leads, or null without one. */
function wayOn(html: string): string | null {
  return /<a class="cta" href="([^"]+)">/.exec(html)?.[1] ?? null
}

describe('a link that has ended leads on to the link the admins chose', () => {
  it('offers the fallback once the link is used up or expired, in the reader’s language', async () => {
    const community = await createCommunity()
    const current = await createInvite(community.id, { label: 'Spring poster' })
    const poster = await createInvite(community.id, {
      label: 'Winter poster',
      fallbackInviteId: current.id,
    })
    expect(poster.fallbackInviteId).toBe(current.id)

    await usedUp(poster.id)
    const english = await visit(`/i/${poster.code}?lang=en`)
    expect(english.status).toBe(410)
    expect(english.text).toContain('but the community has another one for you')
    expect(english.text).toContain(community.name)
    expect(english.text).toContain('>Open the current invite</a>')
    expect(wayOn(english.text)).toBe(`/i/${current.code}?lang=en`)
    // The way on leads to a page that lets people in.
    expect((await visit(wayOn(english.text)!)).status).toBe(200)

    const flyer = await createInvite(community.id, { fallbackInviteId: current.id })
    await expired(flyer.id)
    const german = await visit(`/i/${flyer.code}`, { 'accept-language': 'de' })
    expect(german.status).toBe(410)
    expect(german.text).toContain(
      'Dieser Einladungslink ist abgelaufen, aber die Community hat einen anderen für dich.',
    )
    expect(german.text).toContain('>Zur aktuellen Einladung</a>')
    // Chosen by the browser's language, not the address: the next page chooses the same way.
    expect(wayOn(german.text)).toBe(`/i/${current.code}`)
  })

  it('follows a fallback that ended too to the one it names, but not past a withdrawn link', async () => {
    const community = await createCommunity()
    const summer = await createInvite(community.id, { label: 'Summer poster' })
    const spring = await createInvite(community.id, { fallbackInviteId: summer.id })
    const winter = await createInvite(community.id, { fallbackInviteId: spring.id })
    await usedUp(spring.id)
    await usedUp(winter.id)
    // Winter's successor ended and named its own: winter's page leads on to summer.
    expect(wayOn((await visit(`/i/${winter.code}?lang=en`)).text)).toBe(`/i/${summer.code}?lang=en`)
    // Its dashboard page says the same.
    const { cookie } = await signIn()
    expect((await page(`/admin/links/${winter.id}`, cookie)).text).toContain(
      'Its page offers “<bdi>Summer poster</bdi>” instead.',
    )

    // A withdrawn link on the way stops it there: it may have leaked.
    const autumn = await createInvite(community.id, { label: 'Autumn poster' })
    const flyer = await createInvite(community.id, { fallbackInviteId: autumn.id })
    const old = await createInvite(community.id, { fallbackInviteId: flyer.id })
    await usedUp(old.id)
    expect((await call('POST', `/api/invites/${flyer.id}/revoke`)).status).toBe(200)
    const stopped = await visit(`/i/${old.code}?lang=en`)
    expect(stopped.status).toBe(410)
    expect(wayOn(stopped.text)).toBeNull()
  })

  it('leads nowhere where the fallback no longer works, or the link was withdrawn', async () => {
    const community = await createCommunity()
    const current = await createInvite(community.id)
    const poster = await createInvite(community.id, { fallbackInviteId: current.id })
    await usedUp(poster.id)
    expect(wayOn((await visit(`/i/${poster.code}?lang=en`)).text)).toBe(
      `/i/${current.code}?lang=en`,
    )

    // The fallback ended too: the page asks for a new link, as without one.
    await usedUp(current.id)
    const both = await visit(`/i/${poster.code}?lang=en`)
    expect(both.status).toBe(410)
    expect(wayOn(both.text)).toBeNull()
    expect(both.text).toContain('Ask for a new one.')

    // A link the admins withdrew may have leaked: it leads nowhere, whatever its fallback.
    const fresh = await createInvite(community.id)
    const leaked = await createInvite(community.id, { fallbackInviteId: fresh.id })
    expect((await call('POST', `/api/invites/${leaked.id}/revoke`)).status).toBe(200)
    const withdrawn = await visit(`/i/${leaked.code}?lang=en`)
    expect(withdrawn.status).toBe(410)
    expect(wayOn(withdrawn.text)).toBeNull()
    expect(withdrawn.text).not.toContain(fresh.code)

    // Rotating the fallback (its code leaked) takes it out of the links leading on to it: their
    // printed pages would hand out its new code to anyone.
    const spare = await createInvite(community.id)
    const printed = await createInvite(community.id, { fallbackInviteId: spare.id })
    await usedUp(printed.id)
    expect((await call('POST', `/api/invites/${spare.id}/rotate`)).status).toBe(200)
    const afterRotation = await visit(`/i/${printed.code}?lang=en`)
    expect(wayOn(afterRotation.text)).toBeNull()
    expect((await call('GET', `/api/invites/${printed.id}`)).json.fallbackInviteId).toBeNull()

    // A code changed by hand cuts off the old one as a rotation does.
    const other = await createInvite(community.id)
    const leading = await createInvite(community.id, { fallbackInviteId: other.id })
    const recoded = await call('PATCH', `/api/invites/${other.id}`, {
      body: { code: `moved-${other.code}` },
    })
    expect(recoded.status, recoded.text).toBe(200)
    expect((await call('GET', `/api/invites/${leading.id}`)).json.fallbackInviteId).toBeNull()

    // Nor does an old code of a link given a new one.
    const rotated = await createInvite(community.id, { fallbackInviteId: fresh.id })
    const renamed = await call('PATCH', `/api/invites/${rotated.id}`, {
      body: { code: `renamed-${rotated.code}` },
    })
    expect(renamed.status, renamed.text).toBe(200)
    const oldCode = await visit(`/i/${rotated.code}?lang=en`)
    expect(oldCode.status).toBe(410)
    expect(wayOn(oldCode.text)).toBeNull()
  })

  it('takes only another campaign link of the same community', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const theirs = await createInvite(other.id)
    const ours = await createInvite(community.id)
    const members = await createInvite(community.id)
    await env.DB.prepare("update invites set referrer_member_id = 'mem_fallback_test' where id = ?")
      .bind(members.id)
      .run()

    const ended = await createInvite(community.id)
    await usedUp(ended.id)
    const refused = [
      [`/api/communities/${community.id}/invites`, 'POST', { fallbackInviteId: theirs.id }],
      [`/api/communities/${community.id}/invites`, 'POST', { fallbackInviteId: ended.id }],
      [`/api/communities/${community.id}/invites`, 'POST', { fallbackInviteId: members.id }],
      [`/api/invites/${ours.id}`, 'PATCH', { fallbackInviteId: ours.id }],
      [`/api/invites/${ours.id}`, 'PATCH', { fallbackInviteId: theirs.id }],
      [`/api/invites/${members.id}`, 'PATCH', { fallbackInviteId: ours.id }],
    ] as const
    for (const [path, method, body] of refused) {
      const answer = await call(method, path, { body })
      expectProblem(answer, 400, 'validation_failed')
      expect(answer.json.errors[0].path, JSON.stringify(body)).toBe('fallbackInviteId')
    }
    // A link that ended already would lead nowhere from the start: said so.
    const toEnded = await call('PATCH', `/api/invites/${ours.id}`, {
      body: { fallbackInviteId: ended.id },
    })
    expect(toEnded.json.errors[0].message).toBe('Not a link that lets people in now')
    const bulk = await call('POST', `/api/communities/${community.id}/invites/bulk`, {
      body: { links: [{ fallbackInviteId: ours.id }, { fallbackInviteId: theirs.id }] },
    })
    expectProblem(bulk, 400, 'validation_failed')
    expect(bulk.json.errors[0].path).toBe('links.1.fallbackInviteId')
    expect(
      await query(
        'select id from invites where community_id = ? and fallback_invite_id is not null',
        community.id,
      ),
    ).toEqual([])

    // Set, kept by a copy for another channel, and cleared with null.
    const set = await call('PATCH', `/api/invites/${ours.id}`, {
      body: { fallbackInviteId: null },
    })
    expect(set.status).toBe(200)
    const made = await call('POST', `/api/communities/${community.id}/invites/bulk`, {
      body: { links: [{ fallbackInviteId: ours.id }, { label: 'none' }] },
    })
    expect(made.status, made.text).toBe(201)
    expect(
      made.json.data.map((link: { fallbackInviteId: string | null }) => link.fallbackInviteId),
    ).toEqual([ours.id, null])
    const first = made.json.data[0]
    const copy = await call('POST', `/api/invites/${first.id}/duplicate`, {
      body: { source: 'flyer' },
    })
    expect(copy.status, copy.text).toBe(201)
    expect(copy.json.fallbackInviteId).toBe(ours.id)
    const cleared = await call('PATCH', `/api/invites/${first.id}`, {
      body: { fallbackInviteId: null },
    })
    expect(cleared.json.fallbackInviteId).toBeNull()
  })
})

describe('a link’s page offers the choice of its fallback', () => {
  it('lists the community’s other campaign links, saves the choice and refuses another', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const theirs = await createInvite(other.id)
    const poster = await createInvite(community.id, { label: 'Winter poster' })
    const current = await createInvite(community.id, { label: 'Spring poster' })
    const over = await createInvite(community.id, { label: 'Campaign over' })
    await usedUp(over.id)
    const members = await createInvite(community.id, { label: 'A member’s link' })
    await env.DB.prepare("update invites set referrer_member_id = 'mem_fallback_form' where id = ?")
      .bind(members.id)
      .run()
    const { cookie } = await signIn()
    const shown = await page(`/admin/links/${poster.id}`, cookie)
    const select = /<select id="edit-fallbackInviteId"[^>]*>([\s\S]*?)<\/select>/.exec(shown.text)
    expect(select, 'the edit form offers a fallback').not.toBeNull()
    const options = [...select![1]!.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)</g)].map((m) => [
      m[1],
      m[2],
    ])
    expect(options).toEqual([
      ['', 'No link'],
      [current.id, 'Spring poster'],
    ])

    const send = (fallbackInviteId: string) =>
      post(`/admin/links/${poster.id}/edit`, cookie, {
        _csrf: csrfOf(shown.text),
        label: 'Winter poster',
        fallbackInviteId,
      })
    const refused = await send(theirs.id)
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('Choose a link of this community that works now.')
    expect((await send(current.id)).status).toBe(303)
    expect(await query('select fallback_invite_id from invites where id = ?', poster.id)).toEqual([
      { fallback_invite_id: current.id },
    ])
    const saved = await page(`/admin/links/${poster.id}`, cookie)
    expect(saved.text).toMatch(new RegExp(`<option value="${current.id}" selected=""`))
    // Once the chosen link has ended too, it is still shown, saying so; and a link that has
    // ended says on its page where it leads.
    await usedUp(poster.id)
    const posterOver = await page(`/admin/links/${poster.id}`, cookie)
    expect(posterOver.text).toContain('Its page offers “<bdi>Spring poster</bdi>” instead.')
    await usedUp(current.id)
    const bothOver = await page(`/admin/links/${poster.id}`, cookie)
    expect(bothOver.text).toMatch(
      new RegExp(`<option value="${current.id}" selected="">Spring poster \\(used up\\)</option>`),
    )
    expect(bothOver.text).not.toContain('Its page offers')
    // The audit log names what changed.
    expect(
      await query(
        "select detail from audit_log where target_id = ? and action = 'link.changed'",
        poster.id,
      ),
    ).toContainEqual({ detail: 'fallbackInviteId' })

    // A community's only link has nothing to lead on to: no choice offered.
    const alone = await page(`/admin/links/${theirs.id}`, cookie)
    expect(alone.text).not.toContain('id="edit-fallbackInviteId"')
    // A member's own link leads nowhere once it ends: its page offers no choice.
    const memberPage = await page(`/admin/links/${members.id}`, cookie)
    expect(memberPage.text).not.toContain('id="edit-fallbackInviteId"')
  })
})
