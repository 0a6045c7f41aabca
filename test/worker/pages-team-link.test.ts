import { expect, it } from 'vitest'
import { createCommunity } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * The sign-in link for a teammate is relayed to someone who may live in another time zone: the
 * moment it stops working names its zone, as the members' pages do.
 */
it('says until when a teammate’s sign-in link works, with the time zone', async () => {
  const community = await createCommunity({ timeZone: 'Europe/Berlin' })
  const { cookie } = await signIn()
  const team = await page(`/admin/communities/${community.id}/team`, cookie)
  const answer = await post(`/admin/communities/${community.id}/team/invitations`, cookie, {
    _csrf: csrfOf(team.text),
    name: 'Ana',
    role: 'community_admin',
  })
  expect(answer.status).toBe(200)
  expect(answer.text).toMatch(/It works once, until \d{1,2} \w{3} \d{4}, \d{2}:\d{2} CES?T\./)
})
