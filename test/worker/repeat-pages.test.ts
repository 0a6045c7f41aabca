import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  endProofTime,
  joinAsMember,
  joinJson,
  newPhone,
  pressEmailLink,
  query,
  runCron,
  statusPageOf,
} from './helpers'

/**
 * Whoever types a contact into the form holds the sign-up's status page, and what the contact's
 * owner does (proves it, signed up before) must not show there: a sign-up of a member's contact
 * and one of nobody's read the same to the typist, whatever the owner does next.
 */
describe('a sign-up of a member’s address and one of nobody’s', () => {
  for (const [visibility, consent] of [
    ['open', 'double'],
    ['closed', 'double'],
    ['open', 'single'],
    ['closed', 'single'],
  ] as const) {
    it(`read the same before and after the owner presses the link (${visibility}, ${consent} opt-in); the owner gets the member’s links`, async () => {
      const community = await createCommunity({ visibility, consent })
      const invite = await createInvite(community.id)
      const email = `member-${crypto.randomUUID()}@example.com`
      const member = await joinJson(invite.code, { name: 'Member', email })
      if (consent === 'double') await pressEmailLink(member.json.joinRequestId)
      if (visibility === 'closed') {
        const approved = await call(
          'POST',
          `/api/join-requests/${member.json.joinRequestId}/approve`,
        )
        expect(approved.status, approved.text).toBe(200)
      }
      const { known, fresh } = await typistsSignUps(invite.code, email)
      expect(await statusPageOf(known)).toEqual(await statusPageOf(fresh))
      const ownersPage = await pressEmailLink(known.json.joinRequestId)
      await pressEmailLink(fresh.json.joinRequestId)
      expect(await statusPageOf(known)).toEqual(await statusPageOf(fresh))
      // The address's owner, signing up again, finds their membership's links in their inbox.
      expect(ownersPage).toMatch(/\/leave\//)
    })
  }

  it('read the same once the time is up, where a business number but no mail system is set', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const email = `member-${crypto.randomUUID()}@example.com`
    await joinJson(invite.code, { name: 'Member', email })
    const { known, fresh } = await typistsSignUps(invite.code, email)
    await endProofTime(known.json.joinRequestId, fresh.json.joinRequestId)
    await runCron(Date.now())
    // The known one kept no address; what the page says comes from the configuration alone.
    const [erased] = await query<{ email: string | null }>(
      'select email from join_requests where id = ?',
      known.json.joinRequestId,
    )
    expect(erased?.email).toBeNull()
    expect(await statusPageOf(known)).toEqual(await statusPageOf(fresh))
  })

  it('read the same after an admin records their consent', async () => {
    const community = await createCommunity({ consent: 'double' })
    const invite = await createInvite(community.id)
    const record = async (id: string) => {
      const recorded = await call('POST', `/api/join-requests/${id}/confirm`, {
        body: { proof: 'Signed the paper form' },
      })
      expect(recorded.status, recorded.text).toBe(200)
    }
    const email = `member-${crypto.randomUUID()}@example.com`
    const member = await joinJson(invite.code, { name: 'Member', email })
    await record(member.json.joinRequestId)
    const { known, fresh } = await typistsSignUps(invite.code, email)
    await record(known.json.joinRequestId)
    await record(fresh.json.joinRequestId)
    expect(await statusPageOf(known)).toEqual(await statusPageOf(fresh))
  })

  it('show the chat of the group the typist’s link leads to, not the member’s', async () => {
    const community = await createCommunity({ consent: 'double' })
    const membersGroup = await createGroup(community.id, {
      chatInviteUrl: 'https://chat.whatsapp.com/MembersGroup01',
    })
    const otherGroup = await createGroup(community.id, {
      chatInviteUrl: 'https://chat.whatsapp.com/OtherGroup0002',
    })
    const membersInvite = await createInvite(community.id, { groupId: membersGroup.id })
    const otherInvite = await createInvite(community.id, { groupId: otherGroup.id })
    const email = `member-${crypto.randomUUID()}@example.com`
    const member = await joinJson(membersInvite.code, { name: 'Member', email })
    await pressEmailLink(member.json.joinRequestId)
    const { known, fresh } = await typistsSignUps(otherInvite.code, email)
    await pressEmailLink(known.json.joinRequestId)
    await pressEmailLink(fresh.json.joinRequestId)
    const knownPage = await statusPageOf(known)
    expect(knownPage).toContain('OtherGroup0002')
    expect(knownPage).not.toContain('MembersGroup01')
    expect(knownPage).toEqual(await statusPageOf(fresh))
  })
})

it('an address typed next to a number its holder proved gets no links from a later sign-up of it', async () => {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const address = nobodysAddress()
  // Someone signs up their own number with another person's address, and proves the number.
  const typist = await joinAsMember(invite.code, {
    name: 'Mallory',
    phone: newPhone(),
    email: address,
  })
  expect(typist.json.referralUrl).toBeTruthy()
  // The address's owner signs up with it and presses the link they are sent.
  const again = await joinJson(invite.code, { name: 'Vic', email: address })
  const page = await pressEmailLink(again.json.joinRequestId)
  expect(page).not.toContain(new URL(typist.json.referralUrl).pathname)
  expect(page).not.toContain('/leave/')
})

/** What the typist signs up through a link: a member's address, and one of nobody's. */
async function typistsSignUps(code: string, memberEmail: string) {
  const known = await joinJson(code, { name: 'Mallory', email: memberEmail })
  const fresh = await joinJson(code, { name: 'Mallory', email: nobodysAddress() })
  return { known, fresh }
}

function nobodysAddress() {
  return `nobody-${crypto.randomUUID()}@example.com`
}
