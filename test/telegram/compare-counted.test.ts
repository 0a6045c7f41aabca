import { describe, expect, it } from 'vitest'
import { utcDay } from '../../src/lib/time'
import { createInvite } from '../worker/helpers'
import { signIn } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
import { formSignUp, german, measured, telegramLinkWithJoins } from './counted-support'

/**
 * The compare page and its API count each link's joins where its people join, as the stats
 * page does: a link into a Telegram chat what Telegram verified, with our form's sign-ups
 * through it a step before; a link into WhatsApp what our form sent on. A marketer comparing a
 * Telegram poster with a WhatsApp flyer compares joins with joins.
 */

/**
 * A community with a link into its Telegram group (source `poster`: three joins Telegram saw,
 * one sign-up through our form) and one into its announcement group on WhatsApp (source
 * `flyer`: two sign-ups through our form), each sign-up from Germany.
 */
async function posterAndFlyer() {
  const { community, invite } = await telegramLinkWithJoins(3, { source: 'poster' })
  await formSignUp(invite.code, 'DE')
  const flyer = await createInvite(community.id, { label: 'Flyer', source: 'flyer' })
  await formSignUp(flyer.code, 'DE')
  await formSignUp(flyer.code, 'DE')
  return { community, poster: invite, flyer }
}

/** A row of the compare table: its label's cells, one an entry, as a reader reads them. */
function compareRow(html: string, label: string): string[] {
  const start = html.indexOf(`<th scope="row">${label}</th>`)
  expect(start, `a row “${label}”`).toBeGreaterThan(-1)
  const row = html.slice(start, html.indexOf('</tr>', start))
  return [...row.matchAll(/<td class="n" data-label="([^"]*)">(.*?)<\/td>/g)]
    .filter((m) => !m[1]!.includes(':'))
    .map((m) =>
      readableText(m[2]!.replace(/<br\/?>/g, ' | '))
        .replace(/\s+/g, ' ')
        .trim(),
    )
}

const today = () => utcDay(new Date())

describe('comparing a Telegram link with a WhatsApp link', () => {
  it('answers each entry’s joins as its platform counted them, through the API', async () => {
    const { community, poster, flyer } = await posterAndFlyer()
    const period = `from=${today()}&to=${today()}`
    const path = `/api/communities/${community.id}/stats/compare`
    const byLink = await measured(`${path}?links=${poster.id},${flyer.id}&${period}`)
    const [telegram, whatsapp] = JSON.parse(byLink.text).entries
    expect(telegram.funnel).toMatchObject({ joinRequests: 1, confirmations: 1, joins: 3 })
    expect(telegram.joined).toEqual({
      countedBy: 'telegram',
      joins: 3,
      verifiedByTelegram: 3,
      sentOnByOurForms: 0,
      conversionRate: 0,
    })
    expect(telegram.joins.reduce((a: number, b: number) => a + b, 0)).toBe(3)
    // Its join is a share of the visits (none here), as its funnel shows it, not of the one
    // sign-up our form confirmed; the WhatsApp link's of its confirmed sign-ups.
    const joinsStep = (entry: { steps: Array<{ step: string }> }) =>
      entry.steps.find((s) => s.step === 'joins')
    expect(joinsStep(telegram)).toMatchObject({ value: 3, base: 0, rate: null })
    expect(joinsStep(whatsapp)).toMatchObject({ value: 2, base: 2, rate: 1 })
    // Telegram reports a leave on its day, whoever joined when: no share of the period's joins.
    const leavesStep = (entry: { steps: Array<{ step: string }> }) =>
      entry.steps.find((s) => s.step === 'leaves')
    expect(leavesStep(telegram)).toMatchObject({ value: 0, base: null, rate: null })
    expect(leavesStep(whatsapp)).toMatchObject({ value: 0, base: 2, rate: 0 })
    // The Telegram link's page leads straight to Telegram, past our form: its visits are no
    // base for the form's requests.
    const requestsStep = (entry: { steps: Array<{ step: string }> }) =>
      entry.steps.find((s) => s.step === 'joinRequests')
    expect(requestsStep(telegram)).toMatchObject({ value: 1, base: null, rate: null })
    expect(requestsStep(whatsapp)).toMatchObject({ value: 2, base: whatsapp.funnel.visits })
    expect(whatsapp.funnel.joins).toBe(2)
    expect(whatsapp.joined).toMatchObject({ countedBy: 'our_forms', joins: 2, sentOnByOurForms: 2 })
    // The same two as sources, in the same read.
    const bySource = await measured(`${path}?sources=poster,flyer&${period}`)
    expect(bySource.trips).toBe(byLink.trips)
    const sources = JSON.parse(bySource.text).entries
    expect(sources.map((e: { joined: { countedBy: string } }) => e.joined.countedBy)).toEqual([
      'telegram',
      'our_forms',
    ])
    expect(sources.map((e: { funnel: { joins: number } }) => e.funnel.joins)).toEqual([3, 2])
  })

  it('says the Telegram joins cannot be told under a filter on the visit', async () => {
    const { community, poster, flyer } = await posterAndFlyer()
    const answer = await measured(
      `/api/communities/${community.id}/stats/compare?links=${poster.id},${flyer.id}&country=DE`,
    )
    const [telegram, whatsapp] = JSON.parse(answer.text).entries
    expect(telegram.joined).toMatchObject({
      countedBy: 'telegram',
      joins: null,
      conversionRate: null,
      notFilteredBy: ['country'],
    })
    // The funnel then holds what our form sent on from Germany.
    expect(telegram.funnel.joins).toBe(1)
    expect(whatsapp.joined).toMatchObject({ countedBy: 'our_forms', joins: 2 })
    expect(whatsapp.joined.notFilteredBy).toBeUndefined()
  })

  it('shows them side by side on the page, the Telegram joins marked, in two round trips', async () => {
    const { community, poster, flyer } = await posterAndFlyer()
    const { cookie } = await signIn()
    const at = `/admin/communities/${community.id}/compare`
    const { text, trips } = await measured(`${at}?links=${poster.id},${flyer.id}`, cookie)
    expect(trips).toBeLessThanOrEqual(2)
    expect(compareRow(text, 'Sent on to the chat by our form')).toEqual([
      '1 | 100% of “Confirmed”',
      '–',
    ])
    expect(compareRow(text, 'Join requests')[0]).toBe('1')
    expect(compareRow(text, 'Joins')[0]).toBe(
      '3 verified by Telegram ✓ Telegram | No share: nothing counted in the step before.',
    )
    expect(compareRow(text, 'Joins')[1]).toMatch(/^2 \| 100% of “Confirmed”$/)
    expect(text).toContain('✓ Telegram: joins, retention and leaves as Telegram itself reported')
    expect(text).toContain('<th scope="col">Joined (verified by Telegram)</th>')
    const sources = await measured(`${at}?sources=poster,flyer`, cookie)
    expect(sources.trips).toBeLessThanOrEqual(2)
    expect(compareRow(sources.text, 'Joins')[0]).toMatch(/^3 (verified by Telegram )?✓ Telegram/)
    // Filtered by country, the Telegram link's funnel ends at what our form sent on.
    const filtered = await measured(`${at}?links=${poster.id},${flyer.id}&country=DE`, cookie)
    expect(compareRow(filtered.text, 'Joins')[0]).toBe('–')
    // Its joins by day are then what our form sent on, named so: nothing verified is shown.
    expect(filtered.text).not.toContain('Joined (verified by Telegram)')
    expect(filtered.text).toContain('so the joins it verified cannot be broken down by country')
    const deutsch = await german(`${at}?links=${poster.id},${flyer.id}&country=DE`, cookie)
    expect(deutsch).toContain('lassen sich die verifizierten Beitritte nicht nach Land')
    const main = deutsch.slice(deutsch.indexOf('<main'), deutsch.indexOf('</main>'))
    expect(englishLeftIn(readableText(main))).toEqual([])
  })
})
