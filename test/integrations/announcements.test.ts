import { env } from 'cloudflare:workers'
import { Webhook } from 'standardwebhooks'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import { createDb } from '../../src/db/client'
import { createAnnouncement } from '../../src/services/announcements'
import { dispatchDueAnnouncements } from '../../src/services/delivery/claim'
import {
  call,
  createCommunity,
  createInvite,
  createToken,
  eventually,
  expectProblem,
  joinJson,
  memberIdOf,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { DELIVERY_SECRET, HUMAN, receivedWebhooks } from './delivery-webhook'

const fake = inject('fakeServicesUrl')

/** A community with members who joined through the real join flow. */
async function communityWith(names: string[]) {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const memberIds: string[] = []
  for (const name of names) {
    const joined = await joinJson(invite.code, { name, phone: newPhone(), turnstileToken: HUMAN })
    expect(joined.status).toBe(201)
    memberIds.push((await memberIdOf(joined))!)
  }
  return { community, invite, memberIds }
}

async function scheduleNow(communityId: string, body: string, extra: Record<string, unknown> = {}) {
  const response = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, sendAt: new Date(Date.now() + 1000).toISOString(), ...extra },
  })
  expect(response.status, response.text).toBe(201)
  return response.json as { id: string }
}

async function settled(
  announcementId: string,
  expected: Partial<Record<'sent' | 'failed' | 'skipped' | 'queued', number>>,
) {
  return eventually(async () => {
    const status = await call('GET', `/api/announcements/${announcementId}`)
    expect(status.json.deliveries).toMatchObject(expected)
    return status.json
  })
}

describe('scheduled announcements: cron, queue, signed delivery', () => {
  it('sends a due announcement to every active member once, signed per Standard Webhooks', async () => {
    const { community, memberIds } = await communityWith(['Ada', 'Ben', 'Cem'])
    const leaver = (
      await query<{ id: string }>('select id from members where id = ?', memberIds[2])
    )[0]!
    await call('DELETE', `/api/members/${leaver.id}`) // removed before the run: not in the audience
    const announcement = await scheduleNow(community.id, 'Run at 9 on Sunday!')

    await runCron(new Date(Date.now() + 120_000))
    const status = await settled(announcement.id, { sent: 2, queued: 0, failed: 0 })
    expect(status.status).toBe('sent')
    expect(status.runs).toHaveLength(1)

    const requests = await receivedWebhooks(
      (payload) => payload.data?.announcementId === announcement.id,
    )
    expect(requests).toHaveLength(2)
    const verifier = new Webhook(DELIVERY_SECRET)
    for (const request of requests) {
      const payload = verifier.verify(request.body, request.headers) as any
      expect(payload.type).toBe('announcement.message')
      expect(payload.data.text).toBe('Run at 9 on Sunday!')
      expect(memberIds.slice(0, 2)).toContain(payload.data.recipient.memberId)
      expect(payload.data.recipient.phone).toMatch(/^\+49/)
    }
    expect(() =>
      verifier.verify(requests[0]!.body.replace('Sunday', 'Monday'), requests[0]!.headers),
    ).toThrow()

    const deliveries = await call('GET', `/api/announcements/${announcement.id}/deliveries`)
    expect(deliveries.json.data.map((d: { status: string }) => d.status)).toEqual(['sent', 'sent'])
  })

  it('counts the members it passed over, in the list beside what was sent', async () => {
    const { community, memberIds } = await communityWith(['Ada', 'Ben'])
    // Ben's number stops counting as confirmed: nothing may go to it.
    await query('update members set phone_confirmed_at = null where id = ?', memberIds[1])
    const announcement = await scheduleNow(community.id, 'Boat trip on Saturday')
    await runCron(new Date(Date.now() + 120_000))
    await settled(announcement.id, { sent: 1, skipped: 1, queued: 0 })
    const { cookie } = await signIn()
    for (const [lang, label] of [
      ['en', 'Skipped'],
      ['de', 'Übersprungen'],
    ] as const) {
      const list = await page(
        `/admin/communities/${community.id}/announcements?lang=${lang}`,
        cookie,
      )
      expect(list.text).toContain(`<td class="n" data-label="${label}">1</td>`)
    }
  })

  it('does not send what is not due yet', async () => {
    const { community } = await communityWith(['Dora'])
    const later = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Later', sendAt: new Date(Date.now() + 3600_000).toISOString() },
    })
    await runCron(new Date(Date.now() + 60_000))
    const status = await call('GET', `/api/announcements/${later.json.id}`)
    expect(status.json).toMatchObject({ status: 'scheduled', runs: [] })
  })

  it('sends exactly once when two cron runs overlap', async () => {
    const { community } = await communityWith(['Eda', 'Fin', 'Gil', 'Hal'])
    const announcement = await scheduleNow(community.id, 'Only once, please')
    const at = new Date(Date.now() + 120_000)
    await Promise.all([runCron(at), runCron(at), runCron(new Date(at.getTime() + 1000))])
    await settled(announcement.id, { sent: 4, queued: 0 })
    await new Promise((resolve) => setTimeout(resolve, 1500)) // anything duplicated would arrive by now
    expect(
      await receivedWebhooks((payload) => payload.data?.announcementId === announcement.id),
    ).toHaveLength(4)
    expect((await call('GET', `/api/announcements/${announcement.id}`)).json.runs).toHaveLength(1)
  })

  it('retries a failing delivery with backoff, then succeeds, with the same webhook-id', async () => {
    const { community } = await communityWith(['flaky Fay'])
    const announcement = await scheduleNow(community.id, 'Second time lucky')
    await runCron(new Date(Date.now() + 120_000))
    await settled(announcement.id, { sent: 1, failed: 0 })
    const requests = await receivedWebhooks(
      (payload) => payload.data?.announcementId === announcement.id,
    )
    expect(requests).toHaveLength(2)
    expect(requests[0]!.headers['webhook-id']).toBe(requests[1]!.headers['webhook-id'])
    const [delivery] = (await call('GET', `/api/announcements/${announcement.id}/deliveries`)).json
      .data
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2 })
  })

  it('marks a permanent failure failed with its reason and sends it to the dead-letter queue', async () => {
    const { community, memberIds } = await communityWith(['broken Bob', 'Ivy'])
    const announcement = await scheduleNow(community.id, 'Not for Bob')
    await runCron(new Date(Date.now() + 120_000))
    const status = await settled(announcement.id, { sent: 1, failed: 1 })
    expect(status.failureReasons).toEqual([
      { reason: expect.stringContaining('HTTP 400'), count: 1 },
    ])
    const dead = await eventually(async () => {
      const rows = await query<{ body: string; error: string }>('select * from dead_letters')
      const mine = rows.filter((row) => JSON.parse(row.body).memberId === memberIds[0])
      expect(mine).toHaveLength(1)
      return mine[0]!
    })
    expect(dead.error).toContain('HTTP 400')
  })
})

describe('recurring announcements', () => {
  it('computes the next run in its time zone across the change to summer time', async () => {
    const db = createDb(env.DB, { checkLimits: true })
    const { community } = await communityWith(['Jan'])
    // Monday 09:00 in Berlin: 08:00 UTC in winter, 07:00 UTC after the clocks go forward (28 March 2027).
    const created = await createAnnouncement(
      db,
      community.id,
      {
        body: 'Weekly plan',
        groupIds: null,
        repeat: { cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
      },
      new Date('2027-03-20T12:00:00Z'),
    )
    expect(created.sendAt?.toISOString()).toBe('2027-03-22T08:00:00.000Z')
    await dispatchDueAnnouncements(
      db,
      env.DELIVERY_QUEUE,
      new Date('2027-03-22T08:00:30Z'),
      'webhook',
    )
    const after = (
      await query<{ send_at: number; status: string }>(
        'select send_at, status from announcements where id = ?',
        created.id,
      )
    )[0]!
    expect(after.status).toBe('scheduled')
    expect(new Date(after.send_at).toISOString()).toBe('2027-03-29T07:00:00.000Z')
    // And back in autumn (31 October 2027): 08:00 UTC again.
    await query(
      'update announcements set send_at = ? where id = ?',
      Date.parse('2027-10-25T07:00:00Z'),
      created.id,
    )
    await dispatchDueAnnouncements(
      db,
      env.DELIVERY_QUEUE,
      new Date('2027-10-25T07:00:30Z'),
      'webhook',
    )
    const autumn = (
      await query<{ send_at: number }>('select send_at from announcements where id = ?', created.id)
    )[0]!
    expect(new Date(autumn.send_at).toISOString()).toBe('2027-11-01T08:00:00.000Z')
  })

  it('shows the next runs before saving and refuses a bad rule or time zone', async () => {
    const preview = await call(
      'GET',
      '/api/announcements/preview?cron=0%209%20*%20*%201&timezone=Europe%2FBerlin&count=3',
    )
    expect(preview.status).toBe(200)
    expect(preview.json.runs).toHaveLength(3)
    expect(new Date(preview.json.runs[0]).getUTCDay()).toBe(1)
    const { community } = await communityWith([])
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'x', repeat: { cron: 'every day', timezone: 'Europe/Berlin' } },
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'x', repeat: { cron: '0 9 * * 1', timezone: 'Mars/Olympus' } },
      }),
      400,
      'validation_failed',
    )
  })
})

describe('managing announcements', () => {
  it('updates while scheduled, cancels, sends now, and refuses changes once sent', async () => {
    const { community } = await communityWith(['Kai'])
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Draft', sendAt: new Date(Date.now() + 86400_000).toISOString() },
    })
    const patched = await call('PATCH', `/api/announcements/${created.json.id}`, {
      body: { body: 'Final text' },
    })
    expect(patched.json).toMatchObject({ body: 'Final text', status: 'scheduled' })
    const now = await call('POST', `/api/announcements/${created.json.id}/send-now`)
    expect(Date.parse(now.json.nextRunAt)).toBeLessThanOrEqual(Date.now())
    // Its run starts right after the answer, with no cron run: nobody waits a minute for it.
    await settled(created.json.id, { sent: 1 })
    await runCron(new Date(Date.now() + 1000))
    await settled(created.json.id, { sent: 1 })
    expectProblem(
      await call('PATCH', `/api/announcements/${created.json.id}`, { body: { body: 'Too late' } }),
      409,
      'invalid_state',
    )

    const other = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Never mind', repeat: { cron: '0 18 * * 5', timezone: 'Europe/Berlin' } },
    })
    expect(other.json.upcomingRuns).toHaveLength(5)
    const cancelled = await call('POST', `/api/announcements/${other.json.id}/cancel`)
    expect(cancelled.json).toMatchObject({ status: 'cancelled', nextRunAt: null })
  })

  it('a repeating announcement sent now twice in a row, then cancelled, reaches everyone once', async () => {
    const { community } = await communityWith(['Ada'])
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Weekly news', repeat: { cron: '0 18 * * 5', timezone: 'Europe/Berlin' } },
    })
    expect(created.status, created.text).toBe(201)
    for (let press = 0; press < 2; press++) {
      const now = await call('POST', `/api/announcements/${created.json.id}/send-now`)
      expect(now.status, now.text).toBe(200)
    }
    await runCron(new Date(Date.now() + 1000))
    await settled(created.json.id, { sent: 1 })
    const runs = await query('select id from dispatches where announcement_id = ?', created.json.id)
    expect(runs).toHaveLength(1)
    // Cancelled once the run went out: nothing more is sent, by the cron job either.
    expect((await call('POST', `/api/announcements/${created.json.id}/cancel`)).status).toBe(200)
    await runCron(new Date(Date.now() + 120_000))
    expect(
      await query('select id from dispatches where announcement_id = ?', created.json.id),
    ).toHaveLength(1)
  })

  it('sends to the members of the chosen groups, each once', async () => {
    const community = await createCommunity()
    const runners = (
      await call('POST', `/api/communities/${community.id}/groups`, { body: { name: 'Runners' } })
    ).json
    const cyclists = (
      await call('POST', `/api/communities/${community.id}/groups`, { body: { name: 'Cyclists' } })
    ).json
    const toRunners = await createInvite(community.id, { groupId: runners.id })
    const toCyclists = await createInvite(community.id, { groupId: cyclists.id })
    const phone = newPhone()
    await joinJson(toRunners.code, { name: 'Both', phone, turnstileToken: HUMAN })
    await joinJson(toCyclists.code, { name: 'Cyclist', phone: newPhone(), turnstileToken: HUMAN })
    await joinJson((await createInvite(community.id)).code, {
      name: 'Neither',
      phone: newPhone(),
      turnstileToken: HUMAN,
    })
    const announcement = await scheduleNow(community.id, 'For runners and cyclists', {
      audience: { groupIds: [runners.id, cyclists.id] },
    })
    await runCron(new Date(Date.now() + 120_000))
    await settled(announcement.id, { sent: 2 })
    const names = (
      await receivedWebhooks((payload) => payload.data?.announcementId === announcement.id)
    ).map((request) => JSON.parse(request.body).data.recipient.name)
    expect(names.sort()).toEqual(['Both', 'Cyclist'])
  })

  it('lets only community admins and owners announce', async () => {
    const community = await createCommunity()
    const group = (
      await call('POST', `/api/communities/${community.id}/groups`, { body: { name: 'G' } })
    ).json
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        token: groupAdmin.token,
        body: { body: 'Hi all', sendAt: new Date(Date.now() + 60_000).toISOString() },
      }),
      403,
      'forbidden',
    )
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const ok = await call('POST', `/api/communities/${community.id}/announcements`, {
      token: admin.token,
      body: { body: 'Hi all', sendAt: new Date(Date.now() + 60_000).toISOString() },
    })
    expect(ok.status).toBe(201)
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'x'.repeat(4097), sendAt: new Date(Date.now() + 60_000).toISOString() },
      }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'past', sendAt: '2020-01-01T00:00:00Z' },
      }),
      400,
      'validation_failed',
    )
  })
})

describe('the events outbox as signed webhooks', () => {
  it('delivers subscribed events to an endpoint, signed with its own secret', async () => {
    const community = await createCommunity()
    const subscribed = await call('POST', '/api/webhooks', {
      body: {
        url: `${fake}/webhook`,
        events: ['member.joined', 'member.left'],
        communityId: community.id,
      },
    })
    expect(subscribed.status).toBe(201)
    expect(subscribed.json.secret).toMatch(/^whsec_/)
    expect(
      (await call('GET', '/api/webhooks')).json.data.find(
        (w: { id: string }) => w.id === subscribed.json.id,
      ).secret,
    ).toBeUndefined()

    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, {
      name: 'Lia',
      phone: newPhone(),
      turnstileToken: HUMAN,
    })
    const joinedId = await memberIdOf(joined)
    await runCron(new Date())
    const [delivery] = await eventually(async () => {
      const requests = await receivedWebhooks(
        (payload) => payload.type === 'member.joined' && payload.data?.memberId === joinedId,
      )
      expect(requests).toHaveLength(1)
      return requests
    })
    const payload = new Webhook(subscribed.json.secret).verify(
      delivery!.body,
      delivery!.headers,
    ) as any
    expect(payload).toMatchObject({
      type: 'member.joined',
      data: { communityId: community.id, memberId: joinedId },
    })
    expect(delivery!.headers['webhook-id']).toMatch(/^evt_/)

    await runCron(new Date()) // nothing new: nothing sent twice
    await eventually(async () => {
      const log = await call('GET', `/api/webhooks/${subscribed.json.id}/deliveries`)
      expect(log.json.data).toEqual([
        expect.objectContaining({ type: 'member.joined', status: 'sent', responseStatus: 200 }),
      ])
    })
  })

  it('refuses plain-http endpoints unless allowed, and scopes endpoints to admins', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    expectProblem(
      await call('POST', '/api/webhooks', {
        token: admin.token,
        body: { url: 'https://hooks.example.com/x', events: ['*'] },
      }),
      403,
      'forbidden',
    )
    expectProblem(
      await call('POST', '/api/webhooks', {
        token: admin.token,
        body: { url: 'https://hooks.example.com/x', events: ['*'], communityId: other.id },
      }),
      404,
      'not_found',
    )
    expectProblem(
      await call('POST', '/api/webhooks', { body: { url: 'ftp://x.example.com', events: ['*'] } }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('POST', '/api/webhooks', {
        body: { url: 'https://x.example.com', events: ['member.exploded'] },
      }),
      400,
      'validation_failed',
    )
  })
})

describe('the webhook channel passes on confirmed contacts only', () => {
  it('a phone number nobody proved never travels in the recipient', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: `Proven ${crypto.randomUUID()}`, description: 'x', visibility: 'open' },
    })
    const community = created.json as { id: string }
    const invite = await createInvite(community.id)
    const strangersPhone = newPhone()
    const email = `inbox-${crypto.randomUUID()}@example.com`
    const joined = await joinJson(invite.code, {
      name: 'Mallory',
      phone: strangersPhone,
      email,
      turnstileToken: HUMAN,
    })
    expect(joined.json.status).toBe('unconfirmed')
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested'
       and json_extract(payload, '$.joinRequestId') = ?`,
      joined.json.joinRequestId,
    )
    await call('POST', new URL(JSON.parse(event!.payload).confirmUrl).pathname, {
      token: null,
      headers: { 'sec-fetch-site': 'same-origin' },
    })

    const announcement = await scheduleNow(community.id, 'For confirmed contacts')
    await runCron(new Date(Date.now() + 120_000))
    await settled(announcement.id, { sent: 1, queued: 0 })
    const [request] = await receivedWebhooks(
      (payload) => payload.data?.announcementId === announcement.id,
    )
    const payload = new Webhook(DELIVERY_SECRET).verify(request!.body, request!.headers) as any
    expect(payload.data.recipient).toMatchObject({ email, phone: null })
    expect(request!.body).not.toContain(strangersPhone)
  })
})
