import { inject } from 'vitest'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  certsDocument,
  generateSigningKey,
  signHs256,
  signJwt,
  unsignedJwt,
  type SigningKey,
} from '../support/access-jwt'
import {
  confirm,
  csrfOf,
  page,
  post,
  referencedTexts,
  sessionOf,
  shownLink,
  signIn,
} from '../worker/dashboard-helpers'
import {
  BASE,
  call,
  countRows,
  createAdmin,
  createCommunity,
  createInvite,
  createToken,
  eventually,
  joinJson,
  newPhone,
  type Answer,
} from '../worker/helpers'

// As configured for this project in vitest.config.ts.
const TEAM_DOMAIN = 'https://test-team.cloudflareaccess.com'
const AUD = 'test-access-aud-0123456789abcdef'

let current: SigningKey
let previous: SigningKey

async function publish(keys: SigningKey[]) {
  const answer = await fetch(`${inject('fakeServicesUrl')}/access/keys`, {
    method: 'PUT',
    body: JSON.stringify(certsDocument(keys)),
  })
  expect(answer.status).toBe(200)
}

beforeAll(async () => {
  current = await generateSigningKey('access-key-current')
  previous = await generateSigningKey('access-key-previous')
  // Cloudflare publishes the key in use and the one before it.
  await publish([current, previous])
})

/** The claims Access puts in an application token, as its documentation lists them. */
function claims(email: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000)
  return {
    aud: [AUD],
    email,
    exp: now + 3600,
    iat: now,
    nbf: now,
    iss: TEAM_DOMAIN,
    type: 'app',
    identity_nonce: crypto.randomUUID(),
    sub: crypto.randomUUID(),
    country: 'DE',
    ...overrides,
  }
}

/** A browser behind Access opening a dashboard page: the assertion in the header, or cookie. */
function openThroughAccess(path: string, assertion: string, via: 'header' | 'cookie' = 'header') {
  return call('GET', path, {
    token: null,
    headers: {
      accept: 'text/html',
      'accept-language': 'en',
      ...(via === 'header'
        ? { 'cf-access-jwt-assertion': assertion }
        : { cookie: `CF_Authorization=${assertion}` }),
    },
  })
}

/** The dashboard session a sign-in opened, or undefined when it opened none. */
function sessionCookie(answer: Answer): string | undefined {
  return /cg_session=([A-Za-z0-9_-]{43})/.exec(answer.headers.get('set-cookie') ?? '')?.[0]
}

/** A community with a community admin carrying `email`, set through the API. */
async function teammateWithEmail(email: string) {
  const community = await createCommunity()
  const token = await createToken({ role: 'community_admin', communityId: community.id })
  const set = await call<'/api/tokens/{id}', 'patch'>('PATCH', `/api/tokens/${token.id}`, {
    body: { email },
  })
  expect(set.status, set.text).toBe(200)
  return { community, tokenId: token.id }
}

/** Expects nothing opened: sent to the sign-in page, no session row, no session cookie. */
async function expectRefused(path: string, assertion: string) {
  const before = await countRows('sessions')
  const answer = await openThroughAccess(path, assertion)
  expect(answer.status).toBe(303)
  expect(answer.headers.get('location')).toMatch(/^\/admin\/login/)
  expect(sessionCookie(answer)).toBeUndefined()
  expect(await countRows('sessions')).toBe(before)
}

describe('signing in through Cloudflare Access', () => {
  it('opens the session of the teammate with the address, in the right community', async () => {
    const { community } = await teammateWithEmail('Ana.Access@Example.org')
    const other = await createCommunity()
    const path = `/admin/communities/${community.id}`
    // The identity provider's spelling of the address may differ in case.
    const answer = await openThroughAccess(
      path,
      await signJwt(current, claims('ana.access@example.ORG')),
    )
    expect(answer.status, answer.text.slice(0, 300)).toBe(303)
    expect(answer.headers.get('location')).toBe(path)
    const cookie = sessionCookie(answer)
    expect(cookie).toBeDefined()

    const signedIn = await page(path, cookie!)
    expect(signedIn.status).toBe(200)
    expect(signedIn.text).toContain(community.name)
    // The session is the teammate's: another community stays out of reach.
    expect((await page(`/admin/communities/${other.id}`, cookie!)).status).toBe(404)
  })

  it('reads the CF_Authorization cookie when the header is missing', async () => {
    const { community } = await teammateWithEmail('cookie.only@example.org')
    const answer = await openThroughAccess(
      '/admin',
      await signJwt(current, claims('cookie.only@example.org')),
      'cookie',
    )
    expect(answer.status).toBe(303)
    const cookie = sessionCookie(answer)
    expect(cookie).toBeDefined()
    expect((await page('/admin', cookie!)).text).toContain(community.name)
  })

  it('accepts a token signed with the previous key the team still publishes', async () => {
    await teammateWithEmail('previous.key@example.org')
    const answer = await openThroughAccess(
      '/admin',
      await signJwt(previous, claims('previous.key@example.org')),
    )
    expect(sessionCookie(answer)).toBeDefined()
  })

  it('gives the address an invitation named to the token its acceptance creates', async () => {
    const community = await createCommunity()
    const invited = await call<'/api/communities/{id}/team-invitations', 'post'>(
      'POST',
      `/api/communities/${community.id}/team-invitations`,
      { body: { name: 'Ben', role: 'community_admin', email: ' Ben.Invited@Example.org ' } },
    )
    expect(invited.status, invited.text).toBe(201)
    expect(invited.json.email).toBe('ben.invited@example.org')
    const accepted = await call('POST', new URL(invited.json.url).pathname, {
      token: null,
      rawBody: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    })
    expect(accepted.status).toBe(303)
    const answer = await openThroughAccess(
      '/admin',
      await signJwt(current, claims('ben.invited@example.org')),
    )
    const cookie = sessionCookie(answer)
    expect(cookie).toBeDefined()
    expect((await page('/admin', cookie!)).text).toContain(community.name)
  })

  it('lets an address on several teams choose the community', async () => {
    const first = await teammateWithEmail('two.teams@example.org')
    const second = await teammateWithEmail('two.teams@example.org')
    const assertion = await signJwt(current, claims('two.teams@example.org'))
    const chooser = await openThroughAccess('/admin', assertion)
    expect(chooser.status).toBe(200)
    expect(sessionCookie(chooser)).toBeUndefined()
    expect(chooser.text).toContain(first.community.name)
    expect(chooser.text).toContain(second.community.name)
    // The buttons all read the same; each is described by the community it opens.
    expect(referencedTexts(chooser.text, 'button', 'aria-describedby').sort()).toEqual(
      [first.community.name, second.community.name].sort(),
    )

    const choose = (tokenId: string, headers: Record<string, string> = {}) =>
      call('POST', '/admin/access/choose', {
        token: null,
        rawBody: new URLSearchParams({ tokenId, next: '/admin' }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'accept-language': 'en',
          origin: BASE,
          'cf-access-jwt-assertion': assertion,
          ...headers,
        },
      })
    // A token of another address is not among the choices, whatever the form says.
    const stranger = await teammateWithEmail('stranger@example.org')
    const refused = await choose(stranger.tokenId)
    expect(refused.status).toBe(403)
    expect(sessionCookie(refused)).toBeUndefined()
    // Without a valid assertion the choice opens nothing.
    const forged = await choose(second.tokenId, { 'cf-access-jwt-assertion': 'x.y.z' })
    expect(sessionCookie(forged)).toBeUndefined()

    const chosen = await choose(second.tokenId)
    expect(chosen.status).toBe(303)
    const cookie = sessionCookie(chosen)
    expect(cookie).toBeDefined()
    const home = await page('/admin', cookie!)
    expect(home.text).toContain(second.community.name)
    expect(home.text).not.toContain(first.community.name)
  })

  it('tells an address without access whom to ask, in the reader’s language', async () => {
    const before = await countRows('sessions')
    const assertion = await signJwt(current, claims('nobody@example.org'))
    const english = await openThroughAccess('/admin', assertion)
    expect(english.status).toBe(403)
    expect(english.text).toContain('No access with this address')
    expect(english.text).toContain('nobody@example.org')
    expect(english.text).toContain('Ask an admin of your community')
    const german = await call('GET', '/admin', {
      token: null,
      headers: {
        accept: 'text/html',
        'accept-language': 'de',
        'cf-access-jwt-assertion': assertion,
      },
    })
    expect(german.status).toBe(403)
    expect(german.text).toContain('Kein Zugang mit dieser Adresse')
    expect(sessionCookie(german)).toBeUndefined()
    expect(await countRows('sessions')).toBe(before)
  })

  it('ends a revoked teammate’s session and opens no new one', async () => {
    const { tokenId } = await teammateWithEmail('revoked@example.org')
    const assertion = await signJwt(current, claims('revoked@example.org'))
    const cookie = sessionCookie(await openThroughAccess('/admin', assertion))
    expect(cookie).toBeDefined()
    expect((await call('DELETE', `/api/tokens/${tokenId}`)).status).toBe(204)
    // The old session ends; the address, on no live token now, opens nothing.
    const after = await call('GET', '/admin', {
      token: null,
      headers: { cookie: cookie!, accept: 'text/html', 'cf-access-jwt-assertion': assertion },
    })
    expect(after.status).toBe(403)
    expect(sessionCookie(after)).toBeUndefined()
  })

  it('names the peer who gave a teammate an address on what its sessions do', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const alice = await createAdmin(community.id, 'Alice')
    const bob = await createAdmin(community.id, 'Bob')
    const giveBob = (email: string, by: string) =>
      call<'/api/tokens/{id}', 'patch'>('PATCH', `/api/tokens/${bob.id}`, {
        token: by,
        body: { email },
      })
    const teamEntry = async () => {
      const team = await call('GET', `/api/communities/${community.id}/team`)
      return team.json.data.find((teammate: { id: string }) => teammate.id === bob.id)
    }
    /** Approves a fresh request in a session Access opens for `email`: the audit entry. */
    const approveThroughAccess = async (email: string) => {
      const cookie = sessionCookie(
        await openThroughAccess('/admin', await signJwt(current, claims(email))),
      )
      expect(cookie).toBeDefined()
      const invite = await createInvite(community.id)
      const asked = await joinJson(invite.code, { name: 'Ana', phone: newPhone() })
      const id = asked.json.joinRequestId
      const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie!)
      const decided = await post(`/admin/communities/${community.id}/approvals`, cookie!, {
        _csrf: csrfOf(approvals.text),
        action: 'approve',
        ids: [id],
      })
      expect(decided.status).toBe(303)
      return eventually(async () => {
        const log = await call(
          'GET',
          `/api/communities/${community.id}/audit-log?action=join_request.approved`,
        )
        const entry = log.json.data.find((e: { targetId: string }) => e.targetId === id)
        expect(entry).toBeDefined()
        return entry
      })
    }

    // Alice gives Bob an address she controls: whoever signs in with it acts as Bob, under her name.
    expect((await giveBob('alice.second@example.org', alice.token)).status).toBe(200)
    expect(await teamEntry()).toMatchObject({
      email: 'alice.second@example.org',
      emailSetBy: 'Alice',
    })
    expect(await approveThroughAccess('alice.second@example.org')).toMatchObject({
      actorTokenId: bob.id,
      actorName: 'Bob',
      actorLinkMadeBy: 'Alice',
    })
    const teamPage = await page(
      `/admin/communities/${community.id}/team`,
      (await signIn(bob.token)).cookie,
    )
    expect(teamPage.text).toContain('set by Alice')

    // Bob gives himself his own: his sessions name nobody else.
    expect((await giveBob('bob@example.org', bob.token)).status).toBe(200)
    expect(await teamEntry()).toMatchObject({ email: 'bob@example.org', emailSetBy: null })
    expect(await approveThroughAccess('bob@example.org')).toMatchObject({
      actorName: 'Bob',
      actorLinkMadeBy: null,
    })

    // Alice gives him hers again, opens a session as Bob, and is revoked: both go with her.
    expect((await giveBob('alice.third@example.org', alice.token)).status).toBe(200)
    const assertion = await signJwt(current, claims('alice.third@example.org'))
    const asBob = sessionCookie(await openThroughAccess('/admin', assertion))
    expect(asBob).toBeDefined()
    expect((await call('DELETE', `/api/tokens/${alice.id}`)).status).toBe(204)
    expect(await teamEntry()).toMatchObject({ email: null, emailSetBy: null })
    const after = await call('GET', '/admin', {
      token: null,
      headers: { cookie: asBob!, accept: 'text/html', 'cf-access-jwt-assertion': assertion },
    })
    expect(after.status).toBe(403)
    expect(sessionCookie(after)).toBeUndefined()
  })
})

describe('an address given in a session someone else could have opened', () => {
  it('names who gave it, and is held by them and by who made the link: either going takes it', async () => {
    for (const goes of ['Dana', 'Alice'] as const) {
      const community = await createCommunity()
      const alice = await createAdmin(community.id, 'Alice')
      const bob = await createAdmin(community.id, 'Bob')
      // Alice invites Dana; in the session Alice's link opened, Dana gives Bob an address.
      const path = `/admin/communities/${community.id}/team`
      const { cookie: hers } = await signIn(alice.token)
      const invited = await post(`${path}/invitations`, hers, {
        _csrf: csrfOf((await page(path, hers)).text),
        name: 'Dana',
        role: 'community_admin',
      })
      const danas = sessionOf(await confirm(shownLink(invited.text)))
      const email = `bob.${goes.toLowerCase()}@example.org`
      const given = await post(`${path}/${bob.id}/email`, danas, {
        _csrf: csrfOf((await page(path, danas)).text),
        email,
      })
      expect(given.status, given.text.slice(0, 300)).toBe(200)
      const team = await call('GET', `/api/communities/${community.id}/team`)
      const byName = (name: string) => team.json.data.find((t: { name: string }) => t.name === name)
      expect(byName('Bob')).toMatchObject({ email, emailSetBy: 'Dana' })
      const assertion = await signJwt(current, claims(email))
      expect(sessionCookie(await openThroughAccess('/admin', assertion))).toBeDefined()

      const gone = goes === 'Dana' ? byName('Dana').id : alice.id
      expect((await call('DELETE', `/api/tokens/${gone}`)).status).toBe(204)
      const after = await call('GET', `/api/communities/${community.id}/team`)
      expect(after.json.data.find((t: { id: string }) => t.id === bob.id).email, goes).toBeNull()
      expect(sessionCookie(await openThroughAccess('/admin', assertion)), goes).toBeUndefined()
    }
  })
})

describe('signing out behind Cloudflare Access', () => {
  const now = () => Math.floor(Date.now() / 1000)

  it('signs this browser out of Access too, or its cookie would sign it straight back in', async () => {
    await teammateWithEmail('leaving@example.org')
    const cookie = sessionCookie(
      await openThroughAccess('/admin', await signJwt(current, claims('leaving@example.org'))),
    )
    const home = await page('/admin', cookie!)
    const out = await post('/admin/logout', cookie!, { _csrf: csrfOf(home.text) })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/cdn-cgi/access/logout')
    expect((await page('/admin', cookie!)).status).toBe(303)
  })

  it('everywhere: no device signs back in with an assertion from before, a fresh one does', async () => {
    const { community } = await teammateWithEmail('lost-laptop@example.org')
    const before = await signJwt(
      current,
      claims('lost-laptop@example.org', { iat: now() - 60, nbf: now() - 60 }),
    )
    const laptop = sessionCookie(await openThroughAccess('/admin', before))
    const phone = sessionCookie(await openThroughAccess('/admin', before))
    expect(laptop && phone).toBeTruthy()
    const home = await page(`/admin/communities/${community.id}`, phone!)
    const out = await post('/admin/logout-everywhere', phone!, { _csrf: csrfOf(home.text) })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/cdn-cgi/access/logout')

    // The lost laptop still sends its Access cookie: it opens nothing, and is sent to sign in
    // to Access again.
    const sessions = await countRows('sessions')
    const again = await openThroughAccess('/admin', before, 'cookie')
    expect(again.status).toBe(303)
    expect(again.headers.get('location')).toBe('/cdn-cgi/access/logout')
    expect(sessionCookie(again)).toBeUndefined()
    expect(await countRows('sessions')).toBe(sessions)
    expect((await page('/admin', laptop!)).status).toBe(303)

    // Signed in to Access again, later: the session opens.
    const fresh = await signJwt(current, claims('lost-laptop@example.org', { iat: now() + 2 }))
    const back = await openThroughAccess('/admin', fresh)
    expect(back.status).toBe(303)
    expect(sessionCookie(back)).toBeDefined()
  })
})

describe('an Access assertion that does not check out opens nothing', () => {
  const email = 'target@example.org'
  beforeAll(async () => {
    await teammateWithEmail(email)
  })
  const now = () => Math.floor(Date.now() / 1000)

  it('refuses another application’s audience', async () => {
    await expectRefused('/admin', await signJwt(current, claims(email, { aud: ['other-app'] })))
  })

  it('refuses another team as issuer', async () => {
    await expectRefused(
      '/admin',
      await signJwt(current, claims(email, { iss: 'https://evil.cloudflareaccess.com' })),
    )
  })

  it('refuses an expired token', async () => {
    await expectRefused(
      '/admin',
      await signJwt(current, claims(email, { exp: now() - 600, iat: now() - 4000 })),
    )
  })

  it('refuses a token not yet valid', async () => {
    await expectRefused('/admin', await signJwt(current, claims(email, { nbf: now() + 600 })))
    await expectRefused('/admin', await signJwt(current, claims(email, { iat: now() + 600 })))
  })

  it('refuses a token whose signature does not match', async () => {
    const genuine = await signJwt(current, claims(email))
    const [header, , signature] = genuine.split('.')
    const tampered = btoa(JSON.stringify(claims('someone.else@example.org')))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    await expectRefused('/admin', `${header}.${tampered}.${signature}`)
    // Signed by a key the team does not publish, under the team's key id.
    const impostor = await generateSigningKey(current.kid)
    await expectRefused('/admin', await signJwt(impostor, claims(email)))
  })

  it('refuses alg none and HS256 keyed with the public key', async () => {
    await expectRefused('/admin', unsignedJwt(claims(email), current.kid))
    await expectRefused('/admin', await signHs256(current.jwk.n!, claims(email), current.kid))
    await expectRefused(
      '/admin',
      await signJwt(current, claims(email), { alg: 'none', kid: current.kid }),
    )
  })

  it('refuses an unknown key id, and reads the keys again once for it', async () => {
    const unpublished = await generateSigningKey('access-key-unpublished')
    await expectRefused('/admin', await signJwt(unpublished, claims(email)))
    // Cloudflare publishes the next key before it signs with it: a new kid is read once.
    const next = await generateSigningKey('access-key-next')
    await publish([next, current, previous])
    const answer = await openThroughAccess('/admin', await signJwt(next, claims(email)))
    expect(sessionCookie(answer)).toBeDefined()
  })

  it('refuses a token without an e-mail, and garbage', async () => {
    const { email: _, ...withoutEmail } = claims(email)
    await expectRefused('/admin', await signJwt(current, withoutEmail))
    await expectRefused('/admin', 'not-a-jwt')
    await expectRefused('/admin', 'a.b.c')
  })
})
