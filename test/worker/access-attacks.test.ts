import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Answer,
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  query,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { seedJoinRequests, seedMembers } from './seed'

/**
 * What an outside reviewer tries once every operation checks the id in its path: ids of another
 * community smuggled in through bodies, queries and nested paths, roles raised through the back
 * door, and answers that differ, in any detail, between an id of another community and one that
 * does not exist.
 */

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** An id of the right shape that names nothing. */
function unknownId(prefix: string): string {
  const random = crypto.getRandomValues(new Uint8Array(26))
  return `${prefix}_${[...random].map((byte) => CROCKFORD[byte % 32]).join('')}`
}

/** What a client can read from an answer, less what differs on every response. */
function readable(answer: Answer, ids: Record<string, string> = {}) {
  const headers = [...answer.headers]
    .filter(([name]) => !['date', 'content-security-policy', 'x-request-id'].includes(name))
    .filter(([name]) => name !== 'content-length')
  let text = answer.text
  for (const [id, placeholder] of Object.entries(ids)) text = text.replaceAll(id, placeholder)
  // Each response's own CSP nonce.
  text = text.replace(/nonce="[^"]*"/g, 'nonce')
  let body: unknown = text
  try {
    const json = JSON.parse(text)
    if (json && typeof json === 'object') delete json.requestId
    body = json
  } catch {
    // Not JSON: compared as text.
  }
  return { status: answer.status, headers, body }
}

/** Asserts that an id of another community is answered exactly like one that does not exist. */
async function expectSameAsUnknown(
  send: (id: string) => Promise<Answer>,
  foreignId: string,
  prefix: string,
) {
  const missing = unknownId(prefix)
  const foreign = await send(foreignId)
  const unknown = await send(missing)
  expect(readable(foreign, { [foreignId]: '{id}' }), foreign.text).toEqual(
    readable(unknown, { [missing]: '{id}' }),
  )
  return foreign
}

interface Side {
  community: { id: string; name: string }
  group: { id: string }
  otherGroup: { id: string }
  invite: { id: string; code: string }
  admin: { id: string; token: string }
  groupAdmin: { id: string; token: string }
  member: string
  announcement: string
  webhook: string
  request: string
}

let a: Side
let b: Side

async function side(): Promise<Side> {
  const community = await createCommunity({ visibility: 'closed' })
  const group = await createGroup(community.id)
  const otherGroup = await createGroup(community.id)
  const invite = await createInvite(community.id)
  const admin = await createToken({ role: 'community_admin', communityId: community.id })
  const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
  const member = `${await seedMembers(community.id, 1, { groupId: group.id })}000000000001`
  const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Hello', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
  })
  expect(announcement.status, announcement.text).toBe(201)
  const webhook = await call('POST', '/api/webhooks', {
    body: { url: 'https://hooks.example.com/in', events: ['*'], communityId: community.id },
  })
  expect(webhook.status, webhook.text).toBe(201)
  const request = `${await seedJoinRequests(community.id, 1)}000000000001`
  return {
    community,
    group,
    otherGroup,
    invite,
    admin,
    groupAdmin,
    member,
    announcement: announcement.json.id,
    webhook: webhook.json.id,
    request,
  }
}

beforeAll(async () => {
  a = await side()
  b = await side()
}, 60_000)

describe('another community’s ids in a path answer exactly like ids that do not exist', () => {
  it('in status, headers, problem text and the Allow header of a 405', async () => {
    const as = (method: string, path: string, body?: unknown) => (id: string) =>
      call(method, path.replace('{id}', id), { token: a.admin.token, body })
    const cases: Array<[(id: string) => Promise<Answer>, string, string]> = [
      [as('GET', '/api/communities/{id}'), b.community.id, 'cmt'],
      [as('GET', '/api/communities/{id}/members.csv'), b.community.id, 'cmt'],
      [as('GET', '/api/communities/{id}/members?status=active'), b.community.id, 'cmt'],
      [as('PUT', '/api/communities/{id}'), b.community.id, 'cmt'],
      [as('GET', '/api/groups/{id}'), b.group.id, 'grp'],
      [as('PATCH', '/api/groups/{id}', { name: 'Taken over' }), b.group.id, 'grp'],
      [as('GET', '/api/invites/{id}/stats?from=2026-01-01'), b.invite.id, 'inv'],
      [as('POST', '/api/invites/{id}/rotate'), b.invite.id, 'inv'],
      [as('DELETE', '/api/members/{id}'), b.member, 'mem'],
      [as('POST', '/api/join-requests/{id}/approve'), b.request, 'jr'],
      [as('POST', '/api/join-requests/{id}/reject', { reason: 'no' }), b.request, 'jr'],
      [as('GET', '/api/announcements/{id}/deliveries'), b.announcement, 'ann'],
      [
        as('POST', `/api/announcements/{id}/runs/${unknownId('dsp')}/cancel`),
        b.announcement,
        'ann',
      ],
      [as('GET', '/api/webhooks/{id}/deliveries'), b.webhook, 'whk'],
      [as('DELETE', '/api/tokens/{id}'), b.admin.id, 'tok'],
      [
        as('POST', `/api/communities/${a.community.id}/admins/{id}/promote`),
        b.groupAdmin.id,
        'tok',
      ],
    ]
    for (const [send, id, prefix] of cases) await expectSameAsUnknown(send, id, prefix)
    // Nothing of B changed on the way.
    expect((await call('GET', `/api/groups/${b.group.id}`)).json.name).not.toBe('Taken over')
    expect(await query('select status from join_requests where id = ?', b.request)).toEqual([
      { status: 'pending' },
    ])
  })
})

describe('another community’s ids smuggled in through bodies and queries', () => {
  it('bulk decisions answer a request of another community like one that does not exist', async () => {
    const missing = unknownId('jr')
    const answer = await call('POST', `/api/communities/${a.community.id}/join-requests/bulk`, {
      token: a.admin.token,
      body: { action: 'approve', ids: [b.request, missing] },
    })
    expect(answer.status, answer.text).toBe(200)
    const [foreign, unknown] = answer.json.results
    expect({ ...foreign, id: '{id}' }).toEqual({ ...unknown, id: '{id}' })
    expect(foreign.ok).toBe(false)
    expect(await query('select status from join_requests where id = ?', b.request)).toEqual([
      { status: 'pending' },
    ])
  })

  it('tokens: no role above the caller’s, and no scope outside its community', async () => {
    const before = await countRows('api_tokens')
    const create = (token: string, body: Record<string, unknown>) =>
      call('POST', '/api/tokens', { token, body: { name: 'escalation', ...body } })
    // A community admin creates no owner; a group admin creates nothing.
    expect((await create(a.admin.token, { role: 'owner' })).status).toBe(403)
    for (const body of [
      { role: 'group_admin', groupId: a.group.id },
      { role: 'group_admin', groupId: a.otherGroup.id },
      { role: 'community_admin', communityId: a.community.id },
      { role: 'owner' },
    ]) {
      expect((await create(a.groupAdmin.token, body)).status, JSON.stringify(body)).toBe(403)
    }
    // Another community's ids, alone or next to the caller's own.
    await expectSameAsUnknown(
      (id) => create(a.admin.token, { role: 'community_admin', communityId: id }),
      b.community.id,
      'cmt',
    )
    await expectSameAsUnknown(
      (id) => create(a.admin.token, { role: 'group_admin', groupId: id }),
      b.group.id,
      'grp',
    )
    await expectSameAsUnknown(
      (id) => create(a.admin.token, { role: 'group_admin', groupId: a.group.id, communityId: id }),
      b.community.id,
      'cmt',
    )
    await expectSameAsUnknown(
      (id) =>
        create(a.admin.token, { role: 'group_admin', groupId: id, communityId: a.community.id }),
      b.group.id,
      'grp',
    )
    expect(await countRows('api_tokens')).toBe(before)
  })

  it('webhooks, invites, announcements and admins refuse another community’s ids as unknown', async () => {
    const before = {
      webhooks: await countRows('webhook_endpoints'),
      invites: await countRows('invites'),
      announcements: await countRows('announcements'),
    }
    const token = a.admin.token
    await expectSameAsUnknown(
      (id) =>
        call('POST', '/api/webhooks', {
          token,
          body: { url: 'https://hooks.example.com/x', events: ['*'], communityId: id },
        }),
      b.community.id,
      'cmt',
    )
    await expectSameAsUnknown(
      (id) =>
        call('POST', `/api/communities/${a.community.id}/invites`, {
          token,
          body: { groupId: id },
        }),
      b.group.id,
      'grp',
    )
    const sendAt = new Date(Date.now() + 86_400_000).toISOString()
    await expectSameAsUnknown(
      (id) =>
        call('POST', `/api/communities/${a.community.id}/announcements`, {
          token,
          body: { body: 'Hi', sendAt, audience: { groupIds: [a.group.id, id] } },
        }),
      b.group.id,
      'grp',
    )
    await expectSameAsUnknown(
      (id) =>
        call('PATCH', `/api/announcements/${a.announcement}`, {
          token,
          body: { audience: { groupIds: [id] } },
        }),
      b.group.id,
      'grp',
    )
    await expectSameAsUnknown(
      (id) =>
        call('POST', `/api/communities/${a.community.id}/admins/${a.groupAdmin.id}/demote`, {
          token,
          body: { groupId: id },
        }),
      b.group.id,
      'grp',
    )
    expect({
      webhooks: await countRows('webhook_endpoints'),
      invites: await countRows('invites'),
      announcements: await countRows('announcements'),
    }).toEqual(before)
  })

  it('filters and cursors never page into another community', async () => {
    const token = a.admin.token
    const filtered = await expectSameAsUnknown(
      (id) => call('GET', `/api/communities/${a.community.id}/members?groupId=${id}`, { token }),
      b.group.id,
      'grp',
    )
    expect(filtered.json.data).toEqual([])
    // A cursor below every id, and one just below B's member: only A's rows come back.
    for (const cursor of [`mem_${'0'.repeat(26)}`, `${b.member.slice(0, -1)}0`]) {
      const page = await call(
        'GET',
        `/api/communities/${a.community.id}/members?cursor=${cursor}&limit=100`,
        { token },
      )
      expect(page.status, page.text).toBe(200)
      const ids = page.json.data.map((m: { id: string }) => m.id)
      expect(ids).not.toContain(b.member)
      if (cursor < a.member) expect(ids).toEqual([a.member])
    }
    const tokens = await call('GET', `/api/tokens?cursor=tok_${'0'.repeat(26)}&limit=100`, {
      token,
    })
    expect(new Set(tokens.json.data.map((t: { communityId: string }) => t.communityId))).toEqual(
      new Set([a.community.id]),
    )
    // A query parameter an operation does not list is refused, not used.
    const smuggled = await call(
      'GET',
      `/api/communities/${a.community.id}/invites?communityId=${b.community.id}`,
      { token },
    )
    expect(smuggled.status).toBe(400)
  })
})

describe('a group admin in its own community', () => {
  it('manages its own group only, and reads no contact details', async () => {
    const token = a.groupAdmin.token
    const own = await call('PATCH', `/api/groups/${a.group.id}`, {
      token,
      body: { topic: 'Our own topic' },
    })
    expect(own.status, own.text).toBe(200)
    const other = await call('PATCH', `/api/groups/${a.otherGroup.id}`, {
      token,
      body: { topic: 'Taken over' },
    })
    expect(other.status).toBe(403)
    expect((await call('GET', `/api/groups/${a.otherGroup.id}`)).json.topic).not.toBe('Taken over')
    expect((await call('DELETE', `/api/groups/${a.group.id}`, { token })).status).toBe(403)
    for (const path of ['members', 'members.csv', 'join-requests', 'leaderboard']) {
      const answer = await call('GET', `/api/communities/${a.community.id}/${path}`, { token })
      expect(answer.status, path).toBe(403)
    }
  })
})

describe('dashboard sessions follow the token behind them', () => {
  it('a demoted admin’s session loses what the role gave, at once', async () => {
    const group = await createGroup(a.community.id)
    const admin = await createToken({ role: 'community_admin', communityId: a.community.id })
    const { cookie } = await signIn(admin.token)
    const members = `/admin/communities/${a.community.id}/members`
    expect((await page(members, cookie)).status).toBe(200)
    const demoted = await call(
      'POST',
      `/api/communities/${a.community.id}/admins/${admin.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demoted.status, demoted.text).toBe(200)
    expect((await page(members, cookie)).status).toBe(403)
  })

  it('a token whose community was deleted signs nobody in any more', async () => {
    const community = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    expect((await page('/admin', cookie)).status).toBe(200)
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    const after = await page('/admin', cookie)
    expect(after.status).toBe(303)
    expect(after.headers.get('location')).toMatch(/^\/admin\/login/)
    expect((await call('GET', '/api/communities', { token: admin.token })).status).toBe(401)
  })
})

describe('dashboard decisions on another community’s requests', () => {
  async function decide(path: string, ids: string[]) {
    const { cookie } = await signIn(a.admin.token)
    const csrf = csrfOf((await page(`/admin/communities/${a.community.id}/approvals`, cookie)).text)
    return post(path, cookie, { _csrf: csrf, action: 'approve', ids })
  }

  it('answers a request of another community like one that does not exist, on either page', async () => {
    for (const path of [`/admin/communities/${a.community.id}/approvals`, '/admin/approvals']) {
      await expectSameAsUnknown((id) => decide(path, [id]), b.request, 'jr')
    }
    expect(await query('select status from join_requests where id = ?', b.request)).toEqual([
      { status: 'pending' },
    ])
  })
})

/** A QR design the form accepts. */
const QR_DESIGN = { fg: '#000000', bg: '#ffffff', margin: '4', level: 'M', style: 'square' }

describe('dashboard pages and forms with another community’s ids', () => {
  // A browser gets the error page; a script sending the same cookie, problem details: neither
  // may tell an id of another community from one that does not exist.
  it.each(['text/html', 'application/json'])(
    'answer them exactly like ids that do not exist (%s)',
    async (accept) => {
      const { cookie } = await signIn(a.admin.token)
      const csrf = csrfOf(
        (await page(`/admin/communities/${a.community.id}/approvals`, cookie)).text,
      )
      const get = (path: string) => (id: string) =>
        call('GET', path.replace('{id}', id), {
          token: null,
          headers: { cookie, accept, 'accept-language': 'en' },
        })
      const send =
        (path: string, fields: Record<string, string | string[]> = {}) =>
        (id: string) =>
          post(
            path.replace('{id}', id),
            cookie,
            {
              _csrf: csrf,
              ...Object.fromEntries(
                Object.entries(fields).map(([name, value]) => [
                  name,
                  value === '{id}' ? id : value,
                ]),
              ),
            },
            { accept },
          )
      const cases: Array<[(id: string) => Promise<Answer>, string, string]> = [
        [get('/admin/communities/{id}'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/members'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/members.csv'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/stats.csv'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/announcements'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/approvals'), b.community.id, 'cmt'],
        [get('/admin/communities/{id}/settings'), b.community.id, 'cmt'],
        [get('/admin/links/{id}'), b.invite.id, 'inv'],
        [get('/admin/links/{id}/stats.csv'), b.invite.id, 'inv'],
        [send('/admin/links/{id}/revoke'), b.invite.id, 'inv'],
        [send('/admin/links/{id}/rotate'), b.invite.id, 'inv'],
        [send('/admin/links/{id}/archive'), b.invite.id, 'inv'],
        [send('/admin/links/{id}/edit', { label: 'Smuggled' }), b.invite.id, 'inv'],
        [send('/admin/links/{id}/duplicate', { source: 'smuggled' }), b.invite.id, 'inv'],
        [send('/admin/links/{id}/qr-design', QR_DESIGN), b.invite.id, 'inv'],
        [
          send('/admin/links/{id}/qr-design', { ...QR_DESIGN, intent: 'preview' }),
          b.invite.id,
          'inv',
        ],
        [get('/admin/announcements/{id}'), b.announcement, 'ann'],
        [get('/admin/announcements/{id}/recipients.csv'), b.announcement, 'ann'],
        [send('/admin/announcements/{id}/resend-failed'), b.announcement, 'ann'],
        [send('/admin/announcements/{id}/send-now'), b.announcement, 'ann'],
        [send('/admin/members/{id}/remove'), b.member, 'mem'],
        [send('/admin/members/{id}/erase'), b.member, 'mem'],
        [send('/admin/announcements/{id}/cancel'), b.announcement, 'ann'],
        [send(`/admin/announcements/{id}/runs/${unknownId('dsp')}/cancel`), b.announcement, 'ann'],
        [send(`/admin/communities/${a.community.id}/admins/{id}/promote`), b.groupAdmin.id, 'tok'],
        [send('/admin/communities/{id}/links', { label: 'Smuggled' }), b.community.id, 'cmt'],
        [
          send(`/admin/communities/${a.community.id}/links`, { groupId: '{id}' }),
          b.group.id,
          'grp',
        ],
        [
          send(`/admin/communities/${a.community.id}/admins/${a.groupAdmin.id}/demote`, {
            groupId: '{id}',
          }),
          b.group.id,
          'grp',
        ],
        [
          send(`/admin/communities/${a.community.id}/announcements`, {
            body: 'To the wrong group',
            audience: '{id}',
            sendAt: '2031-05-01T09:00',
            timezone: 'Europe/Berlin',
          }),
          b.group.id,
          'grp',
        ],
        [
          send('/admin/webhooks', {
            url: 'https://hooks.example.com/d',
            events: '*',
            communityId: '{id}',
          }),
          b.community.id,
          'cmt',
        ],
      ]
      for (const [request, id, prefix] of cases) await expectSameAsUnknown(request, id, prefix)
      expect((await call('GET', `/api/invites/${b.invite.id}`)).json.revokedAt).toBeNull()
      expect(await query("select id from announcements where body = 'To the wrong group'")).toEqual(
        [],
      )
      expect(
        await query('select role, group_id from api_tokens where id = ?', a.groupAdmin.id),
      ).toEqual([{ role: 'group_admin', group_id: a.group.id }])
    },
  )

  it('an owner naming a community that does not exist gets a 404, not an error', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin/webhooks', cookie)).text)
    const answer = await post('/admin/webhooks', cookie, {
      _csrf: csrf,
      url: 'https://hooks.example.com/owner',
      events: '*',
      communityId: unknownId('cmt'),
    })
    expect(answer.status, answer.text.slice(0, 300)).toBe(404)
  })
})
