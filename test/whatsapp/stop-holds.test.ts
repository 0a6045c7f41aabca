import { describe, expect, it } from 'vitest'
import {
  call,
  createInvite,
  eventually,
  handledMessageKey,
  joinJson,
  newPhone,
  query,
  sendCodeFrom,
} from '../worker/helpers'
import { newWamid, textNotification } from '../support/whatsapp-notifications'
import { announceAndWait, notify, sentTo } from './meta'

/**
 * A STOP from a number holds until the number itself says otherwise (a START, or a code sent
 * from it later): not only for the memberships it ended, but for every later way a membership or
 * message could come to the number: an admin approving a request made before it, a form someone
 * fills in with the number, the confirmation template a sign-up would send.
 */

async function community(visibility: 'open' | 'closed', consent: 'single' | 'double') {
  const created = await call('POST', '/api/communities', {
    body: { name: `Stop holds ${crypto.randomUUID()}`, description: 'x', visibility, consent },
  })
  expect(created.status, created.text).toBe(201)
  return { id: created.json.id as string, invite: await createInvite(created.json.id) }
}

const seconds = () => Math.floor(Date.now() / 1000)

/**
 * Sends STOP from the number, made at `sentAt` (Unix seconds, as Meta stamps it), and waits for
 * the answer that it is out.
 */
async function stopFrom(phone: string, sentAt = seconds()) {
  const before = (await sentTo(phone)).length
  await notify(textNotification(phone, 'STOP', newWamid(), sentAt))
  await eventually(async () =>
    expect((await sentTo(phone)).slice(before).map((m) => m.text?.body ?? '')).toContainEqual(
      expect.stringContaining('abgemeldet'),
    ),
  )
}

describe('a STOP holds until the number itself says otherwise', () => {
  it('sent while its request waits for the admins: the approval and announcements reach it only after START', async () => {
    const { id, invite } = await community('closed', 'double')
    const phone = newPhone()
    const joined = await joinJson(invite.code, { name: 'Pia', phone, answers: ['Hi'] })
    expect(joined.json.status, joined.text).toBe('unconfirmed')
    await sendCodeFrom(joined, phone)
    await eventually(async () =>
      expect((await sentTo(phone)).map((m) => m.text?.body ?? '').join()).toContain(
        'entscheidet ein Admin',
      ),
    )
    await stopFrom(phone)

    const before = (await sentTo(phone)).length
    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const deliveries = await announceAndWait(id, 'Not for a number that said STOP')
    expect(deliveries.data).toMatchObject([
      { status: 'skipped', lastError: 'the number sent STOP' },
    ])
    // The run is over and the approval's notice went before it, if at all: nothing reached them.
    expect(await sentTo(phone)).toHaveLength(before)

    await notify(textNotification(phone, 'START', newWamid(), seconds() + 1))
    await eventually(async () =>
      expect((await sentTo(phone)).slice(before).map((m) => m.text?.body ?? '')).toEqual([
        expect.stringContaining('Willkommen zurück'),
      ]),
    )
    const after = await announceAndWait(id, 'Back after START')
    expect(after.data).toMatchObject([{ status: 'sent' }])
  })

  it('a form filled in with the number makes a membership nothing is sent to, until a code from the number proves it again', async () => {
    const { id, invite } = await community('open', 'single')
    const phone = newPhone()
    // Seconds ago: a proof from the number later on is plainly after it.
    await stopFrom(phone, seconds() - 2)

    const typed = await joinJson(invite.code, { name: 'Someone', phone })
    expect(typed.json.status, typed.text).toBe('active')
    const before = (await sentTo(phone)).length
    const deliveries = await announceAndWait(id, 'Not on a form’s word')
    expect(deliveries.data).toMatchObject([
      { status: 'skipped', lastError: 'the number sent STOP' },
    ])
    expect(await sentTo(phone)).toHaveLength(before)

    // The number's owner sends the sign-up's code: their own act, after the STOP.
    await sendCodeFrom(typed, phone)
    await eventually(async () => {
      const [row] = await query<{ method: string | null }>(
        'select phone_consent_method as method from members where phone = ? and community_id = ?',
        phone,
        id,
      )
      expect(row!.method).toBe('whatsapp_message')
    })
    const after = await announceAndWait(id, 'Proven by the number itself')
    expect(after.data).toMatchObject([{ status: 'sent' }])
  })

  it('a code sent before the STOP and delivered after it proves nothing; sent again after, it does', async () => {
    const { id, invite } = await community('open', 'double')
    const phone = newPhone()
    const joined = await joinJson(invite.code, { name: 'Lale', phone })
    const text = new URL(joined.json.confirmation.whatsappUrl).searchParams.get('text')!
    await eventually(async () =>
      expect((await sentTo(phone)).map((m) => m.template?.name)).toEqual(['confirm_signup']),
    )
    const typedAt = seconds() - 30
    await stopFrom(phone, typedAt + 10)
    const before = (await sentTo(phone)).length

    const late = newWamid()
    await notify(textNotification(phone, text, late, typedAt))
    await eventually(async () =>
      expect(
        await query(
          'select key from inbound_notifications where key = ?',
          await handledMessageKey(late),
        ),
      ).toHaveLength(1),
    )
    const [waiting] = await query<{ at: number | null }>(
      'select phone_confirmed_at as at from join_requests where id = ?',
      joined.json.joinRequestId,
    )
    expect(waiting!.at).toBeNull()
    expect(await sentTo(phone)).toHaveLength(before)

    await notify(textNotification(phone, text))
    await eventually(async () =>
      expect(
        (await sentTo(phone))
          .slice(before)
          .map((m) => m.text?.body ?? '')
          .join(),
      ).toContain('Dein Platz bei'),
    )
    const deliveries = await announceAndWait(id, 'For the code sent after the STOP')
    expect(deliveries.data).toMatchObject([{ status: 'sent' }])
  })

  it('a code handled late, then a STOP sent after it: the STOP holds, however late the code was handled', async () => {
    const { id, invite } = await community('closed', 'double')
    const phone = newPhone()
    const joined = await joinJson(invite.code, { name: 'Olga', phone, answers: ['Hi'] })
    const text = new URL(joined.json.confirmation.whatsappUrl).searchParams.get('text')!
    // Signed up a minute ago.
    await query(
      'update join_requests set created_at = ? where id = ?',
      Date.now() - 60_000,
      joined.json.joinRequestId,
    )
    // The code was typed ten seconds ago and reaches us only now (Meta delivers late, our
    // inbound queue may be behind); the STOP was typed five seconds ago, after it.
    const typedAt = seconds() - 10
    await notify(textNotification(phone, text, newWamid(), typedAt))
    await eventually(async () =>
      expect((await sentTo(phone)).map((m) => m.text?.body ?? '').join()).toContain(
        'entscheidet ein Admin',
      ),
    )
    // The proof is stamped when the person sent it, not when it was handled.
    const [proof] = await query<{ at: number }>(
      'select phone_confirmed_at as at from join_requests where id = ?',
      joined.json.joinRequestId,
    )
    expect(proof!.at).toBe(typedAt * 1000)
    await stopFrom(phone, typedAt + 5)

    const before = (await sentTo(phone)).length
    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const deliveries = await announceAndWait(id, 'Not after the STOP that followed the code')
    expect(deliveries.data).toMatchObject([
      { status: 'skipped', lastError: 'the number sent STOP' },
    ])
    expect(await sentTo(phone)).toHaveLength(before)
  })

  it('a sign-up with the number gets no confirmation template; a code sent from it still confirms', async () => {
    const { invite } = await community('open', 'double')
    const phone = newPhone()
    // Seconds ago: a proof from the number later on is plainly after it.
    await stopFrom(phone, seconds() - 2)
    const before = (await sentTo(phone)).length

    const signedUp = await joinJson(invite.code, { name: 'Quinn', phone })
    expect(signedUp.json.status, signedUp.text).toBe('unconfirmed')
    // Another number signed up next gets its template: the deferred sends have had their turn.
    const other = newPhone()
    const control = await joinJson(invite.code, { name: 'Rita', phone: other })
    await eventually(async () =>
      expect((await sentTo(other)).map((m) => m.template?.name)).toEqual(['confirm_signup']),
    )
    expect(control.json.status).toBe('unconfirmed')
    expect(await sentTo(phone)).toHaveLength(before)

    await sendCodeFrom(signedUp, phone)
    await eventually(async () => {
      const [row] = await query<{ status: string }>(
        'select status from join_requests where id = ?',
        signedUp.json.joinRequestId,
      )
      expect(row!.status).toBe('approved')
    })
  })
})
