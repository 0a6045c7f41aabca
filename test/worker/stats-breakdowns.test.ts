import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { addDays, utcDay } from '../../src/lib/time'
import { findInviteByCode } from '../../src/services/invites'
import { join } from '../../src/services/joining'
import { endMembership } from '../../src/services/leaving'
import { recordVisits } from '../../src/services/visits'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  expectProblem,
  newPhone,
  query,
  visit,
} from './helpers'
import { page, signIn } from './dashboard-helpers'

const PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36'
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36'
const today = utcDay(new Date())

interface Row {
  value: string
  visits: number
  joinRequests: number
  confirmations: number
  joins: number
  leaves: number
  joinedAtLeast7DaysAgo: number
  stayed7Days: number
}

function rowOf(rows: Row[], value: string): Row | undefined {
  return rows.find((row) => row.value === value)
}

let ipCounter = 0
/** A landing view as a browser makes it; returns the join link the page offers. */
async function land(code: string, agent: string, options: { qr?: boolean; referer?: string }) {
  const response = await visit(`/i/${code}?lang=en${options.qr ? '&via=qr' : ''}`, {
    'cf-connecting-ip': `203.0.113.${++ipCounter}`,
    'user-agent': agent,
    ...(options.referer ? { referer: options.referer } : {}),
  })
  expect(response.status).toBe(200)
  const href = /class="cta" href="([^"]+)"/.exec(response.text)![1]!
  return href.replaceAll('&amp;', '&')
}

/** Signs up through the join link the landing page gave, as the person's browser would. */
async function signUpAt(joinHref: string, agent: string) {
  const response = await call('POST', joinHref, {
    token: null,
    body: { consent: true, name: 'Breakdown', phone: newPhone() },
    headers: {
      accept: 'application/json',
      'user-agent': agent,
      'cf-connecting-ip': `203.0.113.${++ipCounter}`,
    },
  })
  expect(response.status, response.text).toBeLessThan(300)
}

async function visitsOf(inviteIds: string[]) {
  const rows = await query<{ n: number }>(
    `select count(*) as n from visits where invite_id in (${inviteIds.map(() => '?').join(', ')})`,
    ...inviteIds,
  )
  return rows[0]!.n
}

/**
 * One community: an Instagram link (spring campaign) visited twice by phone from Instagram via
 * its QR code, once on a computer without referrer; one phone visitor signs up. A flyer link
 * (no campaign) scanned once by phone.
 */
async function world() {
  const community = await createCommunity()
  const insta = await createInvite(community.id, {
    label: 'Insta bio',
    source: 'instagram',
    campaign: 'spring',
  })
  const flyer = await createInvite(community.id, { label: 'Flyer', source: 'flyer' })
  const joinHref = await land(insta.code, PHONE, {
    qr: true,
    referer: 'https://www.instagram.com/p/abc',
  })
  await land(insta.code, PHONE, { qr: true, referer: 'https://www.instagram.com/' })
  await land(insta.code, DESKTOP, {})
  await land(flyer.code, PHONE, { qr: true })
  await signUpAt(joinHref, PHONE)
  await eventually(async () => expect(await visitsOf([insta.id, flyer.id])).toBe(4))
  return { community, insta, flyer, joinHref }
}

describe('breakdowns with the whole funnel', () => {
  it('carries the way in and the referrer from the landing page to the sign-up', async () => {
    const { joinHref, insta } = await world()
    expect(joinHref).toBe(`/i/${insta.code}/join?lang=en&via=qr&ref=www.instagram.com`)
    const [request] = await query<{ via: string; device: string; referrer_host: string }>(
      'select via, device, referrer_host from join_requests where invite_id = ?',
      insta.id,
    )
    expect(request).toEqual({ via: 'qr', device: 'mobile', referrer_host: 'www.instagram.com' })
    // The landing page is rendered once and kept: each visitor still gets their own origin.
    expect(await land(insta.code, DESKTOP, { referer: 'https://News.Example.org/a?b=1' })).toBe(
      `/i/${insta.code}/join?lang=en&via=link&ref=news.example.org`,
    )
    expect(await land(insta.code, DESKTOP, {})).toBe(`/i/${insta.code}/join?lang=en&via=link`)
    // The join form passes the origin on to its action; a made-up one is not kept.
    const form = await visit(`/i/${insta.code}/join?lang=en&via=qr&ref=t.co`)
    expect(form.text).toContain(`action="/i/${insta.code}/join?lang=en&amp;via=qr&amp;ref=t.co"`)
    const odd = await visit(`/i/${insta.code}/join?lang=en&via=fax&ref=%3Cb%3E`)
    expect(odd.text).toContain(`action="/i/${insta.code}/join?lang=en&amp;via=unknown"`)
  })

  it('counts visits, sign-ups and joins by source, campaign, country, device, referrer and way in', async () => {
    const { community } = await world()
    const stats = await call('GET', `/api/communities/${community.id}/stats`)
    expect(stats.status, stats.text).toBe(200)
    const b = stats.json.breakdowns as Record<string, Row[]>
    expect(rowOf(b.source!, 'instagram')).toMatchObject({ visits: 3, joinRequests: 1, joins: 1 })
    expect(rowOf(b.source!, 'flyer')).toMatchObject({ visits: 1, joinRequests: 0, joins: 0 })
    expect(rowOf(b.campaign!, 'spring')).toMatchObject({ visits: 3, joins: 1 })
    expect(rowOf(b.campaign!, '(none)')).toMatchObject({ visits: 1, joins: 0 })
    expect(rowOf(b.device!, 'mobile')).toMatchObject({ visits: 3, joinRequests: 1, joins: 1 })
    expect(rowOf(b.device!, 'desktop')).toMatchObject({ visits: 1, joins: 0 })
    expect(rowOf(b.referrer!, 'www.instagram.com')).toMatchObject({ visits: 2, joins: 1 })
    expect(rowOf(b.referrer!, '(none)')).toMatchObject({ visits: 2, joins: 0 })
    expect(rowOf(b.via!, 'qr')).toMatchObject({ visits: 3, confirmations: 1, joins: 1 })
    expect(rowOf(b.via!, 'link')).toMatchObject({ visits: 1, joins: 0 })
    expect(b.country!.reduce((n, row) => n + row.visits, 0)).toBe(4)
  })

  it('filters every figure of the API answer, filters combining', async () => {
    const { community, insta } = await world()
    const totals = async (filters: string, path = `/api/communities/${community.id}/stats`) => {
      const answer = await call('GET', `${path}?${filters}`)
      expect(answer.status, answer.text).toBe(200)
      return answer.json
    }
    const mobileQr = await totals('device=mobile&via=qr')
    expect(mobileQr.totals).toMatchObject({ visits: 3, joins: 1 })
    expect(mobileQr.filters).toEqual({ device: 'mobile', via: 'qr' })
    expect((await totals('source=flyer')).totals).toMatchObject({ visits: 1, joins: 0 })
    expect((await totals('referrer=(none)')).totals).toMatchObject({ visits: 2, joins: 0 })
    const desktopInsta = await totals('source=instagram&device=desktop')
    expect(desktopInsta.totals).toMatchObject({ visits: 1, joins: 0 })
    expect(desktopInsta.breakdowns.source).toEqual([
      expect.objectContaining({ value: 'instagram', visits: 1 }),
    ])
    const link = await totals('referrer=www.instagram.com', `/api/invites/${insta.id}/stats`)
    expect(link.totals).toMatchObject({ visits: 2, joins: 1 })
    expectProblem(
      await call('GET', `/api/communities/${community.id}/stats?device=fridge`),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('GET', `/api/communities/${community.id}/stats?country=germany`),
      400,
      'validation_failed',
    )
  })

  it('counts leaves and retention per breakdown, on the row of the sign-up’s origin', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { source: 'newsletter' })
    const db = createDb(env.DB)
    const found = (await findInviteByCode(db, invite.code))!
    const at = new Date(Date.now() - 40 * 86_400_000)
    const outcome = await join(
      db,
      found,
      {
        name: 'Left early',
        phone: newPhone(),
        email: null,
        answers: [],
        consent: true,
        country: 'AT',
        origin: { via: 'link', device: 'tablet', referrerHost: 't.co' },
      },
      { now: at, cooldownDays: 30 },
    )
    if (outcome.status !== 'active' || !outcome.member) throw new Error('expected an open join')
    await endMembership(db, outcome.member, 'left', new Date(at.getTime() + 3 * 86_400_000))
    const from = addDays(today, -60)
    const stats = await call('GET', `/api/communities/${community.id}/stats?from=${from}`)
    const b = stats.json.breakdowns as Record<string, Row[]>
    const expected = { joins: 1, leaves: 1, joinedAtLeast7DaysAgo: 1, stayed7Days: 0 }
    expect(rowOf(b.referrer!, 't.co')).toMatchObject(expected)
    expect(rowOf(b.device!, 'tablet')).toMatchObject(expected)
    expect(rowOf(b.country!, 'AT')).toMatchObject(expected)
    expect(rowOf(b.source!, 'newsletter')).toMatchObject(expected)
  })
})

describe('a flood of made-up referrers', () => {
  it('keeps the day’s first 50 referrer hosts of a link and counts the rest as other sites', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const at = Date.now()
    const visitFrom = (n: number) => ({
      inviteId: invite.id,
      communityId: community.id,
      at,
      via: 'link' as const,
      country: 'DE',
      referrerHost: `site${n}.example`,
      device: 'mobile' as const,
      isBot: false,
      visitorHash: n.toString(16).padStart(32, '0'),
    })
    const db = createDb(env.DB)
    await recordVisits(
      db,
      Array.from({ length: 40 }, (_, n) => visitFrom(n)),
    )
    // A second batch: ten more hosts fit, the rest do not; a host already kept still counts.
    await recordVisits(db, [
      ...Array.from({ length: 15 }, (_, n) => visitFrom(40 + n)),
      visitFrom(3),
    ])
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    const referrers = stats.json.breakdowns.referrer as Row[]
    expect(referrers).toHaveLength(51)
    expect(rowOf(referrers, '(other)')).toMatchObject({ visits: 5 })
    expect(rowOf(referrers, 'site3.example')).toMatchObject({ visits: 2 })
    expect(stats.json.totals.visits).toBe(56)
    const [rows] = await query<{ n: number }>(
      'select count(*) as n from invite_daily_stats where invite_id = ?',
      invite.id,
    )
    expect(rows!.n).toBe(51)
    const { cookie } = await signIn()
    const html = await page(`/admin/links/${invite.id}`, cookie)
    expect(html.text).toContain('other sites (past the day’s first 50)')
  })
})

describe('the stats page with filters', () => {
  it('links every value to the page filtered by it, shows filters as chips, keeps them in the URL and the CSV', async () => {
    const { community } = await world()
    const { cookie } = await signIn()
    const base = `/admin/communities/${community.id}`
    const all = await page(base, cookie)
    expect(all.status).toBe(200)
    for (const heading of ['By source', 'By campaign', 'By country', 'By device', 'By referrer'])
      expect(all.text).toContain(`<h2>${heading}</h2>`)
    expect(all.text).toMatch(
      /<a href="[^"]*device=mobile" aria-label="Show only Device: Phone"><bdi>Phone<\/bdi><\/a>/,
    )
    expect(all.text).toContain('aria-label="Show only Referrer: www.instagram.com"')
    expect(all.text).toContain('aria-label="Show only Way in: QR code"')

    const filtered = await page(`${base}?period=30&tz=UTC&source=instagram&device=mobile`, cookie)
    expect(filtered.status).toBe(200)
    // Each chip names what it removes, and its link keeps the other filter.
    expect(filtered.text).toMatch(
      /<a class="chip" href="[^"]*period=30&amp;tz=UTC&amp;source=instagram" aria-label="Remove filter Device: Phone">/,
    )
    expect(filtered.text).toMatch(
      /<a class="chip" href="[^"]*tz=UTC&amp;device=mobile" aria-label="Remove filter Source: instagram">/,
    )
    expect(filtered.text).toContain('Remove all filters')
    // The period links and the CSV keep the filters.
    expect(filtered.text).toMatch(
      /href="[^"]*period=7&amp;tz=UTC&amp;source=instagram&amp;device=mobile"/,
    )
    const csvHref = /href="([^"]*stats\.csv[^"]*)" download/.exec(filtered.text)![1]!
    expect(csvHref).toContain('source=instagram&amp;device=mobile')
    const csv = await page(csvHref.replaceAll('&amp;', '&'), cookie)
    const todayRow = csv.text.split('\r\n').find((line) => line.startsWith(today))!
    // day, visits, qr_scans, link_clicks, join_requests, confirmed, joins
    expect(todayRow.split(',').slice(0, 7)).toEqual([today, '2', '2', '0', '1', '1', '1'])

    const flyerOnly = await page(`${base}?tz=UTC&source=flyer`, cookie)
    const flyerCsv = await page(`${base}/stats.csv?tz=UTC&source=flyer`, cookie)
    expect(flyerOnly.status).toBe(200)
    expect(flyerCsv.text.split('\r\n').find((l) => l.startsWith(today))).toMatch(
      new RegExp(`^${today},1,1,0,0,0,0`),
    )

    const german = await page(`${base}?lang=de&device=mobile`, cookie)
    expect(german.text).toContain('<h2>Nach Gerät</h2>')
    expect(german.text).toContain('aria-label="Filter Gerät: Handy entfernen"')

    const bad = await page(`${base}?device=fridge`, cookie)
    expect(bad.status).toBe(400)
  })
})

describe('compare', () => {
  it('shows two links side by side with the difference in conversion at each step', async () => {
    const { community, insta, flyer } = await world()
    const { cookie } = await signIn()
    const home = await page(`/admin/communities/${community.id}`, cookie)
    expect(home.text).toContain('>Compare links or sources</a>')
    const compared = await page(
      `/admin/communities/${community.id}/compare?tz=UTC&links=${insta.id},${flyer.id}`,
      cookie,
    )
    expect(compared.status, compared.text).toBe(200)
    const table = compared.text.slice(
      compared.text.indexOf('<table class="cards compare">'),
      compared.text.indexOf('</table>', compared.text.indexOf('<table class="cards compare">')),
    )
    expect(table).toContain('<bdi>Insta bio</bdi>')
    expect(table).toContain('Flyer</bdi>: Difference to “Insta bio”')
    // Join requests per visit: Insta 1 of 3, Flyer 0 of 1: 33.3 points fewer.
    expect(table).toContain('-33.3 percentage points')
    expect(table).toMatch(
      /<th scope="row">Join requests<\/th><td class="n" data-label="Insta bio"><b>1<\/b><br\/?><span class="muted">33.3% of “Visits”<\/span>/,
    )
    // Each link's daily figures, over the same days.
    expect(compared.text).toContain('Insta bio: Visits by day')
    expect(compared.text).toContain('Flyer: Joins by day')
    // The way back leads to the community's figures over the same period.
    expect(compared.text).toMatch(
      new RegExp(
        `<a href="/admin/communities/${community.id}\\?period=30&amp;tz=UTC">← Back to the community’s figures</a>`,
      ),
    )
    // Filtered to one source, the page still offers the comparison (of all the links).
    const filtered = await page(`/admin/communities/${community.id}?source=instagram`, cookie)
    expect(filtered.text).toContain('>Compare links or sources</a>')

    const bySource = await page(
      `/admin/communities/${community.id}/compare?tz=UTC&sources=instagram&sources=flyer`,
      cookie,
    )
    expect(bySource.status).toBe(200)
    expect(bySource.text).toContain('flyer</bdi>: Difference to “instagram”')
    // Members' own links are a source to pick too, as the "By source" table lists them.
    for (const source of ['instagram', 'flyer', 'referral'])
      expect(bySource.text).toContain(`name="sources" value="${source}"`)
    const withReferrals = await page(
      `/admin/communities/${community.id}/compare?tz=UTC&sources=instagram,referral`,
      cookie,
    )
    expect(withReferrals.status, withReferrals.text).toBe(200)
    expect(withReferrals.text).toContain('referral</bdi>: Difference to “instagram”')
    // A crafted address cannot put its words in the page's columns: only sources links carry.
    const crafted = await page(
      `/admin/communities/${community.id}/compare?tz=UTC&sources=instagram,${encodeURIComponent('Session expired - sign in at https://evil.example/login')}`,
      cookie,
    )
    expect(crafted.status).toBe(400)
    expect(crafted.text).toContain('Pick sources this community’s links carry')
    expect(crafted.text).not.toContain('evil.example')

    const one = await page(`/admin/communities/${community.id}/compare?links=${insta.id}`, cookie)
    expect(one.text).toContain(
      'Pick at least two links or two sources to compare, not a mix of both.',
    )
    const other = await createInvite((await createCommunity()).id)
    const foreign = await page(
      `/admin/communities/${community.id}/compare?links=${insta.id},${other.id}`,
      cookie,
    )
    expect(foreign.status).toBe(404)
  })

  it('keeps sources with &, +, % and # through the period picker', async () => {
    const community = await createCommunity()
    const odd = ['R&D', 'C++ 100%', 'blog#2']
    for (const source of odd) await createInvite(community.id, { label: source, source })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/compare`
    const opened = await page(`${path}?tz=UTC&sources=${odd.map(encodeURIComponent)}`, cookie)
    expect(opened.status, opened.text).toBe(200)
    const unescape = (href: string) => href.replaceAll('&amp;', '&')
    // The picker's links to another period, and its form's hidden fields, name the same sources.
    const week = /<a href="([^"]*period=7[^"]*)"/.exec(opened.text)?.[1]
    expect(week).toBeDefined()
    const url = new URL(unescape(week!), 'https://join.example.com')
    expect(url.searchParams.getAll('sources')).toEqual([odd.join(',')])
    const hidden = [...opened.text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g)]
    expect(hidden.filter(([, name]) => name === 'sources').map(([, , value]) => value)).toEqual([
      'R&amp;D,C++ 100%,blog#2',
    ])
    const followed = await page(unescape(week!), cookie)
    expect(followed.status).toBe(200)
    for (const source of ['R&amp;D', 'C++ 100%', 'blog#2'])
      expect(followed.text).toContain(`<th scope="col" class="n"><bdi>${source}</bdi>`)
  })
})

describe('retention that cannot be measured yet', () => {
  it('says from which day it will be, instead of a dash', async () => {
    const { community, insta } = await world()
    const { cookie } = await signIn()
    // As every other day on the page is written ("14 Dec 2026").
    const firstDay = (days: number) =>
      new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(
        new Date(`${addDays(today, days)}T00:00:00Z`),
      )
    const overview = await page(`/admin/communities/${community.id}?tz=UTC`, cookie)
    expect(overview.text).toContain(`not yet measurable; from ${firstDay(7)}`)
    expect(overview.text).toContain(`not yet measurable; from ${firstDay(30)}`)
    // The flyer link has no joins: nothing to wait for.
    expect(overview.text).toContain('no joins yet')
    expect(overview.text).not.toMatch(/<td class="n"[^>]*>–<\/td>/)
    const link = await page(`/admin/links/${insta.id}?tz=UTC`, cookie)
    expect(link.text).toContain(`not yet measurable; from ${firstDay(7)}`)
    // The funnel's figure for a retention not measured yet is not a 0, as if everyone had left.
    for (const html of [overview.text, link.text]) {
      for (const step of ['Still a member after 7 days', 'Still a member after 30 days'])
        expect(html).toContain(`<span class="label">${step}</span><b>not yet</b>`)
    }
  })
})
