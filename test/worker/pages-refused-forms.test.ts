import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { createCommunity, createGroup } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * Forms that post to an address of their own (a group's chat link, a teammate's invitation, a
 * new link) come back refused as their page, opened at its top, where the form may be screens
 * away: the top says so and leads to the field; the page's own address replaces the form's.
 */

const t = DASHBOARD_WORDS.en

/** What the reader meets first: the page's body up to its first section. */
function top(html: string): string {
  const main = html.slice(html.indexOf('<main'))
  return main.slice(0, main.indexOf('<section'))
}

/** The address the page puts in the address bar, and where its language switch leads. */
function addresses(html: string) {
  return {
    shown: /<main data-address="([^"]*)"/.exec(html)?.[1],
    otherLanguage: /<a href="([^"]*)" lang="de" hreflang="de">Deutsch<\/a>/.exec(html)?.[1],
  }
}

describe('a refused form that posts to an address of its own', () => {
  it('on the settings page: a group’s chat link, said at the top and linked to its field', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const { cookie } = await signIn()
    const settings = `/admin/communities/${community.id}/settings`
    const before = await page(settings, cookie)
    expect(addresses(before.text).shown).toBeUndefined()

    const typed = 'https://t.me/+not-whatsapp'
    const refused = await post(`/admin/groups/${group.id}/chat-link`, cookie, {
      _csrf: csrfOf(before.text),
      chatInviteUrl: typed,
    })
    expect(refused.status).toBe(400)
    const summary = top(refused.text)
    expect(summary).toContain('role="alert"')
    expect(summary).toContain(t.notSavedCheck)
    expect(summary).toMatch(
      new RegExp(`<a href="#chat-link-${group.id}">[^<]*chat\\.whatsapp\\.com[^<]*</a>`),
    )
    // The field it leads to is there, as typed and marked.
    expect(refused.text).toMatch(
      new RegExp(
        `id="chat-link-${group.id}"[^>]*value="${typed.replace(/[.+]/g, '\\$&')}"[^>]*aria-invalid="true"`,
      ),
    )
    expect(addresses(refused.text)).toEqual({
      shown: settings,
      otherLanguage: `${settings}?lang=de`,
    })

    // So does the new group's form on the same page.
    const noName = await post(`/admin/communities/${community.id}/groups`, cookie, {
      _csrf: csrfOf(before.text),
      name: '',
      chatInviteUrl: typed,
    })
    expect(noName.status).toBe(400)
    expect(top(noName.text)).toContain('<a href="#group-name">')
    expect(addresses(noName.text).shown).toBe(settings)
  })

  it('on the team page: an invitation without a name or with a bad address', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const team = `/admin/communities/${community.id}/team`
    const refused = await post(`${team}/invitations?lang=en`, cookie, {
      _csrf: csrfOf((await page(team, cookie)).text),
      name: '',
      email: 'not an address',
      role: 'community_admin',
    })
    expect(refused.status).toBe(400)
    const summary = top(refused.text)
    expect(summary).toContain(t.notSavedCheck)
    expect(summary).toContain('<a href="#name">')
    expect(summary).toContain('<a href="#email">')
    expect(refused.text).toMatch(/id="email"[^>]*value="not an address"/)
    expect(addresses(refused.text)).toEqual({
      shown: `${team}?lang=en`,
      otherLanguage: `${team}?lang=de`,
    })
  })

  it('on a community’s overview: a new link, its period links on the overview’s address', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const overview = `/admin/communities/${community.id}`
    const refused = await post(`${overview}/links`, cookie, {
      _csrf: csrfOf((await page(overview, cookie)).text),
      label: 'Flyer',
      code: 'x',
    })
    expect(refused.status).toBe(400)
    expect(top(refused.text)).toContain('<a href="#code">')
    expect(refused.text.match(/id="code"/g)).toHaveLength(1)
    expect(addresses(refused.text).shown).toBe(overview)
    expect(refused.text).not.toContain(`${overview}/links?`)
  })
})
