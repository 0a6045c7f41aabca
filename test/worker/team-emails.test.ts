import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { accessConfig, loadConfig } from '../../src/lib/config'
import { generateSigningKey, signJwt } from '../support/access-jwt'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createToken,
  eventually,
  expectProblem,
  query,
} from './helpers'

/** Sets a teammate's address through the API, as `token` (the owner unless told otherwise). */
function setEmail(tokenId: string, email: unknown, token?: string) {
  return call('PATCH', `/api/tokens/${tokenId}`, { body: { email }, token })
}

describe('a teammate’s e-mail address', () => {
  it('is set lower-cased, shown in the team list, removed with null, and audited', async () => {
    const community = await createCommunity()
    const token = await createToken({ role: 'community_admin', communityId: community.id })
    const set = await setEmail(token.id, '  Mia.Team@Example.ORG ')
    expect(set.status, set.text).toBe(200)
    expect(set.json.email).toBe('mia.team@example.org')
    const team = await call('GET', `/api/communities/${community.id}/team`)
    expect(team.json.data).toContainEqual(
      expect.objectContaining({ email: 'mia.team@example.org' }),
    )
    const dashboard = await page(`/admin/communities/${community.id}/team`, (await signIn()).cookie)
    expect(dashboard.text).toContain('mia.team@example.org')
    await eventually(async () => {
      const log = await call('GET', `/api/communities/${community.id}/audit-log`)
      expect(log.json.data).toContainEqual(
        expect.objectContaining({ action: 'teammate.changed', targetId: token.id }),
      )
    })

    const removed = await setEmail(token.id, null)
    expect(removed.json.email).toBeNull()
  })

  it('refuses a malformed address, a second teammate of the community with it, and owners', async () => {
    const community = await createCommunity()
    const first = await createToken({ role: 'community_admin', communityId: community.id })
    const second = await createToken({ role: 'community_admin', communityId: community.id })
    expectProblem(await setEmail(first.id, 'not-an-address'), 400, 'validation_failed')
    expectProblem(
      await setEmail(first.id, 'x'.repeat(250) + '@example.org'),
      400,
      'validation_failed',
    )
    expect((await setEmail(first.id, 'shared@example.org')).status).toBe(200)
    const clash = expectProblem(
      await setEmail(second.id, 'SHARED@example.org'),
      400,
      'validation_failed',
    )
    expect(clash.errors).toContainEqual(expect.objectContaining({ path: 'email' }))
    // Once the first is revoked, the address is free again.
    expect((await call('DELETE', `/api/tokens/${first.id}`)).status).toBe(204)
    expect((await setEmail(second.id, 'shared@example.org')).status).toBe(200)
    // The same address on a teammate of another community is fine: one token per community.
    const elsewhere = await createCommunity()
    const third = await createToken({ role: 'community_admin', communityId: elsewhere.id })
    expect((await setEmail(third.id, 'shared@example.org')).status).toBe(200)

    const owner = await createToken({ role: 'owner' })
    expectProblem(await setEmail(owner.id, 'owner@example.org'), 400, 'validation_failed')
  })

  it('may be set only by who manages the team', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    const outsider = await createToken({
      role: 'community_admin',
      communityId: (await createCommunity()).id,
    })
    expectProblem(
      await setEmail(admin.id, 'taken.over@example.org', groupAdmin.token),
      403,
      'forbidden',
    )
    expectProblem(
      await setEmail(admin.id, 'taken.over@example.org', outsider.token),
      404,
      'not_found',
    )
    const rows = await query<{ email: string | null }>(
      'select email from api_tokens where id = ?',
      admin.id,
    )
    expect(rows[0]!.email).toBeNull()
    // A community admin manages its team.
    expect((await setEmail(groupAdmin.id, 'gina@example.org', admin.token)).status).toBe(200)
  })

  it('can be named on a dashboard invitation, and a wrong one is sent back to be fixed', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const invite = (email: string) =>
      post(`/admin/communities/${community.id}/team/invitations`, cookie, {
        _csrf: csrfOf(team.text),
        name: 'Noah',
        email,
        role: 'community_admin',
      })
    const before = await countRows('team_invitations')
    const wrong = await invite('noah@')
    expect(wrong.status).toBe(400)
    expect(wrong.text).toContain('That is not a valid e-mail address.')
    expect(await countRows('team_invitations')).toBe(before)

    const answer = await invite('Noah@Example.org')
    expect(answer.status).toBe(200)
    const rows = await query<{ email: string }>(
      'select email from team_invitations where community_id = ?',
      community.id,
    )
    expect(rows.map((row) => row.email)).toEqual(['noah@example.org'])
  })
})

describe('an invitation naming an address', () => {
  it('is refused when a teammate or an open invitation has it, and creates no second one when accepted late', async () => {
    const community = await createCommunity()
    const invite = (email: string) =>
      call('POST', `/api/communities/${community.id}/team-invitations`, {
        body: { name: 'Late', role: 'community_admin', email },
      })
    const created = await invite('late@example.org')
    expect(created.status, created.text).toBe(201)
    // While it is open, neither a second invitation nor a teammate takes its address.
    expectProblem(await invite('LATE@example.org'), 400, 'validation_failed')
    const other = await createToken({ role: 'community_admin', communityId: community.id })
    expectProblem(await setEmail(other.id, 'late@example.org'), 400, 'validation_failed')
    // Given to another teammate all the same, at the very moment the invitation was made.
    await query('update api_tokens set email = ? where id = ?', 'late@example.org', other.id)

    const tokens = await countRows('api_tokens')
    const accepted = await call('POST', new URL(created.json.url).pathname, {
      token: null,
      rawBody: '',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://join.example.com',
      },
    })
    expect(accepted.status).toBe(410)
    expect(await countRows('api_tokens')).toBe(tokens)
  })
})

describe('a teammate’s address on the team page', () => {
  it('is saved, refused when wrong or taken (in the row, nothing changed), and cleared', async () => {
    const community = await createCommunity()
    const first = await createToken({ role: 'community_admin', communityId: community.id })
    const second = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/team`
    const csrf = csrfOf((await page(path, cookie)).text)
    const save = (tokenId: string, email: string) =>
      post(`${path}/${tokenId}/email`, cookie, { _csrf: csrf, email })
    const stored = async (tokenId: string) =>
      (
        await query<{ email: string | null }>('select email from api_tokens where id = ?', tokenId)
      )[0]!.email

    const saved = await save(first.id, ' Lea@Example.org ')
    expect(saved.status).toBe(200)
    expect(saved.text).toContain('The address is saved.')
    expect(await stored(first.id)).toBe('lea@example.org')

    const taken = await save(second.id, 'lea@example.org')
    expect(taken.status).toBe(400)
    expect(taken.text).toContain(
      'Another teammate of this community, or an invitation not yet accepted, has this address.',
    )
    const wrong = await save(second.id, 'lea@')
    expect(wrong.status).toBe(400)
    expect(wrong.text).toContain('That is not a valid e-mail address.')
    expect(await stored(second.id)).toBeNull()
    await eventually(async () => {
      const log = await call('GET', `/api/communities/${community.id}/audit-log`)
      expect(log.json.data).toContainEqual(
        expect.objectContaining({ action: 'teammate.changed', targetId: first.id }),
      )
    })

    expect((await save(first.id, '')).status).toBe(200)
    expect(await stored(first.id)).toBeNull()
  })
})

describe('without ACCESS_TEAM_DOMAIN and ACCESS_AUD', () => {
  it('ignores the Access header: nobody signs in by sending it', async () => {
    const community = await createCommunity()
    const token = await createToken({ role: 'community_admin', communityId: community.id })
    expect((await setEmail(token.id, 'header.only@example.org')).status).toBe(200)
    const key = await generateSigningKey('any-key')
    const now = Math.floor(Date.now() / 1000)
    const assertion = await signJwt(key, {
      aud: ['any'],
      email: 'header.only@example.org',
      iss: 'https://any.cloudflareaccess.com',
      exp: now + 600,
      iat: now,
    })
    const before = await countRows('sessions')
    for (const headers of [
      { 'cf-access-jwt-assertion': assertion } as Record<string, string>,
      { cookie: `CF_Authorization=${assertion}` },
    ]) {
      const answer = await call('GET', `/admin/communities/${community.id}`, {
        token: null,
        headers: { accept: 'text/html', ...headers },
      })
      expect(answer.status).toBe(303)
      expect(answer.headers.get('location')).toMatch(/^\/admin\/login/)
    }
    const chooser = await call('POST', '/admin/access/choose', {
      token: null,
      rawBody: new URLSearchParams({ tokenId: token.id }).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://join.example.com',
        'cf-access-jwt-assertion': assertion,
      },
    })
    expect(chooser.status).toBe(303)
    expect(chooser.headers.get('location')).toBe('/admin/login')
    expect(await countRows('sessions')).toBe(before)
  })
})

describe('the Access settings', () => {
  const base = { ...env, ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined }
  const load = (vars: Record<string, string>) => () => loadConfig({ ...base, ...vars } as Env)

  it('go together, and the certs URL is held to the rule for outbound URLs', () => {
    expect(load({ ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com' })).toThrow(/ACCESS_AUD/)
    expect(load({ ACCESS_AUD: 'aud-0123456789abcdef' })).toThrow(/ACCESS_TEAM_DOMAIN/)
    expect(
      load({ ACCESS_TEAM_DOMAIN: 'http://team.cloudflareaccess.com', ACCESS_AUD: 'aud-01234567' }),
    ).toThrow(/ACCESS_TEAM_DOMAIN/)
    expect(
      load({
        ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com',
        ACCESS_AUD: 'aud-0123456789abcdef',
        ACCESS_CERTS_URL: 'https://169.254.169.254/certs',
      }),
    ).toThrow(/ACCESS_CERTS_URL: refused/)
    const config = load({
      ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com/',
      ACCESS_AUD: 'aud-0123456789abcdef',
    })()
    expect(accessConfig(config)).toEqual({
      teamDomain: 'https://team.cloudflareaccess.com',
      audience: 'aud-0123456789abcdef',
      certsUrl: 'https://team.cloudflareaccess.com/cdn-cgi/access/certs',
      allowLoopbackHttp: false,
    })
    expect(accessConfig(loadConfig(env))).toBeNull()
  })
})
