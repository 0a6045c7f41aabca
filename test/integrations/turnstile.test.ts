import { inject } from 'vitest'
import { describe, expect, it } from 'vitest'
import {
  call,
  countRows,
  createCommunity,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  visit,
  withinOneWindow,
} from '../worker/helpers'

const HUMAN = 'human-token'

/** The join form as a browser on `address` opens it: its CSRF token and cookie. */
async function openForm(code: string, address: string) {
  const form = await visit(`/i/${code}/join`, {
    'cf-connecting-ip': address,
    'accept-language': 'en',
  })
  return {
    form,
    csrf: /name="csrf" value="([^"]+)"/.exec(form.text)![1]!,
    cookie: form.headers.get('set-cookie')!.split(';')[0]!,
  }
}

async function sendForm(code: string, address: string, fields: Record<string, string>) {
  const { csrf, cookie } = await openForm(code, address)
  return call('POST', `/i/${code}/join?lang=en`, {
    token: null,
    rawBody: new URLSearchParams({ csrf, consent: 'yes', ...fields }).toString(),
    headers: {
      cookie,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      'cf-connecting-ip': address,
    },
  })
}

describe('Turnstile, when TURNSTILE_SECRET is set', () => {
  it('the join form loads no third-party script while the address is not busy', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const { form } = await openForm(invite.code, '192.0.2.150')
    expect(form.text).not.toContain('cf-turnstile')
    expect(form.text).not.toContain('<script')
    const joined = await joinJson(invite.code, { name: 'No challenge', phone: newPhone() })
    expect(joined.status).toBe(201)
  })

  it('lets a person with a valid token join, checked against the siteverify endpoint', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await joinJson(invite.code, {
      name: 'Human',
      email: 'human@example.com',
      turnstileToken: HUMAN,
    })
    expect(response.status).toBe(201)
    const calls = (await (
      await fetch(`${inject('fakeServicesUrl')}/__requests?path=/turnstile`)
    ).json()) as Array<{ body: string }>
    const sent = new URLSearchParams(calls.at(-1)!.body)
    expect(sent.get('secret')).toBe('test-turnstile-secret')
    expect(sent.get('response')).toBe(HUMAN)
  })

  it('refuses an invalid token and stores nothing', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = await countRows('join_requests')
    expectProblem(
      await joinJson(invite.code, {
        name: 'Bot',
        email: 'bot@example.com',
        turnstileToken: 'forged',
      }),
      403,
      'turnstile_failed',
    )
    expect(await countRows('join_requests')).toBe(before)
  })

  it('challenges an address past its limit instead of refusing it, in JSON and in the form', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const venue = '192.0.2.200'
    await withinOneWindow(600, 20)
    // The configured limit here is 25 joins per address in ten minutes.
    for (let i = 0; i < 25; i++) {
      const answer = await joinJson(
        invite.code,
        { name: `Guest ${i}`, phone: newPhone() },
        { 'cf-connecting-ip': venue },
      )
      expect(answer.status).toBe(201)
    }
    const before = await countRows('join_requests')
    const challenged = await joinJson(
      invite.code,
      { name: 'Guest 26', phone: newPhone() },
      { 'cf-connecting-ip': venue },
    )
    expect(expectProblem(challenged, 403, 'challenge_required')).toMatchObject({
      turnstileSiteKey: 'test-site-key',
    })
    expect(await countRows('join_requests')).toBe(before)
    const solved = await joinJson(
      invite.code,
      { name: 'Guest 26', phone: newPhone(), turnstileToken: HUMAN },
      { 'cf-connecting-ip': venue },
    )
    expect(solved.status).toBe(201)

    // The form comes back with the widget and what the person typed, and its CSP lets it load.
    const phone = newPhone()
    const page = await sendForm(invite.code, venue, { name: 'Form Guest', phone })
    expect(page.status).toBe(403)
    expect(page.text).toContain('<div class="cf-turnstile" data-sitekey="test-site-key">')
    expect(page.text).toContain('confirm that you are a person')
    expect(page.text).toContain('value="Form Guest"')
    const nonce = /'nonce-([^']+)'/.exec(page.headers.get('content-security-policy')!)![1]
    expect(page.text).toContain(
      `<script nonce="${nonce}" src="https://challenges.cloudflare.com/turnstile/v0/api.js"`,
    )
    expect(page.headers.get('content-security-policy')).toMatch(
      /script-src [^;]*https:\/\/challenges\.cloudflare\.com/,
    )
    expect(page.headers.get('content-security-policy')).toMatch(
      /frame-src https:\/\/challenges\.cloudflare\.com/,
    )
    const joined = await sendForm(invite.code, venue, {
      name: 'Form Guest',
      phone,
      'cf-turnstile-response': HUMAN,
    })
    expect(joined.status).toBe(303)
    expect(joined.headers.get('location')).toMatch(/^\/s\//)
  }, 60_000)

  it('keeps one contact tightly limited even with a valid token', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await withinOneWindow(3600, 10)
    const phone = newPhone()
    const statuses = []
    for (let i = 0; i < 6; i++) {
      const answer = await joinJson(invite.code, { name: 'Same', phone, turnstileToken: HUMAN })
      statuses.push(answer.status)
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429])
  }, 30_000)
})
