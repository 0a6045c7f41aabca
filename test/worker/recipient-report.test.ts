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
