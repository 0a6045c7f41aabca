import { describe, expect, it } from 'vitest'
import { MESSAGES } from '../../src/lib/i18n'
import { visit } from './helpers'
import { page, signIn } from './dashboard-helpers'

/**
 * A dashboard page that is not there (a link deleted since, a bookmark of an erased member's
 * community, a mistyped address) used to answer with the members' page, "ask for a new link",
 * and no way on: the admin gets a way back to the dashboard instead.
 */

describe('a dashboard page that does not exist', () => {
  it('says so in the admin’s words and leads back to the dashboard', async () => {
    const { cookie } = await signIn()
    for (const path of [
      '/admin/links/inv_0000000000000000000000000x',
      '/admin/communities/cmt_0000000000000000000000000z',
      '/admin/no-such-page',
    ]) {
      const answer = await page(path, cookie)
      expect(answer.status, path).toBe(404)
      expect(answer.text).toContain(MESSAGES.en.dashboardNotFoundText.replace(/'/g, '&#39;'))
      expect(answer.text).not.toContain(MESSAGES.en.notFoundText)
      expect(answer.text).toMatch(/<a class="cta" href="\/admin">To the dashboard<\/a>/)
    }
  })

  it('leaves the members’ pages as they were: no way into the dashboard from a broken link', async () => {
    const answer = await visit('/i/no-such-code', { 'accept-language': 'de' })
    expect(answer.status).toBe(404)
    expect(answer.text).toContain(MESSAGES.de.notFoundText)
    expect(answer.text).not.toContain('href="/admin"')
  })
})
