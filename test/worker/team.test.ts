import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { confirm, csrfOf, page, post, sessionOf, shownLink, signIn } from './dashboard-helpers'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createToken,
  eventually,
  expectProblem,
  query,
} from './helpers'

/** Opens a sign-in link as the teammate's browser does: the confirmation page. */
function open(url: string) {
  return call('GET', new URL(url).pathname, {
    token: null,
    headers: { accept: 'text/html', 'accept-language': 'en' },
  })
}

async function inviteThroughDashboard(
  communityId: string,
  fields: Record<string, string>,
  cookie?: string,
) {
  const session = cookie ?? (await signIn()).cookie
  const team = await page(`/admin/communities/${communityId}/team`, session)
  expect(team.status, team.text.slice(0, 300)).toBe(200)
  const answer = await post(`/admin/communities/${communityId}/team/invitations`, session, {
    _csrf: csrfOf(team.text),
    ...fields,
  })
  return { answer, session }
}

describe('inviting a teammate with a one-time sign-in link', () => {
  it('signs the teammate in without a token ever shown, and only once', async () => {
    const community = await createCommunity()
    const { answer, session } = await inviteThroughDashboard(community.id, {
      name: 'Ana (ana@example.org)',
      role: 'community_admin',
    })
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    const url = shownLink(answer.text)
    expect(url).toMatch(new RegExp(`^${BASE}/admin/accept/[A-Za-z0-9_-]{43}$`))
    // Only the hash of the link's secret is stored.
    const secret = url.split('/').pop()!
    const stored = await query(
      'select * from team_invitations where community_id = ?',
      community.id,
    )
    expect(JSON.stringify(stored)).not.toContain(secret)

    // The pending link is listed, without its secret.
    const team = await page(`/admin/communities/${community.id}/team`, session)
    expect(team.text).toContain('Ana (ana@example.org)')
    expect(team.text).not.toContain(secret)

    // Opening the link (as a mail client's link scanner would) uses nothing up.
    for (let i = 0; i < 2; i++) {
      const confirmation = await open(url)
      expect(confirmation.status).toBe(200)
      expect(confirmation.text).toContain(community.name)
      expect(confirmation.text).toContain('Community admin')
    }
    const accepted = await confirm(url)
    expect(accepted.status, accepted.text.slice(0, 300)).toBe(303)
    expect(accepted.headers.get('location')).toBe(`/admin/communities/${community.id}`)
    const cookie = sessionOf(accepted)
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    expect(overview.status).toBe(200)
    expect(overview.text).toContain('Ana (ana@example.org)')
    // A community admin now: the settings, the team, the community's own pages.
    expect((await page(`/admin/communities/${community.id}/team`, cookie)).status).toBe(200)

    // Used: a second try, and the page itself, say it no longer works.
    expect((await confirm(url)).status).toBe(410)
    const again = await open(url)
    expect(again.status).toBe(410)
    expect(again.text).toContain('no longer works')

    // The teammate is on the team, no longer among the pending links.
    const listed = await call('GET', `/api/communities/${community.id}/team`)
    expect(listed.json.data).toEqual([
      expect.objectContaining({ name: 'Ana (ana@example.org)', role: 'community_admin' }),
    ])
    const pending = await call('GET', `/api/communities/${community.id}/team-invitations`)
    expect(pending.json.data).toEqual([])
  })

  it('two browsers confirming the same link at once get one session between them', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Twice', role: 'community_admin' },
    })
    expect(created.status, created.text).toBe(201)
    const answers = await Promise.all([confirm(created.json.url), confirm(created.json.url)])
    expect(answers.map((a) => a.status).sort()).toEqual([303, 410])
    const tokens = await query('select * from api_tokens where community_id = ?', community.id)
    expect(tokens).toHaveLength(1)
  })

  it('makes a group admin of the group chosen, who sees no team', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const created = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Ben', role: 'group_admin', groupId: group.id },
    })
    expect(created.status, created.text).toBe(201)
    // While it waits, the team page says for which group.
    const { cookie: owner } = await signIn()
    const pending = (await page(`/admin/communities/${community.id}/team`, owner)).text
    const waiting = pending.slice(pending.indexOf('<bdi>Ben</bdi>'))
    expect(waiting).toMatch(
      new RegExp(`^[^]*?Group admin<span class="muted"> · <bdi>${group.name}</bdi>`),
    )
    const accepted = await confirm(created.json.url)
    expect(accepted.status).toBe(303)
    const cookie = sessionOf(accepted)
    const [token] = await query<{ role: string; group_id: string }>(
      'select role, group_id from api_tokens where community_id = ?',
      community.id,
    )
    expect(token).toMatchObject({ role: 'group_admin', group_id: group.id })
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    expect(overview.status).toBe(200)
    expect(overview.text).not.toContain(`/admin/communities/${community.id}/team"`)
    expect(overview.text).not.toContain(`/admin/communities/${community.id}/audit"`)
    expect((await page(`/admin/communities/${community.id}/team`, cookie)).status).toBe(403)
  })

  it('refuses a group admin without a group, or with another community’s, and writes nothing', async () => {
    const community = await createCommunity()
    const elsewhere = await createGroup((await createCommunity()).id)
    const { answer } = await inviteThroughDashboard(community.id, {
      name: 'Cleo',
      role: 'group_admin',
    })
    expect(answer.status).toBe(400)
    expect(answer.text).toContain('Choose a group for a group admin.')
    expect(answer.text).toContain('value="Cleo"')
    const crafted = await inviteThroughDashboard(community.id, {
      name: 'Cleo',
      role: 'group_admin',
      groupId: elsewhere.id,
    })
    expect(crafted.answer.status).toBe(400)
    const api = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Cleo', role: 'group_admin', groupId: elsewhere.id },
    })
    expectProblem(api, 400, 'validation_failed')
    const rows = await query('select id from team_invitations where community_id = ?', community.id)
    expect(rows).toEqual([])
  })

  it('an expired link no longer works', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Late', role: 'community_admin' },
    })
    expect(Date.parse(created.json.expiresAt) - Date.now()).toBeGreaterThan(71 * 3600_000)
    await env.DB.prepare('update team_invitations set expires_at = ? where id = ?')
      .bind(Date.now() - 1000, created.json.id)
      .run()
    expect((await open(created.json.url)).status).toBe(410)
    expect((await confirm(created.json.url)).status).toBe(410)
    const pending = await call('GET', `/api/communities/${community.id}/team-invitations`)
    expect(pending.json.data).toEqual([])
  })

  it('a revoked link no longer works, in the API and the dashboard', async () => {
    const community = await createCommunity()
    const viaApi = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Revoked by API', role: 'community_admin' },
    })
    expect((await call('DELETE', `/api/team-invitations/${viaApi.json.id}`)).status).toBe(204)
    expect((await open(viaApi.json.url)).status).toBe(410)
    expectProblem(await call('DELETE', `/api/team-invitations/${viaApi.json.id}`), 404, 'not_found')

    const { answer, session } = await inviteThroughDashboard(community.id, {
      name: 'Revoked here',
      role: 'community_admin',
    })
    const url = shownLink(answer.text)
    const [row] = await query<{ id: string }>(
      "select id from team_invitations where name = 'Revoked here'",
    )
    const revoked = await post(
      `/admin/communities/${community.id}/team/invitations/${row!.id}/revoke`,
      session,
      { _csrf: csrfOf(answer.text) },
    )
    expect(revoked.status).toBe(200)
    expect(revoked.text).toContain('The sign-in link is revoked.')
    expect((await confirm(url)).status).toBe(410)
  })

  it('another community’s admin sees and revokes none of it', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Private', role: 'community_admin' },
    })
    const outsider = await createToken({ role: 'community_admin', communityId: other.id })
    const lead = await createToken({
      role: 'group_admin',
      groupId: (await createGroup(community.id)).id,
    })
    // Another community's admin learns nothing (404, as for ids that do not exist); the group
    // admin sees the community but may not manage its team (403).
    for (const [token, status, code] of [
      [outsider.token, 404, 'not_found'],
      [lead.token, 403, 'forbidden'],
    ] as const) {
      for (const path of ['team-invitations', 'team', 'audit-log']) {
        expectProblem(
          await call('GET', `/api/communities/${community.id}/${path}`, { token }),
          status,
          code,
        )
      }
      expectProblem(
        await call('POST', `/api/communities/${community.id}/team-invitations`, {
          token,
          body: { name: 'Sneaky', role: 'community_admin' },
        }),
        status,
        code,
      )
      expectProblem(
        await call('DELETE', `/api/team-invitations/${created.json.id}`, { token }),
        status,
        code,
      )
    }
    expect((await open(created.json.url)).status).toBe(200)
  })
})

describe('who has access', () => {
  it('shows when a token was last used, written once a minute at most', async () => {
    const community = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const before = await call('GET', `/api/communities/${community.id}/team`)
    expect(before.json.data[0].lastUsedAt).toBeNull()
    const used = await call('GET', `/api/communities/${community.id}`, { token: admin.token })
    expect(used.status).toBe(200)
    const lastUsed = await eventually(async () => {
      const after = await call('GET', `/api/communities/${community.id}/team`)
      expect(after.json.data[0].lastUsedAt).not.toBeNull()
      return after.json.data[0].lastUsedAt as string
    })
    // Within the minute, further requests leave it as it is.
    await call('GET', `/api/communities/${community.id}`, { token: admin.token })
    await call('GET', `/api/communities/${community.id}`, { token: admin.token })
    const later = await call('GET', `/api/communities/${community.id}/team`)
    expect(later.json.data[0].lastUsedAt).toBe(lastUsed)

    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    expect(team.text).toContain('test token')
    expect(team.text).not.toContain('>never<')
  })

  it('revoking a teammate ends their sessions at once', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/team-invitations`, {
      body: { name: 'Leaving', role: 'community_admin' },
    })
    const accepted = await confirm(created.json.url)
    const theirs = sessionOf(accepted)
    expect((await page(`/admin/communities/${community.id}`, theirs)).status).toBe(200)

    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const [token] = await query<{ id: string }>(
      'select id from api_tokens where community_id = ?',
      community.id,
    )
    const revoked = await post(
      `/admin/communities/${community.id}/team/${token!.id}/revoke`,
      cookie,
      { _csrf: csrfOf(team.text) },
    )
    expect(revoked.status).toBe(200)
    expect(revoked.text).toContain('The access is revoked')
    expect(revoked.text).not.toContain('Leaving')
    const after = await page(`/admin/communities/${community.id}`, theirs)
    expect(after.status).toBe(303)
    expect(after.headers.get('location')).toMatch(/^\/admin\/login/)
  })

  it('links an admin made stop working once the admin is removed or demoted', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    /** An admin of the community who makes a sign-in link for a new admin, and keeps it. */
    async function adminWithLink() {
      const admin = await createToken({ role: 'community_admin', communityId: community.id })
      const { cookie } = await signIn(admin.token)
      const { answer } = await inviteThroughDashboard(
        community.id,
        { name: 'Way back in', role: 'community_admin' },
        cookie,
      )
      expect(answer.status, answer.text.slice(0, 300)).toBe(200)
      return { admin, url: shownLink(answer.text) }
    }
    const removed = await adminWithLink()
    const demoted = await adminWithLink()
    const kept = await adminWithLink()
    expect((await call('DELETE', `/api/tokens/${removed.admin.id}`)).status).toBe(204)
    const demotion = await call(
      'POST',
      `/api/communities/${community.id}/admins/${demoted.admin.id}/demote`,
      { body: { groupId: group.id } },
    )
    expect(demotion.status, demotion.text).toBe(200)
    for (const { url } of [removed, demoted]) {
      expect((await open(url)).status).toBe(410)
      expect((await confirm(url)).status).toBe(410)
    }
    const pending = await call('GET', `/api/communities/${community.id}/team-invitations`)
    expect(pending.json.data).toHaveLength(1)
    // The link of an admin still on the team works as before.
    const accepted = await confirm(kept.url)
    expect(accepted.status).toBe(303)
    expect(
      await query(
        "select id from api_tokens where community_id = ? and name = 'Way back in'",
        community.id,
      ),
    ).toHaveLength(1)
  })

  it('gives a teammate a fresh sign-in link to the same access', async () => {
    const community = await createCommunity()
    const admin = await createToken({
      name: 'Returning',
      role: 'community_admin',
      communityId: community.id,
    })
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const fresh = await post(`/admin/communities/${community.id}/team/${admin.id}/link`, cookie, {
      _csrf: csrfOf(team.text),
    })
    expect(fresh.status).toBe(200)
    const accepted = await confirm(shownLink(fresh.text))
    expect(accepted.status).toBe(303)
    const theirs = sessionOf(accepted)
    const overview = await page(`/admin/communities/${community.id}`, theirs)
    expect(overview.text).toContain('Returning')
    const tokens = await query('select id from api_tokens where community_id = ?', community.id)
    expect(tokens).toHaveLength(1)
  })
})

describe('adding a group from the dashboard', () => {
  it('adds it with the API’s rules, and keeps a refused form filled in', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    const refused = await post(`/admin/communities/${community.id}/groups`, cookie, {
      _csrf: csrfOf(settings.text),
      name: 'Trail runs',
      chatInviteUrl: 'https://evil.example.com/x',
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('chat.whatsapp.com')
    expect(refused.text).toContain('value="Trail runs"')
    const added = await post(`/admin/communities/${community.id}/groups`, cookie, {
      _csrf: csrfOf(settings.text),
      name: 'Trail runs',
    })
    expect(added.status).toBe(303)
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    expect(groups.json.data.map((g: { name: string }) => g.name)).toContain('Trail runs')
  })

  it('sets, changes and removes where joining a group leads, the announcement group’s too', async () => {
    const community = await createCommunity()
    const trail = await createGroup(community.id, { name: 'Trail runs' })
    const groupsOf = async () =>
      (await call('GET', `/api/communities/${community.id}/groups`)).json.data as Array<{
        id: string
        kind: string
        chatInviteUrl: string | null
      }>
    const announcement = (await groupsOf()).find((g) => g.kind === 'announcement')!
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings?lang=en`, cookie)
    expect(settings.text).toContain('Edit groups')
    expect(settings.text).toContain(`action="/admin/groups/${announcement.id}/chat-link?lang=en"`)
    // Its link only: the dashboard and the invite page name it by its role, in each language.
    expect(settings.text).not.toContain(`id="group-name-${announcement.id}"`)
    expect(settings.text).not.toContain(`id="group-description-${announcement.id}"`)
    const setLink = (groupId: string, chatInviteUrl: string, as = cookie) =>
      post(`/admin/groups/${groupId}/chat-link?lang=en`, as, {
        _csrf: csrfOf(settings.text),
        chatInviteUrl,
      })

    const refused = await setLink(announcement.id, 'https://evil.example.com/x')
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('Chat invite links may point to')
    expect(refused.text).toContain('value="https://evil.example.com/x"')
    expect((await groupsOf()).find((g) => g.id === announcement.id)!.chatInviteUrl).toBeNull()

    const chat = 'https://chat.whatsapp.com/AnnouncementsOfTheRunners'
    const saved = await setLink(announcement.id, chat)
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe(
      `/admin/communities/${community.id}/settings?done=saved&lang=en`,
    )
    expect((await groupsOf()).find((g) => g.id === announcement.id)!.chatInviteUrl).toBe(chat)
    expect((await page(`/admin/communities/${community.id}/settings`, cookie)).text).toContain(
      `value="${chat}"`,
    )
    expect((await setLink(announcement.id, '')).status).toBe(303)
    expect((await groupsOf()).find((g) => g.id === announcement.id)!.chatInviteUrl).toBeNull()

    // A group admin changes their own group's, and no other.
    const admin = await createToken({ role: 'group_admin', groupId: trail.id })
    const theirs = (await signIn(admin.token)).cookie
    const theirSettings = await page(`/admin/communities/${community.id}/settings`, theirs)
    expect(theirSettings.text).toContain(`/admin/groups/${trail.id}/chat-link`)
    expect(theirSettings.text).not.toContain(`/admin/groups/${announcement.id}/chat-link`)
    const own = await post(`/admin/groups/${trail.id}/chat-link`, theirs, {
      _csrf: csrfOf(theirSettings.text),
      chatInviteUrl: 'https://chat.whatsapp.com/TrailRunnersChat',
    })
    expect(own.status).toBe(303)
    const other = await post(`/admin/groups/${announcement.id}/chat-link`, theirs, {
      _csrf: csrfOf(theirSettings.text),
      chatInviteUrl: 'https://chat.whatsapp.com/Hijacked',
    })
    expect(other.status).toBe(403)
    expect((await groupsOf()).find((g) => g.id === announcement.id)!.chatInviteUrl).toBeNull()
  })
})

describe('editing a group from the dashboard', () => {
  it('renames and describes it with the API’s rules; nothing refused or unchanged is written', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { name: 'Hill repeats' })
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(settings.text).toContain('Name of <bdi>Hill repeats</bdi>')
    const [action, csrf] = [`/admin/groups/${group.id}/chat-link`, csrfOf(settings.text)]
    const edit = (fields: Record<string, string>, headers = {}) =>
      post(action, cookie, { _csrf: csrf, chatInviteUrl: '', ...fields }, headers)
    const stored = async () =>
      (await query('select name, description, updated_at from groups where id = ?', group.id))[0]
    const described = { name: 'Hill sprints', description: 'Tuesdays in the park' }
    expect((await edit(described)).status).toBe(303)
    for (const path of ['/settings', '']) {
      const shown = await page(`/admin/communities/${community.id}${path}`, cookie)
      expect(shown.text).toContain('<td data-label="Group"><bdi>Hill sprints</bdi></td>')
      if (path) expect(shown.text).toContain('>\nTuesdays in the park</textarea>')
    }
    const written = await stored()
    expect(written).toMatchObject(described)
    expect((await edit(described)).status).toBe(303)
    expect(await stored()).toEqual(written)

    for (const [name, message] of [
      ['', 'Please fill this in.'],
      ['x'.repeat(101), 'At most 100 characters.'],
    ]) {
      const refused = await edit({ name: name!, description: 'Typed, not saved' })
      expect(refused.status).toBe(400)
      expect(refused.text).toContain(`<a href="#group-name-${group.id}">${message}</a>`)
      expect(refused.text).toContain(`<p id="group-${group.id}-name-error" class="err">${message}`)
      expect(refused.text).toMatch(
        new RegExp(`id="group-name-${group.id}"[^>]*value="${name}"[^>]*aria-invalid="true"`),
      )
      expect(refused.text).toContain('>\nTyped, not saved</textarea>')
    }
    // Only from the dashboard's own pages, with the session's form token.
    expect((await edit({ name: 'Forged' }, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await post(action, cookie, { name: 'Forged' })).status).toBe(403)
    expect(await stored()).toEqual(written)
  })

  it('lets a group admin edit their own group, and no other', async () => {
    const community = await createCommunity()
    const own = await createGroup(community.id, { name: 'Track nights' })
    const other = await createGroup(community.id, { name: 'Trail days' })
    const admin = await createToken({ role: 'group_admin', groupId: own.id })
    const { cookie } = await signIn(admin.token)
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(settings.text).toContain(`id="group-name-${own.id}"`)
    expect(settings.text).not.toContain(`id="group-name-${other.id}"`)
    const rename = (groupId: string) =>
      post(`/admin/groups/${groupId}/chat-link`, cookie, {
        _csrf: csrfOf(settings.text),
        name: 'Renamed by their admin',
      })
    expect((await rename(own.id)).status).toBe(303)
    expect((await rename(other.id)).status).toBe(403)
    expect((await call('GET', `/api/groups/${own.id}`)).json.name).toBe('Renamed by their admin')
    expect((await call('GET', `/api/groups/${other.id}`)).json.name).toBe('Trail days')
  })
})
