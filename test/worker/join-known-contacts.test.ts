import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
} from './helpers'

/**
 * A sign-up is matched with the person's earlier one by either contact on its own: the number,
 * or else the e-mail address (each is looked up through its own index).
 */
describe('a sign-up known by one of its contacts', () => {
  it('is a repeat of the membership whose e-mail address it gives, with a new number', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const email = `ida-${crypto.randomUUID()}@example.com`
    const first = await joinJson(invite.code, { name: 'Ida', email })
    expect(first.status, first.text).toBe(201)
    const second = await joinJson(invite.code, { name: 'Ida', phone: newPhone(), email })
    expect(second.json).toMatchObject({ status: 'active', memberId: null })
    expect(await query('select id from members where community_id = ?', community.id)).toHaveLength(
      1,
    )
  })

  it('waits with the pending request whose e-mail address it gives', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const email = `jan-${crypto.randomUUID()}@example.com`
    const first = await joinJson(invite.code, { name: 'Jan', phone: newPhone(), email })
    expect(first.json).toMatchObject({ status: 'pending' })
    const second = await joinJson(invite.code, { name: 'Jan', phone: newPhone(), email })
    expect(second.json).toMatchObject({ status: 'pending' })
    const [repeat] = await query<{ repeat_of: string | null }>(
      'select repeat_of from join_requests where id = ?',
      second.json.joinRequestId,
    )
    expect(repeat!.repeat_of).toBe(first.json.joinRequestId)
  })

  it('is held back while cooling off by a rejection of its e-mail address', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const email = `kai-${crypto.randomUUID()}@example.com`
    const asked = await joinJson(invite.code, { name: 'Kai', email })
    const rejected = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/reject`, {
      body: { reason: 'Not now' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    expectProblem(
      await joinJson(invite.code, { name: 'Kai', phone: newPhone(), email }),
      409,
      'cooling_off',
    )
  })
})
