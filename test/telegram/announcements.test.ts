import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { telegramStartPayload } from '../../src/platforms/telegram/start-link'
import { dispatchDueAnnouncements, expandDispatch } from '../../src/services/delivery/claim'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  newPhone,
  query,
  runCron,
  joinAsMember,
} from '../worker/helpers'
import { memberUpdate, newUser, postUpdate, privateMessage } from '../support/telegram-updates'
import { adminChat, telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')
const MINUTE = 60_000

/** The messages the bot sent to a chat, in the order Telegram got them. */
async function messagesTo(chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
    receivedAt: number
  }>
  return requests
    .filter((r) => r.path.endsWith('/sendMessage') && JSON.parse(r.body).chat_id === chatId)
    .map((r) => ({ ...(JSON.parse(r.body) as { text: string }), at: r.receivedAt }))
}

async function announce(communityId: string, body: string, audience: unknown, extra = {}) {
  const created = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, audience, sendAt: new Date(Date.now() + 1000).toISOString(), ...extra },
  })
  expect(created.status, created.text).toBe(201)
  return created.json.id as string
}

async function postsOf(announcementId: string) {
  const answer = await call('GET', `/api/announcements/${announcementId}`)
  expect(answer.status, answer.text).toBe(200)
  return answer.json
}

/** Lets Telegram's stand-in change the bot's standing in a chat, as an admin would. */
async function botIn(chatId: number, bot: 'removed' | 'muted') {
  await fetch(`${fake}/telegram/__chat`, {
    method: 'POST',
    body: JSON.stringify({ chat_id: chatId, bot }),
  })
}

describe('announcements to a Telegram-linked group', () => {
  it('go out as one message to the chat, recorded with its message_id, not per member', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const id = await announce(community.id, 'Hi {name}, Sunday long run at 9', {
      groupIds: [group.id],
    })
    await runCron(Date.now() + 2000)
    const sent = await eventually(async () => {
      const announcement = await postsOf(id)
      expect(announcement.telegramPosts).toMatchObject([{ status: 'sent' }])
      return announcement
    })
    expect(sent.telegramPosts[0]).toMatchObject({
      groupId: group.id,
      groupName: group.name,
      chatId,
      messageId: 1,
      attempts: 1,
      lastError: null,
    })
    // One message the chat sees, not a delivery per member: nothing is counted delivered or read.
    expect(sent.deliveries).toMatchObject({ sent: 0, delivered: 0, read: 0 })
    // A whole chat is addressed by no one's name.
    expect((await messagesTo(chatId)).map((m) => m.text)).toEqual(['Hi, Sunday long run at 9'])
  })

  it('to everyone, where the announcement group has no chat, go to every Telegram-linked chat; who joined in a chat gets nothing of their own', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const second = await createGroup(community.id)
    const secondChat = await adminChat()
    const linked = await call('PATCH', `/api/groups/${second.id}`, {
      body: { telegramChatId: secondChat },
    })
    expect(linked.status, linked.text).toBe(200)
    // Mia joins the first chat through our link: a member with no phone or e-mail address.
    const invite = await createInvite(community.id, { groupId: group.id })
    const mia = newUser('Mia')
    await postUpdate(
      memberUpdate(chatId, mia, 'joined', { inviteLink: await withTelegramLink(invite.id) }),
    )
    await eventually(async () =>
      expect(
        await query(
          'select 1 from members where telegram_user_id = ? and status = ?',
          mia.id,
          'active',
        ),
      ).toHaveLength(1),
    )
    // Ben signs up through the form with his number.
    const ben = await joinAsMember((await createInvite(community.id)).code, {
      name: 'Ben',
      phone: newPhone(),
    })
    expect(ben.status, ben.text).toBe(201)

    const id = await announce(community.id, 'Summer party on the river', 'announcement')
    await runCron(Date.now() + 2000)
    const sent = await eventually(async () => {
      const announcement = await postsOf(id)
      expect(announcement.telegramPosts).toHaveLength(2)
      for (const post of announcement.telegramPosts) expect(post.status).toBe('sent')
      return announcement
    })
    expect(sent.telegramPosts.map((p: { chatId: number }) => p.chatId).sort()).toEqual(
      [chatId, secondChat].sort(),
    )
    for (const chat of [chatId, secondChat]) {
      expect((await messagesTo(chat)).map((m) => m.text)).toEqual(['Summer party on the river'])
    }
    // Ben gets his own message; Mia, reached in her chat, is no recipient skipped for want of
    // a phone number.
    const recipients = await query<{ member_id: string; status: string }>(
      `select x.member_id, x.status from deliveries x join dispatches d on d.id = x.dispatch_id
       where d.announcement_id = ?`,
      id,
    )
    expect(recipients.map((r) => r.member_id)).toEqual([ben.json.memberId])
  })

  it('go to the announcement group’s chat, on every run of a repeat rule', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    const announcementGroup = (groups.json.data as Array<{ id: string; kind: string }>).find(
      (g) => g.kind === 'announcement',
    )!
    // The chat moves from the discussion group to the announcement group.
    await call('PATCH', `/api/groups/${group.id}`, { body: { telegramChatId: null } })
    const linked = await call('PATCH', `/api/groups/${announcementGroup.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Weekly run', repeat: { cron: '* * * * *', timezone: 'Europe/Berlin' } },
    })
    expect(created.status, created.text).toBe(201)
    const first = new Date(created.json.nextRunAt as string).getTime()
    await runCron(first)
    await eventually(async () => expect(await messagesTo(chatId)).toHaveLength(1))
    await runCron(first + MINUTE)
    await eventually(async () => expect(await messagesTo(chatId)).toHaveLength(2))
    const announcement = await eventually(async () => {
      const current = await postsOf(created.json.id)
      expect(current.telegramPosts.map((p: { status: string }) => p.status)).toEqual([
        'sent',
        'sent',
      ])
      return current
    })
    expect(announcement.telegramPosts.map((p: { messageId: number }) => p.messageId)).toEqual([
      2, 1,
    ])
    // Its later runs are no other test's business.
    await call('POST', `/api/announcements/${created.json.id}/cancel`)
  })

  it('wait the retry_after Telegram asks for on a 429, then go once', async () => {
    // The stand-in answers a chat ending in 7 with 429 (retry_after 1) on its first message.
    const { community, group, chatId } = await telegramCommunity('open', 7)
    const id = await announce(community.id, 'Track night moved', { groupIds: [group.id] })
    await runCron(Date.now() + 2000)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([
        { status: 'sent', attempts: 2, lastError: null },
      ]),
    )
    const [refused, accepted] = await messagesTo(chatId)
    expect(accepted!.at - refused!.at).toBeGreaterThanOrEqual(950)
    expect(await messagesTo(chatId)).toHaveLength(2)
  })

  it('record a refusal as failed, with a reason the admin can act on', async () => {
    const removed = await telegramCommunity()
    const muted = await telegramCommunity()
    await botIn(removed.chatId, 'removed')
    await botIn(muted.chatId, 'muted')
    const ids = [
      await announce(removed.community.id, 'Hello', { groupIds: [removed.group.id] }),
      await announce(muted.community.id, 'Hello', { groupIds: [muted.group.id] }),
    ]
    await runCron(Date.now() + 2000)
    const reasons = await eventually(async () => {
      const posts = await Promise.all(ids.map(async (id) => (await postsOf(id)).telegramPosts[0]))
      expect(posts.map((p) => p?.status)).toEqual(['failed', 'failed'])
      return posts.map((p) => p.lastError)
    })
    expect(reasons).toEqual([
      'the bot is not in the chat any more (removed or blocked)',
      'the bot may not post in this chat (give it the right to post messages)',
    ])
    // A refusal is final: the cron job does not try again.
    await runCron(Date.now() + 10 * MINUTE)
    expect(await messagesTo(removed.chatId)).toHaveLength(1)
  })

  it('keep the bot’s pace, however many go out at once', async () => {
    const { community, group, chatId } = await telegramCommunity()
    for (let i = 0; i < 40; i++) await announce(community.id, `News ${i}`, { groupIds: [group.id] })
    // A cron run claims so many runs at a time: the second takes the rest.
    await runCron(Date.now() + 2000)
    await runCron(Date.now() + 2000)
    const times = await eventually(async () => {
      const sent = await messagesTo(chatId)
      expect(sent).toHaveLength(40)
      return sent.map((m) => m.at).sort((a, b) => a - b)
    })
    // 25 a second with a bucket of 2: 40 posts take at least 37 intervals of 40 ms (unpaced, they
    // would all go at once). Measured where they arrive, so a busy machine can only bunch them
    // up a little: a tenth of the span is allowed for that, and one more in a second for jitter.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(37 * 40 * 0.9)
    for (const start of times) {
      expect(times.filter((at) => at >= start && at < start + 1000).length).toBeLessThanOrEqual(
        25 + 2 + 1,
      )
    }
  })
})

/** A queue that loses every message, as a crash between the write and the send would. */
const lost = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue

describe('posts whose queue message vanished', () => {
  async function runWithLostMessages(body: string) {
    const world = await telegramCommunity()
    const id = await announce(world.community.id, body, { groupIds: [world.group.id] })
    const db = createDb(env.DB)
    const at = new Date(Date.now() + 2000)
    const [runId] = await dispatchDueAnnouncements(db, lost, at, 'webhook')
    expect(runId).toBeDefined()
    await expandDispatch(db, lost, runId!, at)
    expect((await postsOf(id)).telegramPosts).toMatchObject([{ status: 'queued' }])
    return { ...world, id, runId: runId!, at }
  }

  it('are sent by the cron job, once, and a sent post is never sent again', async () => {
    const { chatId, id, at } = await runWithLostMessages('Lost and found')
    expect(await messagesTo(chatId)).toHaveLength(0)
    // The cron job waits for a post to stall before it takes it up again.
    await runCron(at.getTime() + 4 * MINUTE)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([{ status: 'sent', messageId: 1 }]),
    )
    await runCron(at.getTime() + 8 * MINUTE)
    await runCron(at.getTime() + 12 * MINUTE)
    expect((await messagesTo(chatId)).map((m) => m.text)).toEqual(['Lost and found'])
  })

  it('are settled "outcome unknown" when the send was interrupted, never sent twice', async () => {
    const { chatId, id, runId, at } = await runWithLostMessages('Maybe sent')
    // A consumer claimed it and died before it heard Telegram's answer.
    await env.DB.prepare(
      `update telegram_posts set status = 'sending', attempts = 1, updated_at = ?
       where dispatch_id = ?`,
    )
      .bind(at.getTime(), runId)
      .run()
    await runCron(at.getTime() + 6 * MINUTE)
    expect((await postsOf(id)).telegramPosts).toMatchObject([
      {
        status: 'unknown',
        lastError: 'outcome unknown: the attempt was interrupted after it may have been sent',
      },
    ])
    await runCron(at.getTime() + 12 * MINUTE)
    expect(await messagesTo(chatId)).toHaveLength(0)
    expect(await query('select status from telegram_posts where dispatch_id = ?', runId)).toEqual([
      { status: 'unknown' },
    ])
  })
})

/** A member's own referral link, the one they share with anyone. */
async function referralLinkOf(memberId: string) {
  const [link] = await query<{ code: string }>(
    'select code from invites where referrer_member_id = ?',
    memberId,
  )
  return link!
}

async function closeCommunity(communityId: string) {
  const closed = await call('PATCH', `/api/communities/${communityId}`, {
    body: { visibility: 'closed' },
  })
  expect(closed.status, closed.text).toBe(200)
}

describe('announcements to members who started the bot', () => {
  /** A member of the community who followed their own deep link to the bot. */
  async function startedMember(inviteCode: string, name: string, lastDigit?: number) {
    const joined = await joinAsMember(inviteCode, { name, phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    const payload = await telegramStartPayload(env.SIGNING_SECRET, joined.json.memberId as string)
    const person = newUser(name, lastDigit)
    await postUpdate(privateMessage(person, `/start ${payload}`))
    await eventually(async () =>
      expect(
        await query('select member_id from telegram_contacts where user_id = ?', person.id),
      ).toEqual([{ member_id: joined.json.memberId }]),
    )
    return { memberId: joined.json.memberId as string, person }
  }

  it('reach each of them in their private chat with the bot, until they send /stop', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ana = await startedMember(invite.code, 'Ana')
    const ben = await startedMember(invite.code, 'Ben')
    await postUpdate(privateMessage(ben.person, '/stop'))
    await eventually(async () =>
      expect(
        await query('select status from telegram_contacts where user_id = ?', ben.person.id),
      ).toEqual([{ status: 'stopped' }]),
    )
    const id = await announce(community.id, 'Hi {name}, club night on Friday', 'announcement')
    await runCron(Date.now() + 2000)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([
        { memberId: ana.memberId, memberName: 'Ana', chatId: ana.person.id, status: 'sent' },
      ]),
    )
    // After the bot's reply to /start, the announcement, with her name: her chat is hers.
    expect((await messagesTo(ana.person.id)).map((m) => m.text).slice(1)).toEqual([
      'Hi Ana, club night on Friday',
    ])
    // Ben got the bot's replies to /start and /stop, and nothing more.
    expect(await messagesTo(ben.person.id)).toHaveLength(2)
  })

  it('reach an account a member’s referral code linked only while the community is open', async () => {
    const community = await createCommunity({ visibility: 'open' })
    const invite = await createInvite(community.id)
    const ana = await startedMember(invite.code, 'Ana')
    const referral = await referralLinkOf(ana.memberId)
    // Ida holds Ana's shared referral link and starts the bot with it: in an open community
    // anyone may read its announcements, so her account is linked to Ana's membership.
    const ida = newUser('Ida')
    await postUpdate(privateMessage(ida, `/start ${referral.code}`))
    await eventually(async () =>
      expect(
        await query('select member_id, linked_by from telegram_contacts where user_id = ?', ida.id),
      ).toEqual([{ member_id: ana.memberId, linked_by: 'referral_code' }]),
    )
    expect(
      await query('select linked_by from telegram_contacts where user_id = ?', ana.person.id),
    ).toEqual([{ linked_by: 'member_link' }])
    const open = await announce(community.id, 'Hi {name}, open day on Sunday', 'announcement')
    await runCron(Date.now() + 2000)
    await eventually(async () =>
      expect(
        (await postsOf(open)).telegramPosts.map((p: { chatId: number }) => p.chatId).sort(),
      ).toEqual([ana.person.id, ida.id].sort()),
    )

    // Closed, its announcements are for approved members: Ana's own link still reaches her,
    // the code anyone could hold reaches no one.
    await closeCommunity(community.id)
    const members = await announce(community.id, 'Members only: the new code', 'announcement')
    await runCron(Date.now() + 4000)
    await eventually(async () =>
      expect((await postsOf(members)).telegramPosts).toMatchObject([
        { chatId: ana.person.id, status: 'sent' },
      ]),
    )
    const toIda = (await messagesTo(ida.id)).map((m) => m.text)
    // Ana's name is hers: Ida, who started the bot with Ana's code, is not told it.
    expect(toIda).toContain('Hi, open day on Sunday')
    expect((await messagesTo(ana.person.id)).map((m) => m.text)).toContain(
      'Hi Ana, open day on Sunday',
    )
    expect(toIda).not.toContain('Members only: the new code')
  })

  it('keep reaching a member whose own account starts the bot again with their referral code', async () => {
    const community = await createCommunity({ visibility: 'open' })
    const invite = await createInvite(community.id)
    const ana = await startedMember(invite.code, 'Ana')
    const referral = await referralLinkOf(ana.memberId)
    // Ana follows her own shared link: the same membership, by a code anyone may hold. Her
    // account was proven hers by the signed link; the code takes nothing of that away.
    await postUpdate(privateMessage(ana.person, `/start ${referral.code}`))
    await eventually(async () => expect(await messagesTo(ana.person.id)).toHaveLength(2))
    expect(
      await query(
        'select member_id, linked_by from telegram_contacts where user_id = ?',
        ana.person.id,
      ),
    ).toEqual([{ member_id: ana.memberId, linked_by: 'member_link' }])
    await closeCommunity(community.id)
    const id = await announce(community.id, 'Members only: the new code', 'announcement')
    await runCron(Date.now() + 2000)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([
        { chatId: ana.person.id, status: 'sent' },
      ]),
    )
  })

  it('skip a member who sent /stop after the run began', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const cleo = await startedMember(invite.code, 'Cleo')
    const id = await announce(community.id, 'Lost and stopped', 'announcement')
    const db = createDb(env.DB)
    const at = new Date(Date.now() + 2000)
    const [runId] = await dispatchDueAnnouncements(db, lost, at, 'webhook')
    await expandDispatch(db, lost, runId!, at)
    expect((await postsOf(id)).telegramPosts).toMatchObject([{ status: 'queued' }])
    await postUpdate(privateMessage(cleo.person, '/stop'))
    await eventually(async () =>
      expect(
        await query('select status from telegram_contacts where user_id = ?', cleo.person.id),
      ).toEqual([{ status: 'stopped' }]),
    )
    await runCron(at.getTime() + 4 * MINUTE)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([
        { status: 'skipped', lastError: 'stopped: the member sent /stop to the bot' },
      ]),
    )
    // Only the bot's replies to /start and /stop reached Cleo.
    expect(await messagesTo(cleo.person.id)).toHaveLength(2)
  })

  it('take a person who blocked the bot as stopped, after telling the admin why it failed', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // The stand-in answers a private chat ending in 3 with 403: the person blocked the bot.
    const dana = await startedMember(invite.code, 'Dana', 3)
    const id = await announce(community.id, 'Boat trip', 'announcement')
    await runCron(Date.now() + 2000)
    await eventually(async () =>
      expect((await postsOf(id)).telegramPosts).toMatchObject([
        {
          memberName: 'Dana',
          status: 'failed',
          lastError: 'the bot is not in the chat any more (removed or blocked)',
        },
      ]),
    )
    expect(
      await query(
        'select status, stop_proof from telegram_contacts where user_id = ?',
        dana.person.id,
      ),
    ).toEqual([{ status: 'stopped', stop_proof: 'telegram_blocked' }])
  })
})
