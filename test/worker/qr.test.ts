import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { BASE, call, createCommunity, createInvite, expectProblem } from './helpers'

function qr(path: string, headers: Record<string, string> = {}) {
  return call('GET', path, { token: null, headers: { accept: 'image/*', ...headers } })
}

/** Renders an image and waits for what the Worker does after answering: it caches the image. */
async function renderAndCache(path: string) {
  const ctx = createExecutionContext()
  const response = await worker.fetch(new Request(BASE + path), env, ctx)
  const text = await response.text()
  await waitOnExecutionContext(ctx)
  return { status: response.status, text }
}

async function qrBytes(path: string) {
  const { exports } = await import('cloudflare:workers')
  const response = await exports.default.fetch(new Request(`https://join.example.com${path}`))
  return {
    status: response.status,
    headers: response.headers,
    bytes: new Uint8Array(await response.arrayBuffer()),
  }
}

describe('QR codes', () => {
  it('serves an SVG for print with caching headers', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await qr(`/i/${invite.code}/qr.svg`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/svg+xml')
    expect(response.text).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+" width="512" height="512"/,
    )
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    expect(response.headers.get('cache-control')).toBe('public, max-age=86400')
  })

  it('serves a PNG of the requested size', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const { status, headers, bytes } = await qrBytes(`/i/${invite.code}/qr.png?size=300`)
    expect(status).toBe(200)
    expect(headers.get('content-type')).toBe('image/png')
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const ihdr = new DataView(bytes.buffer, 16, 8)
    expect([ihdr.getUint32(0), ihdr.getUint32(4)]).toEqual([300, 300])
  })

  it('gives the same bytes for the same options, and different bytes for different ones', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const a = await qrBytes(`/i/${invite.code}/qr.png?size=200&level=H`)
    const b = await qrBytes(`/i/${invite.code}/qr.png?level=H&size=200`)
    const c = await qrBytes(`/i/${invite.code}/qr.png?size=200&level=L`)
    expect(b.bytes).toEqual(a.bytes)
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'))
    expect(c.bytes).not.toEqual(a.bytes)
  })

  it('answers If-None-Match with 304', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const first = await qr(`/i/${invite.code}/qr.svg`)
    const again = await qr(`/i/${invite.code}/qr.svg`, {
      'if-none-match': first.headers.get('etag')!,
    })
    expect(again.status).toBe(304)
    expect(again.text).toBe('')
    const stale = await qr(`/i/${invite.code}/qr.svg`, { 'if-none-match': '"something-else"' })
    expect(stale.status).toBe(200)
  })

  it('answers If-None-Match: * with 304, as any current image matches it', async () => {
    const invite = await createInvite((await createCommunity()).id)
    for (const path of [`/i/${invite.code}/qr.svg`, `/i/${invite.code}/qr.png?size=200`]) {
      const any = await qr(path, { 'if-none-match': '*' })
      expect(any.status, path).toBe(304)
      expect(any.text).toBe('')
      expect(any.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    }
  })

  it('offers a download with a sensible file name', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const png = await qrBytes(`/i/${invite.code}/qr.png?download=1&size=1024`)
    expect(png.headers.get('content-disposition')).toBe(
      `attachment; filename="invite-${invite.code}-qr-1024px.png"`,
    )
    const svg = await qr(`/i/${invite.code}/qr.svg?download=1`)
    expect(svg.headers.get('content-disposition')).toBe(
      `attachment; filename="invite-${invite.code}-qr.svg"`,
    )
    expect((await qr(`/i/${invite.code}/qr.svg`)).headers.get('content-disposition')).toBeNull()
  })

  it('takes colours and margin', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await qr(`/i/${invite.code}/qr.svg?fg=%23123456&bg=fffbe6&margin=2`)
    expect(response.status).toBe(200)
    expect(response.text).toContain('fill="#fffbe6"')
    expect(response.text).toContain('fill="#123456"')
  })

  it('refuses options that would not scan or are out of bounds', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const cases: Array<[string, string]> = [
      ['size=10', 'size'],
      ['size=5000', 'size'],
      ['size=abc', 'size'],
      // Only decimal digits are an integer here, as the document says: not hex, exponents or
      // padding that would read as another size.
      ['size=0x200', 'size'],
      ['size=5e2', 'size'],
      ['size=%20512', 'size'],
      ['margin=-1', 'margin'],
      ['margin=', 'margin'],
      ['margin=0x2', 'margin'],
      ['level=X', 'level'],
      ['fg=cccccc&bg=ffffff', 'fg'], // too little contrast
      ['fg=ffffff&bg=000000', 'fg'], // inverted: many scanners fail
      ['fg=red', 'fg'],
      ['colour=blue', 'colour'],
    ]
    for (const [query, path] of cases) {
      const problem = expectProblem(
        await qr(`/i/${invite.code}/qr.png?${query}`),
        400,
        'validation_failed',
      )
      expect(
        problem.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(path)
    }
  })

  it('renders a code once: later requests come from the cache, without reading D1', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const first = await renderAndCache(`/i/${invite.code}/qr.svg?size=256`)
    // Behind the API's back: only a D1 read would notice this, and a cached answer makes none.
    await env.DB.prepare('update invites set revoked_at = ? where id = ?')
      .bind(Date.now(), invite.id)
      .run()
    const second = await qr(`/i/${invite.code}/qr.svg?size=256`)
    expect(second.status).toBe(200)
    expect(second.text).toBe(first.text)
    // A different variant is not cached yet, so it is rendered, and D1 says no.
    expect((await qr(`/i/${invite.code}/qr.svg?size=300`)).status).toBe(410)
  })

  it('stops serving a code once it is revoked, even after it was cached', async () => {
    const invite = await createInvite((await createCommunity()).id)
    expect((await renderAndCache(`/i/${invite.code}/qr.svg`)).status).toBe(200)
    expect((await renderAndCache(`/i/${invite.code}/qr.png?size=128`)).status).toBe(200)
    await call('POST', `/api/invites/${invite.id}/revoke`)
    expectProblem(await qr(`/i/${invite.code}/qr.svg`), 410, 'gone')
    expect((await qrBytes(`/i/${invite.code}/qr.png?size=128`)).status).toBe(410)
  })

  it('stops serving a rotated-away code and serves the new one', async () => {
    const invite = await createInvite((await createCommunity()).id)
    expect((await renderAndCache(`/i/${invite.code}/qr.svg`)).status).toBe(200)
    const rotated = await call('POST', `/api/invites/${invite.id}/rotate`)
    expectProblem(await qr(`/i/${invite.code}/qr.svg`), 410, 'gone')
    expect((await qr(`/i/${rotated.json.code}/qr.svg`)).status).toBe(200)
  })

  it('does not serve codes of expired links or unknown codes', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await env.DB.prepare('update invites set expires_at = ? where id = ?')
      .bind(Date.now() - 1, invite.id)
      .run()
    expectProblem(await qr(`/i/${invite.code}/qr.svg`), 410, 'gone')
    expectProblem(await qr('/i/abcdefghjkmnp/qr.svg'), 404, 'not_found')
    expectProblem(await qr('/i/NOT_A_CODE/qr.png'), 404, 'not_found')
  })

  it('shows a person a friendly page instead of problem JSON', async () => {
    const page = await call('GET', '/i/abcdefghjkmnp/qr.png', {
      token: null,
      headers: { accept: 'text/html', 'accept-language': 'en' },
    })
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.text).toContain('This link does not exist')
  })
})
