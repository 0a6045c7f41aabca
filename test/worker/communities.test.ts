import { describe, expect, it } from 'vitest'
import {
  BASE,
  call,
  countRows,
  createCommunity,
  createGroup,
  createToken,
  expectProblem,
  OWNER_TOKEN,
  uniqueName,
  withinOneWindow,
} from './helpers'
import { SIGN_IN_WINDOW_SECONDS } from '../../src/services/sign-in-limits'

describe('communities: happy paths', () => {
  it('creates a community with its announcement group and a slug from its name', async () => {
    const name = `Läufer Köln ${crypto.randomUUID().slice(0, 6)}`
    const created = await call<'/api/communities', 'post'>('POST', '/api/communities', {
      body: {
        name,
        description: 'Sunday runs along the Rhine',
        visibility: 'closed',
        photoUrl: 'https://images.example.com/koeln.jpg',
        joinQuestions: ['How fast do you run 10 km?'],
      },
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      name,
      description: 'Sunday runs along the Rhine',
      visibility: 'closed',
      photoUrl: 'https://images.example.com/koeln.jpg',
      joinQuestions: ['How fast do you run 10 km?'],
      maxGroups: 50,
    })
    expect(created.json.id).toMatch(/^cmt_[0-9a-z]{26}$/)
    expect(created.json.slug).toMatch(/^laeufer-koeln-[a-z0-9]+$/)

    const groups = await call<'/api/communities/{id}/groups', 'get'>(
      'GET',
      `/api/communities/${created.json.id}/groups`,
    )
    expect(groups.status).toBe(200)
    expect(groups.json.data).toHaveLength(1)
    expect(groups.json.data[0]).toMatchObject({ kind: 'announcement', memberLimit: 2000 })
  })

  it('gives a second community with the same name a different slug', async () => {
    const name = uniqueName('Same Name')
    const first = await createCommunity({ name })
    const second = await createCommunity({ name })
    expect(second.slug).not.toBe(first.slug)
    expect(second.slug.startsWith(first.slug)).toBe(true)
  })

  it('derives a slug the slug’s own rules accept, from a name of one letter or none in Latin', async () => {
    for (const name of ['a', 'Ü', '東京', '!!']) {
      const created = await createCommunity({ name })
      expect(created.slug.length, name).toBeGreaterThanOrEqual(3)
      // It can be written back as it is: the API's own rules hold for it.
      const kept = await call('PATCH', `/api/communities/${created.id}`, {
        body: { slug: created.slug },
      })
      expect(kept.status, kept.text).toBe(200)
    }
    expect((await createCommunity({ name: 'a' })).slug).toMatch(/^a-community(-\w+)?$/)
  })

  it('reads, changes and deletes a community', async () => {
    const community = await createCommunity()
    const read = await call<'/api/communities/{id}', 'get'>(
      'GET',
      `/api/communities/${community.id}`,
    )
    expect(read.json).toMatchObject({ id: community.id, name: community.name })

    const patched = await call<'/api/communities/{id}', 'patch'>(
      'PATCH',
      `/api/communities/${community.id}`,
      { body: { description: 'A new purpose', visibility: 'closed' } },
    )
    expect(patched.status).toBe(200)
    expect(patched.json).toMatchObject({ description: 'A new purpose', visibility: 'closed' })
    expect(Date.parse(patched.json.updatedAt)).toBeGreaterThanOrEqual(
      Date.parse(read.json.updatedAt),
    )

    const deleted = await call<'/api/communities/{id}', 'delete'>(
      'DELETE',
      `/api/communities/${community.id}`,
    )
    expect(deleted.status).toBe(204)
    expectProblem(await call('GET', `/api/communities/${community.id}`), 404, 'not_found')
  })

  it('deleting a community removes its groups and its scoped tokens', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'group_admin', groupId: group.id })
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expectProblem(await call('GET', `/api/groups/${group.id}`), 404, 'not_found')
    expectProblem(
      await call('GET', '/api/communities', { token: admin.token }),
      401,
      'unauthorized',
    )
  })

  it('pages through communities with a cursor, oldest first', async () => {
    for (let i = 0; i < 3; i++) await createCommunity()
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const after: string = cursor ? `&cursor=${cursor}` : ''
      const page = await call<'/api/communities', 'get'>('GET', `/api/communities?limit=2${after}`)
      expect(page.status).toBe(200)
      expect(page.json.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.json.data.map((c) => c.id))
      cursor = page.json.nextCursor
    } while (cursor)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(new Set(seen).size).toBe(seen.length)
    expect([...seen].sort()).toEqual(seen)
  })
})

describe('communities: time zones', () => {
  it('takes the names IANA uses today as well as ICU’s older ones, and refuses a made-up zone', async () => {
    const community = await createCommunity()
    const zones = [
      'Asia/Kolkata',
      'Asia/Calcutta',
      'Europe/Kyiv',
      'Europe/Kiev',
      'Asia/Ho_Chi_Minh',
      'America/Nuuk',
      'Asia/Yangon',
      'Asia/Kathmandu',
      'America/Indiana/Indianapolis',
      'Atlantic/Faroe',
      'Pacific/Kanton',
      'America/Ciudad_Juarez',
      'Etc/UTC',
      'UTC',
      'Etc/GMT+5',
      'Etc/GMT-14',
    ]
    for (const timeZone of zones) {
      const patched = await call('PATCH', `/api/communities/${community.id}`, {
        body: { timeZone },
      })
      expect(patched.status, `${timeZone}: ${patched.text}`).toBe(200)
      expect(patched.json.timeZone).toBe(timeZone)
    }
    for (const timeZone of ['Mars/Olympus_Mons', 'Asia/Kolkota', 'Etc/GMT+15', 'asia/kolkata']) {
      const problem = expectProblem(
        await call('PATCH', `/api/communities/${community.id}`, { body: { timeZone } }),
        400,
        'validation_failed',
      )
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(['timeZone'])
    }
    expect((await call('GET', `/api/communities/${community.id}`)).json.timeZone).toBe('Etc/GMT-14')
  })
})

describe('communities: errors', () => {
  it('refuses a slug that is already taken with 409 slug_taken and writes nothing', async () => {
    const first = await createCommunity()
    const before = await countRows('communities')
    const response = await call('POST', '/api/communities', {
      body: { name: 'Other', description: '', visibility: 'open', slug: first.slug },
    })
    const problem = expectProblem(response, 409, 'slug_taken')
    expect(problem.errors).toEqual([{ path: 'slug', message: 'Already taken' }])
    expect(await countRows('communities')).toBe(before)
  })

  it('refuses renaming to a taken slug', async () => {
    const first = await createCommunity()
    const second = await createCommunity()
    expectProblem(
      await call('PATCH', `/api/communities/${second.id}`, { body: { slug: first.slug } }),
      409,
      'slug_taken',
    )
    expect((await call('GET', `/api/communities/${second.id}`)).json.slug).toBe(second.slug)
  })

  it('answers 404 for a community that does not exist', async () => {
    const missing = 'cmt_00000000000000000000000000'
    expectProblem(await call('GET', `/api/communities/${missing}`), 404, 'not_found')
    expectProblem(
      await call('PATCH', `/api/communities/${missing}`, { body: { name: 'x' } }),
      404,
      'not_found',
    )
    expectProblem(await call('DELETE', `/api/communities/${missing}`), 404, 'not_found')
    expectProblem(await call('GET', '/api/communities/not-an-id'), 400, 'validation_failed')
  })

  it('refuses lowering maxGroups below the groups it has', async () => {
    const community = await createCommunity()
    await createGroup(community.id)
    await createGroup(community.id)
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, { body: { maxGroups: 1 } }),
      409,
      'group_limit_reached',
    )
  })
})

describe('communities: security', () => {
  it('needs a token', async () => {
    const response = await call('GET', '/api/communities', { token: null })
    expectProblem(response, 401, 'unauthorized')
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expectProblem(
      await call('GET', '/api/communities', { token: 'cg_not-a-real-token' }),
      401,
      'unauthorized',
    )
    expectProblem(
      await call('GET', '/api/communities', {
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
        token: null,
      }),
      401,
      'unauthorized',
    )
  })

  const from = (ip: string, token: string) =>
    call('GET', '/api/communities', { token, headers: { 'cf-connecting-ip': ip } })
  const signInFrom = (ip: string, token: string) =>
    call('POST', '/admin/login', {
      token: null,
      rawBody: new URLSearchParams({ token }).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: BASE,
        'cf-connecting-ip': ip,
      },
    })
  const guesses = (ip: string, count: number, prefix = 'guess') =>
    Promise.all(
      Array.from({ length: count }, (_, i) => from(ip, `${prefix}-${i}-abcdef0123456789`)),
    )

  it('stops a network that tries twenty wrong tokens from trying ADMIN_TOKEN, right or wrong', async () => {
    const admin = await createToken({ role: 'owner', name: 'Script' })
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 20)
    for (const answer of await guesses('2001:db8:77:1::5', 20))
      expectProblem(answer, 401, 'unauthorized')
    // Past the limit, from anywhere in the same /64: a wrong token and the right ADMIN_TOKEN
    // get the same answer, with when to try again.
    const wrong = await from('2001:db8:77:1::6', 'guess-20-abcdef0123456789')
    const right = await from('2001:db8:77:1::7', OWNER_TOKEN)
    for (const refused of [wrong, right]) {
      expectProblem(refused, 429, 'rate_limited')
      const retryAfter = Number(refused.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(600)
    }
    // A stored token (256 random bits) is no guess, on the API or the sign-in form; other
    // networks are not touched.
    expect((await from('2001:db8:77:1::7', admin.token)).status).toBe(200)
    expect((await signInFrom('2001:db8:77:1::8', admin.token)).status).toBe(303)
    expect((await from('203.0.113.50', OWNER_TOKEN)).status).toBe(200)
    expectProblem(await from('203.0.113.50', 'guess-x-abcdef0123456789'), 401, 'unauthorized')
    // The dashboard's sign-in form counts the same tries.
    expect((await signInFrom('2001:db8:77:1::8', OWNER_TOKEN)).status).toBe(429)
  })

  it('counts every try of a guessable token before comparing it, however many come at once', async () => {
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 30)
    // Sixty tries at once from a network that tried nothing yet, the right one among them: only
    // the first twenty counted are compared at all, so the right one, if it comes later, is
    // refused like the rest.
    const tokens = Array.from({ length: 60 }, (_, i) => `burst-${i}-abcdef0123456789`)
    tokens.splice(40, 0, OWNER_TOKEN)
    const answers = await Promise.all(tokens.map((token) => from('198.51.100.90', token)))
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status !== 429)).toHaveLength(20)
    // Then a burst with the right one in the middle: all refused.
    const after = [...tokens.slice(0, 30), OWNER_TOKEN, ...tokens.slice(30)]
    const refused = await Promise.all(after.map((token) => from('198.51.100.90', token)))
    expect(refused.map((answer) => answer.status)).toEqual(after.map(() => 429))
  })

  it('gives a wider network (an IPv6 /48) a hundred tries, however it spreads them', async () => {
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 30)
    for (let net = 1; net <= 5; net++) {
      for (const answer of await guesses(`2001:db8:4800:${net}::1`, 20))
        expectProblem(answer, 401, 'unauthorized')
    }
    expectProblem(await from('2001:db8:4800:6::1', OWNER_TOKEN), 429, 'rate_limited')
    expect((await from('2001:db8:4801:6::1', OWNER_TOKEN)).status).toBe(200)
  })

  it('never counts a stored token, and gives back the tries of the right ADMIN_TOKEN', async () => {
    const old = await createToken({ role: 'owner', name: 'Forgotten script' })
    await call('DELETE', `/api/tokens/${old.id}`)
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 30)
    // A forgotten script polling with a revoked token is told so, every time.
    for (let attempt = 0; attempt < 30; attempt++)
      expectProblem(await from('198.51.100.91', old.token), 401, 'unauthorized')
    // A script with ADMIN_TOKEN from the same office, one call after another.
    for (let attempt = 0; attempt < 30; attempt++)
      expect((await from('198.51.100.91', OWNER_TOKEN)).status, `call ${attempt + 1}`).toBe(200)
  })

  it('does not count wrong tokens sent from the machine itself (local tools and tests)', async () => {
    for (let attempt = 0; attempt < 25; attempt++) {
      for (const ip of ['127.0.0.1', '::1']) {
        const response = await call('GET', '/api/communities', {
          token: `guess-${attempt}-abcdef0123456789`,
          headers: { 'cf-connecting-ip': ip },
        })
        expectProblem(response, 401, 'unauthorized')
      }
    }
    const owner = await call('GET', '/api/communities', { headers: { 'cf-connecting-ip': '::1' } })
    expect(owner.status).toBe(200)
  })

  it('lets a community admin see and change only their own community', async () => {
    const mine = await createCommunity()
    const theirs = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })

    const list = await call('GET', '/api/communities', { token: admin.token })
    expect(list.json.data.map((c: { id: string }) => c.id)).toEqual([mine.id])

    expect((await call('GET', `/api/communities/${mine.id}`, { token: admin.token })).status).toBe(
      200,
    )
    expect(
      (
        await call('PATCH', `/api/communities/${mine.id}`, {
          token: admin.token,
          body: { name: 'Renamed' },
        })
      ).status,
    ).toBe(200)

    // Another community answers as one that does not exist: its id is not even confirmed.
    expectProblem(
      await call('GET', `/api/communities/${theirs.id}`, { token: admin.token }),
      404,
      'not_found',
    )
    expectProblem(
      await call('PATCH', `/api/communities/${theirs.id}`, {
        token: admin.token,
        body: { name: 'Hijacked' },
      }),
      404,
      'not_found',
    )
    expect((await call('GET', `/api/communities/${theirs.id}`)).json.name).toBe(theirs.name)
  })

  it('keeps creating and deleting communities to owners', async () => {
    const mine = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })
    const before = await countRows('communities')
    expectProblem(
      await call('POST', '/api/communities', {
        token: admin.token,
        body: { name: 'Mine too', description: '', visibility: 'open' },
      }),
      403,
      'forbidden',
    )
    expectProblem(
      await call('DELETE', `/api/communities/${mine.id}`, { token: admin.token }),
      403,
      'forbidden',
    )
    expect(await countRows('communities')).toBe(before)
  })

  it('lets a group admin read their community but not change it', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    expect(
      (await call('GET', `/api/communities/${community.id}`, { token: groupAdmin.token })).status,
    ).toBe(200)
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, {
        token: groupAdmin.token,
        body: { name: 'x' },
      }),
      403,
      'forbidden',
    )
  })
})
