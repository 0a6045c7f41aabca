import { describe, expect, inject, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { createDb } from '../../src/db/client'
import { updateGroup } from '../../src/services/groups'
import { NO_LONGER_AT_TELEGRAM } from '../../src/platforms/telegram/join-requests'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'
import { joinRequestUpdate, memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')

async function closedChat() {
  const world = await telegramCommunity('closed')
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'Ask' })
  return { ...world, invite, url: await withTelegramLink(invite.id) }
}

async function pending(communityId: string, count: number) {
  return eventually(async () => {
    const list = await call(
      'GET',
      `/api/communities/${communityId}/telegram-join-requests?status=pending&limit=100`,
    )
    expect(list.status, list.text).toBe(200)
    expect(list.json.data).toHaveLength(count)
    return list.json.data as Array<Record<string, any>>
  })
}

async function decisions(method: string, chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
    receivedAt: number
  }>
  return requests
    .filter((r) => r.path.endsWith(`/${method}`) && JSON.parse(r.body).chat_id === chatId)
    .map((r) => ({ ...(JSON.parse(r.body) as { user_id: number }), at: r.receivedAt }))
}

describe('join requests from Telegram', () => {
  it('through the link of a group that left the chat wait for the community that follows it now, without that link', async () => {
    const { community, group: left, chatId, url } = await closedChat()
    const unlinked = await call('PATCH', `/api/groups/${left.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    const other = await createCommunity({ visibility: 'closed' })
    const follower = await createGroup(other.id)
    const linked = await call('PATCH', `/api/groups/${follower.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    const olga = newUser('Olga')
    await postUpdate(joinRequestUpdate(chatId, olga, url))
    const [request] = await pending(other.id, 1)
    expect(request).toMatchObject({ name: 'Olga', inviteId: null })
    await pending(community.id, 0)
  })

  it('still waiting when their group leaves the chat end as gone: no one is let into a chat the community left, and the next community hears the person ask', async () => {
    const { community, group: left, chatId, url } = await closedChat()
    const marta = newUser('Marta')
    await postUpdate(joinRequestUpdate(chatId, marta, url))
    const [waiting] = await pending(community.id, 1)
    const unlinked = await call('PATCH', `/api/groups/${left.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    await pending(community.id, 0)
    const approved = await call('POST', `/api/telegram-join-requests/${waiting!.id}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect(approved.json).toMatchObject({
      status: 'gone',
      outcome: 'The group no longer follows this chat',
    })
    expect(await decisions('approveChatJoinRequest', chatId)).toEqual([])
    // Another community follows the chat now: Marta asking again waits for its admins.
    const other = await createCommunity({ visibility: 'closed' })
    const follower = await createGroup(other.id)
    const linked = await call('PATCH', `/api/groups/${follower.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    const theirs = await createInvite(other.id, { groupId: follower.id })
    await postUpdate(joinRequestUpdate(chatId, marta, await withTelegramLink(theirs.id)))
    const [request] = await pending(other.id, 1)
    expect(request).toMatchObject({ name: 'Marta', inviteId: theirs.id })
  })

  it('wait for the admins with who asked and through which link, and approving lets them in', async () => {
    const { community, chatId, invite, url } = await closedChat()
    const nina = newUser('Nina')
    await postUpdate(joinRequestUpdate(chatId, nina, url))
    const [request] = await pending(community.id, 1)
    expect(request).toMatchObject({
      source: 'telegram',
      name: 'Nina',
      username: nina.username,
      languageCode: 'de',
      bio: 'Runs on Sundays',
      inviteId: invite.id,
      status: 'pending',
    })
    const approved = await call('POST', `/api/telegram-join-requests/${request!.id}/approve`)
    expect(approved.status, approved.text).toBe(200)
    expect(approved.json.status).toBe('approved')
    expect((await decisions('approveChatJoinRequest', chatId)).map((d) => d.user_id)).toEqual([
      nina.id,
    ])
    // Twice is harmless, and asks Telegram nothing more.
    const again = await call('POST', `/api/telegram-join-requests/${request!.id}/approve`)
    expect(again.json.status).toBe('approved')
    expect(await decisions('approveChatJoinRequest', chatId)).toHaveLength(1)
    await pending(community.id, 0)
  })

  it('are let in only while the group has room: approvals past its memberLimit are refused, not lost', async () => {
    const { community, group, chatId, url } = await closedChat()
    const limited = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 2 } })
    expect(limited.status, limited.text).toBe(200)
    const people = ['Ada', 'Bea', 'Cem', 'Dan'].map((name) => newUser(name))
    for (const person of people) await postUpdate(joinRequestUpdate(chatId, person, url))
    const waiting = await pending(community.id, 4)
    const byUser = new Map(waiting.map((request) => [request.userId, request.id as string]))
    const ids = people.map((person) => byUser.get(person.id)!)

    // Two seats: two are let in, the others are told the group is full and asked nothing of.
    const bulk = await call(
      'POST',
      `/api/communities/${community.id}/telegram-join-requests/bulk`,
      {
        body: { action: 'approve', ids: ids.slice(0, 3) },
      },
    )
    expect(bulk.status, bulk.text).toBe(200)
    expect(bulk.json.results.map((r: { status: string }) => r.status)).toEqual([
      'approved',
      'approved',
      'group_full',
    ])
    expect((await decisions('approveChatJoinRequest', chatId)).map((d) => d.user_id)).toEqual([
      people[0]!.id,
      people[1]!.id,
    ])
    // Before Telegram reports their joins, their seats stay taken.
    const early = await call('POST', `/api/telegram-join-requests/${ids[3]}/approve`)
    expect(early.status, early.text).toBe(409)
    expect(early.json.code).toBe('group_full')
    // Telegram reports the two joins: both are members, and the group is at its limit.
    for (const person of people.slice(0, 2)) {
      await postUpdate(memberUpdate(chatId, person, 'joined'))
    }
    await eventually(async () => {
      expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(2)
    })
    const late = await call('POST', `/api/telegram-join-requests/${ids[3]}/approve`)
    expect(late.status, late.text).toBe(409)
    await pending(community.id, 2)

    // The dashboard's notice says who was not let in, and why.
    const { cookie } = await signIn()
    const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
    const decided = await post(`/admin/communities/${community.id}/telegram-approvals`, cookie, {
      _csrf: csrfOf(approvals.text),
      only: `approve:${ids[2]}`,
    })
    expect(decided.status).toBe(303)
    const shown = await page(decided.headers.get('location')!, cookie)
    expect(shown.text).toContain('Telegram requests: 1 not let in: the group is full.')
  })

  it('approved at the same moment cannot share the last seat', async () => {
    const { community, group, chatId, url } = await closedChat()
    const limited = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 1 } })
    expect(limited.status, limited.text).toBe(200)
    const people = Array.from({ length: 6 }, (_, i) => newUser(`Rush ${i}`))
    for (const person of people) await postUpdate(joinRequestUpdate(chatId, person, url))
    const waiting = await pending(community.id, 6)
    // Six admins tap Approve at once, each on another request.
    const answers = await Promise.all(
      waiting.map((request) => call('POST', `/api/telegram-join-requests/${request.id}/approve`)),
    )
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409])
    expect(answers.filter((a) => a.status === 409).every((a) => a.json.code === 'group_full')).toBe(
      true,
    )
    expect(await decisions('approveChatJoinRequest', chatId)).toHaveLength(1)
    await pending(community.id, 5)
  })

  it('an approval whose answer is lost (Telegram’s own error) holds its seat until what happened is known', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    // A chat whose every Bot API call answers 500 (the stand-in's chats ending in 9), followed by
    // a group with one seat. Telegram may have let the person in before it failed.
    const chatId = -1009990000009 - 10 * Math.floor(Math.random() * 1e5)
    const groupId = `grp_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
    await env.DB.prepare(
      `insert into groups (id, community_id, kind, name, member_limit, telegram_chat_id,
         created_at, updated_at) values (?, ?, 'discussion', 'One seat', 1, ?, ?4, ?4)`,
    )
      .bind(groupId, community.id, chatId, Date.now())
      .run()
    const request = async (userId: number) => {
      const id = `tjr_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
      await env.DB.prepare(
        `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
           requested_at, status) values (?, ?, ?, ?, 'Una', ?, 'pending')`,
      )
        .bind(id, community.id, chatId, userId, Date.now())
        .run()
      return id
    }
    const [una, ben] = [await request(7000000001), await request(7000000002)]
    const failed = await call('POST', `/api/telegram-join-requests/${una}/approve`)
    expect(failed.status, failed.text).toBe(502)
    expect(failed.json.code).toBe('telegram_unavailable')
    expect(failed.json.detail).toContain('whether the person was let in shows within minutes')
    // Her seat is held: nobody else takes it meanwhile.
    const next = await call('POST', `/api/telegram-join-requests/${ben}/approve`)
    expect(next.status, next.text).toBe(409)
    expect(next.json.code).toBe('group_full')
    // No join came: after a few minutes the cron job lets her request wait again, the seat free.
    await runCron(Date.now() + 6 * 60_000)
    const [row] = await query(
      'select status, outcome, decided_at from telegram_join_requests where id = ?',
      una,
    )
    expect(row).toEqual({ status: 'pending', outcome: null, decided_at: null })
  })

  it('an approval whose Worker stopped before Telegram answered waits again, unless they joined', async () => {
    const { community, chatId } = await closedChat()
    const old = Date.now() - 10 * 60_000
    const claim = async (name: string, userId: number) => {
      const id = `tjr_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
      await env.DB.prepare(
        `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
           requested_at, status, outcome, decided_at)
         values (?, ?, ?, ?, ?, ?6, 'approved', 'approving', ?6)`,
      )
        .bind(id, community.id, chatId, userId, name, old)
        .run()
      return id
    }
    const lost = await claim('Lost', 7100000001)
    const joined = newUser('Joined')
    const let_in = await claim('Joined', joined.id)
    // Telegram did let the second one in: its join came.
    await postUpdate(memberUpdate(chatId, joined, 'joined'))
    await eventually(async () => {
      expect(
        await query(
          `select 1 from members where telegram_user_id = ? and status = 'active'`,
          joined.id,
        ),
      ).toHaveLength(1)
    })
    await runCron(Date.now())
    const rows = await query<{ id: string; status: string; outcome: string | null }>(
      'select id, status, outcome from telegram_join_requests where id in (?, ?)',
      lost,
      let_in,
    )
    expect(new Map(rows.map((row) => [row.id, [row.status, row.outcome]]))).toEqual(
      new Map([
        [lost, ['pending', null]],
        [let_in, ['approved', null]],
      ]),
    )
  })

  it('an unsettled approval into a chat the community left ends as gone, and lets no one in', async () => {
    const { community, group, chatId } = await closedChat()
    const claimId = `tjr_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
    await env.DB.prepare(
      `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
         requested_at, status, outcome, decided_at)
       values (?, ?, ?, 7200000001, 'Left', ?4, 'approved', 'approving', ?4)`,
    )
      .bind(claimId, community.id, chatId, Date.now() - 10 * 60_000)
      .run()
    const unlinked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    await runCron(Date.now())
    const approved = await call('POST', `/api/telegram-join-requests/${claimId}/approve`)
    expect(approved.json).toMatchObject({
      status: 'gone',
      outcome: 'The group no longer follows this chat',
    })
    expect(
      (await decisions('approveChatJoinRequest', chatId)).filter((d) => d.user_id === 7200000001),
    ).toEqual([])
  })

  it('an unsettled approval of someone who asked again since ends; the newer request waits', async () => {
    const { community, chatId, url } = await closedChat()
    const dan = newUser('Dan')
    const claimId = `tjr_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
    await env.DB.prepare(
      `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
         requested_at, status, outcome, decided_at)
       values (?, ?, ?, ?, 'Dan', ?5, 'approved', 'approving', ?5)`,
    )
      .bind(claimId, community.id, chatId, dan.id, Date.now() - 10 * 60_000)
      .run()
    await postUpdate(joinRequestUpdate(chatId, dan, url))
    const [newer] = await pending(community.id, 1)
    // Another community's interrupted approval is settled in the same cron run all the same.
    const other = await closedChat()
    const otherClaim = `tjr_${crypto.randomUUID().replaceAll('-', '').slice(0, 26)}`
    await env.DB.prepare(
      `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
         requested_at, status, outcome, decided_at)
       values (?, ?, ?, 7300000001, 'Eve', ?4, 'approved', 'approving', ?4)`,
    )
      .bind(otherClaim, other.community.id, other.chatId, Date.now() - 10 * 60_000)
      .run()
    await runCron(Date.now())
    const rows = await query<{ id: string; status: string; outcome: string | null }>(
      'select id, status, outcome from telegram_join_requests where id in (?, ?, ?)',
      claimId,
      newer!.id,
      otherClaim,
    )
    expect(new Map(rows.map((row) => [row.id, [row.status, row.outcome]]))).toEqual(
      new Map([
        [claimId, ['gone', 'Asked again since: the newer request waits']],
        [newer!.id, ['pending', null]],
        [otherClaim, ['pending', null]],
      ]),
    )
  })

  it('a group’s limit counts the people let in whose join has not come yet', async () => {
    const { community, group, chatId, url } = await closedChat()
    const people = [newUser('Bea'), newUser('Cem')]
    for (const person of people) await postUpdate(joinRequestUpdate(chatId, person, url))
    const waiting = await pending(community.id, 2)
    for (const request of waiting) {
      const approved = await call('POST', `/api/telegram-join-requests/${request.id}/approve`)
      expect(approved.json.status).toBe('approved')
    }
    // Both are in the chat; Telegram has not reported their joins yet. Their seats are taken.
    const lowered = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 1 } })
    expect(lowered.status, lowered.text).toBe(409)
    expect(lowered.json.code).toBe('member_limit_below_members')
    expect(lowered.json.errors).toEqual([{ path: 'memberLimit', message: 'At least 2' }])
    expect(
      (await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 2 } })).status,
    ).toBe(200)
    for (const person of people) await postUpdate(memberUpdate(chatId, person, 'joined'))
    await eventually(async () => {
      expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(2)
    })
  })

  it('a sign-up on our form does not take the seat of someone let in through Telegram whose join has not come', async () => {
    const { community, group, chatId, url, invite } = await closedChat()
    const limited = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 1 } })
    expect(limited.status, limited.text).toBe(200)
    const person = newUser('Tilde')
    await postUpdate(joinRequestUpdate(chatId, person, url))
    const [request] = await pending(community.id, 1)
    const approved = await call('POST', `/api/telegram-join-requests/${request!.id}/approve`)
    expect(approved.json.status).toBe('approved')
    // Between Telegram letting Tilde in and reporting her join, someone asks on the form and an
    // admin approves them: the group's one seat is Tilde's.
    const asked = await joinJson(invite.code, { name: 'Web', phone: newPhone() })
    expect(asked.status, asked.text).toBe(201)
    const refused = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`)
    expect(refused.status, refused.text).toBe(409)
    expect(refused.json.code).toBe('group_full')
    // Her join comes: she is the group's member.
    await postUpdate(memberUpdate(chatId, person, 'joined'))
    await eventually(async () => {
      expect(
        await query(
          `select 1 from members where telegram_user_id = ? and status = 'active'`,
          person.id,
        ),
      ).toHaveLength(1)
    })
    expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(1)
  })

  it('let in by an admin in the chat itself: the request stops waiting, as Telegram no longer has it', async () => {
    const { community, chatId, url } = await closedChat()
    const person = newUser('Vera')
    // Asked a minute ago, through our link.
    const asked = joinRequestUpdate(chatId, person, url)
    asked.chat_join_request.date -= 60
    await postUpdate(asked)
    const [request] = await pending(community.id, 1)
    // A chat admin approves her in Telegram: Telegram reports her join, and nothing else.
    await postUpdate(memberUpdate(chatId, person, 'joined'))
    await pending(community.id, 0)
    const [row] = await query<{ status: string; outcome: string }>(
      'select status, outcome from telegram_join_requests where id = ?',
      request!.id,
    )
    expect(row).toEqual({ status: 'gone', outcome: NO_LONGER_AT_TELEGRAM })
    // She leaves and asks again: the newer request waits, even if an old join report comes late.
    await postUpdate(memberUpdate(chatId, person, 'left'))
    await postUpdate(joinRequestUpdate(chatId, person, url))
    await pending(community.id, 1)
    await postUpdate(
      memberUpdate(chatId, person, 'joined', { date: Math.floor(Date.now() / 1000) - 30 }),
    )
    await pending(community.id, 1)
  })

  it('a seat held for an approval is free again once that person joined and left', async () => {
    const { community, group, chatId, url } = await closedChat()
    const limited = await call('PATCH', `/api/groups/${group.id}`, { body: { memberLimit: 1 } })
    expect(limited.status, limited.text).toBe(200)
    const [first, second] = [newUser('Wim'), newUser('Xia')]
    for (const person of [first, second]) await postUpdate(joinRequestUpdate(chatId, person, url))
    const waiting = await pending(community.id, 2)
    const firstRequest = waiting.find((r) => r.userId === first.id)!
    const secondRequest = waiting.find((r) => r.userId === second.id)!
    expect(
      (await call('POST', `/api/telegram-join-requests/${firstRequest.id}/approve`)).json.status,
    ).toBe('approved')
    // Wim joins and leaves again within minutes of his approval: the seat is free.
    await postUpdate(memberUpdate(chatId, first, 'joined'))
    await postUpdate(memberUpdate(chatId, first, 'left'))
    await eventually(async () => {
      const [row] = await query<{ status: string }>(
        `select status from members where telegram_user_id = ?`,
        first.id,
      )
      expect(row?.status).toBe('left')
    })
    const next = await call('POST', `/api/telegram-join-requests/${secondRequest.id}/approve`)
    expect(next.status, next.text).toBe(200)
    expect(next.json.status).toBe('approved')
  })

  it('a limit refused in the write leaves the rest of the change unwritten', async () => {
    const { community, group, chatId, url } = await closedChat()
    await postUpdate(joinRequestUpdate(chatId, newUser('Gus'), url))
    await pending(community.id, 1)
    // Read before members joined: the check before the write passes, the write's does not.
    const stale = (await createDb(env.DB).query.groups.findFirst({
      where: (g, { eq }) => eq(g.id, group.id),
    }))!
    await query('update groups set member_count = 5 where id = ?', group.id)
    await expect(
      updateGroup(createDb(env.DB), stale, { memberLimit: 3, telegramChatId: null }, new Date()),
    ).rejects.toMatchObject({ code: 'member_limit_below_members' })
    expect((await call('GET', `/api/groups/${group.id}`)).json).toMatchObject({
      memberLimit: 1024,
      telegramChatId: chatId,
    })
    await pending(community.id, 1)
  })

  it('keep names and bios as cleaned as any text people send: no bidi or control characters', async () => {
    const { community, chatId, url } = await closedChat()
    const spoofing = { ...newUser('Bob\u202Ekcatta\u0007'), last_name: '\u2066Ng\u2069' }
    const update = joinRequestUpdate(chatId, spoofing, url)
    update.chat_join_request.bio = 'Runs\r\non\u0000 Sundays\u200F'
    await postUpdate(update)
    // A name of nothing but invisible characters is shown by the username instead.
    const invisible = newUser('\u202E\u200E')
    await postUpdate(joinRequestUpdate(chatId, invisible, url))
    const requests = await pending(community.id, 2)
    expect(requests.find((r) => r.userId === spoofing.id)).toMatchObject({
      name: 'Bobkcatta Ng',
      bio: 'Runs\non Sundays',
    })
    const unnamed = requests.find((r) => r.userId === invisible.id)!
    expect(unnamed.name).toBe(invisible.username)
    // And so in the audit log, once decided.
    const approved = await call('POST', `/api/telegram-join-requests/${unnamed.id}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const { cookie } = await signIn()
    await eventually(async () => {
      const audit = await page(`/admin/communities/${community.id}/audit`, cookie)
      expect(audit.text).toContain(`<bdi>${invisible.username}</bdi>`)
    })
  })

  it('dated years ahead count as asked when received, not first in the list until then', async () => {
    const { community, chatId, url } = await closedChat()
    const update = joinRequestUpdate(chatId, newUser('Ahead'), url)
    update.chat_join_request.date = 9_999_999_999
    const sent = Date.now()
    await postUpdate(update)
    const [request] = await pending(community.id, 1)
    const asked = Date.parse(request!.requestedAt)
    expect(asked).toBeGreaterThanOrEqual(Math.floor(sent / 1000) * 1000)
    expect(asked).toBeLessThanOrEqual(Date.now())
  })

  it('shows a request Telegram no longer has as gone, instead of failing', async () => {
    const { community, chatId, url } = await closedChat()
    await postUpdate(joinRequestUpdate(chatId, newUser('Gone', 5), url))
    await postUpdate(joinRequestUpdate(chatId, newUser('Inside', 6), url))
    const requests = await pending(community.id, 2)
    const answers = await Promise.all(
      requests.map((r) => call('POST', `/api/telegram-join-requests/${r.id}/approve`)),
    )
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    expect(answers.map((a) => a.json.status)).toEqual(['gone', 'gone'])
    expect(answers.map((a) => a.json.outcome).sort()).toEqual([
      'Already in the chat',
      'Telegram no longer has this request (withdrawn, expired or decided in the chat)',
    ])
  })

  it('declines', async () => {
    const { community, chatId, url } = await closedChat()
    await postUpdate(joinRequestUpdate(chatId, newUser('Sam'), url))
    const [request] = await pending(community.id, 1)
    const declined = await call('POST', `/api/telegram-join-requests/${request!.id}/decline`)
    expect(declined.json.status).toBe('declined')
    expect(await decisions('declineChatJoinRequest', chatId)).toHaveLength(1)
  })

  it('approves 200 in bulk, paced within Telegram’s limits', async () => {
    const { community, chatId, url } = await closedChat()
    const people = Array.from({ length: 200 }, (_, i) => newUser(`Crowd ${i}`))
    for (let i = 0; i < people.length; i += 50) {
      await Promise.all(
        people.slice(i, i + 50).map((person) => postUpdate(joinRequestUpdate(chatId, person, url))),
      )
    }
    const waiting = await eventually(async () => {
      const ids: string[] = []
      let cursor: string | null = null
      do {
        const page: { json: { data: Array<{ id: string }>; nextCursor: string | null } } =
          await call(
            'GET',
            `/api/communities/${community.id}/telegram-join-requests?status=pending&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ids.push(...page.json.data.map((r) => r.id))
        cursor = page.json.nextCursor
      } while (cursor)
      expect(ids).toHaveLength(200)
      return ids
    })
    for (let i = 0; i < waiting.length; i += 100) {
      const bulk = await call(
        'POST',
        `/api/communities/${community.id}/telegram-join-requests/bulk`,
        {
          body: { action: 'approve', ids: waiting.slice(i, i + 100) },
        },
      )
      expect(bulk.status, bulk.text).toBe(200)
      expect(bulk.json.results.every((r: { status: string }) => r.status === 'approved')).toBe(true)
    }
    const calls = await decisions('approveChatJoinRequest', chatId)
    expect(new Set(calls.map((c) => c.user_id)).size).toBe(200)
    // Never more than 20 calls within a second.
    const times = calls.map((c) => c.at).sort((a, b) => a - b)
    for (let i = 20; i < times.length; i++)
      expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(950)
  }, 60_000)
})
