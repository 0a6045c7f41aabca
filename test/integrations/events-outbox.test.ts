import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { call, createCommunity, eventually, query, runCron } from '../worker/helpers'

const fake = inject('fakeServicesUrl')

/** `count` events of one community waiting in the outbox, written in one statement. */
async function seedEvents(communityId: string, count: number) {
  const at = Date.now()
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at)
     with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
     select 'evt_' || ?3 || printf('%06d', i), 'member.joined', ?1,
            json_object('memberId', 'mem_seed' || i), ?4
     from n`,
  )
    .bind(communityId, count, `${at}${crypto.randomUUID().slice(0, 6)}`, at)
    .run()
}

/** The distinct events of one community the receiver got. */
async function receivedFor(communityId: string): Promise<Set<string>> {
  const all = (await (await fetch(`${fake}/__requests?path=/webhook`)).json()) as Array<{
    headers: Record<string, string>
    body: string
  }>
  return new Set(
    all
      .filter((request) => JSON.parse(request.body).data?.communityId === communityId)
      .map((request) => request.headers['webhook-id']!),
  )
}

describe('the events outbox at any size', () => {
  for (const size of [1, 99, 100, 101, 250]) {
    it(`delivers ${size} waiting events, each once`, async () => {
      const community = await createCommunity()
      const subscribed = await call('POST', '/api/webhooks', {
        body: { url: `${fake}/webhook`, events: ['member.joined'], communityId: community.id },
      })
      expect(subscribed.status, subscribed.text).toBe(201)
      await seedEvents(community.id, size)

      await runCron(new Date())
      await eventually(async () => {
        expect((await receivedFor(community.id)).size).toBe(size)
      })
      const [waiting] = await query<{ n: number }>(
        'select count(*) as n from events where community_id = ? and delivered_at is null',
        community.id,
      )
      expect(waiting!.n).toBe(0)

      // Nothing is left over: another run sends nothing again.
      await runCron(new Date())
      const log = await call('GET', `/api/webhooks/${subscribed.json.id}/deliveries`)
      expect(log.json.data.length).toBe(Math.min(size, 50))
      expect((await receivedFor(community.id)).size).toBe(size)
      // 250 signed deliveries take a few seconds alone and over 30 s beside a busy suite on two
      // cores: the wait is for the deliveries, as long as they take.
    }, 120_000)
  }

  it('sends an event only to the endpoints subscribed to its type and community', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const wanted = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/webhook`, events: ['*'], communityId: community.id },
    })
    const elsewhere = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/webhook`, events: ['member.joined'], communityId: other.id },
    })
    const otherType = await call('POST', '/api/webhooks', {
      body: { url: `${fake}/webhook`, events: ['member.left'], communityId: community.id },
    })
    await seedEvents(community.id, 3)
    await runCron(new Date())
    await eventually(async () => {
      expect((await receivedFor(community.id)).size).toBe(3)
    })
    const deliveries = async (id: string) =>
      (await call('GET', `/api/webhooks/${id}/deliveries`)).json.data.length
    expect(await deliveries(wanted.json.id)).toBe(3)
    expect(await deliveries(elsewhere.json.id)).toBe(0)
    expect(await deliveries(otherType.json.id)).toBe(0)
  })
})
