import { describe, expect, it } from 'vitest'
import { MESSAGES } from '../../src/lib/i18n'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  eventually,
  expectProblem,
  joinAsMember,
  joinJson,
  newPhone,
  notifyWhatsApp,
  query,
  visit,
} from './helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { rawMultipart } from './dashboard-helpers'

const CHAT = 'https://chat.whatsapp.com/RunnersGroup123'

/** Opens the form like a browser: the CSRF cookie and the token in the form. */
async function openForm(code: string) {
  const page = await visit(`/i/${code}/join?lang=en`)
  expect(page.status).toBe(200)
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!
  return { page, cookie, csrf }
}

async function submitForm(
  code: string,
  fields: Record<string, string | string[]>,
  form?: { cookie: string; csrf: string },
  site = 'same-origin',
) {
  const { cookie, csrf } = form ?? (await openForm(code))
  const body = new URLSearchParams({ csrf })
  for (const [key, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) body.append(key, v)
  }
  return call('POST', `/i/${code}/join?lang=en`, {
    token: null,
    rawBody: body.toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      cookie,
      'sec-fetch-site': site,
      'cf-connecting-ip': `203.0.113.${Math.floor(Math.random() * 250)}`,
    },
  })
}

describe('joining an open community through the form', () => {
  it('makes the person a member at once and shows the chat link, their referral link and QR', async () => {
    const community = await createCommunity({ visibility: 'open' })
    const group = await createGroup(community.id, { chatInviteUrl: CHAT })
    const invite = await createInvite(community.id, { groupId: group.id, source: 'flyer' })
    const { page } = await openForm(invite.code)
    expect(page.text).toContain('<label for="name">Your name</label>')
    expect(page.text).toContain('name="website"') // the honeypot

    const response = await submitForm(invite.code, {
      name: 'Anna',
      phone: '0151 2345 6789',
      consent: 'yes',
    })
    expect(response.status, response.text).toBe(303)
    const location = response.headers.get('location')!
    expect(location).toMatch(/^\/s\/[A-Za-z0-9_-]{43}\?lang=en$/)

    const before = await visit(location)
    expect(before.text).toContain('Your place is confirmed')
    expect(before.text).toContain(`href="${CHAT}"`)
    // The form's word made the membership; the member's own links wait for a proof that the
    // number is theirs (whoever typed it learns nothing of a member), offered on the page.
    expect(before.text).not.toMatch(/\/leave\//)
    expect(before.text).toContain('Confirm in WhatsApp')
    const wa = /href="(https:\/\/wa\.me\/[^"]+)"/.exec(before.text)![1]!.replaceAll('&amp;', '&')
    await notifyWhatsApp(textNotification('+4915123456789', new URL(wa).searchParams.get('text')!))
    const status = await eventually(async () => {
      const page = await visit(location)
      expect(page.text).toMatch(/\/leave\//)
      return page
    })
    expect(status.text).toContain('Your place is confirmed')
    expect(status.text).toContain(`href="${CHAT}"`)
    expect(status.text).not.toContain('Confirm in WhatsApp')
    const referral = /https:\/\/join\.example\.com\/i\/([a-z2-9]{13})/.exec(status.text)!
    expect(referral[1]).not.toBe(invite.code)
    expect(status.text).toContain(`src="https://join.example.com/i/${referral[1]}/qr.svg"`)
    // A button copies it, for any app beyond WhatsApp and Telegram: shown by a script the page's
    // CSP lets run (its nonce), where the browser can copy.
    expect(status.text).toContain(
      `hidden="" aria-live="polite" data-copy="https://join.example.com/i/${referral[1]}" data-done="Copied">Copy link</button>`,
    )
    const nonce = /script-src 'nonce-([^']+)'/.exec(status.headers.get('content-security-policy')!)
    expect(status.text).toContain(`<script nonce="${nonce![1]}">`)
    expect(status.text).toMatch(/href="https:\/\/join\.example\.com\/leave\/mem_[^"]+"/)
    expect(status.text).not.toContain('+4915123456789') // contact details never on a page

    const [member] = await query('select * from members where community_id = ?', community.id)
    expect(member).toMatchObject({
      name: 'Anna',
      phone: '+4915123456789',
      status: 'active',
      consent: 1,
    })
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    expect(groups.json.data.map((g: { memberCount: number }) => g.memberCount)).toEqual([1, 1])
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(1)
    const events = await query<{ type: string }>(
      'select type from events where community_id = ? order by id',
      community.id,
    )
    expect(events.map((e) => e.type)).toEqual(['member.joined'])
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ joinRequests: 1, joins: 1 })
  })

  it('refuses a form without the CSRF cookie', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const { csrf } = await openForm(invite.code)
    const before = await countRows('members')
    const response = await submitForm(
      invite.code,
      { name: 'Eve', email: 'eve@example.com', consent: 'yes' },
      { cookie: 'cg_csrf=forged', csrf },
    )
    expect(response.status).toBe(403)
    expect(await countRows('members')).toBe(before)
    // The form again, in its language, as it was typed but for the consent box (a form sent
    // from another site lands here too: only the person ticks it), with a token that works.
    expect(response.text).toContain('This form was open too long. What you typed is still here')
    expect(response.text).toContain('value="Eve"')
    expect(response.text).toContain('value="eve@example.com"')
    expect(response.text).not.toMatch(/name="consent"[^>]*checked/)
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!
    const token = /name="csrf" value="([^"]+)"/.exec(response.text)![1]!
    expect(cookie).toBe(`cg_csrf=${token}`)
    const again = await submitForm(
      invite.code,
      { name: 'Eve', email: 'eve@example.com', consent: 'yes' },
      { cookie, csrf: token },
    )
    expect(again.status).toBe(303)
    expect(await countRows('members')).toBe(before + 1)
  })

  it('sends back an empty form to one sent from another site, so no site fills it in for a visitor', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = await countRows('join_requests')
    const forged = await submitForm(
      invite.code,
      { name: 'Mallory', email: 'mallory@evil.example', consent: 'yes' },
      { cookie: '', csrf: '' },
      'cross-site',
    )
    expect(forged.status).toBe(403)
    expect(forged.text).toContain('This form was open too long. Please fill it in again')
    expect(forged.text).not.toContain('Mallory')
    expect(forged.text).not.toContain('mallory@evil.example')
    expect(await countRows('join_requests')).toBe(before)
  })

  it('refuses a made-up token pair, even an equal one, as it refuses a mismatch', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = await countRows('join_requests')
    const fields = { name: 'Eve', email: 'eve@example.com', consent: 'yes' }
    const mismatched = await submitForm(invite.code, fields, { cookie: 'cg_csrf=x', csrf: 'y' })
    const madeUp = await submitForm(invite.code, fields, { cookie: 'cg_csrf=x', csrf: 'x' })
    expect(mismatched.status).toBe(403)
    expect(madeUp.status).toBe(403)
    expect(madeUp.text).toContain('This form was open too long.')
    expect(await countRows('join_requests')).toBe(before)
  })

  it('thanks a bot that fills the honeypot and stores nothing', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = await countRows('join_requests')
    const response = await submitForm(invite.code, {
      name: 'Bot',
      email: 'bot@example.com',
      consent: 'yes',
      website: 'http://spam.example',
    })
    expect(response.status).toBe(200)
    expect(await countRows('join_requests')).toBe(before)
  })

  it('refuses a form sent as multipart (a file as an answer, bytes that are not UTF-8), and stores nothing', async () => {
    const community = await createCommunity({
      visibility: 'closed',
      joinQuestions: ['Why do you want to join?'],
    })
    const invite = await createInvite(community.id)
    const { cookie, csrf } = await openForm(invite.code)
    const body = new FormData()
    body.append('csrf', csrf)
    body.append('name', 'Uma')
    body.append('email', 'uma@example.com')
    body.append('consent', 'yes')
    body.append('answers', new File(['I like running'], 'answer.txt', { type: 'text/plain' }))
    const response = await call('POST', `/i/${invite.code}/join?lang=en`, {
      token: null,
      rawBody: body,
      headers: { accept: 'text/html', cookie, 'cf-connecting-ip': '203.0.113.77' },
    })
    expect(response.status).toBe(415)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(response.text).not.toContain('[object File]')
    // The runtime reads a multipart text's bytes that are not UTF-8 as U+FFFD: a name nobody
    // typed. The same bytes urlencoded are refused as unreadable (400).
    const { body: raw, contentType } = rawMultipart([
      ['csrf', csrf],
      ['name', new Uint8Array([0x42, 0xff, 0xfe, 0x42])],
      ['email', 'bad-bytes@example.com'],
      ['consent', 'yes'],
    ])
    const bytes = await call('POST', `/i/${invite.code}/join?lang=en`, {
      token: null,
      rawBody: raw,
      headers: {
        accept: 'text/html',
        cookie,
        'content-type': contentType,
        'cf-connecting-ip': '203.0.113.78',
      },
    })
    expect(bytes.status).toBe(415)
    expect(
      await query('select id from join_requests where community_id = ?', community.id),
    ).toEqual([])
  })

  it('shows the form again with a clear message when something is missing', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await submitForm(invite.code, { name: 'Anna', phone: '12', consent: 'yes' })
    expect(response.status).toBe(400)
    expect(response.text).toContain('Not a valid phone number')
    expect(response.text).toContain('value="Anna"')
    const noConsent = await submitForm(invite.code, { name: 'Anna', email: 'anna@example.com' })
    expect(noConsent.status).toBe(400)
    expect(noConsent.text).toContain('Please agree to be contacted')
  })
})

describe('joining through JSON', () => {
  it('answers an open join with the membership and its private links', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const response = await joinAsMember(invite.code, { name: 'Ben', email: 'Ben@Example.com' })
    expect(response.status).toBe(201)
    expect(response.json).toMatchObject({
      status: 'active',
      memberId: expect.stringMatching(/^mem_/),
    })
    expect(response.json.statusUrl).toMatch(/^https:\/\/join\.example\.com\/s\//)
    expect(response.json.referralUrl).toMatch(/^https:\/\/join\.example\.com\/i\/[a-z2-9]{13}$/)
    expect(response.json.leaveUrl).toMatch(/^https:\/\/join\.example\.com\/leave\//)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    const [member] = await query('select email from members where id = ?', response.json.memberId)
    expect(member!.email).toBe('ben@example.com')
  })

  it('answers a known contact like a new one, never a duplicate, and hands out no private links', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const member = await joinAsMember(invite.code, { name: 'Cara', phone })
    expect(member.json.leaveUrl).toMatch(/\/leave\//)
    // Whoever types a number: once a member's, once nobody's.
    const known = await joinJson(invite.code, { name: 'Mallory', phone, email: 'm@example.com' })
    const fresh = await joinJson(invite.code, {
      name: 'Mallory',
      phone: newPhone(),
      email: 'n@example.com',
    })
    // Same status code, shape and values: nothing tells that the number is known.
    expect(known.status).toBe(201)
    expect(fresh.status).toBe(201)
    expect(Object.keys(known.json).sort()).toEqual(Object.keys(fresh.json).sort())
    const shown = (answer: typeof known) => ({
      ...answer.json,
      joinRequestId: typeof answer.json.joinRequestId,
      statusUrl: typeof answer.json.statusUrl,
      confirmation: Object.keys(answer.json.confirmation).sort(),
    })
    expect(shown(known)).toEqual(shown(fresh))
    expect(known.json).toMatchObject({
      status: 'active',
      memberId: null,
      referralUrl: null,
      leaveUrl: null,
    })
    expect(known.json.confirmation.code).not.toBe(fresh.json.confirmation.code)
    expect(await query('select id from members where community_id = ?', community.id)).toHaveLength(
      2,
    )
    // Their status pages say the same, and neither shows a leave or referral link.
    const pageOf = async (answer: typeof known) =>
      (await visit(new URL(answer.json.statusUrl).pathname + '?lang=en')).text
        .replaceAll(answer.json.confirmation.code, 'CODE')
        .replace(/wa\.me\/[^"]+/g, 'wa.me')
        .replace(/data:image\/svg\+xml;base64,[^"]+/g, 'QR')
        .replace(/nonce="[^"]+"/g, 'nonce')
        .replace(/Valid until [^<]+/g, 'Valid until')
    const knownPage = await pageOf(known)
    expect(knownPage).toEqual(await pageOf(fresh))
    expect(knownPage).toContain('Your place is confirmed')
    expect(knownPage).not.toContain('/leave/')
    expect(knownPage).not.toContain(new URL(member.json.referralUrl).pathname)

    // The owner of the number, sending the code shown, is shown their own membership there.
    const message = new URL(known.json.confirmation.whatsappUrl).searchParams.get('text')!
    await notifyWhatsApp(textNotification(phone, message))
    const proven = await eventually(async () => {
      const page = await visit(new URL(known.json.statusUrl).pathname + '?lang=en')
      expect(page.text).toContain(new URL(member.json.referralUrl).pathname)
      return page.text
    })
    expect(proven).toMatch(/\/leave\//)
    // Still one membership for the number; the repeat keeps no contact data of its own.
    const members = await query<{ phone: string }>(
      'select phone from members where community_id = ? and phone = ?',
      community.id,
      phone,
    )
    expect(members).toHaveLength(1)
    const [repeat] = await query<{ name: string; phone: string | null; email: string | null }>(
      'select name, phone, email from join_requests where id = ?',
      known.json.joinRequestId,
    )
    expect(repeat).toEqual({ name: '', phone: null, email: null })
  })

  it('refuses bad input with problem details and writes nothing', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = [await countRows('members'), await countRows('join_requests')]
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x' }, 'phone'],
      [{ name: 'x', phone: 'call me' }, 'phone'],
      [{ name: 'x', email: 'not-an-email' }, 'email'],
      [{ name: '', email: 'a@example.com' }, 'name'],
      [{ name: 'x', email: 'a@example.com', consent: false }, 'consent'],
      [{ name: 'x', email: 'a@example.com', admin: true }, 'admin'],
    ]
    for (const [body, path] of cases) {
      const problem = expectProblem(await joinJson(invite.code, body), 400, 'validation_failed')
      expect(
        problem.errors.map((e: { path: string }) => e.path),
        JSON.stringify(body),
      ).toContain(path)
    }
    expectProblem(
      await call('POST', `/i/${invite.code}/join`, {
        token: null,
        rawBody: '{oops',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
      }),
      400,
      'malformed_json',
    )
    expect([await countRows('members'), await countRows('join_requests')]).toEqual(before)
  })

  it('takes any JSON media type as JSON, and refuses a body that is neither JSON nor a form, or JSON in another charset than UTF-8, with 415', async () => {
    const invite = await createInvite((await createCommunity()).id)
    for (const contentType of [
      'application/vnd.api+json',
      'application/json; charset=utf-8',
      'Application/JSON',
    ]) {
      const joined = await joinJson(
        invite.code,
        { name: 'Jo', email: `jo-${crypto.randomUUID()}@example.com` },
        { 'content-type': contentType },
      )
      expect(joined.status, `${contentType}: ${joined.text}`).toBe(201)
    }
    const before = await countRows('join_requests')
    const body = JSON.stringify({ name: 'Kai', email: 'kai@example.com', consent: true })
    for (const [rawBody, headers] of [
      [body, { 'content-type': 'text/plain' }],
      [body, { 'content-type': 'application/octet-stream' }],
      [new TextEncoder().encode(body), {}],
      // Read as UTF-8, it would be other text than sent: refused rather than misread.
      [body, { 'content-type': 'application/json; charset=utf-16' }],
      [body, { 'content-type': 'application/json; charset=iso-8859-1' }],
    ] as const) {
      expectProblem(
        await call('POST', `/i/${invite.code}/join`, {
          token: null,
          rawBody,
          headers: { accept: 'application/json', ...headers },
        }),
        415,
        'unsupported_media_type',
      )
    }
    expect(await countRows('join_requests')).toBe(before)
  })

  it('refuses revoked, expired and unknown links', async () => {
    const community = await createCommunity()
    const revoked = await createInvite(community.id)
    await call('POST', `/api/invites/${revoked.id}/revoke`)
    expectProblem(
      await joinJson(revoked.code, { name: 'x', email: 'x@example.com' }),
      410,
      'invite_unusable',
    )
    const expired = await createInvite(community.id)
    await query('update invites set expires_at = ? where id = ?', Date.now() - 1, expired.id)
    expectProblem(
      await joinJson(expired.code, { name: 'x', email: 'x@example.com' }),
      410,
      'invite_unusable',
    )
    expectProblem(
      await joinJson('abcdefghjkmnp', { name: 'x', email: 'x@example.com' }),
      404,
      'not_found',
    )
  })
})

describe('limits hold under concurrency', () => {
  it('50 people joining at once through a link with maxUses 10: exactly 10 members, 40 clear refusals', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { maxUses: 10 })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        joinJson(invite.code, {
          name: `Runner ${i}`,
          email: `runner${i}-${invite.code}@example.com`,
        }),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(10)
    const refused = results.filter((r) => r.status !== 201)
    expect(refused).toHaveLength(40)
    expect(refused.every((r) => r.status === 410 && r.json.code === 'invite_unusable')).toBe(true)
    expect(await query('select id from members where community_id = ?', community.id)).toHaveLength(
      10,
    )
    expect((await call('GET', `/api/invites/${invite.id}`)).json).toMatchObject({
      uses: 10,
      status: 'used_up',
    })
  })

  it('50 people joining a group with room for 10 at once: exactly 10 in it', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { memberLimit: 10 })
    const invite = await createInvite(community.id, { groupId: group.id })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        joinJson(invite.code, { name: `Member ${i}`, phone: newPhone() }),
      ),
    )
    expect(results.filter((r) => r.status === 201)).toHaveLength(10)
    expect(results.filter((r) => r.status === 409 && r.json.code === 'group_full')).toHaveLength(40)
    expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(10)
    expect(await query('select * from group_members where group_id = ?', group.id)).toHaveLength(10)
    expect(
      await query(
        "select id from join_requests where community_id = ? and status = 'pending'",
        community.id,
      ),
    ).toHaveLength(0)
  })
})

describe('leaving', () => {
  /** What a browser sends with the leave page's own form. */
  const fromLeavePage = { 'sec-fetch-site': 'same-origin' }

  it('one tap on the signed leave link ends the membership for good', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id, { groupId: group.id })
    const joined = await joinAsMember(invite.code, { name: 'Dana', phone: newPhone() })
    const leavePath = new URL(joined.json.leaveUrl).pathname

    const confirm = await visit(`${leavePath}?lang=en`)
    expect(confirm.text).toContain('End your membership?')
    expect(
      (await query('select status from members where id = ?', joined.json.memberId))[0]!.status,
    ).toBe('active')

    const left = await call('POST', `${leavePath}?lang=en`, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(left.status).toBe(200)
    expect(left.text).toContain('Your membership has ended')
    expect(
      (await query('select status from members where id = ?', joined.json.memberId))[0]!.status,
    ).toBe('left')
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    expect(groups.json.data.map((g: { memberCount: number }) => g.memberCount)).toEqual([0, 0])
    const types = await query<{ type: string }>(
      'select type from events where community_id = ? order by id',
      community.id,
    )
    expect(types.map((t) => t.type)).toEqual(['member.joined', 'member.left'])

    // Their referral link stops working, and the status page says they left.
    expect((await visit(new URL(joined.json.referralUrl).pathname)).status).toBe(410)
    expect((await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')).text).toContain(
      'You are no longer a member',
    )
    // Leaving again is harmless.
    expect((await call('POST', leavePath, { token: null, headers: fromLeavePage })).status).toBe(
      200,
    )
  })

  it('refuses a leave form sent from another site, as a forged confirmation is, and keeps the member', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const joined = await joinAsMember(invite.code, { name: 'Ida', phone: newPhone() })
    const leavePath = new URL(joined.json.leaveUrl).pathname
    const fromOtherSites: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]
    for (const headers of fromOtherSites) {
      const refused = await call('POST', `${leavePath}?lang=en`, {
        token: null,
        rawBody: new URLSearchParams({ reason: 'other' }),
        headers: {
          accept: 'text/html',
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
      })
      expect(refused.status, JSON.stringify(headers)).toBe(403)
      expect(refused.text).toContain(MESSAGES.en.crossSiteTitle)
      // Said to a member, who has no dashboard to go back to.
      expect(refused.text).toContain('Open the link you were given again')
      expect(refused.text).not.toContain('dashboard')
    }
    expect(
      (await query('select status from members where id = ?', joined.json.memberId))[0]!.status,
    ).toBe('active')
  })

  it('refuses a forged leave link', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const joined = await joinAsMember(invite.code, { name: 'Eli', phone: newPhone() })
    const forged = `/leave/${joined.json.memberId}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`
    expect((await call('POST', forged, { token: null, headers: fromLeavePage })).status).toBe(404)
    expect(
      (await query('select status from members where id = ?', joined.json.memberId))[0]!.status,
    ).toBe('active')
  })

  it('lets the same person join again later as a new membership', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const phone = newPhone()
    const first = await joinAsMember(invite.code, { name: 'Finn', phone })
    await call('POST', new URL(first.json.leaveUrl).pathname, {
      token: null,
      headers: fromLeavePage,
    })
    const again = await joinAsMember(invite.code, { name: 'Finn', phone })
    expect(again.status).toBe(201)
    expect(again.json.memberId).not.toBe(first.json.memberId)
  })
})

describe('join security', () => {
  it('keeps the join request API to the community’s admins', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const other = await createCommunity()
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id)
    const pending = await joinJson(invite.code, { name: 'Gus', phone: newPhone() })
    const outsider = await createToken({ role: 'community_admin', communityId: other.id })
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    // Hidden from another community's admin (404), refused to the community's group admin (403).
    for (const [token, status, code] of [
      [outsider.token, 404, 'not_found'],
      [groupAdmin.token, 403, 'forbidden'],
    ] as const) {
      expectProblem(
        await call('GET', `/api/communities/${community.id}/join-requests`, { token }),
        status,
        code,
      )
      expectProblem(
        await call('POST', `/api/join-requests/${pending.json.joinRequestId}/approve`, { token }),
        status,
        code,
      )
      expectProblem(
        await call('GET', `/api/communities/${community.id}/members`, { token }),
        status,
        code,
      )
    }
    expectProblem(
      await call('GET', `/api/communities/${community.id}/members`, { token: null }),
      401,
      'unauthorized',
    )
  })
})
