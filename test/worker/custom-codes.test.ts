import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { createDb } from '../../src/db/client'
import { GENERATED_CODE_PATTERN, RESERVED_CODES } from '../../src/lib/codes'
import { createInvite as createInviteInDb } from '../../src/services/invites'
import {
  BASE,
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** A code no other test of this file uses: storage is shared between the tests of a file. */
function uniqueCode(stem: string): string {
  return `${stem}-${crypto.randomUUID().slice(0, 8)}`
}

async function createWithCode(communityId: string, code: string) {
  return call('POST', `/api/communities/${communityId}/invites`, { body: { code } })
}

describe('custom codes: happy paths', () => {
  it('creates a link with a custom code, stored in lower case, and serves all its pages', async () => {
    const community = await createCommunity()
    const wished = uniqueCode('Summer-Run')
    const code = wished.toLowerCase()
    const response = await createWithCode(community.id, wished)
    expect(response.status, response.text).toBe(201)
    expect(response.json).toMatchObject({
      code,
      url: `https://join.example.com/i/${code}`,
      qrSvgUrl: `https://join.example.com/i/${code}/qr.svg`,
      qrPngUrl: `https://join.example.com/i/${code}/qr.png`,
      status: 'active',
    })
    const [registered] = await query(
      'select code, retired_at from invite_codes where invite_id = ?',
      response.json.id,
    )
    expect(registered).toEqual({ code, retired_at: null })

    const landing = await visit(`/i/${code}`)
    expect(landing.status).toBe(200)
    expect(landing.text).toContain(`href="/i/${code}/join?lang=`)
    // Typed in capitals off a poster: the same link.
    expect((await visit(`/i/${code.toUpperCase()}`)).status).toBe(200)
    expect((await visit(`/i/${code}/join`)).status).toBe(200)
    const svg = await call('GET', `/i/${code}/qr.svg`, { token: null })
    expect(svg.status).toBe(200)
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    // As typed, capitals and all.
    const png = await exports.default.fetch(new Request(`${BASE}/i/${wished}/qr.png`))
    expect(png.status).toBe(200)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await png.arrayBuffer()).slice(1, 4)).toEqual(
      new TextEncoder().encode('PNG'),
    )

    const joined = await joinJson(code, { name: 'Vanity', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
  })

  it('accepts the bounds: 3 and 40 characters, digits, dashes between', async () => {
    const community = await createCommunity()
    const suffix = crypto.randomUUID().replaceAll('-', '').slice(0, 6)
    for (const code of [
      `a${suffix.slice(0, 2)}`,
      `${suffix}-${'x'.repeat(33)}`,
      `2027-${suffix}-a-b`,
    ]) {
      const response = await createWithCode(community.id, code)
      expect(response.status, `${code}: ${response.text}`).toBe(201)
      expect((await visit(`/i/${code}`)).status, code).toBe(200)
    }
  })

  it('keeps generated codes as they were when no code is asked for', async () => {
    const invite = await createInvite((await createCommunity()).id, { label: 'No wish' })
    expect(invite.code).toMatch(GENERATED_CODE_PATTERN)
  })

  it('rotates a custom-coded link to a random code; the custom code is retired for good', async () => {
    const community = await createCommunity()
    const code = uniqueCode('rotate-me')
    const created = await createWithCode(community.id, code)
    const rotated = await call('POST', `/api/invites/${created.json.id}/rotate`)
    expect(rotated.status).toBe(200)
    expect(rotated.json.code).toMatch(GENERATED_CODE_PATTERN)
    expect((await visit(`/i/${code}`)).status).toBe(410)
    expect((await visit(`/i/${rotated.json.code}`)).status).toBe(200)
    // Someone joining through the old code is told it was given a new one, not that it never was.
    const joined = await joinJson(
      code,
      { name: 'Late', phone: newPhone() },
      { 'accept-language': 'en' },
    )
    expectProblem(joined, 410, 'invite_unusable')
    expect(joined.json.detail).toMatch(/replaced/i)
    expectProblem(
      await joinJson(uniqueCode('never-made'), { name: 'Lost', phone: newPhone() }),
      404,
      'not_found',
    )
    // Not for this link, nor any other: a printed poster must never lead somewhere else.
    expectProblem(await createWithCode(community.id, code), 409, 'code_taken')
  })
})

describe('custom codes: errors', () => {
  it('answers 409 code_taken for a code in use, in any case, and writes nothing', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const code = uniqueCode('taken')
    expect((await createWithCode(community.id, code)).status).toBe(201)
    const generated = await createInvite(other.id)
    const invites = await countRows('invites')
    const codes = await countRows('invite_codes')
    for (const attempt of [code, code.toUpperCase(), `T${code.slice(1)}`, generated.code]) {
      const problem = expectProblem(await createWithCode(other.id, attempt), 409, 'code_taken')
      expect(problem.detail).toContain(attempt.toLowerCase())
      expect(problem.errors).toEqual([{ path: 'code', message: expect.any(String) }])
    }
    expect(await countRows('invites')).toBe(invites)
    expect(await countRows('invite_codes')).toBe(codes)
  })

  it('answers 409 for a code retired by a rotation', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await call('POST', `/api/invites/${invite.id}/rotate`)
    expectProblem(await createWithCode(community.id, invite.code), 409, 'code_taken')
    expectProblem(await createWithCode(community.id, invite.code.toUpperCase()), 409, 'code_taken')
  })

  it('keeps a deleted community’s codes taken: its posters say the community is gone, never lead elsewhere', async () => {
    const deleted = await createCommunity()
    const code = uniqueCode('spring-poster')
    expect((await createWithCode(deleted.id, code)).status).toBe(201)
    // Seen before the deletion: the landing and the QR image are in this isolate's caches.
    expect((await visit(`/i/${code}`)).status).toBe(200)
    expect((await call('GET', `/i/${code}/qr.svg`, { token: null })).status).toBe(200)
    expect((await call('DELETE', `/api/communities/${deleted.id}`)).status).toBe(204)

    const other = await createCommunity()
    expectProblem(await createWithCode(other.id, code), 409, 'code_taken')
    expect(await query('select code from invites where code = ?', code)).toEqual([])
    const [kept] = await query(
      'select invite_id, retired_at from invite_codes where code = ?',
      code,
    )
    expect(kept).toMatchObject({ invite_id: null })
    expect(kept!.retired_at).not.toBeNull()

    // At once, not once the caches expire.
    const landing = await visit(`/i/${code}`, { 'accept-language': 'en' })
    expect(landing.status).toBe(410)
    expect(landing.text).toContain('The community this invite link was for no longer exists here.')
    const german = await visit(`/i/${code}`, { 'accept-language': 'de' })
    expect(german.text).toContain('Die Community, zu der dieser Einladungslink gehörte')
    expect((await call('GET', `/i/${code}/qr.svg`, { token: null })).status).toBe(410)
    const join = await joinJson(
      code,
      { name: 'Late', phone: newPhone() },
      { 'accept-language': 'en' },
    )
    expectProblem(join, 410, 'invite_unusable')
    expect(join.json.detail).toBe('The community this invite link was for no longer exists here.')
  })

  it('refuses reserved words with 400, whatever their case', async () => {
    const community = await createCommunity()
    for (const code of [
      'admin',
      'API',
      'join',
      'Login',
      'cdn-cgi',
      'webhooks',
      'docs',
      'WhatsApp',
    ]) {
      const problem = expectProblem(
        await createWithCode(community.id, code),
        400,
        'validation_failed',
      )
      expect(problem.errors).toEqual([
        { path: 'code', message: expect.stringContaining('reserved') },
      ])
    }
  })

  it('refuses codes of the wrong shape with 400', async () => {
    const community = await createCommunity()
    const before = await countRows('invites')
    for (const code of [
      'ab',
      'x'.repeat(41),
      'summer run',
      'summer_run',
      'summer.run',
      '-summer',
      'summer-',
      'summer--run',
      'sommer-straße',
      'run😀run',
      '../admin',
      '',
    ]) {
      const problem = expectProblem(
        await createWithCode(community.id, code),
        400,
        'validation_failed',
      )
      expect(
        problem.errors.map((e: { path: string }) => e.path),
        code,
      ).toEqual(['code'])
    }
    expect(await countRows('invites')).toBe(before)
  })

  it('answers 404 on every public route for a path that cannot be a code', async () => {
    for (const path of [
      `/i/${'x'.repeat(41)}`,
      '/i/no_such_code',
      '/i/ab/qr.svg',
      `/i/${'y'.repeat(41)}/qr.png`,
      '/i/-nope-/join',
    ]) {
      expect((await visit(path)).status, path).toBe(404)
    }
  })
})

describe('custom codes in the service', () => {
  it('holds every caller to the rules, not only the API', async () => {
    const community = await createCommunity()
    const db = createDb(env.DB)
    for (const code of ['admin', 'no spaces', 'x']) {
      await expect(createInviteInDb(db, community.id, { code }, new Date())).rejects.toMatchObject({
        code: 'validation_failed',
        errors: [{ path: 'code' }],
      })
    }
    const code = uniqueCode('Service-Made')
    const invite = await createInviteInDb(db, community.id, { code }, new Date())
    expect(invite.code).toBe(code.toLowerCase())
  })
})

describe('reserved words', () => {
  it('include every first path segment of the app and every page under a code', () => {
    const segments = new Set<string>()
    for (const { path } of createApp().routes) {
      const parts = path.split('/').filter(Boolean)
      const [first, second, third] = parts
      if (first && !first.startsWith(':') && first !== '*') segments.add(first.split('.')[0]!)
      if (first === 'i' && second === ':code' && third) segments.add(third.split('.')[0]!)
    }
    expect([...segments]).toEqual(expect.arrayContaining(['admin', 'api', 'i', 's', 'join', 'qr']))
    expect([...segments].filter((segment) => !RESERVED_CODES.has(segment))).toEqual([])
  })
})

describe('custom codes in the dashboard', () => {
  it('creates a link with a custom code from the form', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    expect(overview.text).toContain('name="code"')
    const code = uniqueCode('Flyer')
    const created = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrfOf(overview.text),
      label: 'Flyer',
      code,
    })
    expect(created.status, created.text).toBe(303)
    const linkPage = await page(created.headers.get('location')!, cookie)
    expect(linkPage.text).toContain(`https://join.example.com/i/${code.toLowerCase()}`)
    expect(linkPage.text).toContain(`src="/i/${code.toLowerCase()}/qr.svg?size=240"`)
  })

  it('shows a taken or refused code next to the field, with what was typed kept', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const code = uniqueCode('market-stall')
    await createWithCode(community.id, code)
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/communities/${community.id}`, cookie)).text)
    const before = await countRows('invites')

    const taken = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrf,
      label: 'Market stall',
      source: 'market',
      groupId: group.id,
      maxUses: '30',
      code: code.toUpperCase(),
    })
    expect(taken.status).toBe(409)
    expect(taken.text).toContain(`value="${code.toUpperCase()}"`)
    expect(taken.text).toContain('value="Market stall"')
    expect(taken.text).toContain('value="market"')
    expect(taken.text).toContain('value="30"')
    expect(taken.text).toContain(`<option value="${group.id}" selected="">`)
    expect(taken.text).toMatch(
      /<input id="code"[^>]*aria-invalid="true" aria-describedby="code-hint code-error"/,
    )
    expect(taken.text).toMatch(/<p id="code-error" class="err">[^<]*already taken[^<]*<\/p>/)

    const reserved = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrf,
      code: 'admin',
    })
    expect(reserved.status).toBe(400)
    expect(reserved.text).toMatch(/<p id="code-error" class="err">[^<]*reserved[^<]*<\/p>/)

    const german = await post(
      `/admin/communities/${community.id}/links`,
      cookie,
      { _csrf: csrf, code: 'no spaces' },
      { 'accept-language': 'de' },
    )
    expect(german.status).toBe(400)
    expect(german.text).toMatch(/<p id="code-error" class="err">[^<]*Buchstaben[^<]*<\/p>/)
    expect(await countRows('invites')).toBe(before)
  })
})
