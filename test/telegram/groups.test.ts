import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createToken,
  eventually,
  expectProblem,
  query,
} from '../worker/helpers'
import { botStatusUpdate, newChatId, postUpdate } from '../support/telegram-updates'

/** A chat the bot was added to (its `my_chat_member` update applied). */
async function knownChat(lastDigit: 1 | 2 | 3) {
  const chatId = newChatId(lastDigit)
  const status = lastDigit === 3 ? 'member' : 'administrator'
  await postUpdate(botStatusUpdate(chatId, status, { canInvite: lastDigit === 1 }))
  await eventually(async () =>
    expect(await query('select 1 from telegram_chats where chat_id = ?', chatId)).toHaveLength(1),
  )
  return chatId
}

describe('linking a group to a Telegram chat', () => {
  it('links a chat the bot administers, and the group says it is on Telegram', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    expect(group).toMatchObject({ platform: 'whatsapp', telegramChatId: null })
    const chatId = await knownChat(1)
    const linked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    expect(linked.json).toMatchObject({ platform: 'telegram', telegramChatId: chatId })
    const chats = await call('GET', '/api/telegram/chats?limit=100')
    expect(chats.json.data.find((c: { chatId: number }) => c.chatId === chatId).groupId).toBe(
      group.id,
    )
    const unlinked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.json).toMatchObject({ platform: 'whatsapp', telegramChatId: null })
  })

  it('refuses, saying what is wrong, a chat the bot does not administer or lacks rights in', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const unknown = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: newChatId(1) },
    })
    expect(expectProblem(unknown, 409, 'telegram_chat_not_administered').detail).toMatch(
      /has not been added/,
    )
    const member = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: await knownChat(3) },
    })
    expect(expectProblem(member, 409, 'telegram_chat_not_administered').detail).toMatch(
      /not an administrator/,
    )
    const limited = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: await knownChat(2) },
    })
    expect(expectProblem(limited, 409, 'telegram_rights_missing').detail).toMatch(/Invite users/)
    const [row] = await query<{ telegram_chat_id: number | null }>(
      'select telegram_chat_id from groups where id = ?',
      group.id,
    )
    expect(row!.telegram_chat_id).toBeNull()
  })

  it('lets only owners link or unlink a chat: the chats are the whole installation’s', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const chatId = await knownChat(1)
    const communityAdmin = await createToken({ role: 'community_admin', communityId: community.id })
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    for (const { token } of [communityAdmin, groupAdmin]) {
      for (const telegramChatId of [chatId, null]) {
        const refused = await call('PATCH', `/api/groups/${group.id}`, {
          token,
          body: { telegramChatId },
        })
        expectProblem(refused, 403, 'forbidden')
      }
      // The group's own fields stay theirs to change.
      const renamed = await call('PATCH', `/api/groups/${group.id}`, {
        token,
        body: { topic: 'Still ours' },
      })
      expect(renamed.status, renamed.text).toBe(200)
    }
    const [row] = await query<{ telegram_chat_id: number | null }>(
      'select telegram_chat_id from groups where id = ?',
      group.id,
    )
    expect(row!.telegram_chat_id).toBeNull()
    const linked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
  })

  it('keeps one chat to one group', async () => {
    const community = await createCommunity()
    const first = await createGroup(community.id)
    const second = await createGroup(community.id)
    const chatId = await knownChat(1)
    const ok = await call('PATCH', `/api/groups/${first.id}`, { body: { telegramChatId: chatId } })
    expect(ok.status, ok.text).toBe(200)
    const taken = await call('PATCH', `/api/groups/${second.id}`, {
      body: { telegramChatId: chatId },
    })
    expectProblem(taken, 409, 'telegram_chat_taken')
  })
})
