import { describe, expect, it } from 'vitest'
import { utcDay } from '../../src/lib/time'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  query,
  visit,
} from './helpers'
import { page, signIn } from './dashboard-helpers'

let address = 0

/** `people` visits to a link's landing page, each from their own address. */
async function visitsTo(code: string, people: number) {
  for (let i = 0; i < people; i++) {
    const page = await visit(`/i/${code}?via=qr`, { 'cf-connecting-ip': `198.51.100.${++address}` })
    expect(page.status).toBe(200)
  }
}

async function joins(code: string, people: number) {
  for (let i = 0; i < people; i++) {
    const joined = await joinJson(
      code,
      { name: 'Compare', consent: true, phone: newPhone() },
      { 'cf-connecting-ip': `198.51.100.${++address}` },
    )
    expect(joined.status, joined.text).toBe(201)
  }
}

async function visitsOf(inviteId: string) {
  const [row] = await query<{ n: number }>(
    'select coalesce(sum(visits), 0) as n from invite_daily_totals where invite_id = ?',
    inviteId,
  )
  return row!.n
}

interface Step {
  step: string
  value: number
  base: number | null
  rate: number | null
  differenceFromFirst: number | null
  measurableFrom: string | null
}

describe('comparing links and sources through the API', () => {
  it('puts two links side by side: funnels, days, and the difference at each step', async () => {
    const community = await createCommunity()
    const flyer = await createInvite(community.id, { label: 'Flyer', source: 'flyer' })
    const insta = await createInvite(community.id, { label: 'Insta', source: 'instagram' })
    await visitsTo(flyer.code, 4)
    await visitsTo(insta.code, 2)
    await joins(flyer.code, 1)
    await joins(insta.code, 1)
    await eventually(async () => {
      expect(await visitsOf(flyer.id)).toBe(4)
      expect(await visitsOf(insta.id)).toBe(2)
    })

    const today = utcDay(new Date())
    const answer = await call(
      'GET',
      `/api/communities/${community.id}/stats/compare?links=${flyer.id},${insta.id}&from=${today}&to=${today}`,
    )
    expect(answer.status, answer.text).toBe(200)
    const { entries, days, compared } = answer.json
    expect(compared).toBe('links')
    expect(days).toEqual([today])
    expect(entries.map((e: { label: string }) => e.label)).toEqual(['Flyer', 'Insta'])
    expect(entries[0].funnel).toMatchObject({ visits: 4, joinRequests: 1, joins: 1 })
    expect(entries[1].funnel).toMatchObject({ visits: 2, joinRequests: 1, joins: 1 })
    expect(entries[0].visits).toEqual([4])
    expect(entries[1].joins).toEqual([1])
    const step = (entry: { steps: Step[] }, name: string) =>
      entry.steps.find((s) => s.step === name)!
    // Sign-ups per visit: 1 of 4 against 1 of 2, a difference of 25 points for the second.
    expect(step(entries[0], 'joinRequests')).toMatchObject({
      value: 1,
      base: 4,
      rate: 0.25,
      differenceFromFirst: null,
    })
    expect(step(entries[1], 'joinRequests')).toMatchObject({ rate: 0.5, differenceFromFirst: 0.25 })
    // Joined today: retention is not measurable yet, and the answer says from when it will be.
    const sevenDays = new Date(Date.parse(`${today}T00:00:00Z`) + 7 * 86400_000)
    expect(step(entries[1], 'stayed7Days')).toMatchObject({
      rate: null,
      differenceFromFirst: null,
      measurableFrom: utcDay(sevenDays),
    })

    // The same two by source: the same figures.
    const bySource = await call(
      'GET',
      `/api/communities/${community.id}/stats/compare?sources=instagram,flyer&from=${today}&to=${today}`,
    )
    expect(bySource.status, bySource.text).toBe(200)
    expect(bySource.json.compared).toBe('sources')
    expect(bySource.json.entries.map((e: { key: string }) => e.key)).toEqual(['instagram', 'flyer'])
    expect(bySource.json.entries[1].funnel).toEqual(entries[0].funnel)

    // The dashboard's compare page exports what it compares, not the whole community's figures.
    const { cookie } = await signIn()
    const comparePage = await page(
      `/admin/communities/${community.id}/compare?links=${flyer.id},${insta.id}&period=custom&from=${today}&to=${today}`,
      cookie,
    )
    const csvHref = /href="([^"]*\/compare\.csv[^"]*)"/
      .exec(comparePage.text)![1]!
      .replace(/&amp;/g, '&')
    const csv = await page(csvHref, cookie)
    expect(csv.status, csv.text).toBe(200)
    expect(csv.headers.get('content-disposition')).toContain(`-compare-${today}-${today}.csv`)
    expect(csv.text.trim().split('\r\n')).toEqual([
      'date,compared,visits,joins,joins_counted_by',
      `${today},Flyer,4,1,our_forms`,
      `${today},Insta,2,1,our_forms`,
    ])
  })

  it('refuses what it cannot compare with a clear answer', async () => {
    const community = await createCommunity()
    const mine = await createInvite(community.id)
    const theirs = await createInvite((await createCommunity()).id)
    const path = `/api/communities/${community.id}/stats/compare`
    expectProblem(await call('GET', `${path}?links=${mine.id},${theirs.id}`), 404, 'not_found')
    expectProblem(await call('GET', `${path}?links=${mine.id}`), 400, 'validation_failed')
    expectProblem(await call('GET', path), 400, 'validation_failed')
    expectProblem(await call('GET', `${path}?links=${mine.id},nope`), 400, 'validation_failed')
    expectProblem(await call('GET', `${path}?sources=a,b,c,d,e,f,g`), 400, 'validation_failed')
    expectProblem(
      await call('GET', `${path}?sources=a,b&from=2026-02-01&to=2026-01-01`),
      400,
      'validation_failed',
    )
    // Sources compared are each their own source: a source filter beside them would be ignored.
    const bySourceFiltered = expectProblem(
      await call('GET', `${path}?sources=a,b&source=a`),
      400,
      'validation_failed',
    )
    expect(bySourceFiltered.errors).toEqual([
      { path: 'source', message: expect.stringContaining('leave out `source`') },
    ])
  })

  it('answers periods at either end of the calendar with figures or a 400, never an error', async () => {
    const community = await createCommunity()
    const [a, b] = [await createInvite(community.id), await createInvite(community.id)]
    const path = `/api/communities/${community.id}/stats/compare`
    for (const compared of [`links=${a.id},${b.id}`, 'sources=a,b']) {
      const early = await call('GET', `${path}?${compared}&from=0999-12-20&to=1000-01-10`)
      expect(early.status, early.text).toBe(200)
      expect(early.json.days).toHaveLength(22)
      expect(early.json.days.at(0)).toBe('0999-12-20')
      // A period ending on the calendar's last day has no day after it to count to.
      for (const range of ['to=9999-12-31', 'from=9999-12-25&to=9999-12-31', 'from=9999-06-01'])
        expectProblem(await call('GET', `${path}?${compared}&${range}`), 400, 'validation_failed')
      // Nor one so early that its default start, 29 days before its end, is before year 0.
      for (const range of ['to=0000-01-10', 'to=0001-12-31', 'from=0000-01-01&to=0000-01-02'])
        expectProblem(await call('GET', `${path}?${compared}&${range}`), 400, 'validation_failed')
      const first = await call('GET', `${path}?${compared}&to=0002-01-10`)
      expect(first.json.days.at(0)).toBe('0001-12-12')
      const firstDays = await call('GET', `${path}?${compared}&from=0002-01-01&to=0002-01-10`)
      expect(firstDays.json.days).toHaveLength(10)
    }
  })
})
