import { describe, expect, it } from 'vitest'
import {
  call,
  createAdmin,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  expectProblem,
  query,
  visit,
} from './helpers'

const bulk = (communityId: string, links: unknown[], token?: string) =>
  call('POST', `/api/communities/${communityId}/invites/bulk`, { body: { links }, token })

/** The community's links as stored, oldest first: to prove a refusal made none. */
const linksOf = (communityId: string) =>
  query<{ id: string; code: string; label: string | null }>(
    'select id, code, label from invites where community_id = ? order by id',
    communityId,
  )

describe('several invite links made at once', () => {
  it('makes each link asked for, in order, each with its own code, page and audit entry', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { name: 'Stage crew' })
    const made = await bulk(community.id, [
      { label: 'Flyer Kreuzberg', source: 'flyer', campaign: 'spring' },
      { label: 'Flyer Neukölln', source: 'flyer', campaign: 'spring', groupId: group.id },
      { label: 'Newsletter', source: 'newsletter', campaign: 'spring', code: 'Spring-Letter' },
    ])
    expect(made.status, made.text).toBe(201)
    const links = made.json.data as Array<Record<string, unknown>>
    expect(links.map((link) => link.label)).toEqual([
      'Flyer Kreuzberg',
      'Flyer Neukölln',
      'Newsletter',
    ])
    expect(links[1]).toMatchObject({ groupId: group.id, source: 'flyer', campaign: 'spring' })
    expect(links[2]).toMatchObject({ code: 'spring-letter', status: 'active' })
    expect(new Set(links.map((link) => link.code)).size).toBe(3)
    // The list shows them in the order asked for, and each link's page opens.
    expect((await linksOf(community.id)).map((link) => link.label)).toEqual([
      'Flyer Kreuzberg',
      'Flyer Neukölln',
      'Newsletter',
    ])
    for (const link of links) {
      const page = await visit(new URL(link.url as string).pathname)
      expect(page.status).toBe(200)
    }
    // One entry per link in the audit log, each naming its link.
    await eventually(async () => {
      const log = await call(
        'GET',
        `/api/communities/${community.id}/audit-log?action=link.created`,
      )
      expect(log.json.data.map((entry: { targetId: string }) => entry.targetId).sort()).toEqual(
        links.map((link) => link.id).sort(),
      )
    })
  })

  it('makes none when one is refused, and names that one by its place', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const taken = await createInvite(other.id, { code: 'taken-elsewhere' })
    const foreignGroup = await createGroup(other.id)
    const before = await linksOf(community.id)

    // A code any link has or had: 409, with the link that asked for it.
    const codeTaken = expectProblem(
      await bulk(community.id, [{ label: 'A' }, { label: 'B', code: taken.code.toUpperCase() }]),
      409,
      'code_taken',
    )
    expect(codeTaken.errors).toEqual([{ path: 'links.1.code', message: 'Already taken' }])

    // One code asked for twice (in any case): the second is named, with the first.
    const twice = expectProblem(
      await bulk(community.id, [{ code: 'summer-run' }, {}, { code: 'SUMMER-RUN' }]),
      400,
      'validation_failed',
    )
    expect(twice.errors).toEqual([
      { path: 'links.2.code', message: 'The same code as links.0.code' },
    ])

    // A group of another community.
    const group = expectProblem(
      await bulk(community.id, [{}, { groupId: foreignGroup.id }]),
      400,
      'validation_failed',
    )
    expect(group.errors).toEqual([
      { path: 'links.1.groupId', message: 'Not a group of this community' },
    ])

    // A field of one link that its schema refuses, and none or too many links.
    const field = expectProblem(
      await bulk(community.id, [{}, {}, { maxUses: 0 }]),
      400,
      'validation_failed',
    )
    expect(field.errors.map((error: { path: string }) => error.path)).toEqual(['links.2.maxUses'])
    expectProblem(await bulk(community.id, []), 400, 'validation_failed')
    expectProblem(
      await bulk(
        community.id,
        Array.from({ length: 51 }, () => ({})),
      ),
      400,
      'validation_failed',
    )
    expect(await linksOf(community.id)).toEqual(before)
    // The codes refused are still free.
    expect((await createInvite(community.id, { code: 'summer-run' })).code).toBe('summer-run')
  })

  it('makes fifty in one request, within what one statement binds', async () => {
    const community = await createCommunity()
    const links = Array.from({ length: 50 }, (_, index) => ({
      label: `Promoter ${index + 1}`,
      source: 'promoter',
      medium: 'street',
      campaign: 'festival',
      maxUses: 100,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      ...(index % 10 === 0 ? { code: `festival-${index}` } : {}),
    }))
    const made = await bulk(community.id, links)
    expect(made.status, made.text).toBe(201)
    expect(made.json.data).toHaveLength(50)
    const stored = await linksOf(community.id)
    expect(stored.map((link) => link.label)).toEqual(links.map((link) => link.label))
    const codes = await query<{ n: number }>(
      'select count(*) as n from invite_codes where invite_id in (select id from invites where community_id = ?)',
      community.id,
    )
    expect(codes[0]!.n).toBe(50)
  })

  it('takes fifty of the longest links, their JSON written in ASCII escapes', async () => {
    const community = await createCommunity()
    const links = Array.from({ length: 50 }, (_, index) => ({
      label: '🎉'.repeat(99) + String(index % 10),
      source: 'ж'.repeat(64),
      medium: 'ж'.repeat(64),
      campaign: 'ж'.repeat(64),
    }))
    // As Python's json.dumps writes it by default: every character past ASCII as \\uXXXX.
    const escaped = JSON.stringify({ links }).replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
    // Past the 64 KiB every other API body is held to.
    expect(escaped.length).toBeGreaterThan(100_000)
    const made = await call('POST', `/api/communities/${community.id}/invites/bulk`, {
      rawBody: escaped,
      headers: { 'content-type': 'application/json' },
    })
    expect(made.status, made.text).toBe(201)
    expect(made.json.data[0].label).toBe(links[0]!.label)
    expect(await linksOf(community.id)).toHaveLength(50)
  })

  it('is for who may make links in the community, no one else', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const outsider = await createAdmin(other.id, 'Outsider')
    const refused = await bulk(community.id, [{ label: 'Not mine' }], outsider.token)
    expect([403, 404]).toContain(refused.status)
    expect(await linksOf(community.id)).toEqual([])
    const admin = await createAdmin(community.id, 'Organiser')
    expect((await bulk(community.id, [{ label: 'Mine' }], admin.token)).status).toBe(201)
  })
})
