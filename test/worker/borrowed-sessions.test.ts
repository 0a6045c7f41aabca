import { describe, expect, it } from 'vitest'
import { confirm, csrfOf, page, post, sessionOf, shownLink, signIn } from './dashboard-helpers'
import { call, createAdmin, createCommunity, createGroup } from './helpers'

/**
 * A community admin can make a fresh sign-in link for a colleague, and whoever holds it signs in
 * as the colleague: the admin too. When the admin's access ends, what they could use to act as
 * someone else ends with it.
 */
async function teamOfTwo() {
  const community = await createCommunity()
  return {
    community,
    alice: await createAdmin(community.id, 'Alice'),
    bob: await createAdmin(community.id, 'Bob'),
  }
}

/** Alice makes a fresh sign-in link for Bob and opens it herself: a session as Bob. */
async function aliceAsBob(communityId: string, aliceToken: string, bobId: string) {
  const { cookie: hers } = await signIn(aliceToken)
  const team = await page(`/admin/communities/${communityId}/team`, hers)
  const fresh = await post(`/admin/communities/${communityId}/team/${bobId}/link`, hers, {
    _csrf: csrfOf(team.text),
  })
  expect(fresh.status).toBe(200)
  const accepted = await confirm(shownLink(fresh.text))
  expect(accepted.status).toBe(303)
  return sessionOf(accepted)
}

/** A sign-in link for a new admin called `name`, made in the session `cookie`. */
async function inviteIn(communityId: string, cookie: string, name: string) {
  const team = await page(`/admin/communities/${communityId}/team`, cookie)
  const made = await post(`/admin/communities/${communityId}/team/invitations`, cookie, {
    _csrf: csrfOf(team.text),
    name,
    role: 'community_admin',
  })
  expect(made.status, made.text.slice(0, 300)).toBe(200)
  return shownLink(made.text)
}

describe('access borrowed through a sign-in link ends with its maker’s', () => {
  it('revoking the admin who made a colleague’s link ends the session it opened, and its links', async () => {
    const { community, alice, bob } = await teamOfTwo()
    const members = `/admin/communities/${community.id}/members`
    const asBob = await aliceAsBob(community.id, alice.token, bob.id)
    const { cookie: bobsOwn } = await signIn(bob.token)
    expect((await page(members, asBob)).status).toBe(200)
    // From the borrowed session, a sign-in link for a new admin: Bob is its inviter, on paper.
    const carlsLink = await inviteIn(community.id, asBob, 'Carl')

    expect((await call('DELETE', `/api/tokens/${alice.id}`)).status).toBe(204)

    const after = await page(members, asBob)
    expect(after.status).toBe(303)
    expect(after.headers.get('location')).toMatch(/^\/admin\/login/)
    // Bob's own session, and Bob, stay.
    expect((await page(members, bobsOwn)).status).toBe(200)
    // The link made in the borrowed session was Alice's as much: it opens nothing now.
    expect((await confirm(carlsLink)).status).toBe(410)
  })

  it('reaches every session down a chain of links: made by someone signed in through one', async () => {
    const { community, alice } = await teamOfTwo()
    const members = `/admin/communities/${community.id}/members`
    // Alice invites Dana; Dana, in the session Alice's link opened, invites Erin.
    const danas = sessionOf(
      await confirm(await inviteIn(community.id, (await signIn(alice.token)).cookie, 'Dana')),
    )
    const erins = sessionOf(await confirm(await inviteIn(community.id, danas, 'Erin')))
    expect((await page(members, erins)).status).toBe(200)
    const team = await call('GET', `/api/communities/${community.id}/team`)
    const dana = team.json.data.find((t: { name: string }) => t.name === 'Dana')
    // Dana made Erin's link, and Alice could have been behind Dana's session: either going ends it.
    expect((await call('DELETE', `/api/tokens/${dana.id}`)).status).toBe(204)
    expect((await page(members, erins)).status).toBe(303)
  })

  it('unsubscribes an endpoint, and takes an address, given in a session they could be behind', async () => {
    const { community, alice, bob } = await teamOfTwo()
    const asBob = await aliceAsBob(community.id, alice.token, bob.id)
    // As Bob, an endpoint for the community's events, and a new admin whose link carries an address.
    const url = `https://hooks.example.com/${crypto.randomUUID()}`
    const webhooks = await page('/admin/webhooks', asBob)
    const subscribed = await post('/admin/webhooks', asBob, {
      _csrf: csrfOf(webhooks.text),
      url,
      events: '*',
      communityId: community.id,
    })
    expect(subscribed.status, subscribed.text.slice(0, 300)).toBe(200)
    const team = await page(`/admin/communities/${community.id}/team`, asBob)
    const invited = await post(`/admin/communities/${community.id}/team/invitations`, asBob, {
      _csrf: csrfOf(team.text),
      name: 'Carl',
      role: 'community_admin',
      email: 'carl@example.org',
    })
    expect((await confirm(shownLink(invited.text))).status).toBe(303)
    const carl = async () =>
      (await call('GET', `/api/communities/${community.id}/team`)).json.data.find(
        (t: { name: string }) => t.name === 'Carl',
      )
    expect(await carl()).toMatchObject({ email: 'carl@example.org', emailSetBy: 'Alice' })
    const listed = async () =>
      (await call('GET', '/api/webhooks')).json.data.some((e: { url: string }) => e.url === url)
    expect(await listed()).toBe(true)

    expect((await call('DELETE', `/api/tokens/${alice.id}`)).status).toBe(204)
    expect(await listed()).toBe(false)
    expect(await carl()).toMatchObject({ email: null })
  })

  it('so does demoting them', async () => {
    const { community, alice, bob } = await teamOfTwo()
    const group = await createGroup(community.id)
    const members = `/admin/communities/${community.id}/members`
    const asBob = await aliceAsBob(community.id, alice.token, bob.id)
    expect((await page(members, asBob)).status).toBe(200)
    const demoted = await call(
      'POST',
      `/api/communities/${community.id}/admins/${alice.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demoted.status, demoted.text).toBe(200)
    expect((await page(members, asBob)).status).toBe(303)
  })

  it('a teammate whose inviter goes stays on the team; the session their link opened ends', async () => {
    const { community, alice } = await teamOfTwo()
    const { cookie: hers } = await signIn(alice.token)
    const danasLink = await inviteIn(community.id, hers, 'Dana')
    const danas = sessionOf(await confirm(danasLink))
    const members = `/admin/communities/${community.id}/members`
    expect((await page(members, danas)).status).toBe(200)
    expect((await call('DELETE', `/api/tokens/${alice.id}`)).status).toBe(204)
    // Alice held that link too, so the session it opened ends; the teammate stays on the team.
    expect((await page(members, danas)).status).toBe(303)
    const team = await call('GET', `/api/communities/${community.id}/team`)
    expect(team.json.data.map((t: { name: string }) => t.name)).toContain('Dana')
  })
})
