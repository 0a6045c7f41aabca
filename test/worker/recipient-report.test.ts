import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { newId } from '../../src/lib/ids'
import { call, createCommunity, createToken } from './helpers'
import { page, signIn } from './dashboard-helpers'
import { seedMembers } from './seed'
import { englishLeftIn, readableText } from '../support/language'

/** One recipient per shown status, as the rows of a run hold them. */
const ROWS: Array<[name: string, status: string, provider: string | null, error: string | null]> = [
  ['Waiting Wim', 'queued', null, null],
  ['Sent Sam', 'sent', 'sent', null],
  ['Delivered Dora', 'sent', 'delivered', null],
  ['Read Rui', 'sent', 'read', null],
  ['Failed Fay', 'failed', null, 'HTTP 410 from the endpoint'],
  ['Undelivered Uma', 'sent', 'failed', null],
  ['Unknown Ugo', 'unknown', null, 'timed out: outcome unknown'],
  ['Skipped Siv', 'skipped', null, 'no confirmed contact'],
  ['Stopped Sten', 'cancelled', null, 'run cancelled'],
]

async function seededAnnouncement() {
  const community = await createCommunity()
  const created = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Hill repeats', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
  })
  const announcementId = created.json.id as string
  const prefix = await seedMembers(community.id, ROWS.length)
  const runId = newId('dsp')
  const at = Date.now()
  await env.DB.batch([
    env.DB.prepare(
      `insert into dispatches (id, announcement_id, scheduled_for, status, channel, queued, sent,
         failed, skipped, delivered, read, undelivered, unknown, cancelled, created_at)
       values (?, ?, ?, 'expanded', 'whatsapp', 1, 4, 1, 1, 2, 1, 1, 1, 1, ?)`,
    ).bind(runId, announcementId, at, at),
    ...ROWS.map(([name, status, provider, error], i) =>
      env.DB.prepare(
        `insert into deliveries (dispatch_id, member_id, status, provider_status, last_error,
           attempts, updated_at) values (?, ?, ?, ?, ?, 1, ?)`,
      ).bind(runId, `${prefix}${String(i + 1).padStart(12, '0')}`, status, provider, error, at),
    ),
    ...ROWS.map(([name], i) =>
      env.DB.prepare('update members set name = ? where id = ?').bind(
        name,
        `${prefix}${String(i + 1).padStart(12, '0')}`,
      ),
    ),
  ])
  return { community, announcementId }
}

describe('the report per recipient', () => {
  it('shows each recipient in the status a reader expects, with counts, and filters by each', async () => {
    const { announcementId } = await seededAnnouncement()
    const { cookie } = await signIn()
    const all = await page(`/admin/announcements/${announcementId}`, cookie)
    expect(all.status).toBe(200)
    for (const [name] of ROWS) expect(all.text).toContain(name)
    for (const chip of [
      'All (9)',
      'waiting (1)',
      // Each recipient once, by how far their message got: "sent" is only sent.
      'only sent (1)',
      'delivered, not read (1)',
      'read (1)',
      'failed (2)',
      'outcome unknown (1)',
      'skipped (1)',
      'stopped (1)',
    ])
      expect(all.text, chip).toContain(`${chip}</a>`)
    // Above them, every step reached, as the announcements list counts it: a read message was
    // sent and delivered too.
    expect(all.text).toContain('Reached: sent 3 · delivered 2 · read 1')

    const expected: Record<string, string[]> = {
      pending: ['Waiting Wim'],
      sent: ['Sent Sam'],
      delivered: ['Delivered Dora'],
      read: ['Read Rui'],
      failed: ['Failed Fay', 'Undelivered Uma'],
      unknown: ['Unknown Ugo'],
      skipped: ['Skipped Siv'],
      stopped: ['Stopped Sten'],
    }
    for (const [status, names] of Object.entries(expected)) {
      const filtered = await page(`/admin/announcements/${announcementId}?status=${status}`, cookie)
      const shown = ROWS.map(([name]) => name).filter((name) => filtered.text.includes(name))
      expect(shown, status).toEqual(names)
    }
    const failed = await page(`/admin/announcements/${announcementId}?status=failed`, cookie)
    expect(failed.text).toContain('HTTP 410 from the endpoint')
    // The run went out through WhatsApp, but this deployment sends through a webhook now.
    expect(all.text).not.toContain('resend-failed')
    // An unknown filter shows everyone rather than failing.
    const odd = await page(`/admin/announcements/${announcementId}?status=nonsense`, cookie)
    expect(odd.status).toBe(200)
    expect(odd.text).toContain('Waiting Wim')
  })

  it('says an announcement not sent yet has no recipients yet, not none of a status', async () => {
    const community = await createCommunity()
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hill repeats', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
    })
    const { cookie } = await signIn()
    const path = `/admin/announcements/${created.json.id}`
    for (const [lang, yet, ofStatus] of [
      ['en', 'No recipients yet.', 'No recipients with this status.'],
      ['de', 'Noch keine Empfänger.', 'Keine Empfänger mit diesem Status.'],
    ]) {
      const unfiltered = (await page(`${path}?lang=${lang}`, cookie)).text
      expect(unfiltered).toContain(yet)
      expect(unfiltered).not.toContain(ofStatus)
      expect((await page(`${path}?status=read&lang=${lang}`, cookie)).text).toContain(ofStatus)
    }
  })

  it('gives the reasons in the reader’s language, and keeps the stored ones in the CSV', async () => {
    const { announcementId } = await seededAnnouncement()
    const { cookie } = await signIn()
    const path = `/admin/announcements/${announcementId}`
    const german = (await page(`${path}?lang=de`, cookie)).text
    expect(german).toContain('Warum manche sie nicht bekommen haben')
    for (const [english, deutsch] of [
      ['HTTP 410 from the endpoint', 'HTTP 410 vom Endpunkt'],
      ['timed out: outcome unknown', 'Zeitüberschreitung: Ausgang unbekannt'],
      ['no confirmed contact', 'Kein bestätigter Kontakt'],
      ['run cancelled', 'Durchlauf abgebrochen'],
    ]) {
      expect(german, deutsch).toContain(deutsch)
      expect(german, english).not.toContain(english)
    }
    const failed = (await page(`${path}?status=failed&lang=de`, cookie)).text
    expect(failed).toMatch(/<li>HTTP 410 vom Endpunkt: 1<\/li>/)
    expect(englishLeftIn(readableText(failed))).toEqual([])
    // English readers, and machines, get the stored phrases.
    expect((await page(path, cookie)).text).toContain('HTTP 410 from the endpoint')
    const csv = (await page(`${path}/recipients.csv?lang=de`, cookie)).text
    expect(csv).toContain('HTTP 410 from the endpoint')
    expect(csv).toContain('no confirmed contact')
    expect(csv).not.toContain('vom Endpunkt')
  })

  it('exports every recipient as CSV and is refused to whoever may not read announcements', async () => {
    const { community, announcementId } = await seededAnnouncement()
    const { cookie } = await signIn()
    const csv = await page(`/admin/announcements/${announcementId}/recipients.csv`, cookie)
    expect(csv.headers.get('content-disposition')).toContain(
      `announcement-${announcementId}-recipients.csv`,
    )
    const lines = csv.text.trim().split('\r\n')
    expect(lines).toHaveLength(ROWS.length + 1)
    expect(lines.find((line) => line.includes('Undelivered Uma'))).toContain(',failed,')

    const other = await createCommunity()
    const stranger = await createToken({ role: 'community_admin', communityId: other.id })
    const { cookie: strangerCookie } = await signIn(stranger.token)
    for (const path of [
      `/admin/announcements/${announcementId}`,
      `/admin/announcements/${announcementId}/recipients.csv`,
    ]) {
      const refused = await page(path, strangerCookie)
      expect([403, 404], path).toContain(refused.status)
      expect(refused.text).not.toContain('Waiting Wim')
    }
    expect(community.id).not.toBe(other.id)
  })
})

/** 18:30 on 1 July 2025 in Berlin, when the timed run below went out. */
const SENT_AT = Date.UTC(2025, 6, 1, 16, 30)
const MINUTE = 60_000

/**
 * A run whose deliveries keep when each step happened: one read, one reported undelivered after
 * it was sent, one refused at sending, one still waiting, and one read before these times were
 * kept (only its latest change's time is known).
 */
async function timedAnnouncement() {
  const community = await createCommunity({ timeZone: 'Europe/Berlin' })
  const created = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Hill repeats', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
  })
  const announcementId = created.json.id as string
  const rows: Array<
    [
      name: string,
      status: string,
      provider: string | null,
      error: string | null,
      errorCode: number | null,
      times: [sent: number | null, delivered: number | null, read: number | null],
      updated: number,
    ]
  > = [
    [
      'Read Rui',
      'sent',
      'read',
      null,
      null,
      [SENT_AT, SENT_AT + MINUTE, SENT_AT + 30 * MINUTE],
      SENT_AT + 30 * MINUTE,
    ],
    [
      'Undelivered Uma',
      'sent',
      'failed',
      null,
      131026,
      [SENT_AT, null, null],
      SENT_AT + 2 * MINUTE,
    ],
    ['Failed Fay', 'failed', null, 'HTTP 410 from the endpoint', null, [null, null, null], SENT_AT],
    ['Waiting Wim', 'queued', null, null, null, [null, null, null], SENT_AT],
    ['Older Olga', 'sent', 'read', null, null, [null, null, null], SENT_AT + 45 * MINUTE],
  ]
  const prefix = await seedMembers(community.id, rows.length)
  const memberId = (i: number) => `${prefix}${String(i + 1).padStart(12, '0')}`
  const runId = newId('dsp')
  await env.DB.batch([
    env.DB.prepare(
      `insert into dispatches (id, announcement_id, scheduled_for, status, channel, queued, sent,
         failed, skipped, delivered, read, undelivered, unknown, cancelled, created_at)
       values (?, ?, ?, 'expanded', 'whatsapp', 1, 3, 1, 0, 2, 2, 1, 0, 0, ?)`,
    ).bind(runId, announcementId, SENT_AT, SENT_AT),
    ...rows.map(([, status, provider, error, code, [sent, delivered, read], updated], i) =>
      env.DB.prepare(
        `insert into deliveries (dispatch_id, member_id, status, provider_status, last_error,
           error_code, attempts, sent_at, delivered_at, read_at, updated_at)
         values (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      ).bind(runId, memberId(i), status, provider, error, code, sent, delivered, read, updated),
    ),
    ...rows.map(([name], i) =>
      env.DB.prepare('update members set name = ? where id = ?').bind(name, memberId(i)),
    ),
  ])
  return { community, announcementId }
}

/** The text of the report's row of one recipient, tags left out. */
function rowOf(html: string, name: string) {
  const row = html.split('<tr>').find((part) => part.includes(`<bdi>${name}</bdi>`)) ?? ''
  return row.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
}

describe('the report per recipient, step by step', () => {
  it('says when each recipient’s message was sent, delivered, read or failed, in the reader’s language', async () => {
    const { announcementId } = await timedAnnouncement()
    const { cookie } = await signIn()
    const path = `/admin/announcements/${announcementId}`
    const english = (await page(`${path}?lang=en`, cookie)).text
    expect(english).toContain('<th>When</th>')
    expect(rowOf(english, 'Read Rui')).toContain(
      'Sent: 1 Jul 2025, 18:30 Delivered: 1 Jul 2025, 18:31 Read: 1 Jul 2025, 19:00',
    )
    // Sent, then reported undelivered: both times, and why.
    const uma = rowOf(english, 'Undelivered Uma')
    expect(uma).toContain('Sent: 1 Jul 2025, 18:30 Failed: 1 Jul 2025, 18:32')
    expect(uma).toContain('Cannot be delivered to this number')
    const fay = rowOf(english, 'Failed Fay')
    expect(fay).toContain('Failed: 1 Jul 2025, 18:30')
    expect(fay).not.toContain('Sent:')
    expect(fay).toContain('HTTP 410 from the endpoint')
    expect(rowOf(english, 'Waiting Wim')).not.toMatch(/Sent:|Delivered:|Read:|Failed:/)
    // Read before each step's time was kept: the time of that step only, none made up.
    const olga = rowOf(english, 'Older Olga')
    expect(olga).toContain('Read: 1 Jul 2025, 19:15')
    expect(olga).not.toMatch(/Sent:|Delivered:/)

    const german = (await page(`${path}?lang=de`, cookie)).text
    expect(german).toContain('<th>Wann</th>')
    expect(rowOf(german, 'Read Rui')).toContain(
      'Gesendet: 01.07.2025, 18:30 Zugestellt: 01.07.2025, 18:31 Gelesen: 01.07.2025, 19:00',
    )
    const umaDe = rowOf(german, 'Undelivered Uma')
    expect(umaDe).toContain('Gesendet: 01.07.2025, 18:30 Fehlgeschlagen: 01.07.2025, 18:32')
    expect(umaDe).toContain('An diese Nummer nicht zustellbar')
    expect(rowOf(german, 'Older Olga')).toContain('Gelesen: 01.07.2025, 19:15')
    expect(englishLeftIn(readableText(german))).toEqual([])

    // The CSV and the API give the same moments, for machines.
    const csv = (await page(`${path}/recipients.csv`, cookie)).text.trim().split('\r\n')
    expect(csv[0]).toBe('run,member_id,name,status,reason,updated_at,sent_at,delivered_at,read_at')
    expect(csv.find((line) => line.includes('Read Rui'))).toMatch(
      /,2025-07-01T16:30:00.000Z,2025-07-01T16:31:00.000Z,2025-07-01T17:00:00.000Z$/,
    )
    const api = await call('GET', `/api/announcements/${announcementId}/deliveries`)
    expect(api.status, api.text).toBe(200)
    const byName = (name: string) =>
      api.json.data.find((row: { memberName: string }) => row.memberName === name)
    expect(byName('Read Rui')).toMatchObject({
      sentAt: '2025-07-01T16:30:00.000Z',
      deliveredAt: '2025-07-01T16:31:00.000Z',
      readAt: '2025-07-01T17:00:00.000Z',
    })
    expect(byName('Older Olga')).toMatchObject({
      sentAt: null,
      deliveredAt: null,
      readAt: '2025-07-01T17:15:00.000Z',
    })
    expect(byName('Waiting Wim')).toMatchObject({ sentAt: null, readAt: null })
  })

  it('the announcements list says what its delivered and read shares are shares of', async () => {
    const { community } = await seededAnnouncement()
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/announcements`
    const english = (await page(`${path}?lang=en`, cookie)).text
    // Sent 4, of them 2 delivered and 1 read.
    expect(english).toMatch(/data-label="Read">\s*1 \(25%\)/)
    expect(english).toContain(
      'The percentages under Delivered and Read are shares of Sent: of the members the announcement was sent to',
    )
    const german = (await page(`${path}?lang=de`, cookie)).text
    expect(german).toMatch(/data-label="Gelesen">\s*1 \(25\s%\)/)
    expect(german).toContain(
      'Die Prozente unter Zugestellt und Gelesen sind Anteile an Gesendet, also an den Mitgliedern, an die die Ankündigung gesendet wurde',
    )
    // Nothing sent yet, no share: nothing to explain.
    const quiet = await createCommunity()
    const none = (await page(`/admin/communities/${quiet.id}/announcements?lang=en`, cookie)).text
    expect(none).not.toContain('The percentages under')
  })
})
