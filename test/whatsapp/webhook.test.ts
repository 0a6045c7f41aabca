import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import { MAX_NOTIFICATION_BYTES } from '../../src/api/whatsapp-webhook'
import { INBOUND_QUEUE_NAME, STATUS_TRIES } from '../../src/jobs/inbound'
import { inboundItems, NotificationSchema } from '../../src/platforms/whatsapp/schemas'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { applyInboundItem } from '../../src/services/whatsapp-inbound'
import { applyStatus, deliveriesOfStatuses } from '../../src/services/whatsapp-statuses'
import {
  BASE,
  call,
  countRows,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
  joinAsMember,
  handledMessageKey,
  memberIdOf,
} from '../worker/helpers'
import {
  buttonNotification,
  hubSignature,
  newWamid,
  preferenceNotification,
  statusNotification,
  textNotification,
  VERIFY_TOKEN,
} from '../support/whatsapp-notifications'
import { notify } from './meta'
import { csrfOf, page, post as postForm, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')

async function post(body: string, headers: Record<string, string>) {
  const response = await exports.default.fetch(
    new Request(`${BASE}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }),
  )
  return { status: response.status, text: await response.text() }
}

/** Everything the webhook could change, to prove a refused notification changed nothing. */
async function snapshot() {
  return {
    members: await query('select id, status, leave_reason from members order by id'),
    deliveries: await query('select * from deliveries order by member_id'),
    dispatches: await query('select * from dispatches order by id'),
    events: await countRows('events'),
    inbound: await countRows('inbound_notifications'),
  }
}

/** An announcement as the API shows it. */
async function announcement(id: string) {
  const response = await call<'/api/announcements/{id}', 'get'>('GET', `/api/announcements/${id}`)
  expect(response.status, response.text).toBe(200)
  return response.json
}

/**
 * A member who received one announcement over WhatsApp, and its message id. Returns once the
 * run is over, so that nothing of the send is still being written when the test goes on.
 */
async function memberWithDelivery(name = 'Hanna') {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const phone = newPhone()
  const joined = await joinAsMember(invite.code, { name, phone })
  const created = await call<'/api/communities/{id}/announcements', 'post'>(
    'POST',
    `/api/communities/${community.id}/announcements`,
    { body: { body: `Hello ${name}`, sendAt: new Date(Date.now() + 1000).toISOString() } },
  )
  expect(created.status, created.text).toBe(201)
  await runCron(Date.now() + 120_000)
  await eventually(async () =>
    expect(await announcement(created.json.id)).toMatchObject({
      status: 'sent',
      deliveries: { sent: 1, queued: 0 },
    }),
  )
  const deliveries = await call<'/api/announcements/{id}/deliveries', 'get'>(
    'GET',
    `/api/announcements/${created.json.id}/deliveries`,
  )
  const wamid = deliveries.json.data[0]?.providerMessageId
  expect(wamid).toMatch(/^wamid\./)
  return {
    community,
    phone,
    memberId: joined.json.memberId as string,
    announcementId: created.json.id,
    wamid: wamid!,
  }
}

/** Waits until the inbound queue has applied a message: everything queued before it is too. */
async function applied(notification: { entry: Array<{ changes: Array<{ value: unknown }> }> }) {
  const value = notification.entry[0]!.changes[0]!.value as { messages: Array<{ id: string }> }
  const key = await handledMessageKey(value.messages[0]!.id)
  await eventually(async () =>
    expect(await query('select key from inbound_notifications where key = ?', key)).toHaveLength(1),
  )
}

/** The inbound consumer run on one status, as the queue hands it over for the `attempts`th time. */
async function consumeStatus(wamid: string, status: 'delivered' | 'read', attempts: number) {
  const body = { kind: 'status', wamid, status, errorCode: null, errorTitle: null }
  const batch = createMessageBatch(INBOUND_QUEUE_NAME, [
    { id: `status-${attempts}`, timestamp: new Date(), attempts, body },
  ])
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  await waitOnExecutionContext(ctx)
  return getQueueResult(batch, ctx)
}

/** The announcement's run, made to look still going: other members waiting for their turn. */
async function runStillGoing(announcementId: string) {
  const [run] = await query<{ id: string }>(
    'select id from dispatches where announcement_id = ?',
    announcementId,
  )
  await query(`update dispatches set status = 'expanded', finished_at = null where id = ?`, run!.id)
  return run!
}

async function memberRow(id: string) {
  const [row] = await query<{ status: string; leave_reason: string | null }>(
    'select status, leave_reason from members where id = ?',
    id,
  )
  return row!
}

describe('the webhook handshake', () => {
  it('answers the challenge as plain text for the right verify token, 403 otherwise', async () => {
    const ok = await call(
      'GET',
      `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
      { token: null },
    )
    expect(ok.status).toBe(200)
    expect(ok.text).toBe('1158201444')
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/)
    for (const query of [
      `hub.mode=subscribe&hub.verify_token=wrong-token-123&hub.challenge=1`,
      `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
      `hub.mode=subscribe&hub.challenge=1`,
      '',
    ]) {
      const refused = await call('GET', `/webhooks/whatsapp?${query}`, { token: null })
      expect(refused.status, query).toBe(403)
    }
  })
})

describe('notifications that are refused or ignored change nothing', () => {
  it('refuses a bad or missing signature with 401, and an oversized body with 413', async () => {
    const { wamid, phone } = await memberWithDelivery()
    const before = await snapshot()
    const body = JSON.stringify(statusNotification(wamid, 'read', phone))
    expect((await post(body, {})).status).toBe(401)
    expect((await post(body, { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) })).status).toBe(
      401,
    )
    expect(
      (await post(body, { 'x-hub-signature-256': await hubSignature(body, 'another-secret') }))
        .status,
    ).toBe(401)
    // Signed, then changed on the way.
    const signature = await hubSignature(body)
    expect(
      (await post(body.replace('"read"', '"delivered"'), { 'x-hub-signature-256': signature }))
        .status,
    ).toBe(401)
    const huge = JSON.stringify({
      object: 'whatsapp_business_account',
      pad: 'x'.repeat(MAX_NOTIFICATION_BYTES),
    })
    expect((await post(huge, { 'x-hub-signature-256': await hubSignature(huge) })).status).toBe(413)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await snapshot()).toEqual(before)
  })

  it('answers malformed, unknown and foreign payloads without a 5xx, and applies nothing', async () => {
    const { wamid, phone } = await memberWithDelivery()
    const before = await snapshot()
    const bodies = [
      '{not json',
      '[]',
      JSON.stringify({ object: 'page', entry: [] }),
      JSON.stringify({ object: 'whatsapp_business_account', entry: [{ changes: 'nope' }] }),
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }],
      }),
      JSON.stringify(statusNotification(wamid, 'deleted' as 'read', phone)),
      JSON.stringify(statusNotification('wamid.unknown', 'read', phone)),
    ]
    for (const body of bodies) {
      const response = await post(body, { 'x-hub-signature-256': await hubSignature(body) })
      expect(response.status, body).toBeLessThan(500)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await snapshot()).toEqual(before)
  })
})

describe('statuses and the error-code policy', () => {
  it('131026 is final: counted undelivered, with the reason in plain words', async () => {
    const { wamid, phone, announcementId, memberId } = await memberWithDelivery()
    await notify(
      statusNotification(wamid, 'failed', phone, { code: 131026, title: 'Message undeliverable' }),
    )
    const status = await eventually(async () => {
      const json = (await call('GET', `/api/announcements/${announcementId}`)).json
      expect(json.deliveries.undelivered).toBe(1)
      return json
    })
    expect(status.rates.failed).toBe(1)
    expect(status.failureReasons).toEqual([
      { reason: expect.stringContaining('Cannot be delivered to this number'), count: 1 },
    ])
    expect((await memberRow(memberId)).status).toBe('active')
    const deliveries = await call('GET', `/api/announcements/${announcementId}/deliveries`)
    expect(deliveries.json.data[0]).toMatchObject({
      providerMessageId: wamid,
      providerStatus: 'failed',
      errorCode: 131026,
      errorTitle: 'Message undeliverable',
    })
  })

  it('applies a status that comes before its send is recorded, once it is', async () => {
    // Meta may report a message delivered before the sender has read Meta's answer to the send:
    // the sender records a batch's message ids together, after the batch's last send.
    const { wamid, announcementId } = await memberWithDelivery('Uwe')
    const [delivery] = await query<{ dispatch_id: string; member_id: string }>(
      'select dispatch_id, member_id from deliveries where provider_message_id = ?',
      wamid,
    )
    const keys = [delivery!.dispatch_id, delivery!.member_id]
    const inFlight = async (sending: boolean) => {
      await query(
        `update deliveries set status = ?, provider_message_id = ?
         where dispatch_id = ? and member_id = ?`,
        sending ? 'sending' : 'sent',
        sending ? null : wamid,
        ...keys,
      )
      await query(
        'update dispatches set status = ? where id = ?',
        sending ? 'expanded' : 'done',
        keys[0],
      )
    }
    const deliveredCount = async () =>
      (await announcement(announcementId)).deliveries.delivered as number

    await inFlight(true)
    const early = await consumeStatus(wamid, 'delivered', 1)
    expect(early).toMatchObject({ retryMessages: [{ msgId: 'status-1' }], explicitAcks: [] })
    // Tried again while the send is still not recorded.
    expect((await consumeStatus(wamid, 'delivered', 2)).retryMessages).toEqual([
      { msgId: 'status-2' },
    ])
    await inFlight(false)
    expect(await deliveredCount()).toBe(0)
    const late = await consumeStatus(wamid, 'delivered', 3)
    expect(late).toMatchObject({ retryMessages: [], explicitAcks: ['status-3'] })
    expect(await deliveredCount()).toBe(1)

    // A message id that stays unknown: taken as not ours at the last try while sends are in
    // flight, and at once when none is.
    await inFlight(true)
    const lastTry = await consumeStatus(newWamid(), 'read', STATUS_TRIES)
    expect(lastTry).toMatchObject({ retryMessages: [], explicitAcks: [`status-${STATUS_TRIES}`] })
    await inFlight(false)
    expect(await consumeStatus(newWamid(), 'read', 1)).toMatchObject({
      retryMessages: [],
      explicitAcks: ['status-1'],
    })
    expect(await deliveredCount()).toBe(1)
  })

  it('applies every status of one notification, several of the same message among them', async () => {
    const first = await memberWithDelivery('Ida')
    const second = await memberWithDelivery('Jan')
    // Meta often reports delivered and read together; the consumer reads the deliveries of a
    // batch in one go, and must still apply the second status of a message after the first.
    const statusesOf = (notification: ReturnType<typeof statusNotification>) =>
      (notification.entry[0]!.changes[0]!.value as unknown as { statuses: unknown[] }).statuses
    const notification = statusNotification(first.wamid, 'delivered', first.phone)
    for (const [wamid, status, phone] of [
      [first.wamid, 'read', first.phone],
      [second.wamid, 'delivered', second.phone],
      ['wamid.never-sent', 'read', second.phone],
    ] as const) {
      statusesOf(notification).push(...statusesOf(statusNotification(wamid, status, phone)))
    }
    await notify(notification)
    await eventually(async () => {
      expect((await announcement(first.announcementId)).deliveries).toMatchObject({
        delivered: 1,
        read: 1,
      })
      expect((await announcement(second.announcementId)).deliveries).toMatchObject({
        delivered: 1,
        read: 0,
      })
    })
  })

  it('shows a send refused with 131026 in plain words too', async () => {
    const community = await createCommunity()
    await joinJson((await createInvite(community.id)).code, {
      name: 'Una',
      phone: '+4915112345699', // the stand-in refuses numbers ending in 99 with 131026
    })
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello Una', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() + 120_000 }),
      env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    const status = await eventually(async () => {
      const json = (await call('GET', `/api/announcements/${created.json.id}`)).json
      expect(json.deliveries.failed).toBe(1)
      return json
    })
    expect(status.failureReasons).toEqual([
      { reason: expect.stringContaining('Cannot be delivered to this number'), count: 1 },
    ])
  })

  it('a send refused with 131050 ends the subscription; with 131048 it pauses the broadcast', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const stopped = await joinAsMember(invite.code, { name: 'Vic', phone: '+4915112345694' })
    const elsewhere = await joinAsMember((await createInvite((await createCommunity()).id)).code, {
      name: 'Vic',
      phone: '+4915112345694',
    })
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello Vic', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() + 120_000 }),
      env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    await eventually(async () =>
      expect(await memberRow(stopped.json.memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      }),
    )
    expect((await call('GET', `/api/announcements/${created.json.id}`)).json.pausedAt).toBeNull()
    // Meta said the person stopped marketing messages: a stop of the number, everywhere.
    expect(await memberRow((await memberIdOf(elsewhere))!)).toEqual({
      status: 'left',
      leave_reason: 'marketing_stopped_in_whatsapp',
    })
    expect(
      await query('select value from marketing_preferences where phone = ?', '+4915112345694'),
    ).toEqual([{ value: 'stop' }])

    const limited = await createCommunity()
    await joinJson((await createInvite(limited.id)).code, { name: 'Wim', phone: '+4915112345693' })
    const second = await call('POST', `/api/communities/${limited.id}/announcements`, {
      body: { body: 'Hello Wim', sendAt: new Date(Date.now() + 1000).toISOString() },
    })
    const ctx2 = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() + 120_000 }),
      env,
      ctx2,
    )
    await waitOnExecutionContext(ctx2)
    await eventually(async () =>
      expect(
        (await call('GET', `/api/announcements/${second.json.id}`)).json.pausedAt,
      ).not.toBeNull(),
    )
    // The admins see the pause with its reason, and resume it from the dashboard.
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${limited.id}/announcements?lang=en`, cookie)
    expect(list.text).toContain('Paused: Spam rate limit reached')
    const liste = await page(`/admin/communities/${limited.id}/announcements?lang=de`, cookie)
    expect(liste.text).toContain('Pausiert: Spam-Grenze erreicht')
    const resumed = await postForm(`/admin/announcements/${second.json.id}/resume`, cookie, {
      _csrf: csrfOf(list.text),
    })
    expect(resumed.status).toBe(303)
    expect((await call('GET', `/api/announcements/${second.json.id}`)).json.pausedAt).toBeNull()
  })

  it('131050 ends the subscription; 131048 pauses the broadcast and tells the admins', async () => {
    const first = await memberWithDelivery('Ida')
    await notify(
      statusNotification(first.wamid, 'failed', first.phone, {
        code: 131050,
        title: 'User has stopped marketing messages',
      }),
    )
    await eventually(async () =>
      expect(await memberRow(first.memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      }),
    )

    const second = await memberWithDelivery('Jo')
    await notify(
      statusNotification(second.wamid, 'failed', second.phone, {
        code: 131048,
        title: 'Spam rate limit hit',
      }),
    )
    const paused = await eventually(async () => {
      const json = await announcement(second.announcementId)
      expect(json.pausedAt).not.toBeNull()
      return json
    })
    expect(paused.pauseReason).toContain('Spam rate limit')
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'announcement.paused' and community_id = ?`,
      second.community.id,
    )
    expect(JSON.parse(event!.payload)).toMatchObject({ announcementId: second.announcementId })
    const resumed = await call('POST', `/api/announcements/${second.announcementId}/resume`)
    expect(resumed.json).toMatchObject({ pausedAt: null, pauseReason: null })
  })

  it('131050 ends the subscription even when a write after the status fails and the status comes again', async () => {
    const { wamid, memberId } = await memberWithDelivery('Mia')
    const deps = { config: loadConfig(env), deliveryQueue: env.DELIVERY_QUEUE }
    const status = {
      kind: 'status',
      wamid,
      status: 'failed',
      errorCode: 131050,
      errorTitle: 'User stopped marketing messages',
    } as const
    // The leave's write fails (D1 had a bad moment): the consumer retries the status.
    await env.DB.prepare('alter table group_members rename to group_members_away').run()
    try {
      await expect(applyInboundItem(createDb(env.DB), deps, status, new Date())).rejects.toThrow()
    } finally {
      await env.DB.prepare('alter table group_members_away rename to group_members').run()
    }
    expect(await applyInboundItem(createDb(env.DB), deps, status, new Date())).toBe('failed')
    expect(await memberRow(memberId)).toMatchObject({ status: 'left' })
  })

  it('130429 sends the message again later, with a new message id', async () => {
    const { wamid, phone, announcementId } = await memberWithDelivery('Kai')
    await notify(
      statusNotification(wamid, 'failed', phone, { code: 130429, title: 'Rate limit hit' }),
    )
    await eventually(async () => {
      const [row] = await query<{ provider_message_id: string; status: string }>(
        `select d.provider_message_id, d.status from deliveries d join dispatches r on r.id = d.dispatch_id
         where r.announcement_id = ?`,
        announcementId,
      )
      expect(row).toMatchObject({ status: 'sent' })
      expect(row!.provider_message_id).not.toBe(wamid)
    })
    const json = (await call('GET', `/api/announcements/${announcementId}`)).json
    expect(json.deliveries).toMatchObject({ sent: 1, queued: 0, undelivered: 0 })
  })

  it('131049 puts the message off for hours: its run is waiting, not stalled, until then', async () => {
    const { wamid, phone, announcementId, community } = await memberWithDelivery('Wes')
    const run = await runStillGoing(announcementId)
    await notify(
      statusNotification(wamid, 'failed', phone, {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
      }),
    )
    await eventually(async () => {
      expect((await announcement(announcementId)).deliveries).toMatchObject({ queued: 1 })
    })
    // Minutes go by without progress: the run waits for the message put off, due in 12 hours.
    await query('update dispatches set progress_at = ? where id = ?', Date.now() - 600_000, run.id)
    const [waiting] = (await announcement(announcementId)).runs
    expect(waiting).toMatchObject({ stalled: false })
    const due = Date.parse(waiting!.waitingUntil!)
    expect(due - Date.now()).toBeGreaterThan(11.9 * 3600_000)
    const { cookie } = await signIn()
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    expect(list).toContain('Some messages wait for another try, due by')
    expect(list).not.toContain('stalled')
    expect(list).not.toContain('/resume')

    // Past that time with still no progress, it is stalled.
    await query(
      'update dispatches set waiting_until = ? where id = ?',
      Date.now() - 600_000,
      run.id,
    )
    const [late] = (await announcement(announcementId)).runs
    expect(late).toMatchObject({ stalled: true, waitingUntil: null })
  })

  it('130429 on a run stopped since: the message is not sent again, and its failure is final', async () => {
    const { wamid, phone, announcementId } = await memberWithDelivery('Ria')
    // The run is still going (other members wait for their turn) when the admin stops it.
    const run = await runStillGoing(announcementId)
    const stopped = await call('POST', `/api/announcements/${announcementId}/runs/${run.id}/cancel`)
    expect(stopped.status, stopped.text).toBe(200)
    // Then WhatsApp reports the message failed for a passing reason: on a run still going it
    // would be queued once more; on a stopped one the failure is final.
    await notify(
      statusNotification(wamid, 'failed', phone, { code: 130429, title: 'Rate limit hit' }),
    )
    await eventually(async () => {
      const [row] = await query<{ status: string; provider_status: string | null }>(
        'select status, provider_status from deliveries where dispatch_id = ?',
        run.id,
      )
      expect(row).toEqual({ status: 'sent', provider_status: 'failed' })
    })
    expect((await announcement(announcementId)).deliveries).toMatchObject({
      queued: 0,
      sent: 1,
      undelivered: 1,
      cancelled: 0,
    })
    // Its reason says what happened: not "sent again later".
    expect((await announcement(announcementId)).failureReasons).toEqual([
      { reason: 'Sending too fast for WhatsApp (throughput limit); not sent again', count: 1 },
    ])
    // The announcement went out once, before the stop.
    const sends = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
      body: string
    }>
    const announced = sends.filter(
      (request) =>
        (JSON.parse(request.body) as { text?: { body?: string } }).text?.body === 'Hello Ria',
    )
    expect(announced).toHaveLength(1)
  })

  it('130429 read while the run was going and applied once it was stopped: the failure is final', async () => {
    const { wamid, announcementId } = await memberWithDelivery('Rob')
    const run = await runStillGoing(announcementId)
    const db = createDb(env.DB)
    const item = {
      kind: 'status',
      wamid,
      status: 'failed',
      errorCode: 130429,
      errorTitle: 'Rate limit hit',
    } as const
    // The consumer reads the status's delivery while the run is still going …
    const lookup = await deliveriesOfStatuses(db, [item])
    // … and the admin stops the run before the consumer applies the status.
    const stopped = await call('POST', `/api/announcements/${announcementId}/runs/${run.id}/cancel`)
    expect(stopped.status, stopped.text).toBe(200)
    const sent: unknown[] = []
    const deliveryQueue = {
      send: async (message: unknown) => void sent.push(message),
    } as unknown as Queue
    const outcome = await applyStatus(
      db,
      { config: loadConfig(env), deliveryQueue },
      item,
      new Date(),
      lookup,
    )
    // Queued again on a stopped run, only its queue message would ever settle it.
    expect(outcome).toBe('failed')
    expect(sent).toEqual([])
    expect(
      await query('select status, provider_status from deliveries where dispatch_id = ?', run.id),
    ).toEqual([{ status: 'sent', provider_status: 'failed' }])
    expect((await announcement(announcementId)).deliveries).toMatchObject({
      queued: 0,
      sent: 1,
      undelivered: 1,
    })
  })

  it('130429 whose queue message is lost: the cron job sends it again by itself', async () => {
    const { wamid, announcementId } = await memberWithDelivery('Lou')
    // The status queues the delivery again, and its queue message vanishes (a Worker stopped
    // right after the write, a message lost): only the database knows it is still to be sent.
    const vanishing = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue
    const outcome = await applyInboundItem(
      createDb(env.DB),
      { config: loadConfig(env), deliveryQueue: vanishing },
      { kind: 'status', wamid, status: 'failed', errorCode: 130429, errorTitle: 'Rate limit hit' },
      new Date(),
    )
    expect(outcome).toBe('retrying')
    const delivery = () =>
      query<{ provider_message_id: string | null; status: string }>(
        `select d.provider_message_id, d.status from deliveries d join dispatches r on r.id = d.dispatch_id
         where r.announcement_id = ?`,
        announcementId,
      )
    expect(await delivery()).toEqual([
      expect.objectContaining({ status: 'queued', provider_message_id: null }),
    ])
    // The run has work left again: the cron job's reconciler moves it on once it stalls.
    expect((await announcement(announcementId)).runs).toEqual([
      expect.objectContaining({ status: 'expanded', queued: 1 }),
    ])
    await runCron(Date.now() + 5 * 60_000)
    await eventually(async () => {
      const [row] = await delivery()
      expect(row).toMatchObject({ status: 'sent' })
      expect(row!.provider_message_id).not.toBe(wamid)
    })
    await eventually(async () =>
      expect(await announcement(announcementId)).toMatchObject({
        status: 'sent',
        deliveries: { sent: 1, queued: 0, undelivered: 0 },
        runs: [expect.objectContaining({ status: 'done', queued: 0 })],
      }),
    )
  })
})

describe('opting out and in from the chat', () => {
  it('ends the subscription on any spelling of the keywords, and START brings it back', async () => {
    for (const word of ['STOP', 'abmelden', 'Austragen', ' Unsubscribe ', 'Stópp']) {
      const community = await createCommunity()
      const phone = newPhone()
      const joined = await joinAsMember((await createInvite(community.id)).code, {
        name: 'L',
        phone,
      })
      await notify(textNotification(phone, word))
      await eventually(async () =>
        expect(await memberRow(joined.json.memberId)).toEqual({
          status: 'left',
          leave_reason: 'chat_opt_out',
        }),
      )
      if (word === 'STOP') {
        // A second later, as Meta stamps it: of a STOP and a START in the same second, the STOP
        // stands.
        await notify(
          textNotification(phone, 'Start', newWamid(), Math.floor(Date.now() / 1000) + 1),
        )
        await eventually(async () =>
          expect((await memberRow(joined.json.memberId)).status).toBe('active'),
        )
        const [group] = await query<{ n: number }>(
          `select count(*) as n from group_members gm join groups g on g.id = gm.group_id
           where gm.member_id = ? and g.kind = 'announcement'`,
          joined.json.memberId,
        )
        expect(group!.n).toBe(1)
      }
    }
  })

  it('hears a STOP from an account whose WhatsApp id keeps its number’s older form (Mexico, Brazil)', async () => {
    const digits = (n: number) =>
      Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('')
    // WhatsApp keeps the form a number had when its account was made: Mexican mobiles with the
    // 1 after 52 that Mexico dropped in 2019, Brazilian ones without the 9 Brazil added by 2016.
    // The form stores the number as it is now.
    const mexico = `55${digits(8)}`
    const brazil = `8${digits(7)}`
    const cases = [
      { typed: `+52 ${mexico}`, waId: `521${mexico}`, stored: `+52${mexico}` },
      { typed: `+55 11 9${brazil}`, waId: `5511${brazil}`, stored: `+55119${brazil}` },
    ]
    for (const { typed, waId, stored } of cases) {
      const community = await createCommunity()
      const joined = await joinAsMember((await createInvite(community.id)).code, {
        name: 'Lucía',
        phone: typed,
      })
      expect(await query('select phone from members where id = ?', joined.json.memberId)).toEqual([
        { phone: stored },
      ])
      await notify(textNotification(waId, 'STOP'))
      await eventually(async () =>
        expect(await memberRow(joined.json.memberId)).toEqual({
          status: 'left',
          leave_reason: 'chat_opt_out',
        }),
      )
      expect(
        await query('select value from marketing_preferences where phone = ?', stored),
      ).toEqual([{ value: 'stop' }])
      // Allowing marketing messages again in WhatsApp, from the same account, brings it back.
      await notify(preferenceNotification(waId, 'resume', Math.floor(Date.now() / 1000) + 1))
      await eventually(async () =>
        expect((await memberRow(joined.json.memberId)).status).toBe('active'),
      )
    }
  })

  it('finishes a STOP recorded and never done, through the cron job, for the memberships proven before it', async () => {
    const phone = newPhone()
    const before = await createCommunity()
    const after = await createCommunity()
    const older = await joinAsMember((await createInvite(before.id)).code, { name: 'Ole', phone })
    const newer = await joinAsMember((await createInvite(after.id)).code, { name: 'Ole', phone })
    const now = Date.now()
    // Proven an hour ago, and five minutes ago; the STOP, recorded 20 minutes ago, was never
    // done: its Worker stopped, or a correction moved it to this number.
    await query(
      'update members set phone_confirmed_at = ? where id = ?',
      now - 3600_000,
      older.json.memberId,
    )
    await query(
      'update members set phone_confirmed_at = ? where id = ?',
      now - 300_000,
      newer.json.memberId,
    )
    await query(
      `insert into marketing_preferences (phone, value, timestamp, applied, held_in_whatsapp)
       values (?, 'stop', ?, 0, 0)`,
      phone,
      now - 1200_000,
    )
    await runCron(new Date(now))
    expect(await memberRow(older.json.memberId)).toEqual({
      status: 'left',
      leave_reason: 'chat_opt_out',
    })
    // Proven after the STOP: the number's word since, which the STOP does not undo.
    expect((await memberRow(newer.json.memberId)).status).toBe('active')
    expect(await query('select applied from marketing_preferences where phone = ?', phone)).toEqual(
      [{ applied: 1 }],
    )
  })

  it('follows Meta’s marketing opt-out button and user_preferences', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const joined = await joinAsMember(invite.code, { name: 'Mo', phone })
    await notify(buttonNotification(phone, 'Stop promotions'))
    await eventually(async () =>
      expect(await memberRow(joined.json.memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_opt_out',
      }),
    )
    // A second apart each, as a person makes them (within one second, a stop outdoes a resume).
    const tapped = Math.floor(Date.now() / 1000)
    await notify(preferenceNotification(phone, 'resume', tapped + 1))
    await eventually(async () =>
      expect((await memberRow(joined.json.memberId)).status).toBe('active'),
    )
    await notify(preferenceNotification(phone, 'stop', tapped + 2))
    await eventually(async () =>
      expect((await memberRow(joined.json.memberId)).status).toBe('left'),
    )
  })

  it('keeps other messages for the admins, once however often Meta delivers them', async () => {
    const community = await createCommunity()
    const phone = newPhone()
    await joinAsMember((await createInvite(community.id)).code, { name: 'Nia', phone })
    const message = textNotification(phone, 'Is the run on Sunday still on?\u202E')
    await notify(message)
    await notify(message)
    const stop = textNotification(phone, 'STOP')
    await notify(stop)
    await applied(stop) // and so both copies before it
    const rows = await query<{ text: string }>(
      'select text from inbound_messages where community_id = ?',
      community.id,
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text).toBe('Is the run on Sunday still on?')
    const inbox = await call('GET', `/api/communities/${community.id}/messages`)
    expect(inbox.json.data).toMatchObject([
      { memberName: 'Nia', text: 'Is the run on Sunday still on?' },
    ])
  })

  it('keeps a message only where the number proved the membership: a number typed into a form reads none of it', async () => {
    const own = await createCommunity()
    const phone = newPhone()
    await joinAsMember((await createInvite(own.id)).code, { name: 'Nia', phone })
    // Anyone, the admins of another community too, can type Nia's number into a form that asks
    // for no proof: that membership is the form's word, not Nia's.
    const typed = await createCommunity()
    const typist = await joinJson((await createInvite(typed.id)).code, { name: 'Not Nia', phone })
    expect(typist.status, typist.text).toBe(201)
    const [membership] = await query<{ method: string }>(
      `select phone_consent_method as method from members where community_id = ? and phone = ?
         and status = 'active'`,
      typed.id,
      phone,
    )
    expect(membership?.method).toBe('single_opt_in')
    const message = textNotification(phone, 'My new address is Lindenstraße 5')
    await notify(message)
    await applied(message)
    const inbox = async (id: string) =>
      (await call('GET', `/api/communities/${id}/messages`)).json.data as Array<{ text: string }>
    expect(await inbox(own.id)).toMatchObject([{ text: 'My new address is Lindenstraße 5' }])
    expect(await inbox(typed.id)).toEqual([])
  })
})

describe('one number in many communities', () => {
  it('keeps a message for each community the sender is a member of, past 15 of them', async () => {
    const phone = newPhone()
    const ids: string[] = []
    for (let i = 0; i < 17; i++) {
      const community = await createCommunity()
      ids.push(community.id)
      await query(
        `insert into members (id, community_id, name, phone, consent, status, join_request_id, joined_at,
           phone_confirmed_at, phone_consent_method)
         values (?, ?, 'Xia', ?, 1, 'active', 'jr_none', ?, ?, 'whatsapp_message')`,
        `mem_0000000000000000000000x${String(i).padStart(3, '0')}`.slice(0, 30),
        community.id,
        phone,
        Date.now(),
        Date.now(),
      )
    }
    await notify(textNotification(phone, 'Hello all of you'))
    await eventually(async () => {
      const [row] = await query<{ n: number }>(
        `select count(*) as n from inbound_messages where community_id in (${ids.map(() => '?').join(',')})`,
        ...ids,
      )
      expect(row!.n).toBe(17)
    })
  })
})

describe('business-initiated confirmation', () => {
  it('sends the confirmation template at sign-up; its button confirms the number', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: `Button ${crypto.randomUUID()}`, description: 'x', visibility: 'open' },
    })
    const phone = newPhone()
    const joined = await joinAsMember((await createInvite(created.json.id)).code, {
      name: 'Ria',
      phone,
    })
    expect(joined.json.status).toBe('unconfirmed')
    const template = await eventually(async () => {
      const requests = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
        body: string
      }>
      const found = requests
        .map((request) => JSON.parse(request.body))
        .find((message) => message.to === phone && message.type === 'template')
      expect(found).toBeTruthy()
      return found
    })
    expect(template.template.name).toBe('confirm_signup')
    const button = template.template.components.find((c: { type: string }) => c.type === 'button')
    const code = button.parameters[0].payload
    expect(code).toBe(joined.json.confirmation.code)

    await notify(buttonNotification(phone, 'Ja, anmelden', code))
    const member = await eventually(async () => {
      const list = await call('GET', `/api/communities/${created.json.id}/members`)
      expect(list.json.data).toHaveLength(1)
      return list.json.data[0]
    })
    expect(member.consentRecord.method).toBe('whatsapp_button')
  })

  it('refuses a code sent from another number', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: `Other ${crypto.randomUUID()}`, description: 'x', visibility: 'open' },
    })
    const joined = await joinAsMember((await createInvite(created.json.id)).code, {
      name: 'Sam',
      phone: newPhone(),
    })
    await notify(textNotification(newPhone(), `Code: ${joined.json.confirmation.code}`))
    const later = textNotification(newPhone(), 'STOP')
    await notify(later)
    await applied(later) // and so the code before it
    expect((await call('GET', `/api/communities/${created.json.id}/members`)).json.data).toEqual([])
  })
})

describe('signed notifications that are hostile in shape', () => {
  it('applies the good items of a notification beside malformed entries and changes', async () => {
    const { wamid, phone, announcementId } = await memberWithDelivery('Ola')
    const text = textNotification(newPhone(), 'Hello there')
    const status = statusNotification(wamid, 'read', phone)
    const notification = {
      object: 'whatsapp_business_account',
      entry: [
        { id: 'no changes' },
        { changes: 'nope' },
        42,
        null,
        {
          changes: [
            { field: 7, value: {} },
            { value: { statuses: [] } },
            null,
            ...status.entry[0]!.changes,
          ],
        },
        ...text.entry,
      ],
    }
    const body = JSON.stringify(notification)
    const response = await post(body, { 'x-hub-signature-256': await hubSignature(body) })
    expect(response).toEqual({ status: 200, text: JSON.stringify({ received: 2 }) })
    await applied(text)
    await eventually(async () =>
      expect((await announcement(announcementId)).deliveries).toMatchObject({ read: 1 }),
    )
  })

  it('applies a status, a STOP and a preference whose time or error is odd', async () => {
    const { wamid, phone, announcementId } = await memberWithDelivery('Pia')
    const failed = statusNotification(wamid, 'failed', phone, {
      code: 131026,
      title: 'Message undeliverable '.repeat(40),
    })
    const status = (failed.entry[0]!.changes[0]!.value as unknown as { statuses: object[] })
      .statuses[0]!
    Object.assign(status, {
      timestamp: Math.floor(Date.now() / 1000),
      recipient_id: `+${'4'.repeat(50)}`,
      errors: [
        { code: 131026, title: 'Message undeliverable '.repeat(40) },
        ...Array.from({ length: 12 }, () => 'more'),
      ],
    })
    await notify(failed)

    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const stopper = newPhone()
    const stopping = await joinAsMember(invite.code, { name: 'Quinn', phone: stopper })
    // Meta writes a message's time as a string; one written as a number is still a STOP.
    const stop = textNotification(stopper, 'STOP')
    const message = (stop.entry[0]!.changes[0]!.value as unknown as { messages: object[] })
      .messages[0]!
    Object.assign(message, { timestamp: Math.floor(Date.now() / 1000) })
    await notify(stop)
    const preferring = newPhone()
    const preferred = await joinAsMember(invite.code, { name: 'Rae', phone: preferring })
    await notify(preferenceNotification(preferring, 'stop', 'yesterday' as unknown as number))

    await eventually(async () => {
      expect((await announcement(announcementId)).deliveries).toMatchObject({ undelivered: 1 })
      expect(await memberRow(stopping.json.memberId)).toEqual({
        status: 'left',
        leave_reason: 'chat_opt_out',
      })
      expect(await memberRow(preferred.json.memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      })
    })
    const deliveries = await call('GET', `/api/announcements/${announcementId}/deliveries`)
    expect(deliveries.json.data[0]).toMatchObject({ errorCode: 131026 })
  })

  it('answers notifications drawn hostile with 200, and their items never fail the consumer', async () => {
    const number = fc.constantFrom('+4930123456', '0049301234567', '', 'abc', '1'.repeat(16), 49)
    const seconds = fc.constantFrom(-1, 1e20, 'abc', '', '99999999999', '1e3', 1.5, null, [])
    const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), number, seconds)
    const hostileMessage = fc.record(
      {
        from: fc.oneof(fc.constant(newPhone().replace(/\D/g, '')), number),
        id: fc.oneof(fc.constant(newWamid()), fc.string({ maxLength: 250 }), odd),
        timestamp: fc.oneof(seconds, fc.constant(String(Math.floor(Date.now() / 1000)))),
        type: fc.constantFrom('text', 'button', 'sticker', 'reaction', 'x'.repeat(41), 7),
        text: fc.oneof(
          fc.record({ body: fc.string({ unit: 'binary', maxLength: 300 }) }),
          fc.constant({ body: '\u0000STOP\u202E' }),
          odd,
        ),
        button: fc.oneof(fc.record({ text: fc.string(), payload: fc.string() }), odd),
      },
      { requiredKeys: [] },
    )
    const hostileStatus = fc.record(
      {
        id: fc.oneof(fc.constant('wamid.never-sent'), odd),
        status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'deleted', 3),
        timestamp: seconds,
        errors: fc.oneof(
          fc.constant([{ code: 131026, title: '\u0000'.repeat(600) }]),
          fc.constant([{ code: 2 ** 60 }]),
          odd,
        ),
      },
      { requiredKeys: [] },
    )
    const hostilePreference = fc.record(
      {
        wa_id: number,
        category: fc.constantFrom('marketing_messages', 'other'),
        value: fc.constantFrom('stop', 'resume', 'pause'),
        timestamp: seconds,
      },
      { requiredKeys: [] },
    )
    const many = <T>(item: fc.Arbitrary<T>) =>
      fc.oneof(fc.array(fc.oneof(item, odd), { maxLength: 5 }), odd)
    const change = fc.oneof(
      fc.record({
        field: fc.constant('messages'),
        value: fc.record(
          { statuses: many(hostileStatus), messages: many(hostileMessage), contacts: odd },
          { requiredKeys: [] },
        ),
      }),
      fc.record({
        field: fc.constant('user_preferences'),
        value: fc.record({ user_preferences: many(hostilePreference) }),
      }),
      odd,
    )
    const entry = fc.oneof(fc.record({ id: odd, changes: many(change) }), odd)
    const notification = fc.record({
      object: fc.constantFrom('whatsapp_business_account', 'whatsapp_business_account', 'page'),
      entry: fc.oneof(fc.array(entry, { maxLength: 4 }), odd),
    })
    await fc.assert(
      fc.asyncProperty(notification, fc.array(odd, { maxLength: 3 }), async (drawn, junk) => {
        // A good message beside whatever was drawn: it must be queued, and applied.
        const good = textNotification(newPhone(), 'Hello there')
        const payload =
          Array.isArray(drawn.entry) && drawn.object === 'whatsapp_business_account'
            ? { ...drawn, entry: [...drawn.entry, ...good.entry] }
            : drawn
        const body = JSON.stringify(payload)
        const signature = await hubSignature(body)
        for (const _copy of [1, 2]) {
          const response = await post(body, { 'x-hub-signature-256': signature })
          expect(response.status, response.text).toBe(200)
          if (payload !== drawn) expect(JSON.parse(response.text).received).toBeGreaterThan(0)
        }
        // What the webhook queued, handed to the consumer as a batch of its own with queue
        // messages that are no item among them: nothing in it is retried (an item that fails
        // would be), nothing throws.
        const parsed = NotificationSchema.safeParse(payload)
        const items = parsed.success ? inboundItems(parsed.data, new Date()) : []
        const batch = createMessageBatch(
          INBOUND_QUEUE_NAME,
          [...junk, ...items].map((item, i) => ({
            id: `drawn-${i}`,
            timestamp: new Date(),
            attempts: 1,
            body: item,
          })),
        )
        const ctx = createExecutionContext()
        await worker.queue(batch, env, ctx)
        await waitOnExecutionContext(ctx)
        expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([])
        if (payload !== drawn) await applied(good)
      }),
      { seed: 20_261_206, numRuns: 25 },
    )
  })

  it('queues a notification of hundreds of long texts whole, in batches a queue takes', async () => {
    // Meta batches up to 1,000 changes in notifications of up to 3 MB: 300 texts of 4,000
    // characters are 1.2 MB, several times what one `sendBatch` may carry.
    const notification = textNotification(newPhone(), 'x'.repeat(4_000))
    const value = notification.entry[0]!.changes[0]!.value as unknown as {
      contacts: unknown[]
      messages: unknown[]
    }
    for (let i = 1; i < 300; i++) {
      const waId = newPhone().replace(/\D/g, '')
      value.contacts.push({ profile: { name: 'Someone' }, wa_id: waId })
      value.messages.push({
        from: waId,
        id: newWamid(),
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: String(i % 10).repeat(4_000) },
      })
    }
    const body = JSON.stringify(notification)
    expect(body.length).toBeGreaterThan(1_200_000)
    const response = await post(body, { 'x-hub-signature-256': await hubSignature(body) })
    expect(response).toEqual({ status: 200, text: JSON.stringify({ received: 300 }) })
  })

  it('takes a notification of the largest size, nested deep or not, without a 5xx', async () => {
    const envelope = '{"object":"whatsapp_business_account","entry":[{"changes":[],"pad":"'
    const exact = envelope + 'x'.repeat(MAX_NOTIFICATION_BYTES - envelope.length - 4) + '"}]}'
    expect(exact).toHaveLength(MAX_NOTIFICATION_BYTES)
    const deep =
      envelope.replace('"pad":"', '"pad":') + '['.repeat(100_000) + ']'.repeat(100_000) + '}]}'
    for (const body of [exact, deep]) {
      const response = await post(body, { 'x-hub-signature-256': await hubSignature(body) })
      expect(response).toEqual({ status: 200, text: JSON.stringify({ received: 0 }) })
    }
    const over = exact.replace('"pad":"', '"pad":"x')
    expect((await post(over, { 'x-hub-signature-256': await hubSignature(over) })).status).toBe(413)
  })
})
