import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { statsQueries } from '../../src/services/stats-api'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  visit,
} from './helpers'

const PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36'
const today = new Date().toISOString().slice(0, 10)

async function visitAs(code: string, ip: string, options: { via?: 'qr'; agent?: string } = {}) {
  const page = await visit(`/i/${code}${options.via ? '?via=qr' : ''}`, {
    'cf-connecting-ip': ip,
    'user-agent': options.agent ?? PHONE,
  })
  expect(page.status).toBe(200)
}

async function visitCount(inviteId: string) {
  const row = await env.DB.prepare('select count(*) as n from visits where invite_id = ?')
    .bind(inviteId)
    .first<{ n: number }>()
  return row!.n
}

describe('stats for marketers', () => {
  it('counts visits, unique visitors, scans vs clicks and bots for a link', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { source: 'instagram' })
    await visitAs(invite.code, '198.51.100.1', { via: 'qr' })
    await visitAs(invite.code, '198.51.100.1', { via: 'qr' }) // same person again: not a new unique
    await visitAs(invite.code, '198.51.100.2')
    await visitAs(invite.code, '198.51.100.3', { agent: 'WhatsApp/2.24.6.77 A' })
    await eventually(async () => expect(await visitCount(invite.id)).toBe(4))

    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.status).toBe(200)
    expect(stats.json.totals).toEqual({
      visits: 3,
      uniqueVisitors: 2,
      scans: 2,
      clicks: 1,
      botVisits: 1,
      joinRequests: 0,
      confirmations: 0,
      confirmedByPhone: 0,
      confirmedByEmail: 0,
      joins: 0,
      conversionRate: 0,
    })
    expect(stats.json.to).toBe(today)
    expect(stats.json.byDay).toEqual([
      expect.objectContaining({ day: today, visits: 3, uniqueVisitors: 2 }),
    ])
    expect(stats.json.bySource).toEqual([
      expect.objectContaining({ source: 'instagram', visits: 3 }),
    ])
    expect(
      stats.json.byCountry.reduce((n: number, row: { visits: number }) => n + row.visits, 0),
    ).toBe(3)
  })

  it('adds up a community’s links, by source', async () => {
    const community = await createCommunity()
    const insta = await createInvite(community.id, { source: 'instagram' })
    const flyer = await createInvite(community.id, { source: 'flyer' })
    const untagged = await createInvite(community.id)
    await visitAs(insta.code, '198.51.100.10')
    await visitAs(insta.code, '198.51.100.11')
    await visitAs(flyer.code, '198.51.100.12', { via: 'qr' })
    await visitAs(untagged.code, '198.51.100.13')
    await eventually(async () => {
      expect(
        (await visitCount(insta.id)) +
          (await visitCount(flyer.id)) +
          (await visitCount(untagged.id)),
      ).toBe(4)
    })
    const stats = await call(
      'GET',
      `/api/communities/${community.id}/stats?from=${today}&to=${today}`,
    )
    expect(stats.json.totals).toMatchObject({ visits: 4, uniqueVisitors: 4, scans: 1, clicks: 3 })
    expect(stats.json.bySource).toHaveLength(3)
    expect(stats.json.bySource[0]).toMatchObject({ source: 'instagram', visits: 2 })
    expect(stats.json.bySource).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'flyer', visits: 1, scans: 1 }),
        expect.objectContaining({ source: '(none)', visits: 1, clicks: 1 }),
      ]),
    )
  })

  it('counts double opt-in sign-ups, confirmations and joins apart', async () => {
    // A closed community asking for a double opt-in (the default for new communities).
    const created = await call('POST', '/api/communities', {
      body: { name: 'Double Stats Club', description: 'x', visibility: 'closed' },
    })
    expect(created.json.consent).toBe('double')
    const invite = await createInvite(created.json.id)
    const ids: string[] = []
    for (const name of ['Ann', 'Ben', 'Cy']) {
      const joined = await joinJson(invite.code, { name, phone: newPhone() })
      expect(joined.json.status).toBe('unconfirmed')
      ids.push(joined.json.joinRequestId)
    }
    for (const id of ids.slice(0, 2)) {
      const confirmed = await call('POST', `/api/join-requests/${id}/confirm`, {
        body: { proof: 'Signed form at the stand' },
      })
      expect(confirmed.status, confirmed.text).toBe(200)
    }
    // Confirming again changes nothing.
    await call('POST', `/api/join-requests/${ids[0]}/confirm`, {
      body: { proof: 'Signed form at the stand' },
    })
    expect((await call('POST', `/api/join-requests/${ids[0]}/approve`)).status).toBe(200)

    for (const path of [
      `/api/invites/${invite.id}/stats`,
      `/api/communities/${created.json.id}/stats`,
    ]) {
      const stats = await call('GET', path)
      expect(stats.status).toBe(200)
      expect(stats.json.totals).toMatchObject({ joinRequests: 3, confirmations: 2, joins: 1 })
      expect(stats.json.byDay).toEqual([
        expect.objectContaining({ day: today, joinRequests: 3, confirmations: 2, joins: 1 }),
      ])
    }
  })

  it('counts a single opt-in sign-up as confirmed when it is made', async () => {
    const invite = await createInvite((await createCommunity({ consent: 'single' })).id)
    const joined = await joinJson(invite.code, { name: 'Dee', phone: newPhone() })
    expect(joined.json.status).toBe('active')
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ joinRequests: 1, confirmations: 1, joins: 1 })
  })

  it('reports nothing outside the range', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await visitAs(invite.code, '198.51.100.20')
    await eventually(async () => expect(await visitCount(invite.id)).toBe(1))
    const stats = await call('GET', `/api/invites/${invite.id}/stats?from=2020-01-01&to=2020-01-31`)
    expect(stats.json.totals.visits).toBe(0)
    expect(stats.json.byDay).toEqual([])
  })

  it('refuses bad ranges', async () => {
    const invite = await createInvite((await createCommunity()).id)
    expectProblem(
      await call('GET', `/api/invites/${invite.id}/stats?from=2026-02-01&to=2026-01-01`),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('GET', `/api/invites/${invite.id}/stats?from=2020-01-01&to=2026-01-01`),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('GET', `/api/invites/${invite.id}/stats?from=yesterday`),
      400,
      'validation_failed',
    )
  })

  it('answers periods at either end of the calendar without an error', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // Years before 1000 are written with leading zeros: the months of such a period are too.
    for (const path of [`/api/invites/${invite.id}`, `/api/communities/${community.id}`]) {
      const early = await call('GET', `${path}/stats?from=0999-11-15&to=1000-02-10`)
      expect(early.status, early.text).toBe(200)
      expect(early.json.totals.visits).toBe(0)
      const year2 = await call('GET', `${path}/stats?from=0002-01-01&to=0002-03-31`)
      expect(year2.status, year2.text).toBe(200)
      // Earlier, a period's default start or its cohorts would fall before year 0: refused.
      for (const range of ['from=0000-01-01&to=0000-03-31', 'to=0000-01-10', 'to=0001-12-31'])
        expectProblem(await call('GET', `${path}/stats?${range}`), 400, 'validation_failed')
    }
    // The day after 9998-12-31 (and its month's end) is still a date; later ones are refused.
    const last = await call('GET', `/api/invites/${invite.id}/stats?from=9998-12-01&to=9998-12-31`)
    expect(last.status, last.text).toBe(200)
    for (const range of ['from=9999-12-01&to=9999-12-31', 'from=9999-01-01&to=9999-01-31'])
      expectProblem(
        await call('GET', `/api/communities/${community.id}/stats?${range}`),
        400,
        'validation_failed',
      )
  })

  it('reads rollups through indexes, never scanning a table', async () => {
    const db = createDb(env.DB, { checkLimits: true })
    const range = { from: '2026-01-01', to: '2026-12-31' }
    const filtered = { source: 'flyer', device: 'mobile', referrer: '(none)', via: 'qr' }
    for (const scope of [{ inviteId: 'inv_x' }, { communityId: 'cmt_x' }]) {
      const queries = [
        ...Object.entries(statsQueries(db, scope, range)),
        ...Object.entries(statsQueries(db, scope, range, filtered)).map(
          ([name, query]) => [`${name}, filtered`, query] as const,
        ),
      ]
      for (const [name, query] of queries) {
        const { sql, params } = query.toSQL()
        const plan = await env.DB.prepare(`explain query plan ${sql}`)
          .bind(...params)
          .all<{ detail: string }>()
        const details = plan.results.map((row) => row.detail)
        // The breakdowns' derived tables (`combos` and the tables folded from it) hold what the
        // rollup's index search found; a scan of any real table fails.
        expect(
          details.filter(
            (d) =>
              /^SCAN /.test(d) &&
              !/^SCAN (picked|combos|grouped|ranked|per_link|json_each|\(subquery)/.test(d),
          ),
          `${name}: ${details.join(' | ')}`,
        ).toEqual([])
        expect(
          details.some((d) =>
            /SEARCH invite_(daily_stats|daily_totals|monthly_stats) USING (INDEX|PRIMARY KEY)/.test(
              d,
            ),
          ),
        ).toBe(true)
      }
    }
  })
})
