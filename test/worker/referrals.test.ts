import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  joinJson,
  newPhone,
  query,
  visit,
  joinAsMember,
} from './helpers'

function codeOf(url: string) {
  return new URL(url).pathname.split('/')[2]!
}

describe('referrals and rewards', () => {
  it('credits the referrer once the referred person is a member, and ranks referrers', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ana = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
    const bo = await joinAsMember(invite.code, { name: 'Bo', phone: newPhone() })
    const anaCode = codeOf(ana.json.referralUrl)
    for (let i = 0; i < 2; i++)
      await joinJson(anaCode, { name: `Friend of Ana ${i}`, phone: newPhone() })
    await joinJson(codeOf(bo.json.referralUrl), { name: 'Friend of Bo', phone: newPhone() })

    const board = await call('GET', `/api/communities/${community.id}/leaderboard`)
    expect(board.json.data).toEqual([
      { rank: 1, memberId: ana.json.memberId, name: 'Ana', referrals: 2 },
      { rank: 2, memberId: bo.json.memberId, name: 'Bo', referrals: 1 },
    ])
    const today = new Date().toISOString().slice(0, 10)
    const period = await call(
      'GET',
      `/api/communities/${community.id}/leaderboard?from=${today}&to=${today}`,
    )
    expect(period.json.data.map((r: { referrals: number }) => r.referrals)).toEqual([2, 1])
    const past = await call(
      'GET',
      `/api/communities/${community.id}/leaderboard?from=2020-01-01&to=2020-12-31`,
    )
    expect(past.json.data).toEqual([])
  })

  it('does not let a person refer themselves', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const phone = newPhone()
    const me = await joinAsMember(invite.code, { name: 'Me', phone })
    const again = await joinJson(codeOf(me.json.referralUrl), { name: 'Me', phone })
    expect(again.json).toMatchObject({ status: 'active', memberId: null })
    expect(
      (await query('select referral_count from members where id = ?', me.json.memberId))[0]!
        .referral_count,
    ).toBe(0)
  })

  it('counts a referral into a closed community only once it is approved', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const host = await joinJson(invite.code, { name: 'Host', phone: newPhone() })
    await call('POST', `/api/join-requests/${host.json.joinRequestId}/approve`)
    const referral = (
      await query<{ code: string }>(
        'select code from invites where referrer_member_id = (select member_id from join_requests where id = ?)',
        host.json.joinRequestId,
      )
    )[0]!.code
    const guest = await joinJson(referral, { name: 'Guest', phone: newPhone() })
    const hostId = (
      await query<{ member_id: string }>(
        'select member_id from join_requests where id = ?',
        host.json.joinRequestId,
      )
    )[0]!.member_id
    expect(
      (await query('select referral_count from members where id = ?', hostId))[0]!.referral_count,
    ).toBe(0)
    await call('POST', `/api/join-requests/${guest.json.joinRequestId}/approve`)
    expect(
      (await query('select referral_count from members where id = ?', hostId))[0]!.referral_count,
    ).toBe(1)
    const listed = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=approved`,
    )
    expect(
      listed.json.data.find((r: { id: string }) => r.id === guest.json.joinRequestId),
    ).toMatchObject({ referrerMemberId: hostId, referrerName: 'Host' })
  })

  it('grants a reward exactly once when the threshold is reached, even with joins at the same moment', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: {
        threshold: 3,
        title: 'Free T-shirt',
        description: 'Pick it up at the next run',
        code: 'SHIRT-2027',
      },
    })
    expect(rule.status).toBe(201)
    const star = await joinAsMember(invite.code, { name: 'Star', phone: newPhone() })
    const code = codeOf(star.json.referralUrl)
    const joins = await Promise.all(
      Array.from({ length: 6 }, (_, i) => joinJson(code, { name: `Fan ${i}`, phone: newPhone() })),
    )
    expect(joins.every((j) => j.status === 201)).toBe(true)

    const rewards = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(rewards.json.data).toEqual([
      expect.objectContaining({
        memberId: star.json.memberId,
        title: 'Free T-shirt',
        threshold: 3,
      }),
    ])
    const events = await query(
      "select * from events where community_id = ? and type = 'reward.earned'",
      community.id,
    )
    expect(events).toHaveLength(1)

    const page = await visit(`${new URL(star.json.statusUrl).pathname}?lang=en`)
    expect(page.text).toContain('Your rewards')
    expect(page.text).toContain('Free T-shirt')
    expect(page.text).toContain('SHIRT-2027')
  })
})
