import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, createInvite, createToken, query } from './helpers'
import { csrfOf, page, post, postBody, signIn } from './dashboard-helpers'

/**
 * Dashboard forms sent as no browser sends them. A field the form has once that comes twice, or
 * a file where it has text, is refused whole, on a page that says which field, and changes
 * nothing; a field left out keeps what it stands for; bytes that are not UTF-8 are refused, not
 * stored as replacement characters.
 */

/** A community's settings form sent with `fields` as raw urlencoded text after its token. */
async function settingsSentAs(fields: string) {
  const community = await createCommunity()
  const { cookie } = await signIn()
  const path = `/admin/communities/${community.id}/settings`
  const csrf = csrfOf((await page(path, cookie)).text)
  const answer = await postBody(path, cookie, `_csrf=${encodeURIComponent(csrf)}&${fields}`, {
    'content-type': 'application/x-www-form-urlencoded',
  })
  return { community, answer }
}

function expectRefusedTwice(answer: { status: number; text: string }, field: string) {
  expect(answer.status, answer.text.slice(0, 300)).toBe(400)
  expect(answer.text).toContain('<!DOCTYPE html>')
  expect(answer.text).toContain(`The field ${field} was sent more than once.`)
}

describe('a dashboard form with a field sent twice', () => {
  it('leaves a community’s settings as they were', async () => {
    const community = await createCommunity({
      description: 'Runs every Sunday at nine',
      memberOffer: 'Free coffee',
    })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/settings`
    const settings = await page(path, cookie)
    const answer = await post(path, cookie, {
      _csrf: csrfOf(settings.text),
      name: 'Renamed',
      description: ['Runs every Sunday at nine', 'And on Wednesdays'],
      visibility: community.visibility,
      consent: community.consent,
      timeZone: community.timeZone,
      memberOffer: 'Free coffee',
    })
    expectRefusedTwice(answer, 'description')
    const read = (await call('GET', `/api/communities/${community.id}`)).json
    expect(read).toMatchObject({
      name: community.name,
      description: 'Runs every Sunday at nine',
      memberOffer: 'Free coffee',
    })
  })

  it('keeps a teammate’s e-mail address', async () => {
    const community = await createCommunity()
    const teammate = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const path = `/admin/communities/${community.id}/team/${teammate.id}/email`
    const set = await post(path, cookie, { _csrf: csrfOf(team.text), email: 'mia@example.org' })
    expect(set.text).toContain('The address is saved.')
    const twice = await post(path, cookie, {
      _csrf: csrfOf(team.text),
      email: ['mia@example.org', 'someone.else@example.org'],
    })
    expectRefusedTwice(twice, 'email')
    const rows = await query<{ email: string | null }>(
      'select email from api_tokens where id = ?',
      teammate.id,
    )
    expect(rows[0]!.email).toBe('mia@example.org')
  })

  it('adds no reward rule', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/rewards`
    const rewards = await page(path, cookie)
    const answer = await post(path, cookie, {
      _csrf: csrfOf(rewards.text),
      threshold: ['3', '30'],
      title: 'Swim cap',
      code: 'SWIM-CAP',
      minRetentionDays: '0',
      description: '',
    })
    expectRefusedTwice(answer, 'threshold')
    const rules = await query('select id from reward_rules where community_id = ?', community.id)
    expect(rules).toEqual([])
  })

  it('changes no admin’s role when the page to go back to came twice', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    const answer = await post(
      `/admin/communities/${community.id}/admins/${admin.id}/demote`,
      cookie,
      { _csrf: csrfOf(settings.text), groupId: group.id, back: ['settings', 'team'] },
    )
    expectRefusedTwice(answer, 'back')
    const rows = await query<{ role: string }>('select role from api_tokens where id = ?', admin.id)
    expect(rows[0]!.role).toBe('community_admin')
  })

  it('refuses the repeat rule’s fields twice or out of range, and its own fields twice, on the compose form', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/announcements`
    const csrf = csrfOf((await page(path, cookie)).text)
    const fields = {
      _csrf: csrf,
      body: 'Weekly run',
      audience: 'announcement',
      sendAt: '2031-03-01T10:00',
    }
    expectRefusedTwice(
      await post(path, cookie, { ...fields, repeat: ['weekly', 'daily'] }),
      'repeat',
    )
    expectRefusedTwice(await post(path, cookie, { ...fields, body: ['One', 'Two'] }), 'body')
    // A value the picker never offers (typed past the number field's bounds: "Show next dates"
    // sends the form unchecked) is named on the form, not read as its default.
    for (const [field, value] of [
      ['monthDay', '40'],
      ['time', '25:99'],
      ['repeat', 'hourly'],
    ]) {
      for (const intent of [{}, { intent: 'preview' }] as Array<Record<string, string>>) {
        const odd = await post(path, cookie, {
          ...fields,
          ...intent,
          repeat: 'monthly',
          [field!]: value!,
        })
        expect(odd.status, `${field}=${value}`).toBe(400)
        expect(odd.text).toContain(
          '<p id="cron-error" class="err">Choose what the form offers: days of the week from the list, a day of the month from 1 to 31, a time such as 09:00.</p>',
        )
      }
    }
    const oddDay = await post(path, cookie, { ...fields, repeat: 'weekly', weekdays: ['1', '7'] })
    expect(oddDay.status).toBe(400)
    expect(oddDay.text).toContain('days of the week from the list')
    // A time with seconds is that minute; a day typed for a monthly rule is not read for a daily.
    const daily = await post(path, cookie, {
      ...fields,
      sendAt: '',
      repeat: 'daily',
      time: '07:30:00',
      monthDay: '40',
    })
    expect(daily.status, daily.text.slice(0, 300)).toBe(303)
    const stored = await query<{ repeat_cron: string }>(
      'select repeat_cron from announcements where community_id = ?',
      community.id,
    )
    expect(stored).toEqual([{ repeat_cron: '30 7 * * *' }])
  })

  it('refuses a QR design whose margin came twice or was emptied, and keeps the one saved', async () => {
    const community = await createCommunity()
    const link = await createInvite(community.id)
    const { cookie } = await signIn()
    const path = `/admin/links/${link.id}/qr-design`
    const csrf = csrfOf((await page(`/admin/links/${link.id}`, cookie)).text)
    const design = { _csrf: csrf, fg: '#000000', bg: '#ffffff', level: 'M', style: 'square' }
    expect((await post(path, cookie, { ...design, margin: '6' })).status).toBe(303)
    expectRefusedTwice(await post(path, cookie, { ...design, margin: ['6', '0'] }), 'margin')
    const emptied = await post(path, cookie, { ...design, margin: '' })
    expect(emptied.status).toBe(400)
    expect(emptied.text).toMatch(/id="margin"[^>]*aria-invalid="true"/)
    expect((await call('GET', `/api/invites/${link.id}/qr-design`)).json.margin).toBe(6)
  })
})

describe('a dashboard form with a field left out', () => {
  it('keeps the link settings it did not send', async () => {
    const community = await createCommunity()
    const link = await createInvite(community.id, {
      label: 'Flyer',
      source: 'print',
      campaign: 'spring',
      maxUses: 50,
    })
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/links/${link.id}`, cookie)).text)
    const saved = await post(`/admin/links/${link.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Poster',
    })
    expect(saved.status, saved.text.slice(0, 300)).toBe(303)
    const read = (await call('GET', `/api/invites/${link.id}`)).json
    expect(read).toMatchObject({
      label: 'Poster',
      source: 'print',
      campaign: 'spring',
      maxUses: 50,
    })
  })

  it('keeps the community settings it did not send', async () => {
    const community = await createCommunity({
      description: 'Runs every Sunday at nine',
      memberOffer: 'Free coffee',
      joinQuestions: ['Your pace?'],
    })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/settings`
    const csrf = csrfOf((await page(path, cookie)).text)
    const saved = await post(path, cookie, { _csrf: csrf, name: 'Sunday Runners' })
    expect(saved.status, saved.text.slice(0, 300)).toBe(303)
    const read = (await call('GET', `/api/communities/${community.id}`)).json
    expect(read).toMatchObject({
      name: 'Sunday Runners',
      description: 'Runs every Sunday at nine',
      memberOffer: 'Free coffee',
      joinQuestions: ['Your pace?'],
    })
  })

  it('refuses a teammate’s address form without its field, or with a file in it', async () => {
    const community = await createCommunity()
    const teammate = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const path = `/admin/communities/${community.id}/team/${teammate.id}/email`
    await post(path, cookie, { _csrf: csrfOf(team.text), email: 'mia@example.org' })
    const missing = await post(path, cookie, { _csrf: csrfOf(team.text) })
    expect(missing.status).toBe(400)
    expect(missing.text).toContain('The field email is missing.')
    // A file can only come in a multipart body, which no form of ours but the QR designer's
    // sends: refused as such, and nothing of it read.
    const body = new FormData()
    body.append('_csrf', csrfOf(team.text))
    body.append('email', new File(['x'], 'email.txt'))
    const file = await postBody(path, cookie, body)
    expect(file.status, file.text.slice(0, 300)).toBe(415)
    expect(file.text).toContain('application/x-www-form-urlencoded')
    const rows = await query<{ email: string | null }>(
      'select email from api_tokens where id = ?',
      teammate.id,
    )
    expect(rows[0]!.email).toBe('mia@example.org')
  })
})

describe('a dashboard form as a browser would not send it', () => {
  it('without its token, or with two: a page that says the form expired, in the admin’s language', async () => {
    const community = await createCommunity({ description: 'Kept' })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/settings`
    const csrf = csrfOf((await page(path, cookie)).text)
    for (const token of [undefined, [csrf, csrf]]) {
      const answer = await post(path, cookie, {
        ...(token ? { _csrf: token } : {}),
        description: 'Changed',
      })
      expect(answer.status).toBe(403)
      expect(answer.headers.get('content-type')).toContain('text/html')
      expect(answer.text).toContain(
        'This form has expired. Go back: what you typed is still there.',
      )
      expect(answer.text).toContain('href="/admin"')
    }
    const german = await post(`${path}?lang=de`, cookie, { description: 'Changed' })
    expect(german.text).toContain('Das Formular ist abgelaufen.')
    expect((await call('GET', `/api/communities/${community.id}`)).json.description).toBe('Kept')
  })

  it('in bytes that are not UTF-8: refused, not saved with replacement characters', async () => {
    const { community, answer } = await settingsSentAs('name=Berlin%ED%A0%80Runners')
    expect(answer.status, answer.text.slice(0, 300)).toBe(400)
    expect(answer.text).toContain('The form could not be read.')
    expect((await call('GET', `/api/communities/${community.id}`)).json.name).toBe(community.name)
    // A replacement character typed or pasted is sent encoded, as any other: it is text.
    const typed = await settingsSentAs('name=Runners%20%EF%BF%BD')
    expect(typed.answer.status, typed.answer.text.slice(0, 300)).toBe(303)
    const stored = await call('GET', `/api/communities/${typed.community.id}`)
    expect(stored.json.name).toBe('Runners \uFFFD')
  })

  it('creating communities of one name at the same moment: each made, none told of slugs', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const name = `Race Final ${crypto.randomUUID().slice(0, 6)}`
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        post('/admin/communities', cookie, {
          _csrf: csrf,
          name,
          description: 'Same name',
          visibility: 'open',
        }),
      ),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(303))
    const slugs = await query<{ slug: string }>('select slug from communities where name = ?', name)
    expect(new Set(slugs.map((row) => row.slug)).size).toBe(6)
  })
})

describe('bytes that are not UTF-8, or a broken escape', () => {
  it('are refused in JSON, on the API and at the join, and nothing is stored', async () => {
    const community = await createCommunity({ description: 'Kept' })
    const invalid = new Uint8Array([
      ...new TextEncoder().encode('{"description":"bad'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ])
    const changed = await call('PATCH', `/api/communities/${community.id}`, {
      rawBody: invalid,
      headers: { 'content-type': 'application/json' },
    })
    expect(changed.status, changed.text).toBe(400)
    expect(changed.json).toMatchObject({
      code: 'malformed_json',
      detail: 'The request body is not UTF-8 text.',
    })
    expect((await call('GET', `/api/communities/${community.id}`)).json.description).toBe('Kept')
    const invite = await createInvite(community.id)
    const joined = await call('POST', `/i/${invite.code}/join`, {
      token: null,
      rawBody: new Uint8Array([
        ...new TextEncoder().encode('{"name":"Pat'),
        0xff,
        ...new TextEncoder().encode('","email":"pat.bytes@example.com","consent":true}'),
      ]),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    })
    expect(joined.status, joined.text).toBe(400)
    expect(joined.json.code).toBe('malformed_json')
    expect(
      await query('select id from join_requests where email = ?', 'pat.bytes@example.com'),
    ).toEqual([])
  })

  it('are refused in a form, with a `%` that starts no escape', async () => {
    const { community, answer } = await settingsSentAs('name=100%+Runners%zz')
    expect(answer.status, answer.text.slice(0, 300)).toBe(400)
    expect(answer.text).toContain('The form could not be read.')
    expect((await call('GET', `/api/communities/${community.id}`)).json.name).toBe(community.name)
  })
})
