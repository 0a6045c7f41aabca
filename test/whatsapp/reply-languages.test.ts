import { describe, expect, it } from 'vitest'
import {
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  sendCodeFrom,
} from '../worker/helpers'
import { newWamid, textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

/**
 * Whom we cannot tell the language of (a number with no sign-up, a sign-up from before the
 * language was kept) is answered in German and English together, as everyone was before.
 */

/** The texts sent to the number, once `count` of them went. */
async function textsTo(phone: string, count: number) {
  return eventually(async () => {
    const texts = (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    expect(texts).toHaveLength(count)
    return texts
  })
}

const seconds = () => Math.floor(Date.now() / 1000)

describe('replies where the language is not known', () => {
  it('a number with no sign-up: an unknown code, STOP and START each in German and English', async () => {
    const stranger = newPhone()
    await notify(textNotification(stranger, 'Mein Code: ABCD-EFGH', newWamid(), seconds() - 2))
    const [unknown] = await textsTo(stranger, 1)
    expect(unknown).toBe(
      'Dieser Code ist abgelaufen oder gehört zu einer anderen Nummer. Schick ihn von der Nummer, mit der du dich angemeldet hast, oder melde dich über den Einladungslink neu an.\n\nThis code has expired or belongs to another number. Send it from the number you signed up with, or sign up again through the invite link.',
    )
    await notify(textNotification(stranger, 'STOP', newWamid(), seconds() - 1))
    const [, stopped] = await textsTo(stranger, 2)
    expect(stopped).toBe(
      'Du bist abgemeldet: Mit dieser Nummer bist du nicht mehr Mitglied bei uns und bekommst keine Nachrichten mehr von uns. Um zurückzukommen, schick hier START.\n\nYou are unsubscribed: with this number you are no longer a member, and will get no more messages from us. To come back, send START here.',
    )
    await notify(textNotification(stranger, 'START', newWamid(), seconds()))
    const [, , started] = await textsTo(stranger, 3)
    expect(started).toContain('Deine Abmeldung ist aufgehoben.')
    expect(started).toContain('\n\nYour unsubscribe is lifted,')
  })

  it('a sign-up from before its language was kept: the answer to its code, with a link the browser’s language decides', async () => {
    const community = await createCommunity({ consent: 'double' })
    const phone = newPhone()
    const joined = await joinJson((await createInvite(community.id)).code, { name: 'Ada', phone })
    expect(joined.status, joined.text).toBe(201)
    await query('update join_requests set language = null where id = ?', joined.json.joinRequestId)

    await sendCodeFrom(joined, phone)
    const [reply] = await textsTo(phone, 1)
    const [german, english] = reply!.split(/\n\n(?=Thank you)/)
    expect(german).toMatch(/^Danke, du hast bestätigt/)
    expect(german).toContain(`deiner Statusseite: ${joined.json.statusUrl}\n`)
    expect(german).toContain('Mit STOPP meldest du dich jederzeit ab.')
    expect(english).toMatch(/^Thank you for confirming/)
    expect(english).toContain(`your status page: ${joined.json.statusUrl}\n`)
    expect(english).toMatch(/Reply STOP at any time to unsubscribe\.$/)
    expect(reply).not.toContain('?lang=')
  })
})
