import { describe, expect, it } from 'vitest'
import { call, createInvite, eventually, query } from '../worker/helpers'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { otherOf, telegramCommunity, verifiedOf, withTelegramLink } from './support'

/** A campaign link on a Telegram group, with the chat's invite link Telegram made for it. */
async function linkOnTelegram(visibility: 'open' | 'closed' = 'open') {
  const world = await telegramCommunity(visibility)
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'Flyer' })
  const url = await withTelegramLink(invite.id)
  return { ...world, invite, url }
}

async function membership(chatId: number, userId: number) {
  const [row] = await query<{ is_member: number; invite_id: string | null }>(
    'select is_member, invite_id from telegram_memberships where chat_id = ? and user_id = ?',
    chatId,
    userId,
  )
  return row
}

/** Waits until every update sent so far is applied: a marker sent after them is. */
async function settled(chatId: number) {
  const marker = newUser('Marker')
  await postUpdate(memberUpdate(chatId, marker, 'joined'))
  await eventually(async () => expect(await membership(chatId, marker.id)).toBeDefined())
}

describe('joins and leaves Telegram reports', () => {
  it('counts a join through our link as a verified join of it, and the leave after it', async () => {
    const { chatId, invite, url } = await linkOnTelegram()
    const mia = newUser('Mia')
    expect(
      (await postUpdate(memberUpdate(chatId, mia, 'joined', { inviteLink: url }))).status,
    ).toBe(200)
    await eventually(async () =>
      expect(await verifiedOf(invite.id)).toEqual({ joins: 1, leaves: 0 }),
    )
    expect(await membership(chatId, mia.id)).toEqual({ is_member: 1, invite_id: invite.id })
    await postUpdate(memberUpdate(chatId, mia, 'left'))
    await eventually(async () =>
      expect(await verifiedOf(invite.id)).toEqual({ joins: 1, leaves: 1 }),
    )
    expect((await membership(chatId, mia.id))?.is_member).toBe(0)
    // What the marketer reads: the link's stats say what Telegram saw, apart from our joins.
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.status, stats.text).toBe(200)
    expect(stats.json.totals).toMatchObject({ joins: 0, verifiedJoins: 1, verifiedLeaves: 1 })
  })

  it('counts a join by another route under "other", not under any link', async () => {
    const { chatId, invite, community } = await linkOnTelegram()
    const before = await otherOf(chatId)
    const ben = newUser('Ben')
    await postUpdate(memberUpdate(chatId, ben, 'joined'))
    await postUpdate(
      memberUpdate(chatId, newUser('Cem'), 'joined', { inviteLink: 'https://t.me/+someoneelse' }),
    )
    await settled(chatId)
    expect(await otherOf(chatId)).toEqual({ joins: before.joins + 3, leaves: 0 })
    expect(await verifiedOf(invite.id)).toEqual({ joins: 0, leaves: 0 })
    await postUpdate(memberUpdate(chatId, ben, 'kicked'))
    await eventually(async () => expect((await otherOf(chatId)).leaves).toBe(1))
    // The community's stats say so, apart from every link's.
    const stats = await call('GET', `/api/communities/${community.id}/stats`)
    expect(stats.status, stats.text).toBe(200)
    expect(stats.json.otherRoutes).toEqual({ verifiedJoins: before.joins + 3, verifiedLeaves: 1 })
    // They came through no link: a filter on the link's source or campaign leaves them out.
    const bySource = await call('GET', `/api/communities/${community.id}/stats?source=flyer`)
    expect(bySource.json.otherRoutes).toBeUndefined()
    expect(stats.json.totals.verifiedJoins).toBe(0)
  })

  it('counts a resent update once', async () => {
    const { chatId, invite, url } = await linkOnTelegram()
    const update = memberUpdate(chatId, newUser('Ida'), 'joined', { inviteLink: url })
    await postUpdate(update)
    await postUpdate(update)
    await settled(chatId)
    await postUpdate(update)
    await settled(chatId)
    expect(await verifiedOf(invite.id)).toEqual({ joins: 1, leaves: 0 })
  })

  it('keeps a leave reported before its join a leave', async () => {
    const { chatId, invite, url } = await linkOnTelegram()
    const ola = newUser('Ola')
    const now = Math.floor(Date.now() / 1000)
    await postUpdate(memberUpdate(chatId, ola, 'left', { date: now }))
    await postUpdate(memberUpdate(chatId, ola, 'joined', { inviteLink: url, date: now - 30 }))
    await settled(chatId)
    expect(await membership(chatId, ola.id)).toEqual({ is_member: 0, invite_id: invite.id })
    expect((await verifiedOf(invite.id)).joins).toBe(1)
  })

  it('credits a join reported after our link was revoked to the link it came through', async () => {
    const { chatId, invite, url } = await linkOnTelegram()
    expect((await call('POST', `/api/invites/${invite.id}/revoke`)).status).toBe(200)
    await postUpdate(memberUpdate(chatId, newUser('Lea'), 'joined', { inviteLink: url }))
    await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(1))
  })

  it('counts a burst of 1,000 joins, some of them resent, exactly once each', async () => {
    const { chatId, invite, url } = await linkOnTelegram()
    const updates = Array.from({ length: 1000 }, () =>
      memberUpdate(chatId, newUser('Crowd'), 'joined', { inviteLink: url }),
    )
    const resent = updates.filter((_, i) => i % 10 === 0)
    const all = [...updates, ...resent]
    for (let i = 0; i < all.length; i += 50) {
      const answers = await Promise.all(all.slice(i, i + 50).map((update) => postUpdate(update)))
      expect(answers.every((answer) => answer.status === 200)).toBe(true)
    }
    await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(1000))
    await settled(chatId)
    expect((await verifiedOf(invite.id)).joins).toBe(1000)
  }, 120_000)
})
