import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import {
  BASE,
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
} from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'

/**
 * What a marketer of a Telegram community reads first: the funnel of a link and of the
 * community, the links table, the home page and the stats API count as joined whom Telegram
 * reported joining through each link into a Telegram chat, labelled as verified by Telegram.
 * Our form's sign-ups through such a link stay a step before the join and are never added to
 * it; a link into WhatsApp counts our form's joins as before.
 */

/** A link on a Telegram group, with `joins` people Telegram saw join through it. */
async function telegramLinkWithJoins(joins: number) {
  const world = await telegramCommunity()
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'Steg' })
  const url = await withTelegramLink(invite.id)
  for (let i = 0; i < joins; i++)
    await postUpdate(memberUpdate(world.chatId, newUser('Paddler'), 'joined', { inviteLink: url }))
  await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(joins))
  return { ...world, invite, url }
}

/** Someone signs up through our form on the link (single opt-in: sent on to the chat at once). */
async function formSignUp(code: string) {
  const answer = await joinJson(code, { name: 'Form Person', phone: newPhone() })
  expect(answer.status, answer.text).toBe(201)
}

/** The funnel's steps on a stats page, "label: figure", in order. */
function funnelSteps(html: string): string[] {
  const funnel = html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</ol>'))
  return [...funnel.matchAll(/<span class="label">([^<]+)<\/span><b>([^<]+)<\/b>/g)].map(
    (m) => `${m[1]}: ${m[2]}`,
  )
}

/** A page's stats and what follows them: the figures, not the test's own names above them. */
function statsPart(html: string): string {
  return html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</main>'))
}

/** A dashboard page in German, as a browser set to German (or to nothing) opens it. */
async function german(path: string, cookie: string) {
  const answer = await call('GET', path, { token: null, headers: { cookie, accept: 'text/html' } })
  expect(answer.status, answer.text.slice(0, 300)).toBe(200)
  return answer.text
}

/** A dashboard page straight from the Worker, with the D1 round trips it took. */
async function measured(path: string, cookie: string) {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request(BASE + path, {
      headers: { cookie, accept: 'text/html', 'accept-language': 'en' },
    }),
    { ...env, D1_ROUND_TRIP_HEADER: 'true' },
    ctx,
  )
  const text = await response.text()
  await waitOnExecutionContext(ctx)
  expect(response.status, text.slice(0, 300)).toBe(200)
  const trips = response.headers.get('x-d1-round-trips')
  expect(trips, 'the answer counts its round trips').toMatch(/^\d+$/)
  return { text, trips: Number(trips) }
}

/** The home page's row of a community, up to its end. */
function homeRow(html: string, name: string): string {
  const start = html.indexOf(`<bdi>${name}</bdi></a></td>`)
  expect(start, `${name} on the home page`).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</tr>', start))
}

describe('a Telegram community’s joins, as Telegram verified them', () => {
  it('are the joined step of a link’s funnel, our form’s sign-ups a step before, never added', async () => {
    const { invite, chatId, url } = await telegramLinkWithJoins(3)
    // One person signs up through our form, then joins through the Telegram link: one sign-up,
    // one verified join, not two joins.
    await formSignUp(invite.code)
    await postUpdate(memberUpdate(chatId, newUser('Signed up'), 'joined', { inviteLink: url }))
    await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(4))
    const { cookie } = await signIn()
    const { text: english, trips } = await measured(`/admin/links/${invite.id}`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    expect(funnelSteps(english)).toEqual([
      'Visits: 0',
      'Join requests: 1',
      'Confirmed: 1',
      'Sent on to the chat by our form: 1',
      'Joined (verified by Telegram): 4',
      'Still in the chat after 7 days (verified by Telegram): not yet',
      'Still in the chat after 30 days (verified by Telegram): not yet',
      'Left or removed (verified by Telegram): 0',
    ])
    expect(english).not.toContain(DASHBOARD_WORDS.en.whatsappInferred)
    // Pages default to German: the same funnel in German, with no English left.
    const deutsch = await german(`/admin/links/${invite.id}`, cookie)
    expect(funnelSteps(deutsch)).toContain('Beigetreten (von Telegram verifiziert): 4')
    expect(funnelSteps(deutsch)).toContain('Von unserem Formular zum Chat geschickt: 1')
    expect(englishLeftIn(readableText(statsPart(deutsch)))).toEqual([])
  })

  it('show on the community’s funnel and links table, marked, in the page’s two round trips', async () => {
    const { community, invite } = await telegramLinkWithJoins(5)
    const quiet = await createInvite(community.id, { label: 'Stiller Aushang' })
    const { cookie } = await signIn()
    const overview = await measured(`/admin/communities/${community.id}`, cookie)
    expect(overview.trips).toBeLessThanOrEqual(2)
    expect(funnelSteps(overview.text)).toContain('Joined (verified by Telegram): 5')
    const row = (id: string) => {
      const start = overview.text.indexOf(`<a href="/admin/links/${id}">`)
      return overview.text.slice(start, overview.text.indexOf('</tr>', start))
    }
    expect(row(invite.id)).toMatch(
      /data-label="Joins">5 <small class="muted" title="verified by Telegram">✓ Telegram<\/small>/,
    )
    // A link without figures in the period claims nothing.
    expect(row(quiet.id)).toContain('data-label="Joins">0</td>')
    expect(overview.text).toContain('✓ Telegram: the link’s joins, conversion and retention')
    // Sorted by joins, the link Telegram counted five for comes first.
    const sorted = (await page(`/admin/communities/${community.id}?sort=joins`, cookie)).text
    expect(sorted.indexOf(invite.id)).toBeLessThan(sorted.indexOf(quiet.id))
    const deutsch = await german(`/admin/communities/${community.id}`, cookie)
    expect(deutsch).toContain('title="von Telegram verifiziert">✓ Telegram</small>')
    expect(englishLeftIn(readableText(statsPart(deutsch)))).toEqual([])
  })

  it('are the home page’s joins of the week for that community, marked', async () => {
    const { community } = await telegramLinkWithJoins(2)
    const { cookie } = await signIn()
    const home = (await page('/admin', cookie)).text
    expect(homeRow(home, community.name)).toContain(
      'data-label="Joins, 7 days">2 <small class="muted" title="verified by Telegram">✓ Telegram</small>',
    )
    expect(home).toContain('✓ Telegram: joins Telegram itself reported')
    const deutsch = await german('/admin', cookie)
    expect(homeRow(deutsch, community.name)).toContain('>2 <small')
    expect(deutsch).toContain('✓ Telegram: Beitritte, die Telegram selbst')
  })

  it('are the stats API’s `joined`, counted by Telegram, apart from our form’s `joins`', async () => {
    const { community, invite } = await telegramLinkWithJoins(3)
    await formSignUp(invite.code)
    for (const path of [
      `/api/invites/${invite.id}/stats`,
      `/api/communities/${community.id}/stats`,
    ]) {
      const stats = await call('GET', path)
      expect(stats.status, stats.text).toBe(200)
      expect(stats.json.joined).toEqual({
        countedBy: 'telegram',
        joins: 3,
        verifiedByTelegram: 3,
        sentOnByOurForms: 0,
        conversionRate: 0,
      })
      // Our form's figure stays what it was: the sign-up it sent on, a step before the join.
      expect(stats.json.totals).toMatchObject({ joins: 1, verifiedJoins: 3 })
    }
    // A new link on the group, nothing through it yet: still counted by Telegram.
    const fresh = await createInvite(community.id, { groupId: invite.groupId!, label: 'New' })
    const none = await call('GET', `/api/invites/${fresh.id}/stats`)
    expect(none.json.joined).toMatchObject({ countedBy: 'telegram', joins: 0 })
  })

  it('add up with a WhatsApp link’s joins in a community that has both, each said apart', async () => {
    const { community, invite } = await telegramLinkWithJoins(3)
    // A link without a group leads into the announcement group, here a WhatsApp group.
    const whatsapp = await createInvite(community.id, { label: 'WhatsApp poster' })
    await formSignUp(whatsapp.code)
    await formSignUp(whatsapp.code)
    const stats = await call('GET', `/api/communities/${community.id}/stats`)
    expect(stats.json.joined).toMatchObject({
      countedBy: 'both',
      joins: 5,
      verifiedByTelegram: 3,
      sentOnByOurForms: 2,
    })
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(funnelSteps(overview)).toContain('Joins: 5')
    expect(funnelSteps(overview)).toContain('Sent on to the chat by our form: 2')
    expect(overview).toContain(
      '3 verified by Telegram (links into Telegram chats), 2 sent on to WhatsApp by our form (inferred).',
    )
    expect(overview).toContain(DASHBOARD_WORDS.en.whatsappInferred)
    const home = (await page('/admin', cookie)).text
    expect(homeRow(home, community.name)).toContain('>5 <small')
    expect(homeRow(home, community.name)).toContain('of which 3 ✓ Telegram')
    expect((await page(`/admin/links/${invite.id}`, cookie)).text).toContain(
      'Joined (verified by Telegram)',
    )
  })
})

describe('a WhatsApp community, with Telegram configured', () => {
  it('counts our form’s joins as before, labelled inferred, and says so in the API', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Poster' })
    await formSignUp(invite.code)
    await formSignUp(invite.code)
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.joined).toEqual({
      countedBy: 'our_forms',
      joins: 2,
      verifiedByTelegram: 0,
      sentOnByOurForms: 2,
      conversionRate: 0,
    })
    expect(stats.json.totals.joins).toBe(2)
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(funnelSteps(overview)).toEqual([
      'Visits: 0',
      'Join requests: 2',
      'Confirmed: 2',
      'Joins: 2',
      'Still a member after 7 days: not yet',
      'Still a member after 30 days: not yet',
      'Left again: 0',
    ])
    expect(overview).toContain(DASHBOARD_WORDS.en.whatsappInferred)
    expect(overview).not.toContain('✓ Telegram')
    const home = (await page('/admin', cookie)).text
    expect(homeRow(home, community.name)).toContain('data-label="Joins, 7 days">2</td>')
  })
})
