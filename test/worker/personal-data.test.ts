import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { join } from '../../src/services/joining'
import { everyRow, tracesOf } from './traces'
import { findInviteByCode } from '../../src/services/invites'
import { joinLimits } from '../../src/services/join-limits'
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
  joinAsMember,
  endProofTime,
  pressEmailLink,
} from './helpers'

const HOUR = 3600_000
const DAY = 86400_000

/** A community that asks for a double opt-in (the default for new ones), with a question. */
async function doubleOptInCommunity() {
  const created = await call('POST', '/api/communities', {
    body: {
      name: `Consent ${crypto.randomUUID()}`,
      description: 'x',
      visibility: 'open',
      joinQuestions: ['What brings you here?'],
    },
  })
  expect(created.status, created.text).toBe(201)
  expect(created.json.consent).toBe('double')
  return { communityId: created.json.id as string, invite: await createInvite(created.json.id) }
}

/** A webhook endpoint of the community, taken down again so that nothing is sent to it. */
async function disabledEndpoint(communityId: string): Promise<string> {
  const created = await call('POST', '/api/webhooks', {
    body: {
      url: 'https://hooks.example.com/confirmations',
      events: ['member.confirmation_requested'],
      communityId,
    },
  })
  expect(created.status, created.text).toBe(201)
  expect((await call('DELETE', `/api/webhooks/${created.json.id}`)).status).toBe(204)
  return created.json.id
}

describe('an expired sign-up takes its personal data with it', () => {
  it('leaves no trace of the name, phone, e-mail, answers or links in any table', async () => {
    const { communityId, invite } = await doubleOptInCommunity()
    const unique = crypto.randomUUID().slice(0, 8)
    const name = `Zoltana Quickbeam-${unique}`
    const email = `zoltana.${unique}@mail.example.org`
    const answer = `Heard about it at the harbour festival ${unique}`
    const phone = newPhone() // +49151dddddddd
    const national = `0${phone.slice(3)}`
    await visit(`/i/${invite.code}`)
    const joined = await joinJson(invite.code, {
      name,
      // Typed the way people type it: national format with spaces; stored as E.164.
      phone: `${national.slice(0, 4)} ${national.slice(4, 8)} ${national.slice(8)}`,
      email: email.toUpperCase(),
      answers: [answer],
    })
    expect(joined.status, joined.text).toBe(201)
    expect(joined.json.status).toBe('unconfirmed')
    const statusToken = new URL(joined.json.statusUrl).pathname.split('/').pop()!
    const code = joined.json.confirmation.code as string

    const [event] = await query<{ id: string; payload: string }>(
      `select id, payload from events where type = 'member.confirmation_requested' and community_id = ?`,
      communityId,
    )
    const confirmUrl = JSON.parse(event!.payload).confirmUrl as string
    const confirmToken = new URL(confirmUrl).pathname.split('/').pop()!
    // A delivery of the confirmation e-mail's event that an endpoint refused.
    const endpointId = await disabledEndpoint(communityId)
    await env.DB.prepare(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, last_error, response_status, updated_at)
       values (?1, ?2, 'failed', 1, 'HTTP 500 from the endpoint', 500, ?3)`,
    )
      .bind(event!.id, endpointId, Date.now())
      .run()

    const needles = [
      name,
      email,
      phone,
      phone.slice(1), // digits only
      national,
      answer,
      confirmUrl,
      confirmToken,
      statusToken,
      code,
    ]
    // The search reads every table, and finds them while the sign-up waits for its confirmation.
    expect([...(await everyRow()).keys()]).toEqual(
      expect.arrayContaining(['join_requests', 'members', 'events', 'webhook_deliveries']),
    )
    expect((await tracesOf(needles)).length).toBeGreaterThan(0)

    // An hour before its time: everything stays.
    await runCron(Date.now() + 47 * HOUR)
    expect(await query('select id from events where id = ?', event!.id)).toHaveLength(1)

    await runCron(Date.now() + 49 * HOUR)
    expect(await tracesOf(needles)).toEqual([])
    expect(await query('select id from join_requests where community_id = ?', communityId)).toEqual(
      [],
    )
    expect(
      await query('select event_id from webhook_deliveries where event_id = ?', event!.id),
    ).toEqual([])
  })

  it('goes as a whole when the same person signs up again after it expired', async () => {
    const { communityId, invite } = await doubleOptInCommunity()
    const unique = crypto.randomUUID().slice(0, 8)
    const email = `again.${unique}@mail.example.org`
    const first = await joinJson(invite.code, { name: `First ${unique}`, email, answers: ['A'] })
    expect(first.json.status).toBe('unconfirmed')

    // A new sign-up does not wait for the old one (unconfirmed sign-ups never block a contact);
    // the next cron run deletes the expired one with its events.
    const db = createDb(env.DB, { checkLimits: true })
    const later = new Date(Date.now() + 49 * HOUR)
    const second = await join(
      db,
      (await findInviteByCode(db, invite.code))!,
      {
        name: `Second ${unique}`,
        phone: null,
        email,
        answers: ['B'],
        consent: true,
        country: 'DE',
        language: 'en',
      },
      {
        now: later,
        cooldownDays: 30,
        confirmation: {
          secret: 'another-secret',
          expiryHours: 48,
          baseUrl: 'https://x.example',
        },
      },
    )
    expect(second.status).toBe('unconfirmed')
    await runCron(later)
    const requests = await query<{ id: string }>(
      'select id from join_requests where community_id = ?',
      communityId,
    )
    expect(requests.map((row) => row.id)).toEqual([second.request.id])
    const events = await query<{ payload: string }>(
      'select payload from events where community_id = ?',
      communityId,
    )
    expect(events.map((row) => JSON.parse(row.payload).joinRequestId)).toEqual([second.request.id])
    expect(await tracesOf([`First ${unique}`])).toEqual([])
  })

  it('keeps a confirmed sign-up and a sign-up still in its time', async () => {
    const { communityId, invite } = await doubleOptInCommunity()
    const unique = crypto.randomUUID().slice(0, 8)
    const confirmed = await joinJson(invite.code, {
      name: `Confirms ${unique}`,
      email: `confirms.${unique}@mail.example.org`,
      answers: ['Yes'],
    })
    const [event] = await query<{ payload: string }>(
      `select payload from events where type = 'member.confirmation_requested' and community_id = ?`,
      communityId,
    )
    await call('POST', new URL(JSON.parse(event!.payload).confirmUrl).pathname, {
      token: null,
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    const waiting = await joinJson(invite.code, {
      name: `Waits ${unique}`,
      email: `waits.${unique}@mail.example.org`,
      answers: ['Maybe'],
    })
    // An hour in: the waiting one is in its time, the confirmed one is a member.
    await runCron(Date.now() + HOUR)
    const requests = await query<{ id: string }>(
      'select id from join_requests where community_id = ? order by id',
      communityId,
    )
    expect(requests.map((row) => row.id)).toEqual([
      confirmed.json.joinRequestId,
      waiting.json.joinRequestId,
    ])
    expect(
      await query(
        `select id from events where type = 'member.confirmation_requested' and community_id = ?`,
        communityId,
      ),
    ).toHaveLength(2)
  })
})

describe('a link with a limit on its uses', () => {
  it('gets back the use of a sign-up nobody confirmed, so typed addresses cannot use it up', async () => {
    const { communityId } = await doubleOptInCommunity()
    const invite = await createInvite(communityId, { maxUses: 2 })
    const unique = crypto.randomUUID().slice(0, 8)
    const confirms = await joinJson(invite.code, {
      name: 'Confirms',
      email: `confirms.${unique}@mail.example.org`,
      answers: ['Yes'],
    })
    expect(confirms.status, confirms.text).toBe(201)
    await pressEmailLink(confirms.json.joinRequestId)
    const typed = await joinJson(invite.code, {
      name: 'Typed by someone else',
      email: `typed.${unique}@mail.example.org`,
      answers: ['?'],
    })
    expect(typed.status, typed.text).toBe(201)
    const usedUp = await joinJson(invite.code, {
      name: 'Too late',
      email: `late.${unique}@mail.example.org`,
      answers: ['Hi'],
    })
    expect(usedUp.status, usedUp.text).toBe(410)

    // The typed address is never confirmed: erased when its time is up, its use given back.
    await endProofTime(typed.json.joinRequestId)
    await runCron(new Date())
    const link = await call('GET', `/api/invites/${invite.id}`)
    expect(link.json).toMatchObject({ uses: 1, status: 'active' })
    const now = await joinJson(invite.code, {
      name: 'Comes now',
      email: `now.${unique}@mail.example.org`,
      answers: ['Hello'],
    })
    expect(now.status, now.text).toBe(201)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(2)
  })
})

describe('a link’s uses given back', () => {
  it('only for what a sign-up took: a known contact’s repeat gives none back, whatever the community asks now', async () => {
    const community = await call('POST', '/api/communities', {
      body: {
        name: `Uses ${crypto.randomUUID()}`,
        description: 'x',
        visibility: 'open',
        consent: 'single',
      },
    })
    expect(community.status, community.text).toBe(201)
    const invite = await createInvite(community.json.id, { maxUses: 2 })
    const email = `ada.${crypto.randomUUID().slice(0, 8)}@mail.example.org`
    const joined = await joinJson(invite.code, { name: 'Ada', email })
    expect(joined.status, joined.text).toBe(201)
    // The same address again: a repeat, waiting for a proof, which takes no use.
    const again = await joinJson(invite.code, { name: 'Ada again', email })
    expect(again.status, again.text).toBe(201)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(1)
    // The community asks for a proof from now on; the repeat's time runs out unproven.
    const changed = await call('PATCH', `/api/communities/${community.json.id}`, {
      body: { consent: 'double' },
    })
    expect(changed.status, changed.text).toBe(200)
    await endProofTime(again.json.joinRequestId)
    await runCron(new Date())
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(1)
  })
})

describe('events a member leaves behind', () => {
  it('name the member by id only: joining, leaving and removal write no contact data', async () => {
    const community = await createCommunity()
    const unique = crypto.randomUUID().slice(0, 8)
    const name = `Ids Only ${unique}`
    const email = `ids.${unique}@mail.example.org`
    const phone = newPhone()
    const invite = await createInvite(community.id)
    const leaver = await joinAsMember(invite.code, { name, phone, email })
    await call('POST', new URL(leaver.json.leaveUrl).pathname, {
      token: null,
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    const removed = await joinAsMember(invite.code, { name, phone, email })
    expect((await call('DELETE', `/api/members/${removed.json.memberId}`)).status).toBe(204)
    const events = await query<{ type: string; payload: string }>(
      'select type, payload from events where community_id = ? order by id',
      community.id,
    )
    expect(events.map((event) => event.type).sort()).toEqual([
      'member.joined',
      'member.joined',
      'member.left',
      'member.left',
    ])
    for (const event of events) {
      for (const needle of [name, email, phone, phone.slice(1)])
        expect(event.payload).not.toContain(needle)
    }
    // Ending a membership is no erasure: the rows stay for the admins, out of every group.
    const ended = await query<{ id: string; status: string; name: string }>(
      'select id, status, name from members where community_id = ? order by id',
      community.id,
    )
    expect(ended.map((member) => [member.status, member.name])).toEqual([
      ['left', name],
      ['removed', name],
    ])
    expect(
      await query(
        `select member_id from group_members where member_id in (${ended.map(() => '?').join(', ')})`,
        ...ended.map((member) => member.id),
      ),
    ).toEqual([])
  })
})

/** Presses the button of a sign-up's e-mailed link, as its owner would: answers the link. */
async function confirmByEmail(communityId: string, joinRequestId: string): Promise<string> {
  const [event] = await query<{ payload: string }>(
    `select payload from events where type = 'member.confirmation_requested'
     and community_id = ? and payload ->> '$.joinRequestId' = ?`,
    communityId,
    joinRequestId,
  )
  const confirmUrl = JSON.parse(event!.payload).confirmUrl as string
  const confirmed = await call('POST', new URL(confirmUrl).pathname, {
    token: null,
    headers: { 'sec-fetch-site': 'same-origin' },
  })
  expect(confirmed.status).toBe(200)
  return confirmUrl
}

describe('a member erased on request', () => {
  it('leaves no trace of their name, contacts, answers, messages or links in any table', async () => {
    const { communityId, invite } = await doubleOptInCommunity()
    const unique = crypto.randomUUID().slice(0, 8)
    const [name, email, phone] = [
      `Ernestine ${unique}`,
      `erase.${unique}@mail.example.org`,
      newPhone(),
    ]
    const answer = `Came for the erasure ${unique}`
    const first = await joinJson(invite.code, { name, phone, email, answers: [answer] })
    const firstLink = await confirmByEmail(communityId, first.json.joinRequestId)
    // The same person signs up again and proves the address: a repeat pointing at the first.
    const again = await joinJson(invite.code, { name: `${name} again`, email, answers: [answer] })
    const againLink = await confirmByEmail(communityId, again.json.joinRequestId)
    const [member] = await query<{ id: string }>(
      'select id from members where community_id = ? and email = ?',
      communityId,
      email,
    )
    const message = `Where do we meet? ${unique}`
    await env.DB.prepare(
      `insert into inbound_messages (id, community_id, member_id, provider_message_id, text, received_at)
       values (?1, ?2, ?3, ?4, ?5, ?6)`,
    )
      .bind(`inm_${unique}`, communityId, member!.id, `wamid.${unique}`, message, Date.now())
      .run()
    // Their Telegram account started the bot with their referral code, as `/start <code>`
    // records it (the bot is off in this project): its name and user name are theirs too.
    const telegramName = `Ernie ${unique}`
    const telegramUsername = `ernie_${unique}`
    await env.DB.prepare(
      `insert into telegram_contacts (user_id, member_id, first_name, username, language_code,
         status, confirmed_at, consent_method, consent_proof, status_at, created_at)
       values (?1, ?2, ?3, ?4, 'de', 'started', ?5, 'telegram_start', 'telegram_update:1', ?5, ?5)`,
    )
      .bind(
        7_100_000_000 + Math.floor(Math.random() * 1e8),
        member!.id,
        telegramName,
        telegramUsername,
        Date.now(),
      )
      .run()
    // An admin's decision on their sign-up still to be told on WhatsApp (decision-notices.ts).
    await env.DB.prepare(
      `insert into decision_notices (join_request_id, status, attempts, due_at, created_at, updated_at)
       values (?1, 'due', 0, ?2, ?2, ?2)`,
    )
      .bind(first.json.joinRequestId, Date.now())
      .run()
    // An admin's rejection of one of their sign-ups keeps the reason they were told in the log.
    const reason = `Ernestine, you live too far away ${unique}`
    await env.DB.prepare(
      `insert into audit_log (id, community_id, at, action, actor_name, target_id, detail)
       values (?1, ?2, ?3, 'join_request.rejected', 'owner', ?4, ?5)`,
    )
      .bind(`aud_${unique}`, communityId, Date.now(), again.json.joinRequestId, reason)
      .run()
    const bystander = await joinJson(invite.code, {
      name: `Stays ${unique}`,
      email: `stays.${unique}@mail.example.org`,
    })
    await confirmByEmail(communityId, bystander.json.joinRequestId)

    const tokenOf = (url: string) => new URL(url).pathname.split('/').pop()!
    const needles = [name, email, phone, phone.slice(1), answer, message, firstLink, againLink]
    needles.push(telegramName, telegramUsername, reason)
    needles.push(...[first, again].map((joined) => tokenOf(joined.json.statusUrl)))
    expect((await tracesOf(needles)).length).toBeGreaterThan(0)

    const erased = await call('POST', `/api/members/${member!.id}/erase`)
    expect(erased.status, erased.text).toBe(204)
    expect(await tracesOf(needles)).toEqual([])
    expect(
      await query(
        'select * from decision_notices where join_request_id = ?',
        first.json.joinRequestId,
      ),
    ).toEqual([])
    // The log keeps that a sign-up was rejected, by its id, not what the person was told.
    expect(
      await query('select action, target_id, detail from audit_log where id = ?', `aud_${unique}`),
    ).toEqual([
      { action: 'join_request.rejected', target_id: again.json.joinRequestId, detail: null },
    ])
    expect(await tracesOf([`Stays ${unique}`])).not.toEqual([])
    // Partners hear that the membership ended, by its id only; the admins' log says who erased it.
    const events = await query<{ type: string; payload: string }>(
      `select type, payload from events where community_id = ? and payload ->> '$.memberId' = ?`,
      communityId,
      member!.id,
    )
    expect(events.map((event) => [event.type, JSON.parse(event.payload).reason])).toEqual([
      ['member.left', 'removed'],
    ])
    await eventually(async () =>
      expect(
        await query(
          'select actor_name from audit_log where action = ? and target_id = ?',
          'member.erased',
          member!.id,
        ),
      ).toEqual([{ actor_name: 'owner' }]),
    )
    expect((await call('GET', `/api/communities/${communityId}/members`)).json.data).toHaveLength(1)
    expect((await call('POST', `/api/members/${member!.id}/erase`)).status).toBe(404)
    // Their status links lead nowhere now.
    expect((await visit(new URL(again.json.statusUrl).pathname)).status).toBe(404)
  })
})

describe('join limit counters', () => {
  it('count a contact under a keyed hash only, and are forgotten a day later', async () => {
    const { invite } = await doubleOptInCommunity()
    const phone = newPhone()
    const email = `counted.${crypto.randomUUID().slice(0, 8)}@mail.example.org`
    await joinJson(invite.code, { name: 'Counted', phone, email })
    const { contacts } = await joinLimits(
      env.SIGNING_SECRET,
      { addressKey: 'unused', phone, email },
      300,
    )
    const keys = contacts.map((limit) => limit.key)
    const counted = () =>
      query<{ key: string }>(
        `select key from rate_limits where key in (${keys.map(() => '?').join(', ')})`,
        ...keys,
      )
    expect((await counted()).map((row) => row.key).sort()).toEqual([...keys].sort())
    for (const key of keys) {
      expect(key).not.toContain(phone.slice(1))
      expect(key).not.toContain(email)
    }
    // The hourly part of the cron job runs at minute 0.
    await runCron(Math.floor((Date.now() + 26 * HOUR) / HOUR) * HOUR)
    expect(await counted()).toEqual([])
  })
})

/** An event as the outbox holds it, handed to delivery at `deliveredAt` (null: not yet). */
async function insertEvent(communityId: string, createdAt: number, deliveredAt: number | null) {
  const id = `evt_test${crypto.randomUUID().replace(/-/g, '').slice(0, 22)}`
  await env.DB.prepare(
    `insert into events (id, type, community_id, payload, created_at, delivered_at)
     values (?1, 'member.joined', ?2, json_object('memberId', 'mem_x'), ?3, ?4)`,
  )
    .bind(id, communityId, createdAt, deliveredAt)
    .run()
  return id
}

async function eventIds(communityId: string): Promise<string[]> {
  const rows = await query<{ id: string }>(
    'select id from events where community_id = ? order by id',
    communityId,
  )
  return rows.map((row) => row.id)
}

describe('delivered events are kept for EVENT_RETENTION_DAYS (30)', () => {
  it('prunes a delivered event once it is older than that, not before', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Kept a while', phone: newPhone() })
    const start = Date.now()
    await runCron(start) // the outbox hands it to delivery: no endpoint is subscribed
    const [event] = await eventIds(community.id)
    expect(event).toBeDefined()
    await runCron(start + 29 * DAY)
    expect(await eventIds(community.id)).toEqual([event])
    await runCron(start + 31 * DAY)
    expect(await eventIds(community.id)).toEqual([])
  })

  it('keeps an old event while a webhook delivery of it is open, and one never delivered', async () => {
    const community = await createCommunity()
    const hook = await call('POST', '/api/webhooks', {
      body: {
        url: 'https://hooks.example.com/retention',
        events: ['reward.earned'],
        communityId: community.id,
      },
    })
    expect(hook.status, hook.text).toBe(201)
    const now = Date.now() + 60 * DAY
    const old = now - 40 * DAY
    const recent = await insertEvent(community.id, now - 10 * DAY, now - 10 * DAY)
    const settledSent = await insertEvent(community.id, old, old)
    const settledFailed = await insertEvent(community.id, old, old)
    const queued = await insertEvent(community.id, old, old)
    const sending = await insertEvent(community.id, old, old)
    const neverHandedOn = await insertEvent(community.id, old, null)
    const delivery = env.DB.prepare(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, updated_at)
       values (?1, ?2, ?3, 1, ?4)`,
    )
    await env.DB.batch([
      delivery.bind(settledSent, hook.json.id, 'sent', old),
      delivery.bind(settledFailed, hook.json.id, 'failed', old),
      // Open, and moving: the reconciler leaves them alone this minute.
      delivery.bind(queued, hook.json.id, 'queued', now),
      delivery.bind(sending, hook.json.id, 'sending', now),
    ])

    await runCron(now)
    expect(await eventIds(community.id)).toEqual([recent, queued, sending, neverHandedOn].sort())
    const deliveries = await query<{ event_id: string }>(
      'select event_id from webhook_deliveries where endpoint_id = ? order by event_id',
      hook.json.id,
    )
    expect(deliveries.map((row) => row.event_id)).toEqual([queued, sending].sort())

    // Once its deliveries have settled, the old event goes with them.
    await env.DB.prepare(`update webhook_deliveries set status = 'sent' where event_id in (?1, ?2)`)
      .bind(queued, sending)
      .run()
    await runCron(now + 60_000)
    expect(await eventIds(community.id)).toEqual([recent, neverHandedOn].sort())
    expect(
      await query('select event_id from webhook_deliveries where endpoint_id = ?', hook.json.id),
    ).toEqual([])
  })

  it('prunes at most 900 events a minute: 1,001 old ones take two runs', async () => {
    const community = await createCommunity()
    const now = Date.now() + 120 * DAY
    // Older than anything else in this file, so these are the first in line.
    const old = now - 1000 * DAY
    await env.DB.prepare(
      `insert into events (id, type, community_id, payload, created_at, delivered_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
       select 'evt_0000000000prune' || printf('%07d', i), 'member.joined', ?1, '{}', ?2, ?2 from n`,
    )
      .bind(community.id, old)
      .run()
    await runCron(now)
    expect(await eventIds(community.id)).toHaveLength(101)
    await runCron(now + 60_000)
    expect(await eventIds(community.id)).toEqual([])
  })
})
