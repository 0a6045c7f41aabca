import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, createToken, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** Subscribes an endpoint to the community's events with `token`; its id. */
async function endpointBy(token: string | undefined, communityId: string, name: string) {
  const made = await call('POST', '/api/webhooks', {
    token,
    body: { url: `https://hooks.example.com/${name}`, events: ['*'], communityId },
  })
  expect(made.status, made.text).toBe(201)
  return made.json.id as string
}

/** The community's endpoints still subscribed, as the owner lists them: their URLs' last part. */
async function subscribed(communityId: string): Promise<string[]> {
  const listed = await call('GET', '/api/webhooks')
  return (listed.json.data as Array<{ url: string; communityId: string | null }>)
    .filter((endpoint) => endpoint.communityId === communityId)
    .map((endpoint) => endpoint.url.split('/').pop()!)
    .sort()
}

describe('a teammate’s webhook endpoints end with their access', () => {
  it('unsubscribes what a revoked admin, and the tokens they made, subscribed; an owner’s stays', async () => {
    const community = await createCommunity()
    const leaver = await createToken({ role: 'community_admin', communityId: community.id })
    await endpointBy(leaver.token, community.id, 'leavers')
    // A token the leaver made, and its endpoint: theirs too.
    const made = await call('POST', '/api/tokens', {
      token: leaver.token,
      body: { name: 'script', role: 'community_admin', communityId: community.id },
    })
    expect(made.status, made.text).toBe(201)
    await endpointBy(made.json.token, community.id, 'leavers-script')
    const stays = await createToken({ role: 'community_admin', communityId: community.id })
    await endpointBy(stays.token, community.id, 'colleagues')
    await endpointBy(undefined, community.id, 'owners')
    expect(await subscribed(community.id)).toEqual([
      'colleagues',
      'leavers',
      'leavers-script',
      'owners',
    ])

    expect((await call('DELETE', `/api/tokens/${leaver.id}`)).status).toBe(204)
    // Nothing more goes where the leaver chose: new events are not handed to those endpoints.
    expect(await subscribed(community.id)).toEqual(['colleagues', 'owners'])
  })

  it('unsubscribes what an admin subscribed once they are made a group admin', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    await endpointBy(admin.token, community.id, 'admins')
    const demoted = await call(
      'POST',
      `/api/communities/${community.id}/admins/${admin.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demoted.status, demoted.text).toBe(200)
    expect(await subscribed(community.id)).toEqual([])
  })

  it('keeps an owner token’s endpoints when that token is replaced, and those of the admins it made', async () => {
    const community = await createCommunity()
    const owner = await createToken({ role: 'owner' })
    await endpointBy(owner.token, community.id, 'installation')
    // An admin the owner made: a teammate who stays when the owner's token is replaced.
    const admin = await call('POST', '/api/tokens', {
      token: owner.token,
      body: { name: 'admin', role: 'community_admin', communityId: community.id },
    })
    expect(admin.status, admin.text).toBe(201)
    await endpointBy(admin.json.token, community.id, 'admins')
    expect((await call('DELETE', `/api/tokens/${owner.id}`)).status).toBe(204)
    expect(await subscribed(community.id)).toEqual(['admins', 'installation'])
  })

  it('records who subscribed an endpoint on the dashboard too', async () => {
    const community = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    const made = await post('/admin/webhooks', cookie, {
      _csrf: csrfOf((await page('/admin/webhooks', cookie)).text),
      url: 'https://hooks.example.com/from-the-dashboard',
      events: 'member.joined',
      communityId: community.id,
    })
    expect(made.status, made.text).toBe(200)
    expect((await call('DELETE', `/api/tokens/${admin.id}`)).status).toBe(204)
    expect(await subscribed(community.id)).toEqual([])
    const [row] = await query<{ created_by_token_id: string; disabled_at: number | null }>(
      'select created_by_token_id, disabled_at from webhook_endpoints where community_id = ?',
      community.id,
    )
    expect(row).toMatchObject({ created_by_token_id: admin.id })
    expect(row!.disabled_at).not.toBeNull()
  })
})
