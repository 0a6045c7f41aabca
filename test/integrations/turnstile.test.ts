import { inject } from 'vitest'
import { describe, expect, it } from 'vitest'
import {
  countRows,
  createCommunity,
  createInvite,
  expectProblem,
  joinJson,
  visit,
} from '../worker/helpers'

describe('Turnstile, when TURNSTILE_SECRET is set', () => {
  it('puts the widget on the join form', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const form = await visit(`/i/${invite.code}/join`)
    expect(form.text).toContain('<div class="cf-turnstile" data-sitekey="test-site-key">')
  })

  it('lets a person with a valid token join, checked against the siteverify endpoint', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await joinJson(invite.code, {
      name: 'Human',
      email: 'human@example.com',
      turnstileToken: 'human-token',
    })
    expect(response.status).toBe(201)
    const calls = (await (
      await fetch(`${inject('fakeServicesUrl')}/__requests?path=/turnstile`)
    ).json()) as Array<{ body: string }>
    const sent = new URLSearchParams(calls.at(-1)!.body)
    expect(sent.get('secret')).toBe('test-turnstile-secret')
    expect(sent.get('response')).toBe('human-token')
  })

  it('refuses a missing or invalid token and stores nothing', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const before = await countRows('join_requests')
    expectProblem(
      await joinJson(invite.code, { name: 'Bot', email: 'bot@example.com' }),
      403,
      'turnstile_failed',
    )
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
})
