import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { logoPng, pngOf, toBase64 } from '../support/png-logo'
import { BASE, call, createCommunity, createInvite, expectProblem } from './helpers'
import { csrfOf, page, post, referencedTexts, signIn } from './dashboard-helpers'

async function qr(code: string, format: 'svg' | 'png', query = '') {
  const response = await call('GET', `/i/${code}/qr.${format}${query}`, { token: null })
  expect(response.status, response.text.slice(0, 200)).toBe(200)
  return response
}

async function pngBytes(code: string, query = '') {
  const response = await exports.default.fetch(new Request(`${BASE}/i/${code}/qr.png${query}`))
  expect(response.status).toBe(200)
  return new Uint8Array(await response.arrayBuffer())
}

/** Each logo refused on its field, and the link left without a logo. */
async function expectLogosRefused(inviteId: string, logos: Uint8Array[]) {
  for (const bytes of logos) {
    const refused = expectProblem(
      await design(inviteId, { fg: '000000', bg: 'ffffff', logoPng: toBase64(bytes) }),
      400,
      'validation_failed',
    )
    expect(refused.errors[0].path).toBe('qrDesign.logoPng')
  }
  expect((await call('GET', `/api/invites/${inviteId}/qr-design`)).json.hasLogo).toBe(false)
}

function design(id: string, qrDesign: unknown, extra: Record<string, unknown> = {}) {
  return call('PATCH', `/api/invites/${id}`, { body: { ...extra, qrDesign } })
}

describe('a link’s QR design through the API', () => {
  it('serves the saved colours and style from the link’s QR URLs at once, cached or not', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    expect((await qr(invite.code, 'svg')).text).toContain('fill="#000000"')

    const saved = await design(invite.id, { fg: '1d3557', bg: 'f1faee', style: 'dots', margin: 2 })
    expect(saved.status, saved.text).toBe(200)
    const svg = (await qr(invite.code, 'svg')).text
    expect(svg).toContain('fill="#1d3557"')
    expect(svg).toContain('fill="#f1faee"')
    expect(svg).toContain('a.45 .45') // dots
    const read = await call('GET', `/api/invites/${invite.id}/qr-design`)
    expect(read.json).toMatchObject({
      fg: '1d3557',
      bg: 'f1faee',
      style: 'dots',
      margin: 2,
      level: 'M',
      hasLogo: false,
    })
    // A query still overrides one option for one image.
    expect((await qr(invite.code, 'svg', '?style=square')).text).not.toContain('a.45 .45')

    const reset = await design(invite.id, null)
    expect(reset.status).toBe(200)
    expect((await qr(invite.code, 'svg')).text).toContain('fill="#000000"')
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json).toMatchObject({
      fg: '000000',
      updatedAt: null,
    })
  })

  it('refuses unreadable colours and explains why, changing nothing else in the request', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Before' })
    const pale = expectProblem(
      await design(invite.id, { fg: 'bbbbbb', bg: 'ffffff' }, { label: 'After' }),
      400,
      'validation_failed',
    )
    expect(pale.errors).toEqual([
      { path: 'qrDesign.fg', message: 'Contrast 1.9:1; scanners need at least 4.5:1' },
    ])
    const inverted = expectProblem(
      await design(invite.id, { fg: 'ffffff', bg: '000000' }),
      400,
      'validation_failed',
    )
    expect(inverted.errors[0].message).toBe('The foreground must be darker than the background')
    expect((await call('GET', `/api/invites/${invite.id}`)).json.label).toBe('Before')
    // Overriding one colour in the query is checked against the saved other.
    const dull = await call('GET', `/i/${invite.code}/qr.png?fg=dddddd`, { token: null })
    expect(dull.status).toBe(400)
  })

  it('takes a PNG logo, raises error correction, and draws it in both formats', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const logo = await logoPng()
    const saved = await design(invite.id, { fg: '222222', bg: 'ffffff', logoPng: toBase64(logo) })
    expect(saved.status, saved.text).toBe(200)
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json.hasLogo).toBe(true)
    const svg = (await qr(invite.code, 'svg')).text
    expect(svg).toContain(`href="data:image/png;base64,${toBase64(logo)}"`)
    const png = await pngBytes(invite.code, '?size=256')
    expect(png[25]).toBe(2) // IHDR colour type: RGB, to carry the logo's colours
    // The link's page shows the error correction the code is drawn with: H, the only choice.
    const { cookie } = await signIn()
    const linkPage = (await page(`/admin/links/${invite.id}`, cookie)).text
    const levels = /<select id="level"[^>]*>(.*?)<\/select>/s.exec(linkPage)![1]!
    expect(levels).toContain('<option selected="">H</option>')
    expect(levels).toContain('<option disabled="">M</option>')
    // Changing the colours keeps the logo; null removes it.
    await design(invite.id, { fg: '000000', bg: 'ffffff' })
    expect((await qr(invite.code, 'svg')).text).toContain('<image')
    await design(invite.id, { fg: '000000', bg: 'ffffff', logoPng: null })
    expect((await qr(invite.code, 'svg')).text).not.toContain('<image')
  })

  it('refuses an SVG, a fake PNG and an oversized logo by their bytes', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    const fake = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
    await expectLogosRefused(invite.id, [svg, fake, await logoPng(600)])
  })

  it('refuses a PNG whose header is cut short, and one whose data inflates past its pixels', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
    const headerType = [0x49, 0x48, 0x44, 0x52] // IHDR
    const cutHeaders = [
      new Uint8Array([...signature, 0, 0, 0, 0, ...headerType]),
      new Uint8Array([...signature, 0, 0, 0, 4, ...headerType, 0, 0, 0, 1]),
    ]
    // A 1 by 1 pixel logo whose 2 KB of data inflate to 2 MB: a bomb, not a logo.
    const bomb = await pngOf(1, 1, new Uint8Array(2_000_000))
    await expectLogosRefused(invite.id, [...cutHeaders, bomb])
  })

  it('still serves the QR code of a link whose saved logo no longer decodes, without the logo', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const bomb = await pngOf(1, 1, new Uint8Array(200_000))
    await env.DB.prepare(
      `insert into invite_qr_designs (invite_id, fg, bg, margin, level, style, logo_png, updated_at)
       values (?, '000000', 'ffffff', 4, 'H', 'square', ?, ?)`,
    )
      .bind(invite.id, toBase64(bomb), Date.now())
      .run()
    expect((await qr(invite.code, 'svg')).text).not.toContain('<image')
    expect((await pngBytes(invite.code, '?size=256')).length).toBeGreaterThan(0)
  })
})

describe('the QR designer in the dashboard', () => {
  it('previews a logo chosen but not saved, and saves it with the design from that preview', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/links/${invite.id}`, cookie)).text)
    const logo = await logoPng()
    const send = (fields: Record<string, string>, file?: Uint8Array) => {
      const body = new FormData()
      const all = { _csrf: csrf, fg: '#1a1a1a', bg: '#ffffff', margin: '4', level: 'M', ...fields }
      for (const [key, value] of Object.entries(all)) body.append(key, value)
      if (file) body.append('logo', new File([file], 'logo.png', { type: 'image/png' }))
      return call('POST', `/admin/links/${invite.id}/qr-design`, {
        token: null,
        rawBody: body,
        headers: { cookie, origin: BASE, accept: 'text/html', 'accept-language': 'en' },
      })
    }
    const preview = await send({ style: 'square', intent: 'preview' }, logo)
    expect(preview.status, preview.text.slice(0, 300)).toBe(200)
    const shown = /<img id="qr-preview" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(
      preview.text,
    )
    expect(shown).not.toBeNull()
    expect(atob(shown![1]!)).toContain(`href="data:image/png;base64,${toBase64(logo)}"`)
    expect(preview.text).toContain(
      'The logo you chose is in the preview and is saved with the design.',
    )
    // The script that redraws the preview from the fields would draw it without the logo.
    expect(preview.text).not.toContain('data-qr-preview="qr-preview"')
    const kept = /name="keptLogo" value="([^"]+)"/.exec(preview.text)![1]!
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json.updatedAt).toBeNull()

    // What the page carries is checked again: anything but a sound PNG is refused.
    const forged = await send({ style: 'square', intent: 'save', keptLogo: btoa('<svg/>') })
    expect(forged.status).toBe(400)
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json.updatedAt).toBeNull()

    // A photo of a few hundred KB picked as the logo is refused beside its field, the colours
    // as they were set, not by a page about the request's size.
    const photo = new Uint8Array(300 * 1024).fill(7)
    const tooBig = await send({ fg: '#2b2b6e', style: 'dots', intent: 'save' }, photo)
    expect(tooBig.status, tooBig.text.slice(0, 300)).toBe(400)
    expect(tooBig.text).toContain('This logo cannot be used')
    expect(tooBig.text).toContain('value="#2b2b6e"')
    // The preview beside the fields draws what they hold, not the design saved before.
    expect(tooBig.text).toMatch(/<img id="qr-preview" src="[^"]*fg=2b2b6e[^"]*style=dots"/)
    // The field says its limit to the page's script, which refuses a bigger file before sending.
    expect(tooBig.text).toContain(`data-max-bytes="${40 * 1024}"`)

    const saved = await send({ style: 'square', intent: 'save', keptLogo: kept })
    expect(saved.status, saved.text.slice(0, 300)).toBe(303)
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json.hasLogo).toBe(true)
    expect((await qr(invite.code, 'svg')).text).toContain(toBase64(logo))
  })

  it('previews without saving, refuses low contrast in words, and saves a design with a logo', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const { cookie } = await signIn()
    const linkPage = await page(`/admin/links/${invite.id}`, cookie)
    expect(linkPage.text).toContain('<h2>Design the QR code</h2>')
    expect(linkPage.text).toContain('data-qr-preview="qr-preview"')
    const csrf = csrfOf(linkPage.text)
    const fields = { _csrf: csrf, fg: '#5a189a', bg: '#fff8e7', margin: '3', level: 'Q' }

    const preview = await post(`/admin/links/${invite.id}/qr-design`, cookie, {
      ...fields,
      style: 'rounded',
      intent: 'preview',
    })
    expect(preview.status).toBe(200)
    expect(preview.text).toContain(
      `src="/i/${invite.code}/qr.svg?size=240&amp;fg=5a189a&amp;bg=fff8e7&amp;margin=3&amp;level=Q&amp;style=rounded"`,
    )
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json.updatedAt).toBeNull()

    const low = await post(`/admin/links/${invite.id}/qr-design`, cookie, {
      ...fields,
      fg: '#999999',
      bg: '#ffffff',
      style: 'square',
      intent: 'save',
    })
    expect(low.status).toBe(400)
    expect(low.text).toContain('A contrast of 2.8:1 is too low: scanners need at least 4.5:1.')
    // The preview cannot draw a code no scanner reads: it shows the saved design, and says so.
    expect(low.text).toContain('The preview shows the saved design: the one you chose is refused.')
    expect(preview.text).not.toContain('The preview shows the saved design')
    // The colour field is described by the hint and by why it was refused.
    expect(referencedTexts(low.text, 'input', 'aria-describedby')).toContain(
      'Dark on light, with a contrast of at least 4.5:1, or phones cannot read the code. A contrast of 2.8:1 is too low: scanners need at least 4.5:1.',
    )

    // A choice no browser offers (a changed request) is refused beside its own field.
    const tampered = await post(`/admin/links/${invite.id}/qr-design`, cookie, {
      ...fields,
      level: 'X',
      style: 'stars',
      intent: 'preview',
    })
    expect(tampered.status).toBe(400)
    expect(referencedTexts(tampered.text, 'select', 'aria-describedby')).toEqual([
      'Please check this field.',
      'Please check this field.',
    ])

    const body = new FormData()
    for (const [key, value] of Object.entries({ ...fields, style: 'dots', intent: 'save' }))
      body.append(key, value)
    body.append('logo', new File([await logoPng()], 'logo.png', { type: 'image/png' }))
    const saved = await call('POST', `/admin/links/${invite.id}/qr-design`, {
      token: null,
      rawBody: body,
      headers: { cookie, origin: BASE, accept: 'text/html', 'accept-language': 'en' },
    })
    expect(saved.status, saved.text.slice(0, 300)).toBe(303)
    expect((await call('GET', `/api/invites/${invite.id}/qr-design`)).json).toMatchObject({
      fg: '5a189a',
      bg: 'fff8e7',
      style: 'dots',
      level: 'Q',
      hasLogo: true,
    })
    const after = await page(`/admin/links/${invite.id}`, cookie)
    expect(after.text).toContain('A logo is saved.')
    // A saved design is a new image URL: no browser shows the image it cached before.
    expect(after.text).toMatch(/src="\/i\/[0-9a-z-]+\/qr\.svg\?size=240&amp;v=[0-9a-z]+"/)
    expect(after.text).toMatch(/qr\.png\?size=1024&amp;download=1&amp;v=[0-9a-z]+"/)
    expect((await qr(invite.code, 'svg')).text).toContain('fill="#5a189a"')
  })
})
