import { describe, expect, it } from 'vitest'
import { utcDay } from '../../src/lib/time'
import { call, createInvite, eventually } from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'
import { formSignUp } from './counted-support'

/**
 * Every place that says how many people joined tells the same story, for any mix of links:
 * the stats API's `joined`, its breakdowns by source and campaign, the answer filtered by a
 * source, the comparison of sources and of links, and the dashboard's funnel all count a link
 * into Telegram by what Telegram verified and a link into WhatsApp by what our form sent on,
 * each figure checked against what the test itself made happen. Communities are drawn at random
 * from a seed (printed on failure), so each run tries other mixes.
 */

const SOURCES = ['poster', 'flyer', undefined] as const
const CAMPAIGNS = ['spring', 'summer', undefined] as const

interface PlannedLink {
  telegram: boolean
  source: string | undefined
  campaign: string | undefined
  /** Joins Telegram reports through the link (a link into Telegram only). */
  verified: number
  /** Sign-ups through our form: sent on to the chat at once (an open community). */
  signUps: number
}

/** A small seeded generator (mulberry32): the same seed draws the same community. */
function generator(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!,
  }
}

function plan(seed: number): PlannedLink[] {
  const random = generator(seed)
  const links = Array.from({ length: 3 + random.int(3) }, () => {
    const telegram = random.int(3) > 0
    return {
      telegram,
      source: random.pick(SOURCES),
      campaign: random.pick(CAMPAIGNS),
      verified: telegram ? random.int(4) : 0,
      signUps: random.int(3),
    }
  })
  // At least one link of each kind with figures: a Telegram join, and (mostly) a sign-up.
  links[0]!.telegram = true
  links[0]!.verified = 1 + links[0]!.verified
  links[1]!.telegram = false
  links[1]!.verified = 0
  return links
}

/** What "joined" must read for a set of links: Telegram's joins, or our form's sign-ups. */
function expectedJoined(links: PlannedLink[]): number {
  return links.reduce((sum, link) => sum + (link.telegram ? link.verified : link.signUps), 0)
}

const named = (value: string | undefined) => value ?? '(none)'

/** The community the plan draws, its links made and their joins applied. */
async function build(planned: PlannedLink[]) {
  const { community, group, chatId } = await telegramCommunity()
  const made: Array<PlannedLink & { invite: Awaited<ReturnType<typeof createInvite>> }> = []
  for (const [i, link] of planned.entries()) {
    const invite = await createInvite(community.id, {
      label: `Link ${i}`,
      ...(link.telegram ? { groupId: group.id } : {}),
      ...(link.source ? { source: link.source } : {}),
      ...(link.campaign ? { campaign: link.campaign } : {}),
    })
    if (link.telegram) {
      const url = await withTelegramLink(invite.id)
      for (let j = 0; j < link.verified; j++)
        await postUpdate(memberUpdate(chatId, newUser('Drawn'), 'joined', { inviteLink: url }))
    }
    for (let j = 0; j < link.signUps; j++) await formSignUp(invite.code)
    made.push({ ...link, invite })
  }
  await eventually(async () => {
    const seen = await Promise.all(made.map((link) => verifiedOf(link.invite.id)))
    expect(seen.map((s) => s.joins)).toEqual(made.map((link) => link.verified))
  })
  return { community, links: made }
}

type Row = { value: string; joined: { joins: number | null } }

describe('joined, wherever it is shown', () => {
  for (const seed of [Date.now() % 100_000, (Date.now() * 7 + 13) % 100_000]) {
    it(`adds up the same in every view (seed ${seed})`, async () => {
      const planned = plan(seed)
      const { community, links } = await build(planned)
      const today = utcDay(new Date())
      const period = `from=${today}&to=${today}`
      const stats = await call('GET', `/api/communities/${community.id}/stats?${period}`)
      expect(stats.status, stats.text).toBe(200)
      const total = expectedJoined(planned)
      expect(stats.json.joined.joins).toBe(total)
      // Who counted: Telegram for the links with figures into Telegram, our form for the others.
      const withFigures = planned.filter((link) => link.verified + link.signUps > 0)
      const onTelegram = withFigures.filter((link) => link.telegram).length
      const countedBy = onTelegram === withFigures.length ? 'telegram' : 'both'
      expect(stats.json.joined.countedBy).toBe(countedBy)
      // The breakdowns by the link's own dimensions add up to it, each value to its links.
      for (const [dimension, of] of [
        ['source', (link: PlannedLink) => named(link.source)],
        ['campaign', (link: PlannedLink) => named(link.campaign)],
      ] as const) {
        const rows: Row[] = stats.json.breakdowns[dimension]
        const values = [...new Set(planned.map(of))]
        for (const value of values) {
          const expected = expectedJoined(planned.filter((link) => of(link) === value))
          const row = rows.find((r) => r.value === value)
          // A value whose links saw nothing in the period has no row.
          expect(row?.joined.joins ?? 0, `${dimension} ${value}`).toBe(expected)
        }
        expect(rows.reduce((sum, r) => sum + (r.joined.joins ?? 0), 0)).toBe(total)
      }
      // Filtered by a source, the answer's joined is that source's.
      const sources = [...new Set(planned.map((link) => named(link.source)))]
      for (const source of sources) {
        const filtered = await call(
          'GET',
          `/api/communities/${community.id}/stats?${period}&source=${encodeURIComponent(source)}`,
        )
        const expected = expectedJoined(planned.filter((link) => named(link.source) === source))
        expect(filtered.json.joined?.joins ?? 0, `filtered by ${source}`).toBe(expected)
      }
      // The comparison of every source, and of links, counts each the same way.
      const compare = `/api/communities/${community.id}/stats/compare?${period}`
      if (sources.length >= 2) {
        const bySource = await call('GET', `${compare}&sources=${sources.join(',')}`)
        expect(bySource.status, bySource.text).toBe(200)
        const joined = bySource.json.entries.map(
          (e: { joined: { joins: number } }) => e.joined.joins,
        )
        expect(joined).toEqual(
          sources.map((s) => expectedJoined(planned.filter((link) => named(link.source) === s))),
        )
      }
      const shown = links.slice(0, 6)
      const byLink = await call(
        'GET',
        `${compare}&links=${shown.map((l) => l.invite.id).join(',')}`,
      )
      expect(byLink.status, byLink.text).toBe(200)
      expect(byLink.json.entries.map((e: { joined: { joins: number } }) => e.joined.joins)).toEqual(
        shown.map((link) => expectedJoined([link])),
      )
      // The dashboard's funnel says the same.
      const { cookie } = await signIn()
      const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
      const label = countedBy === 'telegram' ? 'Joined (verified by Telegram)' : 'Joins'
      expect(overview).toContain(`<span class="label">${label}</span><b>${total}</b>`)
    })
  }
})
