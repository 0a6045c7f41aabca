import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  expectProblem,
} from './helpers'
import { Contract, loadDocument } from './openapi-contract'

const CODE = /^[abcdefghjkmnpqrstuvwxyz23456789]{13}$/

describe('invite links: happy paths', () => {
  it('creates a plain link when sent no body, which the document lets a client leave out', async () => {
    const { json: document } = await call('GET', '/api/openapi.json', { token: null })
    const create = document.paths['/api/communities/{id}/invites'].post
    expect(create.requestBody.required).toBe(false)
    const community = await createCommunity()
    const response = await call('POST', `/api/communities/${community.id}/invites`)
    expect(response.status, response.text).toBe(201)
    expect(response.json).toMatchObject({
      communityId: community.id,
      groupId: null,
      label: null,
      source: null,
      maxUses: null,
      expiresAt: null,
    })
    expect(response.json.code).toMatch(CODE)
  })

  it('creates a link with its URL, QR URLs and campaign tags', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString()
    const response = await call('POST', `/api/communities/${community.id}/invites`, {
      body: {
        label: 'Flyer at the bakery',
        groupId: group.id,
        source: 'flyer',
        medium: 'print',
        campaign: 'spring',
        maxUses: 100,
        expiresAt,
      },
    })
    expect(response.status).toBe(201)
    const invite = response.json
    expect(invite.id).toMatch(/^inv_/)
    expect(invite.code).toMatch(CODE)
    expect(invite).toMatchObject({
      communityId: community.id,
      groupId: group.id,
      url: `https://join.example.com/i/${invite.code}`,
      qrSvgUrl: `https://join.example.com/i/${invite.code}/qr.svg`,
      qrPngUrl: `https://join.example.com/i/${invite.code}/qr.png`,
      label: 'Flyer at the bakery',
      source: 'flyer',
      medium: 'print',
      campaign: 'spring',
      maxUses: 100,
      uses: 0,
      expiresAt,
      status: 'active',
    })
  })

  it('gives every link a different code', async () => {
    const community = await createCommunity()
    const codes = new Set<string>()
    for (let i = 0; i < 20; i++) codes.add((await createInvite(community.id)).code)
    expect(codes.size).toBe(20)
  })

  it('lists, reads and updates links', async () => {
    const community = await createCommunity()
    const a = await createInvite(community.id, { label: 'A' })
    const b = await createInvite(community.id, { label: 'B' })
    const list = await call('GET', `/api/communities/${community.id}/invites`)
    expect(list.json.data.map((i: { id: string }) => i.id)).toEqual([a.id, b.id])
    expect((await call('GET', `/api/invites/${a.id}`)).json.label).toBe('A')
    const patched = await call('PATCH', `/api/invites/${a.id}`, {
      body: { label: 'Renamed', maxUses: 5, expiresAt: null },
    })
    expect(patched.json).toMatchObject({ label: 'Renamed', maxUses: 5, expiresAt: null })
  })

  it('clears an expiry with null, which its document allows', async () => {
    const contract = new Contract(await loadDocument())
    const invite = await createInvite((await createCommunity()).id, {
      expiresAt: new Date(Date.now() + 86400_000).toISOString(),
    })
    const change = { pathParams: { id: invite.id }, query: {}, body: { expiresAt: null } }
    expect(contract.requestProblems(contract.operation('updateInvite'), change)).toEqual([])
    const cleared = await call('PATCH', `/api/invites/${invite.id}`, { body: change.body })
    expect(cleared.status, cleared.text).toBe(200)
    expect(cleared.json.expiresAt).toBeNull()
  })

  it('revokes a link (twice is harmless)', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const first = await call('POST', `/api/invites/${invite.id}/revoke`)
    expect(first.json.status).toBe('revoked')
    const second = await call('POST', `/api/invites/${invite.id}/revoke`)
    expect(second.json.revokedAt).toBe(first.json.revokedAt)
  })

  it('rotates a link: new code, the old one never reissued', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const rotated = await call('POST', `/api/invites/${invite.id}/rotate`)
    expect(rotated.status).toBe(200)
    expect(rotated.json.code).toMatch(CODE)
    expect(rotated.json.code).not.toBe(invite.code)
    expect(rotated.json.id).toBe(invite.id)
    const codes = await env.DB.prepare(
      'select code, retired_at from invite_codes where invite_id = ? order by created_at',
    )
      .bind(invite.id)
      .all()
    expect(codes.results).toEqual([
      { code: invite.code, retired_at: expect.any(Number) },
      { code: rotated.json.code, retired_at: null },
    ])
  })

  it('reports status expired and used_up', async () => {
    const community = await createCommunity()
    const expiring = await createInvite(community.id)
    await env.DB.prepare('update invites set expires_at = ? where id = ?')
      .bind(Date.now() - 1, expiring.id)
      .run()
    expect((await call('GET', `/api/invites/${expiring.id}`)).json.status).toBe('expired')
    const limited = await createInvite(community.id, { maxUses: 1 })
    await env.DB.prepare('update invites set uses = 1 where id = ?').bind(limited.id).run()
    expect((await call('GET', `/api/invites/${limited.id}`)).json.status).toBe('used_up')
  })
})

describe('invite links: errors', () => {
  it('refuses bad input and writes nothing', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const otherGroup = await createGroup(other.id)
    const before = await countRows('invites')
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ maxUses: 0 }, 'maxUses'],
      [{ maxUses: 1.5 }, 'maxUses'],
      [{ expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ groupId: otherGroup.id }, 'groupId'],
      [{ source: 'x'.repeat(65) }, 'source'],
      [{ code: 'my own code' }, 'code'],
      [{ code: 'admin' }, 'code'],
    ]
    for (const [body, path] of bad) {
      const problem = expectProblem(
        await call('POST', `/api/communities/${community.id}/invites`, { body }),
        400,
        'validation_failed',
      )
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect(await countRows('invites')).toBe(before)
  })

  it('refuses lowering maxUses below the uses so far', async () => {
    const invite = await createInvite((await createCommunity()).id, { maxUses: 10 })
    await env.DB.prepare('update invites set uses = 4 where id = ?').bind(invite.id).run()
    expectProblem(
      await call('PATCH', `/api/invites/${invite.id}`, { body: { maxUses: 3 } }),
      409,
      'max_uses_below_uses',
    )
  })

  it('answers 404 for links that do not exist', async () => {
    expectProblem(
      await call('GET', '/api/invites/inv_00000000000000000000000000'),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', '/api/invites/inv_00000000000000000000000000/rotate'),
      404,
      'not_found',
    )
  })
})

describe('invite links: security', () => {
  it('lets a community admin manage only their own community’s links, hiding the others', async () => {
    const mine = await createCommunity()
    const theirs = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })
    const theirInvite = await createInvite(theirs.id)
    expect(
      (await call('POST', `/api/communities/${mine.id}/invites`, { token: admin.token, body: {} }))
        .status,
    ).toBe(201)
    expectProblem(
      await call('POST', `/api/communities/${theirs.id}/invites`, { token: admin.token, body: {} }),
      404,
      'not_found',
    )
    expectProblem(
      await call('GET', `/api/invites/${theirInvite.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', `/api/invites/${theirInvite.id}/revoke`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', `/api/invites/${theirInvite.id}/rotate`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('GET', `/api/invites/${theirInvite.id}/stats`, { token: admin.token }),
      404,
      'not_found',
    )
    expect((await call('GET', `/api/invites/${theirInvite.id}`)).json.status).toBe('active')
  })

  it('needs a token', async () => {
    const community = await createCommunity()
    expectProblem(
      await call('POST', `/api/communities/${community.id}/invites`, { token: null, body: {} }),
      401,
      'unauthorized',
    )
  })
})
