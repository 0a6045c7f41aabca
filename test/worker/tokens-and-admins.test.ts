import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createToken,
  expectProblem,
} from './helpers'
import { confirm, page, sessionOf, signIn } from './dashboard-helpers'
import { createDb } from '../../src/db/client'
import { createToken as writeToken } from '../../src/services/tokens'

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

describe('tokens', () => {
  it('returns the secret once, stores only its SHA-256, and the token works', async () => {
    const created = await createToken({ name: 'Second owner', role: 'owner' })
    expect(created.token).toMatch(/^cg_[A-Za-z0-9_-]{43}$/)
    const row = await env.DB.prepare('select * from api_tokens where id = ?')
      .bind(created.id)
      .first<Record<string, unknown>>()
    expect(row?.token_hash).toBe(await sha256Hex(created.token))
    expect(JSON.stringify(row)).not.toContain(created.token)

    const listed = await call('GET', '/api/tokens?limit=100')
    const entry = listed.json.data.find((t: { id: string }) => t.id === created.id)
    expect(entry).toMatchObject({ name: 'Second owner', role: 'owner' })
    expect(entry.token).toBeUndefined()
    expect(JSON.stringify(listed.json)).not.toContain(created.token)

    expect((await call('GET', '/api/communities', { token: created.token })).status).toBe(200)
  })

  it('revokes a token so that it stops working at once', async () => {
    const created = await createToken({ role: 'owner' })
    expect((await call('DELETE', `/api/tokens/${created.id}`)).status).toBe(204)
    expectProblem(
      await call('GET', '/api/communities', { token: created.token }),
      401,
      'unauthorized',
    )
    expectProblem(await call('DELETE', `/api/tokens/${created.id}`), 404, 'not_found')
  })

  it('scopes a group admin token to the group’s community', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const created = await call('POST', '/api/tokens', {
      body: { name: 'Group lead', role: 'group_admin', groupId: group.id },
    })
    expect(created.json).toMatchObject({
      role: 'group_admin',
      communityId: community.id,
      groupId: group.id,
    })
  })

  it('refuses tokens whose scope does not fit their role', async () => {
    const community = await createCommunity()
    const before = await countRows('api_tokens')
    expectProblem(
      await call('POST', '/api/tokens', { body: { name: 'x', role: 'community_admin' } }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/api/tokens', {
        body: { name: 'x', role: 'group_admin', communityId: community.id },
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/api/tokens', {
        body: { name: 'x', role: 'owner', communityId: community.id },
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/api/tokens', { body: { name: 'x', role: 'root' } }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/api/tokens', {
        body: { name: 'x', role: 'community_admin', communityId: 'cmt_00000000000000000000000000' },
      }),
      404,
      'not_found',
    )
    expect(await countRows('api_tokens')).toBe(before)
  })

  it('lets a community admin manage tokens of their own community only', async () => {
    const mine = await createCommunity()
    const theirs = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })
    const mineGroup = await createGroup(mine.id)

    const made = await call('POST', '/api/tokens', {
      token: admin.token,
      body: { name: 'Helper', role: 'group_admin', groupId: mineGroup.id },
    })
    expect(made.status).toBe(201)
    expectProblem(
      await call('POST', '/api/tokens', { token: admin.token, body: { name: 'x', role: 'owner' } }),
      403,
      'forbidden',
    )
    // Another community is hidden, as if it did not exist; an owner token is refused.
    expectProblem(
      await call('POST', '/api/tokens', {
        token: admin.token,
        body: { name: 'x', role: 'community_admin', communityId: theirs.id },
      }),
      404,
      'not_found',
    )
    const listed = await call('GET', '/api/tokens', { token: admin.token })
    expect(listed.json.data.every((t: { communityId: string }) => t.communityId === mine.id)).toBe(
      true,
    )

    const theirAdmin = await createToken({ role: 'community_admin', communityId: theirs.id })
    expectProblem(
      await call('DELETE', `/api/tokens/${theirAdmin.id}`, { token: admin.token }),
      404,
      'not_found',
    )
  })

  it('revokes the tokens a community admin made with the admin, and when the admin is demoted', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const works = async (token: string) =>
      (await call('GET', `/api/communities/${community.id}`, { token })).status
    /** An admin, a token the admin made, and a token that one made in turn. */
    async function adminWithTokens(name: string) {
      const admin = await createToken({ name, role: 'community_admin', communityId: community.id })
      const make = async (by: string) => {
        const made = await call('POST', '/api/tokens', {
          token: by,
          body: { name: 'Kept for later', role: 'community_admin', communityId: community.id },
        })
        expect(made.status, made.text).toBe(201)
        return made.json
      }
      const child = await make(admin.token)
      expect(child.createdByTokenId).toBe(admin.id)
      const grandchild = await make(child.token)
      return { admin, made: [child, grandchild] }
    }
    const removed = await adminWithTokens('Removed Rae')
    const demoted = await adminWithTokens('Demoted Dee')
    const kept = await adminWithTokens('Kept Kai')
    // The team page says whose each token is.
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    for (const name of ['Removed Rae', 'Demoted Dee', 'Kept Kai'])
      expect(team.text).toContain(`made by <bdi>${name}</bdi>`)
    // A teammate the removed admin invited is a person, not a token they made, and stays.
    const invited = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      token: removed.admin.token,
      body: { name: 'Invited', role: 'community_admin' },
    })
    expect(invited.status, invited.text).toBe(201)
    const accepted = await confirm(invited.json.url)
    expect(accepted.status).toBe(303)
    const teammate = sessionOf(accepted)

    expect((await call('DELETE', `/api/tokens/${removed.admin.id}`)).status).toBe(204)
    // The teammate stays, named as theirs for whoever reviews the team.
    const reviewed = await page(`/admin/communities/${community.id}/team`, cookie)
    expect(reviewed.text).toMatch(/<bdi>Invited<\/bdi>[\s\S]*?invited by <bdi>Removed Rae<\/bdi>/)
    const demotion = await call(
      'POST',
      `/api/communities/${community.id}/admins/${demoted.admin.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demotion.status, demotion.text).toBe(200)

    for (const { token } of [...removed.made, ...demoted.made]) expect(await works(token)).toBe(401)
    expect(await works(demoted.admin.token)).toBe(200) // as the group admin they are now
    for (const { token } of [kept.admin, ...kept.made]) expect(await works(token)).toBe(200)
    // The session their link opened ends all the same: the removed admin held that link too.
    const overview = await call('GET', `/admin/communities/${community.id}`, {
      token: null,
      headers: { cookie: teammate, accept: 'text/html' },
    })
    expect(overview.status).toBe(303)

    // An owner's tokens are the installation's: they survive the owner's token being replaced.
    const owner = await createToken({ name: 'Old owner', role: 'owner' })
    const ownerMade = await call('POST', '/api/tokens', {
      token: owner.token,
      body: { name: 'Integration', role: 'community_admin', communityId: community.id },
    })
    expect(ownerMade.status).toBe(201)
    // Its maker is named though not on the community's team.
    const listed = await page(`/admin/communities/${community.id}/team`, cookie)
    expect(listed.text).toContain('made by <bdi>Old owner</bdi>')
    expect((await call('DELETE', `/api/tokens/${owner.id}`)).status).toBe(204)
    expect(await works(ownerMade.json.token)).toBe(200)
  })

  it('writes no token for a maker revoked or demoted after the access check, before the write', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const input = { name: 'Late', role: 'community_admin' as const, communityId: community.id }
    for (const change of ['revoked', 'demoted']) {
      const admin = await createToken({ role: 'community_admin', communityId: community.id })
      // What the request's access check saw, before the change landed.
      const maker = {
        tokenId: admin.id,
        name: admin.name,
        role: 'community_admin' as const,
        communityId: community.id,
        groupId: null,
      }
      const landed =
        change === 'revoked'
          ? await call('DELETE', `/api/tokens/${admin.id}`)
          : await call('POST', `/api/communities/${community.id}/admins/${admin.id}/demote`, {
              body: { groupId: group.id },
            })
      expect(landed.status, landed.text).toBeLessThan(300)
      const before = await countRows('api_tokens')
      await expect(
        writeToken(createDb(env.DB), input, maker, new Date()),
        change,
      ).rejects.toMatchObject({ code: 'unauthorized' })
      expect(await countRows('api_tokens')).toBe(before)
    }
  })

  it('keeps group admins away from tokens', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'group_admin', groupId: group.id })
    expectProblem(await call('GET', '/api/tokens', { token: admin.token }), 403, 'forbidden')
    expectProblem(
      await call('POST', '/api/tokens', {
        token: admin.token,
        body: { name: 'x', role: 'group_admin', groupId: group.id },
      }),
      403,
      'forbidden',
    )
  })
})

describe('admins and role changes', () => {
  it('keeps an added group’s admins as group admins until they are promoted, and demotes them back', async () => {
    const community = await createCommunity()
    const added = await createGroup(community.id, {
      origin: 'added',
      chatInviteUrl: 'https://chat.whatsapp.com/OldGroup1',
    })
    const other = await createGroup(community.id)
    const lead = await createToken({
      name: 'Old group lead',
      role: 'group_admin',
      groupId: added.id,
    })

    // Before promotion: their group only.
    expectProblem(
      await call('PATCH', `/api/groups/${other.id}`, { token: lead.token, body: { topic: 'x' } }),
      403,
      'forbidden',
    )

    const admins = await call('GET', `/api/communities/${community.id}/admins`)
    expect(admins.json.data).toEqual([
      expect.objectContaining({ id: lead.id, role: 'group_admin', groupId: added.id }),
    ])

    const promoted = await call(
      'POST',
      `/api/communities/${community.id}/admins/${lead.id}/promote`,
    )
    expect(promoted.status).toBe(200)
    expect(promoted.json).toMatchObject({ role: 'community_admin', communityId: community.id })
    expect(
      (
        await call('PATCH', `/api/groups/${other.id}`, {
          token: lead.token,
          body: { topic: 'Now allowed' },
        })
      ).status,
    ).toBe(200)

    const demoted = await call('POST', `/api/communities/${community.id}/admins/${lead.id}/demote`)
    expect(demoted.status).toBe(200)
    expect(demoted.json).toMatchObject({ role: 'group_admin', groupId: added.id })
    expectProblem(
      await call('PATCH', `/api/groups/${other.id}`, { token: lead.token, body: { topic: 'y' } }),
      403,
      'forbidden',
    )
  })

  it('demotes a community admin without a former group only when told which group', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    expectProblem(
      await call('POST', `/api/communities/${community.id}/admins/${admin.id}/demote`),
      409,
      'invalid_role_change',
    )
    const demoted = await call(
      'POST',
      `/api/communities/${community.id}/admins/${admin.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demoted.json).toMatchObject({ role: 'group_admin', groupId: group.id })
  })

  it('lets only owners and the community’s admins change roles', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const group = await createGroup(community.id)
    const lead = await createToken({ role: 'group_admin', groupId: group.id })
    const peer = await createToken({ role: 'group_admin', groupId: group.id })
    const outsider = await createToken({ role: 'community_admin', communityId: other.id })
    expectProblem(
      await call('POST', `/api/communities/${community.id}/admins/${lead.id}/promote`, {
        token: peer.token,
      }),
      403,
      'forbidden',
    )
    expectProblem(
      await call('POST', `/api/communities/${community.id}/admins/${lead.id}/promote`, {
        token: outsider.token,
      }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', `/api/communities/${other.id}/admins/${lead.id}/promote`),
      404,
      'not_found',
    )
    expect(
      (await call('GET', `/api/communities/${community.id}/admins`)).json.data.every(
        (t: { role: string }) => t.role === 'group_admin',
      ),
    ).toBe(true)
  })
})
