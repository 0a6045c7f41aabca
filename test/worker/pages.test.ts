import { beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  joinAsMember,
} from './helpers'
import { csrfOf, post, signIn } from './dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'

/**
 * Every HTML page the Worker serves, public and dashboard, in both languages: each starts with
 * a doctype (no quirks mode), and the German pages carry no English left over.
 */

interface Page {
  path: string
  /** Signed in to the dashboard. */
  admin?: boolean
  /** Answers with an error page (still HTML). */
  status?: number
}

let pages: Page[]
let cookie: string
/** Every form people and admins send, filled in wrongly: it must come back in German. */
let refusedForms: Array<{
  /** Where the form is, and where it is sent (`?lang=de` on both, as the German pages do). */
  page: string
  action: string
  fields: Record<string, string | string[]>
  /** What the person typed, to be found again in the form sent back. */
  kept: string[]
  /** The join form's token is a cookie of its own. */
  join?: boolean
}>

beforeAll(async () => {
  const open = await createCommunity({ name: 'Laufgruppe Kiez', visibility: 'open' })
  const closed = await createCommunity({
    name: 'Werkstatt Nord',
    visibility: 'closed',
    joinQuestions: ['Warum möchtest du mitmachen?'],
  })
  const group = await createGroup(closed.id, { name: 'Löten und Schrauben' })
  const openInvite = await createInvite(open.id, { label: 'Plakat Bäckerei', source: 'plakat' })
  const closedInvite = await createInvite(closed.id, { label: 'Flyer Markt', groupId: group.id })
  const joined = await joinAsMember(openInvite.code, { name: 'Jana Läufer', phone: newPhone() })
  expect(joined.status, joined.text).toBe(201)
  const pending = await joinJson(closedInvite.code, {
    name: 'Paul Wartend',
    phone: newPhone(),
    answers: ['Holz'],
  })
  expect(pending.status, pending.text).toBe(201)
  const announcement = await call('POST', `/api/communities/${closed.id}/announcements`, {
    body: { body: 'Treffen am Samstag', sendAt: '2031-01-01T10:00:00Z' },
  })
  expect(announcement.status, announcement.text).toBe(201)
  const repeating = await call('POST', `/api/communities/${closed.id}/announcements`, {
    body: { body: 'Wochenplan', repeat: { cron: '0 9 * * 1', timezone: 'Europe/Berlin' } },
  })
  expect(repeating.status, repeating.text).toBe(201)
  const hook = await call('POST', '/api/webhooks', {
    body: { url: 'https://hooks.example.com/werkstatt', events: ['member.joined'] },
  })
  expect(hook.status, hook.text).toBe(201)
  cookie = (await signIn()).cookie
  refusedForms = [
    {
      page: `/i/${closedInvite.code}/join?lang=de`,
      action: `/i/${closedInvite.code}/join?lang=de`,
      fields: { name: 'Paula', phone: '12345', email: 'paula@', answers: [''], consent: 'yes' },
      kept: ['value="Paula"', 'value="12345"', 'value="paula@"', 'checked=""'],
      join: true,
    },
    {
      page: '/admin?lang=de',
      action: '/admin/communities?lang=de',
      fields: {
        name: '',
        description: 'Nur ein Zweck',
        visibility: 'sometimes',
        photoUrl: 'ftp://bild',
        joinQuestions: 'Warum?',
        timeZone: 'Mars/Olympus',
      },
      kept: ['>\nNur ein Zweck</textarea>', '>\nWarum?</textarea>', 'value="ftp://bild"'],
    },
    {
      page: `/admin/communities/${closed.id}/settings?lang=de`,
      action: `/admin/communities/${closed.id}/settings?lang=de`,
      fields: { name: 'x'.repeat(101), description: 'Neuer Zweck', visibility: 'closed' },
      kept: ['>\nNeuer Zweck</textarea>'],
    },
    {
      page: `/admin/communities/${open.id}?lang=de`,
      action: `/admin/communities/${open.id}/links?lang=de`,
      fields: { label: 'Plakat', maxUses: '0', groupId: 'grp_nope', code: 'a b' },
      kept: ['value="Plakat"', 'value="a b"'],
    },
    {
      page: `/admin/communities/${closed.id}/announcements?lang=de`,
      action: `/admin/communities/${closed.id}/announcements?lang=de`,
      fields: { body: 'Entwurf', sendAt: '2020-01-01T10:00', audience: 'grp_nope' },
      kept: ['>\nEntwurf</textarea>', 'value="2020-01-01T10:00"'],
    },
    {
      page: `/admin/communities/${closed.id}/announcements?lang=de`,
      action: `/admin/communities/${closed.id}/announcements?lang=de`,
      fields: { body: '', cron: '99 99 * * *', timezone: 'Mars/Olympus' },
      kept: ['value="99 99 * * *"'],
    },
    {
      page: `/admin/communities/${closed.id}/announcements?lang=de`,
      action: `/admin/communities/${closed.id}/announcements?lang=de`,
      fields: { intent: 'preview', body: 'Nur ansehen', cron: 'jeden Tag' },
      kept: ['>\nNur ansehen</textarea>', 'value="jeden Tag"'],
    },
    {
      page: '/admin/webhooks?lang=de',
      action: '/admin/webhooks?lang=de',
      fields: { url: 'nicht-https' },
      kept: ['value="nicht-https"'],
    },
  ]

  pages = [
    { path: `/i/${openInvite.code}` },
    { path: `/i/${closedInvite.code}` },
    { path: `/i/${closedInvite.code}/join` },
    { path: new URL(pending.json.statusUrl).pathname },
    { path: new URL(joined.json.statusUrl).pathname },
    { path: new URL(joined.json.leaveUrl).pathname },
    { path: '/i/doesnotexist1', status: 404 },
    { path: '/api/docs' },
    { path: '/admin/login' },
    { path: '/admin', admin: true },
    { path: `/admin/communities/${open.id}`, admin: true },
    { path: `/admin/communities/${closed.id}`, admin: true },
    { path: `/admin/links/${openInvite.id}`, admin: true },
    { path: `/admin/links/${closedInvite.id}`, admin: true },
    { path: '/admin/approvals', admin: true },
    { path: `/admin/communities/${closed.id}/approvals`, admin: true },
    { path: `/admin/communities/${open.id}/approvals`, admin: true },
    { path: `/admin/communities/${open.id}/members`, admin: true },
    { path: `/admin/communities/${closed.id}/announcements`, admin: true },
    { path: `/admin/communities/${open.id}/announcements`, admin: true },
    { path: `/admin/communities/${closed.id}/settings`, admin: true },
    { path: '/admin/webhooks', admin: true },
    { path: '/admin/communities/cmt_00000000000000000000000000', admin: true, status: 404 },
  ]
})

async function open(page: Page, lang: 'de' | 'en') {
  const response = await call('GET', page.path, {
    token: null,
    headers: {
      accept: 'text/html',
      'accept-language': lang,
      ...(page.admin ? { cookie } : {}),
    },
  })
  expect(response.status, `${page.path}: ${response.text.slice(0, 300)}`).toBe(page.status ?? 200)
  expect(response.headers.get('content-type')).toMatch(/^text\/html/)
  return response.text
}

describe('every HTML page', () => {
  it('starts with a doctype, so no browser renders it in quirks mode', async () => {
    for (const page of pages) {
      for (const lang of ['de', 'en'] as const) {
        const html = await open(page, lang)
        expect(html.slice(0, 15), page.path).toBe('<!DOCTYPE html>')
      }
    }
  })
})

describe('every page in both languages', () => {
  it('leaves no English on a German page and no key unfilled', async () => {
    const leftovers: string[] = []
    for (const page of pages) {
      const html = await open(page, 'de')
      if (html.includes('<html lang="en"')) continue // the API reference is for developers
      expect(html).toContain('<html lang="de">')
      const text = readableText(html)
      expect(text, page.path).not.toMatch(/\bundefined\b|\bnull\b|\[object Object\]/)
      const found = englishLeftIn(text)
      if (found.length > 0) leftovers.push(`${page.path}: ${found.join(', ')}`)
    }
    expect(leftovers).toEqual([])
  })

  it('leaves no English on a German form sent back with errors, and keeps what was typed', async () => {
    const leftovers: string[] = []
    for (const form of refusedForms) {
      const opened = await call('GET', form.page, {
        token: null,
        headers: { accept: 'text/html', ...(form.join ? {} : { cookie }) },
      })
      const body = new URLSearchParams(
        form.join
          ? { csrf: /name="csrf" value="([^"]+)"/.exec(opened.text)![1]! }
          : { _csrf: csrfOf(opened.text) },
      )
      for (const [key, value] of Object.entries(form.fields))
        for (const v of [value].flat()) body.append(key, v)
      const sent = form.join
        ? await call('POST', form.action, {
            token: null,
            rawBody: body.toString(),
            headers: {
              accept: 'text/html',
              'content-type': 'application/x-www-form-urlencoded',
              cookie: opened.headers.get('set-cookie')!.split(';')[0]!,
            },
          })
        : await post(form.action, cookie, Object.fromEntries(body), { 'accept-language': 'en' })
      const where = `${form.action} ${JSON.stringify(form.fields)}`
      expect(sent.status, `${where}: ${sent.text.slice(0, 300)}`).toBe(400)
      expect(sent.text, where).toContain('<html lang="de">')
      expect(sent.text, where).toMatch(/<p id="[\w.]+-error" class="err">/)
      for (const typed of form.kept) expect(sent.text, where).toContain(typed)
      const text = readableText(sent.text)
      expect(text, where).not.toMatch(/\bundefined\b|\bnull\b|\[object Object\]/)
      const found = englishLeftIn(text)
      if (found.length > 0) leftovers.push(`${where}: ${found.join(', ')}`)
    }
    expect(leftovers).toEqual([])
  })

  it('tells a group admin in German what their sign-in does not allow', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const { token } = await createToken({
      role: 'group_admin',
      communityId: community.id,
      groupId: group.id,
    })
    const { cookie: groupAdmin } = await signIn(token)
    for (const path of [`/admin/communities/${community.id}/members`, '/admin/webhooks']) {
      const refused = await call('GET', path, {
        token: null,
        headers: { cookie: groupAdmin, accept: 'text/html', 'accept-language': 'de' },
      })
      expect(refused.status, path).toBe(403)
      expect(refused.text, path).toContain('Deine Anmeldung erlaubt das nicht.')
      expect(englishLeftIn(readableText(refused.text)), path).toEqual([])
    }
  })

  it('says in German why an action no longer works, never in the API’s English', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Schon abgesagt', sendAt: new Date(Date.now() + 86400_000).toISOString() },
    })
    expect(created.status, created.text).toBe(201)
    expect((await call('POST', `/api/announcements/${created.json.id}/cancel`)).status).toBe(200)
    // The admin's page still showed "send now" from before the cancellation.
    const list = await call('GET', `/admin/communities/${community.id}/announcements`, {
      token: null,
      headers: { cookie, accept: 'text/html' },
    })
    const refused = await post(
      `/admin/announcements/${created.json.id}/send-now`,
      cookie,
      { _csrf: csrfOf(list.text) },
      { 'accept-language': 'de' },
    )
    expect(refused.status).toBe(409)
    expect(refused.text).toContain('Der Stand hat sich inzwischen geändert.')
    expect(englishLeftIn(readableText(refused.text))).toEqual([])
  })

  it('names the bootstrap owner and every decision in the reader’s language', async () => {
    const home = await open({ path: '/admin', admin: true }, 'de')
    expect(home).toContain('Inhaber (Start-Token)')
    expect(home).not.toContain('bootstrap owner')
    const decided = await open(
      { path: '/admin?decided=3&action=reject&refused=invalid_state', admin: true },
      'de',
    )
    expect(decided).toContain(
      '3 Anfragen abgelehnt. Nicht alle Anfragen ließen sich entscheiden: schon entschieden.',
    )
    const removed = await open({ path: '/admin?done=removed', admin: true }, 'en')
    expect(removed).toContain('The member is off the list and gets no more messages.')
  })

  it('writes dates and numbers as German readers expect', async () => {
    const [, closedHome] = pages.filter((page) => /^\/admin\/communities\/cmt_\w+$/.test(page.path))
    const announcements = await open(
      { path: `${closedHome!.path}/announcements`, admin: true },
      'de',
    )
    expect(announcements).toMatch(/01\.01\.2031, 11:00/)
    expect(await open({ path: `${closedHome!.path}/announcements`, admin: true }, 'en')).toMatch(
      /1 Jan 2031, 11:00/,
    )
  })
})
