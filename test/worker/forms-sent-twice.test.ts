import { describe, expect, it } from 'vitest'
import { call, createCommunity, createToken, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * A dashboard form has each of its text fields once. A crafted request that sends one twice is
 * refused whole, on a page that says which field, and changes nothing: read as missing, the field
 * would have cleared what it stands for.
 */

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
})
