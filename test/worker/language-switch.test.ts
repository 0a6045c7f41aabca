import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  BASE,
  call,
  createCommunity,
  createInvite,
  eventually,
  joinAsMember,
  joinJson,
  newPhone,
  visit,
} from './helpers'

/** The page's language switch: where it leads and what it says, in which language. */
function switchOf(html: string) {
  const found =
    /<nav class="lang" aria-label="([^"]+)"><a href="([^"]+)" hreflang="(\w+)" lang="\w+">([^<]+)<\/a>/.exec(
      html,
    )
  if (!found) return null
  return {
    label: found[1],
    href: found[2]!.replaceAll('&amp;', '&'),
    lang: found[3],
    text: found[4],
  }
}

const languageOf = (html: string) => /<html lang="(\w+)"/.exec(html)?.[1]

async function visitsOf(inviteId: string) {
  const { results } = await env.DB.prepare(
    'select via, referrer_host from visits where invite_id = ? order by id',
  )
    .bind(inviteId)
    .all<{ via: string; referrer_host: string | null }>()
  return results
}

describe('the language switch on the pages people see', () => {
  it('turns the landing page into the other language as the same visit, its way in kept', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const first = await visit(`/i/${invite.code}?via=qr`, {
      'accept-language': 'de-DE',
      referer: 'https://l.instagram.com/',
    })
    expect(languageOf(first.text)).toBe('de')
    const toEnglish = switchOf(first.text)
    expect(toEnglish).toEqual({
      label: 'Sprache',
      href: '?lang=en&via=qr&ref=l.instagram.com',
      lang: 'en',
      text: 'English',
    })

    // The browser names the page it was on (`Referrer-Policy: same-origin`).
    const english = await visit(`/i/${invite.code}${toEnglish!.href}`, {
      'accept-language': 'de-DE',
      referer: `${BASE}/i/${invite.code}?via=qr`,
    })
    expect(english.status).toBe(200)
    expect(languageOf(english.text)).toBe('en')
    expect(english.text).toContain('Join')
    expect(switchOf(english.text)).toMatchObject({
      href: '?lang=de&via=qr&ref=l.instagram.com',
      text: 'Deutsch',
    })
    // The join after the switch counts where the first view came from.
    expect(english.text).toContain(
      `/i/${invite.code}/join?lang=en&amp;via=qr&amp;ref=l.instagram.com`,
    )

    // A view afterwards from elsewhere: counted, where the switch was not.
    await visit(`/i/${invite.code}`, { 'accept-language': 'en' })
    const rows = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows.some((row) => row.via === 'link')).toBe(true)
      return rows
    })
    expect(rows).toEqual([
      { via: 'qr', referrer_host: 'l.instagram.com' },
      { via: 'link', referrer_host: null },
    ])
  })

  it('is on the join form, the status page and the error pages, keeping the rest of the address', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const closed = await createInvite(community.id)
    const form = await visit(`/i/${closed.code}/join?lang=de&via=qr`)
    expect(switchOf(form.text)?.href).toBe('?lang=en&via=qr')
    expect(languageOf((await visit(`/i/${closed.code}/join?lang=en&via=qr`)).text)).toBe('en')

    const joined = await joinJson(closed.code, { name: 'Switching Sam', phone: newPhone() })
    const status = new URL(joined.json.statusUrl).pathname
    const german = await visit(`${status}?lang=de`)
    expect(german.status).toBe(200)
    expect(switchOf(german.text)).toMatchObject({ href: '?lang=en', text: 'English' })
    const english = await visit(`${status}${switchOf(german.text)!.href}`)
    expect(english.status).toBe(200)
    expect(languageOf(english.text)).toBe('en')
    expect(english.text).toContain(`<title>${community.name}: `)

    const missing = await visit('/i/nosuchlinkatall', { 'accept-language': 'en' })
    expect(missing.status).toBe(404)
    expect(switchOf(missing.text)).toMatchObject({
      href: '?lang=de',
      text: 'Deutsch',
    })
    // A path that reads as another host stays on this one: the switch is only a query.
    const offSite = await visit('//elsewhere.example/x', { 'accept-language': 'en' })
    expect(offSite.status).toBe(404)
    expect(switchOf(offSite.text)?.href).toBe('?lang=de')
  })

  it('on the answer to the join form, sends the form again: it comes back as typed, in the other language', async () => {
    const open = await createInvite((await createCommunity()).id)
    const form = await visit(`/i/${open.code}/join?lang=en`)
    expect(switchOf(form.text)).not.toBeNull()
    const phone = newPhone()
    const fields = {
      csrf: /name="csrf" value="([^"]+)"/.exec(form.text)![1]!,
      phone,
      consent: 'yes',
    }
    const send = (extra: Record<string, string> = {}) =>
      call('POST', `/i/${open.code}/join?lang=en`, {
        token: null,
        rawBody: new URLSearchParams({ ...fields, ...extra }).toString(),
        headers: {
          accept: 'text/html',
          'content-type': 'application/x-www-form-urlencoded',
          cookie: form.headers.get('set-cookie')!.split(';')[0]!,
        },
      })
    // Sent without a name: the form comes back with its errors, at the form's address, which
    // opened again would be an empty form: its switch sends the form instead.
    const refused = await send()
    expect(refused.status, refused.text.slice(0, 300)).toBe(400)
    expect(refused.text).toContain('class="err"')
    expect(switchOf(refused.text)).toBeNull()
    expect(refused.text).toMatch(
      /<nav class="lang" aria-label="[^"]+"><button type="submit" form="join" name="switchLanguage" value="de" formnovalidate="" lang="de">Deutsch<\/button>/,
    )
    // After the form's own button, shown above it: Enter in a field sends the join, as the
    // first submit button of a form is the one Enter presses.
    const ownButton = refused.text.indexOf('<button class="cta" type="submit">')
    expect(ownButton).toBeGreaterThan(0)
    expect(refused.text.indexOf('name="switchLanguage"')).toBeGreaterThan(ownButton)
    expect(refused.text).toContain('<main class="switch-after">')
    const german = await send({ switchLanguage: 'de' })
    expect(german.status).toBe(200)
    expect(languageOf(german.text)).toBe('de')
    expect(german.text).toContain(`value="${phone}"`)
    // What it lacks, said again in German.
    expect(german.text).toContain('class="err"')
    expect(german.text).not.toMatch(/class="err"[^>]*>[^<]*Please/)
    expect(german.text).toContain(`?lang=de`)
    // Nobody joined by switching.
    expect(
      await env.DB.prepare('select count(*) as n from join_requests where phone = ?')
        .bind(phone)
        .first('n'),
    ).toBe(0)
  })

  it('on the answers of the leave and confirmation buttons, leads to their page, which shows the same', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const joined = await joinAsMember(invite.code, { name: 'Ida', phone: newPhone() })
    const leavePath = new URL(joined.json.leaveUrl).pathname
    const left = await call('POST', `${leavePath}?lang=en`, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(left.text).toContain('Your membership has ended')
    const toGerman = switchOf(left.text)
    expect(toGerman?.href).toBe('?lang=de')
    const german = await visit(`${leavePath}${toGerman!.href}`)
    expect(languageOf(german.text)).toBe('de')
    expect(german.text).not.toContain('<form method="post"')
  })

  it("keeps the dashboard's error pages to their own switch", async () => {
    // The dashboard's error pages have a way back and the dashboard's own switch instead.
    const dashboardMissing = await visit('/admin/nosuchpage', { 'accept-language': 'en' })
    expect(switchOf(dashboardMissing.text)).toBeNull()
  })
})
