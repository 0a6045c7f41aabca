import { describe, expect, it } from 'vitest'
import {
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  pressEmailLink,
  query,
  visit,
} from '../worker/helpers'
import { MESSAGES } from '../../src/lib/i18n'
import { page, signIn } from '../worker/dashboard-helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

/** Sends a sign-up's prefilled confirmation message from its own number. */
async function confirmFrom(phone: string, joined: { json: any }) {
  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
}

describe('a double opt-in into a group that fills up before the confirmation', () => {
  it('keeps the proof, tells the truth, and refuses sign-ups once the group is full', async () => {
    const community = await createCommunity({ consent: 'double' })
    const group = await createGroup(community.id, { name: 'Tiny', memberLimit: 1 })
    const invite = await createInvite(community.id, { groupId: group.id })
    const first = { phone: newPhone(), joined: undefined as any }
    const second = { phone: newPhone(), joined: undefined as any }
    for (const person of [first, second]) {
      person.joined = await joinJson(invite.code, { name: 'Pia', phone: person.phone })
      expect(person.joined.status, person.joined.text).toBe(201)
    }
    const email = await joinJson(invite.code, { name: 'Ela', email: 'ela@example.com' })
    expect(email.status, email.text).toBe(201)

    // The first takes the one place; the second confirms after it is gone.
    await confirmFrom(first.phone, first.joined)
    await eventually(async () => {
      const [row] = await query<{ n: number }>(
        "select count(*) as n from members where community_id = ? and status = 'active'",
        community.id,
      )
      expect(row!.n).toBe(1)
    })
    await confirmFrom(second.phone, second.joined)
    const texts = async () =>
      (await sentTo(second.phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    await eventually(async () => expect(await texts()).toHaveLength(1))
    // Not "the code has expired": the proof counted, the place is what is missing.
    expect((await texts())[0]).toContain('Die Gruppe bei')
    expect((await texts())[0]).toContain('ist inzwischen voll')
    const [request] = await query<{ status: string; phone_consent_method: string | null }>(
      'select status, phone_consent_method from join_requests where id = ?',
      second.joined.json.joinRequestId,
    )
    expect(request).toEqual({ status: 'pending', phone_consent_method: 'whatsapp_message' })
    const status = await visit(`${new URL(second.joined.json.statusUrl).pathname}?lang=en`)
    expect(status.text).toContain(MESSAGES.en.pendingFullText)
    expect(status.text).not.toContain(MESSAGES.en.pendingText)

    // The e-mail's link says the same, as a page, not an error.
    const pressed = await pressEmailLink(email.json.joinRequestId)
    expect(pressed).toContain(MESSAGES.en.pendingFullText)

    // The link's page says so before anyone fills in the form, and offers no form to fill in.
    const landing = await visit(`/i/${invite.code}?lang=en`)
    expect(landing.text).toContain(MESSAGES.en.groupFullText)
    expect(landing.text).not.toContain(`/i/${invite.code}/join`)
    // The admins see it on the link's page.
    const { cookie } = await signIn()
    expect((await page(`/admin/links/${invite.id}`, cookie)).text).toContain(
      'Nobody can join through this link now: Tiny is full (limit: 1).',
    )

    // Once full, a new sign-up is refused as with a single opt-in: confirmed, it could not join.
    expectProblem(
      await joinJson(invite.code, { name: 'Late', phone: newPhone() }),
      409,
      'group_full',
    )
  })
})
