import { describe, expect, inject, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { statusNotification } from '../support/whatsapp-notifications'
import { notify } from './meta'
import { Contract, loadDocument } from '../worker/openapi-contract'

const fake = inject('fakeServicesUrl')

/** The announcement messages the Cloud API stand-in received for one number. */
async function textsTo(phone: string) {
  const requests = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
    body: string
  }>
  return requests
    .map((request) => JSON.parse(request.body) as { to: string; type: string })
    .filter((m) => m.type === 'text' && m.to.replace(/\D/g, '') === phone.replace(/\D/g, ''))
}

/** A number the stand-in always refuses as undeliverable (error 131026). */
function undeliverablePhone() {
  return `+49151${100_000 + Math.floor(Math.random() * 800_000)}99`
}

/**
 * A member by the form's word (single opt-in: announcements reach them without a proof, and a
 * proof's own reply would be one more message to count): their id, from the sign-up.
 */
async function member(code: string, name: string, phone: string) {
  const joined = await joinJson(code, { name, phone })
  expect(joined.status, joined.text).toBe(201)
  const [made] = await query<{ member_id: string }>(
    'select member_id from join_requests where id = ?',
    joined.json.joinRequestId,
  )
  return made!.member_id
}

async function announcementOf(id: string) {
  return (await call('GET', `/api/announcements/${id}`)).json
}

describe('an announcement’s report per recipient', () => {
  it('lists every recipient with status and reason, filters, exports, and resends once to the failed who may get it', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const okPhone = newPhone()
    const failing = undeliverablePhone()
    const leaving = undeliverablePhone()
    const unconfirmed = undeliverablePhone()
    await member(invite.code, 'Reached Rita', okPhone)
    await member(invite.code, '=SUM(1)', failing)
    const leaver = await member(invite.code, 'Leaving Lea', leaving)
    const unproven = await member(invite.code, 'Unproven Udo', unconfirmed)

    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Track night on Thursday', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    expect(created.status, created.text).toBe(201)
    const id = created.json.id as string
    await runCron(new Date(Date.now() + 120_000))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ sent: 1, failed: 3 }),
    )

    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).toContain(`href="/admin/announcements/${id}"`)
    const report = await page(`/admin/announcements/${id}`, cookie)
    expect(report.status).toBe(200)
    expect(report.text).toContain('All (4)')
    expect(report.text).toContain('failed (3)')
    expect(report.text).toContain('Why some did not get it')
    expect(report.text).toContain('Reached Rita')

    const failedOnly = await page(`/admin/announcements/${id}?status=failed`, cookie)
    expect(failedOnly.text).not.toContain('Reached Rita')
    for (const name of ['Leaving Lea', 'Unproven Udo']) expect(failedOnly.text).toContain(name)
    expect(failedOnly.text).toContain('aria-current="page">failed (3)')

    const csv = await page(`/admin/announcements/${id}/recipients.csv?status=failed`, cookie)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe(
      'run,member_id,name,status,reason,updated_at,sent_at,delivered_at,read_at',
    )
    expect(lines).toHaveLength(4)
    // A name a spreadsheet would run as a formula is written as text.
    expect(csv.text).toContain(",'=SUM(1),failed,")
    expect(csv.text).not.toContain(',=SUM(1)')

    // One left, one's number is no longer confirmed: the resend leaves both alone.
    await query("update members set status = 'left', ended_at = ? where id = ?", Date.now(), leaver)
    await query('update members set phone_confirmed_at = null where id = ?', unproven)
    const resend = await post(`/admin/announcements/${id}/resend-failed`, cookie, {
      _csrf: csrfOf(report.text),
    })
    expect(resend.status).toBe(303)
    expect(resend.headers.get('location')).toBe(`/admin/announcements/${id}?done=resent`)
    await eventually(async () => expect(await textsTo(failing)).toHaveLength(2))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ queued: 0, failed: 3 }),
    )
    expect(await textsTo(leaving)).toHaveLength(1)
    expect(await textsTo(unconfirmed)).toHaveLength(1)
    expect(await textsTo(okPhone)).toHaveLength(1)
    const recorded = await query<{ resent: number }>(
      `select count(*) as resent from deliveries d join dispatches r on r.id = d.dispatch_id
       where r.announcement_id = ? and d.resent_at is not null`,
      id,
    )
    expect(recorded).toEqual([{ resent: 1 }])

    // Pressing again sends nothing twice: each delivery is sent again at most once.
    await post(`/admin/announcements/${id}/resend-failed`, cookie, { _csrf: csrfOf(report.text) })
    await runCron(new Date(Date.now() + 600_000))
    expect(await textsTo(failing)).toHaveLength(2)
  })

  it('sends again, once, to those WhatsApp accepted and later reported undelivered, through the API', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const reached = newPhone()
    const lost = newPhone()
    await member(invite.code, 'Reached Rita', reached)
    await member(invite.code, 'Lost Lars', lost)
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hill repeats on Sunday', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const id = created.json.id as string
    await runCron(new Date(Date.now() + 120_000))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ sent: 2, failed: 0 }),
    )
    const [accepted] = await query<{ wamid: string }>(
      `select d.provider_message_id as wamid from deliveries d
       join dispatches r on r.id = d.dispatch_id join members m on m.id = d.member_id
       where r.announcement_id = ? and m.name = 'Lost Lars'`,
      id,
    )
    // Accepted, then WhatsApp reports it could not be delivered (a final error, not retried).
    await notify(
      statusNotification(accepted!.wamid, 'failed', lost, {
        code: 131026,
        title: 'Message undeliverable',
      }),
    )
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ sent: 2, undelivered: 1 }),
    )
    const { cookie } = await signIn()
    const report = await page(`/admin/announcements/${id}`, cookie)
    expect(report.text).toContain('failed (1)')
    expect(report.text).toContain('Send again to the failed')

    const resend = await call('POST', `/api/announcements/${id}/resend-failed`)
    expect(resend.status, resend.text).toBe(200)
    const contract = new Contract(await loadDocument())
    expect(
      contract.answerProblems(contract.operation('resendAnnouncementToFailed'), resend),
    ).toEqual([])
    expect(resend.json.resent).toBe(1)
    await eventually(async () => expect(await textsTo(lost)).toHaveLength(2))
    expect(await textsTo(reached)).toHaveLength(1)
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({
        queued: 0,
        sent: 2,
        undelivered: 0,
        failed: 0,
      }),
    )

    // Once only: a second press finds nobody, and the audit log names what was done.
    const again = await call('POST', `/api/announcements/${id}/resend-failed`)
    expect(again.json.resent).toBe(0)
    const log = await call('GET', `/api/communities/${community.id}/audit-log`)
    expect(log.json.data.map((entry: { action: string }) => entry.action)).toContain(
      'announcement.resent',
    )
  })

  /** An announcement sent to one member an hour ago: its id, the member's phone, the message id. */
  async function sentAnHourAgo() {
    const community = await createCommunity({ timeZone: 'Europe/Berlin' })
    const invite = await createInvite(community.id)
    const phone = newPhone()
    await member(invite.code, 'Reading Rosa', phone)
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Bridge run on Friday', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const id = created.json.id as string
    await runCron(new Date(Date.now() + 120_000))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ sent: 1 }),
    )
    const [sent] = await query<{ wamid: string }>(
      `select d.provider_message_id as wamid from deliveries d
       join dispatches r on r.id = d.dispatch_id where r.announcement_id = ?`,
      id,
    )
    await query(
      'update deliveries set sent_at = ? where provider_message_id = ?',
      Date.now() - 3_600_000,
      sent!.wamid,
    )
    return { id, phone, wamid: sent!.wamid }
  }

  it('shows when WhatsApp reported each message delivered and read, by WhatsApp’s own times', async () => {
    const { id, phone, wamid } = await sentAnHourAgo()
    const sent = { wamid }
    // Delivered and read as the phone timed them, whole seconds, not when the webhook heard.
    const delivered = new Date(Math.floor(Date.now() / 1000) * 1000 - 20 * 60_000)
    const read = new Date(delivered.getTime() + 7 * 60_000)
    await notify(statusNotification(sent!.wamid, 'delivered', phone, undefined, delivered))
    await notify(statusNotification(sent!.wamid, 'read', phone, undefined, read))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ read: 1 }),
    )
    const api = await call('GET', `/api/announcements/${id}/deliveries`)
    expect(api.json.data).toMatchObject([
      { deliveredAt: delivered.toISOString(), readAt: read.toISOString() },
    ])
    expect(Date.parse(api.json.data[0].sentAt)).toBeGreaterThan(0)
    const contract = new Contract(await loadDocument())
    expect(contract.answerProblems(contract.operation('listAnnouncementDeliveries'), api)).toEqual(
      [],
    )

    const { cookie } = await signIn()
    const report = (await page(`/admin/announcements/${id}?lang=de`, cookie)).text
    const clock = (at: Date) =>
      new Intl.DateTimeFormat('de-DE', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'Europe/Berlin',
      }).format(at)
    expect(report).toContain(
      `Zugestellt: <time datetime="${delivered.toISOString()}">${clock(delivered)}</time>`,
    )
    expect(report).toContain(
      `Gelesen: <time datetime="${read.toISOString()}">${clock(read)}</time>`,
    )
    expect(report).toContain('Gesendet: <time')
  })

  it('never shows a message read before it was delivered, whatever the phone’s clock said', async () => {
    const { id, phone, wamid } = await sentAnHourAgo()
    const delivered = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000)
    await notify(statusNotification(wamid, 'delivered', phone, undefined, delivered))
    // A read stamped five minutes before its delivery (a phone whose clock is behind).
    await notify(
      statusNotification(wamid, 'read', phone, undefined, new Date(delivered.getTime() - 300_000)),
    )
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ read: 1 }),
    )
    const [times] = (await call('GET', `/api/announcements/${id}/deliveries`)).json.data
    expect(times).toMatchObject({
      deliveredAt: delivered.toISOString(),
      readAt: delivered.toISOString(),
    })
    expect(Date.parse(times.sentAt)).toBeLessThanOrEqual(delivered.getTime())
  })

  it('pages through recipients 50 at a time', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    for (let i = 0; i < 51; i++) await member(invite.code, `Runner ${i}`, newPhone())
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Fifty-one', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const id = created.json.id as string
    await runCron(new Date(Date.now() + 120_000))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ sent: 51 }),
    )
    const { cookie } = await signIn()
    const first = await page(`/admin/announcements/${id}`, cookie)
    expect(first.text.match(/<tr>/g)).toHaveLength(51) // the head and 50 rows
    const next = /href="([^"]*cursor=[^"]+)">Next page/
      .exec(first.text)![1]!
      .replaceAll('&amp;', '&')
    const second = await page(next, cookie)
    expect(second.text.match(/<tr>/g)).toHaveLength(2)
    expect(second.text).not.toContain('Next page')
  })
})

describe('a send whose connection drops before the Cloud API answers', () => {
  it('is never sent again (the API does not deduplicate): outcome unknown, and not offered again', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // The stand-in takes a message to a number ending in 92, then drops the connection.
    const dropped = `+49151${100_000 + Math.floor(Math.random() * 800_000)}92`
    await member(invite.code, 'Dropped Dora', dropped)
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Harbour run at dawn', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    expect(created.status, created.text).toBe(201)
    const id = created.json.id as string
    await runCron(new Date(Date.now() + 120_000))
    await eventually(async () =>
      expect((await announcementOf(id)).deliveries).toMatchObject({ unknown: 1, queued: 0 }),
    )
    // Later cron runs, which retry what is worth another try, leave it alone.
    await runCron(new Date(Date.now() + 20 * 60_000))
    expect(await textsTo(dropped)).toHaveLength(1)
    const deliveries = await call('GET', `/api/announcements/${id}/deliveries`)
    expect(deliveries.json.data).toMatchObject([
      { status: 'unknown', attempts: 1, lastError: 'connection lost: outcome unknown' },
    ])
    const { cookie } = await signIn()
    const report = await page(`/admin/announcements/${id}`, cookie)
    expect(report.text).not.toContain('/resend-failed')
  })
})

describe('announcements on WhatsApp reach phone numbers only', () => {
  it('the join form says so beside the contact fields, in each language', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const english = await visit(`/i/${invite.code}/join?lang=en`)
    expect(english.text).toContain(
      'Phone or e-mail, one of them is enough. The community’s news comes on WhatsApp, to a phone number.',
    )
    const german = await visit(`/i/${invite.code}/join?lang=de`)
    expect(german.text).toContain(
      'Neuigkeiten der Community kommen per WhatsApp, an eine Telefonnummer.',
    )
  })

  it('"Send now" asks knowing that only members with a confirmed WhatsApp number get it', async () => {
    const community = await createCommunity()
    const sendAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
    const scheduled = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Saturday run', audience: 'announcement', sendAt },
    })
    expect(scheduled.status, scheduled.text).toBe(201)
    const { cookie } = await signIn()
    const question = async (lang: string) => {
      const list = await page(
        `/admin/communities/${community.id}/announcements?lang=${lang}`,
        cookie,
      )
      const form = new RegExp(
        `<form method="post" action="/admin/announcements/${scheduled.json.id}/send-now"[^>]*>`,
      ).exec(list.text)?.[0]
      return /data-confirm="([^"]*)"/.exec(form ?? '')?.[1]
    }
    // A member who signed up with an e-mail address alone is skipped: the question says so.
    expect(await question('en')).toContain(
      'Of them, only those with a confirmed WhatsApp number get it; its report counts the others.',
    )
    expect(await question('de')).toContain(
      'Von ihnen bekommt sie nur, wer eine bestätigte WhatsApp-Nummer hat; ihr Bericht zählt die übrigen.',
    )
  })
})
