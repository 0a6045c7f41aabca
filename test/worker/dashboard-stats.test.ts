import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { addDays, utcDay } from '../../src/lib/time'
import { findInviteByCode } from '../../src/services/invites'
import { join } from '../../src/services/joining'
import { endMembership } from '../../src/services/leaving'
import { getDashboardStats } from '../../src/services/stats'
import { DailyChart } from '../../src/views/chart'
import { call, createCommunity, createInvite, joinJson, newPhone, query, visit } from './helpers'
import { page, signIn } from './dashboard-helpers'
import { eventually, timeLeftInTest } from '../support/eventually'
import { englishLeftIn, readableText } from '../support/language'

const db = () => createDb(env.DB)
const today = utcDay(new Date())

/** A join (and, if `leftAfterDays` is given, a leave) on a day in the past, through the services. */
async function joinOn(code: string, daysAgo: number, leftAfterDays?: number, country = 'DE') {
  const invite = (await findInviteByCode(db(), code))!
  const at = new Date(Date.now() - daysAgo * 86_400_000)
  const outcome = await join(
    db(),
    invite,
    { name: 'Cohort', phone: newPhone(), email: null, answers: [], consent: true, country },
    { now: at, cooldownDays: 30 },
  )
  if (outcome.status !== 'active' || !outcome.member) throw new Error('expected an open join')
  if (leftAfterDays !== undefined)
    await endMembership(
      db(),
      outcome.member,
      'left',
      new Date(at.getTime() + leftAfterDays * 86_400_000),
    )
}

async function render(node: unknown): Promise<string> {
  return String(await (node as { toString(): string | Promise<string> }).toString())
}

/** The days on the desktop drawing of the first chart in `html` (the phone's has the same). */
function chartDays(html: string): number {
  return (wideOf(html).match(/<g tabindex="0" role="img"/g) ?? []).length
}

function wideOf(html: string): string {
  return html.slice(html.indexOf('class="chart wide"'), html.indexOf('class="chart narrow"'))
}

function narrowOf(html: string): string {
  return html.slice(
    html.indexOf('class="chart narrow"'),
    html.indexOf('</svg>', html.indexOf('class="chart narrow"')),
  )
}

describe('the chart', () => {
  it('puts every day of the period on the axis, empty days included, with values for everyone', async () => {
    const community = await createCommunity({ name: 'Chart Club' })
    const invite = await createInvite(community.id, { label: 'Poster' })
    await visit(`/i/${invite.code}?via=qr`, { 'cf-connecting-ip': '198.51.100.20' })
    const { cookie } = await signIn()
    const home = await page(`/admin/communities/${community.id}`, cookie)
    const [visitsChart] = home.text.split('</figure>')
    expect(chartDays(visitsChart!)).toBe(30) // the default: the last 30 days
    // The scale is labelled, each day names its values, and the hidden table repeats them.
    expect(visitsChart).toMatch(/<text[^>]*text-anchor="end"[^>]*>0<\/text>/)
    expect(visitsChart).toContain('<div class="sr-only"><table><caption>')
    expect((visitsChart!.match(/<th scope="row">/g) ?? []).length).toBe(30)
    expect(visitsChart).toMatch(/<title>[^<]*: 0 QR scans, 0 Link clicks<\/title>/)

    const week = await page(`/admin/communities/${community.id}?period=7`, cookie)
    expect(chartDays(week.text.split('</figure>')[0]!)).toBe(7)
    // A week names every day on a laptop, and every third on a phone: no day looks missing.
    const axis = (svg: string) =>
      [...svg.matchAll(/<text[^>]*text-anchor="middle"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])
    const weekChart = (
      await page(`/admin/communities/${community.id}?period=7&tz=UTC`, cookie)
    ).text.split('</figure>')[0]!
    const weekDays = Array.from({ length: 7 }, (_, i) =>
      new Date(`${addDays(today, i - 6)}T00:00:00Z`).toLocaleDateString('en-GB', {
        day: 'numeric',
        month: 'short',
        timeZone: 'UTC',
      }),
    )
    expect(axis(wideOf(weekChart))).toEqual(weekDays)
    expect(axis(narrowOf(weekChart))).toEqual([weekDays[0], weekDays[3], weekDays[6]])
    expect(week.text).toMatch(/<a href="[^"]*period=7[^"]*" aria-current="true">7 days<\/a>/)
    const quarter = await page(`/admin/communities/${community.id}?period=90`, cookie)
    expect(chartDays(quarter.text.split('</figure>')[0]!)).toBe(90)
    const one = await page(
      `/admin/communities/${community.id}?period=custom&from=${today}&to=${today}&tz=UTC`,
      cookie,
    )
    expect(chartDays(one.text.split('</figure>')[0]!)).toBe(1)
    expect(one.text).toContain('One day.')
  })

  it('stays readable with one day, a whole year and one huge outlier', async () => {
    const oneDay = wideOf(
      await render(
        DailyChart({
          lang: 'en',
          days: ['2026-03-01'],
          title: 'Visits',
          series: [{ label: 'visits', color: '#0b6e35', values: [4] }],
        }),
      ),
    )
    // One day is one modest bar (at most 36 of 668 units wide), named once on the axis.
    const width = Number(
      /<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"[^>]*fill="#0b6e35"/.exec(oneDay)![1],
    )
    expect(width).toBeLessThanOrEqual(36)
    expect(oneDay.match(/>1 Mar<\/text>/g)).toHaveLength(1)

    const year = Array.from({ length: 365 }, (_, i) => addDays('2025-06-01', i))
    const yearlyBoth = await render(
      DailyChart({
        lang: 'de',
        days: year,
        title: 'Besuche',
        series: [{ label: 'Besuche', color: '#0b6e35', values: year.map((_, i) => i % 7) }],
      }),
    )
    const yearly = wideOf(yearlyBoth)
    expect(chartDays(yearlyBoth)).toBe(365)
    // On a phone, fewer labels on a narrower axis.
    expect([...narrowOf(yearlyBoth).matchAll(/text-anchor="middle"/g)].length).toBeLessThanOrEqual(
      3,
    )
    // A handful of axis labels, with the year because the period crosses one.
    const ticks = [...yearly.matchAll(/<text[^>]*text-anchor="middle"[^>]*>([^<]+)<\/text>/g)]
    expect(ticks.length).toBeLessThanOrEqual(7)
    expect(ticks[0]![1]).toBe('1. Juni 2025')

    const values = Array.from({ length: 30 }, (_, i) => (i === 12 ? 50_000 : 10 + (i % 5)))
    const spiky = wideOf(
      await render(
        DailyChart({
          lang: 'en',
          days: year.slice(0, 30),
          title: 'Visits',
          series: [{ label: 'visits', color: '#0b6e35', values }],
        }),
      ),
    )
    // The scale follows the ordinary days; the outlier is drawn broken, its value written on it.
    expect(spiky).toMatch(/>20<\/text>/)
    expect(spiky).not.toMatch(/>50,000<\/text>\s*<\/g>\s*<line/)
    expect(spiky).toMatch(/font-weight="700"[^>]*>50,000<\/text>/)
    const heights = [
      ...spiky.matchAll(
        /<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#0b6e35"/g,
      ),
    ].map((m) => Number(m[1]))
    expect(Math.min(...heights)).toBeGreaterThan(60) // ordinary days stay tall enough to compare
  })

  it('labels its scale in whole, even steps, none twice, on small scales too', async () => {
    const days = Array.from({ length: 7 }, (_, i) => addDays('2026-03-01', i))
    const scaleOf = async (most: number) => {
      const html = wideOf(
        await render(
          DailyChart({
            lang: 'en',
            days,
            title: 'Joins',
            series: [
              { label: 'joins', color: '#0b6e35', values: days.map((_, i) => (i % 2 ? 0 : most)) },
            ],
          }),
        ),
      )
      return [...html.matchAll(/<text[^>]*text-anchor="end"[^>]*>([^<]+)<\/text>/g)].map(
        (m) => m[1],
      )
    }
    expect(await scaleOf(1)).toEqual(['0', '1'])
    expect(await scaleOf(2)).toEqual(['0', '1', '2'])
    expect(await scaleOf(5)).toEqual(['0', '1', '2', '3', '4', '5'])
    expect(await scaleOf(8)).toEqual(['0', '2', '4', '6', '8', '10'])
    expect(await scaleOf(17)).toEqual(['0', '5', '10', '15', '20'])
    expect(await scaleOf(4_000)).toEqual(['0', '1,250', '2,500', '3,750', '5,000'])
  })
})

describe('period, time zone and CSV', () => {
  it('shows a back-to-front or over-long custom range corrected, and says so above the figures', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const backwards = await page(
      `/admin/communities/${community.id}?period=custom&from=2026-05-02&to=2026-05-01`,
      cookie,
    )
    expect(backwards.status).toBe(200)
    expect(backwards.text).toContain(
      'The period you chose ended before it began: it is shown the right way round.',
    )
    expect(backwards.text).toContain('id="range-from" name="from" type="date" value="2026-05-01"')
    expect(backwards.text).toContain('id="range-to" name="to" type="date" value="2026-05-02"')
    const long = await page(
      `/admin/communities/${community.id}?period=custom&from=2024-01-01&to=2026-01-01`,
      cookie,
    )
    expect(long.status).toBe(200)
    expect(long.text).toContain('At most 366 days at once: the 366 days up to its end are shown.')
    expect(long.text).toContain('id="range-from" name="from" type="date" value="2025-01-01"')
    // The community's page around it stays: its tabs, and the way back to every other view.
    expect(long.text).toContain(`href="/admin/communities/${community.id}/settings"`)
    const nonsense = await page(
      `/admin/communities/${community.id}?period=lots&tz=Mars/Base`,
      cookie,
    )
    expect(nonsense.status).toBe(200) // unknown period and zone: the defaults
  })

  it('opens custom periods at either end of the calendar, as a page, never an error', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const { cookie } = await signIn()
    const early = 'period=custom&from=0999-12-20&to=1000-01-10&tz=UTC'
    for (const path of [
      `/admin/communities/${community.id}`,
      `/admin/links/${invite.id}`,
      `/admin/communities/${community.id}/compare?sources=(none),referral`,
    ]) {
      const join = path.includes('?') ? '&' : '?'
      const opened = await page(`${path}${join}${early}`, cookie)
      expect(opened.status, opened.text).toBe(200)
      expect(opened.text).toContain('name="from" type="date" value="0999-12-20"')
      // Past the last day the stats can count to, the period is the default one.
      const late = await page(`${path}${join}period=custom&from=9999-12-01&to=9999-12-31`, cookie)
      expect(late.status, late.text).toBe(200)
      expect(late.text).not.toContain('type="date" value="9999-12-01"')
    }
    const csv = await page(`/admin/communities/${community.id}/stats.csv?${early}`, cookie)
    expect(csv.status, csv.text).toBe(200)
  })

  it('counts the days of the period in the admin’s time zone', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const kiritimati = await page(
      `/admin/communities/${community.id}?period=7&tz=Pacific/Kiritimati`,
      cookie,
    )
    const pagoPago = await page(
      `/admin/communities/${community.id}?period=7&tz=Pacific/Pago_Pago`,
      cookie,
    )
    const lastDay = (html: string) => /name="to" type="date" value="([\d-]+)"/.exec(html)![1]!
    // UTC+14 and UTC-11 are 25 hours apart: never on the same calendar day, whatever the hour.
    expect(lastDay(kiritimati.text)).not.toBe(lastDay(pagoPago.text))
    expect(kiritimati.text).toContain('<option value="Pacific/Kiritimati" selected="">')
  })

  it('exports every day of the period as CSV, for the community and for a link', async () => {
    const community = await createCommunity({ name: 'CSV Club' })
    const invite = await createInvite(community.id)
    await joinOn(invite.code, 2)
    const { cookie } = await signIn()
    const csv = await page(`/admin/communities/${community.id}/stats.csv?period=7&tz=UTC`, cookie)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.csv"/)
    const lines = csv.text.split('\r\n')
    expect(lines[0]).toBe(
      'day,visits,qr_scans,link_clicks,join_requests,confirmed,joins,confirmed_by_phone,confirmed_by_email,of_those_joined_left,of_those_joined_left_within_7_days,of_those_joined_left_within_30_days',
    )
    expect(lines).toHaveLength(8)
    expect(lines).toContain(`${addDays(today, -2)},0,0,0,1,1,1,0,0,0,0,0`)
    expect(lines.at(-1)).toBe(`${today},0,0,0,0,0,0,0,0,0,0,0`)
    const linkCsv = await page(`/admin/links/${invite.id}/stats.csv?period=30`, cookie)
    expect(linkCsv.text.split('\r\n')).toHaveLength(31)
  })
})

describe('the funnel', () => {
  it('follows people past the join: still members after 7 and 30 days, and who left', async () => {
    const community = await createCommunity({ name: 'Retention Club' })
    const invite = await createInvite(community.id, { label: 'Flyer' })
    await joinOn(invite.code, 40) // stays
    await joinOn(invite.code, 40, 3) // leaves within a week
    await joinOn(invite.code, 40, 20) // leaves within a month
    await joinOn(invite.code, 10) // too recent to know about 30 days
    await joinOn(invite.code, 2, 1) // left at once: too recent for either

    const range = { from: addDays(today, -89), to: today, days: [] as string[] }
    const stats = await getDashboardStats(db(), { communityId: community.id }, range, today)
    expect(stats.funnel).toMatchObject({
      joins: 5,
      leaves: 3,
      joinedAtLeast7DaysAgo: 4,
      stayed7Days: 3,
      joinedAtLeast30DaysAgo: 3,
      stayed30Days: 1,
    })

    const { cookie } = await signIn()
    const html = (await page(`/admin/communities/${community.id}?period=90`, cookie)).text
    const funnel = html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</ol>'))
    const steps = [...funnel.matchAll(/<span class="label">([^<]+)<\/span><b>([^<]+)<\/b>/g)].map(
      (m) => `${m[1]}: ${m[2]}`,
    )
    expect(steps).toEqual([
      'Visits: 0',
      'Join requests: 5',
      'Confirmed: 5',
      'Joins: 5',
      'Still a member after 7 days: 3',
      'Still a member after 30 days: 1',
      'Left again: 3',
    ])
    expect(funnel).toContain('75% of “Joins at least 7 days ago” · drop-off 25%')
    expect(funnel).toContain('33.3% of “Joins at least 30 days ago” · drop-off 66.7%')
    expect(funnel).toContain('Counted over 3 joins at least 30 days ago.')
    // In 7 days no join is 30 days old: "not yet" there says nothing of the members, and the
    // note says so and how to see it.
    const week = (await page(`/admin/communities/${community.id}?period=7`, cookie)).text
    expect(week).toContain(
      'Counted over joins at least 30 days ago: a period this short holds hardly any. Choose 90 days to measure it.',
    )
    // An erased member left too: the list of those who left cannot show them, the note says so.
    expect(funnel).toContain(
      'Of the period’s joins: those who left, were removed or had their data erased.',
    )

    // The CSV holds what the page counts: of each day's joins, who left since, and who left
    // within 7 and 30 days (known for the days at least that long ago).
    const csv = (
      await page(`/admin/communities/${community.id}/stats.csv?period=90&tz=UTC`, cookie)
    ).text
      .split('\r\n')
      .map((line) => line.split(','))
    const [header, ...rows] = csv
    const column = (name: string) => header!.indexOf(name)
    const sum = (name: string, daysAgoAtLeast = 0) =>
      rows
        .filter((row) => row[0]! <= addDays(today, -daysAgoAtLeast))
        .reduce((total, row) => total + Number(row[column(name)]), 0)
    expect(header!.slice(-3)).toEqual([
      'of_those_joined_left',
      'of_those_joined_left_within_7_days',
      'of_those_joined_left_within_30_days',
    ])
    expect(sum('joins')).toBe(5)
    expect(sum('of_those_joined_left')).toBe(3)
    expect(sum('joins', 7) - sum('of_those_joined_left_within_7_days', 7)).toBe(3)
    expect(sum('joins', 30) - sum('of_those_joined_left_within_30_days', 30)).toBe(1)
  })

  it('says how many of the visits were QR scans and link clicks, one in the singular', async () => {
    const community = await createCommunity({ name: 'One Scan Club' })
    const invite = await createInvite(community.id, { label: 'Poster' })
    await visit(`/i/${invite.code}?via=qr`, { 'cf-connecting-ip': '198.51.100.31' })
    await visit(`/i/${invite.code}`, { 'cf-connecting-ip': '198.51.100.32' })
    await eventually(async () => {
      const stats = await call('GET', `/api/invites/${invite.id}/stats`)
      expect(stats.json.totals).toMatchObject({ scans: 1, clicks: 1 })
    })
    const { cookie } = await signIn()
    for (const [lang, note] of [
      ['en', 'of which 1 QR scan, 1 link click'],
      ['de', 'davon 1 QR-Scan, 1 Link-Klick'],
    ] as const) {
      const html = (await page(`/admin/links/${invite.id}?lang=${lang}`, cookie)).text
      const funnel = html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</ol>'))
      expect(funnel, lang).toContain(note)
      // The day's bar in the chart says it the same way.
      const [scan, click] = lang === 'en' ? ['QR scan', 'Link click'] : ['QR-Scan', 'Link-Klick']
      expect(html, lang).toMatch(new RegExp(`aria-label="[^"]*: 1 ${scan}, 1 ${click}"`))
    }
    await visit(`/i/${invite.code}?via=qr`, { 'cf-connecting-ip': '198.51.100.33' })
    await eventually(async () => {
      const html = (await page(`/admin/links/${invite.id}?lang=de`, cookie)).text
      expect(html).toContain('davon 2 QR-Scans, 1 Link-Klick')
    })
  })

  it('shows the confirmed step of a double opt-in, with the drop-off on each side', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: 'Confirm Club', description: 'x', visibility: 'closed', consent: 'double' },
    })
    const community = created.json as { id: string }
    const invite = await createInvite(community.id, { label: 'Stand' })
    const ids: string[] = []
    for (const name of ['Ann', 'Ben', 'Cy'])
      ids.push((await joinJson(invite.code, { name, phone: newPhone() })).json.joinRequestId)
    for (const id of ids.slice(0, 2))
      await call('POST', `/api/join-requests/${id}/confirm`, { body: { proof: 'Signed form' } })
    expect((await call('POST', `/api/join-requests/${ids[1]}/approve`)).status).toBe(200)

    const { cookie } = await signIn()
    for (const [path, lang, expected] of [
      [
        `/admin/communities/${community.id}?period=7`,
        'en',
        ['Join requests: 3', 'Confirmed: 2', 'Joins: 1'],
      ],
      [
        `/admin/links/${invite.id}?period=7`,
        'en',
        ['Join requests: 3', 'Confirmed: 2', 'Joins: 1'],
      ],
      [
        `/admin/communities/${community.id}?period=7&lang=de`,
        'de',
        ['Anfragen: 3', 'Bestätigt: 2', 'Beitritte: 1'],
      ],
    ] as const) {
      const html = (await page(path, cookie)).text
      const funnel = html.slice(html.indexOf('<div class="funnel">'), html.indexOf('</ol>'))
      const steps = [...funnel.matchAll(/<span class="label">([^<]+)<\/span><b>([^<]+)<\/b>/g)].map(
        (m) => `${m[1]}: ${m[2]}`,
      )
      expect(steps.slice(1, 4), `${lang} ${path}`).toEqual(expected)
      if (lang === 'en') {
        expect(funnel).toContain('66.7% of “Join requests” · drop-off 33.3%')
        expect(funnel).toContain('50% of “Confirmed” · drop-off 50%')
      }
    }
    const csv = await page(`/admin/communities/${community.id}/stats.csv?period=7&tz=UTC`, cookie)
    // The admin's recorded consent named the phone number (the only contact given).
    expect(csv.text.split('\r\n')).toContain(`${today},0,0,0,3,2,1,2,0,0,0,0`)
    const html = (await page(`/admin/communities/${community.id}?period=7`, cookie)).text
    expect(html).toContain(
      '2 confirmed through their phone number, 0 through their e-mail address, 0 by the form alone',
    )
  })

  it('counts the confirmations made before this release', async () => {
    const created = await call('POST', '/api/communities', {
      body: {
        name: 'Backfill Confirm Club',
        description: 'x',
        visibility: 'open',
        consent: 'double',
      },
    })
    const invite = await createInvite(created.json.id)
    const single = await createInvite((await createCommunity()).id)
    const ids: string[] = []
    for (const name of ['Ann', 'Ben'])
      ids.push((await joinJson(invite.code, { name, phone: newPhone() })).json.joinRequestId)
    await call('POST', `/api/join-requests/${ids[0]}/confirm`, { body: { proof: 'Signed form' } })
    await joinOn(single.code, 5)
    const rows = () =>
      query(
        'select invite_id, day, join_requests, confirmations, joins from invite_daily_stats where invite_id in (?, ?) order by invite_id, day',
        invite.id,
        single.id,
      )
    const before = await rows()
    expect(before.map((r) => r.confirmations)).toEqual([1, 1])
    // As the rollups were before the migration: no confirmations. Its backfill recounts them.
    await env.DB.prepare(
      'update invite_daily_stats set confirmations = 0 where invite_id in (?, ?)',
    )
      .bind(invite.id, single.id)
      .run()
    const migration = env.TEST_MIGRATIONS.find((m) =>
      m.name.endsWith('_confirmed_funnel_step.sql'),
    )!
    // The rollups' key has grown since (way in, device, referrer): the backfill ran on the key
    // of its day, which is the new key with those unknown, as the sign-ups here are.
    const backfill = migration.queries
      .at(-1)!
      .replace(
        'ON CONFLICT (`invite_id`, `day`, `country`)',
        'ON CONFLICT (`invite_id`, `day`, `country`, `via`, `device`, `referrer_host`)',
      )
    await env.DB.prepare(backfill).run()
    expect(await rows()).toEqual(before)
  })

  it('counts the members who left before this release on the day they joined', async () => {
    const community = await createCommunity({ name: 'Backfill Club' })
    const invite = await createInvite(community.id)
    await joinOn(invite.code, 45, 2)
    await joinOn(invite.code, 45, 12)
    await joinOn(invite.code, 45)
    const before = await query(
      'select day, joins, leaves, left_within_7_days, left_within_30_days from invite_daily_stats where invite_id = ?',
      invite.id,
    )
    expect(before).toEqual([
      expect.objectContaining({
        joins: 3,
        leaves: 2,
        left_within_7_days: 1,
        left_within_30_days: 2,
      }),
    ])
    // As the rollups were before the migration: no leaves counted. Its backfill recounts them.
    await env.DB.prepare(
      'update invite_daily_stats set leaves = 0, left_within_7_days = 0, left_within_30_days = 0 where invite_id = ?',
    )
      .bind(invite.id)
      .run()
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith('_cohort_leaves.sql'))!
    await env.DB.prepare(migration.queries.at(-1)!).run()
    expect(
      await query(
        'select day, joins, leaves, left_within_7_days, left_within_30_days from invite_daily_stats where invite_id = ?',
        invite.id,
      ),
    ).toEqual(before)
  })

  it('lists the links side by side, sortable by conversion and retention, with trends', async () => {
    const community = await createCommunity({ name: 'Compare Club' })
    const poster = await createInvite(community.id, { label: 'Poster', source: 'poster' })
    const podcast = await createInvite(community.id, { label: 'Podcast', source: 'podcast' })
    for (const ip of ['198.51.100.31', '198.51.100.32', '198.51.100.33'])
      await visit(`/i/${poster.code}`, { 'cf-connecting-ip': ip })
    await visit(`/i/${podcast.code}`, { 'cf-connecting-ip': '198.51.100.34' })
    await joinOn(podcast.code, 0)
    await joinOn(poster.code, 35, 2)
    await joinOn(podcast.code, 35)
    const { cookie } = await signIn()
    const order = async (sort: string) => {
      const html = (await page(`/admin/communities/${community.id}?period=90&sort=${sort}`, cookie))
        .text
      return [...html.matchAll(/<td data-label="Label"><a href="[^"]+"><bdi>(\w+)<\/bdi>/g)].map(
        (m) => m[1],
      )
    }
    // The links table, after its heading (the breakdowns above it label their visits alike).
    const linksTable = (html: string) => html.slice(html.indexOf('<h2>Campaign links</h2>'))
    // Visits reach the rollups through the visits queue.
    await expect
      .poll(
        async () =>
          linksTable(
            (await page(`/admin/communities/${community.id}?period=90`, cookie)).text,
          ).match(/data-label="Visits">\d+</g),
        { timeout: timeLeftInTest(), interval: 250 },
      )
      .toEqual(['data-label="Visits">3<', 'data-label="Visits">1<'])
    expect(await order('visits')).toEqual(['Poster', 'Podcast'])
    expect(await order('conversion')).toEqual(['Podcast', 'Poster'])
    expect(await order('retention30')).toEqual(['Podcast', 'Poster'])
    const html = (
      await page(`/admin/communities/${community.id}?period=90&sort=retention30`, cookie)
    ).text
    expect(html).toContain('aria-sort="descending"')
    expect((html.match(/<svg viewBox="0 0 120 28"[^>]*class="spark"/g) ?? []).length).toBe(2)
    expect(html).toMatch(/data-label="30-day retention">100%<\/td>/)
    expect(html).toMatch(/data-label="30-day retention">0%<\/td>/)
    // A conversion names its base, the people who visited, which the table shows nowhere else.
    expect(html).toContain('of 3 visitors (each counted once)')
    expect(html).toContain('of 1 visitor (each counted once)')
    // Room for the queue's poll above on a busy machine.
  }, 30_000)
})

describe('what the links table leaves out', () => {
  it('is said under it: members’ referral links and links not on the page, so the funnel adds up', async () => {
    const community = await createCommunity({ name: 'Referral Club' })
    const flyer = await createInvite(community.id, { label: 'Flyer' })
    await joinOn(flyer.code, 0)
    // Joining gave the member a referral link of their own: two visits and a join through it.
    const [referral] = await query<{ code: string }>(
      'select code from invites where community_id = ? and referrer_member_id is not null',
      community.id,
    )
    for (const ip of ['198.51.100.41', '198.51.100.42'])
      await visit(`/i/${referral!.code}`, { 'cf-connecting-ip': ip })
    await joinOn(referral!.code, 0)
    // A campaign link archived since its join: listed with the archived ones, not here.
    const poster = await createInvite(community.id, { label: 'Old poster' })
    await joinOn(poster.code, 0)
    expect((await call('POST', `/api/invites/${poster.id}/archive`)).status).toBe(200)
    const { cookie } = await signIn()
    const line = (html: string) => {
      const start = html.indexOf('<p class="muted" id="links-not-listed">')
      return start < 0 ? '' : html.slice(start, html.indexOf('</p>', start))
    }
    const said = (html: string) =>
      readableText(line(html)).replace(/\s+/g, ' ').replace(/ ;/g, ';').trim()
    const overview = `/admin/communities/${community.id}`
    // Visits reach the rollups through the visits queue.
    await expect
      .poll(async () => said((await page(overview, cookie)).text), {
        timeout: timeLeftInTest(),
        interval: 250,
      })
      .toBe(
        'Counted in the funnel above, not listed here: 2 visits and 1 join through members’ referral links; 0 visits and 1 join through campaign links not on this page.',
      )
    const html = (await page(overview, cookie)).text
    expect(line(html)).toContain('<a href="#leaderboard">members’ referral links</a>')
    expect(html).toContain('<h2 id="leaderboard">')
    // Its counts are all time, not the period the figures above are of: it says so.
    expect(html).toContain('Since the community began: joins through each member’s own link')
    // Above the figures, a way past them to the parts below, each of which is there.
    const onThisPage = /<nav class="periods" aria-label="On this page">(.*?)<\/nav>/.exec(html)
    const parts = [...(onThisPage?.[1] ?? '').matchAll(/href="#([a-z-]+)">([^<]+)</g)]
    expect(parts.map((m) => `${m[1]}: ${m[2]}`)).toEqual([
      'campaign-links: Campaign links',
      'groups: Groups',
      'leaderboard: Referral leaderboard',
    ])
    for (const [, id] of parts) expect(html).toContain(`id="${id}"`)
    expect(html.indexOf('aria-label="On this page"')).toBeLessThan(html.indexOf('class="funnel"'))
    // The funnel's joins are the table's and the line's: 1 + 1 + 1.
    expect(html).toMatch(/<span class="label">Joins<\/span><b>3<\/b>/)
    const deutsch = await call('GET', overview, {
      token: null,
      headers: { cookie, accept: 'text/html' },
    })
    expect(line(deutsch.text)).toContain('2 Besuche und 1 Beitritt über')
    expect(englishLeftIn(readableText(line(deutsch.text)))).toEqual([])
    // The archived list shows the poster: the flyer is then the campaign link not on the page.
    expect(said((await page(`${overview}?archived=1`, cookie)).text)).toBe(
      'Counted in the funnel above, not listed here: 2 visits and 1 join through members’ referral links; 0 visits and 1 join through campaign links not on this page.',
    )
  }, 30_000)

  it('says nothing where every link with figures is in the table', async () => {
    const community = await createCommunity({ name: 'Plain Club' })
    const invite = await createInvite(community.id, { label: 'Only' })
    await visit(`/i/${invite.code}`, { 'cf-connecting-ip': '198.51.100.43' })
    const { cookie } = await signIn()
    const overview = async () => (await page(`/admin/communities/${community.id}`, cookie)).text
    await expect
      .poll(overview, { timeout: timeLeftInTest(), interval: 250 })
      .toContain('data-label="Visits">1</td>')
    expect(await overview()).not.toContain('links-not-listed')
  })
})

describe('the home page', () => {
  it('shows the key numbers across communities: pending requests, joins this week, next announcement', async () => {
    const closed = await createCommunity({ name: 'Home Closed', visibility: 'closed' })
    const open = await createCommunity({ name: 'Home Open' })
    const invite = await createInvite(open.id)
    await joinOn(invite.code, 1)
    await joinOn(invite.code, 3)
    await joinOn(invite.code, 12) // not this week
    const closedInvite = await createInvite(closed.id)
    const { call } = await import('./helpers')
    const pending = await call('POST', `/i/${closedInvite.code}/join`, {
      token: null,
      body: { name: 'Waiting', phone: newPhone(), consent: true },
      headers: { accept: 'application/json' },
    })
    expect(pending.status).toBe(201)
    const announcement = await call('POST', `/api/communities/${open.id}/announcements`, {
      body: { body: 'Soon', sendAt: '2031-03-01T09:00:00Z' },
    })
    expect(announcement.status).toBe(201)
    const { cookie } = await signIn()
    const home = (await page('/admin', cookie)).text
    const rowOf = (name: string) => {
      const start = home.indexOf(`<bdi>${name}</bdi></a></td>`)
      return home.slice(start, home.indexOf('</tr>', start))
    }
    expect(rowOf('Home Open')).toContain('data-label="Joins, 7 days">2</td>')
    expect(rowOf('Home Open')).toContain('Sat 1 Mar, 10:00')
    expect(rowOf('Home Open')).toContain('data-label="Approvals">–</td>')
    expect(rowOf('Home Closed')).toContain('1 pending</a>')
    expect(home).toMatch(/<span class="muted">Pending requests<\/span><b>\d+<\/b>/)
    expect(home).toMatch(/<span class="muted">Joins, 7 days<\/span><b>\d+<\/b>/)
    expect(home).toContain('<span class="muted">Next announcement</span>')
  })
})

describe('switching language', () => {
  it('keeps the period and the order of the page', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const html = (
      await page(`/admin/communities/${community.id}?period=90&tz=UTC&sort=conversion`, cookie)
    ).text
    expect(html).toContain(
      `<a href="/admin/communities/${community.id}?period=90&amp;tz=UTC&amp;sort=conversion&amp;lang=de" lang="de" hreflang="de">Deutsch</a>`,
    )
  })
})

describe('a chart and the keyboard', () => {
  it('offers a link past its days, each of which takes focus', async () => {
    const html = await render(
      DailyChart({
        lang: 'de',
        days: ['2026-03-01', '2026-03-02'],
        title: 'Besuche pro Tag',
        series: [{ label: 'Besuche', color: '#0b6e35', values: [1, 2] }],
      }),
    )
    expect(html).toContain(
      '<a class="skip" href="#after-besuche-pro-tag">Diagramm überspringen</a>',
    )
    expect(html).toContain('<span id="after-besuche-pro-tag" tabindex="-1"></span>')
  })
})

describe('a community with nothing counted yet', () => {
  it('says so once, instead of a share of nothing under every step of the funnel', async () => {
    const community = await createCommunity()
    await createInvite(community.id)
    const { cookie } = await signIn()
    const html = (await page(`/admin/communities/${community.id}?lang=en`, cookie)).text
    expect(html.split('Nothing counted in this period yet').length - 1).toBe(1)
    expect(html).not.toContain('No share: nothing counted in the step before.')
    // Once someone came, the funnel's shares are back.
    const invite = await createInvite(community.id)
    expect((await visit(`/i/${invite.code}`)).status).toBe(200)
    await eventually(async () => {
      const after = (await page(`/admin/communities/${community.id}?lang=en`, cookie)).text
      expect(after).not.toContain('Nothing counted in this period yet')
    })
  })
})
