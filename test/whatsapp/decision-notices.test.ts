import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  call,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { MESSAGES } from '../../src/lib/i18n'
import { approveJoinRequest, rejectJoinRequest } from '../../src/services/joining-decisions'
import { tellApplicant } from '../../src/services/decision-notices'
import { textNotification } from '../support/whatsapp-notifications'
import { notify, sentTo, whatsAppOutage } from './meta'

/**
 * An applicant hears how an admin decided, through the contact they confirmed and only that:
 * WhatsApp for a confirmed number (a text inside the 24-hour window their own message opened, a
 * template after it where one is configured: here `join_approved` for approvals and none for
 * rejections), the events outbox for a confirmed e-mail address, nothing for an unconfirmed one.
 */

/**
 * A closed community asking for a double opt-in, and its invite link; with `chat`, the chat link
 * of its announcement group.
 */
async function closedCommunity(chat?: string) {
  const name = `Decisions ${crypto.randomUUID().slice(0, 8)}`
  const created = await call('POST', '/api/communities', {
    body: { name, description: 'x', visibility: 'closed' },
  })
  expect(created.status, created.text).toBe(201)
  expect(created.json.consent).toBe('double')
  if (chat) {
    const groups = await call('GET', `/api/communities/${created.json.id}/groups`)
    const announcement = groups.json.data.find((g: { kind: string }) => g.kind === 'announcement')
    const linked = await call('PATCH', `/api/groups/${announcement.id}`, {
      body: { chatInviteUrl: chat },
    })
    expect(linked.status, linked.text).toBe(200)
  }
  return { id: created.json.id as string, name, invite: await createInvite(created.json.id) }
}

/** What the confirmation's reply says in a closed community, in each language: an admin decides. */
const ADMIN_DECIDES = { de: 'entscheidet ein Admin', en: 'An admin decides' }

/**
 * Signs up on pages in `lang` (the browser's language) and confirms the number by sending the
 * prefilled message from it: the reply is in that language only, with the link to the status
 * page whose code came.
 */
async function confirmedByWhatsApp(
  code: string,
  name: string,
  lang: 'de' | 'en' = 'de',
  phone = newPhone(),
) {
  const joined = await joinJson(code, { name, phone }, { 'accept-language': lang })
  expect(joined.status, joined.text).toBe(201)
  const prefilled = decodeURIComponent(joined.json.confirmation.whatsappUrl.split('text=')[1])
  await notify(textNotification(phone, prefilled))
  const requestId = joined.json.joinRequestId as string
  await eventually(async () => {
    const [row] = await query<{ confirmed_at: number | null }>(
      'select phone_confirmed_at as confirmed_at from join_requests where id = ?',
      requestId,
    )
    expect(row!.confirmed_at).not.toBeNull()
  })
  // The reply to the confirmation: in a closed community no welcome yet, the admins decide.
  const reply = await eventually(async () => {
    const texts = (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    expect(texts).toHaveLength(1)
    return texts[0]!
  })
  expect(reply).toContain(ADMIN_DECIDES[lang])
  expect(reply).not.toContain(ADMIN_DECIDES[lang === 'de' ? 'en' : 'de'])
  expect(reply).toContain(`${joined.json.statusUrl}?lang=${lang}`)
  return { phone, requestId, statusUrl: joined.json.statusUrl as string }
}

/** What reached a number after its first `before` messages. */
async function newSince(phone: string, before: number) {
  return (await sentTo(phone)).slice(before)
}

/** Waits long enough for anything sent after an answer to have arrived. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 700))

async function eventPayload(type: string, requestId: string) {
  const [event] = await query<{ payload: string }>(
    `select payload from events where type = ? and json_extract(payload, '$.joinRequestId') = ?`,
    type,
    requestId,
  )
  return JSON.parse(event!.payload) as Record<string, unknown>
}

describe('the applicant is told the outcome through the channel they confirmed', () => {
  it('a number confirmed by its own message gets a text in the window: approved, once', async () => {
    const community = await closedCommunity('https://chat.whatsapp.com/DecisionsGroup01')
    const { phone, requestId, statusUrl } = await confirmedByWhatsApp(
      community.invite.code,
      'Greta',
    )
    const before = (await sentTo(phone)).length

    const approved = await call('POST', `/api/join-requests/${requestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    expect(told.type).toBe('text')
    // In German, the language of the pages Greta signed up on, and only in it: her place is
    // confirmed, and the group is entered through the chat link on her own status page (we
    // never see who enters a WhatsApp group).
    expect(told.text!.body).toBe(
      `Deine Anfrage bei ${community.name} ist angenommen: Dein Platz ist sicher. In die Gruppe kommst du über den Gruppenlink auf deiner Statusseite: ${statusUrl}?lang=de`,
    )

    // Approving again is harmless, and tells no one twice.
    expect((await call('POST', `/api/join-requests/${requestId}/approve`)).status).toBe(200)
    await settle()
    expect(await newSince(phone, before)).toHaveLength(1)
    // The event has no e-mail address to give: there is none.
    expect(await eventPayload('join.approved', requestId)).toMatchObject({
      name: 'Greta',
      email: null,
      pageUrl: null,
      communityName: community.name,
    })
  })

  it('rejected in the window: the text carries the reason', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Hanno')
    const before = (await sentTo(phone)).length
    const rejected = await call('POST', `/api/join-requests/${requestId}/reject`, {
      body: { reason: 'Only for people from the Kiez' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    expect(told.text!.body).toBe(
      `Deine Anfrage bei ${community.name} wurde abgelehnt. Begründung: Only for people from the Kiez`,
    )
  })

  it('in the language of the pages the applicant signed up on, approved with their own status page’s link', async () => {
    const community = await closedCommunity()
    const { phone, requestId, statusUrl } = await confirmedByWhatsApp(
      community.invite.code,
      'Gwen',
      'en',
    )
    const before = (await sentTo(phone)).length
    expect((await call('POST', `/api/join-requests/${requestId}/approve`)).status).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    // The link is the one the join gave her, built from PUBLIC_BASE_URL, in her language.
    expect(statusUrl).toMatch(/^https:\/\/join\.example\.com\/s\/[A-Za-z0-9_-]{43}$/)
    // The community has no chat link yet: the reply says so, as her status page does.
    expect(told.text!.body).toBe(
      `Your request to join ${community.name} is approved: your place is confirmed. The admins have not set up the group’s link yet; once they do, it is on your status page: ${statusUrl}?lang=en`,
    )
    // It opens her status page, which shows the approval and where the chat's link will be.
    const link = new URL(told.text!.body.split(': ').at(-1)!)
    const page = await visit(link.pathname + link.search)
    expect(page.status).toBe(200)
    expect(page.text).toContain(MESSAGES.en.noChatYet)
  })

  it('a sign-up from before its language was kept hears German and English', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Hugo', 'en')
    await query('update join_requests set language = null where id = ?', requestId)
    const before = (await sentTo(phone)).length
    const rejected = await call('POST', `/api/join-requests/${requestId}/reject`, { body: {} })
    expect(rejected.status, rejected.text).toBe(200)
    const told = await eventually(async () => {
      const messages = await newSince(phone, before)
      expect(messages).toHaveLength(1)
      return messages[0]!
    })
    expect(told.text!.body).toBe(
      `Deine Anfrage bei ${community.name} wurde abgelehnt.\n\nYour request to join ${community.name} was declined.`,
    )
  })

  it('past the 24 hours: the template where one is configured, otherwise nothing', async () => {
    const community = await closedCommunity()
    const ida = await confirmedByWhatsApp(community.invite.code, 'Ida')
    const jon = await confirmedByWhatsApp(community.invite.code, 'Jon')
    // Their confirmations are a day and an hour old: the window they opened has closed.
    await query(
      'update join_requests set phone_confirmed_at = ? where id in (?, ?)',
      Date.now() - 25 * 3600_000,
      ida.requestId,
      jon.requestId,
    )
    const [idaBefore, jonBefore] = [
      (await sentTo(ida.phone)).length,
      (await sentTo(jon.phone)).length,
    ]

    // Both decided from the dashboard's page across communities, in one go each.
    const { cookie } = await signIn()
    const overview = await page('/admin/approvals', cookie)
    expect(overview.text).toContain(`value="approve:${ida.requestId}"`)
    for (const only of [`approve:${ida.requestId}`, `reject:${jon.requestId}`]) {
      const decided = await post('/admin/approvals', cookie, {
        _csrf: csrfOf(overview.text),
        only,
      })
      expect(decided.headers.get('location')).toContain('decided=1')
    }
    const told = await eventually(async () => {
      const messages = await newSince(ida.phone, idaBefore)
      expect(messages).toHaveLength(1)
      return messages[0]! as { type: string; template?: { name: string; components: any[] } }
    })
    expect(told.type).toBe('template')
    expect(told.template!.name).toBe('join_approved')
    expect(told.template!.components[0].parameters[0].text).toBe(community.name)
    // No template for rejections here, and no free-form text outside the window: nothing.
    await settle()
    expect(await newSince(jon.phone, jonBefore)).toEqual([])
  })

  it('never messages an unconfirmed number; a confirmed e-mail address hears it through the events', async () => {
    const community = await closedCommunity('https://chat.whatsapp.com/DecisionsByMail01')
    const people = []
    for (const name of ['Kai', 'Lou']) {
      const phone = newPhone()
      const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`
      const joined = await joinJson(community.invite.code, { name, phone, email })
      expect(joined.status, joined.text).toBe(201)
      const requestId = joined.json.joinRequestId as string
      // Confirmed by the e-mailed link only: the number stays unconfirmed.
      const [event] = await query<{ payload: string }>(
        `select payload from events where type = 'member.confirmation_requested'
         and json_extract(payload, '$.joinRequestId') = ?`,
        requestId,
      )
      const confirmed = await call(
        'POST',
        new URL(JSON.parse(event!.payload).confirmUrl).pathname,
        { token: null, headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' } },
      )
      expect(confirmed.status).toBe(200)
      const confirmUrl = JSON.parse(event!.payload).confirmUrl as string
      people.push({
        name,
        phone,
        email,
        requestId,
        confirmUrl,
        before: (await sentTo(phone)).length,
      })
    }
    const [kai, lou] = people as [(typeof people)[0], (typeof people)[0]]
    expect((await call('POST', `/api/join-requests/${kai.requestId}/approve`)).status).toBe(200)
    const rejected = await call('POST', `/api/join-requests/${lou.requestId}/reject`, {
      body: { reason: 'Full' },
    })
    expect(rejected.status).toBe(200)
    await settle()
    expect(await newSince(kai.phone, kai.before)).toEqual([])
    expect(await newSince(lou.phone, lou.before)).toEqual([])

    // What the operator's mail system needs to write to them, and no more: no phone number,
    // no status link (whoever proved the address may not be whoever typed it and holds it),
    // but the page of the link e-mailed to that address before, which shows the decision.
    const approvedEvent = await eventPayload('join.approved', kai.requestId)
    expect(approvedEvent).toMatchObject({
      joinRequestId: kai.requestId,
      name: 'Kai',
      email: kai.email,
      communityName: community.name,
      pageUrl: kai.confirmUrl,
    })
    const page = await call('GET', new URL(kai.confirmUrl).pathname, {
      token: null,
      headers: { accept: 'text/html' },
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('https://chat.whatsapp.com/DecisionsByMail01')
    // It leads with where things stand, not with the thanks for confirming days ago...
    expect(page.text).toMatch(/<h1>(Dein Platz ist bestätigt|Your place is confirmed)<\/h1>/)
    // ...and once the membership has ended, says that (not "your request has arrived").
    const [made] = await query<{ member_id: string }>(
      'select member_id from join_requests where id = ?',
      kai.requestId,
    )
    expect((await call('DELETE', `/api/members/${made!.member_id}`)).status).toBe(204)
    const ended = await call('GET', `${new URL(kai.confirmUrl).pathname}?lang=en`, {
      token: null,
      headers: { accept: 'text/html' },
    })
    expect(ended.text).toContain('<h1>You are no longer a member</h1>')
    expect(ended.text).not.toContain('https://chat.whatsapp.com/DecisionsByMail01')
    const rejectedEvent = await eventPayload('join.rejected', lou.requestId)
    // The language of the pages they signed up on, for the mail to be written in.
    const [{ language }] = (await query<{ language: string | null }>(
      'select language from join_requests where id = ?',
      lou.requestId,
    )) as [{ language: string | null }]
    expect(rejectedEvent).toEqual({
      joinRequestId: lou.requestId,
      reason: 'Full',
      name: 'Lou',
      email: lou.email,
      pageUrl: lou.confirmUrl,
      communityName: community.name,
      language,
    })
    for (const payload of [approvedEvent, rejectedEvent]) {
      expect(JSON.stringify(payload)).not.toContain(kai.phone)
      expect(JSON.stringify(payload)).not.toContain(lou.phone)
      expect(JSON.stringify(payload)).not.toContain('/s/')
    }
  })

  it('says nothing to a ticked box once the community asks for confirmation', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: 'Ticked decisions', description: 'x', visibility: 'closed', consent: 'single' },
    })
    const invite = await createInvite(created.json.id)
    const phone = newPhone()
    const email = `ticked-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, { name: 'Tick', phone, email })
    expect(joined.status, joined.text).toBe(201)
    const switched = await call('PATCH', `/api/communities/${created.json.id}`, {
      body: { consent: 'double' },
    })
    expect(switched.status, switched.text).toBe(200)
    const before = (await sentTo(phone)).length

    const approved = await call('POST', `/api/join-requests/${joined.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    await settle()
    // Not even the approval template: the number was never proven.
    expect(await newSince(phone, before)).toEqual([])
    const payload = await eventPayload('join.approved', joined.json.joinRequestId)
    expect(payload.email).toBeNull()
  })
})

const MINUTE = 60_000

/** The WhatsApp notice a decision on the request recorded, as the database holds it. */
async function noticeOf(requestId: string) {
  const [notice] = await query<{ status: string; attempts: number; last_error: string | null }>(
    'select status, attempts, last_error from decision_notices where join_request_id = ?',
    requestId,
  )
  return notice
}

/**
 * A decision written as the Worker writes it, whose Worker then stopped before its answer's
 * `waitUntil` could tell the applicant.
 */
async function decidedByAWorkerThatStopped(requestId: string, action: 'approve' | 'reject') {
  const db = createDb(env.DB)
  const request = (await db.query.joinRequests.findFirst({
    where: (r, { eq }) => eq(r.id, requestId),
  }))!
  const result =
    action === 'approve'
      ? await approveJoinRequest(db, request, new Date(), null, { notice: true })
      : await rejectJoinRequest(db, request, null, new Date())
  expect(result.decided).toBe(true)
  expect(await noticeOf(requestId)).toMatchObject({ status: 'due', attempts: 0 })
  return result.request
}

describe('a WhatsApp notice of a decision is never lost, and never sent twice', () => {
  it('one the Cloud API answered 500 is sent by the cron job later, once', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Mira')
    const before = (await sentTo(phone)).length
    await whatsAppOutage(phone, 1)
    const rejected = await call('POST', `/api/join-requests/${requestId}/reject`, {
      body: { reason: 'Full' },
    })
    expect(rejected.status, rejected.text).toBe(200)
    // The answer's own try met the outage: the notice is due again, with why.
    await eventually(async () =>
      expect(await noticeOf(requestId)).toEqual({
        status: 'due',
        attempts: 1,
        last_error: 'HTTP 500 from the endpoint (error 1)',
      }),
    )
    expect(await newSince(phone, before)).toHaveLength(1)

    await runCron(Date.now() + 2 * MINUTE)
    expect(await noticeOf(requestId)).toMatchObject({ status: 'sent', attempts: 2 })
    const messages = await newSince(phone, before)
    expect(messages).toHaveLength(2)
    expect(messages[1]!.text!.body).toBe(
      `Deine Anfrage bei ${community.name} wurde abgelehnt. Begründung: Full`,
    )
    // Sent is sent: later runs send nothing more.
    await runCron(Date.now() + 30 * MINUTE)
    expect(await newSince(phone, before)).toHaveLength(2)
  })

  it('one whose Worker stopped before sending it is sent by the cron job', async () => {
    const community = await closedCommunity()
    const { phone, requestId, statusUrl } = await confirmedByWhatsApp(community.invite.code, 'Nils')
    const before = (await sentTo(phone)).length
    await decidedByAWorkerThatStopped(requestId, 'approve')
    // Within its first minute it is left to the decision's own request.
    await runCron(Date.now())
    expect(await noticeOf(requestId)).toMatchObject({ status: 'due', attempts: 0 })
    expect(await newSince(phone, before)).toEqual([])

    await runCron(Date.now() + 2 * MINUTE)
    expect(await noticeOf(requestId)).toMatchObject({ status: 'sent', attempts: 1 })
    const messages = await newSince(phone, before)
    expect(messages).toHaveLength(1)
    expect(messages[0]!.text!.body).toContain(`${statusUrl}?lang=de`)
  })

  it('one claimed and never settled is "outcome unknown", never sent again', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Olga')
    const before = (await sentTo(phone)).length
    await decidedByAWorkerThatStopped(requestId, 'reject')
    // A Worker claimed it, as a send does before the message leaves, and stopped: whether the
    // message left is not known.
    const claimedAt = Date.now()
    await query(
      `update decision_notices set status = 'sending', attempts = 1, due_at = ?, updated_at = ?
       where join_request_id = ?`,
      claimedAt + 5 * MINUTE,
      claimedAt,
      requestId,
    )
    // While its send may still be under way, nothing touches it.
    await runCron(claimedAt + 2 * MINUTE)
    expect(await noticeOf(requestId)).toMatchObject({ status: 'sending', attempts: 1 })
    await runCron(claimedAt + 6 * MINUTE)
    expect(await noticeOf(requestId)).toEqual({
      status: 'unknown',
      attempts: 1,
      last_error: 'outcome unknown: the attempt was interrupted after it may have been sent',
    })
    await runCron(claimedAt + 60 * MINUTE)
    expect(await newSince(phone, before)).toEqual([])
  })

  it('one whose send timed out is "outcome unknown", never sent again', async () => {
    const community = await closedCommunity()
    // The stand-in answers this number after 1.5 s: past a timeout of half a second.
    const slow = `${newPhone().slice(0, -2)}96`
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Pia', 'de', slow)
    const before = (await sentTo(phone)).length
    const request = await decidedByAWorkerThatStopped(requestId, 'reject')
    const config = { ...loadConfig(env), DELIVERY_TIMEOUT_SECONDS: 0.5 }
    await tellApplicant(createDb(env.DB), config, request, new Date())
    expect(await noticeOf(requestId)).toEqual({
      status: 'unknown',
      attempts: 1,
      last_error: 'timed out: outcome unknown',
    })
    await runCron(Date.now() + 60 * MINUTE)
    // The one request that timed out, and no second.
    expect(await newSince(phone, before)).toHaveLength(1)
  })

  it('one to a number that sent STOP since the decision is not sent', async () => {
    const community = await closedCommunity()
    const { phone, requestId } = await confirmedByWhatsApp(community.invite.code, 'Quirin')
    await decidedByAWorkerThatStopped(requestId, 'approve')
    await notify(textNotification(phone, 'STOP'))
    await eventually(async () =>
      expect(await query('select value from marketing_preferences where phone = ?', phone)).toEqual(
        [{ value: 'stop' }],
      ),
    )
    // What the number heard until now, its confirmation's reply and the answer to its STOP
    // among it.
    const before = await eventually(async () => {
      const all = await sentTo(phone)
      expect(all.filter((message) => message.type === 'text')).toHaveLength(2)
      return all.length
    })

    await runCron(Date.now() + 2 * MINUTE)
    expect(await noticeOf(requestId)).toEqual({
      status: 'skipped',
      attempts: 1,
      last_error: 'the number sent STOP',
    })
    await settle()
    expect(await newSince(phone, before)).toEqual([])
  })
})

describe('admins see whom no notice reached', () => {
  it('a notice refused because the person stopped marketing messages is their STOP; a notice WhatsApp could not deliver is on the approvals page', async () => {
    const community = await closedCommunity()
    // The stand-in refuses every message to a number ending in 94 with 131050, as Meta does
    // once the person turned off this business's marketing messages in WhatsApp, and one ending
    // in 99 with 131026 (not on WhatsApp).
    const stopped = `${newPhone().slice(0, -2)}94`
    const gone = `${newPhone().slice(0, -2)}99`
    const refused = await confirmedByWhatsApp(community.invite.code, 'Rieke', 'de', stopped)
    const undeliverable = await confirmedByWhatsApp(community.invite.code, 'Uwe', 'de', gone)
    const told = await confirmedByWhatsApp(community.invite.code, 'Sven')
    for (const { requestId } of [refused, undeliverable, told]) {
      const approved = await call('POST', `/api/join-requests/${requestId}/approve`)
      expect(approved.status, approved.text).toBe(200)
    }
    await eventually(async () => {
      expect(await noticeOf(refused.requestId)).toEqual({
        status: 'failed',
        attempts: 1,
        last_error: 'HTTP 400 from the endpoint (error 131050)',
      })
      expect(await noticeOf(undeliverable.requestId)).toMatchObject({ status: 'failed' })
      expect(await noticeOf(told.requestId)).toMatchObject({ status: 'sent' })
    })
    // Meta said the person stopped this business's marketing messages: the number's stop, held
    // until they resume them in WhatsApp, and the membership the approval made ends.
    expect(
      await query(
        'select value, held_in_whatsapp from marketing_preferences where phone = ?',
        stopped,
      ),
    ).toEqual([{ value: 'stop', held_in_whatsapp: 1 }])
    const members = await call('GET', `/api/communities/${community.id}/members?status=left`)
    expect(members.json.data.map((m: { name: string }) => m.name)).toEqual(['Rieke'])

    // The API's list of decided requests says how each was told.
    const approved = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=approved`,
    )
    const notices = Object.fromEntries(
      approved.json.data.map((r: { name: string; whatsAppNotice: unknown }) => [
        r.name,
        r.whatsAppNotice,
      ]),
    )
    expect(notices).toEqual({
      Rieke: { status: 'failed', reason: 'HTTP 400 from the endpoint (error 131050)' },
      Uwe: { status: 'failed', reason: 'HTTP 400 from the endpoint (error 131026)' },
      Sven: { status: 'sent', reason: null },
    })

    // The approvals page lists the one WhatsApp could not reach, with the number they confirmed
    // to reach them another way and why, in plain words. Not the one told, nor the one who
    // stopped this business's messages: nobody is to reach them another way for it.
    const { cookie } = await signIn()
    const html = (await page(`/admin/communities/${community.id}/approvals`, cookie)).text
    const untold = html.slice(html.indexOf('Not told on WhatsApp'))
    expect(untold).toContain('Uwe')
    expect(untold).toContain('Cannot be delivered to this number (not on WhatsApp, or an old app)')
    expect(untold).toContain(gone.slice(-4))
    expect(untold).not.toContain('Rieke')
    expect(untold).not.toContain('Sven')
  })

  it('a refusal whose stop could not be written is sent again, and its stop recorded then', async () => {
    const community = await closedCommunity()
    const stopped = `${newPhone().slice(0, -2)}94`
    const { requestId } = await confirmedByWhatsApp(community.invite.code, 'Vera', 'de', stopped)
    // The stop's write fails, as a database can for a moment.
    await query(
      `create trigger stop_fails before insert on marketing_preferences
       when new.phone = '${stopped}' begin select raise(abort, 'injected'); end`,
    )
    try {
      const approved = await call('POST', `/api/join-requests/${requestId}/approve`)
      expect(approved.status, approved.text).toBe(200)
      await eventually(async () =>
        expect(await noticeOf(requestId)).toEqual({
          status: 'due',
          attempts: 1,
          last_error: 'HTTP 400 from the endpoint (error 131050)',
        }),
      )
    } finally {
      await query('drop trigger stop_fails')
    }
    expect(await query('select 1 from marketing_preferences where phone = ?', stopped)).toEqual([])
    // The cron job sends it again: refused again, and the stop is written this time.
    await runCron(Date.now() + 10 * MINUTE)
    expect(await noticeOf(requestId)).toMatchObject({ status: 'failed', attempts: 2 })
    expect(await query('select value from marketing_preferences where phone = ?', stopped)).toEqual(
      [{ value: 'stop' }],
    )
  })

  it('the approvals page shows nothing of it while every applicant was told', async () => {
    const community = await closedCommunity()
    const { requestId } = await confirmedByWhatsApp(community.invite.code, 'Tilda')
    expect((await call('POST', `/api/join-requests/${requestId}/approve`)).status).toBe(200)
    await eventually(async () =>
      expect(await noticeOf(requestId)).toMatchObject({ status: 'sent' }),
    )
    const { cookie } = await signIn()
    const html = (await page(`/admin/communities/${community.id}/approvals`, cookie)).text
    expect(html).toContain('No pending requests.')
    expect(html).not.toContain('Not told on WhatsApp')
  })
})
