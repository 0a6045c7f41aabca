import { describe, expect, it } from 'vitest'
import {
  call,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { statusNotification, textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

async function announce(communityId: string, body: string) {
  const created = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, sendAt: new Date(Date.now() + 1000).toISOString() },
  })
  expect(created.status, created.text).toBe(201)
  await runCron(new Date(Date.now() + 120_000))
  return created.json.id as string
}

async function announcementStatus(id: string) {
  return (await call('GET', `/api/announcements/${id}`)).json
}

describe('consent and hearing back, the whole loop over WhatsApp', () => {
  it('confirms by the prefilled message, reports delivered and read, and stops at "Stopp"', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: `Loop ${crypto.randomUUID()}`, description: 'x', visibility: 'open' },
    })
    const community = created.json as { id: string; name: string; consent: string }
    expect(community.consent).toBe('double')
    const invite = await createInvite(community.id)
    const phone = newPhone()

    // 1. Joined with a double opt-in: unconfirmed, and the first announcement does not reach them.
    const joined = await joinJson(invite.code, { name: 'Greta', phone })
    expect(joined.json.status).toBe('unconfirmed')
    const first = await announce(community.id, 'Before you confirmed')
    await eventually(async () => expect((await announcementStatus(first)).status).toBe('sent'))
    expect((await announcementStatus(first)).deliveries.sent).toBe(0)
    // Only the confirmation template reached them, no announcement.
    await eventually(async () =>
      expect((await sentTo(phone)).map((m) => m.template?.name ?? m.type)).toEqual([
        'confirm_signup',
      ]),
    )

    // 2. They send the prefilled message from their own WhatsApp: confirmed, with the proof.
    const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
    const message = textNotification(phone, prefilled)
    await notify(message)
    const member = await eventually(async () => {
      const list = await call('GET', `/api/communities/${community.id}/members`)
      expect(list.json.data).toHaveLength(1)
      return list.json.data[0]
    })
    expect(member.status).toBe('active')
    expect(member.consentRecord).toMatchObject({
      method: 'whatsapp_message',
      proofId: (message.entry[0]!.changes[0]!.value as any).messages[0].id,
    })
    // The reply, in German (the language of the page they signed up on), says what is true:
    // their place is confirmed, and the group's link (none set up yet here) is on their own
    // status page. We never see who enters a WhatsApp group.
    const texts = async () => (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    await eventually(async () => expect(await texts()).toHaveLength(1))
    expect((await texts())[0]).toBe(
      `Danke, du hast bestätigt: Dein Platz bei ${community.name} ist sicher. Den Link zur Gruppe haben die Admins noch nicht eingerichtet; sobald sie es tun, steht er auf deiner Statusseite: ${joined.json.statusUrl}?lang=de\n\nMit STOPP meldest du dich jederzeit ab.`,
    )
    // Meta delivers the same notification again: nothing more happens.
    await notify(message)

    // 3. The next announcement is delivered; WhatsApp reports read before delivered.
    const second = await announce(community.id, 'Training on Sunday at 9')
    await eventually(async () => expect((await announcementStatus(second)).deliveries.sent).toBe(1))
    const [delivery] = await query<{ provider_message_id: string }>(
      `select d.provider_message_id from deliveries d join dispatches r on r.id = d.dispatch_id
       where r.announcement_id = ?`,
      second,
    )
    const wamid = delivery!.provider_message_id
    expect(wamid).toMatch(/^wamid\./)
    await notify(statusNotification(wamid, 'read', phone))
    await notify(statusNotification(wamid, 'delivered', phone))
    await notify(statusNotification(wamid, 'sent', phone))
    await notify(statusNotification(wamid, 'read', phone)) // a replay
    await notify(statusNotification('wamid.not-one-of-ours', 'delivered', phone))

    // 4. "Stopp" in the chat ends the subscription, with the reason and a confirmation reply.
    await notify(textNotification(phone, 'Stopp'))
    await eventually(async () => {
      const left = await call('GET', `/api/communities/${community.id}/members?status=left`)
      expect(left.json.data).toMatchObject([
        { id: member.id, status: 'left', leaveReason: 'chat_opt_out' },
      ])
    })
    const status = await announcementStatus(second)
    expect(status.deliveries).toMatchObject({ sent: 1, delivered: 1, read: 1, undelivered: 0 })
    expect(status.rates).toEqual({ delivered: 1, read: 1, failed: 0 })
    // WhatsApp reports delivery and reading: the run says so, and the dashboard shows the shares.
    expect(status.reported).toEqual({ delivered: true, read: true })
    expect(status.runs[0]).toMatchObject({ channel: 'whatsapp' })
    const { cookie } = await signIn()
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    expect(list).toMatch(/data-label="Delivered">1 \(100%\)<\/td>/)
    expect(list).toMatch(/data-label="Read">1 \(100%\)<\/td>/)
    const [row] = await query<{ provider_status: string }>(
      'select provider_status from deliveries where provider_message_id = ?',
      wamid,
    )
    expect(row!.provider_status).toBe('read')
    const events = await query<{ type: string }>(
      'select type from events where community_id = ? order by id',
      community.id,
    )
    expect(events.map((event) => event.type)).toEqual(['member.joined', 'member.left'])
    await eventually(async () =>
      expect(await texts()).toContainEqual(
        'Du bist abgemeldet: Mit dieser Nummer bist du nicht mehr Mitglied bei uns und bekommst keine Nachrichten mehr von uns. Um zurückzukommen, schick hier START.',
      ),
    )

    // 5. No further announcement reaches them.
    const sendsBefore = (await sentTo(phone)).length
    const third = await announce(community.id, 'After you left')
    await eventually(async () => expect((await announcementStatus(third)).status).toBe('sent'))
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await announcementStatus(third)).deliveries.sent).toBe(0)
    expect(await sentTo(phone)).toHaveLength(sendsBefore)

    // 6. The funnel counts the sign-up, its confirmation (once, despite the replay) and the join.
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ joinRequests: 1, confirmations: 1, joins: 1 })
  })
})
