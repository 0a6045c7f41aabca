import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  endProofTime,
  eventually,
  joinAsMember,
  joinJson,
  memberIdOf,
  newPhone,
  query,
  sendCodeFrom,
  visit,
  inviteCodeOf,
} from './helpers'

describe('referrals and rewards', () => {
  it('credits the referrer once the referred person proved their number, and ranks referrers', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ana = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
    const bo = await joinAsMember(invite.code, { name: 'Bo', phone: newPhone() })
    const anaCode = inviteCodeOf(ana.json.referralUrl)
    for (let i = 0; i < 2; i++)
      await joinAsMember(anaCode, { name: `Friend of Ana ${i}`, phone: newPhone() })
    await joinAsMember(inviteCodeOf(bo.json.referralUrl), {
      name: 'Friend of Bo',
      phone: newPhone(),
    })
    // Numbers typed into Bo's link that nobody proved: members on the form's word, no credit.
    const typed = await joinJson(inviteCodeOf(bo.json.referralUrl), {
      name: 'Typed',
      phone: newPhone(),
    })
    expect(typed.json.status).toBe('active')
    await joinJson(inviteCodeOf(bo.json.referralUrl), { name: 'Typed', email: 'typed@example.com' })

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
    const again = await joinJson(inviteCodeOf(me.json.referralUrl), { name: 'Me', phone })
    expect(again.json).toMatchObject({ status: 'active', memberId: null })
    expect(
      (await query('select referral_count from members where id = ?', me.json.memberId))[0]!
        .referral_count,
    ).toBe(0)
  })

  it('counts a referral into a closed community once it is approved and its number proven, in either order', async () => {
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
    const hostId = (await memberIdOf(host))!
    const credits = async () =>
      (
        await query<{ n: number }>('select referral_count as n from members where id = ?', hostId)
      )[0]!.n
    const approve = async (answer: { json: { joinRequestId: string } }) => {
      const approved = await call('POST', `/api/join-requests/${answer.json.joinRequestId}/approve`)
      expect(approved.status, approved.text).toBe(200)
    }

    // Approved first, proven after.
    const guest = await joinJson(referral, { name: 'Guest', phone: newPhone() })
    expect(guest.json.status).toBe('pending')
    expect(await credits()).toBe(0)
    await approve(guest)
    expect(await credits()).toBe(0)
    await sendCodeFrom(guest)
    await eventually(async () => expect(await credits()).toBe(1))

    // Proven first, approved after.
    const second = await joinJson(referral, { name: 'Second guest', phone: newPhone() })
    await sendCodeFrom(second)
    await eventually(async () => {
      const [row] = await query(
        'select phone_consent_method from join_requests where id = ?',
        second.json.joinRequestId,
      )
      expect(row).toEqual({ phone_consent_method: 'whatsapp_message' })
    })
    expect(await credits()).toBe(1)
    await approve(second)
    expect(await credits()).toBe(2)

    const listed = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=approved`,
    )
    expect(
      listed.json.data.find((r: { id: string }) => r.id === guest.json.joinRequestId),
    ).toMatchObject({ referrerMemberId: hostId, referrerName: 'Host' })
  })

  it('opens nothing to whoever typed a number when its owner proves it on a sign-up of their own', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // Mallory, a member, types Vera's number into Mallory's own referral link.
    const mallory = await joinAsMember(invite.code, { name: 'Mallory', phone: newPhone() })
    const phone = newPhone()
    const typed = await joinJson(inviteCodeOf(mallory.json.referralUrl), { name: 'Vera?', phone })
    await endProofTime(typed.json.joinRequestId)
    // Vera signs up herself, and proves her number with the code her own sign-up shows.
    const vera = await joinJson(invite.code, { name: 'Vera', phone })
    await sendCodeFrom(vera, phone)
    const veraReferral = await eventually(async () => {
      const page = (await visit(`${new URL(vera.json.statusUrl).pathname}?lang=en`)).text
      const referral = /<p class="code"><a href="([^"]+)"/.exec(page)?.[1]
      expect(referral).toBeDefined()
      return new URL(referral!).pathname
    })
    // Vera is shown her membership; the sign-up Mallory holds shows nothing of it, and Mallory
    // is credited with nothing.
    const typedPage = (await visit(`${new URL(typed.json.statusUrl).pathname}?lang=en`)).text
    expect(typedPage).not.toContain(veraReferral)
    expect(typedPage).not.toMatch(/\/leave\//)
    const [row] = await query(
      'select referral_count from members where id = ?',
      mallory.json.memberId,
    )
    expect(row).toEqual({ referral_count: 0 })
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
    const code = inviteCodeOf(star.json.referralUrl)
    const joins = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        joinAsMember(code, { name: `Fan ${i}`, phone: newPhone() }),
      ),
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

  it('shows a member how to share their link, how many joined through it and what the next reward takes', async () => {
    const community = await createCommunity({ name: 'Sunday Runners' })
    const invite = await createInvite(community.id)
    for (const body of [
      { threshold: 2, title: 'Running socks', code: 'SOCKS-1' },
      { threshold: 5, title: 'Club jacket', description: 'At the next race', minRetentionDays: 30 },
    ]) {
      expect(
        (await call('POST', `/api/communities/${community.id}/reward-rules`, { body })).status,
      ).toBe(201)
    }
    const mia = await joinAsMember(invite.code, { name: 'Mia', phone: newPhone() })
    const status = `${new URL(mia.json.statusUrl).pathname}?lang=en`
    const referral = mia.json.referralUrl as string

    // Nobody yet: the share links carry her link, and the first reward takes two people.
    let page = (await visit(status)).text
    const whatsApp = /<a href="(https:\/\/wa\.me\/\?text=[^"]+)"/.exec(page)?.[1]
    expect(decodeURIComponent(whatsApp!.replaceAll('&amp;', '&').split('text=')[1]!)).toBe(
      `Join me in Sunday Runners! ${referral}`,
    )
    const telegram = new URL(
      /<a href="(https:\/\/t\.me\/share\/url\?[^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&'),
    )
    expect(telegram.searchParams.get('url')).toBe(referral)
    expect(telegram.searchParams.get('text')).toBe('Join me in Sunday Runners!')
    expect(page).not.toContain('joined through your link so far')
    expect(page).toContain('Your next reward')
    expect(page).toContain('2 more people and you get:')
    expect(page).toContain('<bdi>Running socks</bdi>')
    // The code is the reward's, shown once earned, never before.
    expect(page).not.toContain('SOCKS-1')

    await joinAsMember(inviteCodeOf(referral), { name: 'Friend 1', phone: newPhone() })
    page = (await visit(status)).text
    expect(page).toContain('1 person has joined through your link so far.')
    expect(page).toContain('1 more person and you get:')

    // Earned: its code shows among her rewards; next is the jacket, for people who stay.
    await joinAsMember(inviteCodeOf(referral), { name: 'Friend 2', phone: newPhone() })
    page = (await visit(status)).text
    expect(page).toContain('2 people have joined through your link so far.')
    expect(page).toContain('Your rewards')
    expect(page).toContain('SOCKS-1')
    expect(page).toContain(
      'Once 5 people who joined through your link have stayed 30 days, you get:',
    )
    expect(page).toContain('<bdi>Club jacket</bdi>')
    // What a reward says besides its title is for those who earn it.
    expect(page).not.toContain('At the next race')

    // In German, the same.
    const german = (await visit(status.replace('lang=en', 'lang=de'))).text
    expect(german).toContain('Über deinen Link sind bisher 2 Personen beigetreten.')
    expect(german).toContain(
      'Sobald 5 Personen, die über deinen Link beigetreten sind, 30 Tage dabei sind, bekommst du:',
    )
    expect(german).toContain(encodeURIComponent('Mach mit bei Sunday Runners!'))
  })

  it('grants a rule that counts at once to members who reached it before it was added', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ana = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
    const bo = await joinAsMember(invite.code, { name: 'Bo', phone: newPhone() })
    for (let i = 0; i < 2; i++)
      await joinAsMember(inviteCodeOf(ana.json.referralUrl), {
        name: `Friend ${i}`,
        phone: newPhone(),
      })
    await joinAsMember(inviteCodeOf(bo.json.referralUrl), { name: 'Pal', phone: newPhone() })
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 2, title: 'Swim cap', code: 'CAP-2' },
    })
    expect(rule.status).toBe(201)
    const earned = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(earned.json.data.map((r: { memberName: string }) => r.memberName)).toEqual(['Ana'])
    expect(
      await query(
        "select count(*) as n from events where community_id = ? and type = 'reward.earned'",
        community.id,
      ),
    ).toEqual([{ n: 1 }])
    expect((await visit(`${new URL(ana.json.statusUrl).pathname}?lang=en`)).text).toContain('CAP-2')
    // Bo still needs one more.
    const boPage = (await visit(`${new URL(bo.json.statusUrl).pathname}?lang=en`)).text
    expect(boPage).toContain('1 more person and you get:')
    expect(boPage).not.toContain('CAP-2')
  })

  it('holds a community to twenty reward rules, even when more are added at once', async () => {
    const community = await createCommunity()
    const add = (threshold: number) =>
      call('POST', `/api/communities/${community.id}/reward-rules`, {
        body: { threshold, title: `Reward at ${threshold}` },
      })
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => add(i + 1)))
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(20)
    const refused = answers.filter((answer) => answer.status !== 201)
    expect(refused.map((answer) => [answer.status, answer.json.code])).toEqual(
      Array.from({ length: 4 }, () => [409, 'reward_rule_limit_reached']),
    )
    const rules = await call('GET', `/api/communities/${community.id}/reward-rules`)
    expect(rules.json.data).toHaveLength(20)
  })
})

/** The number's owner sends the code a sign-up's answer shows from their own WhatsApp. */
