import { env } from 'cloudflare:workers'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** 14 random id characters: seeded ids are `<prefix>_` + these + a 12-digit row number. */
function tag(): string {
  return [...crypto.getRandomValues(new Uint8Array(14))].map((b) => CROCKFORD[b % 32]).join('')
}

/** `count` rows n(i), i = 1..count, for an INSERT ... SELECT: one statement at any size. */
const numbers =
  'with recursive n(i) as (select 1 where ?1 > 0 union all select i + 1 from n where i < ?1)'

/**
 * `count` active members of a community, each in `groupId` when given, each with a phone and
 * `referral_count` = its row number; referred by `referredBy` when given. Returns their ids'
 * common start (ids sort by row number).
 */
export async function seedMembers(
  communityId: string,
  count: number,
  options: { groupId?: string; referredBy?: string; name?: string } = {},
) {
  const prefix = `mem_${tag()}`
  const at = Date.now()
  const statements = [
    env.DB.prepare(
      `insert into members (id, community_id, name, phone, consent, status, join_request_id,
                            referred_by_member_id, referral_count, joined_at,
                            phone_confirmed_at, phone_consent_method)
       ${numbers}
       select ?2 || printf('%012d', i), ?3, ?4 || ' ' || i, '+4915' || printf('%09d', i) || ?5, 1,
              'active', 'jr_seed', ?6, i, ?7, ?7, 'single_opt_in' from n`,
    ).bind(
      count,
      prefix,
      communityId,
      options.name ?? 'Seeded member',
      String(Math.floor(Math.random() * 1e6)),
      options.referredBy ?? null,
      at,
    ),
  ]
  if (options.groupId) {
    statements.push(
      env.DB.prepare(
        `insert into group_members (group_id, member_id, joined_at)
         ${numbers} select ?3, ?2 || printf('%012d', i), ?4 from n`,
      ).bind(count, prefix, options.groupId, at),
    )
  }
  await env.DB.batch(statements)
  return prefix
}

/** `count` pending join requests to a community. */
export async function seedJoinRequests(communityId: string, count: number) {
  const prefix = `jr_${tag()}`
  await env.DB.prepare(
    `insert into join_requests (id, community_id, name, phone, consent, status, status_token_hash,
                                created_at)
     ${numbers}
     select ?2 || printf('%012d', i), ?3, 'Waiting ' || i, '+4916' || printf('%09d', i), 1,
            'pending', ?2 || i, ?4 from n`,
  )
    .bind(count, prefix, communityId, Date.now())
    .run()
  return prefix
}

/** `count` campaign links of a community. */
export async function seedInvites(communityId: string, count: number) {
  const prefix = `inv_${tag()}`
  const at = Date.now()
  await env.DB.prepare(
    `insert into invites (id, community_id, code, label, created_at, updated_at)
     ${numbers}
     select ?2 || printf('%012d', i), ?3, substr(?2, 5) || i, 'Link ' || i, ?4, ?4 from n`,
  )
    .bind(count, prefix, communityId, at)
    .run()
  return prefix
}

/**
 * `runs` finished runs of an announcement (one a minute, back from now) and, in the latest run,
 * a failed delivery to each of `count` members seeded with `memberPrefix`.
 */
export async function seedDeliveries(
  announcementId: string,
  options: { runs: number; count: number; memberPrefix: string },
) {
  const prefix = `dsp_${tag()}`
  const at = Date.now()
  await env.DB.batch([
    env.DB.prepare(
      `insert into dispatches (id, announcement_id, scheduled_for, status, failed, created_at)
       ${numbers}
       select ?2 || printf('%012d', i), ?3, ?4 - i * 60000, 'expanded', case when i = 1 then ?5 else 0 end, ?4 from n`,
    ).bind(options.runs, prefix, announcementId, at, options.count),
    env.DB.prepare(
      `insert into deliveries (dispatch_id, member_id, status, attempts, last_error, updated_at)
       ${numbers}
       select ?2 || printf('%012d', 1), ?3 || printf('%012d', i), 'failed', 1, 'HTTP 410', ?4 from n`,
    ).bind(options.count, prefix, options.memberPrefix, at),
  ])
}

/** `count` webhook endpoints of a community, subscribed to every event. */
export async function seedWebhookEndpoints(communityId: string, count: number) {
  const prefix = `whk_${tag()}`
  await env.DB.prepare(
    `insert into webhook_endpoints (id, community_id, url, events, secret_ciphertext, created_at)
     ${numbers}
     select ?2 || printf('%012d', i), ?3, 'https://hooks.example.com/' || i, '["*"]', 'sealed', ?4
     from n`,
  )
    .bind(count, prefix, communityId, Date.now())
    .run()
  return prefix
}
