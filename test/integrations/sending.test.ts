import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src/index'
import { Webhook } from 'standardwebhooks'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig, type Config } from '../../src/lib/config'
import { createPacer, DELIVERY_QUEUE_NAME } from '../../src/jobs/queue'
import { deliverAnnouncements } from '../../src/services/delivery/send'
import { deliverEvent } from '../../src/services/delivery/events'
import { dispatchDueAnnouncements, expandDispatch } from '../../src/services/delivery/claim'
import { fanOutEvents } from '../../src/services/webhooks'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  notifyWhatsApp,
  query,
} from '../worker/helpers'
import { eq } from 'drizzle-orm'
import { members } from '../../src/db/schema'
import { eraseMember } from '../../src/services/erasure'
import { newWamid, textNotification } from '../support/whatsapp-notifications'
import { page, signIn } from '../worker/dashboard-helpers'
import { DELIVERY_SECRET } from './delivery-webhook'
import { whatsAppOutage } from '../whatsapp/meta'

const fake = inject('fakeServicesUrl')

/** Queues nothing: these tests hand the run's deliveries to the consumer's code themselves. */
const nowhere = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue

/** A run of an announcement to members with these names (they steer the receiver stand-in). */
async function runTo(names: string[], phones?: string[]) {
  const community = await createCommunity()
  const ids = names.map((_, i) => `mbr_${community.id.slice(4, 20)}${String(i).padStart(6, '0')}`)
  await env.DB.batch(
    names.map((name, i) =>
      env.DB.prepare(
        `insert into members (id, community_id, name, phone, consent, status, join_request_id, joined_at,
           phone_confirmed_at, phone_consent_method)
         values (?, ?, ?, ?, 1, 'active', ?, ?6, ?6, 'single_opt_in')`,
      ).bind(
        ids[i],
        community.id,
        name,
        phones?.[i] ?? `+4916${String(900_000_000 + i)}`,
        `jrq_${ids[i]}`,
        Date.now(),
      ),
    ),
  )
  const created = await call('POST', `/api/communities/${community.id}/announcements`, {
    body: { body: 'Timing matters', sendAt: new Date(Date.now() + 1000).toISOString() },
  })
  const announcementId = created.json.id as string
  const db = createDb(env.DB)
  await dispatchDueAnnouncements(db, nowhere, new Date(Date.now() + 5000), 'webhook')
  const [run] = await query<{ id: string }>(
    'select id from dispatches where announcement_id = ?',
    announcementId,
  )
  await expandDispatch(db, nowhere, run!.id, new Date())
  return {
    db,
    announcementId,
    messages: ids.map((memberId) => ({ dispatchId: run!.id, memberId })),
  }
}

interface Received {
  headers: Record<string, string>
  body: string
  receivedAt: number
}

async function receivedFor(path: string, filter: (request: Received) => boolean) {
  const all = (await (await fetch(`${fake}/__requests?path=${path}`)).json()) as Received[]
  return all.filter(filter)
}

const forAnnouncement = (id: string) => (request: Received) =>
  JSON.parse(request.body).data?.announcementId === id

describe('each attempt is signed when it is sent', () => {
  it('a slow receiver enforcing the timestamp tolerance accepts all 48 messages', async () => {
    // Scaled 1:50 for test speed: answers in 140 ms instead of 7 s, a tolerance of 6 s instead of
    // 5 minutes; sends paced at 6 a second, so the batch takes 8 s, longer than the tolerance.
    const { db, announcementId, messages } = await runTo(
      Array.from({ length: 48 }, (_, i) => `strict 6 slow 140 #${i}`),
    )
    const verdicts = await deliverAnnouncements(
      db,
      loadConfig(env),
      messages,
      new Date(),
      createPacer(6),
    )
    expect(verdicts.every((verdict) => verdict.action === 'ack')).toBe(true)
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ sent: 48, failed: 0, queued: 0 })

    const requests = await receivedFor('/webhook', forAnnouncement(announcementId))
    expect(requests).toHaveLength(48)
    const stamps = requests.map((request) => Number(request.headers['webhook-timestamp']))
    // Signed per request: the timestamps follow the sends, across more than the tolerance.
    expect(Math.max(...stamps) - Math.min(...stamps)).toBeGreaterThan(6)
    for (const request of requests) {
      // Each inside the receiver's tolerance when it arrived (signed at the start of the batch,
      // the last ones would be 8 s old); a busy machine may add a second or two on the way.
      expect(
        Math.abs(request.receivedAt / 1000 - Number(request.headers['webhook-timestamp'])),
      ).toBeLessThan(6)
      expect(() => new Webhook(DELIVERY_SECRET).verify(request.body, request.headers)).not.toThrow()
    }
  }, 30_000)
})

describe('a batch to slow receivers', () => {
  it('sends its requests concurrently: all are in flight before the first answer', async () => {
    const { db, announcementId, messages } = await runTo(
      Array.from({ length: 30 }, (_, i) => `slow 1500 #${i}`),
    )
    await deliverAnnouncements(db, loadConfig(env), messages, new Date(), createPacer(1000))
    const arrivals = (await receivedFor('/webhook', forAnnouncement(announcementId))).map(
      (request) => request.receivedAt,
    )
    expect(arrivals).toHaveLength(30)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(1500)
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ sent: 30, queued: 0 })
  }, 30_000)

  it('webhook: a timed-out attempt is sent again with the same webhook-id, then reported unknown', async () => {
    const { db, announcementId, messages } = await runTo(['slow 1500 Tim'])
    const config: Config = { ...loadConfig(env), DELIVERY_TIMEOUT_SECONDS: 0.3 }
    const first = await deliverAnnouncements(db, config, messages, new Date())
    expect(first[0]).toMatchObject({ action: 'retry' })
    const [waiting] = (await call('GET', `/api/announcements/${announcementId}/deliveries`)).json
      .data
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1 })
    expect(waiting.lastError).toContain('outcome unknown')
    // The remaining attempts (DELIVERY_MAX_ATTEMPTS is 3 here) time out too.
    await deliverAnnouncements(db, config, messages, new Date())
    const last = await deliverAnnouncements(db, config, messages, new Date())
    expect(last[0]).toEqual({ action: 'ack' })
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ unknown: 1, failed: 0, queued: 0 })
    expect(status.status).toBe('sent')
    const requests = await receivedFor('/webhook', forAnnouncement(announcementId))
    expect(requests).toHaveLength(3)
    expect(new Set(requests.map((request) => request.headers['webhook-id'])).size).toBe(1)
  }, 30_000)

  it('WhatsApp: a timed-out send is reported unknown and never repeated', async () => {
    const phone = `+4917${String(Date.now()).slice(-7)}96`
    const { db, announcementId, messages } = await runTo(['Wanda'], [phone])
    const config: Config = {
      ...loadConfig(env),
      DELIVERY_CHANNEL: 'whatsapp',
      DELIVERY_TIMEOUT_SECONDS: 0.3,
    }
    const [verdict] = await deliverAnnouncements(db, config, messages, new Date())
    expect(verdict).toEqual({ action: 'ack' })
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ unknown: 1, sent: 0, failed: 0, queued: 0 })
    // A redelivered queue message does not send it again.
    await deliverAnnouncements(db, config, messages, new Date())
    const requests = await receivedFor('/whatsapp', (request) =>
      request.body.includes(phone.slice(1)),
    )
    expect(requests).toHaveLength(1)
  }, 30_000)
})

describe('a run stopped while a send of it is under way', () => {
  it('does not send that delivery again: its retry is settled as stopped with the run', async () => {
    // The receiver answers after 1.5 s, with a 503 the first time: the send asks for a retry.
    const { db, announcementId, messages } = await runTo(['slow 1500 flaky Stella'])
    const [message] = messages
    const delivery = async () =>
      (
        await query<{ status: string; last_error: string | null }>(
          'select status, last_error from deliveries where dispatch_id = ? and member_id = ?',
          message!.dispatchId,
          message!.memberId,
        )
      )[0]!
    const first = deliverAnnouncements(db, loadConfig(env), messages, new Date())
    await eventually(async () => expect((await delivery()).status).toBe('sending'))
    // "Stop this run?": the admin stops it while the message is on its way.
    const stopped = await call(
      'POST',
      `/api/announcements/${announcementId}/runs/${message!.dispatchId}/cancel`,
    )
    expect(stopped.status, stopped.text).toBe(200)
    expect((await first)[0]).toMatchObject({ action: 'retry' })
    expect((await delivery()).status).toBe('queued')

    // The retry comes: nothing is sent, and the delivery ends as the stop ended the others.
    expect(await deliverAnnouncements(db, loadConfig(env), messages, new Date())).toEqual([
      { action: 'ack' },
    ])
    expect(await delivery()).toEqual({ status: 'cancelled', last_error: 'run cancelled' })
    expect(await receivedFor('/webhook', forAnnouncement(announcementId))).toHaveLength(1)
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ queued: 0, sent: 0, failed: 0, cancelled: 1 })
    expect(status.runs).toEqual([expect.objectContaining({ status: 'cancelled' })])

    // The report says so, in the reader's language.
    const { cookie } = await signIn()
    const report = `/admin/announcements/${announcementId}?status=stopped`
    const english = (await page(report, cookie)).text
    expect(english).toContain('slow 1500 flaky Stella')
    expect(english).toContain('run cancelled')
    expect((await page(`${report}&lang=de`, cookie)).text).toContain('Durchlauf abgebrochen')
  }, 30_000)
})

describe('what a send WhatsApp refused means beyond its message', () => {
  /** A number the Cloud API stand-in answers as `ending` steers it (94: 131050, 93: 131048). */
  const numberEnding = (ending: string) =>
    `+49151${String(100_000 + Math.floor(Math.random() * 800_000))}${ending}`
  const whatsapp = (): Config => ({ ...loadConfig(env), DELIVERY_CHANNEL: 'whatsapp' })
  const memberRow = async (id: string) =>
    (
      await query<{ status: string; leave_reason: string | null }>(
        'select status, leave_reason from members where id = ?',
        id,
      )
    )[0]

  it('is done before the batch is recorded: a record that fails loses neither effect', async () => {
    const stopped = numberEnding('94')
    const { db, announcementId, messages } = await runTo(
      ['Vic', 'Wim'],
      [stopped, numberEnding('93')],
    )
    const runId = messages[0]!.dispatchId
    // The record of the batch fails (the Worker stopped before it, or D1 had a bad moment).
    await env.DB.prepare(
      `create trigger record_fails before update on deliveries
       when old.status = 'sending' and new.dispatch_id = '${runId}'
       begin select raise(abort, 'the Worker stopped here'); end`,
    ).run()
    try {
      await expect(deliverAnnouncements(db, whatsapp(), messages, new Date())).rejects.toThrow()
    } finally {
      await env.DB.prepare('drop trigger record_fails').run()
    }
    expect(await query('select status from deliveries where dispatch_id = ?', runId)).toEqual([
      { status: 'sending' },
      { status: 'sending' },
    ])
    // 131050: the person stopped marketing messages in WhatsApp; their subscription ended, and
    // the number's stop holds.
    expect(await memberRow(messages[0]!.memberId)).toEqual({
      status: 'left',
      leave_reason: 'marketing_stopped_in_whatsapp',
    })
    expect(await query('select value from marketing_preferences where phone = ?', stopped)).toEqual(
      [{ value: 'stop' }],
    )
    // 131048: the broadcast is paused, and the admins are told once.
    const announcement = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(announcement.pausedAt).not.toBeNull()
    expect(announcement.pauseReason).toContain('Spam rate limit')
    const paused = () =>
      query(
        `select id from events where type = 'announcement.paused'
           and json_extract(payload, '$.dispatchId') = ?`,
        runId,
      )
    expect(await paused()).toHaveLength(1)
  })

  it('the spam rate limit stops the batch’s sends not started yet, not only later batches', async () => {
    const phones = [numberEnding('93'), ...Array.from({ length: 5 }, () => newPhone())]
    const { announcementId, db, messages } = await runTo(
      phones.map((_, i) => `Quinn #${i}`),
      phones,
    )
    const digits = phones.map((phone) => phone.replace(/\D/g, ''))
    const to = (request: Received) => String(JSON.parse(request.body).to).replace(/\D/g, '')
    // The first send goes at once; the others' turns come once WhatsApp has it (however busy the
    // machine), and a second more for its refusal to reach the Worker.
    let turns = 0
    const firstArrived = async () => {
      while ((await receivedFor('/whatsapp/', (r) => to(r) === digits[0])).length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const pace = async () => {
      if (turns++ === 0) return
      await firstArrived()
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    const verdicts = await deliverAnnouncements(db, whatsapp(), messages, new Date(), pace)
    expect(verdicts[0]).toEqual({ action: 'dead-letter', error: expect.stringContaining('131048') })
    const reached = await receivedFor('/whatsapp/', (request) => digits.includes(to(request)))
    expect(reached.map(to)).toEqual([digits[0]])
    const report = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(report.pausedAt).not.toBeNull()
    expect(report.deliveries).toMatchObject({ queued: 0, sent: 0, failed: 1, skipped: 5 })
    expect(report.failureReasons).toContainEqual({
      reason: 'broadcast paused: Spam rate limit reached: the broadcast was paused',
      count: 5,
    })
  })

  it('a limit or outage that outlasts the attempts is reported as not sent again, in plain words', async () => {
    // 97: WhatsApp's throughput limit (130429); the other number meets an outage (500, error 1).
    const phones = [numberEnding('97'), newPhone()]
    await whatsAppOutage(phones[1]!, 1)
    const { announcementId, db, messages } = await runTo(['Uma', 'Ugo'], phones)
    const lastAttempt = { ...whatsapp(), DELIVERY_MAX_ATTEMPTS: 1 }
    expect(await deliverAnnouncements(db, lastAttempt, messages, new Date())).toEqual([
      { action: 'dead-letter', error: expect.stringContaining('130429') },
      { action: 'dead-letter', error: expect.stringContaining('(error 1)') },
    ])
    const report = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(report.failureReasons).toEqual(
      expect.arrayContaining([
        { reason: 'Sending too fast for WhatsApp (throughput limit); not sent again', count: 1 },
        { reason: 'WhatsApp did not take it at any attempt (error 1)', count: 1 },
      ]),
    )
    const { cookie } = await signIn()
    const english = (await page(`/admin/announcements/${announcementId}?status=failed`, cookie))
      .text
    expect(english).not.toContain('sent again later')
    expect(english).toContain('Sending too fast for WhatsApp (throughput limit); not sent again')
    expect(english).toContain('WhatsApp did not take it at any attempt (error 1)')
    const german = (
      await page(`/admin/announcements/${announcementId}?status=failed&lang=de`, cookie)
    ).text
    expect(german).toContain('Durchsatzgrenze); nicht erneut gesendet')
    expect(german).toContain('WhatsApp hat sie bei keinem Versuch angenommen (Fehler 1)')
    // The list does not leave it at "sent".
    const list = `/admin/communities/${report.communityId}/announcements`
    expect((await page(list, cookie)).text).toContain('None of its messages got through')
  })

  it('a refusal whose effect cannot be written keeps nothing else of the batch from its record', async () => {
    const { db, announcementId, messages } = await runTo(
      ['Vic', 'Rita'],
      [numberEnding('94'), newPhone()],
    )
    // The leave's write fails; the message sent beside it must still be recorded with its id.
    await env.DB.prepare('alter table group_members rename to group_members_away').run()
    try {
      expect(await deliverAnnouncements(db, whatsapp(), messages, new Date())).toEqual([
        { action: 'dead-letter', error: expect.stringContaining('131050') },
        { action: 'ack' },
      ])
    } finally {
      await env.DB.prepare('alter table group_members_away rename to group_members').run()
    }
    const rows = await query<{ member_id: string; status: string; provider_message_id: string }>(
      'select member_id, status, provider_message_id from deliveries where dispatch_id = ?',
      messages[0]!.dispatchId,
    )
    const byMember = new Map(rows.map((row) => [row.member_id, row]))
    expect(byMember.get(messages[0]!.memberId)).toMatchObject({ status: 'failed' })
    expect(byMember.get(messages[1]!.memberId)).toMatchObject({
      status: 'sent',
      provider_message_id: expect.stringMatching(/^wamid\./),
    })
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ queued: 0, sent: 1, failed: 1 })
    // One went out: the list does not say none got through.
    const { cookie } = await signIn()
    const list = `/admin/communities/${status.communityId}/announcements`
    const listed = (await page(list, cookie)).text
    expect(listed).toContain('Timing matters')
    expect(listed).not.toContain('None of its messages got through')
  })
})

describe('the sender’s rate, shared by concurrent consumers', () => {
  it('two consumer batches at once stay within DELIVERY_RATE_PER_SECOND together', async () => {
    const { announcementId, messages } = await runTo(
      Array.from({ length: 40 }, (_, i) => `Rita #${i}`),
    )
    // The same Worker with a rate of 20 a second; two batches of 20 handed to its consumer at once.
    const slow = { ...env, DELIVERY_RATE_PER_SECOND: '20' }
    const consume = async (part: typeof messages) => {
      const batch = createMessageBatch(
        DELIVERY_QUEUE_NAME,
        part.map((body, i) => ({
          id: `${body.memberId}-${i}`,
          timestamp: new Date(),
          attempts: 1,
          body: { kind: 'announce', ...body },
        })),
      )
      const ctx = createExecutionContext()
      await worker.queue(batch, slow, ctx)
      return getQueueResult(batch, ctx)
    }
    // Arrivals are measured from the moment the consumers start: a request held up on a busy
    // machine only arrives later, never sooner, so no delay can break these bounds, while two
    // unshared paces or a burst bring the sends twice as fast. (Measured from the first
    // arrival, a first request held up for half a second made the sends after it look too fast.)
    const started = Date.now()
    const results = await Promise.all([consume(messages.slice(0, 20)), consume(messages.slice(20))])
    for (const result of results) expect(result.explicitAcks).toHaveLength(20)
    const arrivals = (await receivedFor('/webhook', forAnnouncement(announcementId)))
      .map((request) => request.receivedAt)
      .sort((a, b) => a - b)
    expect(arrivals).toHaveLength(40)
    // 40 sends at 20 a second (and a bucket of 2) take at least 37 intervals of 50 ms; two
    // unshared paces would take half that.
    expect(arrivals.at(-1)! - started).toBeGreaterThanOrEqual(37 * 50 * 0.95)
    // And none came sooner than the shared pace lets it: the k-th at least k - 2 (the bucket)
    // intervals after the start. The exact bound on when sends leave is in send-pace.test.ts.
    arrivals.forEach((at, k) => {
      expect(at - started, `arrival ${k}`).toBeGreaterThanOrEqual((k - 2) * 50 * 0.95)
    })
    const status = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(status.deliveries).toMatchObject({ sent: 40, queued: 0 })
  }, 30_000)
})

describe('an event delivery whose last attempt timed out', () => {
  it('is reported unknown (it may well have arrived), not failed and not dead-lettered', async () => {
    const community = await createCommunity()
    const endpoint = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/slow?ms=2500`, events: ['member.joined'], communityId: community.id },
    })
    expect(endpoint.status, endpoint.text).toBe(201)
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Tia', phone: newPhone(), turnstileToken: 'human-token' })
    const db = createDb(env.DB)
    await fanOutEvents(db, nowhere, new Date())
    const config = { ...loadConfig(env), DELIVERY_TIMEOUT_SECONDS: 1 }
    await query(
      'update webhook_deliveries set attempts = ? where endpoint_id = ?',
      config.DELIVERY_MAX_ATTEMPTS - 1,
      endpoint.json.id,
    )
    const [row] = await query<{ event_id: string }>(
      'select event_id from webhook_deliveries where endpoint_id = ?',
      endpoint.json.id,
    )
    const message = { eventId: row!.event_id, endpointId: endpoint.json.id as string }
    expect(await deliverEvent(db, config, message, new Date())).toEqual({ action: 'ack' })
    const log = await call('GET', `/api/webhooks/${endpoint.json.id}/deliveries`)
    expect(log.json.data).toEqual([
      expect.objectContaining({
        status: 'unknown',
        attempts: config.DELIVERY_MAX_ATTEMPTS,
        lastError: 'timed out: outcome unknown',
      }),
    ])
  })
})

describe('events to a slow endpoint in a batch', () => {
  it('hold up only their own endpoint: a quick one in the same batch gets its event at once', async () => {
    const community = await createCommunity()
    const subscribe = async (url: string) => {
      const endpoint = await call('POST', '/api/webhooks', {
        body: { url, events: ['member.joined'], communityId: community.id },
      })
      expect(endpoint.status, endpoint.text).toBe(201)
      return endpoint.json.id as string
    }
    const slowEndpoint = await subscribe(`${fake}/slow?ms=5000`)
    const quickEndpoint = await subscribe(`${fake}/webhook`)
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Quinn', phone: newPhone(), turnstileToken: 'human-token' })
    await fanOutEvents(createDb(env.DB), nowhere, new Date())
    const rows = await query<{ event_id: string; endpoint_id: string }>(
      'select event_id, endpoint_id from webhook_deliveries where endpoint_id in (?, ?)',
      slowEndpoint,
      quickEndpoint,
    )
    // The slow endpoint's event first in the batch, as a queue may well deliver it.
    rows.sort((a) => (a.endpoint_id === slowEndpoint ? -1 : 1))
    const batch = createMessageBatch(
      DELIVERY_QUEUE_NAME,
      rows.map((row, i) => ({
        id: `event-${i}`,
        timestamp: new Date(),
        attempts: 1,
        body: { kind: 'event', eventId: row.event_id, endpointId: row.endpoint_id },
      })),
    )
    const ctx = createExecutionContext()
    const consumed = worker.queue(batch, env, ctx)
    const statusOf = async (endpointId: string) =>
      (
        await query<{ status: string }>(
          'select status from webhook_deliveries where endpoint_id = ?',
          endpointId,
        )
      )[0]!.status
    // Sent while the slow endpoint's send is still waiting for its answer (one after the other,
    // the quick one would wait those seconds first).
    await eventually(async () => expect(await statusOf(quickEndpoint)).toBe('sent'))
    expect(await statusOf(slowEndpoint)).toBe('sending')
    await consumed
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2)
  })
})

describe('an event delivery interrupted after its claim', () => {
  it('is sent again with the same webhook-id; on its last attempt it is reported unknown', async () => {
    const community = await createCommunity()
    const endpoint = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/webhook`, events: ['member.joined'], communityId: community.id },
    })
    expect(endpoint.status, endpoint.text).toBe(201)
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Eve', phone: newPhone(), turnstileToken: 'human-token' })
    const db = createDb(env.DB)
    await fanOutEvents(db, nowhere, new Date())
    const [row] = await query<{ event_id: string }>(
      'select event_id from webhook_deliveries where endpoint_id = ?',
      endpoint.json.id,
    )
    const message = { eventId: row!.event_id, endpointId: endpoint.json.id as string }
    const interrupt = (agoMs: number, attempts: number) =>
      query(
        `update webhook_deliveries set status = 'sending', attempts = ?, updated_at = ?
         where event_id = ? and endpoint_id = ?`,
        attempts,
        Date.now() - agoMs,
        message.eventId,
        message.endpointId,
      )
    const state = async () =>
      (
        await query<{ status: string; attempts: number }>(
          'select status, attempts from webhook_deliveries where event_id = ? and endpoint_id = ?',
          message.eventId,
          message.endpointId,
        )
      )[0]!
    const sentFor = async () =>
      (
        await receivedFor(
          '/webhook',
          (request) => request.headers['webhook-id'] === message.eventId,
        )
      ).length

    // A consumer claimed it and died before settling; its queue message comes back.
    await interrupt(2 * 60_000, 1)
    expect(await deliverEvent(db, loadConfig(env), message, new Date())).toEqual({ action: 'ack' })
    expect(await state()).toMatchObject({ status: 'sent', attempts: 2 })
    expect(await sentFor()).toBe(1)

    // A claim just made may be another consumer's send under way: asked again later.
    await interrupt(1000, 1)
    expect(await deliverEvent(db, loadConfig(env), message, new Date())).toMatchObject({
      action: 'retry',
    })
    expect(await sentFor()).toBe(1)

    // Interrupted on its last attempt (DELIVERY_MAX_ATTEMPTS is 3 here): reported, not repeated.
    await interrupt(2 * 60_000, 3)
    expect(await deliverEvent(db, loadConfig(env), message, new Date())).toEqual({ action: 'ack' })
    expect(await state()).toMatchObject({ status: 'unknown', attempts: 3 })
    expect(await sentFor()).toBe(1)
  })
})

describe('a send is claimed when its turn comes, and reads its member again then', () => {
  const whatsapp = (): Config => ({ ...loadConfig(env), DELIVERY_CHANNEL: 'whatsapp' })
  /** A pace that lets the first `open` turns go at once and holds the rest until released. */
  function gate(open: number) {
    let turns = 0
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const pace = async () => {
      if (turns++ >= open) await released
    }
    return { pace, release }
  }
  const toNumber = (request: Received) => String(JSON.parse(request.body).to).replace(/\D/g, '')
  const reached = async (phones: string[]) => {
    const digits = phones.map((phone) => phone.replace(/\D/g, ''))
    return (await receivedFor('/whatsapp/', (request) => digits.includes(toNumber(request)))).map(
      toNumber,
    )
  }
  const rowsOf = (dispatchId: string) =>
    query<{ member_id: string; status: string; last_error: string | null }>(
      'select member_id, status, last_error from deliveries where dispatch_id = ? order by member_id',
      dispatchId,
    )

  it('a Worker stopped mid-batch leaves the sends whose turn had not come waiting, not in doubt', async () => {
    const phones = Array.from({ length: 8 }, () => newPhone())
    const { db, messages } = await runTo(
      phones.map((_, i) => `Turn #${i}`),
      phones,
    )
    const { pace, release } = gate(3)
    const batch = deliverAnnouncements(db, whatsapp(), messages, new Date(), pace)
    await eventually(async () => expect(await reached(phones)).toHaveLength(3))
    // Stopped here, only the three sent are in doubt; the five whose turn had not come wait, for
    // the reconciler to queue again.
    const statuses = (await rowsOf(messages[0]!.dispatchId)).map((row) => row.status)
    expect(statuses.filter((status) => status === 'sending')).toHaveLength(3)
    expect(statuses.filter((status) => status === 'queued')).toHaveLength(5)
    release()
    await batch
    expect((await rowsOf(messages[0]!.dispatchId)).map((row) => row.status)).toEqual(
      phones.map(() => 'sent'),
    )
    expect(await reached(phones)).toHaveLength(8)
  })

  it('sends nothing to a member erased, or a number that sent STOP, while the send waited', async () => {
    const phones = [newPhone(), newPhone(), newPhone()]
    const { db, messages } = await runTo(['Goes', 'Erased meanwhile', 'Stops meanwhile'], phones)
    const { pace, release } = gate(1)
    const batch = deliverAnnouncements(db, whatsapp(), messages, new Date(), pace)
    await eventually(async () => expect(await reached(phones)).toHaveLength(1))
    const erased = await db.query.members.findFirst({
      where: eq(members.id, messages[1]!.memberId),
    })
    await eraseMember(db, erased!, new Date())
    await notifyWhatsApp(textNotification(phones[2]!, 'STOP', newWamid()))
    await eventually(async () =>
      expect(
        await query('select value from marketing_preferences where phone = ?', phones[2]),
      ).toEqual([{ value: 'stop' }]),
    )
    release()
    await batch
    const rows = await rowsOf(messages[0]!.dispatchId)
    // The first got the announcement; the one who sent STOP only the answer to it.
    const digits = phones.map((phone) => phone.replace(/\D/g, ''))
    expect((await reached(phones)).sort()).toEqual([digits[0], digits[2]].sort())
    expect(rows.find((row) => row.member_id === messages[1]!.memberId)).toMatchObject({
      status: 'skipped',
      last_error: 'member left',
    })
    expect(rows.find((row) => row.member_id === messages[2]!.memberId)).toMatchObject({
      status: 'skipped',
      // Its STOP ended the membership too: it is no member to write to any more.
      last_error: expect.stringMatching(/^(member left|the number sent STOP)$/),
    })
  })
})
