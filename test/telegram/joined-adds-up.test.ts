import { describe, expect, it } from 'vitest'
import { createCommunity, createInvite, eventually, query, visit } from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { timeLeftInTest } from '../support/eventually'
import { englishLeftIn, readableText } from '../support/language'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { verifiedOf, withTelegramLink } from './support'
import { formSignUp, german, homeRow, measured, telegramLinkWithJoins } from './counted-support'

/**
 * Figures a marketer adds up on the dashboard: the funnel's joins are the links table's and
 * what the links it leaves out brought; the home page's total is its communities' joins, marked
 * as they are.
 */

/** The line under an overview's links table about the links it leaves out, as HTML. */
function notListedHtml(html: string): string {
  const start = html.indexOf('<p class="muted" id="links-not-listed">')
  return start < 0 ? '' : html.slice(start, html.indexOf('</p>', start))
}

/** That line as it reads on the page. */
function notListed(html: string): string {
  return notListedHtml(html)
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

describe('the links table of a Telegram community', () => {
  it('says what members’ referral links brought, Telegram’s joins marked, in German too', async () => {
    const { community, chatId } = await telegramLinkWithJoins(2)
    // Those who joined are members, each with a referral link of their own into the chat.
    const referral = await eventually(async () => {
      const [row] = await query<{ id: string; code: string }>(
        `select id, code from invites where community_id = ? and referrer_member_id is not null
         order by id limit 1`,
        community.id,
      )
      expect(row).toBeDefined()
      return row!
    })
    const url = await withTelegramLink(referral.id)
    for (let i = 0; i < 3; i++)
      await postUpdate(memberUpdate(chatId, newUser('Friend'), 'joined', { inviteLink: url }))
    await eventually(async () => expect((await verifiedOf(referral.id)).joins).toBe(3))
    await visit(`/i/${referral.code}`)
    const { cookie } = await signIn()
    const overview = `/admin/communities/${community.id}`
    // The visit reaches the rollups through the visits queue.
    await expect
      .poll(async () => notListed((await page(overview, cookie)).text), {
        timeout: timeLeftInTest(),
        interval: 250,
      })
      .toBe(
        'Counted in the funnel above, not listed here: 1 visit and 3 joins (✓ Telegram) through members’ referral links.',
      )
    // Still the page's two round trips: the referral links are told apart in its stats' read.
    const { text, trips } = await measured(overview, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    expect(text).toContain('Joined (verified by Telegram)</span><b>5</b>')
    const deutsch = await german(overview, cookie)
    expect(notListed(deutsch)).toBe(
      'Im Trichter oben gezählt, hier nicht aufgeführt: 1 Besuch und 3 Beitritte (✓ Telegram) über Empfehlungslinks von Mitgliedern.',
    )
    expect(englishLeftIn(readableText(notListedHtml(deutsch)))).toEqual([])
    // Under a filter on a visit's device, Telegram's joins cannot be told: the visits only.
    expect(notListed((await page(`${overview}?device=mobile`, cookie)).text)).toBe(
      'Counted in the funnel above, not listed here: 1 visit (joins cannot be broken down by device) through members’ referral links.',
    )
  }, 30_000)
})

describe('the home page’s joins of the week', () => {
  it('add up its communities’ joins, marked with how many of them Telegram verified', async () => {
    await telegramLinkWithJoins(3)
    const whatsapp = await createCommunity()
    const poster = await createInvite(whatsapp.id, { label: 'Poster' })
    await formSignUp(poster.code)
    await formSignUp(poster.code)
    const { cookie } = await signIn()
    const home = (await page('/admin', cookie)).text
    expect(homeRow(home, whatsapp.name)).toContain('data-label="Joins, 7 days">2</td>')
    // Every community's joins as its row shows them: all Telegram's, some, or none.
    let joins = 0
    let verified = 0
    for (const [, n, mark, some] of home.matchAll(
      /data-label="Joins, 7 days">(\d+)(?: <small class="muted" title="verified by Telegram">(✓ Telegram|of which (\d+) ✓ Telegram)<\/small>)?<\/td>/g,
    )) {
      joins += Number(n)
      verified += mark === undefined ? 0 : mark === '✓ Telegram' ? Number(n) : Number(some)
    }
    expect(verified).toBeGreaterThanOrEqual(3)
    expect(joins).toBeGreaterThan(verified)
    expect(home).toContain(
      `<span class="muted">Joins, 7 days</span><b>${joins}</b><small class="muted" title="verified by Telegram">of which ${verified} ✓ Telegram</small>`,
    )
    const deutsch = await german('/admin', cookie)
    expect(deutsch).toContain(
      `<span class="muted">Beitritte, 7 Tage</span><b>${joins}</b><small class="muted" title="von Telegram verifiziert">davon ${verified} ✓ Telegram</small>`,
    )
  })
})
