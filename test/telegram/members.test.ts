import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { TELEGRAM_QUEUE_NAME } from '../../src/jobs/telegram'
import { updateItem } from '../../src/platforms/telegram/updates'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  query,
} from '../worker/helpers'
import { joinRequestUpdate, memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { adminChat, otherOf, telegramCommunity, verifiedOf, withTelegramLink } from './support'
import { createDb } from '../../src/db/client'
import { loadConfig, telegramConfig } from '../../src/lib/config'
import { applyTelegramUpdate } from '../../src/platforms/telegram/apply'
import { readAhead } from '../../src/platforms/telegram/batch-reads'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'

/** A campaign link on a Telegram group, with the chat's invite link Telegram made for it. */
async function linkOnTelegram(options: { maxUses?: number } = {}) {
  const world = await telegramCommunity()
  const invite = await createInvite(world.community.id, {
    groupId: world.group.id,
    label: 'Poster',
    ...options,
  })
  return { ...world, invite, url: await withTelegramLink(invite.id) }
}

type ApiMember = Record<string, any>

/** The community's members as the API lists them, every status. */
async function membersOf(communityId: string): Promise<ApiMember[]> {
  const page = await call('GET', `/api/communities/${communityId}/members?limit=100`)
  expect(page.status, page.text).toBe(200)
  return page.json.data
}

/** The one member of the community with this Telegram account, once there. */
async function memberWith(communityId: string, userId: number, status = 'active') {
  return eventually(async () => {
    const found = (await membersOf(communityId)).filter(
      (m) => m.telegram?.userId === userId && m.status === status,
    )
    expect(found).toHaveLength(1)
    return found[0]!
  })
}

async function group(id: string) {
  const answer = await call('GET', `/api/groups/${id}`)
  expect(answer.status, answer.text).toBe(200)
  return answer.json
}

/** Waits until every update sent so far to the chat is applied: one sent after them is. */
async function settled(chatId: number, communityId: string) {
  const marker = newUser('Marker')
  await postUpdate(memberUpdate(chatId, marker, 'joined'))
  await eventually(async () => {
    const [row] = await query('select 1 from telegram_memberships where user_id = ?', marker.id)
    expect(row, `not applied yet in ${communityId}`).toBeDefined()
  })
}

/** The community's one pending Telegram join request, once there, approved by its admins. */
async function approveOnlyRequest(communityId: string) {
  const request = await eventually(async () => {
    const list = await call(
      'GET',
      `/api/communities/${communityId}/telegram-join-requests?status=pending`,
    )
    expect(list.json.data).toHaveLength(1)
    return list.json.data[0]
  })
  const approved = await call('POST', `/api/telegram-join-requests/${request.id}/approve`)
  expect(approved.json.status).toBe('approved')
}

describe('Telegram people are members', () => {
  it('a join through our link makes a member, with their account as the contact and the join as its consent', async () => {
    const { community, group: discussion, chatId, invite, url } = await linkOnTelegram()
    const mia = newUser('Mia')
    const update = memberUpdate(chatId, mia, 'joined', { inviteLink: url })
    await postUpdate(update)
    const member = await memberWith(community.id, mia.id)
    expect(member).toMatchObject({
      name: 'Mia',
      phone: null,
      email: null,
      status: 'active',
      inviteId: invite.id,
      telegram: { userId: mia.id, username: mia.username, chatId },
      consentRecord: { method: 'telegram_join', proofId: String(update.update_id) },
      contactConsent: {
        phone: null,
        email: null,
        telegram: { method: 'telegram_join', proofId: String(update.update_id) },
      },
    })
    expect(member.groupIds).toContain(discussion.id)
    expect(member.groupIds).toHaveLength(2)
    // It counts toward the group and the link like a join on the web.
    expect((await group(discussion.id)).memberCount).toBe(1)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(1)
    // Telegram resending the update changes nothing.
    await postUpdate(update)
    await settled(chatId, community.id)
    expect(
      (await membersOf(community.id)).filter((m) => m.telegram?.userId === mia.id),
    ).toHaveLength(1)
    expect((await group(discussion.id)).memberCount).toBe(1)
  })

  it('two copies of a join arriving together make one member, counted once', async () => {
    const { community, group: discussion, chatId, invite, url } = await linkOnTelegram()
    const ola = newUser('Ola')
    const update = memberUpdate(chatId, ola, 'joined', { inviteLink: url })
    // Sent together: most often one batch, where its first copy is applied and the second is
    // a replay; under load two, where the second finds it recorded. One member either way.
    await Promise.all([postUpdate(update), postUpdate(update)])
    await memberWith(community.id, ola.id)
    await settled(chatId, community.id)
    expect(
      (await membersOf(community.id)).filter((m) => m.telegram?.userId === ola.id),
    ).toHaveLength(1)
    expect((await group(discussion.id)).memberCount).toBe(1)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(1)
    expect(
      await query('select 1 from telegram_updates where update_id = ?', update.update_id),
    ).toHaveLength(1)
  })

  it('a crowd through one link, some leaving at once, applied together: each join and leave where it belongs', async () => {
    const { community, group: discussion, chatId, invite, url } = await linkOnTelegram()
    // Our link's URL reported in a chat it is not of counts there, under other routes.
    const elsewhere = await adminChat()
    const stays = Array.from({ length: 15 }, (_, i) => newUser(`Stays ${i}`))
    const leaves = Array.from({ length: 5 }, (_, i) => newUser(`Leaves ${i}`))
    const joined = Math.floor(Date.now() / 1000)
    // Sent at once, so the consumer gets them in batches of many, read ahead together; a leave
    // right behind its join (most often in the same batch) still finds the link of that join.
    await Promise.all([
      ...stays.map((person) =>
        postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url, date: joined })),
      ),
      ...leaves.map(async (person) => {
        await postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url, date: joined }))
        await postUpdate(memberUpdate(chatId, person, 'left', { date: joined + 1 }))
      }),
      postUpdate(memberUpdate(elsewhere, newUser('Stray'), 'joined', { inviteLink: url })),
    ])
    await settled(chatId, community.id)

    const people = (await membersOf(community.id)).filter((m) => m.telegram)
    expect(people.filter((m) => m.status === 'active').map((m) => m.name)).toHaveLength(15)
    expect(
      people
        .filter((m) => m.status === 'left')
        .map((m) => m.name)
        .sort(),
    ).toEqual(leaves.map((person) => person.first_name).sort())
    expect((await group(discussion.id)).memberCount).toBe(15)
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ verifiedJoins: 20, verifiedLeaves: 5 })
    await eventually(async () =>
      expect(
        await query(
          'select verified_joins from telegram_chat_daily_stats where chat_id = ?',
          elsewhere,
        ),
      ).toEqual([{ verified_joins: 1 }]),
    )
  })

  it('a crowd’s batch costs a read ahead and three D1 round trips a join: its write and its referral link’s two', async () => {
    const { community, group: discussion, chatId, invite, url } = await linkOnTelegram()
    const crowd = Array.from({ length: 40 }, (_, i) => newUser(`Crowd ${i}`))
    const logged: string[] = []
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logged.push(String(line)))
    const batch = createMessageBatch(
      TELEGRAM_QUEUE_NAME,
      crowd.map((person, i) => ({
        id: `crowd-${i}-${crypto.randomUUID()}`,
        timestamp: new Date(),
        attempts: 1,
        body: updateItem(memberUpdate(chatId, person, 'joined', { inviteLink: url })),
      })),
    )
    const ctx = createExecutionContext()
    try {
      await worker.queue(batch, env, ctx)
      await waitOnExecutionContext(ctx)
    } finally {
      vi.restoreAllMocks()
    }
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(40)
    expect((await membersOf(community.id)).filter((m) => m.telegram)).toHaveLength(40)
    expect((await group(discussion.id)).memberCount).toBe(40)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(40)
    // In production every D1 call is a trip to the database's primary, and the updates of a
    // batch go one after another. Before the read-ahead a join took seven.
    const line = logged.find((text) => text.includes('"job":"telegram-updates"'))
    expect(JSON.parse(line!)).toMatchObject({
      updates: 40,
      outcomes: { 'chat_member:join through a link': 40 },
    })
    expect(JSON.parse(line!).d1RoundTrips).toBeLessThanOrEqual(1 + 40 * 3 + 1)
  })

  it('a verified leave ends the membership, as of when Telegram saw it, and why', async () => {
    const { community, group: discussion, chatId, url } = await linkOnTelegram()
    const ben = newUser('Ben')
    const cem = newUser('Cem')
    await postUpdate(memberUpdate(chatId, ben, 'joined', { inviteLink: url }))
    await postUpdate(memberUpdate(chatId, cem, 'joined', { inviteLink: url }))
    await memberWith(community.id, ben.id)
    await memberWith(community.id, cem.id)
    const leftAt = Math.floor(Date.now() / 1000) + 5
    await postUpdate(memberUpdate(chatId, ben, 'left', { date: leftAt }))
    await postUpdate(memberUpdate(chatId, cem, 'kicked'))
    const left = await memberWith(community.id, ben.id, 'left')
    expect(left).toMatchObject({ leaveReason: 'left_chat', groupIds: [] })
    expect(left.endedAt).toBe(new Date(leftAt * 1000).toISOString())
    expect(await memberWith(community.id, cem.id, 'removed')).toMatchObject({
      leaveReason: 'removed_in_chat',
    })
    expect((await group(discussion.id)).memberCount).toBe(0)
    // Their referral links go with them.
    const links = await call('GET', `/api/communities/${community.id}/invites?limit=100`)
    const referral = links.json.data.find((i: any) => i.referrerMemberId === left.id)
    expect(referral.status).toBe('revoked')
  })

  it('a leave reported before its join ends as left', async () => {
    const { community, group: discussion, chatId, url } = await linkOnTelegram()
    const ola = newUser('Ola')
    const now = Math.floor(Date.now() / 1000)
    await postUpdate(memberUpdate(chatId, ola, 'left', { date: now }))
    await postUpdate(memberUpdate(chatId, ola, 'joined', { inviteLink: url, date: now - 30 }))
    const member = await memberWith(community.id, ola.id, 'left')
    expect(member.endedAt).toBe(new Date(now * 1000).toISOString())
    expect(member.joinedAt).toBe(new Date((now - 30) * 1000).toISOString())
    expect((await group(discussion.id)).memberCount).toBe(0)
    // Joining again later is a new membership.
    await postUpdate(memberUpdate(chatId, ola, 'joined', { inviteLink: url, date: now + 60 }))
    await memberWith(community.id, ola.id)
    await memberWith(community.id, ola.id, 'left')
  })

  it('a join by another route is no member of ours; one after an approved request is', async () => {
    const world = await telegramCommunity('closed')
    const { community, chatId } = world
    const stranger = newUser('Stranger')
    await postUpdate(memberUpdate(chatId, stranger, 'joined'))
    await settled(chatId, community.id)
    expect(
      (await membersOf(community.id)).filter((m) => m.telegram?.userId === stranger.id),
    ).toEqual([])
    // A request our admins approved, then the join Telegram reports (no link of ours on it).
    const nina = newUser('Nina')
    await postUpdate(joinRequestUpdate(chatId, nina))
    await approveOnlyRequest(community.id)
    await postUpdate(memberUpdate(chatId, nina, 'joined'))
    expect(await memberWith(community.id, nina.id)).toMatchObject({ inviteId: null })
  })

  it('holds the link’s limit of uses', async () => {
    const { community, chatId, url, invite } = await linkOnTelegram({ maxUses: 2 })
    const people = [newUser('One'), newUser('Two'), newUser('Three')]
    for (const person of people) {
      await postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url }))
    }
    await settled(chatId, community.id)
    const members = (await membersOf(community.id)).filter((m) => m.telegram)
    expect(members).toHaveLength(2)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.uses).toBe(2)
    // What Telegram saw is still counted as seen.
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals.verifiedJoins).toBe(3)
  })

  it('a join through the link of a group that left the chat, now another community’s, is no member of either', async () => {
    const { community, group: left, chatId, invite, url } = await linkOnTelegram()
    const unlinked = await call('PATCH', `/api/groups/${left.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    const other = await createCommunity()
    const follower = await createGroup(other.id)
    const linked = await call('PATCH', `/api/groups/${follower.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    // Telegram revokes the old link within a minute (the cron job); someone is quicker.
    const quick = newUser('Quick')
    await postUpdate(memberUpdate(chatId, quick, 'joined', { inviteLink: url }))
    await settled(chatId, other.id)
    for (const id of [community.id, other.id]) {
      expect((await membersOf(id)).filter((m) => m.telegram?.userId === quick.id)).toEqual([])
    }
    expect(await verifiedOf(invite.id)).toEqual({ joins: 0, leaves: 0 })
    expect((await otherOf(chatId)).joins).toBeGreaterThanOrEqual(1)
  })

  it('in a community closed since, a join through a link that let people in unasked is counted but makes no member', async () => {
    const { community, chatId, invite, url } = await linkOnTelegram()
    const closed = await call('PATCH', `/api/communities/${community.id}`, {
      body: { visibility: 'closed' },
    })
    expect(closed.status, closed.text).toBe(200)
    // Telegram revokes the open link within minutes (the cron job); someone is quicker.
    const early = newUser('Early')
    await postUpdate(memberUpdate(chatId, early, 'joined', { inviteLink: url }))
    await settled(chatId, community.id)
    expect((await membersOf(community.id)).filter((m) => m.telegram?.userId === early.id)).toEqual(
      [],
    )
    expect(await verifiedOf(invite.id)).toEqual({ joins: 1, leaves: 0 })
  })

  it('a request another community approved, before the chat moved to this one, admits no one here', async () => {
    const before = await telegramCommunity('closed')
    const { chatId } = before
    const nina = newUser('Nina')
    await postUpdate(joinRequestUpdate(chatId, nina))
    await approveOnlyRequest(before.community.id)
    const unlinked = await call('PATCH', `/api/groups/${before.group.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    const now = await createCommunity({ visibility: 'closed' })
    const follower = await createGroup(now.id)
    const linked = await call('PATCH', `/api/groups/${follower.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    await postUpdate(memberUpdate(chatId, nina, 'joined'))
    await settled(chatId, now.id)
    for (const id of [before.community.id, now.id]) {
      expect((await membersOf(id)).filter((m) => m.telegram?.userId === nina.id)).toEqual([])
    }
  })

  it('a join read ahead before its chat moved to another group is no member of the old one', async () => {
    const { community, group: left, chatId, url } = await linkOnTelegram()
    const mover = newUser('Mover')
    const item = updateItem(memberUpdate(chatId, mover, 'joined', { inviteLink: url }))!
    const db = createDb(env.DB)
    // The consumer read its batch ahead; then an admin moves the chat to another group.
    const reads = await readAhead(db, [item])
    const unlinked = await call('PATCH', `/api/groups/${left.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    const follower = await createGroup(community.id)
    const linked = await call('PATCH', `/api/groups/${follower.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    await applyTelegramUpdate(db, telegramConfig(loadConfig(env))!, item, new Date(), reads)
    expect((await membersOf(community.id)).filter((m) => m.telegram?.userId === mover.id)).toEqual(
      [],
    )
    expect((await group(left.id)).memberCount).toBe(0)
  })

  it('a join read ahead before its community closed, through a link that asked no one, makes no member', async () => {
    const { community, group: joined, chatId, url } = await linkOnTelegram()
    const early = newUser('Early')
    const item = updateItem(memberUpdate(chatId, early, 'joined', { inviteLink: url }))!
    const db = createDb(env.DB)
    // The consumer read its batch ahead, the community still open; then an admin closes it.
    const reads = await readAhead(db, [item])
    const closed = await call('PATCH', `/api/communities/${community.id}`, {
      body: { visibility: 'closed' },
    })
    expect(closed.status, closed.text).toBe(200)
    await applyTelegramUpdate(db, telegramConfig(loadConfig(env))!, item, new Date(), reads)
    expect((await membersOf(community.id)).filter((m) => m.telegram?.userId === early.id)).toEqual(
      [],
    )
    expect((await group(joined.id)).memberCount).toBe(0)
  })

  it('never takes a group past its limit, however many Telegram lets in', async () => {
    const community = await createCommunity()
    const small = await createGroup(community.id, { memberLimit: 2 })
    const chatId = await adminChat()
    const linked = await call('PATCH', `/api/groups/${small.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    const invite = await createInvite(community.id, { groupId: small.id, label: 'Crowd' })
    const url = await withTelegramLink(invite.id)
    const crowd = Array.from({ length: 5 }, (_, i) => newUser(`Crowd ${i}`))
    await Promise.all(
      crowd.map((person) =>
        postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url })),
      ),
    )
    await settled(chatId, community.id)
    expect((await membersOf(community.id)).filter((m) => m.telegram)).toHaveLength(2)
    expect((await group(small.id)).memberCount).toBe(2)
  })

  it('removed from the list, the admin is told to take them out of the Telegram chat, not WhatsApp', async () => {
    const { community, chatId, url } = await linkOnTelegram()
    const ida = newUser('Ida')
    await postUpdate(memberUpdate(chatId, ida, 'joined', { inviteLink: url }))
    const member = await memberWith(community.id, ida.id)
    const { cookie } = await signIn()
    const members = await page(`/admin/communities/${community.id}/members`, cookie)
    // Their consent record names its proof as one: the update that told of the join.
    expect(members.text).toMatch(
      /Proof of consent: Telegram’s report of the join, ID <bdi class="code">\d+<\/bdi>/,
    )
    const confirms = [...members.text.matchAll(/data-confirm="([^"]*)"/g)].map((m) => m[1]!)
    expect(confirms.length).toBeGreaterThanOrEqual(2)
    for (const confirm of confirms) {
      expect(confirm).toContain('Remove them from the Telegram chat yourself, in Telegram.')
      expect(confirm).not.toContain('WhatsApp')
    }
    const removed = await post(`/admin/members/${member.id}/remove`, cookie, {
      _csrf: csrfOf(members.text),
    })
    expect(removed.status).toBe(303)
    const after = await page(removed.headers.get('location')!, cookie)
    expect(after.text).toContain('Remove them from the Telegram chat yourself, in Telegram.')
    expect(after.text).not.toContain('from the WhatsApp chat')
  })

  it('erased on request, leaves their name and user name nowhere', async () => {
    const { community, chatId, url } = await linkOnTelegram()
    const eva = { ...newUser('Evangelina'), username: `evangelina${Date.now()}` }
    await postUpdate(memberUpdate(chatId, eva, 'joined', { inviteLink: url }))
    const member = await memberWith(community.id, eva.id)
    const erased = await call('POST', `/api/members/${member.id}/erase`)
    expect(erased.status, erased.text).toBe(204)
    const tables = await query<{ name: string }>(
      `select name from sqlite_master where type = 'table' and name not like 'sqlite_%'
         and name not like '_cf_%' and name not like 'd1_%'`,
    )
    for (const { name } of tables) {
      const rows = await query(`select * from "${name}"`)
      const text = JSON.stringify(rows)
      expect(text, name).not.toContain('Evangelina')
      expect(text, name).not.toContain(eva.username)
    }
  })

  it('exports their Telegram user id and user name instead of a phone number', async () => {
    const { community, chatId, url } = await linkOnTelegram()
    const ida = newUser('Ida')
    const update = memberUpdate(chatId, ida, 'joined', { inviteLink: url })
    await postUpdate(update)
    const member = await memberWith(community.id, ida.id)
    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    expect(csv.status).toBe(200)
    const [header, ...rows] = csv.text.trim().split('\r\n')
    const columns = header!.split(',')
    const row = rows.find((line) => line.startsWith(member.id))!.split(',')
    const cell = (name: string) => row[columns.indexOf(name)]
    expect(cell('phone')).toBe('')
    expect(cell('telegram_user_id')).toBe(String(ida.id))
    expect(cell('telegram_username')).toBe(ida.username)
    expect(cell('telegram_consent_method')).toBe('telegram_join')
    expect(cell('telegram_consent_proof')).toBe(String(update.update_id))
    // The dashboard's members page names them by their account, with its consent record.
    const { cookie } = await signIn()
    const listed = await page(`/admin/communities/${community.id}/members?lang=en`, cookie)
    expect(listed.status).toBe(200)
    expect(listed.text).toContain(`@${ida.username} (Telegram)`)
    expect(listed.text).toContain('Joined on Telegram (seen by Telegram)')
  })
})
