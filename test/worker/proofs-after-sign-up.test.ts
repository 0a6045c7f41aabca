import { describe, expect, it } from 'vitest'
import { textNotification } from '../support/whatsapp-notifications'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  memberIdOf,
  newPhone,
  notifyWhatsApp,
  visit,
} from './helpers'

/** Sends the code a sign-up's answer offers, from `phone`'s own WhatsApp. */
async function sendCode(phone: string, answer: { json: any }) {
  const text = new URL(answer.json.confirmation.whatsappUrl).searchParams.get('text')!
  await notifyWhatsApp(textNotification(phone, text))
}

async function phoneConsentOf(communityId: string, memberId: string) {
  const members = await call('GET', `/api/communities/${communityId}/members`)
  const member = members.json.data.find((m: { id: string }) => m.id === memberId)
  return member?.contactConsent.phone as { method: string; proofId: string | null } | null
}

describe('a proof after a single opt-in sign-up', () => {
  it('backs the consent record the form made: its method and proof become the message’s', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const joined = await joinJson(invite.code, { name: 'Rosa', phone })
    const memberId = (await memberIdOf(joined))!
    expect(await phoneConsentOf(community.id, memberId)).toMatchObject({
      method: 'single_opt_in',
    })
    await sendCode(phone, joined)
    await eventually(async () =>
      expect(await phoneConsentOf(community.id, memberId)).toMatchObject({
        method: 'whatsapp_message',
        proofId: expect.stringMatching(/^wamid\./),
      }),
    )
    // Still one membership, now with its own links on the status page.
    const page = await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')
    expect(page.text).toMatch(/\/leave\//)
    expect(page.text).not.toContain('Confirm in WhatsApp')
  })
})

describe('cooling-off with a double opt-in', () => {
  it('a declined person signing up again is answered as anyone; their proof shows them the decision', async () => {
    const community = await createCommunity({
      visibility: 'closed',
      consent: 'double',
      joinQuestions: ['Why?'],
    })
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const asked = await joinJson(invite.code, { name: 'Nils', phone, answers: ['Spam'] })
    expect(asked.json.status).toBe('unconfirmed')
    await sendCode(phone, asked)
    const waiting = async () =>
      (await call('GET', `/api/communities/${community.id}/join-requests`)).json.data.map(
        (r: { id: string }) => r.id,
      )
    await eventually(async () => expect(await waiting()).toEqual([asked.json.joinRequestId]))
    const rejected = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/reject`, {
      body: { reason: 'Not this season' },
    })
    expect(rejected.status, rejected.text).toBe(200)

    const again = await joinJson(invite.code, { name: 'Nils', phone, answers: ['Again'] })
    const stranger = await joinJson(invite.code, { name: 'Ute', phone: newPhone(), answers: ['x'] })
    expect(again.status).toBe(stranger.status)
    expect(Object.keys(again.json).sort()).toEqual(Object.keys(stranger.json).sort())
    expect(again.json.status).toBe('unconfirmed')

    await sendCode(phone, again)
    const page = await eventually(async () => {
      const text = (await visit(new URL(again.json.statusUrl).pathname + '?lang=en')).text
      expect(text).toContain('Your request was declined')
      return text
    })
    expect(page).toMatch(/You can ask again from/)
    // The admins see nothing new: the stranger has not confirmed, and Nils is cooling off.
    expect(await waiting()).toEqual([])
  })
})
