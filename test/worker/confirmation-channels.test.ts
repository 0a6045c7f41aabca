import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { loadConfig } from '../../src/lib/config'
import { BASE, call, createCommunity, createInvite, joinJson, newPhone } from './helpers'

/**
 * The status page of a double opt-in sign-up tells the truth about how it can be confirmed: it
 * says an e-mail was sent only when something sends it (the operator's mail system, subscribed
 * to `member.confirmation_requested`), offers WhatsApp only with a business number, and says what
 * to do instead when neither can carry a contact's proof.
 */

/** A double opt-in community with an invite, and, when asked, an endpoint for its events. */
async function signUpPlace(events: string[] | null) {
  const community = await createCommunity({ consent: 'double' })
  const invite = await createInvite(community.id)
  if (events) {
    const endpoint = await call('POST', '/api/webhooks', {
      body: { url: 'https://mail.example.com/hooks', events, communityId: community.id },
    })
    expect(endpoint.status, endpoint.text).toBe(201)
  }
  return { community, invite }
}

/** The status page, as the Worker configured with `vars` on top of the tests' bindings shows it. */
async function statusPage(statusUrl: string, lang: 'de' | 'en', vars: Record<string, string> = {}) {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request(`${BASE}${new URL(statusUrl).pathname}?lang=${lang}`, {
      headers: { accept: 'text/html' },
    }),
    { ...env, ...vars },
    ctx,
  )
  await waitOnExecutionContext(ctx)
  expect(response.status).toBe(200)
  // The page's text without its markup, so sentences read as a person reads them.
  return (await response.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
}

const NO_WHATSAPP = { WHATSAPP_BUSINESS_NUMBER: '' }

describe('the status page of an unconfirmed sign-up', () => {
  it('says an e-mail was sent when the mail system hears of the sign-up', async () => {
    const { invite } = await signUpPlace(['member.confirmation_requested'])
    const email = `mia-${Date.now()}@ex.com`
    const joined = await joinJson(invite.code, { name: 'Mia', email })
    expect(joined.json.confirmation.emailSent).toBe(true)
    const en = await statusPage(joined.json.statusUrl, 'en')
    // To the address as typed, so that a typo shows at once.
    expect(en).toContain(
      `An e-mail with a confirmation link is on its way to ${email} . Not your address? Sign up again with the right one.`,
    )
    expect(en).not.toContain('No e-mails are sent from here')
    const de = await statusPage(joined.json.statusUrl, 'de')
    expect(de).toContain(`Eine E-Mail mit einem Bestätigungslink ist auf dem Weg an ${email} .`)
  })

  it('counts an endpoint for every event, but not one for other events or one removed', async () => {
    const everything = await signUpPlace(['*'])
    const all = await joinJson(everything.invite.code, {
      name: 'Al',
      email: `al-${Date.now()}@ex.com`,
    })
    expect(all.json.confirmation.emailSent).toBe(true)

    const other = await signUpPlace(['member.joined'])
    const joined = await joinJson(other.invite.code, {
      name: 'Jo',
      email: `jo-${Date.now()}@ex.com`,
    })
    expect(joined.json.confirmation.emailSent).toBe(false)

    const removed = await signUpPlace(['member.confirmation_requested'])
    const listed = await call('GET', '/api/webhooks')
    const endpoint = listed.json.data.find(
      (candidate: { communityId: string }) => candidate.communityId === removed.community.id,
    )
    expect((await call('DELETE', `/api/webhooks/${endpoint.id}`)).status).toBe(204)
    const late = await joinJson(removed.invite.code, {
      name: 'Li',
      email: `li-${Date.now()}@ex.com`,
    })
    expect(late.json.confirmation.emailSent).toBe(false)
  })

  it('never claims an e-mail when nothing sends one, and says what to do instead', async () => {
    const { invite } = await signUpPlace(null)
    const joined = await joinJson(invite.code, { name: 'Ole', email: `ole-${Date.now()}@ex.com` })
    expect(joined.json.confirmation.emailSent).toBe(false)
    const en = await statusPage(joined.json.statusUrl, 'en')
    expect(en).not.toContain('An e-mail with a confirmation link')
    expect(en).toContain(
      'No e-mails are sent from here, so your address cannot be confirmed by e-mail. ' +
        'Please ask the community’s admins: they can record your confirmation.',
    )
    const de = await statusPage(joined.json.statusUrl, 'de')
    expect(de).not.toContain('Eine E-Mail mit einem Bestätigungslink')
    expect(de).toContain(
      'Von hier werden keine E-Mails verschickt, deine Adresse lässt sich also nicht per E-Mail ' +
        'bestätigen. Bitte wende dich an die Admins der Community',
    )
  })

  it('points to WhatsApp when e-mail cannot confirm but WhatsApp can', async () => {
    const { invite } = await signUpPlace(null)
    const joined = await joinJson(invite.code, {
      name: 'Pia',
      phone: newPhone(),
      email: `pia-${Date.now()}@ex.com`,
    })
    const en = await statusPage(joined.json.statusUrl, 'en')
    expect(en).toContain('Confirm in WhatsApp')
    expect(en).toContain('cannot be confirmed by e-mail. Please confirm in WhatsApp instead.')
    const de = await statusPage(joined.json.statusUrl, 'de')
    expect(de).toContain('Bitte bestätige stattdessen per WhatsApp.')
  })

  it('offers no WhatsApp without a business number, and points to the e-mail instead', async () => {
    const { invite } = await signUpPlace(['member.confirmation_requested'])
    const joined = await joinJson(invite.code, {
      name: 'Uwe',
      phone: newPhone(),
      email: `uwe-${Date.now()}@ex.com`,
    })
    const en = await statusPage(joined.json.statusUrl, 'en', NO_WHATSAPP)
    expect(en).not.toContain('Confirm in WhatsApp')
    expect(en).not.toContain(joined.json.confirmation.code)
    expect(en).toContain('An e-mail with a confirmation link')
    expect(en).toContain(
      'Your number cannot be confirmed by WhatsApp here. Please confirm with the link in the e-mail instead.',
    )
    const de = await statusPage(joined.json.statusUrl, 'de', NO_WHATSAPP)
    expect(de).toContain(
      'Deine Nummer lässt sich hier nicht per WhatsApp bestätigen. Bitte bestätige stattdessen mit dem Link aus der E-Mail.',
    )
    // With the number configured, the same sign-up is offered WhatsApp and nothing is missing.
    const configured = await statusPage(joined.json.statusUrl, 'en')
    expect(configured).toContain('Confirm in WhatsApp')
    expect(configured).not.toContain('cannot be confirmed')
  })

  it('says so when the business sent its confirmation message, even without a number to write to', async () => {
    const { invite } = await signUpPlace(null)
    const joined = await joinJson(invite.code, { name: 'Ida', phone: newPhone() })
    const template = {
      ...NO_WHATSAPP,
      WHATSAPP_CONFIRM_TEMPLATE: 'confirm_signup',
      WHATSAPP_ACCESS_TOKEN: 'a-token',
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
    }
    const en = await statusPage(joined.json.statusUrl, 'en', template)
    expect(en).toContain('We have sent you a WhatsApp message: tap its button to confirm.')
    expect(en).not.toContain('cannot be confirmed')
    // A template with no Cloud API to send it through sends nothing, and nothing is claimed.
    const unsent = await statusPage(joined.json.statusUrl, 'en', {
      ...NO_WHATSAPP,
      WHATSAPP_CONFIRM_TEMPLATE: 'confirm_signup',
    })
    expect(unsent).not.toContain('We have sent you')
    expect(unsent).toContain('Your number cannot be confirmed by WhatsApp here.')
  })

  it('sends people to the admins when nothing here can confirm them', async () => {
    const { invite } = await signUpPlace(null)
    const phoneOnly = await joinJson(invite.code, { name: 'Kai', phone: newPhone() })
    const alone = await statusPage(phoneOnly.json.statusUrl, 'en', NO_WHATSAPP)
    expect(alone).toContain(
      'Your number cannot be confirmed by WhatsApp here. Please ask the community’s admins: they can record your confirmation.',
    )
    const both = await joinJson(invite.code, {
      name: 'Eva',
      phone: newPhone(),
      email: `eva-${Date.now()}@ex.com`,
    })
    const en = await statusPage(both.json.statusUrl, 'en', NO_WHATSAPP)
    expect(en).toContain(
      'Your sign-up cannot be confirmed here, neither by WhatsApp nor by e-mail. Please ask the community’s admins',
    )
    expect(en).not.toContain('We have sent you')
    const de = await statusPage(both.json.statusUrl, 'de', NO_WHATSAPP)
    expect(de).toContain(
      'Hier lässt sich deine Anmeldung weder per WhatsApp noch per E-Mail bestätigen. Bitte wende dich an die Admins der Community',
    )
  })

  it('opens the chat where WHATSAPP_CHAT_LINK_BASE says, plain http only in local development', async () => {
    const { invite } = await signUpPlace(null)
    const joined = await joinJson(invite.code, { name: 'Lou', phone: newPhone() })
    expect(joined.json.confirmation.whatsappUrl).toMatch(/^https:\/\/wa\.me\/49301234567\?text=/)
    const local = {
      WHATSAPP_CHAT_LINK_BASE: 'http://127.0.0.1:8790/phone/',
      ALLOW_HTTP_WEBHOOKS: 'true',
    }
    const page = await statusPage(joined.json.statusUrl, 'en', local)
    expect(page).toContain('Confirm in WhatsApp')
    const html = await (
      await worker.fetch(
        new Request(`${BASE}${new URL(joined.json.statusUrl).pathname}?lang=en`),
        { ...env, ...local },
        createExecutionContext(),
      )
    ).text()
    expect(html).toMatch(/href="http:\/\/127\.0\.0\.1:8790\/phone\/49301234567\?text=I%20want/)

    expect(() =>
      loadConfig({ ...env, WHATSAPP_CHAT_LINK_BASE: 'http://127.0.0.1:8790/phone' }),
    ).toThrow(/WHATSAPP_CHAT_LINK_BASE: refused: must be https/)
    expect(() => loadConfig({ ...env, WHATSAPP_CHAT_LINK_BASE: 'https://wa.me/?x=1' })).toThrow(
      /WHATSAPP_CHAT_LINK_BASE must have no query or fragment/,
    )
  })
})
