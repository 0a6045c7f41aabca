import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'
import { signIn } from '../worker/dashboard-helpers'

const HUMAN = 'human-token' // passes the Turnstile stand-in

/** A dashboard page in one language, signed in. */
async function open(path: string, cookie: string, lang: 'de' | 'en') {
  const response = await call('GET', path, {
    token: null,
    headers: { cookie, accept: 'text/html', 'accept-language': lang },
  })
  expect(response.status, `${path}: ${response.text.slice(0, 300)}`).toBe(200)
  return response.text
}

/** The contents of every table cell with this label (cells carry their column's name). */
function cells(html: string, label: string): string[] {
  return [...html.matchAll(new RegExp(`data-label="${label}">(.*?)</td>`, 'gs'))].map((m) => m[1]!)
}

/**
 * The webhook channel reports nothing back: it takes each message, and that is all anyone hears.
 * A community whose announcements went out through it must not show delivery or read figures
 * anywhere, least of all as a 0 % that reads as a failure.
 */
describe('figures the delivery channel cannot know', () => {
  it('are "not reported" on every dashboard page and null in the API, never 0 %', async () => {
    const community = await createCommunity({
      name: `Honest Figures ${crypto.randomUUID().slice(0, 6)}`,
      visibility: 'closed',
      joinQuestions: ['Why?'],
    })
    const invite = await createInvite(community.id, { label: 'Honest poster' })
    for (const name of ['Ada', 'Ben', 'Cem', 'Dora']) {
      const joined = await joinJson(invite.code, {
        name,
        phone: newPhone(),
        answers: ['To run'],
        turnstileToken: HUMAN,
      })
      expect(joined.status, joined.text).toBe(201)
      // Dora stays pending, for the approvals pages.
      if (name !== 'Dora') {
        const approved = await call(
          'POST',
          `/api/join-requests/${joined.json.joinRequestId}/approve`,
        )
        expect(approved.status, approved.text).toBe(200)
      }
    }
    const ids: string[] = []
    for (const body of ['Run on Sunday at 9', 'Photos from the race are up']) {
      const created = await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body, sendAt: new Date(Date.now() + 1000).toISOString() },
      })
      expect(created.status, created.text).toBe(201)
      ids.push(created.json.id)
    }
    await runCron(new Date(Date.now() + 120_000))
    const sent = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const status = (await call('GET', `/api/announcements/${id}`)).json
          expect(status.deliveries).toMatchObject({ sent: 3, queued: 0 })
          return status
        }),
      ),
    )

    // The API says what is known and flags what is not: rates null, not 0.
    for (const status of sent) {
      expect(status.status).toBe('sent')
      expect(status.reported).toEqual({ delivered: false, read: false })
      expect(status.rates).toMatchObject({ delivered: null, read: null, failed: 0 })
      expect(status.runs).toHaveLength(1)
      expect(status.runs[0]).toMatchObject({
        channel: 'webhook',
        reported: { delivered: false, read: false },
        sent: 3,
      })
    }
    const runs = await query<{ channel: string; scheduled_for: number }>(
      `select r.channel, r.scheduled_for from dispatches r join announcements a on a.id = r.announcement_id
       where a.community_id = ?`,
      community.id,
    )
    expect(runs.map((run) => run.channel)).toEqual(['webhook', 'webhook'])

    // Every page of the community, in both languages: no delivery or read figure, no 0 %.
    const { cookie } = await signIn()
    const c = community.id
    const pages = [
      '/admin',
      '/admin/approvals',
      `/admin/communities/${c}`,
      `/admin/communities/${c}/approvals`,
      `/admin/communities/${c}/members`,
      `/admin/communities/${c}/announcements`,
      `/admin/communities/${c}/settings`,
      `/admin/links/${invite.id}`,
      '/admin/webhooks',
    ]
    for (const lang of ['de', 'en'] as const) {
      const t = DASHBOARD_WORDS[lang]
      for (const path of pages) {
        const html = await open(path, cookie, lang)
        expect(html, `${lang} ${path}`).not.toMatch(/\(0\s?%\)/)
        for (const label of [t.reached, t.readCount]) {
          for (const cell of cells(html, label)) {
            expect(cell, `${lang} ${path}: ${label}`).not.toMatch(/\d/)
            expect(cell, `${lang} ${path}: ${label}`).toContain(t.notReported)
          }
        }
      }
      const list = await open(`/admin/communities/${c}/announcements`, cookie, lang)
      expect(cells(list, t.reached)).toHaveLength(2)
      expect(cells(list, t.readCount)).toHaveLength(2)
      expect(list).toContain(t.receiptsUnknown)
      // What is known is shown: three sent, each row with the date it went out.
      expect(cells(list, t.sentCount).map((cell) => cell.trim())).toEqual(['3', '3'])
      for (const run of runs) {
        const date = new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', {
          dateStyle: 'medium',
          timeStyle: 'short',
          timeZone: 'Europe/Berlin',
        }).format(new Date(run.scheduled_for))
        expect(list).toContain(date)
      }
    }
  }, 30_000)
})
