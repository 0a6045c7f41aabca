import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { dispatchDueAnnouncements } from '../../src/services/delivery/claim'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  expectProblem,
  joinAsMember,
  newPhone,
} from './helpers'

describe('groups: happy paths', () => {
  it('creates a discussion group with the defaults and lists it after the announcement group', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/groups`, {
      body: {
        name: 'Trail runners',
        topic: 'Trails',
        iconUrl: 'https://images.example.com/trail.png',
      },
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      communityId: community.id,
      kind: 'discussion',
      name: 'Trail runners',
      topic: 'Trails',
      iconUrl: 'https://images.example.com/trail.png',
      memberLimit: 1024,
      chatInviteUrl: null,
      origin: 'created',
    })
    const list = await call('GET', `/api/communities/${community.id}/groups`)
    expect(list.json.data.map((g: { kind: string }) => g.kind)).toEqual([
      'announcement',
      'discussion',
    ])
  })

  it('adds an existing chat group with its invite URL', async () => {
    const community = await createCommunity()
    const added = await call('POST', `/api/communities/${community.id}/groups`, {
      body: {
        name: 'Old group',
        origin: 'added',
        chatInviteUrl: 'https://chat.whatsapp.com/AbCdEf123456',
      },
    })
    expect(added.status).toBe(201)
    expect(added.json).toMatchObject({
      origin: 'added',
      chatInviteUrl: 'https://chat.whatsapp.com/AbCdEf123456',
    })
  })

  it('reads, changes and deletes a group', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    expect((await call('GET', `/api/groups/${group.id}`)).json.id).toBe(group.id)
    const patched = await call('PATCH', `/api/groups/${group.id}`, {
      body: {
        memberLimit: 200,
        chatInviteUrl: 'https://chat.whatsapp.com/Xyz',
        description: 'Updated',
      },
    })
    expect(patched.status).toBe(200)
    expect(patched.json).toMatchObject({
      memberLimit: 200,
      chatInviteUrl: 'https://chat.whatsapp.com/Xyz',
      description: 'Updated',
    })
    const cleared = await call('PATCH', `/api/groups/${group.id}`, {
      body: { chatInviteUrl: null },
    })
    expect(cleared.json.chatInviteUrl).toBeNull()
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expectProblem(await call('GET', `/api/groups/${group.id}`), 404, 'not_found')
  })

  it('lets the announcement group grow to 2000 members but no further', async () => {
    const community = await createCommunity()
    const list = await call('GET', `/api/communities/${community.id}/groups`)
    const announcement = list.json.data[0]
    expect(
      (await call('PATCH', `/api/groups/${announcement.id}`, { body: { memberLimit: 1500 } })).json
        .memberLimit,
    ).toBe(1500)
    expectProblem(
      await call('PATCH', `/api/groups/${announcement.id}`, { body: { memberLimit: 2001 } }),
      400,
      'validation_failed',
    )
  })
})

/** An announcement scheduled for tomorrow, to one group. */
/** The group is not deleted, by the API (409, naming the announcement) nor in the write. */
async function expectHeld(groupId: string, announcementId: string) {
  const refused = await call('DELETE', `/api/groups/${groupId}`)
  expectProblem(refused, 409, 'group_in_use')
  expect(refused.json.detail).toContain(announcementId)
  await expect(
    env.DB.prepare('delete from groups where id = ?').bind(groupId).run(),
  ).rejects.toThrow(/group_in_use/)
}

async function scheduleTo(communityId: string, groupId: string) {
  const scheduled = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: {
      body: 'Hello group',
      audience: { groupIds: [groupId] },
      sendAt: new Date(Date.now() + 86_400_000).toISOString(),
    },
  })
  expect(scheduled.status, scheduled.text).toBe(201)
  return scheduled
}

describe('groups: limits and errors', () => {
  it('keeps a group scheduled announcements are sent to until they are changed or cancelled', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const other = await createGroup(community.id)
    const scheduled = await scheduleTo(community.id, group.id)
    const refused = await call('DELETE', `/api/groups/${group.id}`)
    expectProblem(refused, 409, 'group_in_use')
    expect(refused.json.detail).toContain(scheduled.json.id)
    expect((await call('GET', `/api/groups/${group.id}`)).status).toBe(200)
    // Sent to another group now: the group may go, and the announcement is as it was told.
    const moved = await call('PATCH', `/api/announcements/${scheduled.json.id}`, {
      body: { audience: { groupIds: [other.id] } },
    })
    expect(moved.status, moved.text).toBe(200)
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expect((await call('GET', `/api/announcements/${scheduled.json.id}`)).json).toMatchObject({
      status: 'scheduled',
      audience: { groupIds: [other.id] },
    })
  })

  it('holds the audience in the write too: a group scheduled announcements go to is not deleted, none is scheduled to a group gone', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const scheduled = await scheduleTo(community.id, group.id)
    // Past the check before it, as a request that read the group a moment earlier would be.
    await expect(
      env.DB.prepare('delete from groups where id = ?').bind(group.id).run(),
    ).rejects.toThrow(/group_in_use/)
    await call('POST', `/api/announcements/${scheduled.json.id}/cancel`)
    await env.DB.prepare('delete from groups where id = ?').bind(group.id).run()
    await expect(
      env.DB.prepare(
        `insert into announcements (id, community_id, body, audience_group_ids, send_at, status, created_at, updated_at)
         values ('ann_gone', ?1, 'Hi', json_array(?2), 0, 'scheduled', 0, 0)`,
      )
        .bind(community.id, group.id)
        .run(),
    ).rejects.toThrow(/unknown_audience_group/)
  })

  it('keeps a group a repeating announcement is sending a run to: it is scheduled again after', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const repeating = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: {
        body: 'Every Monday',
        audience: { groupIds: [group.id] },
        repeat: { cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
      },
    })
    expect(repeating.status, repeating.text).toBe(201)
    // A run of it going out now, as the cron job leaves it while it sends.
    await env.DB.prepare(`update announcements set status = 'dispatching' where id = ?`)
      .bind(repeating.json.id)
      .run()
    await expectHeld(group.id, repeating.json.id)
  })

  it('keeps a group a one-off announcement is being sent to, right after Send now, until it is sent', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const oneOff = await scheduleTo(community.id, group.id)
    // "Send now": its run reads the group's members while it expands, a moment later.
    await env.DB.prepare(`update announcements set status = 'dispatching' where id = ?`)
      .bind(oneOff.json.id)
      .run()
    await expectHeld(group.id, oneOff.json.id)
    // Sent: each recipient's delivery is its own now, and the group may go.
    await env.DB.prepare(`update announcements set status = 'sent' where id = ?`)
      .bind(oneOff.json.id)
      .run()
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
  })

  it('keeps a group while a run to it expands: Send now, then delete before the queue read its members', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const oneOff = await scheduleTo(community.id, group.id)
    // The cron job makes the run and hands its expansion to a queue that has not got to it yet.
    const parked = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue
    await dispatchDueAnnouncements(
      createDb(env.DB),
      parked,
      new Date(Date.now() + 2 * 86_400_000),
      'webhook',
    )
    // A one-off is done with once its run is made: only the run, still expanding, is left.
    expect(
      await env.DB.prepare('select status from announcements where id = ?')
        .bind(oneOff.json.id)
        .first(),
    ).toEqual({ status: 'sent' })
    await expectHeld(group.id, oneOff.json.id)
  })

  it('deletes a community whose scheduled announcements go to one of its groups', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const scheduled = await scheduleTo(community.id, group.id)
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expect((await call('GET', `/api/groups/${group.id}`)).status).toBe(404)
    expect((await call('GET', `/api/announcements/${scheduled.json.id}`)).status).toBe(404)
  })

  it('refuses a memberLimit below the members a group has: the limit must hold', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id, { groupId: group.id })
    for (const name of ['Ida', 'Jon', 'Kim']) {
      const joined = await joinAsMember(invite.code, { name, phone: newPhone() })
      expect(joined.status, joined.text).toBe(201)
    }
    const below = await call('PATCH', `/api/groups/${group.id}`, {
      body: { memberLimit: 2, name: 'Renamed' },
    })
    expectProblem(below, 409, 'member_limit_below_members')
    expect(below.json.errors).toEqual([{ path: 'memberLimit', message: 'At least 3' }])
    // Nothing of the change was written.
    expect((await call('GET', `/api/groups/${group.id}`)).json).toMatchObject({
      memberLimit: 1024,
      memberCount: 3,
    })
    const full = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 3 } })
    expect(full.status, full.text).toBe(200)
    const fourth = await joinAsMember(invite.code, { name: 'Lea', phone: newPhone() })
    expect(fourth.status).toBe(409)
    expect(fourth.json.code).toBe('group_full')
  })

  it('refuses the 51st group with 409 group_limit_reached', async () => {
    const community = await createCommunity()
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('POST', `/api/communities/${community.id}/groups`, { body: { name: `Group ${i}` } }),
      ),
    )
    expect(created.every((r) => r.status === 201)).toBe(true)
    const refused = await call('POST', `/api/communities/${community.id}/groups`, {
      body: { name: 'One too many' },
    })
    const problem = expectProblem(refused, 409, 'group_limit_reached')
    expect(problem.detail).toContain('50')
    const list = await call('GET', `/api/communities/${community.id}/groups?limit=100`)
    expect(list.json.data).toHaveLength(51) // 50 discussion groups and the announcement group
  })

  it('never exceeds a lower limit when many groups are created at the same moment', async () => {
    const community = await createCommunity({ maxGroups: 3 })
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', `/api/communities/${community.id}/groups`, { body: { name: `Racer ${i}` } }),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(3)
    expect(
      results.filter((r) => r.status === 409 && r.json.code === 'group_limit_reached'),
    ).toHaveLength(7)
  })

  it('refuses to delete the announcement group', async () => {
    const community = await createCommunity()
    const announcement = (await call('GET', `/api/communities/${community.id}/groups`)).json.data[0]
    expectProblem(
      await call('DELETE', `/api/groups/${announcement.id}`),
      409,
      'announcement_group_protected',
    )
    expect((await call('GET', `/api/groups/${announcement.id}`)).status).toBe(200)
  })

  it('refuses a discussion group over 1024 members', async () => {
    const community = await createCommunity()
    const before = await countRows('groups')
    const problem = expectProblem(
      await call('POST', `/api/communities/${community.id}/groups`, {
        body: { name: 'Huge', memberLimit: 1025 },
      }),
      400,
      'validation_failed',
    )
    expect(problem.errors[0].path).toBe('memberLimit')
    expect(await countRows('groups')).toBe(before)
  })

  it('refuses an added group without its chat invite URL', async () => {
    const community = await createCommunity()
    const problem = expectProblem(
      await call('POST', `/api/communities/${community.id}/groups`, {
        body: { name: 'Old', origin: 'added' },
      }),
      400,
      'validation_failed',
    )
    expect(problem.errors).toEqual([
      { path: 'chatInviteUrl', message: 'An added group needs its chat invite URL' },
    ])
  })

  it('refuses chat invite URLs that are not https on an allowed host', async () => {
    const community = await createCommunity()
    const before = await countRows('groups')
    for (const url of [
      'http://chat.whatsapp.com/abc',
      'https://evil.example/abc',
      'https://chat.whatsapp.com.evil.example/abc',
      // Another port of the host is another server.
      'https://chat.whatsapp.com:8443/abc',
      'javascript:alert(1)',
    ]) {
      const response = await call('POST', `/api/communities/${community.id}/groups`, {
        body: { name: 'Bad link', chatInviteUrl: url },
      })
      const problem = expectProblem(response, 400, 'validation_failed')
      expect(problem.errors[0].path).toBe('chatInviteUrl')
    }
    expect(await countRows('groups')).toBe(before)
  })

  it('answers 404 for groups and communities that do not exist', async () => {
    expectProblem(await call('GET', '/api/groups/grp_00000000000000000000000000'), 404, 'not_found')
    expectProblem(
      await call('POST', '/api/communities/cmt_00000000000000000000000000/groups', {
        body: { name: 'x' },
      }),
      404,
      'not_found',
    )
  })
})

describe('groups: security', () => {
  it('lets a group admin change their own group only, and not delete it', async () => {
    const community = await createCommunity()
    const mine = await createGroup(community.id)
    const other = await createGroup(community.id)
    const admin = await createToken({ role: 'group_admin', groupId: mine.id })
    expect(
      (
        await call('PATCH', `/api/groups/${mine.id}`, {
          token: admin.token,
          body: { topic: 'Mine' },
        })
      ).status,
    ).toBe(200)
    expectProblem(
      await call('PATCH', `/api/groups/${other.id}`, {
        token: admin.token,
        body: { topic: 'Nope' },
      }),
      403,
      'forbidden',
    )
    expectProblem(
      await call('DELETE', `/api/groups/${mine.id}`, { token: admin.token }),
      403,
      'forbidden',
    )
    expectProblem(
      await call('POST', `/api/communities/${community.id}/groups`, {
        token: admin.token,
        body: { name: 'New' },
      }),
      403,
      'forbidden',
    )
  })

  it('hides other communities’ groups from a community admin, as if they did not exist', async () => {
    const mine = await createCommunity()
    const theirs = await createCommunity()
    const theirGroup = await createGroup(theirs.id)
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })
    expectProblem(
      await call('GET', `/api/groups/${theirGroup.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('DELETE', `/api/groups/${theirGroup.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('GET', `/api/communities/${theirs.id}/groups`, { token: admin.token }),
      404,
      'not_found',
    )
    expect((await call('GET', `/api/groups/${theirGroup.id}`)).status).toBe(200)
  })

  it('revokes a deleted group’s admin tokens', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'group_admin', groupId: group.id })
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expectProblem(
      await call('GET', `/api/communities/${community.id}`, { token: admin.token }),
      401,
      'unauthorized',
    )
  })
})
