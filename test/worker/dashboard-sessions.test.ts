import { describe, expect, it } from 'vitest'
import { dashboardApp } from '../../src/pages/dashboard/index'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  OWNER_TOKEN,
  query,
  joinAsMember,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

async function signedIn(cookie: string) {
  const response = await page('/admin', cookie)
  return response.status === 200
}

async function sessionCount(tokenId: string) {
  const [row] = await query<{ n: number }>(
    'select count(*) as n from sessions where token_id = ?',
    tokenId,
  )
  return row!.n
}

describe('dashboard sessions end on the server', () => {
  it('stores only a hash of the session id', async () => {
    const token = await createToken({ role: 'owner', name: 'Hash check' })
    const { cookie } = await signIn(token.token)
    const id = cookie.split('=')[1]!
    const rows = await query<{ id_hash: string }>(
      'select id_hash from sessions where token_id = ?',
      token.id,
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.id_hash).not.toContain(id)
    expect(JSON.stringify(await query('select * from sessions'))).not.toContain(id)
  })

  it('a copied cookie stops working once its session signs out', async () => {
    const { cookie } = await signIn()
    const copied = cookie
    expect(await signedIn(copied)).toBe(true)
    const home = await page('/admin', cookie)
    const out = await post('/admin/logout', cookie, { _csrf: csrfOf(home.text) })
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toMatch(/cg_session=;/)
    // The sign-in page it leads to says so.
    const signInPage = await call('GET', out.headers.get('location')!, {
      token: null,
      headers: { accept: 'text/html', 'accept-language': 'en' },
    })
    expect(signInPage.text).toContain('You are signed out.')
    const replayed = await page('/admin', copied)
    expect(replayed.status).toBe(303)
    expect(replayed.headers.get('location')).toBe('/admin/login?next=%2Fadmin')
  })

  it('revoking a token ends all of its sessions', async () => {
    const token = await createToken({ role: 'owner', name: 'Revoked soon' })
    const laptop = await signIn(token.token)
    const phone = await signIn(token.token)
    expect(await sessionCount(token.id)).toBe(2)
    expect(await call('DELETE', `/api/tokens/${token.id}`)).toMatchObject({ status: 204 })
    expect(await signedIn(laptop.cookie)).toBe(false)
    expect(await signedIn(phone.cookie)).toBe(false)
    expect(await sessionCount(token.id)).toBe(0)
  })

  it('"sign out everywhere" ends every session of the token, and only of that token', async () => {
    const community = await createCommunity()
    const token = await createToken({ role: 'community_admin', communityId: community.id })
    const other = await createToken({ role: 'community_admin', communityId: community.id })
    const [laptop, phone, tablet] = [
      await signIn(token.token),
      await signIn(token.token),
      await signIn(token.token),
    ]
    const colleague = await signIn(other.token)
    const home = await page('/admin', laptop.cookie)
    expect(home.text).toContain('action="/admin/logout-everywhere"')
    expect(home.text).toContain('Sign out everywhere')
    const out = await post('/admin/logout-everywhere', laptop.cookie, { _csrf: csrfOf(home.text) })
    expect(out.status).toBe(303)
    for (const session of [laptop, phone, tablet])
      expect(await signedIn(session.cookie)).toBe(false)
    expect(await signedIn(colleague.cookie)).toBe(true)
    expect(await sessionCount(token.id)).toBe(0)
  })

  it('"sign out everywhere" ends the bootstrap owner’s sessions too', async () => {
    const first = await signIn(OWNER_TOKEN)
    const second = await signIn(OWNER_TOKEN)
    const home = await page('/admin', first.cookie)
    await post('/admin/logout-everywhere', first.cookie, { _csrf: csrfOf(home.text) })
    expect(await signedIn(first.cookie)).toBe(false)
    expect(await signedIn(second.cookie)).toBe(false)
  })

  it('sessions still expire after 8 hours', async () => {
    const token = await createToken({ role: 'owner', name: 'Expires' })
    const { cookie, response } = await signIn(token.token)
    expect(response.headers.get('set-cookie')).toMatch(/Max-Age=28800/)
    const [row] = await query<{ created_at: number; expires_at: number }>(
      'select created_at, expires_at from sessions where token_id = ?',
      token.id,
    )
    expect(row!.expires_at - row!.created_at).toBe(8 * 3600_000)
    expect(await signedIn(cookie)).toBe(true)
    await query('update sessions set expires_at = ? where token_id = ?', Date.now() - 1, token.id)
    expect(await signedIn(cookie)).toBe(false)
  })

  it('a new sign-in in the same browser ends the session it had', async () => {
    const token = await createToken({ role: 'owner', name: 'Twice' })
    const before = await signIn(token.token)
    const again = await call('POST', '/admin/login', {
      token: null,
      rawBody: new URLSearchParams({ token: token.token }).toString(),
      headers: {
        cookie: before.cookie,
        'content-type': 'application/x-www-form-urlencoded',
        origin: BASE,
      },
    })
    expect(again.status).toBe(303)
    expect(await signedIn(before.cookie)).toBe(false)
    expect(await sessionCount(token.id)).toBe(1)
  })
})

describe('no dashboard request is accepted from another website', () => {
  const evil = { origin: 'https://evil.example' }

  it('refuses a sign-in sent from another site, with a friendly page and no session', async () => {
    const token = await createToken({ role: 'owner', name: 'Login CSRF victim' })
    for (const headers of [
      evil as Record<string, string>,
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: BASE, 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
      {},
    ]) {
      const response = await call('POST', '/admin/login', {
        token: null,
        rawBody: new URLSearchParams({ token: token.token }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
          'accept-language': 'en',
          ...headers,
        },
      })
      expect(response.status, JSON.stringify(headers)).toBe(403)
      expect(response.headers.get('content-type')).toContain('text/html')
      expect(response.text).toContain('Sent from another website')
      expect(response.headers.get('set-cookie')).toBeNull()
    }
    expect(await sessionCount(token.id)).toBe(0)
  })

  it('accepts a sign-in from its own pages', async () => {
    const sameOrigin: Record<string, string>[] = [
      { origin: BASE },
      { 'sec-fetch-site': 'same-origin' },
    ]
    for (const headers of sameOrigin) {
      const response = await call('POST', '/admin/login', {
        token: null,
        rawBody: new URLSearchParams({ token: OWNER_TOKEN }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/admin')
    }
  })

  it('refuses every state-changing dashboard request from another site, and changes nothing', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id)
    const pending = await joinJson(invite.code, { name: 'Forged Approval', phone: newPhone() })
    const admin = await createToken({ role: 'group_admin', groupId: group.id })
    const member = await joinAsMember((await createInvite((await createCommunity()).id)).code, {
      name: 'Forged Removal',
      phone: newPhone(),
    })
    const announcement = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Forged send', sendAt: '2031-01-01T10:00:00Z' },
    })
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 3, title: 'Forged retirement' },
    })
    const ids: Record<string, string> = {
      communities: community.id,
      groups: group.id,
      links: invite.id,
      members: member.json.memberId,
      announcements: announcement.json.id,
      admins: admin.id,
    }
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const before = JSON.stringify(
      await query(
        `select (select count(*) from communities) as c, (select count(*) from invites) as i,
          (select count(*) from announcements) as a, (select count(*) from webhook_endpoints) as w,
          (select count(*) from sessions) as s,
          (select count(*) from reward_rules where retired_at is null) as r`,
      ),
    )

    // Every POST route the dashboard has, found from its router: a new one is covered too.
    const routes = dashboardApp.routes.filter((route) => route.method === 'POST')
    expect(routes.length).toBeGreaterThanOrEqual(15)
    for (const route of routes) {
      // `/admin/<kind>/:id/...`: the id of a real thing of that kind.
      const path = route.path
        .replace(/\/admin\/(\w+)\/:id/, (_, kind: string) => `/admin/${kind}/${ids[kind]}`)
        .replace(':tokenId', admin.id)
        .replace(':runId', 'dsp_00000000000000000000000000')
        .replace(':eventId', 'evt_00000000000000000000000000')
        .replace(':invitationId', 'tin_00000000000000000000000000')
        .replace(':ruleId', rule.json.id)
        .replace(':requestId', pending.json.joinRequestId)
        .replace(':secret', 'a-sign-in-link-secret-that-is-not-there-000')
      expect(path, route.path).not.toContain(':')
      for (const headers of [evil, { ...evil, 'sec-fetch-site': 'cross-site' }]) {
        const response = await post(
          path,
          cookie,
          {
            _csrf: csrf,
            token: OWNER_TOKEN,
            name: 'Forged',
            description: 'Forged',
            visibility: 'open',
            label: 'Forged',
            only: `approve:${pending.json.joinRequestId}`,
            body: 'Forged',
            sendAt: '2031-01-01T10:00',
            url: 'https://evil.example/hook',
            events: 'member.joined',
          },
          headers,
        )
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403)
        expect(response.text).toContain('Sent from another website')
      }
    }
    const after = JSON.stringify(
      await query(
        `select (select count(*) from communities) as c, (select count(*) from invites) as i,
          (select count(*) from announcements) as a, (select count(*) from webhook_endpoints) as w,
          (select count(*) from sessions) as s,
          (select count(*) from reward_rules where retired_at is null) as r`,
      ),
    )
    expect(after).toBe(before)
    expect(
      await query('select status from join_requests where id = ?', pending.json.joinRequestId),
    ).toEqual([{ status: 'pending' }])
    expect(await query('select revoked_at from invites where id = ?', invite.id)).toEqual([
      { revoked_at: null },
    ])
    expect(await query('select status from members where id = ?', member.json.memberId)).toEqual([
      { status: 'active' },
    ])
    expect(await query('select role from api_tokens where id = ?', admin.id)).toEqual([
      { role: 'group_admin' },
    ])
    expect(await signedIn(cookie)).toBe(true)
  })
})
