import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  visit,
} from './helpers'

async function visitsOf(inviteId: string) {
  const { results } = await env.DB.prepare('select * from visits where invite_id = ? order by id')
    .bind(inviteId)
    .all()
  return results as Array<Record<string, unknown>>
}

describe('landing page: what a prospective member sees', () => {
  it('shows the community, its purpose, member count, groups and a Join button', async () => {
    const community = await createCommunity({
      name: 'Berlin Läufer',
      description: 'Gemeinsam laufen am Sonntag',
      photoUrl: 'https://images.example.com/runners.jpg',
    })
    const group = await createGroup(community.id, { name: 'Long runs', topic: 'Sundays 9:00' })
    const invite = await createInvite(community.id, { groupId: group.id })
    const page = await visit(`/i/${invite.code}`, { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.text).toContain('<html lang="de">')
    expect(page.text).toContain('<h1><bdi>Berlin Läufer</bdi></h1>')
    expect(page.text).toContain('Gemeinsam laufen am Sonntag')
    // Nobody signed up yet: no count, rather than a "0" that tells visitors nobody came.
    expect(page.text).not.toContain('sich hier angemeldet')
    expect(page.text).toContain('Long runs')
    expect(page.text).toContain('Sundays 9:00')
    // The announcement group the community came with, named in the reader's language.
    expect(page.text).toContain('<div class="g">Ankündigungen</div>')
    expect(page.text).not.toContain('Announcements')
    expect(page.text).toContain('Offene Community')
    expect(page.text).toMatch(
      // The join link carries how the person came (here: the link, no referrer) to the sign-up.
      new RegExp(
        `<a class="cta" href="/i/${invite.code}/join\\?lang=de&amp;via=link">Beitreten</a>`,
      ),
    )
    expect(page.text).toContain('src="https://images.example.com/runners.jpg"')
  })

  it('tells people when a closed community needs approval, in English when asked', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const page = await visit(`/i/${invite.code}?lang=en`, { 'accept-language': 'de' })
    expect(page.text).toContain('<html lang="en">')
    expect(page.text).toContain('Closed community: an admin decides on your request.')
    expect(page.text).toContain('Request to join')
  })

  it('chooses the language from Accept-Language', async () => {
    const invite = await createInvite((await createCommunity()).id)
    expect(
      (await visit(`/i/${invite.code}`, { 'accept-language': 'en-US,en;q=0.9,de;q=0.5' })).text,
    ).toContain('lang="en"')
    expect(
      (await visit(`/i/${invite.code}`, { 'accept-language': 'fr-CH, de;q=0.7' })).text,
    ).toContain('lang="de"')
    expect((await visit(`/i/${invite.code}`, { 'accept-language': 'fr' })).text).toContain(
      'lang="en"',
    )
    expect((await visit(`/i/${invite.code}`, { 'accept-language': '' })).text).toContain(
      'lang="de"',
    )
  })

  it('carries Open Graph and Twitter card tags for rich link previews', async () => {
    const community = await createCommunity({
      name: 'Preview Club',
      description: 'We test previews',
      photoUrl: 'https://images.example.com/p.jpg',
    })
    const invite = await createInvite(community.id)
    const page = await visit(`/i/${invite.code}`)
    expect(page.text).toContain('<meta property="og:title" content="Preview Club"/>')
    expect(page.text).toContain('<meta property="og:description" content="We test previews"/>')
    expect(page.text).toContain(
      '<meta property="og:image" content="https://images.example.com/p.jpg"/>',
    )
    expect(page.text).toContain(
      `<meta property="og:url" content="https://join.example.com/i/${invite.code}"/>`,
    )
    expect(page.text).toContain('<meta name="twitter:card" content="summary_large_image"/>')
  })

  it('is light: no external scripts, stylesheets or fonts, and under 15 KB', async () => {
    const community = await createCommunity({ description: 'x'.repeat(500) })
    for (let i = 0; i < 10; i++) await createGroup(community.id, { description: 'd'.repeat(200) })
    const invite = await createInvite(community.id)
    const page = await visit(`/i/${invite.code}`)
    expect(new TextEncoder().encode(page.text).length).toBeLessThan(15 * 1024)
    expect(page.text).not.toMatch(/<script|<link[^>]+stylesheet|@import|@font-face/i)
  })

  it('escapes community text', async () => {
    const community = await createCommunity({
      name: '<script>alert(1)</script>',
      description: '"><img src=x onerror=alert(1)>',
    })
    const invite = await createInvite(community.id)
    const page = await visit(`/i/${invite.code}`)
    expect(page.text).not.toContain('<script>alert(1)</script>')
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page.text).not.toContain('<img src=x')
  })
})

describe('landing page: links as apps pass them on', () => {
  it('leads a link with a slash after it (as some scanners add) to the link, its query kept', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const slashed = await visit(`/i/${invite.code}/?via=qr&lang=en`)
    expect(slashed.status).toBe(301)
    expect(new URL(slashed.headers.get('location')!, 'https://x.example').pathname).toBe(
      `/i/${invite.code}`,
    )
    expect(slashed.headers.get('location')).toContain('?via=qr&lang=en')
    expect(slashed.headers.get('x-frame-options')).toBe('DENY')
    const landed = await visit(slashed.headers.get('location')!)
    expect(landed.status).toBe(200)
  })
})

describe('landing page: links that do not work', () => {
  it('answers an unknown code with a friendly 404 page', async () => {
    for (const code of ['abcdefghjkmnp', 'not-a-code', '%3Cscript%3E']) {
      const page = await visit(`/i/${code}`, { 'accept-language': 'en' })
      expect(page.status).toBe(404)
      expect(page.text).toContain('This link does not exist')
      expect(page.text).not.toMatch(/at \w+ \(|Error:/)
    }
  })

  it('answers a revoked link with 410', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await call('POST', `/api/invites/${invite.id}/revoke`)
    const page = await visit(`/i/${invite.code}?lang=en`)
    expect(page.status).toBe(410)
    expect(page.text).toContain('withdrawn')
  })

  it('answers an expired link with 410', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await env.DB.prepare('update invites set expires_at = ? where id = ?')
      .bind(Date.now() - 1000, invite.id)
      .run()
    const page = await visit(`/i/${invite.code}?lang=en`)
    expect(page.status).toBe(410)
    expect(page.text).toContain('expired')
  })

  it('answers a used-up link with 410', async () => {
    const invite = await createInvite((await createCommunity()).id, { maxUses: 2 })
    await env.DB.prepare('update invites set uses = 2 where id = ?').bind(invite.id).run()
    const page = await visit(`/i/${invite.code}?lang=en`)
    expect(page.status).toBe(410)
    expect(page.text).toContain('used as often as allowed')
  })

  it('answers a rotated-away code with 410 and serves the new one', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const rotated = await call('POST', `/api/invites/${invite.id}/rotate`)
    expect(rotated.json.code).not.toBe(invite.code)
    const gone = await visit(`/i/${invite.code}?lang=en`)
    expect(gone.status).toBe(410)
    // Whoever scanned an old poster learns whose new link to ask for.
    const community = (await call('GET', `/api/invites/${invite.id}`)).json.communityId
    const name = (await call('GET', `/api/communities/${community}`)).json.name
    expect(gone.text).toContain(name)
    expect(gone.text).toContain('Ask whoever shared it with you for the new one.')
    expect((await visit(`/i/${rotated.json.code}`)).status).toBe(200)
    // Revoked since: the old code names nobody any more.
    expect((await call('POST', `/api/invites/${invite.id}/revoke`)).status).toBe(200)
    const revoked = await visit(`/i/${invite.code}?lang=en`)
    expect(revoked.status).toBe(410)
    expect(revoked.text).not.toContain(name)
  })
})

describe('visit tracking', () => {
  it('records a visit after the response: via, country, referrer host, device, hashed visitor', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const page = await visit(`/i/${invite.code}?via=qr`, {
      referer: 'https://www.instagram.com/some/profile?x=1',
      'cf-connecting-ip': '203.0.113.7',
    })
    expect(page.status).toBe(200)
    const [row] = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows).toHaveLength(1)
      return rows
    })
    expect(row).toMatchObject({
      via: 'qr',
      referrer_host: 'www.instagram.com',
      device: 'mobile',
      is_bot: 0,
    })
    expect(row!.country).toMatch(/^[A-Z]{2}$/)
    expect(row!.visitor_hash).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.stringify(row)).not.toContain('203.0.113.7')
  })

  it('keeps a referrer only where it is a web page’s host, never another scheme’s free text', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const referers = [
      'x://{your-account-is-locked!call+1-800-555}/',
      'javascript://=hyperlink("https://evil.example")',
      'http://[::1]/',
      'https://WWW.Example.ORG/page',
    ]
    for (const referer of referers)
      expect((await visit(`/i/${invite.code}`, { referer })).status).toBe(200)
    const rows = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows).toHaveLength(referers.length)
      return rows
    })
    expect(rows.map((row) => row.referrer_host).sort()).toEqual(
      [null, null, null, 'www.example.org'].sort(),
    )
  })

  it('answers HEAD as GET is answered, without counting a visit', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const checked = await exports.default.fetch(
      new Request(`${BASE}/i/${invite.code}?via=qr`, { method: 'HEAD' }),
    )
    expect(checked.status).toBe(200)
    expect(checked.headers.get('content-type')).toContain('text/html')
    expect(await checked.text()).toBe('')
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    // Both views go out in the same batch: the GET's arriving means the HEAD's would have.
    const rows = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows.length).toBeGreaterThan(0)
      return rows
    })
    expect(rows.map((row) => row.via)).toEqual(['link'])
  })

  it('places visits and sign-ups in the country Cloudflare names: CF-IPCountry, else request.cf', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const fromEdge = (headers: Record<string, string>, cf?: { country: string }) =>
      exports.default.fetch(
        new Request(`${BASE}/i/${invite.code}`, {
          headers: { 'user-agent': `Mozilla/5.0 (iPhone) ${Object.values(headers)}`, ...headers },
          cf,
        }),
      )
    // The header where the zone adds it, `request.cf` where it does not or sends junk, else XX.
    for (const [headers, cf] of [
      [{ 'cf-ipcountry': 'DE' }, { country: 'FR' }],
      [{}, { country: 'FR' }],
      [{}, undefined],
      [{ 'cf-ipcountry': 'de; drop' }, { country: 'FR' }],
    ] as const) {
      expect((await fromEdge(headers, cf)).status).toBe(200)
    }
    const rows = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows).toHaveLength(4)
      return rows
    })
    expect(rows.map((row) => row.country).sort()).toEqual(['DE', 'FR', 'FR', 'XX'])

    const joined = await joinJson(
      invite.code,
      { name: 'Anna Abroad', phone: newPhone() },
      { 'cf-ipcountry': 'AT' },
    )
    expect(joined.status, joined.text).toBe(201)
    const request = await env.DB.prepare(
      'select country from join_requests where invite_id = ? order by created_at desc',
    )
      .bind(invite.id)
      .first<{ country: string }>()
    expect(request?.country).toBe('AT')
  })

  it('tells link-preview fetchers and crawlers from people', async () => {
    const invite = await createInvite((await createCommunity()).id)
    for (const agent of [
      'WhatsApp/2.24.6.77 A',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'curl/8.5.0',
    ]) {
      expect((await visit(`/i/${invite.code}`, { 'user-agent': agent })).status).toBe(200)
    }
    await visit(`/i/${invite.code}`, {
      'user-agent':
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
    })
    const rows = await eventually(async () => {
      const rows = await visitsOf(invite.id)
      expect(rows).toHaveLength(7)
      return rows
    })
    expect(rows.filter((r) => r.is_bot === 1)).toHaveLength(6)
    expect(rows.filter((r) => r.is_bot === 0).map((r) => r.device)).toEqual(['desktop'])
  })

  it('still serves the page when the visit cannot be written', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await env.DB.prepare('alter table visits rename to visits_away').run()
    try {
      const page = await visit(`/i/${invite.code}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain('<h1>')
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 100))
      await env.DB.prepare('alter table visits_away rename to visits').run()
    }
  })
})

describe('the landing and join pages say how leaving works, not that it is one tap', () => {
  it('in German and English', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    for (const path of [`/i/${invite.code}`, `/i/${invite.code}/join`]) {
      const en = (await visit(`${path}?lang=en`)).text
      expect(en, path).toContain('once you are in, you get a link to end it')
      expect(en, path).toContain('You leave the group chat itself separately')
      expect(en, path).not.toContain('with one tap')
      const de = (await visit(`${path}?lang=de`)).text
      expect(de, path).toContain('Sobald du dabei bist, bekommst du einen Link dafür')
      expect(de, path).toContain('Den Gruppenchat selbst verlässt du separat')
      expect(de, path).not.toContain('mit einem Tipp')
    }
  })
})
