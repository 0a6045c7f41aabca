import { describe, expect, it } from 'vitest'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  expectProblem,
  joinAsMember,
  newPhone,
  query,
  visit,
  inviteCodeOf,
} from './helpers'

/** The rules a community's rewards page lists, as "threshold title". */
function rulesShown(html: string): string[] {
  const table = /<table class="cards">.*?<\/table>/s.exec(html)?.[0] ?? ''
  return [...table.matchAll(/<td data-label="People">(\d+)<\/td>.*?<bdi>([^<]+)<\/bdi>/gs)].map(
    (row) => `${row[1]} ${row[2]}`,
  )
}

describe('rewards for referrals in the dashboard', () => {
  it('adds a reward, refuses a bad one, and retires one: who earned it keeps it, nobody earns it again', async () => {
    const community = await createCommunity({ name: 'Harbour Swimmers' })
    const invite = await createInvite(community.id)
    const rewards = `/admin/communities/${community.id}/rewards`
    const { cookie } = await signIn()
    let shown = await page(rewards, cookie)
    expect(shown.status).toBe(200)
    expect(shown.text).toContain('No rewards yet: add the first below.')
    // Its own tab on the community's pages.
    expect(shown.text).toMatch(new RegExp(`<a href="${rewards}"[^>]*>Rewards</a>`))

    // A form with no title and a threshold that is no number: refused, what was typed kept.
    const refused = await post(rewards, cookie, {
      _csrf: csrfOf(shown.text),
      threshold: 'three',
      title: '',
      code: 'SWIM-CAP',
      minRetentionDays: '0',
      description: '',
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toMatch(/id="threshold"[^>]*aria-invalid="true"/)
    expect(refused.text).toMatch(/id="title"[^>]*aria-invalid="true"/)
    expect(refused.text).toMatch(/id="code"[^>]*value="SWIM-CAP"/)
    expect(await query('select id from reward_rules where community_id = ?', community.id)).toEqual(
      [],
    )

    for (const fields of [
      { threshold: '2', title: 'Swim cap', code: 'SWIM-CAP', minRetentionDays: '0' },
      { threshold: '4', title: 'Towel', code: '', minRetentionDays: '30' },
    ]) {
      const added = await post(rewards, cookie, {
        _csrf: csrfOf(shown.text),
        description: 'At the kiosk',
        ...fields,
      })
      expect(added.status).toBe(303)
      expect(added.headers.get('location')).toBe(`${rewards}?done=created`)
    }
    shown = await page(rewards, cookie)
    expect(rulesShown(shown.text)).toEqual(['2 Swim cap', '4 Towel'])
    expect(shown.text).toContain('<code>SWIM-CAP</code>')
    expect(shown.text).toContain('after 30 days')

    // Ana earns the swim cap; then it is retired.
    const ana = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
    for (let i = 0; i < 2; i++)
      await joinAsMember(inviteCodeOf(ana.json.referralUrl), {
        name: `Friend ${i}`,
        phone: newPhone(),
      })
    const [cap] = await query<{ id: string }>(
      "select id from reward_rules where community_id = ? and title = 'Swim cap'",
      community.id,
    )
    const retired = await post(`${rewards}/${cap!.id}/retire`, cookie, {
      _csrf: csrfOf(shown.text),
    })
    expect(retired.status).toBe(303)
    shown = await page(rewards, cookie)
    expect(rulesShown(shown.text)).toEqual(['4 Towel'])
    // Who earned it keeps it, code and all; it is listed among the rewards earned.
    expect(shown.text).toMatch(/<bdi>Ana<\/bdi>: <bdi>Swim cap<\/bdi>/)
    const anaPage = (await visit(`${new URL(ana.json.statusUrl).pathname}?lang=en`)).text
    expect(anaPage).toContain('SWIM-CAP')
    // Nobody earns it from now on, and no member is offered it.
    const bo = await joinAsMember(invite.code, { name: 'Bo', phone: newPhone() })
    const boPage = `${new URL(bo.json.statusUrl).pathname}?lang=en`
    expect((await visit(boPage)).text).not.toContain('<bdi>Swim cap</bdi>')
    expect((await visit(boPage)).text).toContain('<bdi>Towel</bdi>')
    for (let i = 0; i < 2; i++)
      await joinAsMember(inviteCodeOf(bo.json.referralUrl), { name: `Pal ${i}`, phone: newPhone() })
    const earned = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(earned.json.data.map((r: { memberName: string }) => r.memberName)).toEqual(['Ana'])
    // Retired again from a second tab: the page, as after the first; the API: no such live rule.
    const again = await post(`${rewards}/${cap!.id}/retire`, cookie, { _csrf: csrfOf(shown.text) })
    expect(again.status).toBe(303)
    expectProblem(
      await call('DELETE', `/api/communities/${community.id}/reward-rules/${cap!.id}`),
      404,
      'not_found',
    )
    // Both changes are in the audit log.
    const audit = await call('GET', `/api/communities/${community.id}/audit-log`)
    const entries = audit.json.data as Array<{ action: string; targetId: string | null }>
    // Each rule added, named; one retirement, though it was sent twice.
    expect(
      entries
        .filter((e) => e.action === 'reward_rule.created')
        .map((e) => e.targetId)
        .sort(),
    ).toEqual(
      (
        await query<{ id: string }>(
          'select id from reward_rules where community_id = ? order by id',
          community.id,
        )
      )
        .map((r) => r.id)
        .sort(),
    )
    expect(entries.filter((e) => e.action === 'reward_rule.retired')).toHaveLength(1)
  })

  it('says so when the community has all its rewards, and lets group admins neither see nor change them', async () => {
    const community = await createCommunity()
    for (let threshold = 1; threshold <= 20; threshold++) {
      const added = await call('POST', `/api/communities/${community.id}/reward-rules`, {
        body: { threshold, title: `Reward ${threshold}` },
      })
      expect(added.status).toBe(201)
    }
    const rewards = `/admin/communities/${community.id}/rewards`
    const { cookie } = await signIn()
    const shown = await page(rewards, cookie)
    const full = await post(rewards, cookie, {
      _csrf: csrfOf(shown.text),
      threshold: '50',
      title: 'One too many',
    })
    expect(full.status).toBe(400)
    expect(full.text).toContain('A community has at most 20 rewards: retire one first.')

    // Through the API a rule of another community is not found there.
    const other = await createCommunity()
    const [rule] = await query<{ id: string }>(
      'select id from reward_rules where community_id = ? limit 1',
      community.id,
    )
    expectProblem(
      await call('DELETE', `/api/communities/${other.id}/reward-rules/${rule!.id}`),
      404,
      'not_found',
    )

    const group = await createGroup(community.id)
    const lead = await createToken({ role: 'group_admin', groupId: group.id })
    const { cookie: theirs } = await signIn(lead.token)
    const overview = await page(`/admin/communities/${community.id}`, theirs)
    expect(overview.text).not.toContain(`href="${rewards}"`)
    expect((await page(rewards, theirs)).status).toBe(403)
    const tried = await post(`${rewards}/${rule!.id}/retire`, theirs, {
      _csrf: csrfOf(overview.text),
    })
    expect(tried.status).toBe(403)
    const [still] = await query<{ retired_at: number | null }>(
      'select retired_at from reward_rules where id = ?',
      rule!.id,
    )
    expect(still!.retired_at).toBeNull()
  })
})
