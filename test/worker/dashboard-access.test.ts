import { beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  OWNER_TOKEN,
  query,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * The dashboard and the API take their access decisions from one policy. This walks every
 * dashboard page, its sections and its forms for each kind of admin and compares what they
 * show and allow with what the API answers the same token.
 */

interface World {
  community: { id: string; name: string }
  group: { id: string }
  invite: { id: string; code: string }
  /** Rita's own referral link. */
  referral: { id: string; code: string }
  needles: string[]
}

interface Role {
  name: string
  token: string
  cookie: string
  csrf: string
}

let world: World
let roles: Role[]

async function approve(requestId: string) {
  const response = await call('POST', `/api/join-requests/${requestId}/approve`)
  expect(response.status, response.text).toBe(200)
  return response.json as { memberId: string }
}

beforeAll(async () => {
  const community = await createCommunity({
    name: `Access Bakery ${crypto.randomUUID().slice(0, 6)}`,
    visibility: 'closed',
    joinQuestions: ['What brings you here'],
  })
  const group = await createGroup(community.id, { name: 'Access Trail group' })
  const other = await createCommunity({ name: 'Access Elsewhere' })
  const otherGroup = await createGroup(other.id)
  const invite = await createInvite(community.id, { label: 'Poster at the bakery' })

  // A referrer who earned a reward, a pending request, an announcement, a webhook endpoint.
  const ritaPhone = newPhone()
  const rita = await joinJson(invite.code, {
    name: 'Rita Referrer',
    phone: ritaPhone,
    answers: ['Bread'],
  })
  const ritaMember = await approve(rita.json.joinRequestId)
  const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
    body: { threshold: 1, title: 'Free bakery shirt' },
  })
  expect(rule.status, rule.text).toBe(201)
  const [referral] = await query<{ id: string; code: string }>(
    'select id, code from invites where referrer_member_id = ?',
    ritaMember.memberId,
  )
  const ray = await joinJson(referral!.code, {
    name: 'Ray Referred',
    phone: newPhone(),
    answers: ['Cake'],
  })
  // Ray's consent, on record, is what credits Rita with him.
  const recorded = await call('POST', `/api/join-requests/${ray.json.joinRequestId}/confirm`, {
    body: { proof: 'Signed the form at the counter' },
  })
  expect(recorded.status, recorded.text).toBe(200)
  await approve(ray.json.joinRequestId)
  const pennyPhone = newPhone()
  await joinJson(invite.code, {
    name: 'Penny Pending',
    phone: pennyPhone,
    answers: ['Penny answers kindly'],
  })
  const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Hello from the access test', sendAt: '2031-01-01T10:00:00Z' },
  })
  expect(announcement.status, announcement.text).toBe(201)
  const hook = await call('POST', '/api/webhooks', {
    body: {
      url: 'https://hooks.example.com/access-bakery',
      events: ['member.joined'],
      communityId: community.id,
    },
  })
  expect(hook.status, hook.text).toBe(201)

  const tokens = {
    owner: OWNER_TOKEN,
    'community admin': (
      await createToken({ role: 'community_admin', communityId: community.id, name: 'Cora Admin' })
    ).token,
    'admin of another community': (
      await createToken({ role: 'community_admin', communityId: other.id, name: 'Otto Admin' })
    ).token,
    'group admin': (
      await createToken({ role: 'group_admin', groupId: group.id, name: 'Greta Group-Admin' })
    ).token,
    'group admin in another community': (
      await createToken({ role: 'group_admin', groupId: otherGroup.id, name: 'Gus Admin' })
    ).token,
  }
  roles = []
  for (const [name, token] of Object.entries(tokens)) {
    const { cookie } = await signIn(token)
    roles.push({ name, token, cookie, csrf: csrfOf((await page('/admin', cookie)).text) })
  }
  world = {
    community,
    group,
    invite,
    referral: referral!,
    needles: [
      'Penny Pending',
      'Penny answers kindly',
      pennyPhone,
      ritaPhone,
      'Rita Referrer',
      'Ray Referred',
      'Free bakery shirt',
      'Hello from the access test',
      'hooks.example.com/access-bakery',
      'Poster at the bakery',
      'Access Trail group',
      'Greta Group-Admin',
    ],
  }
}, 60_000)

/**
 * How the API refuses this token a request: 404 for what lies in a community it may not see, 403
 * for what it sees but may not do (401 should not happen); null when it lets it through.
 */
async function apiRefusal(role: Role, method: string, path: string, body?: unknown) {
  const response = await call(method, path, { token: role.token, body })
  expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(500)
  return [401, 403, 404].includes(response.status) ? response.status : null
}

/** Whether the API lets this token make a request. */
async function apiAllows(role: Role, method: string, path: string, body?: unknown) {
  return (await apiRefusal(role, method, path, body)) === null
}

/** Whether the API shows this token `text` in its answer to a GET. */
async function apiShows(role: Role, path: string, text: string) {
  const response = await call('GET', path, { token: role.token })
  return response.status === 200 && response.text.includes(text)
}

describe('a member’s referral link is read as referrals are', () => {
  it('by the community’s admins only: a group admin neither lists, opens, measures nor compares it', async () => {
    const c = world.community.id
    const { id, code } = world.referral
    const roleNamed = (name: string) => roles.find((role) => role.name === name)!
    const linkCodes = async (role: Role) =>
      (
        await call('GET', `/api/communities/${c}/invites?limit=100`, { token: role.token })
      ).json.data.map((invite: { code: string }) => invite.code)
    const today = new Date().toISOString().slice(0, 10)
    const compare = `/api/communities/${c}/stats/compare?links=${world.invite.id},${id}&from=${today}&to=${today}`

    const admin = roleNamed('community admin')
    expect(await linkCodes(admin)).toContain(code)
    for (const path of [`/api/invites/${id}`, `/api/invites/${id}/stats`, compare]) {
      expect(await apiRefusal(admin, 'GET', path), path).toBeNull()
    }
    expect((await page(`/admin/links/${id}`, admin.cookie)).status).toBe(200)

    // Rita's link is hers: what it brought is her referrals, which a group admin does not read.
    const groupAdmin = roleNamed('group admin')
    const listed = await linkCodes(groupAdmin)
    expect(listed).toContain(world.invite.code)
    expect(listed).not.toContain(code)
    expect(await apiRefusal(groupAdmin, 'GET', `/api/invites/${id}`)).toBe(403)
    expect(await apiRefusal(groupAdmin, 'GET', `/api/invites/${id}/stats`)).toBe(403)
    // The same answer for the link wherever it is asked for: it exists, and is not theirs to read.
    expect(await apiRefusal(groupAdmin, 'GET', compare)).toBe(403)
    expect((await page(`/admin/links/${id}`, groupAdmin.cookie)).status).toBe(403)
    expect((await page(`/admin/links/${id}/stats.csv`, groupAdmin.cookie)).status).toBe(403)
    expect(
      (
        await page(
          `/admin/communities/${c}/compare?links=${world.invite.id},${id}`,
          groupAdmin.cookie,
        )
      ).status,
    ).toBe(403)
    // The community's own campaign links stay theirs to read.
    expect(await apiRefusal(groupAdmin, 'GET', `/api/invites/${world.invite.id}/stats`)).toBeNull()
  })
})

describe('the dashboard shows each admin exactly what the API allows them', () => {
  it('never shows on any page what the API would not show the same token', async () => {
    const c = world.community.id
    const readable = [
      '/api/communities',
      `/api/communities/${c}`,
      `/api/communities/${c}/groups`,
      `/api/communities/${c}/admins`,
      `/api/communities/${c}/invites`,
      `/api/communities/${c}/stats`,
      `/api/communities/${c}/join-requests?status=pending`,
      `/api/communities/${c}/members`,
      `/api/communities/${c}/members.csv`,
      `/api/communities/${c}/leaderboard`,
      `/api/communities/${c}/rewards`,
      `/api/communities/${c}/reward-rules`,
      `/api/communities/${c}/announcements`,
      `/api/invites/${world.invite.id}`,
      `/api/invites/${world.invite.id}/stats`,
      '/api/webhooks',
      '/api/tokens',
    ]
    const pages = [
      '/admin',
      `/admin/communities/${c}`,
      `/admin/communities/${c}/settings`,
      '/admin/approvals',
      `/admin/communities/${c}/approvals`,
      `/admin/communities/${c}/members`,
      `/admin/communities/${c}/members.csv`,
      `/admin/communities/${c}/announcements`,
      `/admin/communities/${c}/compare?links=${world.invite.id},${world.invite.id}`,
      `/admin/links/${world.invite.id}`,
      '/admin/webhooks',
    ]
    for (const role of roles) {
      let api = ''
      for (const path of readable) {
        const response = await call('GET', path, { token: role.token })
        if (response.status === 200) api += response.text
      }
      let dashboard = ''
      for (const path of pages) {
        const response = await page(path, role.cookie)
        expect(response.status, `${role.name}: ${path}`).toBeLessThan(500)
        if (response.status === 200) dashboard += response.text
      }
      for (const needle of world.needles) {
        if (dashboard.includes(needle)) {
          expect(
            api,
            `${role.name} sees "${needle}" on the dashboard but not in the API`,
          ).toContain(needle)
        }
      }
    }
  }, 60_000)

  it('opens each page, and shows each section and tab, exactly when the API answers its request', async () => {
    const c = world.community.id
    const inv = world.invite.id
    const sameVisibility = { visibility: 'closed' }
    // A page and what is on it, each with the API request that shows the same thing.
    const walk: Array<{
      page: string
      api: [method: string, path: string, body?: unknown]
      sections: Array<{ marker: string; api: [method: string, path: string, body?: unknown] }>
    }> = [
      {
        page: '/admin',
        api: ['GET', '/api/communities'],
        sections: [
          {
            marker: 'action="/admin/communities"',
            api: [
              'POST',
              '/api/communities',
              { name: 'Probe', description: '', visibility: 'open' },
            ],
          },
          { marker: 'href="/admin/webhooks"', api: ['GET', '/api/webhooks'] },
        ],
      },
      {
        page: `/admin/communities/${c}`,
        api: ['GET', `/api/communities/${c}`],
        sections: [
          { marker: 'class="funnel"', api: ['GET', `/api/communities/${c}/stats`] },
          { marker: 'Poster at the bakery', api: ['GET', `/api/communities/${c}/invites`] },
          { marker: 'Access Trail group', api: ['GET', `/api/communities/${c}/groups`] },
          { marker: 'Rita Referrer', api: ['GET', `/api/communities/${c}/leaderboard`] },
          { marker: 'Free bakery shirt', api: ['GET', `/api/communities/${c}/rewards`] },
          {
            marker: `href="/admin/communities/${c}/approvals"`,
            api: ['GET', `/api/communities/${c}/join-requests`],
          },
          {
            marker: `href="/admin/communities/${c}/members"`,
            api: ['GET', `/api/communities/${c}/members`],
          },
          {
            marker: `href="/admin/communities/${c}/announcements"`,
            api: ['GET', `/api/communities/${c}/announcements`],
          },
          {
            marker: `href="/admin/communities/${c}/settings"`,
            api: ['GET', `/api/communities/${c}`],
          },
          {
            marker: 'class="pill"',
            api: ['GET', `/api/communities/${c}/join-requests`],
          },
        ],
      },
      {
        page: `/admin/communities/${c}/settings`,
        api: ['GET', `/api/communities/${c}`],
        sections: [
          {
            marker: `action="/admin/communities/${c}/settings"`,
            api: ['PATCH', `/api/communities/${c}`, sameVisibility],
          },
          { marker: 'Greta Group-Admin', api: ['GET', `/api/communities/${c}/admins`] },
          { marker: 'Access Trail group', api: ['GET', `/api/communities/${c}/groups`] },
        ],
      },
      {
        page: `/admin/communities/${c}/approvals`,
        api: ['GET', `/api/communities/${c}/join-requests`],
        sections: [
          { marker: 'Penny Pending', api: ['GET', `/api/communities/${c}/join-requests`] },
        ],
      },
      {
        page: `/admin/communities/${c}/members`,
        api: ['GET', `/api/communities/${c}/members`],
        sections: [
          { marker: 'Rita Referrer', api: ['GET', `/api/communities/${c}/members`] },
          {
            marker: `href="/admin/communities/${c}/members.csv"`,
            api: ['GET', `/api/communities/${c}/members.csv`],
          },
        ],
      },
      {
        page: `/admin/communities/${c}/members.csv`,
        api: ['GET', `/api/communities/${c}/members.csv`],
        sections: [],
      },
      {
        page: `/admin/communities/${c}/announcements`,
        api: ['GET', `/api/communities/${c}/announcements`],
        sections: [
          {
            marker: 'Hello from the access test',
            api: ['GET', `/api/communities/${c}/announcements`],
          },
        ],
      },
      {
        page: `/admin/links/${inv}`,
        api: ['GET', `/api/invites/${inv}`],
        sections: [{ marker: 'class="funnel"', api: ['GET', `/api/invites/${inv}/stats`] }],
      },
      {
        page: '/admin/webhooks',
        api: ['GET', '/api/webhooks'],
        sections: [],
      },
    ]
    for (const role of roles) {
      for (const { page: path, api, sections } of walk) {
        const shown = await page(path, role.cookie)
        // Refused as the API refuses: hidden (404) or forbidden (403), the same way.
        const refusal = await apiRefusal(role, ...api)
        expect(shown.status, `${role.name} opens ${path}`).toBe(refusal ?? 200)
        for (const section of sections) {
          expect(
            shown.status === 200 && shown.text.includes(section.marker),
            `${role.name} sees ${section.marker} on ${path}`,
          ).toBe(await apiAllows(role, ...section.api))
        }
      }
      // Webhook endpoints are listed for whoever may manage them: the same ones as in the API.
      const hooks = await page('/admin/webhooks', role.cookie)
      expect(
        hooks.status === 200 && hooks.text.includes('hooks.example.com/access-bakery'),
        `${role.name} sees the community's webhook endpoint`,
      ).toBe(await apiShows(role, '/api/webhooks', 'hooks.example.com/access-bakery'))
    }
  }, 60_000)

  it('offers each form, and carries it out, exactly when the API lets the same token do it', async () => {
    const c = world.community.id
    /** Fresh things to act on, one set for the dashboard and one for the API. */
    async function fixture() {
      const invite = await createInvite(c, { label: 'Throwaway link' })
      const pending = await joinJson(invite.code, {
        name: 'Throwaway Request',
        phone: newPhone(),
        answers: ['x'],
      })
      const member = await approve(
        (
          await joinJson(invite.code, {
            name: 'Throwaway Member',
            phone: newPhone(),
            answers: ['y'],
          })
        ).json.joinRequestId,
      )
      const announcement = await call('POST', `/api/communities/${c}/announcements`, {
        body: { body: 'Throwaway announcement', sendAt: '2031-02-01T10:00:00Z' },
      })
      // Another to cancel: one sent now starts sending at once, and is no longer cancelled.
      const later = await call('POST', `/api/communities/${c}/announcements`, {
        body: { body: 'Throwaway announcement to cancel', sendAt: '2031-02-01T10:00:00Z' },
      })
      const admin = await createToken({ role: 'group_admin', groupId: world.group.id })
      return {
        invite: invite.id,
        request: pending.json.joinRequestId as string,
        member: member.memberId,
        announcement: announcement.json.id as string,
        later: later.json.id as string,
        admin: admin.id,
      }
    }
    type Fixture = Awaited<ReturnType<typeof fixture>>
    const hook = {
      url: 'https://hooks.example.com/from-the-walk',
      events: ['member.joined'],
      communityId: c,
    }
    const actions: Array<{
      name: string
      page: (f: Fixture) => string
      form: (f: Fixture) => string
      /** What else on the page shows the form acts on this community. */
      offer?: string
      fields: Record<string, string | string[]>
      api: (f: Fixture) => [method: string, path: string, body?: unknown]
    }> = [
      {
        name: 'create a community',
        page: () => '/admin',
        form: () => '/admin/communities',
        fields: { name: 'Made in the walk', description: 'x', visibility: 'open' },
        api: () => [
          'POST',
          '/api/communities',
          { name: 'Made in the walk', description: 'x', visibility: 'open' },
        ],
      },
      {
        name: 'edit the community',
        page: () => `/admin/communities/${c}/settings`,
        form: () => `/admin/communities/${c}/settings`,
        fields: {
          name: world.community.name,
          description: 'A test community',
          visibility: 'closed',
          joinQuestions: 'What brings you here',
        },
        api: () => ['PATCH', `/api/communities/${c}`, { visibility: 'closed' }],
      },
      {
        name: 'promote a group admin',
        page: () => `/admin/communities/${c}/settings`,
        form: (f) => `/admin/communities/${c}/admins/${f.admin}/promote`,
        fields: {},
        api: (f) => ['POST', `/api/communities/${c}/admins/${f.admin}/promote`],
      },
      {
        name: 'create a link',
        page: () => `/admin/communities/${c}`,
        form: () => `/admin/communities/${c}/links`,
        fields: { label: 'Walk link' },
        api: () => ['POST', `/api/communities/${c}/invites`, { label: 'Walk link' }],
      },
      {
        name: 'rotate a link',
        page: (f) => `/admin/links/${f.invite}`,
        form: (f) => `/admin/links/${f.invite}/rotate`,
        fields: {},
        api: (f) => ['POST', `/api/invites/${f.invite}/rotate`],
      },
      {
        name: 'revoke a link',
        page: (f) => `/admin/links/${f.invite}`,
        form: (f) => `/admin/links/${f.invite}/revoke`,
        fields: {},
        api: (f) => ['POST', `/api/invites/${f.invite}/revoke`],
      },
      {
        name: 'decide a join request',
        page: () => `/admin/communities/${c}/approvals`,
        form: () => `/admin/communities/${c}/approvals`,
        fields: { only: 'approve:REQUEST' },
        api: (f) => ['POST', `/api/join-requests/${f.request}/approve`],
      },
      {
        name: 'decide a join request on the page across communities',
        page: () => '/admin/approvals',
        form: () => '/admin/approvals',
        fields: { only: 'approve:REQUEST' },
        api: (f) => ['POST', `/api/join-requests/${f.request}/approve`],
      },
      {
        name: 'remove a member',
        page: () => `/admin/communities/${c}/members`,
        form: (f) => `/admin/members/${f.member}/remove`,
        fields: {},
        api: (f) => ['DELETE', `/api/members/${f.member}`],
      },
      {
        name: 'schedule an announcement',
        page: () => `/admin/communities/${c}/announcements`,
        form: () => `/admin/communities/${c}/announcements`,
        fields: { body: 'Walk news', sendAt: '2031-03-01T10:00', timezone: 'Europe/Berlin' },
        api: () => [
          'POST',
          `/api/communities/${c}/announcements`,
          { body: 'Walk news', sendAt: '2031-03-01T10:00:00Z' },
        ],
      },
      {
        name: 'send an announcement now',
        page: () => `/admin/communities/${c}/announcements`,
        form: (f) => `/admin/announcements/${f.announcement}/send-now`,
        fields: {},
        api: (f) => ['POST', `/api/announcements/${f.announcement}/send-now`],
      },
      {
        name: 'cancel an announcement',
        page: () => `/admin/communities/${c}/announcements`,
        form: (f) => `/admin/announcements/${f.later}/cancel`,
        fields: {},
        api: (f) => ['POST', `/api/announcements/${f.later}/cancel`],
      },
      {
        name: 'add a webhook endpoint',
        page: () => '/admin/webhooks',
        form: () => '/admin/webhooks',
        offer: `<option value="${c}">`,
        fields: { url: hook.url, communityId: c, events: hook.events },
        api: () => ['POST', '/api/webhooks', hook],
      },
    ]
    for (const role of roles) {
      const [forDashboard, forApi] = [await fixture(), await fixture()]
      for (const action of actions) {
        const refusal = await apiRefusal(role, ...action.api(forApi))
        const allowed = refusal === null
        const shown = await page(action.page(forDashboard), role.cookie)
        const offered =
          shown.status === 200 &&
          shown.text.includes(`action="${action.form(forDashboard)}"`) &&
          shown.text.includes(action.offer ?? '')
        expect(offered, `${role.name} is offered to ${action.name}`).toBe(allowed)
        const fields = Object.fromEntries(
          Object.entries(action.fields).map(([key, value]) => [
            key,
            typeof value === 'string' ? value.replace('REQUEST', forDashboard.request) : value,
          ]),
        )
        const done = await post(action.form(forDashboard), role.cookie, {
          _csrf: role.csrf,
          ...fields,
        })
        expect(done.status, `${role.name} can ${action.name}: ${done.text}`).toBeLessThan(500)
        if (refusal) expect(done.status, `${role.name} can ${action.name}`).toBe(refusal)
        else expect([403, 404], `${role.name} can ${action.name}`).not.toContain(done.status)
      }
    }
  }, 120_000)
})
