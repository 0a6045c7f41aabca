import { expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { call } from './helpers'
import { page, signIn } from './dashboard-helpers'

/** The webhooks page says what an endpoint receives in words, the wildcard too. */
it('shows an endpoint subscribed to everything as every event, not as a bare asterisk', async () => {
  const created = await call('POST', '/api/webhooks', {
    body: { url: 'https://hooks.example.com/everything', events: ['*'] },
  })
  expect(created.status, created.text).toBe(201)
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const section = html.slice(html.indexOf('https://hooks.example.com/everything'))
  expect(section).toContain(DASHBOARD_WORDS.en.allEvents)
  expect(section).not.toContain('<code>*</code>')
})
