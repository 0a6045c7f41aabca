import { env } from 'cloudflare:workers'
import { expect, it } from 'vitest'
import { createCommunity, query, runCron } from './helpers'

async function waiting(): Promise<number> {
  const [row] = await query<{ n: number }>(
    'select count(*) as n from events where delivered_at is null',
  )
  return row!.n
}

// Deliveries to subscribed endpoints are in test/integrations/events-outbox.test.ts; here no
// endpoint is subscribed, so the outbox only moves on.
it('moves 1,001 waiting events on in two cron runs: 900 a minute, the rest the next', async () => {
  const community = await createCommunity()
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at)
     with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
     select 'evt_0000000000seed' || printf('%08d', i), 'member.joined', ?1, '{}', ?2 from n`,
  )
    .bind(community.id, Date.now())
    .run()
  expect(await waiting()).toBe(1001)
  await runCron(new Date())
  expect(await waiting()).toBe(101)
  await runCron(new Date())
  expect(await waiting()).toBe(0)
})
