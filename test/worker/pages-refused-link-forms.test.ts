import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { createCommunity, createInvite } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * A link's page holds its QR designer, its settings and a form to copy it, one below the other:
 * on a phone a refused form comes back with the reader at the top, a screen or two above the
 * message next to the field. The top says it was not saved, and leads to each refused field.
 */

const t = DASHBOARD_WORDS.en

/** The refusal as the reader meets it first: what stands above the link's QR designer. */
function aboveTheDesigner(html: string): string {
  const main = html.slice(html.indexOf('<main'))
  return main.slice(0, main.indexOf('id="qr-design"'))
}

describe('a refused form on a link’s page', () => {
  it('says at the top that the settings were not saved, and links to the refused field', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Bakery flyer', source: 'flyer' })
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/links/${invite.id}`, cookie)).text)

    const past = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Bakery flyer',
      validUntil: '2020-01-01',
    })
    expect(past.status).toBe(400)
    const top = aboveTheDesigner(past.text)
    expect(top).toContain('role="alert"')
    expect(top).toContain(t.notSavedCheck)
    expect(top).toContain('<a href="#edit-validUntil">This day is in the past.</a>')
    // The field it leads to is there, marked.
    expect(past.text).toMatch(/id="edit-validUntil"[^>]*aria-invalid="true"/)
  })

  it('does the same for a copy without its channel, and says nothing after a saved form', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Stage', source: 'event' })
    const { cookie } = await signIn()
    const csrf = csrfOf((await page(`/admin/links/${invite.id}`, cookie)).text)

    const noSource = await post(`/admin/links/${invite.id}/duplicate`, cookie, { _csrf: csrf })
    expect(noSource.status).toBe(400)
    expect(aboveTheDesigner(noSource.text)).toContain('href="#copy-source"')
    expect(noSource.text).toContain('id="copy-source"')

    const saved = await post(`/admin/links/${invite.id}/edit`, cookie, {
      _csrf: csrf,
      label: 'Main stage',
    })
    expect(saved.status).toBe(303)
    const after = await page(new URL(saved.headers.get('location')!, 'https://x').pathname, cookie)
    expect(after.text).not.toContain(t.notSavedCheck)
  })
})
