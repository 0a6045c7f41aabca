import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, createToken } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** The role and group a teammate has now, as the API lists the community's admins. */
async function roleOf(communityId: string, tokenId: string) {
  const { json } = await call('GET', `/api/communities/${communityId}/admins`)
  const admin = json.data.find((entry: { id: string }) => entry.id === tokenId)
  return { role: admin?.role, groupId: admin?.groupId }
}

describe('a teammate’s role, changed on the team page', () => {
  it('promotes a group admin and demotes them again, back on the team page each time', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const teammate = await createToken({ role: 'group_admin', groupId: group.id, name: 'Gina' })
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    const team = `/admin/communities/${community.id}/team`
    const shown = await page(team, cookie)
    expect(shown.text).toContain(`/admins/${teammate.id}/promote`)
    expect(shown.text).toContain('Make community admin')
    // Asked first, naming who and what changes.
    expect(shown.text).toContain(
      'data-confirm="Make Gina a community admin? They then manage the whole community: members, requests, announcements and admins."',
    )

    const promoted = await post(
      `/admin/communities/${community.id}/admins/${teammate.id}/promote`,
      cookie,
      {
        _csrf: csrfOf(shown.text),
        back: 'team',
      },
    )
    expect(promoted.status).toBe(303)
    expect(promoted.headers.get('location')).toBe(`${team}?done=promoted`)
    expect(await roleOf(community.id, teammate.id)).toMatchObject({ role: 'community_admin' })
    const after = await page(promoted.headers.get('location')!, cookie)
    expect(after.text).toContain(`/admins/${teammate.id}/demote`)
    expect(after.text).toContain('Now a community admin: manages the whole community.')
    expect(after.text).toContain(
      'data-confirm="Make Gina a group admin? They then manage only one group; the API tokens they made are revoked and the webhook endpoints they subscribed stop getting events."',
    )

    const demoted = await post(
      `/admin/communities/${community.id}/admins/${teammate.id}/demote`,
      cookie,
      {
        _csrf: csrfOf(after.text),
        back: 'team',
      },
    )
    expect(demoted.headers.get('location')).toBe(`${team}?done=demoted`)
    expect((await page(demoted.headers.get('location')!, cookie)).text).toContain(
      'Now a group admin: manages only their own group.',
    )
    expect(await roleOf(community.id, teammate.id)).toEqual({
      role: 'group_admin',
      groupId: group.id,
    })
  })

  it('goes back to the settings page from there, and to it for a page it does not know', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const teammate = await createToken({ role: 'group_admin', groupId: group.id })
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/communities/${community.id}/settings`, cookie)).text)
    for (const back of ['settings', 'https://evil.example/']) {
      const changed = await post(
        `/admin/communities/${community.id}/admins/${teammate.id}/promote`,
        cookie,
        {
          _csrf: csrf,
          back,
        },
      )
      expect(changed.headers.get('location')).toBe(
        `/admin/communities/${community.id}/settings?done=promoted`,
      )
    }
  })

  it('is offered only to those who may change admins', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    await createToken({ role: 'group_admin', groupId: group.id })
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    const { cookie } = await signIn(groupAdmin.token)
    // A group admin has no team page at all, so no form on it.
    expect((await page(`/admin/communities/${community.id}/team`, cookie)).status).toBe(403)
  })
})
