import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { deliverAnnouncements } from '../../src/services/delivery/send'
import { dispatchDueAnnouncements, expandDispatch } from '../../src/services/delivery/claim'
import { reconcileRuns } from '../../src/services/delivery/reconcile'
import { type DeliveryMessage } from '../../src/services/delivery/messages'
import {
  call,
  createCommunity,
  createToken,
  eventually,
  expectProblem,
  query,
  runCron,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')
const MINUTE = 60_000

/** A community of `count` active members, written straight into D1 (joining 1,000 takes long). */
async function communityOf(count: number) {
  const community = await createCommunity()
  const ids: string[] = []
  const statements: D1PreparedStatement[] = []
  const rows: unknown[][] = []
  for (let i = 0; i < count; i++) {
    const id = `mbr_${community.id.slice(4, 20)}${String(i).padStart(6, '0')}`
    ids.push(id)
    rows.push([id, community.id, `Member ${i}`, `+4915${String(900_000_000 + i)}`, `jrq_${id}`])
  }
  for (let i = 0; i < rows.length; i += 10) {
    const part = rows.slice(i, i + 10)
    statements.push(
      env.DB.prepare(
        `insert into members (id, community_id, name, phone, consent, status, join_request_id, joined_at,
           phone_confirmed_at, phone_consent_method)
         values ${part.map(() => `(?, ?, ?, ?, 1, 'active', ?, ${Date.now()}, ${Date.now()}, 'single_opt_in')`).join(', ')}`,
      ).bind(...part.flat()),
    )
  }
  await env.DB.batch(statements)
  return { community, ids }
}

async function scheduleNow(communityId: string, body: string) {
  const response = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, sendAt: new Date(Date.now() + 1000).toISOString() },
  })
  expect(response.status, response.text).toBe(201)
  return response.json as { id: string }
}

/**
 * The delivery queue as a crashing Worker would leave it: messages are dropped (`drop`), or
 * `sendBatch` fails after `batchesBeforeFailure` batches went through.
 */
function lossyQueue(options: { drop?: boolean; batchesBeforeFailure?: number }): Queue {
  let batches = 0
  return {
    async send(body: DeliveryMessage) {
      if (!options.drop) await env.DELIVERY_QUEUE.send(body)
    },
    async sendBatch(messages: Iterable<MessageSendRequest<DeliveryMessage>>) {
      batches += 1
      if (options.batchesBeforeFailure !== undefined && batches > options.batchesBeforeFailure)
        throw new Error('the Worker stopped here')
      if (!options.drop) await env.DELIVERY_QUEUE.sendBatch(messages)
    },
  } as unknown as Queue
}

async function runOf(announcementId: string) {
  const [run] = await query<{ id: string; status: string; queued: number }>(
    'select id, status, queued from dispatches where announcement_id = ?',
    announcementId,
  )
  return run!
}

/** What the webhook receiver got for an announcement, by member. */
async function receivedBy(announcementId: string) {
  const all = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as Array<{
    headers: Record<string, string>
    body: string
  }>
  const byMember = new Map<string, string[]>()
  for (const request of all) {
    const payload = JSON.parse(request.body)
    if (payload.data?.announcementId !== announcementId) continue
    const ids = byMember.get(payload.data.recipient.memberId) ?? []
    ids.push(request.headers['webhook-id']!)
    byMember.set(payload.data.recipient.memberId, ids)
  }
  return byMember
}

/**
 * Reads the announcement until it is sent, or until its counts stop moving (the queue has done
 * what it can, and the rest waits for the reconciler): a busy machine only makes this slower.
 */
async function settledOrStalled(announcementId: string) {
  let last = ''
  let unchangedSince = Date.now()
  for (;;) {
    const current = (await call('GET', `/api/announcements/${announcementId}`)).json
    if (current.status === 'sent') return current
    const counts = JSON.stringify(current.deliveries)
    if (counts !== last) [last, unchangedSince] = [counts, Date.now()]
    else if (Date.now() - unchangedSince > 3000) return current
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Lets the cron job run, a few minutes apart (its reconciler waits for a run to stall), until the
 * announcement reads sent with nothing queued; then checks that the counts add up.
 */
async function cronUntilSettled(announcementId: string, audience: number, from = Date.now()) {
  let status: any
  for (let pass = 1; pass <= 6 && status?.status !== 'sent'; pass++) {
    await runCron(new Date(from + pass * 4 * MINUTE))
    status = await settledOrStalled(announcementId)
  }
  expect(status?.status).toBe('sent')
  const { queued, sent, failed, skipped, unknown, cancelled } = status.deliveries
  expect(queued).toBe(0)
  expect(sent + failed + skipped + unknown + cancelled).toBe(audience)
  expect(status.runs).toEqual([expect.objectContaining({ status: 'done', stalled: false })])
  return status
}

async function expectEveryoneOnce(announcementId: string, memberIds: string[]) {
  const byMember = await receivedBy(announcementId)
  expect(byMember.size).toBe(memberIds.length)
  for (const id of memberIds) expect(byMember.get(id), id).toHaveLength(1)
}

describe('a run that stops half-way finishes by itself (1,000 members)', () => {
  it('lost before expansion: the cron job expands it from the start', async () => {
    const { community, ids } = await communityOf(1000)
    const announcement = await scheduleNow(community.id, 'Lost before expansion')
    const db = createDb(env.DB)
    // The run is recorded, its first `expand` message never arrives.
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const before = (await call('GET', `/api/announcements/${announcement.id}`)).json
    expect(before.status).toBe('sending')
    expect(before.runs[0]).toMatchObject({ status: 'expanding', queued: 0 })

    const status = await cronUntilSettled(announcement.id, 1000)
    expect(status.deliveries).toMatchObject({ sent: 1000, unknown: 0, failed: 0 })
    await expectEveryoneOnce(announcement.id, ids)
  }, 180_000)

  it('lost mid-expansion (sendBatch fails after 200 messages): the lost ones are enqueued again', async () => {
    const { community, ids } = await communityOf(1000)
    const announcement = await scheduleNow(community.id, 'Lost mid-expansion')
    const db = createDb(env.DB)
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const run = await runOf(announcement.id)
    // The first chunk's 500 rows are written, two batches of messages go out (the next step and
    // 199 recipients), then it dies: 301 members of the first chunk have no message.
    await expect(
      expandDispatch(db, lossyQueue({ batchesBeforeFailure: 2 }), run.id, new Date()),
    ).rejects.toThrow('the Worker stopped here')
    await eventually(async () => {
      const current = (await call('GET', `/api/announcements/${announcement.id}`)).json
      expect(current.deliveries).toMatchObject({ sent: 699, queued: 301 })
      expect(current.status).toBe('sending')
    })

    const status = await cronUntilSettled(announcement.id, 1000)
    expect(status.deliveries).toMatchObject({ sent: 1000, unknown: 0 })
    await expectEveryoneOnce(announcement.id, ids)
  }, 180_000)

  it('lost mid-expansion (the next step lost): the cron job goes on from the cursor', async () => {
    const { community, ids } = await communityOf(1000)
    const announcement = await scheduleNow(community.id, 'Next step lost')
    const db = createDb(env.DB)
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const run = await runOf(announcement.id)
    // The first step completes, but its messages (the next step among them) are all lost.
    await expandDispatch(db, lossyQueue({ drop: true }), run.id, new Date())
    expect(await runOf(announcement.id)).toMatchObject({ status: 'expanding', queued: 500 })

    const status = await cronUntilSettled(announcement.id, 1000)
    expect(status.deliveries).toMatchObject({ sent: 1000, unknown: 0 })
    await expectEveryoneOnce(announcement.id, ids)
  }, 180_000)

  it('killed mid-batch: claims left sending are sent again with the same webhook-id', async () => {
    const { community, ids } = await communityOf(1000)
    const announcement = await scheduleNow(community.id, 'Killed mid-batch')
    const db = createDb(env.DB)
    const lost = lossyQueue({ drop: true })
    await dispatchDueAnnouncements(db, lost, new Date(Date.now() + 5000), 'webhook')
    const run = await runOf(announcement.id)
    // Expanded completely, every announce message lost.
    for (let step = 0; step < 5 && (await runOf(announcement.id)).status === 'expanding'; step++)
      await expandDispatch(db, lost, run.id, new Date())
    expect(await runOf(announcement.id)).toMatchObject({ status: 'expanded', queued: 1000 })
    // A consumer delivered 300, then claimed 50 more and died before sending them.
    await deliverAnnouncements(
      db,
      loadConfig(env),
      ids.slice(0, 300).map((memberId) => ({ dispatchId: run.id, memberId })),
      new Date(),
    )
    await query(
      `update deliveries set status = 'sending', attempts = 1, updated_at = ?
       where dispatch_id = ? and member_id in (select member_id from deliveries
         where dispatch_id = ? and status = 'queued' order by member_id limit 50)`,
      Date.now() - 10 * MINUTE,
      run.id,
      run.id,
    )
    const stuck = (await call('GET', `/api/announcements/${announcement.id}`)).json
    expect(stuck.deliveries).toMatchObject({ sent: 300, queued: 700 })

    const status = await cronUntilSettled(announcement.id, 1000)
    expect(status.deliveries).toMatchObject({ sent: 1000, unknown: 0 })
    await expectEveryoneOnce(announcement.id, ids)
  }, 180_000)
})

describe('the reconciler’s work per cron run', () => {
  it('is bounded: ten stalled runs a minute, a few queries each, the rest the next minute', async () => {
    const db = createDb(env.DB)
    const lost = lossyQueue({ drop: true })
    const runIds: string[] = []
    for (let i = 0; i < 12; i++) {
      const { community } = await communityOf(3)
      const announcement = await scheduleNow(community.id, `Stalled ${i}`)
      await dispatchDueAnnouncements(db, lost, new Date(Date.now() + 5000), 'webhook')
      runIds.push((await runOf(announcement.id)).id)
    }
    // Far enough ahead that these twelve are the longest stalled of all.
    await query(
      `update dispatches set progress_at = 1 where id in (${runIds.map(() => '?').join(', ')})`,
      ...runIds,
    )
    const at = new Date(Date.now() + 4 * MINUTE)
    const counter = { queries: 0 }
    const first = await reconcileRuns(
      createDb(env.DB, { counter, checkLimits: true }),
      lost,
      loadConfig(env),
      at,
    )
    expect(first.runs).toBe(10)
    expect(first.expansions).toBe(10)
    expect(counter.queries).toBeLessThanOrEqual(1 + 10 * 8)
    const second = await reconcileRuns(db, lost, loadConfig(env), at)
    expect(second.runs).toBeGreaterThanOrEqual(2)
    const reconciled = await query<{ id: string }>(
      `select id from dispatches where reconciled_at = ? and id in (${runIds.map(() => '?').join(', ')})`,
      at.getTime(),
      ...runIds,
    )
    expect(reconciled).toHaveLength(12)
  }, 60_000)
})

describe('the per-channel policy for a send whose outcome is unknown', () => {
  it('WhatsApp: a claim left sending is reported "outcome unknown", never sent again', async () => {
    const { community, ids } = await communityOf(20)
    const announcement = await scheduleNow(community.id, 'Maybe sent')
    const db = createDb(env.DB)
    const lost = lossyQueue({ drop: true })
    await dispatchDueAnnouncements(db, lost, new Date(Date.now() + 5000), 'webhook')
    const run = await runOf(announcement.id)
    await expandDispatch(db, lost, run.id, new Date())
    await query(
      `update deliveries set status = 'sending', attempts = 1, updated_at = ?
       where dispatch_id = ? and member_id <= ?`,
      Date.now() - 10 * MINUTE,
      run.id,
      ids[4],
    )
    const whatsapp = { ...loadConfig(env), DELIVERY_CHANNEL: 'whatsapp' as const }
    const before = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as unknown[]
    // The reconciler settles the five and re-enqueues the 15 never claimed (onto a lost queue).
    const reconciled = await reconcileRuns(db, lost, whatsapp, new Date(Date.now() + 4 * MINUTE))
    expect(reconciled).toMatchObject({ unknown: 5, requeued: 15, resent: 0 })
    const after = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as unknown[]
    expect(after).toHaveLength(before.length)
    const status = (await call('GET', `/api/announcements/${announcement.id}`)).json
    expect(status.deliveries).toMatchObject({ unknown: 5, queued: 15 })
    expect(status.failureReasons).toEqual([
      { reason: expect.stringContaining('outcome unknown'), count: 5 },
    ])
    const unknown = await call(
      'GET',
      `/api/announcements/${announcement.id}/deliveries?status=unknown`,
    )
    expect(unknown.json.data.map((d: { memberId: string }) => d.memberId)).toEqual(ids.slice(0, 5))
  })
})

describe('an admin and a stalled run', () => {
  it('sees it stalled, gets told what to do instead of send-now, resumes it or cancels it', async () => {
    const { community, ids } = await communityOf(30)
    const announcement = await scheduleNow(community.id, 'Stalled for a while')
    const db = createDb(env.DB)
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const run = await runOf(announcement.id)
    await query(
      'update dispatches set progress_at = ? where id = ?',
      Date.now() - 10 * MINUTE,
      run.id,
    )
    const stalled = (await call('GET', `/api/announcements/${announcement.id}`)).json
    expect(stalled.status).toBe('sending')
    expect(stalled.runs[0]).toMatchObject({ id: run.id, status: 'expanding', stalled: true })

    const refused = await call('POST', `/api/announcements/${announcement.id}/send-now`)
    expectProblem(refused, 409, 'invalid_state')
    expect(refused.json.detail).toContain(`/runs/${run.id}/resume`)
    expect(refused.json.runId).toBe(run.id)

    const resumed = await call(
      'POST',
      `/api/announcements/${announcement.id}/runs/${run.id}/resume`,
    )
    expect(resumed.status, resumed.text).toBe(200)
    await eventually(async () => {
      const current = (await call('GET', `/api/announcements/${announcement.id}`)).json
      expect(current).toMatchObject({ status: 'sent', deliveries: { sent: 30, queued: 0 } })
      expect(current.runs[0]).toMatchObject({ status: 'done', stalled: false })
    })
    expect((await receivedBy(announcement.id)).size).toBe(ids.length)
    expectProblem(
      await call('POST', `/api/announcements/${announcement.id}/runs/${run.id}/resume`),
      409,
      'invalid_state',
    )

    // Another run, stopped by its admin: nothing more goes out, the counts still add up.
    const second = await scheduleNow(community.id, 'Never mind')
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const secondRun = await runOf(second.id)
    await expandDispatch(db, lossyQueue({ drop: true }), secondRun.id, new Date())
    const cancelled = await call(
      'POST',
      `/api/announcements/${second.id}/runs/${secondRun.id}/cancel`,
    )
    expect(cancelled.status, cancelled.text).toBe(200)
    expect(cancelled.json).toMatchObject({
      status: 'sent',
      deliveries: { queued: 0, sent: 0, cancelled: 30 },
      runs: [expect.objectContaining({ status: 'cancelled' })],
    })
    await runCron(new Date(Date.now() + 10 * MINUTE))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await receivedBy(second.id)).size).toBe(0)
  }, 60_000)

  it('only community admins may resume or cancel a run', async () => {
    const { community } = await communityOf(2)
    const other = await createCommunity()
    const announcement = await scheduleNow(community.id, 'Not yours')
    await dispatchDueAnnouncements(
      createDb(env.DB),
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const run = await runOf(announcement.id)
    const outsider = await createToken({ role: 'community_admin', communityId: other.id })
    for (const action of ['resume', 'cancel']) {
      expectProblem(
        await call('POST', `/api/announcements/${announcement.id}/runs/${run.id}/${action}`, {
          token: outsider.token,
        }),
        404,
        'not_found',
      )
    }
    expectProblem(
      await call('POST', `/api/announcements/${announcement.id}/runs/dsp_nonsense/resume`),
      400,
      'validation_failed',
    )
  })
})

describe('the dashboard and a stalled run', () => {
  it('shows it stalled in both languages, with resume and stop buttons that work', async () => {
    const { community, ids } = await communityOf(10)
    const announcement = await scheduleNow(community.id, 'Stalled, seen on the dashboard')
    const db = createDb(env.DB)
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const run = await runOf(announcement.id)
    await query(
      'update dispatches set progress_at = ? where id = ?',
      Date.now() - 10 * MINUTE,
      run.id,
    )
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/announcements`
    const english = await page(path, cookie)
    expect(english.text).toContain('stalled: no progress for minutes')
    expect(english.text).toContain(`/admin/announcements/${announcement.id}/runs/${run.id}/resume`)
    const german = await call('GET', path, {
      token: null,
      headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
    })
    expect(german.text).toContain('hängt: seit Minuten kein Fortschritt')
    expect(german.text).toContain('Fortsetzen')

    const resumed = await post(
      `/admin/announcements/${announcement.id}/runs/${run.id}/resume`,
      cookie,
      { _csrf: csrfOf(english.text) },
    )
    expect(resumed.status).toBe(303)
    await eventually(async () => {
      expect((await call('GET', `/api/announcements/${announcement.id}`)).json).toMatchObject({
        status: 'sent',
        deliveries: { sent: ids.length, queued: 0 },
      })
    })
    const after = await page(path, cookie)
    expect(after.text).not.toContain(`/runs/${run.id}/resume`)

    const second = await scheduleNow(community.id, 'Stopped from the dashboard')
    await dispatchDueAnnouncements(
      db,
      lossyQueue({ drop: true }),
      new Date(Date.now() + 5000),
      'webhook',
    )
    const secondRun = await runOf(second.id)
    const list = await page(path, cookie)
    expect(list.text).toContain(`/admin/announcements/${second.id}/runs/${secondRun.id}/cancel`)
    const stopped = await post(
      `/admin/announcements/${second.id}/runs/${secondRun.id}/cancel`,
      cookie,
      { _csrf: csrfOf(list.text) },
    )
    expect(stopped.status).toBe(303)
    expect(await runOf(second.id)).toMatchObject({ status: 'cancelled' })
  }, 60_000)
})
