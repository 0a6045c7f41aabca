import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { join, readForJoin } from '../../src/services/joining'
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
  notifyWhatsApp,
  pressEmailLink,
  query,
  runCron,
  sendCodeFrom,
  statusPageOf,
} from './helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { MESSAGES } from '../../src/lib/i18n'

/**
 * A sign-up is matched with the person's earlier one by either contact on its own: the number,
 * or else the e-mail address (each is looked up through its own index).
 */
/**
 * A status page with the member's own links made alike (their referral code, in the link and in
 * the messages that share it, its QR code, the leave token): what is left must read the same.
 */
function withoutPersonalLinks(page: string): string {
  return page
    .replace(/\/i\/[a-z2-9]{13}/g, '/i/CODE')
    .replace(/%2Fi%2F[a-z2-9]{13}/g, '%2Fi%2FCODE')
    .replace(/\/leave\/[^"]+/g, '/leave/TOKEN')
    .replace(/\/i\/CODE\/qr\.svg[^"]*/g, 'QR')
}

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

/**
 * In a single opt-in community the form's word makes the membership, and only a proof shows a
 * member their own links: so a sign-up with a member's number and one with a new number look
 * alike to whoever typed them, also where nothing can prove them and after the time to do so.
 */
/**
 * A join that read a community as `visibility` and writes after it switched to the other, while
 * the same person (by number) signed up through the form in between: it returns the late join's
 * outcome, with the form's answer.
 */
async function joinAcrossASwitch(visibility: 'open' | 'closed', name: string) {
  const community = await createCommunity({ visibility })
  const invite = await createInvite(community.id)
  const phone = newPhone()
  const db = createDb(env.DB, { checkLimits: true })
  const input = {
    name,
    phone,
    email: null,
    answers: [],
    consent: true,
    country: 'DE',
    language: 'en' as const,
  }
  const options = {
    now: new Date(),
    cooldownDays: 30,
    confirmation: {
      secret: env.SIGNING_SECRET,
      expiryHours: 48,
      baseUrl: 'https://x.example',
    },
  }
  const reading = await readForJoin(db, invite.code, input, options)
  expect(reading.community?.visibility).toBe(visibility)
  const switched = await call('PATCH', `/api/communities/${community.id}`, {
    body: { visibility: visibility === 'open' ? 'closed' : 'open' },
  })
  expect(switched.status, switched.text).toBe(200)
  const first = await joinJson(invite.code, { name, phone })
  const late = await join(db, reading.invite!, input, options, reading)
  return { communityId: community.id, phone, first, late }
}

describe('a join that read the community open, while the same person asked in it closed', () => {
  it('waits with that request instead of making a membership beside it', async () => {
    const { communityId, phone, first, late } = await joinAcrossASwitch('open', 'Ola')
    expect(first.json).toMatchObject({ status: 'pending' })
    expect(late).toMatchObject({ status: 'active', member: null })
    expect(late.request.status).toBe('pending')
    expect(await query('select id from members where phone = ?', phone)).toEqual([])
    // The admins decide on the one request, and its approval makes the one membership.
    expect(await waitingIds(communityId)).toEqual([first.json.joinRequestId])
    const approved = await call('POST', `/api/join-requests/${first.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect(await query('select id from members where phone = ?', phone)).toHaveLength(1)
  })

  it('the other way round: a join that read it closed waits for nothing beside the membership', async () => {
    const { communityId, first, late } = await joinAcrossASwitch('closed', 'Pit')
    expect(first.json).toMatchObject({ status: 'active' })
    expect(late.status).toBe('pending')
    // A repeat sign-up: it holds no proof of the number until its owner sends the code.
    expect(late.request.phoneConfirmedAt).toBeNull()
    // Nothing waits for the admins: the one sign-up they would see is the membership's.
    expect(await waitingIds(communityId)).toEqual([])
  })
})

describe('a single opt-in sign-up nobody proved', () => {
  it('where nothing here can prove an address, shows the links to nobody: an admin’s record proves the address, not who holds the page', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const email = `ida-${crypto.randomUUID()}@example.com`
    // No endpoint turns this community's confirmation requests into e-mails.
    const first = await joinJson(invite.code, { name: 'Ida', email })
    const known = await joinJson(invite.code, { name: 'Mallory', email })
    const fresh = await joinJson(invite.code, {
      name: 'Mallory',
      email: `nobody-${crypto.randomUUID()}@example.com`,
    })
    for (const answer of [first, known, fresh]) {
      expect(answer.status, answer.text).toBe(201)
      expect(answer.json).toMatchObject({
        status: 'active',
        memberId: null,
        referralUrl: null,
        leaveUrl: null,
        confirmation: { code: null, whatsappUrl: null, emailSent: false },
      })
    }
    const knownPage = await statusPageOf(known)
    expect(knownPage).toEqual(await statusPageOf(fresh))
    expect(knownPage).toEqual(await statusPageOf(first))
    // No proof that would show the links can be taken here, and the page offers none (an
    // admin's record, which it could ask for, shows them to nobody); what it says instead comes
    // from the configuration alone (a business number is set here), not from what was typed.
    expect(knownPage).toContain(MESSAGES.en.proofOfferEndedText)
    expect(knownPage).not.toContain('they can record your confirmation')
    expect(knownPage).not.toContain('/leave/')

    // An admin records the owner's consent (they signed a paper form): the address is proven,
    // but whoever typed it into the web form holds this status page, so it still shows no link.
    const recorded = await call('POST', `/api/join-requests/${first.json.joinRequestId}/confirm`, {
      body: { proof: 'Signed the paper form at the market stall' },
    })
    expect(recorded.status, recorded.text).toBe(200)
    const [proof] = await query<{ method: string }>(
      'select email_consent_method as method from members where email = ?',
      email,
    )
    expect(proof?.method).toBe('admin')
    const proven = await statusPageOf(first)
    expect(proven).not.toContain(await referralPathOf(first))
    expect(proven).not.toMatch(/\/leave\//)
    // Nor does it tell its holder what the address's owner did.
    expect(proven).toEqual(knownPage)
    expect(await statusPageOf(known)).not.toContain(await referralPathOf(first))
  })

  it('with a number an admin recorded, says to sign up again: the new sign-up’s code shows the links', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const first = await joinJson(invite.code, { name: 'Olga', phone })
    const fresh = await joinJson(invite.code, { name: 'Olga', phone: newPhone() })
    const recorded = await call('POST', `/api/join-requests/${first.json.joinRequestId}/confirm`, {
      body: { proof: 'Said yes on the phone' },
    })
    expect(recorded.status, recorded.text).toBe(200)
    // The admin's record keeps its evidence, so this page's code can no longer prove the number;
    // it says how to get the links, in words that do not tell the record from an expired offer.
    const page = await statusPageOf(first)
    expect(page).toContain(MESSAGES.en.proofOfferEndedText)
    expect(page).not.toContain(MESSAGES.en.linksNotHereText)
    expect(page).not.toContain('wa.me')
    expect(page).not.toContain(await referralPathOf(first))
    await endProofTime(fresh.json.joinRequestId)
    expect(page).toEqual(await statusPageOf(fresh))

    // The advice holds: the owner signs up again and sends the new page's code from the number.
    const again = await joinJson(invite.code, { name: 'Olga', phone })
    await sendCodeFrom(again, phone)
    const referral = await referralPathOf(first)
    await eventually(async () => expect(await statusPageOf(again)).toContain(referral))
  })

  it('once its time is up, keeps a known number’s sign-up without what was typed, shown as an expired new member’s', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const member = await joinAsMember(invite.code, { name: 'Cara', phone })
    const typedEmail = `typed-${crypto.randomUUID()}@example.com`
    const known = await joinJson(invite.code, { name: 'Typed Name', phone, email: typedEmail })
    const freshPhone = newPhone()
    const fresh = await joinJson(invite.code, { name: 'Finn', phone: freshPhone })
    await endProofTime(known.json.joinRequestId, fresh.json.joinRequestId)
    await runCron(Date.now())

    const [kept] = await query(
      'select name, phone, email, answers, confirm_code_hash from join_requests where id = ?',
      known.json.joinRequestId,
    )
    expect(kept).toEqual({
      name: '',
      phone: null,
      email: null,
      answers: '[]',
      confirm_code_hash: null,
    })
    for (const table of ['join_requests', 'events', 'members']) {
      const rows = await query(`select * from ${table} where community_id = ?`, community.id)
      expect(JSON.stringify(rows)).not.toContain(typedEmail)
      expect(JSON.stringify(rows)).not.toContain('Typed Name')
    }
    // Both status links still work and say the same: sign up again for a new code.
    const knownPage = await statusPageOf(known)
    expect(knownPage).toEqual(await statusPageOf(fresh))
    expect(knownPage).toContain(MESSAGES.en.proofOfferEndedText)
    expect(knownPage).not.toContain('/leave/')
    expect(knownPage).not.toContain(new URL(member.json.referralUrl).pathname)

    // The new member does so: the code of the new sign-up, sent from their number, shows them
    // their own links there.
    const again = await joinJson(invite.code, { name: 'Finn', phone: freshPhone })
    const message = new URL(again.json.confirmation.whatsappUrl).searchParams.get('text')!
    await notifyWhatsApp(textNotification(freshPhone, message))
    const referral = await referralPathOf(fresh)
    await eventually(async () => expect(await statusPageOf(again)).toContain(referral))
  })
})

describe('a single opt-in sign-up proven by the typist’s own number', () => {
  it('looks and counts the same whether the address typed next to it was a member’s or nobody’s', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const host = await joinAsMember(invite.code, { name: 'Host', phone: newPhone() })
    const membersAddress = `ida-${crypto.randomUUID()}@example.com`
    await joinJson(invite.code, { name: 'Ida', email: membersAddress })
    const referralCode = new URL(host.json.referralUrl).pathname.split('/')[2]!
    const signUpWith = async (email: string) => {
      const phone = newPhone()
      const answer = await joinJson(referralCode, { name: 'Mallory', phone, email })
      const message = new URL(answer.json.confirmation.whatsappUrl).searchParams.get('text')!
      await notifyWhatsApp(textNotification(phone, message))
      return answer
    }
    const known = await signUpWith(membersAddress)
    const fresh = await signUpWith(`nobody-${crypto.randomUUID()}@example.com`)
    const shown = async (answer: typeof known) =>
      eventually(async () => {
        const page = await statusPageOf(answer)
        expect(page).toMatch(/\/leave\//)
        return withoutPersonalLinks(page)
      })
    expect(await shown(known)).toEqual(await shown(fresh))
    // Both made a membership through the host's link, and both count for the host.
    const [row] = await query('select referral_count from members where id = ?', host.json.memberId)
    expect(row).toEqual({ referral_count: 2 })
  })
})

describe('a single opt-in sign-up proven by the typist’s own address', () => {
  it.each(['open', 'closed'] as const)(
    'reads the same in an %s community whether the number typed next to it was a member’s or nobody’s',
    async (visibility) => {
      const community = await createCommunity({ visibility })
      const invite = await createInvite(community.id)
      const membersPhone = newPhone()
      await joinJson(invite.code, { name: 'Ida', phone: membersPhone })
      const signUpWith = async (phone: string) => {
        const email = `mallory-${crypto.randomUUID()}@example.com`
        const answer = await joinJson(invite.code, { name: 'Mallory', phone, email })
        await pressEmailLink(answer.json.joinRequestId)
        return answer
      }
      const known = await signUpWith(membersPhone)
      const fresh = await signUpWith(newPhone())
      const shown = async (answer: typeof known) => withoutPersonalLinks(await statusPageOf(answer))
      // The code offered for the number, and how long it is valid, read the same too.
      expect(await shown(known)).toEqual(await shown(fresh))
    },
  )
})

/**
 * Whoever typed a number holds its sign-up's status page. Until the number's owner proves it
 * with the page's code, the page shows what every sign-up shows the moment it is made: an
 * admin's decision, or a membership that ended since, would tell the typist that the number was
 * nobody's (a member's own number can show neither).
 */
describe('a single opt-in sign-up’s page before the proof', () => {
  it('in a closed community shows no decision of the admins; the owner’s proof then does', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const membersPhone = newPhone()
    const member = await joinJson(invite.code, { name: 'Lea', phone: membersPhone })
    const approved = await call('POST', `/api/join-requests/${member.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)

    const known = await joinJson(invite.code, { name: 'Mallory', phone: membersPhone })
    const strangersPhone = newPhone()
    const fresh = await joinJson(invite.code, { name: 'Mallory', phone: strangersPhone })
    const declined = await call('POST', `/api/join-requests/${fresh.json.joinRequestId}/reject`, {
      body: { reason: 'Only for people from the club' },
    })
    expect(declined.status, declined.text).toBe(200)

    const freshPage = await statusPageOf(fresh)
    expect(freshPage).toEqual(await statusPageOf(known))
    expect(freshPage).toContain('Your request has arrived')
    expect(freshPage).not.toContain('Only for people from the club')

    // The number's owner sends the page's code from it: the page now shows the decision.
    await sendCodeFrom(fresh)
    await eventually(async () =>
      expect(await statusPageOf(fresh)).toContain('Only for people from the club'),
    )
  })

  it('once the time for the proof is up, shows the admins’ decision: the page is then the only place to learn it', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, { name: 'Nils', phone: newPhone() })
    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect(await statusPageOf(joined)).toContain('Your request has arrived')
    await endProofTime(joined.json.joinRequestId)
    expect(await statusPageOf(joined)).toContain('Your place is confirmed')
  })

  it('in an open community shows no membership ended since; the owner’s proof then does', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const strangersPhone = newPhone()
    const fresh = await joinJson(invite.code, { name: 'Mallory', phone: strangersPhone })
    const removed = await call('DELETE', `/api/members/${await memberIdOf(fresh)}`)
    expect(removed.status, removed.text).toBe(204)
    const membersPhone = newPhone()
    await joinAsMember(invite.code, { name: 'Lea', phone: membersPhone })
    const known = await joinJson(invite.code, { name: 'Mallory', phone: membersPhone })

    const freshPage = await statusPageOf(fresh)
    expect(freshPage).toEqual(await statusPageOf(known))
    expect(freshPage).toContain('Your place is confirmed')

    await sendCodeFrom(fresh)
    await eventually(async () =>
      expect(await statusPageOf(fresh)).toContain('You are no longer a member'),
    )
  })
})

/** The path of the referral link of the membership a sign-up made. */
async function referralPathOf(answer: { json: { joinRequestId?: string } }): Promise<string> {
  const [referral] = await query<{ code: string }>(
    'select code from invites where referrer_member_id = ?',
    await memberIdOf(answer),
  )
  return `/i/${referral!.code}`
}

async function waitingIds(communityId: string): Promise<string[]> {
  const waiting = await call('GET', `/api/communities/${communityId}/join-requests`)
  return waiting.json.data.map((request: { id: string }) => request.id)
}
