import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
  joinAsMember,
  inviteCodeOf,
} from './helpers'

const DAY = 86400_000

/** The hourly part of the cron job runs at minute 0. */
async function runHourlyCron(at: number) {
  await runCron(Math.floor(at / 3600_000) * 3600_000)
}

async function referralCount(memberId: string) {
  const [row] = await query<{ referral_count: number }>(
    'select referral_count from members where id = ?',
    memberId,
  )
  return row!.referral_count
}

describe('leaving, with a reason', () => {
  it('offers optional reasons on the leave page and keeps the one chosen', async () => {
    const community = await createCommunity()
    const joined = await joinAsMember((await createInvite(community.id)).code, {
      name: 'Ola',
      phone: newPhone(),
    })
    const path = new URL(joined.json.leaveUrl).pathname
    const page = await visit(path + '?lang=en')
    expect(page.text).toContain('Too many messages')
    expect(page.text).toContain('Joined by mistake')
    const left = await call('POST', path, {
      token: null,
      rawBody: new URLSearchParams({ reason: 'too_many_messages' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'sec-fetch-site': 'same-origin',
      },
    })
    expect(left.status).toBe(200)
    const list = await call('GET', `/api/communities/${community.id}/members?status=left`)
    expect(list.json.data).toMatchObject([{ status: 'left', leaveReason: 'too_many_messages' }])
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.left' and community_id = ?`,
      community.id,
    )
    expect(JSON.parse(event!.payload)).toMatchObject({ leaveReason: 'too_many_messages' })
  })

  it('takes an unknown reason as no answer, and leaving without one still works', async () => {
    const community = await createCommunity()
    const joined = await joinAsMember((await createInvite(community.id)).code, {
      name: 'Pia',
      phone: newPhone(),
    })
    const left = await call('POST', new URL(joined.json.leaveUrl).pathname, {
      token: null,
      rawBody: new URLSearchParams({ reason: '<script>' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        'sec-fetch-site': 'same-origin',
      },
    })
    expect(left.status).toBe(200)
    const list = await call('GET', `/api/communities/${community.id}/members?status=left`)
    expect(list.json.data).toMatchObject([{ status: 'left', leaveReason: null }])
  })
})

describe('referral credit counts confirmed members only', () => {
  it('credits the referrer when the referred person confirms, not when they sign up', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: `Refer ${crypto.randomUUID()}`, description: 'x', visibility: 'open' },
    })
    await call('PATCH', `/api/communities/${created.json.id}`, { body: { consent: 'single' } })
    const invite = await createInvite(created.json.id)
    const host = await joinAsMember(invite.code, { name: 'Host', phone: newPhone() })
    await call('PATCH', `/api/communities/${created.json.id}`, { body: { consent: 'double' } })
    await call('POST', `/api/communities/${created.json.id}/reward-rules`, {
      body: { threshold: 1, title: 'Coffee' },
    })

    const guest = await joinJson(inviteCodeOf(host.json.referralUrl), {
      name: 'Guest',
      email: `guest-${Date.now()}@example.com`,
    })
    expect(guest.json.status).toBe('unconfirmed')
    expect(await referralCount(host.json.memberId)).toBe(0)
    expect(await query('select id from rewards where member_id = ?', host.json.memberId)).toEqual(
      [],
    )

    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested' and community_id = ?`,
      created.json.id,
    )
    const confirmPath = new URL(JSON.parse(event!.payload).confirmUrl).pathname
    await call('POST', confirmPath, { token: null, headers: { 'sec-fetch-site': 'same-origin' } })
    expect(await referralCount(host.json.memberId)).toBe(1)
    expect(
      await query('select id from rewards where member_id = ?', host.json.memberId),
    ).toHaveLength(1)
  })
})

describe('rewards for referred members who stay', () => {
  it('credits once after N days, never for a member who left before', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const host = await joinAsMember(invite.code, { name: 'Host', phone: newPhone() })
    const stays = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 1, title: 'Stayed a week', minRetentionDays: 7 },
    })
    expect(stays.json.minRetentionDays).toBe(7)
    const both = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 2, title: 'Two stayed a week', minRetentionDays: 7 },
    })
    const code = inviteCodeOf(host.json.referralUrl)
    await joinAsMember(code, { name: 'Stays', phone: newPhone() })
    // A number typed into the link and never proven: a member on the form's word, no credit.
    await joinJson(code, { name: 'Typed', phone: newPhone() })
    const leaver = await joinAsMember(code, { name: 'Leaves', phone: newPhone() })
    await call('POST', new URL(leaver.json.leaveUrl).pathname, {
      token: null,
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    // The immediate count is unchanged; the retention rules wait.
    expect(await referralCount(host.json.memberId)).toBe(2)
    const rewardsOfHost = () =>
      query<{ rule_id: string }>(
        'select rule_id from rewards where member_id = ?',
        host.json.memberId,
      )

    await runHourlyCron(Date.now() + 6 * DAY)
    expect(await rewardsOfHost()).toEqual([])
    await runHourlyCron(Date.now() + 8 * DAY)
    expect(await rewardsOfHost()).toEqual([{ rule_id: stays.json.id }])
    await runHourlyCron(Date.now() + 9 * DAY)
    expect(await rewardsOfHost()).toEqual([{ rule_id: stays.json.id }])
    expect(both.json.id).not.toBe(stays.json.id)
    const events = await query<{ payload: string }>(
      `select payload from events where type = 'reward.earned' and community_id = ?`,
      community.id,
    )
    expect(events.map((event) => JSON.parse(event.payload).ruleId)).toEqual([stays.json.id])
  })
})
