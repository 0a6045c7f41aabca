import { describe, expect, it } from 'vitest'
import {
  call,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  pressEmailLink,
  query,
  visit,
  handledMessageKey,
} from '../worker/helpers'
import { buttonNotification, textNotification } from '../support/whatsapp-notifications'
import { announceAndWait, notify, sentTo } from './meta'
import { MESSAGES } from '../../src/lib/i18n'
import { page, signIn } from '../worker/dashboard-helpers'

/**
 * Consent is proven per contact: a proof confirms the contact it comes from and nothing else.
 * Each test is an attack the second outside review tried, or the way out it asked for.
 */

async function doubleOptIn(visibility: 'open' | 'closed' = 'open') {
  const created = await call('POST', '/api/communities', {
    body: { name: `Per contact ${crypto.randomUUID()}`, description: 'x', visibility },
  })
  expect(created.status, created.text).toBe(201)
  return { community: created.json as { id: string }, invite: await createInvite(created.json.id) }
}

/** Opens the e-mailed link of a sign-up and presses its button, as the address's owner would. */
async function confirmByEmail(joinRequestId: string) {
  const [event] = await query<{ payload: string }>(
    `select payload from events where type = 'member.confirmation_requested'
     and json_extract(payload, '$.joinRequestId') = ?`,
    joinRequestId,
  )
  const path = new URL(JSON.parse(event!.payload).confirmUrl).pathname
  const confirmed = await call('POST', path, {
    token: null,
    headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
  })
  expect(confirmed.status).toBe(200)
}

/** Sends the sign-up's prefilled confirmation from `phone`'s own WhatsApp. */
async function confirmByWhatsApp(phone: string, joined: { json: any }) {
  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
}

/**
 * A stranger signs a member's number up again and keeps the status link; the member taps the
 * confirmation template's button this sends them (it proves the number, not who holds the link),
 * and the new sign-up becomes a pointer at the member's first one.
 */
async function signedUpAgainByButton(
  code: string,
  phone: string,
  first: { json: { joinRequestId: string } },
  extra: Record<string, unknown>,
) {
  const probe = await joinJson(code, { name: 'Probe', phone, ...extra })
  await notify(buttonNotification(phone, 'Ja, anmelden', probe.json.confirmation.code))
  await eventually(async () => {
    const [row] = await query<{ repeat_of: string | null }>(
      'select repeat_of from join_requests where id = ?',
      probe.json.joinRequestId,
    )
    expect(row!.repeat_of).toBe(first.json.joinRequestId)
  })
  return probe
}

async function membersOf(communityId: string) {
  return (await call('GET', `/api/communities/${communityId}/members?status=active`)).json
    .data as Array<{
    id: string
    phone: string | null
    email: string | null
    contactConsent: { phone: { method: string } | null; email: { method: string } | null }
  }>
}

describe('a proof confirms the contact it proves, and nothing else', () => {
  it('a stranger’s phone signed up with my e-mail, confirmed from my inbox: the stranger gets nothing', async () => {
    const { community, invite } = await doubleOptIn()
    const strangersPhone = newPhone()
    const joined = await joinJson(invite.code, {
      name: 'Mallory',
      phone: strangersPhone,
      email: `mallory-${crypto.randomUUID()}@example.com`,
    })
    expect(joined.json.status).toBe('unconfirmed')
    await confirmByEmail(joined.json.joinRequestId)

    const [member] = await membersOf(community.id)
    expect(member!.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(member!.contactConsent.phone).toBeNull()

    const sendsBefore = (await sentTo(strangersPhone)).length
    const deliveries = await announceAndWait(community.id, 'Only for confirmed numbers')
    expect(deliveries.data).toMatchObject([
      { memberId: member!.id, status: 'skipped', lastError: 'phone number not confirmed' },
    ])
    // The run is over and its one delivery was skipped, not sent: nothing is on its way.
    expect(await sentTo(strangersPhone)).toHaveLength(sendsBefore)

    // The stranger is not held hostage: they sign up with their own number and prove it.
    const owner = await joinJson(invite.code, { name: 'Sam', phone: strangersPhone })
    expect(owner.status).toBe(201)
    expect(owner.json.status).toBe('unconfirmed')
    expect(owner.json.confirmation.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/)
    await confirmByWhatsApp(strangersPhone, owner)
    await eventually(async () => {
      const sam = (await membersOf(community.id)).find(
        (m) => m.phone === strangersPhone && m.contactConsent.phone,
      )
      expect(sam?.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    })
  })

  it('my phone with a stranger’s e-mail, confirmed by my WhatsApp: the address stays unconfirmed', async () => {
    const { community, invite } = await doubleOptIn()
    const myPhone = newPhone()
    const strangersEmail = `stranger-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, {
      name: 'Mallory',
      phone: myPhone,
      email: strangersEmail,
    })
    await confirmByWhatsApp(myPhone, joined)
    const member = await eventually(async () => {
      const [found] = await membersOf(community.id)
      expect(found).toBeDefined()
      return found!
    })
    expect(member.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    expect(member.contactConsent.email).toBeNull()
    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    const [header, row] = csv.text.trim().split('\r\n')
    const cells = Object.fromEntries(
      header!.split(',').map((column, i) => [column, row!.split(',')[i]]),
    )
    expect(cells.phone_consent_method).toBe('whatsapp_message')
    expect(cells.email_consent_method).toBe('')

    // The address's owner can still confirm it by the link sent to it, and only then it counts.
    await confirmByEmail(joined.json.joinRequestId)
    const [after] = await membersOf(community.id)
    expect(after!.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(after!.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    // The members page names each proof for what it is, in the reader's language.
    const { cookie } = await signIn()
    const listed = (lang: 'en' | 'de') =>
      page(`/admin/communities/${community.id}/members?lang=${lang}`, cookie)
    const english = (await listed('en')).text
    expect(english).toMatch(
      /Proof of consent: their WhatsApp message, ID <bdi class="code">wamid\.[^<]+<\/bdi>/,
    )
    expect(english).toMatch(
      /Proof of consent: the link they confirmed, ID <bdi class="code">link_[0-9a-f]{24}<\/bdi>/,
    )
    expect((await listed('de')).text).toMatch(
      /Nachweis der Einwilligung: ihre WhatsApp-Nachricht, Kennung <bdi class="code">wamid\./,
    )
  })

  it('a member’s address typed next to a new number its owner proved: the membership carries the number alone, and the typist learns nothing', async () => {
    const { community, invite } = await doubleOptIn()
    const membersAddress = `member-${crypto.randomUUID()}@example.com`
    const first = await joinJson(invite.code, { name: 'Mia', email: membersAddress })
    await confirmByEmail(first.json.joinRequestId)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))

    // Tom types Mia's address next to his own number, Una an address nobody holds; each proves
    // their number by its code (Tim below by the confirmation template's button).
    const typed = async (name: string, email: string, proof: 'code' | 'button' = 'code') => {
      const phone = newPhone()
      const joined = await joinJson(invite.code, { name, phone, email })
      if (proof === 'code') await confirmByWhatsApp(phone, joined)
      else await notify(buttonNotification(phone, 'Ja, anmelden', joined.json.confirmation.code))
      const member = await eventually(async () => {
        const found = (await membersOf(community.id)).find((row) => row.phone === phone)
        expect(found).toBeDefined()
        return found!
      })
      const page = (await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')).text
      // What the holder reads: the page's text, with the typed address and the referral link
      // (each person's own) set aside.
      const text = page
        .replace(/<style[^]*?<\/style>/g, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
      return {
        member,
        joinRequestId: joined.json.joinRequestId as string,
        page: text.replaceAll(email, 'ADDRESS').replace(/\/i\/[a-z0-9]+/g, '/i/LINK'),
      }
    }
    const tom = await typed('Tom', membersAddress)
    const una = await typed('Tom', `nobody-${crypto.randomUUID()}@example.com`)
    expect(tom.member.email).toBeNull()
    expect(una.member.email).not.toBeNull()
    const members = await membersOf(community.id)
    expect(members.filter((member) => member.email === membersAddress)).toHaveLength(1)
    // Both status pages offer to confirm the address, word for word: the page never tells
    // whether an address belongs to a member.
    expect(tom.page).toContain(MESSAGES.en.confirmOtherText)
    expect(tom.page).toBe(una.page)

    // Mia opening the confirmation e-mail that Tim's sign-up (his number proven by the button,
    // which says nothing of who holds the sign-up) asked for: her address is proven for her own
    // membership, not for his; his stays without it, and her page shows nothing of his.
    const tim = await typed('Tim', membersAddress, 'button')
    expect(tim.member.email).toBeNull()
    const [asked] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      tim.joinRequestId,
    )
    const inbox = await call(
      'POST',
      `${new URL(JSON.parse(asked!.payload).confirmUrl).pathname}?lang=en`,
      { token: null, headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' } },
    )
    expect(inbox.status).toBe(200)
    expect(inbox.text).not.toContain('/leave/')
    expect(inbox.text).not.toMatch(/<p class="code"><a href="[^"]*\/i\//)
    const after = (await membersOf(community.id)).find((member) => member.id === tim.member.id)!
    expect(after.email).toBeNull()
    expect(after.contactConsent.email).toBeNull()
    const [signUp] = await query<{ email_confirmed_at: number | null }>(
      'select email_confirmed_at from join_requests where id = ?',
      tim.joinRequestId,
    )
    expect(signUp!.email_confirmed_at).toBeNull()
  })

  it('a member’s number typed next to a new address its owner proved: the membership carries the address alone', async () => {
    const { community, invite } = await doubleOptIn()
    const membersPhone = newPhone()
    const first = await joinJson(invite.code, { name: 'Mia', phone: membersPhone })
    await confirmByWhatsApp(membersPhone, first)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))

    const typistsAddress = `typist-${crypto.randomUUID()}@example.com`
    const typed = await joinJson(invite.code, {
      name: 'Tom',
      phone: membersPhone,
      email: typistsAddress,
    })
    await confirmByEmail(typed.json.joinRequestId)
    const members = await eventually(async () => {
      const found = await membersOf(community.id)
      expect(found).toHaveLength(2)
      return found
    })
    const toms = members.find((member) => member.email === typistsAddress)!
    expect(toms.phone).toBeNull()
    expect(members.filter((member) => member.phone === membersPhone)).toHaveLength(1)
  })

  it('a member’s unproven address typed next to a stranger’s number: the member’s own e-mail, opened last, takes it back', async () => {
    const { community, invite } = await doubleOptIn()
    const membersPhone = newPhone()
    const membersAddress = `mia-${crypto.randomUUID()}@example.com`
    const mine = await joinJson(invite.code, {
      name: 'Mia',
      phone: membersPhone,
      email: membersAddress,
    })
    await confirmByWhatsApp(membersPhone, mine)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))

    // Her address is nobody's proven contact yet: a stranger's membership carries it too.
    const strangersPhone = newPhone()
    const theirs = await joinJson(invite.code, {
      name: 'Stranger',
      phone: strangersPhone,
      email: membersAddress,
    })
    await confirmByWhatsApp(strangersPhone, theirs)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(2))
    const contactsOf = async () => {
      const members = await membersOf(community.id)
      return {
        mia: members.find((member) => member.phone === membersPhone)!,
        stranger: members.find((member) => member.phone === strangersPhone)!,
      }
    }

    // Mia opens the stranger's e-mail first: the address is proven there.
    await confirmByEmail(theirs.json.joinRequestId)
    const first = await contactsOf()
    expect(first.stranger.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(first.mia.contactConsent.email).toBeNull()

    // Then her own: her latest proof decides. The stranger's membership keeps the address
    // unproven (nothing goes to it), and so does its sign-up.
    await confirmByEmail(mine.json.joinRequestId)
    const last = await contactsOf()
    expect(last.mia.email).toBe(membersAddress)
    expect(last.mia.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(last.stranger.contactConsent.email).toBeNull()
    expect(last.stranger.contactConsent.phone).toMatchObject({ method: 'whatsapp_message' })
    const [strangersSignUp] = await query<{ email_confirmed_at: number | null }>(
      'select email_confirmed_at from join_requests where id = ?',
      theirs.json.joinRequestId,
    )
    expect(strangersSignUp!.email_confirmed_at).toBeNull()

    // Whichever e-mail she acts on last: opened again on the stranger's, then on her own.
    await confirmByEmail(theirs.json.joinRequestId)
    expect((await contactsOf()).mia.contactConsent.email).toBeNull()
    await confirmByEmail(mine.json.joinRequestId)
    const again = await contactsOf()
    expect(again.mia.contactConsent.email).toMatchObject({ method: 'email_link' })
    expect(again.stranger.contactConsent.email).toBeNull()
  })

  it('an admin’s recorded consent confirms only the contacts it names', async () => {
    const { community, invite } = await doubleOptIn()
    const joined = await joinJson(invite.code, {
      name: 'Both',
      phone: newPhone(),
      email: `both-${crypto.randomUUID()}@example.com`,
    })
    const confirm = (body: unknown) =>
      call('POST', `/api/join-requests/${joined.json.joinRequestId}/confirm`, { body })
    const unnamed = expectProblem(await confirm({ proof: 'signed form' }), 400, 'validation_failed')
    expect(unnamed.errors[0].path).toBe('contacts')
    const named = await confirm({ proof: 'signed form', contacts: ['email'] })
    expect(named.status, named.text).toBe(200)
    expect(named.json.contactConsent).toMatchObject({
      phone: null,
      email: { method: 'admin', proofId: 'owner: signed form' },
    })
    const [member] = await membersOf(community.id)
    expect(member!.contactConsent.phone).toBeNull()
  })

  it('once a community asks for confirmation, a number with only a ticked box gets nothing until its owner proves it', async () => {
    const created = await call('POST', '/api/communities', {
      body: {
        name: `Switching ${crypto.randomUUID()}`,
        description: 'x',
        visibility: 'open',
        consent: 'single',
      },
    })
    const community = created.json as { id: string }
    const invite = await createInvite(community.id)
    const ticked = newPhone()
    expect((await joinJson(invite.code, { name: 'Ticked', phone: ticked })).status).toBe(201)
    const switched = await call('PATCH', `/api/communities/${community.id}`, {
      body: { consent: 'double' },
    })
    expect(switched.status, switched.text).toBe(200)
    const proven = newPhone()
    const joined = await joinJson(invite.code, { name: 'Proven', phone: proven })
    await confirmByWhatsApp(proven, joined)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(2))

    const deliveries = await announceAndWait(community.id, 'After the switch')
    const byName = Object.fromEntries(
      deliveries.data.map(
        (row: { memberName: string; status: string; lastError: string | null }) => [
          row.memberName,
          row,
        ],
      ),
    )
    expect(byName.Ticked).toMatchObject({
      status: 'skipped',
      lastError: 'phone number not confirmed',
    })
    expect(byName.Proven.status).toBe('sent')
    expect((await sentTo(ticked)).filter((m) => m.text?.body === 'After the switch')).toEqual([])
    expect((await sentTo(proven)).filter((m) => m.text?.body === 'After the switch')).toHaveLength(
      1,
    )
  })
})

describe('nobody holds someone else’s number hostage, or learns who is a member', () => {
  it('answers a member’s number exactly like a new one; the owner’s proof then shows the membership', async () => {
    const { community, invite } = await doubleOptIn()
    const phone = newPhone()
    const first = await joinJson(invite.code, { name: 'Uma', phone })
    await confirmByWhatsApp(phone, first)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))

    // Someone who only knows the number learns nothing from the answer.
    const probe = await joinJson(invite.code, { name: 'Probe', phone })
    const unknown = await joinJson(invite.code, { name: 'Probe', phone: newPhone() })
    expect(probe.status).toBe(unknown.status)
    expect(Object.keys(probe.json).sort()).toEqual(Object.keys(unknown.json).sort())
    expect(Object.keys(probe.json.confirmation).sort()).toEqual(
      Object.keys(unknown.json.confirmation).sort(),
    )
    expect(probe.json).toMatchObject({ status: 'unconfirmed', memberId: null })
    const probePage = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
    expect(probePage.text).not.toContain('/leave/')

    // The number's owner proves it with the new sign-up's code: its status link now shows the
    // membership, and there is still one member.
    await confirmByWhatsApp(phone, probe)
    await eventually(async () => {
      const page = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
      expect(page.text).toContain('/leave/')
    })
    expect(await membersOf(community.id)).toHaveLength(1)
    const [repeat] = await query<{ phone: string | null; name: string }>(
      'select phone, name from join_requests where id = ?',
      probe.json.joinRequestId,
    )
    expect(repeat).toEqual({ phone: null, name: '' })
  })

  it('a member tapping the confirmation button for a stranger’s sign-up shows the stranger nothing of theirs', async () => {
    const { community, invite } = await doubleOptIn()
    const phone = newPhone()
    const first = await joinJson(invite.code, { name: 'Vic', phone })
    await confirmByWhatsApp(phone, first)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))
    const probe = await signedUpAgainByButton(invite.code, phone, first, {})
    // It reads as a new member's page right after the button: in, the links waiting for a proof
    // of whoever holds it. Nothing says the number was a member's already.
    const page = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
    expect(page.text).toContain('Your place is confirmed')
    expect(page.text).not.toMatch(/already/i)
    expect(page.text).toContain('Sign up again through the invite link')
    expect(page.text).not.toContain('/leave/')
    expect(page.text).not.toContain('/i/') // no referral link
    expect(await membersOf(community.id)).toHaveLength(1)
    // Its confirmation request, with whatever was typed, is gone with it.
    const events = await query(
      `select id from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      probe.json.joinRequestId,
    )
    expect(events).toEqual([])
  })

  it('a closed community’s approved member tapping the button for a stranger’s sign-up shows the stranger a request like any other', async () => {
    const { community, invite } = await doubleOptIn('closed')
    await call('PATCH', `/api/communities/${community.id}`, { body: { joinQuestions: [] } })
    const phone = newPhone()
    const first = await joinJson(invite.code, { name: 'Wim', phone, answers: [] })
    await confirmByWhatsApp(phone, first)
    await eventually(async () => {
      const approved = await call('POST', `/api/join-requests/${first.json.joinRequestId}/approve`)
      expect(approved.status, approved.text).toBe(200)
    })
    const probe = await signedUpAgainByButton(invite.code, phone, first, { answers: [] })
    // A new applicant's request, proven by the same button, waits for the admins: so does this
    // one's page, though the number's owner is in (their own code would show them that).
    const page = await visit(new URL(probe.json.statusUrl).pathname + '?lang=en')
    expect(page.text).toContain('Your request has arrived')
    expect(page.text).not.toContain('Your place is confirmed')
    expect(page.text).not.toMatch(/already/i)
    expect(page.text).not.toContain('chat.whatsapp.com')
  })

  it('a closed community’s chat and decision reach the owner who confirmed, not whoever typed the contact', async () => {
    const { community, invite } = await doubleOptIn('closed')
    await call('PATCH', `/api/communities/${community.id}`, { body: { joinQuestions: [] } })
    const chat = 'https://chat.whatsapp.com/ClosedCircle77'
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    const announcement = groups.json.data.find((g: { kind: string }) => g.kind === 'announcement')
    const linked = await call('PATCH', `/api/groups/${announcement.id}`, {
      body: { chatInviteUrl: chat },
    })
    expect(linked.status, linked.text).toBe(200)
    // Mallory types a stranger's number, and a stranger's address, each on its own sign-up; the
    // owners confirm them (the number by the template's button, the address by its link) and
    // the admins approve both.
    const phone = newPhone()
    const byPhone = await joinJson(invite.code, { name: 'Mallory', phone, answers: [] })
    await notify(buttonNotification(phone, 'Ja, anmelden', byPhone.json.confirmation.code))
    const email = `owner-${crypto.randomUUID()}@example.com`
    const byEmail = await joinJson(invite.code, { name: 'Mallory', email, answers: [] })
    await confirmByEmail(byEmail.json.joinRequestId)
    for (const signUp of [byPhone, byEmail]) {
      await eventually(async () => {
        const approved = await call(
          'POST',
          `/api/join-requests/${signUp.json.joinRequestId}/approve`,
        )
        expect(approved.status, approved.text).toBe(200)
      })
      // Mallory's status pages still read as a request just confirmed: no chat, no decision,
      // and no promise that they show it.
      const page = await visit(new URL(signUp.json.statusUrl).pathname + '?lang=en')
      expect(page.text).toContain('Your request has arrived')
      expect(page.text).not.toContain(chat)
      expect(page.text).not.toContain('Your place is confirmed')
      expect(page.text).not.toContain('Keep this page: it shows you the decision')
    }
    // The number's owner hears of the approval on WhatsApp, but not the link of Mallory's page:
    // the button proved the number, not who holds that page.
    const texts = await eventually(async () => {
      const bodies = (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
      expect(bodies.join('\n')).toContain('ist angenommen: Dein Platz ist sicher')
      return bodies
    })
    expect(texts.join('\n')).toContain('auf deiner Statusseite.')
    expect(texts.join('\n')).not.toContain(new URL(byPhone.json.statusUrl).pathname)
    expect(texts.join('\n')).not.toContain('/s/')
    // Each says where the decision is: behind the number's code, on the e-mail's page.
    const pageOf = async (signUp: { json: { statusUrl: string } }) =>
      (await visit(new URL(signUp.json.statusUrl).pathname + '?lang=en')).text
    expect(await pageOf(byPhone)).toContain(MESSAGES.en.pendingProofText)
    expect(await pageOf(byEmail)).toContain(MESSAGES.en.pendingEmailPageText)
    // … without saying that the admins have yet to decide, which they have.
    expect(await pageOf(byEmail)).not.toContain('An admin will look at it')
    // The address's owner finds the chat on the page of the link in their inbox …
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      byEmail.json.joinRequestId,
    )
    const inbox = await visit(new URL(JSON.parse(event!.payload).confirmUrl).pathname + '?lang=en')
    expect(inbox.text).toContain(chat)
    // … and the number's owner by the status page's code, sent from the number.
    await confirmByWhatsApp(phone, byPhone)
    await eventually(async () => {
      const page = await visit(new URL(byPhone.json.statusUrl).pathname + '?lang=en')
      expect(page.text).toContain(chat)
    })
  })

  it('the typist’s own e-mailed link tells nothing of the member whose number its owner confirmed by the button', async () => {
    const { community, invite } = await doubleOptIn('closed')
    await call('PATCH', `/api/communities/${community.id}`, { body: { joinQuestions: [] } })
    const member = newPhone()
    const first = await joinJson(invite.code, { name: 'Vic', phone: member, answers: [] })
    await confirmByWhatsApp(member, first)
    await eventually(async () => {
      const approved = await call('POST', `/api/join-requests/${first.json.joinRequestId}/approve`)
      expect(approved.status, approved.text).toBe(200)
    })
    // Mallory types a number next to her own address; its owner taps the template's button.
    const typeIn = async (phone: string) => {
      const answer = await joinJson(invite.code, {
        name: 'Mallory',
        phone,
        email: `mallory-${crypto.randomUUID()}@example.com`,
        answers: [],
      })
      await notify(buttonNotification(phone, 'Ja, anmelden', answer.json.confirmation.code))
      await eventually(async () => {
        const [row] = await query<{ confirmed_at: number | null }>(
          'select confirmed_at from join_requests where id = ?',
          answer.json.joinRequestId,
        )
        expect(row!.confirmed_at).not.toBeNull()
      })
      return answer
    }
    const known = await typeIn(member)
    const fresh = await typeIn(newPhone())
    // The link in her own inbox says of either what a confirmed request says: with the admins.
    for (const answer of [known, fresh]) {
      const page = await pressEmailLink(answer.json.joinRequestId)
      expect(page).toContain(MESSAGES.en.confirmedWaitingText)
      expect(page).not.toContain(MESSAGES.en.confirmedInNoLinksText)
    }
  })

  it('a number typed into a rejected request neither blocks its owner nor tells of the rejection', async () => {
    const { invite } = await doubleOptIn('closed')
    const victim = newPhone()
    const mallory = await joinJson(invite.code, {
      name: 'Mallory',
      phone: victim,
      email: `m-${crypto.randomUUID()}@example.com`,
      answers: [],
    })
    await confirmByEmail(mallory.json.joinRequestId)
    const rejected = await call('POST', `/api/join-requests/${mallory.json.joinRequestId}/reject`, {
      body: { reason: 'rude' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    const owner = await joinJson(invite.code, { name: 'Owner', phone: victim, answers: [] })
    expect(owner.status, owner.text).toBe(201)
    expect(owner.json.status).toBe('unconfirmed')
  })

  it('“STOP” from a number nobody proved ends no membership confirmed by e-mail', async () => {
    const { community, invite } = await doubleOptIn()
    const typedPhone = newPhone()
    const joined = await joinJson(invite.code, {
      name: 'Eve',
      phone: typedPhone,
      email: `eve-${crypto.randomUUID()}@example.com`,
    })
    await confirmByEmail(joined.json.joinRequestId)
    const stop = textNotification(typedPhone, 'STOP')
    await notify(stop)
    const wamid = (stop.entry[0]!.changes[0]!.value as any).messages[0].id
    // Wait for the message to be handled, then look.
    await eventually(async () =>
      expect(
        await query(
          'select key from inbound_notifications where key = ?',
          await handledMessageKey(wamid),
        ),
      ).toHaveLength(1),
    )
    const [member] = await membersOf(community.id)
    expect(member).toBeDefined()
  })

  it('a message carrying the sender’s own code and someone else’s confirms the sender’s only', async () => {
    const { community, invite } = await doubleOptIn()
    const mine = newPhone()
    const theirs = newPhone()
    const me = await joinJson(invite.code, { name: 'Me', phone: mine })
    const them = await joinJson(invite.code, { name: 'Them', phone: theirs })
    await notify(
      textNotification(mine, `${me.json.confirmation.code} ${them.json.confirmation.code}`),
    )
    await eventually(async () => {
      const members = await membersOf(community.id)
      expect(members.map((m) => m.phone)).toEqual([mine])
    })
    const [theirRequest] = await query<{ confirmed_at: number | null }>(
      'select confirmed_at from join_requests where id = ?',
      them.json.joinRequestId,
    )
    expect(theirRequest!.confirmed_at).toBeNull()
  })

  it('the sender’s own code counts wherever it stands among many that look like codes', async () => {
    const { community, invite } = await doubleOptIn()
    const mine = newPhone()
    const me = await joinJson(invite.code, { name: 'Me', phone: mine })
    const noise = Array.from({ length: 12 }, (_, i) => `AAA${i % 10}-BBB${i % 10}`).join(' ')
    await notify(textNotification(mine, `${me.json.confirmation.code} ${noise}`))
    await eventually(async () =>
      expect((await membersOf(community.id)).map((m) => m.phone)).toEqual([mine]),
    )
  })
})

/**
 * Whoever types a number or an address into the form holds the sign-up's status link. Only the
 * code that page shows, sent from the number's own WhatsApp, proves both the contact and who holds
 * the page; every other proof shows the member's own links only to the contact's owner.
 */
describe('the status page opens the member’s links only to the holder of its code', () => {
  it('a stranger’s number confirmed by the template’s button shows the typist nothing of theirs; the code from that number does', async () => {
    const { community, invite } = await doubleOptIn()
    const strangersPhone = newPhone()
    const typed = await joinJson(invite.code, { name: 'Mallory', phone: strangersPhone })
    expect(typed.json.status).toBe('unconfirmed')
    const statusPath = new URL(typed.json.statusUrl).pathname + '?lang=en'
    // The stranger taps "confirm" in the template the business sent them.
    await notify(buttonNotification(strangersPhone, 'Ja, anmelden', typed.json.confirmation.code))
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))
    const [member] = await membersOf(community.id)
    expect(member!.contactConsent.phone?.method).toBe('whatsapp_button')

    const typistsPage = (await visit(statusPath)).text
    expect(typistsPage).toContain('Your place is confirmed')
    expect(typistsPage).not.toContain('/leave/')
    expect(typistsPage).not.toMatch(/<p class="code"><a href="[^"]*\/i\//)
    // The code on the page still opens the links, but only sent from the number itself.
    await notify(textNotification(newPhone(), `Code: ${typed.json.confirmation.code}`))
    await confirmByWhatsApp(strangersPhone, typed)
    await eventually(async () =>
      expect((await membersOf(community.id))[0]!.contactConsent.phone?.method).toBe(
        'whatsapp_message',
      ),
    )
    const ownersPage = (await visit(statusPath)).text
    expect(ownersPage).toMatch(/href="https:\/\/join\.example\.com\/leave\//)
    expect(ownersPage).toMatch(/<p class="code"><a href="https:\/\/join\.example\.com\/i\//)
  })

  it('an address typed next to a number its owner proved by the code shows the address’s owner none of the member’s links', async () => {
    const { community, invite } = await doubleOptIn()
    const phone = newPhone()
    const joined = await joinJson(invite.code, {
      name: 'Ada',
      phone,
      email: `someone-else-${crypto.randomUUID()}@example.com`,
    })
    await confirmByWhatsApp(phone, joined)
    await eventually(async () => expect(await membersOf(community.id)).toHaveLength(1))
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      joined.json.joinRequestId,
    )
    const inbox = await call(
      'POST',
      `${new URL(JSON.parse(event!.payload).confirmUrl).pathname}?lang=en`,
      {
        token: null,
        headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
      },
    )
    expect(inbox.status).toBe(200)
    expect(inbox.text).toContain('Thank you, you have confirmed')
    expect(inbox.text).not.toContain('/leave/')
    expect(inbox.text).not.toMatch(/<p class="code"><a href="[^"]*\/i\//)
    // The member who proved the number keeps them on the status page.
    const own = (await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')).text
    expect(own).toContain('/leave/')
  })

  it('a single opt-in’s stranger’s address confirmed from its inbox shows the links in the inbox’s page, not to the typist', async () => {
    const created = await call('POST', '/api/communities', {
      body: {
        name: `Single ${crypto.randomUUID()}`,
        description: 'x',
        visibility: 'open',
        consent: 'single',
      },
    })
    expect(created.status, created.text).toBe(201)
    const invite = await createInvite(created.json.id)
    // The operator's mail system e-mails the confirmation links.
    const mailer = await call('POST', '/api/webhooks', {
      body: {
        url: 'https://mail.example.com/hooks',
        events: ['member.confirmation_requested'],
        communityId: created.json.id,
      },
    })
    expect(mailer.status, mailer.text).toBe(201)
    const typed = await joinJson(invite.code, {
      name: 'Mallory',
      email: `stranger-${crypto.randomUUID()}@example.com`,
    })
    expect(typed.json).toMatchObject({ status: 'active', memberId: null, leaveUrl: null })
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      typed.json.joinRequestId,
    )
    const confirmPath = new URL(JSON.parse(event!.payload).confirmUrl).pathname
    const inbox = await call('POST', `${confirmPath}?lang=en`, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(inbox.status).toBe(200)
    const leave = inbox.text.match(/href="(https:\/\/join\.example\.com\/leave\/[^"]+)"/)?.[1]
    expect(leave).toBeDefined()

    const typistsPage = (await visit(new URL(typed.json.statusUrl).pathname + '?lang=en')).text
    expect(typistsPage).not.toContain(leave!)
    expect(typistsPage).not.toContain('/leave/')
    expect(typistsPage).toContain(MESSAGES.en.linksOnEmailPageText)
  })
})

describe('the funnel says which contact confirmed', () => {
  it('counts each sign-up’s first proof once, by the contact it came from', async () => {
    const { community, invite } = await doubleOptIn()
    const byPhone = newPhone()
    const a = await joinJson(invite.code, { name: 'By phone', phone: byPhone })
    await confirmByWhatsApp(byPhone, a)
    const b = await joinJson(invite.code, {
      name: 'By e-mail',
      email: `b-${crypto.randomUUID()}@example.com`,
    })
    await confirmByEmail(b.json.joinRequestId)
    const bothPhone = newPhone()
    const c = await joinJson(invite.code, {
      name: 'Both',
      phone: bothPhone,
      email: `c-${crypto.randomUUID()}@example.com`,
    })
    await confirmByEmail(c.json.joinRequestId)
    await confirmByWhatsApp(bothPhone, c)
    await eventually(async () => {
      const members = await membersOf(community.id)
      expect(members.filter((m) => m.contactConsent.phone)).toHaveLength(2)
    })
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({
      joinRequests: 3,
      confirmations: 3,
      confirmedByPhone: 1,
      confirmedByEmail: 2,
      joins: 3,
    })
  })
})

describe('typing strangers’ numbers cannot make the business message them', () => {
  it('sends the confirmation template at most once a day per number, across communities', async () => {
    const phone = newPhone()
    for (let i = 0; i < 3; i++) {
      const { invite } = await doubleOptIn()
      const joined = await joinJson(invite.code, { name: `Try ${i}`, phone })
      expect(joined.json.status).toBe('unconfirmed')
    }
    // All three were counted (after each answer), and only the first one was sent.
    await eventually(async () => {
      const rows = await query(
        `select count from rate_limits where key like 'confirm-template:%' and count = 3`,
      )
      expect(rows).toHaveLength(1)
    })
    await eventually(async () =>
      expect((await sentTo(phone)).filter((m) => m.type === 'template')).toHaveLength(1),
    )
    expect((await sentTo(phone)).filter((m) => m.type === 'template')).toHaveLength(1)
  })
})
