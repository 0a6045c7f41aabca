import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createInvite, eventually, query } from '../worker/helpers'
import { joinRequestUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'

/**
 * Migration 0033: before a community's Telegram join requests ended with its group leaving the
 * chat, they stayed pending. A file of its own: the migration runs over every row of the
 * database, and storage is shared only within a file.
 */

async function runMigration() {
  const migration = env.TEST_MIGRATIONS.find(
    (m) => m.name === '0033_telegram_requests_follow_chat.sql',
  )!
  await env.DB.batch(migration.queries.map((sql) => env.DB.prepare(sql)))
}

/** A request to join the community's chat, waiting for its admins. */
async function waitingRequest(world: Awaited<ReturnType<typeof telegramCommunity>>) {
  const invite = await createInvite(world.community.id, { groupId: world.group.id })
  const url = await withTelegramLink(invite.id)
  await postUpdate(joinRequestUpdate(world.chatId, newUser('Waiting'), url))
  return eventually(async () => {
    const [row] = await query<{ id: string }>(
      `select id from telegram_join_requests where community_id = ? and status = 'pending'`,
      world.community.id,
    )
    expect(row).toBeDefined()
    return row!.id
  })
}

describe('migration 0033: join requests follow their group’s chat', () => {
  it('ends as gone the requests still waiting in a chat their community left, and leaves the others waiting', async () => {
    const left = await telegramCommunity('closed')
    const stale = await waitingRequest(left)
    // Unlinked the old way: the group's chat cleared, the request left waiting.
    await query('update groups set telegram_chat_id = null where id = ?', left.group.id)
    const followed = await telegramCommunity('closed')
    const current = await waitingRequest(followed)
    await runMigration()
    const statusOf = async (id: string) =>
      (
        await query<{ status: string; outcome: string | null; decided_at: number | null }>(
          'select status, outcome, decided_at from telegram_join_requests where id = ?',
          id,
        )
      )[0]
    expect(await statusOf(stale)).toMatchObject({
      status: 'gone',
      outcome: 'The group no longer follows this chat',
      decided_at: expect.any(Number),
    })
    expect(await statusOf(current)).toMatchObject({ status: 'pending', decided_at: null })
  })
})
