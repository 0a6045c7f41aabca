import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'

/**
 * Forms that keep what was typed and speak the reader's language: a refused form comes back
 * filled in, each message beside its field; times are told on the community's clock; a phone
 * number must be one its country hands out.
 */

/** Opens a join form and sends it as a browser would, in `lang` (`?lang=` on the action). */
async function sendJoinForm(code: string, fields: Record<string, string | string[]>, lang = 'de') {
  const form = await visit(`/i/${code}/join?lang=${lang}`)
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!
  const cookie = form.headers.get('set-cookie')!.split(';')[0]!
  const body = new URLSearchParams({ csrf })
  for (const [key, value] of Object.entries(fields))
    for (const v of [value].flat()) body.append(key, v)
  return call('POST', `/i/${code}/join?lang=${lang}`, {
    token: null,
    rawBody: body.toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      cookie,
      'cf-connecting-ip': `203.0.113.${Math.floor(Math.random() * 250)}`,
    },
  })
}

/** The message shown beside a field, if any. */
function messageFor(html: string, field: string): string | undefined {
  return new RegExp(`<p id="${field.replace('.', '\\.')}-error" class="err">([^<]*)</p>`).exec(
    html,
  )?.[1]
}

describe('phone numbers are checked against their country’s numbering plan', () => {
  // The numbering plan itself, number by number: test/lib/contact.test.ts (plain Node).
  it('refuses "12345" at the join, as JSON and on the form in the reader’s language', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const problem = expectProblem(
      await joinJson(invite.code, { name: 'Fünf', phone: '12345' }),
      400,
      'validation_failed',
    )
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'phone' })])
    const german = await sendJoinForm(invite.code, { name: 'Fünf', phone: '12345', consent: 'yes' })
    expect(german.status).toBe(400)
    expect(messageFor(german.text, 'phone')).toBe(
      'Diese Nummer gibt es so nicht. Schreib sie mit Ländervorwahl, z. B. +49 151 12345678.',
    )
    const english = await sendJoinForm(
      invite.code,
      { name: 'Five', phone: '+49 123', consent: 'yes' },
      'en',
    )
    expect(messageFor(english.text, 'phone')).toMatch(/^Not a valid phone number for its country/)
    expect(
      await query('select id from join_requests where name in (?, ?)', 'Fünf', 'Five'),
    ).toEqual([])
  })
})

describe('the join form, refused, comes back as it was sent', () => {
  it('keeps every answer and the consent tick, with a German message beside each field', async () => {
    const community = await createCommunity({
      visibility: 'closed',
      joinQuestions: ['Warum möchtest du mitmachen?', 'Woher kennst du uns?'],
    })
    const invite = await createInvite(community.id)
    const refused = await sendJoinForm(invite.code, {
      name: 'Jürgen Läufer',
      phone: '12345',
      email: 'jürgen@',
      answers: ['Weil ich gern laufe', ''],
      consent: 'yes',
    })
    expect(refused.status).toBe(400)
    const html = refused.text
    expect(html).toContain('<html lang="de">')
    expect(html).toContain('value="Jürgen Läufer"')
    expect(html).toContain('value="12345"')
    expect(html).toContain('value="jürgen@"')
    expect(html).toMatch(/<textarea id="answer-0"[^>]*>\nWeil ich gern laufe<\/textarea>/)
    expect(html).toMatch(/<input type="checkbox" name="consent" value="yes" required="" checked=""/)
    expect(html).toMatch(/<input id="phone"[^>]*aria-invalid="true"[^>]*>/)
    expect(messageFor(html, 'phone')).toMatch(/^Diese Nummer gibt es so nicht/)
    expect(messageFor(html, 'email')).toBe('Das ist keine gültige E-Mail-Adresse.')
    expect(messageFor(html, 'answers.1')).toBe('Bitte beantworte diese Frage.')
    expect(messageFor(html, 'answers.0')).toBeUndefined()
    expect(html).toContain('Bitte prüfe die markierten Angaben.')
    expect(englishLeftIn(readableText(html))).toEqual([])
  })

  it('names a missing contact and a missing consent at once, and leaves the tick as it was', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const refused = await sendJoinForm(invite.code, { name: 'Ohne Kontakt', phone: '', email: '' })
    expect(refused.status).toBe(400)
    expect(messageFor(refused.text, 'consent')).toBe(
      'Bitte stimme zu, sonst kann dich die Community nicht erreichen.',
    )
    expect(messageFor(refused.text, 'phone')).toBe(
      'Gib eine Telefonnummer oder eine E-Mail-Adresse an.',
    )
    expect(refused.text).not.toMatch(/name="consent"[^>]*checked/)
    expect(refused.text).toContain('value="Ohne Kontakt"')
    expect(englishLeftIn(readableText(refused.text))).toEqual([])
  })

  it('refuses an address as no one typed it, and a field sent twice, storing nothing', async () => {
    const invite = await createInvite((await createCommunity({ consent: 'single' })).id)
    // Without the invisible character it would be another address, someone else's.
    const hidden = await sendJoinForm(invite.code, {
      name: 'Pat',
      email: 'pat\u0000x@example.com',
      consent: 'yes',
    })
    expect(hidden.status).toBe(400)
    expect(messageFor(hidden.text, 'email')).toBe('Das ist keine gültige E-Mail-Adresse.')
    const json = await joinJson(invite.code, { name: 'Pat', email: 'pat\udc00x@example.com' })
    expectProblem(json, 400, 'validation_failed')
    // Two numbers: refused by name, not stored without one.
    const twice = await sendJoinForm(
      invite.code,
      { name: 'Pat', phone: [newPhone(), newPhone()], email: 'pat@example.com', consent: 'yes' },
      'en',
    )
    expect(twice.status).toBe(400)
    expect(twice.text).toContain('The field phone was sent more than once.')
    expect(
      await query(
        `select email from join_requests where invite_id = ? and email like 'pat%'`,
        invite.id,
      ),
    ).toEqual([])
  })
})

describe('a join refused for who is asking, in the reader’s language', () => {
  it('a full group says why in German, with what was typed kept', async () => {
    const open = await createCommunity()
    const small = await createGroup(open.id, { memberLimit: 1 })
    const groupLink = await createInvite(open.id, { groupId: small.id })
    const first = await joinJson(groupLink.code, { name: 'Erste', phone: newPhone() })
    expect(first.status, first.text).toBe(201)
    const full = await sendJoinForm(groupLink.code, {
      name: 'Zweite',
      phone: newPhone(),
      consent: 'yes',
    })
    expect(full.status).toBe(409)
    expect(full.text).toContain('Diese Gruppe ist voll.')
    expect(full.text).toContain('value="Zweite"')
    expect(englishLeftIn(readableText(full.text))).toEqual([])
  })
})

describe('a community’s time zone', () => {
  it('is Europe/Berlin unless set, set and changed through the API, and checked', async () => {
    const plain = await createCommunity()
    expect((await call('GET', `/api/communities/${plain.id}`)).json.timeZone).toBe('Europe/Berlin')
    const tokyo = await createCommunity({ timeZone: 'Asia/Tokyo' })
    expect((tokyo as unknown as { timeZone: string }).timeZone).toBe('Asia/Tokyo')
    const changed = await call('PATCH', `/api/communities/${tokyo.id}`, {
      body: { timeZone: 'America/New_York' },
    })
    expect(changed.status, changed.text).toBe(200)
    expect(changed.json.timeZone).toBe('America/New_York')
    const refused = expectProblem(
      await call('PATCH', `/api/communities/${tokyo.id}`, { body: { timeZone: 'Mars/Olympus' } }),
      400,
      'validation_failed',
    )
    expect(refused.errors).toEqual([
      { path: 'timeZone', message: 'Not an IANA time zone, e.g. Europe/Berlin' },
    ])
  })

  it('tells the confirmation deadline on the status page on the community’s clock', async () => {
    for (const [timeZone, lang, zoneNames] of [
      ['Europe/Berlin', 'de', /^(MEZ|MESZ)$/],
      ['America/New_York', 'en', /^GMT-[45]$/],
    ] as const) {
      const community = await createCommunity({ consent: 'double', timeZone })
      const invite = await createInvite(community.id)
      const joined = await joinJson(invite.code, {
        name: 'Clock',
        email: `clock-${lang}-${crypto.randomUUID().slice(0, 6)}@example.com`,
      })
      expect(joined.status, joined.text).toBe(201)
      const status = await visit(`${new URL(joined.json.statusUrl).pathname}?lang=${lang}`)
      const [row] = await query<{ confirm_expires_at: number }>(
        'select confirm_expires_at from join_requests where id = ?',
        joined.json.joinRequestId,
      )
      const clock = new Intl.DateTimeFormat('en-GB', {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone,
      }).format(new Date(row!.confirm_expires_at))
      const until = /(?:Gültig bis|Valid until) ([^<]*)\.<\/p>/.exec(status.text)?.[1]
      expect(until, status.text.slice(0, 500)).toBeDefined()
      expect(until).not.toContain('UTC')
      const [, time, zone] = /, (\d\d:\d\d) (\S+)$/.exec(until!)!
      expect(time).toBe(clock)
      expect(zone).toMatch(zoneNames)
    }
  })

  it('is chosen from the list in the community settings, and refused when unknown', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings?lang=de`, cookie)
    expect(settings.text).toMatch(
      /<select id="timeZone" name="timeZone"[^>]*><option value="Europe\/Berlin" selected="">Europe\/Berlin \(UTC\+0[12]:00\)<\/option><option value="Africa\/Abidjan">Africa\/Abidjan \(UTC(\+00:00)?\)<\/option>/,
    )
    // Each zone with its offset, by the name IANA gives it today (not ICU's older Asia/Calcutta).
    expect(settings.text).toContain('<option value="Asia/Tokyo">Asia/Tokyo (UTC+09:00)</option>')
    expect(settings.text).toContain(
      '<option value="Asia/Kolkata">Asia/Kolkata (UTC+05:30)</option>',
    )
    expect(settings.text).not.toContain('Asia/Calcutta')
    const saved = await post(`/admin/communities/${community.id}/settings?lang=de`, cookie, {
      _csrf: csrfOf(settings.text),
      name: community.name,
      visibility: 'open',
      timeZone: 'Asia/Tokyo',
    })
    expect(saved.status, saved.text).toBe(303)
    expect(saved.headers.get('location')).toBe(
      `/admin/communities/${community.id}/settings?done=saved&lang=de`,
    )
    expect(
      (await query('select time_zone from communities where id = ?', community.id))[0],
    ).toEqual({ time_zone: 'Asia/Tokyo' })
    const refused = await post(`/admin/communities/${community.id}/settings?lang=de`, cookie, {
      _csrf: csrfOf(settings.text),
      name: community.name,
      visibility: 'open',
      timeZone: 'Mars/Olympus',
    })
    expect(refused.status).toBe(400)
    expect(messageFor(refused.text, 'timeZone')).toBe(
      'Diese Zeitzone kennen wir nicht. Wähle eine aus der Liste.',
    )
  })
})

describe('the announcement form', () => {
  async function compose(timeZone = 'Europe/Berlin') {
    const community = await createCommunity({ timeZone: timeZone as 'Europe/Berlin' })
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements?lang=de`, cookie)
    const send = (fields: Record<string, string | string[]>, lang = 'de') =>
      post(`/admin/communities/${community.id}/announcements?lang=${lang}`, cookie, {
        _csrf: csrfOf(form.text),
        ...fields,
      })
    return { community, cookie, form, send }
  }

  it('offers the IANA zones with the community’s own first, and posts where it stands', async () => {
    const { community, form } = await compose('America/New_York')
    expect(form.text).toMatch(
      /<select id="timezone" name="timezone"><option value="America\/New_York" selected="">America\/New_York \(UTC-0[45]:00\)<\/option><option value="Africa\/Abidjan">Africa\/Abidjan \(UTC(\+00:00)?\)<\/option>/,
    )
    // The form is sent with a POST, "Show next dates" too: no draft and no token in a URL.
    expect(form.text).not.toContain('formmethod="get"')
    expect(form.text).toContain(
      `<form method="post" action="/admin/communities/${community.id}/announcements?lang=de">`,
    )
    expect(form.text).toContain('name="intent" value="preview"')
  })

  it('refuses a text of nothing but {name}, saying why in the form’s language', async () => {
    const { community, send } = await compose()
    const once = (body: string) =>
      send({
        body,
        audience: 'announcement',
        sendAt: '2031-05-01T09:00',
        timezone: 'Europe/Berlin',
      })
    // With nothing else but blanks, too: a chat would get an empty-looking post.
    expect((await once('{name} \u2800')).status).toBe(400)
    const refused = await once(' {name}! ')
    expect(refused.status).toBe(400)
    expect(messageFor(refused.text, 'body')).toBe(
      'Schreib mehr als {name}: Ein Beitrag in einen ganzen Chat und ein Mitglied ohne Namen bekommen den Text ohne ihn.',
    )
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])
  })

  it('shows the next dates with the draft kept, and schedules nothing', async () => {
    const { community, send } = await compose()
    const shown = await send({
      intent: 'preview',
      body: 'Lauftreff im Park',
      audience: 'announcement',
      repeat: 'weekly',
      weekdays: ['1'],
      time: '18:00',
    })
    expect(shown.status).toBe(200)
    expect(shown.text).toMatch(/<textarea id="body"[^>]*>\nLauftreff im Park<\/textarea>/)
    const runs = [...shown.text.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!)
    expect(runs).toHaveLength(5)
    for (const run of runs) expect(run).toMatch(/^\p{L}{2}\.?, \d\d\.\d\d\.\d{4}, 18:00$/u)
    expect(shown.text).toContain('<input type="radio" name="repeat" value="weekly" checked=""/>')
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])
    // A single date is shown as the one run it is.
    const once = await send({ intent: 'preview', body: 'Einmal', sendAt: '2031-03-01T10:00' })
    expect([...once.text.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1])).toEqual([
      'Sa, 01.03.2031, 10:00',
    ])
  })

  it('refuses a time in the past beside its field, in German, with the draft kept', async () => {
    const { send } = await compose()
    const refused = await send({ body: 'Grillfest am Samstag', sendAt: '2020-06-01T18:00' })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('<html lang="de">')
    expect(messageFor(refused.text, 'sendAt')).toBe(
      'Dieser Zeitpunkt ist schon vorbei. Wähle einen in der Zukunft.',
    )
    expect(refused.text).toMatch(/<textarea id="body"[^>]*>\nGrillfest am Samstag<\/textarea>/)
    expect(refused.text).toContain('value="2020-06-01T18:00"')
    expect(englishLeftIn(readableText(refused.text))).toEqual([])
  })

  it('names every missing field at once, and a rule it cannot read', async () => {
    const { send } = await compose()
    const empty = await send({ body: '', sendAt: '' })
    expect(empty.status).toBe(400)
    expect(messageFor(empty.text, 'body')).toBe('Bitte fülle dieses Feld aus.')
    expect(messageFor(empty.text, 'sendAt')).toBe(
      'Gib Datum und Uhrzeit an oder wähle eine Wiederholung.',
    )
    const rule = await send({ body: 'Jeden Montag', cron: 'jeden Montag' })
    expect(rule.status).toBe(400)
    expect(messageFor(rule.text, 'cron')).toBe(
      'Eine Regel hat fünf Felder: Minute, Stunde, Tag, Monat, Wochentag (ohne Sekunden), z. B. „0 9 * * 1“.',
    )
    expect(rule.text).toContain('value="jeden Montag"')
    expect(englishLeftIn(readableText(rule.text))).toEqual([])
  })

  it('confirms what was scheduled and when, on the community’s clock', async () => {
    const { community, cookie, send } = await compose('America/New_York')
    const scheduled = await send({ body: 'Sommerfest\nim Hof', sendAt: '2031-07-01T18:30' })
    expect(scheduled.status).toBe(303)
    const location = scheduled.headers.get('location')!
    expect(location).toMatch(
      new RegExp(`^/admin/communities/${community.id}/announcements\\?scheduled=ann_\\w+&lang=de$`),
    )
    const [row] = await query<{ send_at: number }>(
      'select send_at from announcements where community_id = ?',
      community.id,
    )
    expect(new Date(row!.send_at).toISOString()).toBe('2031-07-01T22:30:00.000Z')
    const notice = readableText((await page(location, cookie)).text.replace(/<\/?bdi>/g, ''))
    expect(notice.replace(/\s+/g, ' ')).toContain(
      'Geplant: „Sommerfest im Hof“ geht am 01.07.2031, 18:30 GMT-4 raus.',
    )

    const weekly = await send(
      { body: 'Wochenplan', repeat: 'weekly', weekdays: ['1'], time: '09:00' },
      'en',
    )
    const listed = (await page(weekly.headers.get('location')!, cookie)).text
    const text = readableText(listed.replace(/<\/?bdi>/g, ''))
    expect(text.replace(/\s+/g, ' ')).toMatch(
      /Scheduled: “Wochenplan” goes out weekly on Mon at 09:00, first on \d{1,2} \w{3} \d{4}, 09:00 GMT-[45]\./,
    )
    // A notice is drawn from the stored announcement only: another community's id shows none.
    const other = await compose()
    const foreign = await page(
      `/admin/communities/${other.community.id}/announcements?${location.split('?')[1]}`,
      cookie,
    )
    expect(foreign.text).not.toContain('role="status"')
  })
})

describe('dashboard forms, refused, come back as they were sent', () => {
  it('a new community: each field’s message beside it, in German', async () => {
    const { cookie } = await signIn()
    const home = await page('/admin?lang=de', cookie)
    const refused = await post('/admin/communities?lang=de', cookie, {
      _csrf: csrfOf(home.text),
      name: '',
      description: 'Unser Zweck',
      visibility: 'closed',
      photoUrl: 'http://bilder.example.com/logo.png',
      joinQuestions: 'Warum?\nWoher?',
      timeZone: 'Europe/Vienna',
    })
    expect(refused.status).toBe(400)
    expect(messageFor(refused.text, 'name')).toBe('Bitte fülle dieses Feld aus.')
    expect(messageFor(refused.text, 'photoUrl')).toBe(
      'Eine vollständige Adresse, die mit https:// beginnt.',
    )
    expect(refused.text).toMatch(/<textarea id="description"[^>]*>\nUnser Zweck<\/textarea>/)
    expect(refused.text).toMatch(/<textarea id="joinQuestions"[^>]*>\nWarum\?\nWoher\?<\/textarea>/)
    expect(refused.text).toContain('<option value="closed" selected="">')
    expect(refused.text).toMatch(
      /<option value="Europe\/Vienna" selected="">Europe\/Vienna \(UTC\+0[12]:00\)<\/option>/,
    )
    expect(englishLeftIn(readableText(refused.text))).toEqual([])

    const withPhoto = (photoUrl: string) =>
      post('/admin/communities?lang=de', cookie, {
        _csrf: csrfOf(home.text),
        name: 'Mit Bild',
        visibility: 'open',
        photoUrl,
      })
    const tracker = await withPhoto('https://tracker.example.net/p.gif')
    expect(tracker.status).toBe(400)
    expect(messageFor(tracker.text, 'photoUrl')).toBe('Bilder nur von images.example.com.')
    const credentials = await withPhoto('https://ich:geheim@images.example.com/p.gif')
    expect(credentials.status).toBe(400)
    expect(messageFor(credentials.text, 'photoUrl')).toBe(
      'Ein Bildlink darf keinen Benutzernamen und kein Passwort enthalten.',
    )
    // A name of characters drawn as nothing is a name left empty.
    const invisible = await post('/admin/communities?lang=de', cookie, {
      _csrf: csrfOf(home.text),
      name: '\u200B\u3164',
      visibility: 'open',
    })
    expect(invisible.status).toBe(400)
    expect(messageFor(invisible.text, 'name')).toBe('Bitte fülle dieses Feld aus.')
  })

  it('a new link and a webhook endpoint', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}?lang=de`, cookie)
    const link = await post(`/admin/communities/${community.id}/links?lang=de`, cookie, {
      _csrf: csrfOf(overview.text),
      label: 'Plakat Bäckerei',
      source: 'x'.repeat(65),
      maxUses: 'viele',
    })
    expect(link.status).toBe(400)
    expect(messageFor(link.text, 'source')).toBe('Höchstens 64 Zeichen.')
    expect(messageFor(link.text, 'maxUses')).toBe('Bitte gib eine ganze Zahl ein.')
    expect(link.text).toContain('value="Plakat Bäckerei"')
    expect(englishLeftIn(readableText(link.text))).toEqual([])

    const hooks = await page('/admin/webhooks?lang=de', cookie)
    const hook = await post('/admin/webhooks?lang=de', cookie, {
      _csrf: csrfOf(hooks.text),
      url: 'keine Adresse',
      communityId: community.id,
    })
    expect(hook.status).toBe(400)
    expect(messageFor(hook.text, 'url')).toBe(
      'Eine vollständige Adresse, die mit https:// beginnt.',
    )
    expect(messageFor(hook.text, 'events')).toBe('Wähle mindestens 1 aus.')
    expect(hook.text).toContain('value="keine Adresse"')
    expect(hook.text).toContain(`<option value="${community.id}" selected="">`)
    expect(englishLeftIn(readableText(hook.text))).toEqual([])
  })
})
