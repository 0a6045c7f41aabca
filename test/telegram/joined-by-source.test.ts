import { describe, expect, it } from 'vitest'
import { call, createInvite, eventually } from '../worker/helpers'
import { signIn } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'
import { formSignUp, measured, statsPart } from './counted-support'

/**
 * The breakdowns by the link's own source and campaign count "joined" link by link, as the
 * funnel does: Telegram's verified joins (and its leaves) for a link into a Telegram chat, our
 * form's for a link into WhatsApp. The breakdowns by a visit's own dimensions (country, ...)
 * keep what our form sent on, and say that Telegram cannot break its joins down by them.
 */

/**
 * A community whose Telegram group has two links, `instagram`/`spring` (3 joins Telegram saw,
 * and one sign-up through our form) and `flyer`/`spring` (2 joins, one of them left again), and
 * whose announcement group, on WhatsApp, has a link `instagram`/`summer` with two sign-ups from
 * Germany that our form sent on.
 */
async function mixedCommunity() {
  const world = await telegramCommunity()
  const id = world.community.id
  const groupId = world.group.id
  const insta = await createInvite(id, {
    groupId,
    label: 'Insta',
    source: 'instagram',
    campaign: 'spring',
  })
  const flyer = await createInvite(id, {
    groupId,
    label: 'Flyer',
    source: 'flyer',
    campaign: 'spring',
  })
  const poster = await createInvite(id, {
    label: 'Poster',
    source: 'instagram',
    campaign: 'summer',
  })
  const instaUrl = await withTelegramLink(insta.id)
  const flyerUrl = await withTelegramLink(flyer.id)
  for (let i = 0; i < 3; i++)
    await postUpdate(
      memberUpdate(world.chatId, newUser('Insta'), 'joined', { inviteLink: instaUrl }),
    )
  const leaving = newUser('Gone again')
  const now = Math.floor(Date.now() / 1000)
  await postUpdate(
    memberUpdate(world.chatId, leaving, 'joined', { inviteLink: flyerUrl, date: now - 10 }),
  )
  await postUpdate(memberUpdate(world.chatId, newUser('Flyer'), 'joined', { inviteLink: flyerUrl }))
  await postUpdate(memberUpdate(world.chatId, leaving, 'left', { date: now }))
  await formSignUp(insta.code)
  await formSignUp(poster.code, 'DE')
  await formSignUp(poster.code, 'DE')
  await eventually(async () => {
    expect(await verifiedOf(insta.id)).toEqual({ joins: 3, leaves: 0 })
    expect(await verifiedOf(flyer.id)).toEqual({ joins: 2, leaves: 1 })
  })
  return { ...world, insta, flyer, poster }
}

/** A breakdown table on a stats page, from its heading to its end. */
function breakdown(html: string, heading: string): string {
  const start = html.indexOf(`<h2>${heading}</h2>`)
  expect(start, `a breakdown “${heading}”`).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</table>', start))
}

/** A breakdown table's column headings, in order. */
function columns(table: string): string[] {
  const head = table.slice(table.indexOf('<thead>'), table.indexOf('</thead>'))
  return [...head.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]!)
}

/** A breakdown row's cells, "label: text" (tags dropped), of the row with `value`. */
function row(table: string, value: string): string[] {
  const start = table.indexOf(`<bdi>${value}</bdi>`)
  expect(start, `a row “${value}”`).toBeGreaterThan(-1)
  const cells = table.slice(start, table.indexOf('</tr>', start))
  return [...cells.matchAll(/<td class="n" data-label="([^"]*)">([\s\S]*?)<\/td>/g)].map(
    (m) => `${m[1]}: ${m[2]!.replace(/<[^>]+>/g, '').trim()}`,
  )
}

interface ApiRow {
  value: string
  joins: number
  joined?: Record<string, unknown>
  verifiedRetention?: Record<string, unknown>
}

/** The API's breakdown rows of a dimension by value. */
function rowsOf(stats: { breakdowns: Record<string, ApiRow[]> }, dimension: string) {
  return Object.fromEntries(stats.breakdowns[dimension]!.map((r) => [r.value, r]))
}

describe('the breakdowns by source and campaign, with links into Telegram and into WhatsApp', () => {
  it('count each link’s joins where its people join, marked, on the community’s page', async () => {
    const { community } = await mixedCommunity()
    const { cookie } = await signIn()
    const { text, trips } = await measured(`/admin/communities/${community.id}`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    const sources = breakdown(text, 'By source')
    // The community has links both ways: its funnel's "joined" label, not our form's step.
    expect(columns(sources)).toEqual([
      'Source',
      'Visits',
      'Join requests',
      'Confirmed',
      'Joins',
      '7-day retention',
      'Left again',
    ])
    // 3 verified through the Telegram link and 2 our form sent on to WhatsApp; our form's
    // sign-up into the Telegram chat is not added.
    expect(row(sources, 'instagram')).toEqual([
      'Visits: 0',
      'Join requests: 3',
      'Confirmed: 3',
      'Joins: 5 of which 3 ✓ Telegram',
      expect.stringMatching(/^7-day retention: /),
      'Left again: 0',
    ])
    // Telegram's leave through the flyer link is the row's leave.
    expect(row(sources, 'flyer')).toEqual([
      'Visits: 0',
      'Join requests: 0',
      'Confirmed: 0',
      'Joins: 2 ✓ Telegram',
      expect.stringMatching(/^7-day retention: /),
      'Left again: 1',
    ])
    const campaigns = breakdown(text, 'By campaign')
    expect(row(campaigns, 'spring')).toContain('Joins: 5 ✓ Telegram')
    expect(row(campaigns, 'summer')).toContain('Joins: 2')
    // The visit's own dimensions stay what our form sent on, and the note says why.
    const countries = breakdown(text, 'By country')
    expect(columns(countries)).toContain('Sent on to the chat by our form')
    expect(row(countries, 'Germany')).toContain('Sent on to the chat by our form: 2')
    expect(text).toContain(
      'Country, device, referrer and way in count what our form sent on to the chat: Telegram reports a join with its link only and cannot break its joins down by these.',
    )
  })

  it('count a Telegram link’s own joins on its page, labelled verified, in German too', async () => {
    const { flyer } = await mixedCommunity()
    const { cookie } = await signIn()
    const { text, trips } = await measured(`/admin/links/${flyer.id}`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    const sources = breakdown(text, 'By source')
    expect(columns(sources)).toContain('Joined (verified by Telegram)')
    expect(columns(sources)).toContain('Left or removed (verified by Telegram)')
    expect(row(sources, 'flyer')).toContain('Joined (verified by Telegram): 2 ✓ Telegram')
    expect(row(sources, 'flyer')).toContain('Left or removed (verified by Telegram): 1')
    // Pages default to German: the tables and their note, with no English left.
    const deutsch = (await measured(`/admin/links/${flyer.id}`, cookie, 'de')).text
    expect(row(breakdown(deutsch, 'Nach Kampagne'), 'spring')).toContain(
      'Beigetreten (von Telegram verifiziert): 2 ✓ Telegram',
    )
    expect(deutsch).toContain(
      'Land, Gerät, verweisende Seite und Zugang zählen, was unser Formular zum Chat geschickt hat',
    )
    expect(englishLeftIn(readableText(statsPart(deutsch)))).toEqual([])
  })

  it('keep our form’s figures under a filter on a visit’s country, and say so', async () => {
    const { community } = await mixedCommunity()
    const { cookie } = await signIn()
    const { text, trips } = await measured(`/admin/communities/${community.id}?country=DE`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    const sources = breakdown(text, 'By source')
    expect(columns(sources)).toContain('Sent on to the chat by our form')
    expect(row(sources, 'instagram')).toContain('Sent on to the chat by our form: 2')
    expect(sources).not.toContain('✓ Telegram')
    expect(text).toContain(
      'These tables count what our form saw: Telegram reports a join with its link only and cannot break its joins down by country, device, referrer or way in.',
    )
  })

  it('give the stats API’s source and campaign rows a `joined`, beside our form’s `joins`', async () => {
    const { community, insta } = await mixedCommunity()
    const { text, trips } = await measured(`/api/communities/${community.id}/stats`)
    expect(trips).toBeLessThanOrEqual(2)
    const stats = JSON.parse(text)
    const sources = rowsOf(stats, 'source')
    expect(sources.instagram).toMatchObject({
      joins: 3,
      joined: {
        countedBy: 'both',
        joins: 5,
        verifiedByTelegram: 3,
        sentOnByOurForms: 2,
        conversionRate: 0,
      },
    })
    expect(sources.flyer).toMatchObject({
      joins: 0,
      joined: { countedBy: 'telegram', joins: 2, verifiedByTelegram: 2, sentOnByOurForms: 0 },
      // Its retention as Telegram saw it: both joins today, none old enough to tell yet.
      verifiedRetention: {
        observedBy: 'telegram',
        joins: 2,
        joinedAtLeast7DaysAgo: 0,
        retention7Days: null,
        firstJoinDay: expect.any(String),
      },
    })
    const campaigns = rowsOf(stats, 'campaign')
    expect(campaigns.spring!.joined).toMatchObject({ countedBy: 'telegram', joins: 5 })
    expect(campaigns.summer!.joined).toEqual({
      countedBy: 'our_forms',
      joins: 2,
      verifiedByTelegram: 0,
      sentOnByOurForms: 2,
      conversionRate: 0,
    })
    // The visit's own dimensions have no `joined`: Telegram's joins cannot be broken down so.
    expect(rowsOf(stats, 'country').DE).toMatchObject({ joins: 2 })
    expect(rowsOf(stats, 'country').DE!.joined).toBeUndefined()
    // A link's own answer: its one source, counted by Telegram.
    const link = (await call('GET', `/api/invites/${insta.id}/stats`)).json
    expect(rowsOf(link, 'source').instagram).toMatchObject({
      joins: 1,
      joined: { countedBy: 'telegram', joins: 3, verifiedByTelegram: 3 },
    })
  })

  it('answer `joined.joins` null under a filter on a visit’s dimension, where Telegram counts', async () => {
    const { community } = await mixedCommunity()
    const { text, trips } = await measured(`/api/communities/${community.id}/stats?country=DE`)
    expect(trips).toBeLessThanOrEqual(2)
    const stats = JSON.parse(text)
    expect(rowsOf(stats, 'source').instagram!.joined).toEqual({
      countedBy: 'both',
      joins: null,
      verifiedByTelegram: 3,
      sentOnByOurForms: 2,
      conversionRate: null,
      notFilteredBy: ['country'],
    })
    // A value whose links all lead into WhatsApp still counts our form's joins under it.
    expect(rowsOf(stats, 'campaign').summer!.joined).toMatchObject({
      countedBy: 'our_forms',
      joins: 2,
    })
  })
})
