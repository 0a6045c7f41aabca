import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { loadConfig } from '../../src/lib/config'
import {
  BASE,
  call,
  createInvite,
  eventually,
  newPhone,
  OWNER_TOKEN,
  query,
} from '../worker/helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo } from './meta'

/**
 * Meta approves a template per language and refuses one sent in a language it has no approved
 * translation in. `WHATSAPP_TEMPLATE_LANGUAGE` lists the languages the templates are approved
 * in: the confirmation template and a decision's template go in the language the person signed
 * up in where it is listed, and in the first listed otherwise.
 */

/** The Worker as configured with `vars` on top of the tests' bindings. */
function configuredWith(vars: Record<string, string>) {
  const configured = { ...env, ...vars }
  return async (method: string, path: string, init: { body?: unknown; headers?: object } = {}) => {
    const ctx = createExecutionContext()
    const response = await worker.fetch(
      new Request(BASE + path, {
        method,
        headers: { 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
      configured,
      ctx,
    )
    const text = await response.text()
    // What the answer left to run after it (the templates) has run.
    await waitOnExecutionContext(ctx)
    return { status: response.status, text, json: text ? JSON.parse(text) : undefined }
  }
}

type Template = { name: string; language: { code: string } }

/** The templates that reached a number, in the order they were sent. */
async function templatesTo(phone: string): Promise<Template[]> {
  return (await sentTo(phone)).flatMap((m) => (m.template ? [m.template as Template] : []))
}

/**
 * Signs up in a closed community asking for a double opt-in, on pages in `lang`, with the Worker
 * configured with `vars`: the confirmation template goes out. The number is then confirmed by
 * its own message, a day and an hour pass, and an admin approves: the window has closed, so the
 * approval's template goes out. `forget` drops the sign-up's language before the decision, as
 * for a sign-up from before it was kept. The language code of each template, in that order.
 */
async function templateLanguagesOfSignUp(
  vars: Record<string, string>,
  lang: 'de' | 'en',
  forget = false,
) {
  const send = configuredWith(vars)
  const created = await call('POST', '/api/communities', {
    body: {
      name: `Languages ${crypto.randomUUID().slice(0, 8)}`,
      description: 'x',
      visibility: 'closed',
    },
  })
  expect(created.status, created.text).toBe(201)
  expect(created.json.consent).toBe('double')
  const invite = await createInvite(created.json.id)
  const phone = newPhone()
  const joined = await send('POST', `/i/${invite.code}/join`, {
    body: { name: 'Nele', phone, consent: true },
    headers: {
      accept: 'application/json',
      'accept-language': lang,
      'cf-connecting-ip': `198.51.100.${Math.floor(Math.random() * 250)}`,
    },
  })
  expect(joined.status, joined.text).toBe(201)
  const requestId = joined.json.joinRequestId as string
  await eventually(async () => expect(await templatesTo(phone)).toHaveLength(1))

  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
  await eventually(async () => {
    const [row] = await query<{ at: number | null }>(
      'select phone_confirmed_at as at from join_requests where id = ?',
      requestId,
    )
    expect(row!.at).not.toBeNull()
  })
  await query(
    `update join_requests set phone_confirmed_at = ?, language = iif(?, null, language)
     where id = ?`,
    Date.now() - 25 * 3600_000,
    forget ? 1 : 0,
    requestId,
  )
  const approved = await send('POST', `/api/join-requests/${requestId}/approve`, {
    headers: { authorization: `Bearer ${OWNER_TOKEN}` },
  })
  expect(approved.status, approved.text).toBe(200)
  const templates = await eventually(async () => {
    const sent = await templatesTo(phone)
    expect(sent.map((t) => t.name)).toEqual(['confirm_signup', 'join_approved'])
    return sent
  })
  return templates.map((t) => t.language.code)
}

describe('templates in the language of the person they go to', () => {
  it('a German and an English sign-up each get both templates in their own language', async () => {
    const approved = { WHATSAPP_TEMPLATE_LANGUAGE: 'de,en' }
    expect(await templateLanguagesOfSignUp(approved, 'de')).toEqual(['de', 'de'])
    expect(await templateLanguagesOfSignUp(approved, 'en')).toEqual(['en', 'en'])
  })

  it('a language approved only in a regional variant gets that; an unknown one the first listed', async () => {
    const approved = { WHATSAPP_TEMPLATE_LANGUAGE: 'en_GB,de' }
    expect(await templateLanguagesOfSignUp(approved, 'de')).toEqual(['de', 'de'])
    expect(await templateLanguagesOfSignUp(approved, 'en')).toEqual(['en_GB', 'en_GB'])
    // A sign-up whose language is not known hears the decision in the first listed.
    expect(await templateLanguagesOfSignUp(approved, 'de', true)).toEqual(['de', 'en_GB'])
  })

  it('one language, as before: everyone gets the templates in it', async () => {
    const approved = { WHATSAPP_TEMPLATE_LANGUAGE: 'de' }
    expect(await templateLanguagesOfSignUp(approved, 'en')).toEqual(['de', 'de'])
  })

  it('the list is WhatsApp’s language codes, and anything else is a configuration error', () => {
    const languages = (value: string) =>
      loadConfig({ ...env, WHATSAPP_TEMPLATE_LANGUAGE: value }).WHATSAPP_TEMPLATE_LANGUAGE
    expect(languages('de')).toEqual(['de'])
    expect(languages('de, en_US,pt_BR')).toEqual(['de', 'en_US', 'pt_BR'])
    for (const typo of ['de-DE', 'de,', 'German', 'en_us', '']) {
      expect(() => languages(typo), typo).toThrow(/WHATSAPP_TEMPLATE_LANGUAGE/)
    }
  })
})
