import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { call, createCommunity, createInvite, eventually, query, visit } from '../worker/helpers'
import { createDb } from '../../src/db/client'
import { statsQueries } from '../../src/services/stats-api'
import { page, signIn } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'
import {
  formSignUp,
  german,
  homeRow,
  measured,
  statsPart,
  telegramLinkWithJoins,
} from './counted-support'

/**
 * What a marketer of a Telegram community reads first: the funnel of a link and of the
 * community, the links table, the home page and the stats API count as joined whom Telegram
 * reported joining through each link into a Telegram chat, labelled as verified by Telegram.
 * Our form's sign-ups through such a link stay a step before the join and are never added to
 * it; a link into WhatsApp counts our form's joins as before.
 */

/** Another link on the community's Telegram group, `joins` people joining through it; its id. */
async function telegramLinkOnGroup(communityId: string, groupId: string, joins: number) {
  const invite = await createInvite(communityId, { groupId, label: 'Forwarded' })
  const url = await withTelegramLink(invite.id)
  const [row] = await query<{ chatId: number }>(
    'select telegram_chat_id as chatId from groups where id = ?',
    groupId,
  )
  for (let i = 0; i < joins; i++)
    await postUpdate(memberUpdate(row!.chatId, newUser('Forwarded'), 'joined', { inviteLink: url }))
  await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(joins))
  return invite.id
}

/** The joins chart's series on a stats page: each one's name and its sum over the days. */
function joinsChart(html: string, title = 'Joins by day'): Record<string, number> {
  const start = html.indexOf(`<caption>${title}</caption>`)
  expect(start, `a chart “${title}”`).toBeGreaterThan(-1)
  const table = html.slice(start, html.indexOf('</table>', start))
  const names = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]!).slice(1)
  const sums = names.map(() => 0)
  for (const row of table.split('<th scope="row">').slice(1))
    [...row.matchAll(/<td>([^<]*)<\/td>/g)].forEach((m, i) => (sums[i]! += Number(m[1])))
  return Object.fromEntries(names.map((name, i) => [name, sums[i]!]))
}

/** A links table's row of a link, up to its end. */
function linkRow(html: string, inviteId: string): string {
  const start = html.indexOf(`<a href="/admin/links/${inviteId}">`)
  expect(start, `${inviteId} in the links table`).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</tr>', start))
}

/** The funnel's steps on a stats page, "label: figure", in order. */
function funnelSteps(html: string): string[] {
  const funnel = html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</ol>'))
  return [...funnel.matchAll(/<span class="label">([^<]+)<\/span><b>([^<]+)<\/b>/g)].map(
    (m) => `${m[1]}: ${m[2]}`,
  )
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
      // No join old enough to tell yet.
      'Still in the chat after 7 days (verified by Telegram): not yet',
      'Still in the chat after 30 days (verified by Telegram): not yet',
      'Left or removed (verified by Telegram): 0',
    ])
    expect(english).not.toContain(DASHBOARD_WORDS.en.whatsappInferred)
    // Its leaves are counted on the day they happen: said so, and no share of the joins.
    const left = english.slice(english.indexOf('Left or removed (verified by Telegram)'))
    expect(left.slice(0, left.indexOf('</li>'))).toContain('Counted on the day they left')
    expect(left.slice(0, left.indexOf('</li>'))).not.toContain('of Joined')
    // The link's page leads straight to Telegram, past our form: its sign-ups are no share of
    // the visits, and nobody is said to have dropped off there.
    const requests = english.slice(english.indexOf('<span class="label">Join requests'))
    expect(requests.slice(0, requests.indexOf('</li>'))).toContain('past the form')
    expect(requests.slice(0, requests.indexOf('</li>'))).not.toContain('drop-off')
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
    // Every join shown is one Telegram observed: the note that figures are inferred stands only
    // under the groups (the announcement group, on WhatsApp, counts its members from our
    // forms), not under the funnel.
    expect(overview.text.split(DASHBOARD_WORDS.en.whatsappInferred)).toHaveLength(2)
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
    // Its chats are none of Telegram's: no joins through other routes to tell of.
    const whole = await call('GET', `/api/communities/${community.id}/stats`)
    expect(whole.json.joined.countedBy).toBe('our_forms')
    expect(whole.json.otherRoutes).toBeUndefined()
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

describe('Telegram’s joins under a filter on a visit’s country, device, referrer or way in', () => {
  /** Two sign-ups from Germany on a Telegram link, both then joining through it. */
  async function twoGermanJoins() {
    const world = await telegramLinkWithJoins(0)
    for (const name of ['Anna', 'Ben']) {
      await formSignUp(world.invite.code, 'DE')
      await postUpdate(
        memberUpdate(world.chatId, newUser(name), 'joined', { inviteLink: world.url }),
      )
    }
    await eventually(async () => expect((await verifiedOf(world.invite.id)).joins).toBe(2))
    return world
  }

  it('are not filtered as if they could be: the API says which filters they did not take', async () => {
    const { community, invite } = await twoGermanJoins()
    const path = `/api/invites/${invite.id}/stats`
    const all = await call('GET', path)
    expect(all.json.joined).toMatchObject({
      countedBy: 'telegram',
      joins: 2,
      verifiedByTelegram: 2,
    })
    expect(all.json.joined.notFilteredBy).toBeUndefined()
    for (const country of ['DE', 'XX']) {
      for (const scope of [path, `/api/communities/${community.id}/stats`]) {
        const filtered = await call('GET', `${scope}?country=${country}`)
        expect(filtered.status, filtered.text).toBe(200)
        // Telegram's joins are those through the link in every country, and said to be; how
        // many joined from one country cannot be told.
        expect(filtered.json.joined).toEqual({
          countedBy: 'telegram',
          joins: null,
          verifiedByTelegram: 2,
          sentOnByOurForms: 0,
          conversionRate: null,
          notFilteredBy: ['country'],
        })
        expect(filtered.json.verifiedRetention).toMatchObject({
          joins: 2,
          notFilteredBy: ['country'],
        })
        // Our form's figures take the filter; Telegram's, in the totals too, do not.
        expect(filtered.json.totals).toMatchObject({
          joinRequests: country === 'DE' ? 2 : 0,
          joins: country === 'DE' ? 2 : 0,
          verifiedJoins: 2,
        })
        expect(filtered.json.byDay.map((d: { verifiedJoins: number }) => d.verifiedJoins)).toEqual([
          2,
        ])
      }
    }
    // The link's source is the link's own: Telegram's joins take that filter.
    const otherSource = await call('GET', `${path}?source=elsewhere&device=mobile`)
    expect(otherSource.json.joined).toMatchObject({
      verifiedByTelegram: 0,
      notFilteredBy: ['device'],
    })
  })

  it('end the funnel at what our form sent on, and show apart, unfiltered, in German and English', async () => {
    const { invite } = await twoGermanJoins()
    const { cookie } = await signIn()
    const { text: english, trips } = await measured(`/admin/links/${invite.id}?country=DE`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    expect(funnelSteps(english)).toEqual([
      'Visits: 0',
      'Join requests: 2',
      'Confirmed: 2',
      'Sent on to the chat by our form: 2',
    ])
    expect(english).toContain('Filtered by country, the funnel ends here')
    // Telegram's figures beside it: the link's two joins, not broken down by country.
    const seen = english.slice(english.indexOf('<div class="telegram-seen">'))
    expect(seen).toContain('Not broken down by country')
    expect(seen).toMatch(/Joined \(seen by Telegram\)<\/th>\s*<td class="n">2</)
    expect(joinsChart(english)).toEqual({ 'Sent on to the chat by our form': 2 })
    // Filtered to where Telegram stores its joins, nothing of ours, and still no joins claimed.
    const unknown = (await measured(`/admin/links/${invite.id}?country=XX`, cookie)).text
    expect(funnelSteps(unknown)).toEqual([
      'Visits: 0',
      'Join requests: 0',
      'Confirmed: 0',
      'Sent on to the chat by our form: 0',
    ])
    const deutsch = await german(`/admin/links/${invite.id}?country=DE&device=mobile`, cookie)
    expect(deutsch).toContain('Mit dem Filter nach Land und Gerät endet der Trichter hier')
    expect(deutsch).toContain('Nicht nach Land und Gerät aufgeschlüsselt')
    expect(englishLeftIn(readableText(statsPart(deutsch)))).toEqual([])
  })

  it('are left out of the links table (–), which sorts by what it can tell', async () => {
    const { community, invite } = await twoGermanJoins()
    // A WhatsApp link (into the announcement group) with one sign-up from Germany.
    const whatsapp = await createInvite(community.id, { label: 'WhatsApp poster' })
    await formSignUp(whatsapp.code, 'DE')
    const { cookie } = await signIn()
    const page = `/admin/communities/${community.id}?country=DE`
    const { text, trips } = await measured(`${page}&sort=joins`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    expect(linkRow(text, invite.id)).toContain(
      'data-label="Joins" title="cannot be broken down by country">–</td>',
    )
    expect(linkRow(text, invite.id)).not.toContain('✓ Telegram')
    expect(linkRow(text, whatsapp.id)).toContain('data-label="Joins">1</td>')
    expect(text.indexOf(linkRow(text, whatsapp.id))).toBeLessThan(
      text.indexOf(linkRow(text, invite.id)),
    )
    expect(text).toContain('cannot be broken down by country; without that filter')
    // The community's funnel too ends at what our form sent on, both links' sign-ups.
    expect(funnelSteps(text).at(-1)).toBe('Sent on to the chat by our form: 3')
    const deutsch = await german(page, cookie)
    expect(deutsch).toContain('lassen sich nicht nach Land aufschlüsseln')
  })
})

describe('a community with groups on Telegram and on WhatsApp', () => {
  it('is counted by both before any figure, not by Telegram alone', async () => {
    // Its announcement group is on WhatsApp, its other group in a Telegram chat.
    const { community } = await telegramCommunity()
    const stats = await call('GET', `/api/communities/${community.id}/stats`)
    expect(stats.json.joined).toMatchObject({ countedBy: 'both', joins: 0 })
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(funnelSteps(overview)).toContain('Joins: 0')
    expect(funnelSteps(overview)).not.toContain('Joined (verified by Telegram): 0')
  })

  it('charts its joins in the parts that add up to the funnel’s joins', async () => {
    const { community, invite } = await telegramLinkWithJoins(3)
    await formSignUp(invite.code)
    const whatsapp = await createInvite(community.id, { label: 'WhatsApp poster' })
    await formSignUp(whatsapp.code)
    await formSignUp(whatsapp.code)
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(funnelSteps(overview)).toContain('Joins: 5')
    // 3 verified through the Telegram link and 2 sent on to WhatsApp: the 5 joins, and our
    // form's sign-up into the Telegram chat is not stacked on them.
    expect(joinsChart(overview)).toEqual({
      'Joined (verified by Telegram)': 3,
      'Joined (sent on to WhatsApp by our form)': 2,
    })
    const deutsch = await german(`/admin/communities/${community.id}`, cookie)
    expect(joinsChart(deutsch, 'Beitritte pro Tag')).toEqual({
      'Beigetreten (von Telegram verifiziert)': 3,
      'Beigetreten (von unserem Formular zu WhatsApp geschickt)': 2,
    })
    // A link into Telegram alone: its chart is Telegram's joins, as its funnel.
    const link = (await page(`/admin/links/${invite.id}`, cookie)).text
    expect(joinsChart(link)).toEqual({ 'Joined (verified by Telegram)': 3 })
  })
})

describe('what a Telegram join counts, said truly', () => {
  it('counts each join, a rejoin again, and says so', async () => {
    const { invite, chatId, url } = await telegramLinkWithJoins(0)
    const person = newUser('Back again')
    const now = Math.floor(Date.now() / 1000)
    await postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url, date: now - 20 }))
    await postUpdate(memberUpdate(chatId, person, 'left', { date: now - 10 }))
    await postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url, date: now }))
    await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(2))
    const { cookie } = await signIn()
    const english = (await page(`/admin/links/${invite.id}`, cookie)).text
    expect(funnelSteps(english)).toContain('Joined (verified by Telegram): 2')
    expect(english).toContain('someone who leaves and joins again counts twice')
    expect(english).not.toContain('counts once here')
    const deutsch = await german(`/admin/links/${invite.id}`, cookie)
    expect(deutsch).toContain('wer austritt und wieder beitritt, zählt zweimal')
  })

  it('marks a conversion above 100 % in the links table, from joins past our page', async () => {
    const { community, invite } = await telegramLinkWithJoins(3)
    await visit(`/i/${invite.code}`)
    await eventually(async () => {
      const stats = await call('GET', `/api/invites/${invite.id}/stats`)
      expect(stats.json.totals.uniqueVisitors).toBe(1)
    })
    // A link with joins and no visitor at all: no conversion to tell.
    const forwarded = await telegramLinkOnGroup(community.id, invite.groupId!, 2)
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(linkRow(overview, invite.id)).toContain(
      'data-label="Conversion">300%<small class="muted" title="more joins than visitors">*</small>',
    )
    expect(linkRow(overview, forwarded)).toContain(
      'data-label="Conversion">–<small class="muted" title="more joins than visitors">*</small>',
    )
    expect(overview).toContain('* More joins than visitors: people joined through the Telegram')
    const deutsch = await german(`/admin/communities/${community.id}`, cookie)
    expect(deutsch).toContain('* Mehr Beitritte als Besucher')
  })
})

describe('the stats API, with Telegram configured', () => {
  it('sums its links in SQL: one row, however many links, and a link’s answer in two round trips', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const links = await Promise.all(
      ['A', 'B', 'C'].map((label) => createInvite(community.id, { groupId: group.id, label })),
    )
    for (const link of links) {
      const url = await withTelegramLink(link.id)
      await postUpdate(memberUpdate(chatId, newUser('Member'), 'joined', { inviteLink: url }))
    }
    await eventually(async () => {
      const seen = await Promise.all(links.map((link) => verifiedOf(link.id)))
      expect(seen.map((s) => s.joins)).toEqual([1, 1, 1])
    })
    const db = createDb(env.DB)
    const today = new Date().toISOString().slice(0, 10)
    const q = statsQueries(db, { communityId: community.id }, { from: today, to: today }, {}, today)
    expect(await q.joined).toEqual([
      expect.objectContaining({ links: 3, telegramLinks: 3, verifiedByTelegram: 3, joins: 3 }),
    ])
    const answer = await call('GET', `/api/communities/${community.id}/stats?country=DE`)
    expect(answer.json.joined).toMatchObject({ verifiedByTelegram: 3 })
    const link = await measured(`/api/invites/${links[0]!.id}/stats`)
    expect(link.trips).toBeLessThanOrEqual(2)
    expect(JSON.parse(link.text).joined).toMatchObject({ countedBy: 'telegram', joins: 1 })
    // The community's answer, with the joins through no link of ours, in the same two.
    const whole = await measured(`/api/communities/${community.id}/stats`)
    expect(whole.trips).toBeLessThanOrEqual(2)
    expect(JSON.parse(whole.text)).toMatchObject({
      joined: { countedBy: 'telegram', joins: 3 },
      otherRoutes: { verifiedJoins: 0, verifiedLeaves: 0 },
    })
  })
})
