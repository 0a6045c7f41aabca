import { describe, expect, it } from 'vitest'
import { call, createCommunity, createInvite, joinJson, newPhone, query } from './helpers'

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
    // The admins see the first request only: the second waits for a proof of its contacts.
    expect(await waitingIds(community.id)).toEqual([first.json.joinRequestId])
  })

  it('is held back while cooling off by a rejection of its proven e-mail address', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const email = `kai-${crypto.randomUUID()}@example.com`
    const asked = await joinJson(invite.code, { name: 'Kai', email })
    const proven = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/confirm`, {
      body: { proof: 'Signed the paper form at the market stall' },
    })
    expect(proven.status, proven.text).toBe(200)
    const rejected = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/reject`, {
      body: { reason: 'Not now' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    const again = await joinJson(invite.code, { name: 'Kai', phone: newPhone(), email })
    // Answered as anyone's sign-up is, and no new request reaches the admins.
    expect(again.json).toMatchObject({ status: 'pending', memberId: null })
    expect(await waitingIds(community.id)).toEqual([])
  })
})

async function waitingIds(communityId: string): Promise<string[]> {
  const waiting = await call('GET', `/api/communities/${communityId}/join-requests`)
  return waiting.json.data.map((request: { id: string }) => request.id)
}
