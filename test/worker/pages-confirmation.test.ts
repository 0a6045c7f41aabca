import { describe, expect, it } from 'vitest'
import { MESSAGES } from '../../src/lib/i18n'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  endProofTime,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'

/**
 * A double opt-in, as the person who signed up reads it on a phone: the status page says what
 * confirming leads to in this community, and the page the e-mailed link ends on says what
 * comes next instead of leaving them on a thank-you with nowhere to go.
 */

const CHAT = 'https://chat.whatsapp.com/ConfirmNext42'

async function doubleOptIn(visibility: 'open' | 'closed') {
  const community = await createCommunity({
    visibility,
    consent: 'double',
    ...(visibility === 'closed' ? { joinQuestions: ['What do you make?'] } : {}),
  })
  const group = await createGroup(community.id, { chatInviteUrl: CHAT })
  const invite = await createInvite(community.id, { groupId: group.id })
  await listenForConfirmationMail(community.id)
  return { community, invite }
}

/** The operator's mail system, subscribed to the community's requests for confirmation e-mails. */
async function listenForConfirmationMail(communityId: string) {
  const endpoint = await call('POST', '/api/webhooks', {
    body: {
      url: 'https://mail.example.com/hooks',
      events: ['member.confirmation_requested'],
      communityId,
    },
  })
  expect(endpoint.status, endpoint.text).toBe(201)
}

async function signUp(visibility: 'open' | 'closed') {
  const { community, invite } = await doubleOptIn(visibility)
  const joined = await joinJson(invite.code, {
    name: 'Rosa',
    email: `rosa-${crypto.randomUUID()}@example.com`,
    ...(visibility === 'closed' ? { answers: ['Quilts'] } : {}),
  })
  expect(joined.status, joined.text).toBe(201)
  const [event] = await query<{ payload: string }>(
    `select payload from events where community_id = ? and type = 'member.confirmation_requested'`,
    community.id,
  )
  const confirmPath = new URL(JSON.parse(event!.payload).confirmUrl).pathname
  return {
    id: joined.json.joinRequestId as string,
    statusPath: new URL(joined.json.statusUrl).pathname,
    confirmPath,
  }
}

/** The page's text as a person reads it. */
function words(html: string) {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ')
}

async function confirmByLink(confirmPath: string, lang: 'de' | 'en') {
  const answer = await call('POST', `${confirmPath}?lang=${lang}`, {
    token: null,
    headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
  })
  expect(answer.status, answer.text).toBe(200)
  return answer.text
}

describe('the status page before the confirmation', () => {
  it('promises an open community’s membership, and a closed one’s request to the admins', async () => {
    const open = await signUp('open')
    const closed = await signUp('closed')
    for (const lang of ['de', 'en'] as const) {
      const t = MESSAGES[lang]
      // An address was given, and only an address: the page speaks of it alone.
      const address = t.contactsGiven.email
      const openPage = words((await visit(`${open.statusPath}?lang=${lang}`)).text)
      expect(openPage).toContain(t.confirmText(address))

      const closedPage = words((await visit(`${closed.statusPath}?lang=${lang}`)).text)
      expect(closedPage).toContain(t.confirmClosedText(address))
      // "You are in once you confirm" is not true where an admin still decides.
      expect(closedPage).not.toContain(t.confirmText(address))
    }
  })
})

describe('the e-mailed link, once confirmed', () => {
  it('in an open community leads on to the chat and shows the member’s own links there, not on the status page', async () => {
    const { confirmPath, statusPath } = await signUp('open')
    const page = await confirmByLink(confirmPath, 'en')
    expect(words(page)).toContain(MESSAGES.en.confirmedTitle)
    expect(page).toContain(`href="${CHAT}"`)
    expect(words(page)).toContain(MESSAGES.en.openChat)
    expect(words(page)).toContain(MESSAGES.en.confirmedInLinksText)
    const referral = page.match(/<p class="code"><a href="([^"]+)"/)?.[1]
    expect(referral).toMatch(/^https:\/\/join\.example\.com\/i\/[a-z2-9]{13}$/)
    expect(page).toMatch(/href="https:\/\/join\.example\.com\/leave\//)

    // Whoever typed the address holds the status page: it says where the links are, and shows
    // none of them, nor a heading that asks to invite friends with a link it does not show.
    const status = (await visit(`${statusPath}?lang=en`)).text
    expect(words(status)).toContain(MESSAGES.en.linksOnEmailPageText)
    expect(status).not.toContain(referral!)
    expect(status).not.toContain('/leave/')
    const german = words((await visit(`${statusPath}?lang=de`)).text)
    expect(german).toContain('Dein Platz ist bestätigt')
    expect(german).not.toContain('Lade Freunde ein')
    expect(german).not.toContain('sobald du dabei bist')
    expect(german).toContain(
      'Deinen persönlichen Einladungslink und den Link zum Austreten findest du auf der Seite, die der Link in deiner E-Mail öffnet.',
    )

    // Opened again later, the link still shows them, in German too.
    const again = await visit(`${confirmPath}?lang=de`)
    expect(again.status).toBe(200)
    expect(again.headers.get('cache-control')).toBe('private, no-store')
    expect(again.text).toContain(`href="${CHAT}"`)
    expect(again.text).toContain(referral!)
    // Headed as confirmed, it says so once: the text goes on to keeping the e-mail.
    expect(words(again.text)).toContain(MESSAGES.de.approvedTitle)
    expect(words(again.text)).toContain(MESSAGES.de.keepEmailText)
    expect(words(again.text)).not.toContain(MESSAGES.de.confirmedInLinksText)
  })

  it('in a closed community says the request is with the admins, and shows no chat', async () => {
    const { confirmPath, statusPath } = await signUp('closed')
    const page = await confirmByLink(confirmPath, 'de')
    expect(words(page)).toContain(MESSAGES.de.confirmedWaitingText)
    expect(page).not.toContain(CHAT)
    expect(words((await visit(`${statusPath}?lang=de`)).text)).toContain(MESSAGES.de.pendingTitle)
  })

  it('in a closed community shows the admins’ decision, and the status page says it is there', async () => {
    const approved = await signUp('closed')
    const declined = await signUp('closed')
    for (const { confirmPath } of [approved, declined]) {
      const page = words(await confirmByLink(confirmPath, 'en'))
      expect(page).not.toContain('The page you were shown after signing up')
      expect(page).toContain('Keep the e-mail: its link brings you back to this page')
    }
    const yes = await call('POST', `/api/join-requests/${approved.id}/approve`)
    expect(yes.status, yes.text).toBe(200)
    const no = await call('POST', `/api/join-requests/${declined.id}/reject`, {
      body: { reason: 'Only for makers from Neukölln' },
    })
    expect(no.status, no.text).toBe(200)

    // The status page goes on reading as a request just confirmed (whoever typed the address
    // holds it), and no longer claims to show the decision: it sends them to the e-mail's page.
    for (const { statusPath } of [approved, declined]) {
      const status = words((await visit(`${statusPath}?lang=en`)).text)
      expect(status).toContain(MESSAGES.en.pendingTitle)
      expect(status).not.toContain('Keep this page: it shows you the decision')
      expect(status).toContain('the page it opens shows you the admins’ decision')
      expect(status).not.toContain('An admin will look at it')
    }
    const inPage = words((await visit(`${approved.confirmPath}?lang=en`)).text)
    expect(inPage).toContain('Your place is confirmed')
    expect((await visit(`${approved.confirmPath}?lang=en`)).text).toContain(`href="${CHAT}"`)

    const noPage = words((await visit(`${declined.confirmPath}?lang=en`)).text)
    expect(noPage).toContain('The admins have declined your request.')
    expect(noPage).toContain('Reason: Only for makers from Neukölln')
    expect(noPage).not.toContain(CHAT)
    const neinPage = words((await visit(`${declined.confirmPath}?lang=de`)).text)
    expect(neinPage).toContain('Die Admins haben deine Anfrage abgelehnt.')
    expect(neinPage).toContain('Begründung: Only for makers from Neukölln')
    // A rejection is headed as one, not thanked for, and said once: then when to ask again.
    for (const lang of ['en', 'de'] as const) {
      const page = (await visit(`${declined.confirmPath}?lang=${lang}`)).text
      expect(page).toContain(`<h1>${MESSAGES[lang].rejectedTitle}</h1>`)
      expect(page).not.toContain(MESSAGES[lang].confirmedTitle)
      expect(words(page)).toMatch(new RegExp(MESSAGES[lang].askAgainText('\\d')))
      expect(page).not.toContain(MESSAGES[lang].coolingOffText('').split('.')[0]!)
    }
  })

  it('says nothing of being in once the membership has ended', async () => {
    const { confirmPath, statusPath } = await signUp('open')
    const confirmed = await confirmByLink(confirmPath, 'en')
    const leavePath = confirmed.match(/href="[^"]*?(\/leave\/[^"?]+)/)![1]!
    const left = await call('POST', leavePath, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(left.status).toBe(200)
    const later = words((await visit(`${confirmPath}?lang=en`)).text)
    expect(later).not.toContain(MESSAGES.en.confirmedInNoLinksText)
    expect(later).not.toContain(MESSAGES.en.confirmedInLinksText)
    expect(later).not.toContain('/leave/')
    expect(later).not.toContain(CHAT)
    // Whoever typed the address holds the status page, and the link proved only the address: it
    // goes on reading as the sign-up did when it was confirmed, and says where to look instead.
    const status = words((await visit(`${statusPath}?lang=en`)).text)
    expect(status).not.toContain(MESSAGES.en.endedTitle)
    expect(status).toContain(MESSAGES.en.approvedTitle)
    expect(status).toContain(MESSAGES.en.linksOnEmailPageText)
  })
})

describe('a single opt-in member who never confirmed their address', () => {
  it('signs up again once the time is up, and the new e-mailed link shows their own links', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await listenForConfirmationMail(community.id)
    const email = `uma-${crypto.randomUUID()}@example.com`
    const first = await joinJson(invite.code, { name: 'Uma', email })
    expect(first.json).toMatchObject({ status: 'active' })
    await endProofTime(first.json.joinRequestId)
    const status = words((await visit(`${new URL(first.json.statusUrl).pathname}?lang=en`)).text)
    expect(status).toContain(MESSAGES.en.proofOfferEndedText)
    expect(status).not.toContain('/leave/')

    const again = await joinJson(invite.code, { name: 'Uma', email })
    expect(again.status, again.text).toBe(201)
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
         and json_extract(payload, '$.joinRequestId') = ?`,
      again.json.joinRequestId,
    )
    const confirmPath = new URL(JSON.parse(event!.payload).confirmUrl).pathname
    const [referral] = await query<{ code: string }>(
      `select i.code from invites i join join_requests r on r.member_id = i.referrer_member_id
         where r.id = ?`,
      first.json.joinRequestId,
    )
    const page = await confirmByLink(confirmPath, 'en')
    expect(words(page)).toContain(MESSAGES.en.confirmedInLinksText)
    expect(page).toContain(`/i/${referral!.code}`)
    expect(page).toMatch(/href="https:\/\/join\.example\.com\/leave\//)
    // Opened again, it still does; the new sign-up's status page, held by whoever typed the
    // address, shows none of it.
    expect((await visit(`${confirmPath}?lang=en`)).text).toContain(`/i/${referral!.code}`)
    const repeatPage = (await visit(`${new URL(again.json.statusUrl).pathname}?lang=en`)).text
    expect(repeatPage).not.toContain(`/i/${referral!.code}`)
    expect(repeatPage).not.toContain('/leave/')
    expect(await query('select id from members where community_id = ?', community.id)).toHaveLength(
      1,
    )
  })
})

// A phone sign-up is confirmed from WhatsApp, not on these pages: its status page is checked
// above through the e-mail; this keeps the closed wording for a number too.
it('a closed community’s phone sign-up is told the admins decide after the confirmation', async () => {
  const { invite } = await doubleOptIn('closed')
  const joined = await joinJson(invite.code, { name: 'Ida', phone: newPhone(), answers: ['Pots'] })
  const page = words((await visit(`${new URL(joined.json.statusUrl).pathname}?lang=en`)).text)
  expect(page).toContain(MESSAGES.en.confirmClosedText('the number'))
  // Both given: either may be confirmed.
  const both = await joinJson(invite.code, {
    name: 'Ida',
    phone: newPhone(),
    email: `ida-${crypto.randomUUID()}@example.com`,
    answers: ['Pots'],
  })
  const bothPage = words((await visit(`${new URL(both.json.statusUrl).pathname}?lang=de`)).text)
  expect(bothPage).toContain(MESSAGES.de.confirmClosedText('die Nummer oder Adresse'))
})

// The code is letters and digits, no word: a translator or screen reader must not take it for
// German or English (nor may a check of the page's language).
it('isolates the WhatsApp code from the sentence around it and marks it as no language', async () => {
  const { invite } = await doubleOptIn('open')
  const joined = await joinJson(invite.code, { name: 'Eda', phone: newPhone() })
  const code = joined.json.confirmation.code as string
  const html = (await visit(`${new URL(joined.json.statusUrl).pathname}?lang=de`)).text
  expect(html).toContain(`<bdi>${code}</bdi>`)
  expect(html).toContain(`<p class="code" lang="zxx" translate="no">${code}</p>`)
})
