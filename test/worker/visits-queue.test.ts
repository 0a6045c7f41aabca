import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { VISITS_QUEUE_NAME } from '../../src/jobs/queue'
import { call, createCommunity, createInvite, landingView } from './helpers'

const today = new Date().toISOString().slice(0, 10)

function message(body: unknown, i: number) {
  return { id: `msg-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body }
}

/** Hands the consumer a batch of these queue messages, as the queue does. */
async function consume(messages: Array<ReturnType<typeof message>>) {
  const batch = createMessageBatch(VISITS_QUEUE_NAME, messages)
  const ctx = createExecutionContext()
  await worker.queue(batch, env, ctx)
  return getQueueResult(batch, ctx)
}

const deliver = (bodies: unknown[]) => consume(bodies.map(message))

describe('the visits queue consumer', () => {
  it('writes a batch of 100 visits with exact rollups: visits, unique people, scans, clicks, bots', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const base = {
      inviteId: invite.id,
      communityId: community.id,
      at: Date.now(),
      country: 'DE',
      referrerHost: null,
    }
    const bodies = Array.from({ length: 100 }, (_, i) =>
      i < 90
        ? // 90 human views by 45 people (each twice), a third of them from the QR code
          {
            ...base,
            via: i % 3 === 0 ? 'qr' : 'link',
            device: 'mobile',
            isBot: false,
            visitorHash: (i % 45).toString(16).padStart(32, '0'),
          }
        : { ...base, via: 'link', device: 'bot', isBot: true, visitorHash: 'f'.repeat(32) },
    )
    const result = await deliver(bodies)
    expect(result.ackAll).toBe(true)

    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({
      visits: 90,
      uniqueVisitors: 45,
      scans: 30,
      clicks: 60,
      botVisits: 10,
    })
    expect(stats.json.byCountry).toEqual([expect.objectContaining({ country: 'DE', visits: 90 })])
    const rows = await env.DB.prepare('select count(*) as n from visits where invite_id = ?')
      .bind(invite.id)
      .first<{ n: number }>()
    expect(rows!.n).toBe(100)

    // The same people the same day are not new; a new person is.
    await deliver([
      { ...base, via: 'link', device: 'mobile', isBot: false, visitorHash: '0'.repeat(32) },
      { ...base, via: 'link', device: 'mobile', isBot: false, visitorHash: 'a'.repeat(32) },
    ])
    const again = await call('GET', `/api/invites/${invite.id}/stats?from=${today}`)
    expect(again.json.totals).toMatchObject({ visits: 92, uniqueVisitors: 46 })
  })

  it('drops a malformed message and still writes the rest', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const good = {
      inviteId: invite.id,
      communityId: community.id,
      at: Date.now(),
      via: 'qr',
      country: 'AT',
      referrerHost: 'www.example.org',
      device: 'tablet',
      isBot: false,
      visitorHash: 'b'.repeat(32),
    }
    const result = await deliver([
      good,
      { ...good, via: 'carrier-pigeon' },
      'not even an object',
      { ...good, ip: undefined, visitorHash: '203.0.113.9' },
      // Past the last instant a Date holds: a view with no day, which would fail the write.
      { visits: [{ ...good, at: 9e15 }] },
      // More views than a flush holds, or none: dropped as a whole.
      { visits: Array.from({ length: 101 }, () => good) },
      { visits: [] },
    ])
    expect(result.ackAll).toBe(true)
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ visits: 1, scans: 1 })
  })

  it('takes the views an isolate sent together in one message, and a message of one view as before', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const view = (visitorHash: string, via: 'qr' | 'link') => ({
      inviteId: invite.id,
      communityId: community.id,
      at: Date.now(),
      via,
      country: 'DE',
      referrerHost: null,
      device: 'mobile',
      isBot: false,
      visitorHash,
    })
    const result = await deliver([
      { visits: [view('1'.repeat(32), 'qr'), view('2'.repeat(32), 'link')] },
      // What a version before sent, still in the queue when this one is deployed.
      view('3'.repeat(32), 'link'),
      {
        visits: [view('4'.repeat(32), 'qr'), { ...view('5'.repeat(32), 'qr'), country: 'Germany' }],
      },
    ])
    expect(result.ackAll).toBe(true)
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    // The view with a country that is no country code is dropped; the rest of its message stays.
    expect(stats.json.totals).toMatchObject({ visits: 4, uniqueVisitors: 4, scans: 2, clicks: 2 })
  })

  it('writes the views of live links when a view in the same batch is of a community deleted meanwhile', async () => {
    const gone = await createCommunity()
    const goneInvite = await createInvite(gone.id)
    const live = await createCommunity()
    const liveInvite = await createInvite(live.id)
    expect((await call('DELETE', `/api/communities/${gone.id}`)).status).toBe(204)
    const view = (inviteId: string, communityId: string, visitorHash: string) => ({
      inviteId,
      communityId,
      at: Date.now(),
      via: 'link',
      country: 'FR',
      referrerHost: 'www.example.org',
      device: 'desktop',
      isBot: false,
      visitorHash,
    })
    const result = await deliver([
      {
        visits: [
          view(goneInvite.id, gone.id, 'e'.repeat(32)),
          view(liveInvite.id, live.id, 'f'.repeat(32)),
        ],
      },
      { visits: [view(liveInvite.id, live.id, '9'.repeat(32))] },
    ])
    expect(result.ackAll).toBe(true)
    const stats = await call('GET', `/api/invites/${liveInvite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ visits: 2, uniqueVisitors: 2 })
    const leftOfGone = await env.DB.prepare(
      `select (select count(*) from visits where invite_id = ?1)
         + (select count(*) from invite_daily_stats where invite_id = ?1) as n`,
    )
      .bind(goneInvite.id)
      .first<{ n: number }>()
    expect(leftOfGone!.n).toBe(0)
  })

  it('counts a message the queue delivers again once, with the new messages beside it', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const view = (visitorHash: string) => landingView(invite, { visitorHash })
    const first = message({ visits: [view('1'.repeat(32)), view('2'.repeat(32))] }, 0)
    expect((await consume([first])).ackAll).toBe(true)
    // Written, but its acknowledgement lost (the isolate stopped, or D1's answer did): the queue
    // delivers it again, now beside a message of a new view.
    const redelivered = { ...first, attempts: 2 }
    const result = await consume([redelivered, message({ visits: [view('3'.repeat(32))] }, 1)])
    expect(result.ackAll).toBe(true)
    const stats = await call('GET', `/api/invites/${invite.id}/stats?from=${today}`)
    expect(stats.json.totals).toMatchObject({ visits: 3, uniqueVisitors: 3, clicks: 3 })
    const rows = await env.DB.prepare('select count(*) as n from visits where invite_id = ?')
      .bind(invite.id)
      .first<{ n: number }>()
    expect(rows!.n).toBe(3)
  })

  it('asks for the batch again when the database write fails', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await env.DB.prepare('alter table visits rename to visits_away').run()
    try {
      const result = await deliver([
        {
          inviteId: invite.id,
          communityId: community.id,
          at: Date.now(),
          via: 'qr',
          country: 'DE',
          referrerHost: null,
          device: 'mobile',
          isBot: false,
          visitorHash: 'c'.repeat(32),
        },
      ])
      expect(result.ackAll).toBe(false)
      expect(result.retryBatch.retry).toBe(true)
    } finally {
      await env.DB.prepare('alter table visits_away rename to visits').run()
    }
  })
})

describe('visit retention', () => {
  it('the cron deletes raw visits past their retention and keeps the rollups', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const now = Date.now()
    const day = 86400_000
    const body = (at: number) => ({
      inviteId: invite.id,
      communityId: community.id,
      at,
      via: 'link',
      country: 'DE',
      referrerHost: null,
      device: 'mobile',
      isBot: false,
      visitorHash: 'd'.repeat(32),
    })
    await deliver([body(now - 500 * day), body(now - 10 * day)])
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: now }),
      env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    const left = await env.DB.prepare('select at from visits where invite_id = ?')
      .bind(invite.id)
      .all<{ at: number }>()
    expect(left.results.map((row) => row.at)).toEqual([now - 10 * day])
    const rollups = await env.DB.prepare(
      'select sum(visits) as n from invite_daily_stats where invite_id = ?',
    )
      .bind(invite.id)
      .first<{ n: number }>()
    expect(rollups!.n).toBe(2)
  })
})
