import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinAsMember,
  memberIdOf,
  newPhone,
  query,
} from '../worker/helpers'
import { metaWamid, textNotification } from '../support/whatsapp-notifications'
import { tracesOf } from '../worker/traces'
import { announceAndWait, notify } from './meta'

/**
 * Meta's message ids hold the WhatsApp number (base64 of a header and the number's digits, as
 * the Cloud API's own example shows): erasing a member erases the number from those too.
 */
describe('a member erased on request, on WhatsApp', () => {
  it('leaves their number in no message id: not of the announcements they got, not of what they wrote', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const joined = await joinAsMember(invite.code, { name: 'Erin', phone })
    expect(joined.status, joined.text).toBe(201)
    const memberId = await memberIdOf(joined)

    await notify(textNotification(phone, 'Hello, admins', metaWamid(phone)))
    await eventually(async () =>
      expect(
        await query('select id from inbound_messages where member_id = ?', memberId),
      ).toHaveLength(1),
    )
    const deliveries = await announceAndWait(community.id, 'News for Erin')
    expect(deliveries.data).toMatchObject([{ memberId, status: 'sent' }])

    const digits = phone.replace(/\D/g, '')
    // The digits as they sit inside an id: base64 from the id's fourth byte on, where a group
    // of three bytes starts, so every whole group of digits encodes the same.
    const encoded = btoa(digits.slice(0, digits.length - (digits.length % 3)))
    expect((await tracesOf([digits, encoded])).length).toBeGreaterThan(0)

    const erased = await call('POST', `/api/members/${memberId}/erase`)
    expect(erased.status, erased.text).toBe(204)
    expect(await tracesOf([digits, encoded])).toEqual([])
    // What stays of the delivery: that it was sent, to a member id.
    expect(
      await query(
        'select status, provider_message_id from deliveries where member_id = ?',
        memberId,
      ),
    ).toEqual([{ status: 'sent', provider_message_id: null }])
  })
})
