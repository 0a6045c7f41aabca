import { describe, expect, it } from 'vitest'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
  visit,
  eventually,
  sendCodeFrom,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** Shows as "Bobattack": the override reverses what follows it, on the admin's page too. */
const SPOOFED = 'Bob\u202Ekcatta'
const INVISIBLE =
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/

/** Every text a community's rows hold, to prove none of it kept an invisible character. */
async function storedText(communityId: string): Promise<string> {
  const tables = [
    'communities where id = ?',
    'groups where community_id = ?',
    'invites where community_id = ?',
    'join_requests where community_id = ?',
    'members where community_id = ?',
    'announcements where community_id = ?',
    'reward_rules where community_id = ?',
    'api_tokens where community_id = ?',
  ]
  const rows = await Promise.all(tables.map((from) => query(`select * from ${from}`, communityId)))
  return JSON.stringify(rows)
}

// cleanText itself, character by character: test/lib/text.test.ts (plain Node).

describe('free text is cleaned at every edge', () => {
  it('through the API: every text field of every resource', async () => {
    const community = await call('POST', '/api/communities', {
      body: {
        name: `${SPOOFED} Runners ${crypto.randomUUID().slice(0, 6)}`,
        description: 'We run\u202E.\nEvery Sunday\u0007.',
        visibility: 'closed',
        joinQuestions: [`Why\u2066 ${SPOOFED}?`],
      },
    })
    expect(community.status, community.text).toBe(201)
    const id = community.json.id as string
    expect(community.json.name).toMatch(/^Bobkcatta Runners/)
    expect(community.json.description).toBe('We run.\nEvery Sunday.')
    expect(community.json.joinQuestions).toEqual(['Why Bobkcatta?'])

    const group = await createGroup(id, {
      name: `Trail ${SPOOFED}`,
      description: `Hills\u202D`,
      topic: `Up\u202Ehill`,
    })
    const invite = await createInvite(id, {
      label: `Poster ${SPOOFED}`,
      source: `in\u202Esta`,
      medium: 'so\u0000cial',
      campaign: 'spring\u2069',
      groupId: group.id,
    })
    const token = await call('POST', '/api/tokens', {
      body: { name: `Admin ${SPOOFED}`, role: 'community_admin', communityId: id },
    })
    expect(token.json.name).toBe('Admin Bobkcatta')
    const rule = await call('POST', `/api/communities/${id}/reward-rules`, {
      body: {
        threshold: 3,
        title: `Shirt ${SPOOFED}`,
        description: 'Red\u202E',
        code: 'CODE\u200F',
      },
    })
    expect(rule.json).toMatchObject({ title: 'Shirt Bobkcatta', description: 'Red', code: 'CODE' })
    const announcement = await call('POST', `/api/communities/${id}/announcements`, {
      body: { body: `Hello\u2067 all\r\nSee you ${SPOOFED}`, sendAt: '2031-01-01T10:00:00Z' },
    })
    expect(announcement.json.body).toBe('Hello all\nSee you Bobkcatta')

    const joined = await joinJson(invite.code, {
      name: SPOOFED,
      // What iOS puts around a number copied from Contacts.
      phone: '\u202A+49 151 2345\u00a06789\u202C',
      answers: [`Because\u202E\nI like it`],
    })
    expect(joined.status, joined.text).toBe(201)
    // Confirmed first (the admin holds a signed form): an unconfirmed sign-up is not theirs to
    // decide.
    const confirmed = await call(
      'POST',
      `/api/join-requests/${joined.json.joinRequestId}/confirm`,
      {
        body: { proof: 'signed form' },
      },
    )
    expect(confirmed.status, confirmed.text).toBe(200)
    const rejected = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/reject`, {
      body: { reason: `Full\u202E for now` },
    })
    expect(rejected.status, rejected.text).toBe(200)
    const [request] = await query<{ name: string; phone: string; answers: string; reason: string }>(
      'select name, phone, answers, reason from join_requests where id = ?',
      joined.json.joinRequestId,
    )
    expect(request).toEqual({
      name: 'Bobkcatta',
      phone: '+4915123456789',
      answers: '["Because\\nI like it"]',
      reason: 'Full for now',
    })

    const stored = await storedText(id)
    expect(stored).not.toMatch(INVISIBLE)
    expect(stored).toContain('Trail Bobkcatta')
  })

  it('refuses a name that is nothing but invisible characters', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const refused = await joinJson(invite.code, {
      name: '\u202E\u2066\u200F',
      email: 'ghost@example.com',
    })
    expectProblem(refused, 400, 'validation_failed')
    expectProblem(
      await call('POST', '/api/tokens', { body: { name: '\u202E\u0007', role: 'owner' } }),
      400,
      'validation_failed',
    )
    // Characters drawn as nothing, or as blank, are kept inside a text (a zero-width joiner
    // makes one emoji of two) but are no name by themselves: a list would show it empty.
    // Nor are characters taken out (controls, bidi marks, half a surrogate pair) or spaces:
    // told the same, not that an empty text is "too small" after what was sent.
    for (const name of [
      '\u202E\u2066\u200F',
      '\uD800',
      '\uDC00\u0007',
      '   ',
      '',
      '\u200B',
      '\u200B\u200D',
      '\u3164',
      '\u2800',
      '\uFE0F',
      '\u00AD',
      '\u2063',
      '\u{E0041}\u{E0042}',
      '\u0301\u0308',
      '\u0E31',
      '\u{1D159}',
      '\uFFF9\uFFFB',
    ]) {
      const problem = expectProblem(
        await call('POST', '/api/communities', {
          body: { name, description: 'x', visibility: 'open' },
        }),
        400,
        'validation_failed',
      )
      expect(problem.errors, JSON.stringify(name)).toEqual([
        { path: 'name', message: 'Must contain a visible character' },
      ])
    }
    const kept = await call('POST', '/api/communities', {
      body: { name: 'Run 👩\u200D💻 Club', description: 'x', visibility: 'open' },
    })
    expect(kept.status, kept.text).toBe(201)
    expect(kept.json.name).toBe('Run 👩\u200D💻 Club')
    // A mark on a letter is part of the name: Thai and Devanagari write most words with them.
    const marked = await call('POST', '/api/communities', {
      body: { name: 'สวัสดี नमस्ते', description: 'x', visibility: 'open' },
    })
    expect(marked.status, marked.text).toBe(201)
    expect(marked.json.name).toBe('สวัสดี नमस्ते')
  })

  it('stores what it answers: no half characters, and no text that grew past its limit once normalised', async () => {
    const community = await createCommunity()
    // Halves of surrogate pairs are no characters: gone, or the name is empty and refused.
    const half = await call('POST', `/api/communities/${community.id}/groups`, {
      body: { name: 'Run\uD800ners\uDC00' },
    })
    expect(half.status, half.text).toBe(201)
    expect(half.json.name).toBe('Runners')
    expect(await query('select name from groups where id = ?', half.json.id)).toEqual([
      { name: 'Runners' },
    ])
    expectProblem(
      await call('POST', `/api/communities/${community.id}/groups`, {
        body: { name: '\uD800'.repeat(100) },
      }),
      400,
      'validation_failed',
    )
    // U+0958 is spelled with two characters in NFC: 100 of them would be stored as 200.
    const grown = await call('POST', `/api/communities/${community.id}/groups`, {
      body: { name: '\u0958'.repeat(100) },
    })
    expect(expectProblem(grown, 400, 'validation_failed').errors).toEqual([
      { path: 'name', message: 'Too big: expected string to have <=100 characters' },
    ])
    const fits = await call('POST', `/api/communities/${community.id}/groups`, {
      body: { name: '\u0958'.repeat(50) },
    })
    expect(fits.status, fits.text).toBe(201)
    expect([...fits.json.name]).toHaveLength(100)
    // What a client read, written back unchanged, is accepted again.
    const read = await call('GET', `/api/groups/${fits.json.id}`)
    const again = await call('PATCH', `/api/groups/${fits.json.id}`, {
      body: { name: read.json.name },
    })
    expect(again.status, again.text).toBe(200)
  })

  it('through the join form', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const form = await visit(`/i/${invite.code}/join`)
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!
    const cookie = form.headers.get('set-cookie')!.split(';')[0]!
    const phone = newPhone()
    const sent = await call('POST', `/i/${invite.code}/join`, {
      token: null,
      rawBody: new URLSearchParams({
        csrf,
        name: `${SPOOFED}\u0007`,
        phone,
        consent: 'yes',
      }).toString(),
      headers: {
        cookie,
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        'cf-connecting-ip': '203.0.113.90',
      },
    })
    expect(sent.status, sent.text).toBe(303)
    const [member] = await query<{ name: string }>(
      'select name from members where phone = ?',
      phone,
    )
    expect(member!.name).toBe('Bobkcatta')
  })

  it('through the dashboard’s forms', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const created = await post('/admin/communities', cookie, {
      _csrf: csrf,
      name: `${SPOOFED} Makers ${crypto.randomUUID().slice(0, 6)}`,
      description: 'Wood\u202E and\r\nmetal',
      visibility: 'open',
      joinQuestions: `First\u2066\nSecond\u0085`,
    })
    expect(created.status, created.text).toBe(303)
    const id = /cmt_[0-9a-z]+/.exec(created.headers.get('location')!)![0]
    const link = await post(`/admin/communities/${id}/links`, cookie, {
      _csrf: csrf,
      label: `Flyer ${SPOOFED}`,
      source: 'street\u202D',
    })
    expect(link.status, link.text).toBe(303)
    const announced = await post(`/admin/communities/${id}/announcements`, cookie, {
      _csrf: csrf,
      body: `Opening\u202E\r\nSaturday`,
      sendAt: '2031-05-01T10:00',
      timezone: 'Europe/Berlin',
    })
    expect(announced.status, announced.text).toBe(303)
    const [community] = await query<{ name: string; description: string; join_questions: string }>(
      'select name, description, join_questions from communities where id = ?',
      id,
    )
    expect(community!.name).toMatch(/^Bobkcatta Makers/)
    expect(community!.description).toBe('Wood and\nmetal')
    expect(community!.join_questions).toBe('["First","Second"]')
    const stored = await storedText(id)
    expect(stored).not.toMatch(INVISIBLE)
    expect(stored).toContain('Flyer Bobkcatta')
    expect(stored).toContain('Opening\\nSaturday')
  })
})

describe('people’s text is isolated where it sits next to other text', () => {
  it('wraps names and texts in <bdi> on the admins’ and the public pages', async () => {
    // A row stored before text was cleaned: the page must still keep it in its place.
    const community = await createCommunity({ visibility: 'closed', joinQuestions: ['Why?'] })
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, {
      name: 'Placeholder',
      phone: newPhone(),
      answers: ['x'],
    })
    await query(
      'update join_requests set name = ? where id = ?',
      SPOOFED,
      joined.json.joinRequestId,
    )
    const { cookie } = await signIn()
    const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
    // Every time the name is shown as text (not in an attribute), it sits alone in a <bdi>.
    const shown = approvals.text.replace(/="[^"]*"/g, '=""')
    expect(shown.split(SPOOFED).length - 1).toBeGreaterThan(0)
    expect(shown.split(`<bdi>${SPOOFED}</bdi>`).length).toBe(shown.split(SPOOFED).length)

    const form = await visit(`/i/${invite.code}/join`, { 'accept-language': 'en' })
    expect(form.text).toMatch(/<h1>Join <bdi>[^<]+<\/bdi><\/h1>/)
    const landing = await visit(`/i/${invite.code}`)
    expect(landing.text).toMatch(/<h1><bdi>[^<]+<\/bdi><\/h1>/)
  })

  it('isolates a rejection reason inside the sentence on the status page', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, { name: 'Rejected', phone: newPhone() })
    await call('POST', `/api/join-requests/${joined.json.joinRequestId}/reject`, {
      body: { reason: 'No room left' },
    })
    // The decision shows once the number's owner sent the page's code.
    await sendCodeFrom(joined)
    await eventually(async () => {
      const status = await visit(new URL(joined.json.statusUrl, BASE).pathname, {
        'accept-language': 'en',
      })
      expect(status.text).toContain('Reason: <bdi>No room left</bdi>')
    })
  })
})
