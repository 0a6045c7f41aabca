import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, createCommunity, createGroup, createInvite, visit } from './helpers'

/**
 * The landing page is rendered once per cached invite and language and then only given each
 * response's CSP nonce. What must never follow from that: one language's page for another, one
 * link's page for another, a dead link still served by the isolate that killed it, an edit
 * unseen past the cache's few seconds, a nonce seen twice, or community text that escapes the
 * page's markup.
 */

/** The nonce the response's CSP allows, and every nonce its markup carries. */
function noncesOf(page: { headers: Headers; text: string }) {
  const allowed = /'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1]
  const carried = [...page.text.matchAll(/nonce="([^"]*)"/g)].map((match) => match[1])
  return { allowed, carried }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the landing page render cache', () => {
  it('serves each language its own page, in any order', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    for (const lang of ['de', 'en', 'de', 'en']) {
      const page = await visit(`/i/${invite.code}?lang=${lang}`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-language')).toBe(lang)
      expect(page.text).toContain(`<html lang="${lang}">`)
      // The join link keeps the language (and how the visitor came, for the breakdowns).
      expect(page.text).toContain(`/i/${invite.code}/join?lang=${lang}&amp;via=`)
      expect(page.text).toContain(lang === 'de' ? 'Beitritt anfragen' : 'Request to join')
    }
  })

  it('gives each response one fresh nonce, the one its CSP allows, on every inline tag', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const page = await visit(`/i/${invite.code}`)
      const { allowed, carried } = noncesOf(page)
      expect(allowed).toBeTruthy()
      expect(carried.length).toBeGreaterThan(0)
      expect(new Set(carried)).toEqual(new Set([allowed]))
      expect(seen.has(allowed!)).toBe(false)
      seen.add(allowed!)
      expect(page.text).not.toContain('nonce-slot')
    }
  })

  it('keeps community text inert, whatever it imitates', async () => {
    const name = `</style><style>body{display:none}</style> nonce-slot- $& $' </title>`
    const community = await createCommunity({
      name: name.slice(0, 80),
      description: `<script nonce="x">alert(1)</script> nonce-slot-00000000-0000-0000-0000-000000000000`,
    })
    const invite = await createInvite(community.id)
    for (let i = 0; i < 2; i++) {
      const page = await visit(`/i/${invite.code}`)
      expect(page.status).toBe(200)
      const { allowed, carried } = noncesOf(page)
      // The page's own style block only: nothing from the community became a tag.
      expect(page.text.match(/<style\b/g)).toHaveLength(1)
      expect(page.text.match(/<\/style>/g)).toHaveLength(1)
      expect(page.text).not.toMatch(/<script\b/)
      expect(carried).toEqual([allowed])
      expect(page.text).toContain('&lt;/style&gt;&lt;style&gt;')
      expect(page.text).toContain('nonce-slot-00000000-0000-0000-0000-000000000000')
    }
  })

  it('keeps two links of one community apart, each leading to its own group', async () => {
    const community = await createCommunity()
    const first = await createGroup(community.id, { name: 'First group' })
    const second = await createGroup(community.id, { name: 'Second group' })
    const toFirst = await createInvite(community.id, { groupId: first.id })
    const toSecond = await createInvite(community.id, { groupId: second.id })
    for (let i = 0; i < 2; i++) {
      const one = await visit(`/i/${toFirst.code}?lang=en`)
      const two = await visit(`/i/${toSecond.code}?lang=en`)
      expect(one.text).toMatch(/<li class="here"><div class="g"><bdi>First group/)
      expect(two.text).toMatch(/<li class="here"><div class="g"><bdi>Second group/)
      expect(one.text).toContain(`/i/${toFirst.code}/join`)
      expect(one.text).not.toContain(toSecond.code)
      expect(two.text).not.toContain(toFirst.code)
    }
  })

  it('stops serving a link at once once it is revoked or rotated, after it was viewed', async () => {
    const community = await createCommunity()
    const revoked = await createInvite(community.id)
    expect((await visit(`/i/${revoked.code}`)).status).toBe(200)
    expect((await call('POST', `/api/invites/${revoked.id}/revoke`)).status).toBe(200)
    expect((await visit(`/i/${revoked.code}?lang=en`)).status).toBe(410)

    const rotated = await createInvite(community.id)
    expect((await visit(`/i/${rotated.code}`)).status).toBe(200)
    const renewed = await call('POST', `/api/invites/${rotated.id}/rotate`)
    expect(renewed.status).toBe(200)
    expect((await visit(`/i/${rotated.code}`)).status).toBe(410)
    const fresh = await visit(`/i/${renewed.json.code}`)
    expect(fresh.status).toBe(200)
    expect(fresh.text).toContain(`/i/${renewed.json.code}/join`)
    expect(fresh.text).not.toContain(`/i/${rotated.code}/`)
  })

  it('shows an edited community once its few seconds are over, and forgets a deleted one at once', async () => {
    const community = await createCommunity({ name: 'Before the edit' })
    const invite = await createInvite(community.id)
    expect((await visit(`/i/${invite.code}`)).text).toContain('Before the edit')
    const edited = await call('PATCH', `/api/communities/${community.id}`, {
      body: { name: 'After the edit' },
    })
    expect(edited.status).toBe(200)
    // The cache keeps a landing 5 seconds (src/services/invites.ts): a clock past that.
    const start = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => start + 6_000)
    const page = await visit(`/i/${invite.code}`)
    expect(page.text).toContain('After the edit')
    expect(page.text).not.toContain('Before the edit')

    // The isolate that deletes forgets at once; its code answers "gone" from then on.
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expect((await visit(`/i/${invite.code}`)).status).toBe(410)
  })
})
