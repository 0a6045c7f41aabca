import { expect } from 'vitest'
import { call, createCommunity, createGroup, eventually, query } from '../worker/helpers'
import { botStatusUpdate, newChatId, postUpdate } from '../support/telegram-updates'

/** A chat the bot administers (its `my_chat_member` update applied). */
export async function adminChat(lastDigit: 1 | 7 = 1): Promise<number> {
  const chatId = newChatId(lastDigit)
  await postUpdate(botStatusUpdate(chatId, 'administrator'))
  await eventually(async () =>
    expect(await query('select 1 from telegram_chats where chat_id = ?', chatId)).toHaveLength(1),
  )
  return chatId
}

/** A community with a group on Telegram: linked to a chat the bot administers. */
export async function telegramCommunity(
  visibility: 'open' | 'closed' = 'open',
  lastDigit: 1 | 7 = 1,
) {
  const community = await createCommunity({ visibility })
  const group = await createGroup(community.id)
  const chatId = await adminChat(lastDigit)
  const linked = await call('PATCH', `/api/groups/${group.id}`, {
    body: { telegramChatId: chatId },
  })
  expect(linked.status, linked.text).toBe(200)
  return { community, group, chatId }
}

/** The invite as the API shows it, once Telegram made its chat invite link. */
export async function withTelegramLink(inviteId: string): Promise<string> {
  return eventually(async () => {
    const invite = await call('GET', `/api/invites/${inviteId}`)
    expect(invite.json.telegramLinkStatus, invite.text).toBe('active')
    return invite.json.chatInviteUrl as string
  })
}

/** Verified joins and leaves of a link, from its daily rollups. */
export async function verifiedOf(inviteId: string) {
  const [row] = await query<{ joins: number; leaves: number }>(
    `select coalesce(sum(verified_joins), 0) as joins, coalesce(sum(verified_leaves), 0) as leaves
     from invite_daily_stats where invite_id = ?`,
    inviteId,
  )
  return row!
}

/** Joins and leaves Telegram reported in a chat through no link of ours. */
export async function otherOf(chatId: number) {
  const [row] = await query<{ joins: number; leaves: number }>(
    `select coalesce(sum(verified_joins), 0) as joins, coalesce(sum(verified_leaves), 0) as leaves
     from telegram_chat_daily_stats where chat_id = ?`,
    chatId,
  )
  return row!
}
