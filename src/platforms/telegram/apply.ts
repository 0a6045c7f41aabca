import { lt } from 'drizzle-orm'
import type { Database } from '../../db/client'
import { telegramUpdates, type TelegramBotStatus } from '../../db/schema'
import type { TelegramConfig } from '../../lib/config'
import type { ChatMemberUpdated, TelegramUpdateItem } from './updates'

/**
 * Applies one Telegram update, exactly once: its effects and its `update_id` are written in one
 * batch (a transaction), and each effect runs only while the id is not yet recorded, so a resent
 * or re-queued copy changes nothing, whatever the order they arrive in.
 */
export async function applyTelegramUpdate(
  db: Database,
  telegram: TelegramConfig,
  item: TelegramUpdateItem,
  now: Date,
): Promise<string> {
  const client = db.$client
  const seen = await client
    .prepare('select 1 from telegram_updates where update_id = ?1')
    .bind(item.updateId)
    .first()
  if (seen) return 'replayed'
  let effects: D1PreparedStatement[] = []
  let outcome = 'ignored'
  if (item.kind === 'my_chat_member') {
    effects = botStatusChange(client, telegram, item.updateId, item.update, now)
    outcome = effects.length > 0 ? 'chat updated' : 'ignored'
  }
  // The mark comes last: the effects before it still see the update as not applied.
  const mark = client
    .prepare(
      'insert into telegram_updates (update_id, received_at) values (?1, ?2) on conflict do nothing',
    )
    .bind(item.updateId, now.getTime())
  await client.batch([...effects, mark])
  return outcome
}

/**
 * An effect of an update runs only if that update has not been applied yet: every effect's
 * statement binds the update id as ?1 and ends its condition with this.
 */
const NOT_APPLIED = 'not exists (select 1 from telegram_updates where update_id = ?1)'

/**
 * The bot was added to a chat, promoted, given or denied rights, or removed: the chat becomes
 * known (or is updated) with the bot's standing there. A private chat (someone started or
 * blocked the bot) is no chat a group can be linked to.
 */
function botStatusChange(
  client: D1Database,
  telegram: TelegramConfig,
  updateId: number,
  update: ChatMemberUpdated,
  now: Date,
): D1PreparedStatement[] {
  const { chat, new_chat_member: standing } = update
  if (chat.type === 'private' || standing.user.id !== telegram.botId) return []
  const status: TelegramBotStatus = standing.status
  const creator = status === 'creator'
  const administrator = status === 'administrator'
  const canInvite = creator || (administrator && standing.can_invite_users === true)
  // In a group anyone present may post; in a channel only an administrator with the right.
  const canPost =
    chat.type === 'channel'
      ? creator || (administrator && standing.can_post_messages === true)
      : creator || administrator || status === 'member'
  const title = chat.title ?? chat.username ?? String(chat.id)
  const at = update.date * 1000
  return [
    client
      .prepare(
        `insert into telegram_chats (chat_id, type, title, username, bot_status, can_invite_users,
           can_post_messages, status_at, created_at)
         select ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
         where ${NOT_APPLIED}
         on conflict (chat_id) do update set type = excluded.type, title = excluded.title,
           username = excluded.username, bot_status = excluded.bot_status,
           can_invite_users = excluded.can_invite_users,
           can_post_messages = excluded.can_post_messages, status_at = excluded.status_at
         where excluded.status_at >= telegram_chats.status_at`,
      )
      .bind(
        updateId,
        chat.id,
        chat.type,
        title,
        chat.username ?? null,
        status,
        canInvite ? 1 : 0,
        canPost ? 1 : 0,
        at,
        now.getTime(),
      ),
  ]
}

/**
 * Forgets applied update ids after a week: Telegram keeps an unconfirmed update for 24 hours,
 * and our queue retries for less than a day, so no copy can arrive later.
 */
export async function pruneTelegramUpdates(db: Database, now: Date): Promise<void> {
  await db
    .delete(telegramUpdates)
    .where(lt(telegramUpdates.receivedAt, new Date(now.getTime() - 7 * 86400_000)))
}
