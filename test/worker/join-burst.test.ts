import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  joinJson,
  newPhone,
  query,
} from './helpers'

/**
 * A crowd at once, small enough for a test (the full-size burst is `npm run bench -- burst`):
 * 300 joins in flight together through one link into a group with room for 100, some of them
 * the same person sent twice at the same moment. The limit holds exactly, every answer is a
 * membership or "full", and nobody is a member twice.
 */
describe('a burst of joins through one link', () => {
  it('300 at once against a limit of 100: exactly 100 members, nobody twice', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { memberLimit: 100 })
    const invite = await createInvite(community.id, { groupId: group.id })
    const people = Array.from({ length: 270 }, () => newPhone())
    // Thirty people tap Join twice, both requests in flight together.
    const requests = [...people, ...people.slice(0, 30)].map((phone, i) => ({ phone, i }))
    const answers = await Promise.all(
      requests.map(({ phone, i }) =>
        joinJson(
          invite.code,
          { name: `Guest ${i}`, phone },
          { 'cf-connecting-ip': `192.0.2.${i % 200}` },
        ).then((answer) => ({ phone, answer })),
      ),
    )

    const statuses = answers.map(({ answer }) => `${answer.status} ${answer.json.code ?? ''}`)
    expect(new Set(statuses)).toEqual(new Set(['201 ', '409 group_full']))
    // Which answer made which membership: a single opt-in answer keeps the member's id until a
    // proof (see join.test.ts), the sign-up behind it knows.
    const made = new Map(
      (
        await query<{ id: string; member_id: string | null }>(
          'select id, member_id from join_requests where invite_id = ?',
          invite.id,
        )
      ).map((row) => [row.id, row.member_id]),
    )
    const memberOf = (answer: { json: { joinRequestId?: string } }) =>
      made.get(answer.json.joinRequestId ?? '') ?? null
    const admitted = answers.filter(({ answer }) => memberOf(answer))
    expect(admitted).toHaveLength(100)

    const members = await query<{ id: string; phone: string }>(
      'select id, phone from members where community_id = ?',
      community.id,
    )
    expect(members).toHaveLength(100)
    expect(new Set(members.map((member) => member.phone)).size).toBe(100)
    expect(new Set(members.map((member) => member.id))).toEqual(
      new Set(admitted.map(({ answer }) => memberOf(answer))),
    )
    expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(100)
    expect(await query('select * from group_members where group_id = ?', group.id)).toHaveLength(
      100,
    )
    // A second answer of 201 for the same person is a repeat: no membership of its own.
    for (const phone of people.slice(0, 30)) {
      const pair = answers.filter((entry) => entry.phone === phone)
      expect(pair.filter(({ answer }) => memberOf(answer)).length).toBeLessThanOrEqual(1)
    }
  })
})
