import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  eventually,
  joinJson,
  newPhone,
  pressEmailLink,
  query,
  sendCodeFrom,
  visit,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

const OFFER = 'Code <b>RUN10</b>: 10 % off\nat the running shop'
/** The offer as a member's page shows it: escaped, its line break kept. */
const SHOWN =
  '<h2>Exclusively for members</h2><p class="offer"><bdi>Code &lt;b&gt;RUN10&lt;/b&gt;: 10 % off\nat the running shop</bdi></p>'

describe('an offer for members', () => {
  it('is kept with the community, changed and taken away through the API', async () => {
    const community = await createCommunity({ memberOffer: OFFER })
    expect(community.memberOffer).toBe(OFFER)
    const emptied = await call('PATCH', `/api/communities/${community.id}`, {
      body: { memberOffer: '  ' },
    })
    expect(emptied.status, emptied.text).toBe(200)
    expect(emptied.json.memberOffer).toBeNull()
    const tooLong = await call('PATCH', `/api/communities/${community.id}`, {
      body: { memberOffer: 'x'.repeat(1001) },
    })
    expect(tooLong.status).toBe(400)
    const read = await call('GET', `/api/communities/${community.id}`)
    expect(read.json.memberOffer).toBeNull()
  })

  it('is not a group admin’s to read: it is the members’', async () => {
    const community = await createCommunity({ memberOffer: OFFER })
    const group = await createGroup(community.id)
    const groupAdmin = await createToken({
      role: 'group_admin',
      communityId: community.id,
      groupId: group.id,
    })
    const asGroupAdmin = { token: groupAdmin.token }
    const read = await call('GET', `/api/communities/${community.id}`, asGroupAdmin)
    expect(read.status, read.text).toBe(200)
    expect(read.json).not.toHaveProperty('memberOffer')
    const listed = await call('GET', '/api/communities', asGroupAdmin)
    expect(JSON.stringify(listed.json)).not.toContain('RUN10')
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const asAdmin = { token: admin.token }
    expect((await call('GET', `/api/communities/${community.id}`, asAdmin)).json.memberOffer).toBe(
      OFFER,
    )
  })

  it('is shown to members with their own links, and to nobody before that', async () => {
    const community = await createCommunity({ consent: 'single', memberOffer: OFFER })
    const invite = await createInvite(community.id)
    // The landing page and the join form are anyone's who has the link: the landing page says
    // there is an offer, never what it is.
    for (const path of [`/i/${invite.code}?lang=en`, `/i/${invite.code}/join?lang=en`]) {
      expect((await visit(path)).text).not.toContain('RUN10')
    }
    expect((await visit(`/i/${invite.code}?lang=en`)).text).toContain(
      '<p class="perk">Members get an exclusive offer once they are in.</p>',
    )
    // A sign-up whose own links wait for the address's proof: nothing of the offer yet.
    const email = `ada-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, { name: 'Ada', email })
    expect(joined.status, joined.text).toBe(201)
    expect(joined.json.memberOffer ?? null).toBeNull()
    const waiting = await visit(`${new URL(joined.json.statusUrl).pathname}?lang=en`)
    expect(waiting.text).not.toContain('RUN10')
    // Proven: the page the e-mailed link opens shows it, with the member's links.
    const proven = await pressEmailLink(joined.json.joinRequestId)
    expect(proven).toContain(SHOWN)
    const german = await visit(`${new URL(joined.json.statusUrl).pathname}?lang=de`)
    expect(german.text).not.toContain('RUN10')
  })

  it('waits for the admins in a closed community, and ends with the membership', async () => {
    const community = await createCommunity({
      visibility: 'closed',
      consent: 'single',
      memberOffer: OFFER,
    })
    const invite = await createInvite(community.id)
    const asked = await joinJson(invite.code, { name: 'Ben', phone: newPhone() })
    expect(asked.status, asked.text).toBe(201)
    const status = `${new URL(asked.json.statusUrl).pathname}?lang=en`
    // The number proven from its own WhatsApp, the request still waits for the admins.
    await sendCodeFrom(asked)
    await eventually(async () => {
      const [row] = await query<{ method: string | null }>(
        'select phone_consent_method as method from join_requests where id = ?',
        asked.json.joinRequestId,
      )
      expect(row?.method).toBe('whatsapp_message')
    })
    expect((await visit(status)).text).not.toContain('RUN10')
    const approved = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect((await visit(status)).text).toContain(SHOWN)
    expect((await visit(`${status.split('?')[0]}?lang=de`)).text).toContain(
      '<h2>Exklusiv für Mitglieder</h2>',
    )
    const memberId = approved.json.memberId
    expect((await call('DELETE', `/api/members/${memberId}`)).status).toBe(204)
    expect((await visit(status)).text).not.toContain('RUN10')
  })

  it('is set in the community’s settings on the dashboard', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(settings.text).toContain('<label for="memberOffer">Offer for members (optional)</label>')
    // The settings form as a browser sends it, with every field as it is but the offer.
    const save = (memberOffer: string) =>
      post(`/admin/communities/${community.id}/settings`, cookie, {
        _csrf: csrfOf(settings.text),
        name: community.name,
        description: community.description,
        visibility: community.visibility,
        consent: community.consent,
        timeZone: community.timeZone,
        memberOffer,
      })
    const offerRead = async () =>
      (await call('GET', `/api/communities/${community.id}`)).json.memberOffer
    // A browser sends a textarea's line breaks as CRLF: the longest offer the field takes, with
    // many of them, is saved, and so is every other setting beside it.
    const lines = `${'x'.repeat(19)}\r\n`.repeat(50).slice(0, -2)
    const longest = await save(lines)
    expect(longest.status, longest.text.slice(0, 300)).toBe(303)
    expect(await offerRead()).toBe(lines.replaceAll('\r\n', '\n'))
    const saved = await save('Free coffee after every run')
    expect(saved.status, saved.text).toBe(303)
    expect(await offerRead()).toBe('Free coffee after every run')
    const shown = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(shown.text).toMatch(/<textarea id="memberOffer"[^>]*>\nFree coffee after every run</)
  })
})
