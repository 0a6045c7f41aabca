import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { idPattern } from '../../src/lib/ids'
import { createCommunity, createGroup, createInvite, query } from '../worker/helpers'
import { adminChat, telegramCommunity, withTelegramLink } from './support'

/**
 * Migration 0031: before a group's links followed its chat, unlinking left their Telegram links
 * into the old chat live, links made before the group was linked never got one, and closing a
 * community left its links' Telegram links letting people in unasked. A file of
 * its own: the migration runs over every row of the database, and storage is shared only
 * within a file.
 */

async function runMigration() {
  const migration = env.TEST_MIGRATIONS.find(
    (m) => m.name === '0031_telegram_links_follow_chat.sql',
  )!
  // Its statements after the index, which the tests' database has already.
  const data = migration.queries.filter((sql) => !sql.startsWith('CREATE INDEX'))
  expect(data).toHaveLength(2)
  await env.DB.batch(data.map((sql) => env.DB.prepare(sql)))
}

const linksOf = (inviteId: string) =>
  query<{ id: string; status: string; chat_id: number; next_attempt_at: number | null }>(
    `select id, status, chat_id, next_attempt_at, creates_join_request from telegram_invite_links
     where invite_id = ? order by status = 'pending', id`,
    inviteId,
  )

describe('migration 0031: links follow their group’s chat', () => {
  it('retires Telegram links into a chat their group left, made for another visibility or of archived links, and plans them where a live link on a linked group has none', async () => {
    // Unlinked the old way: the group's chat cleared, its link's Telegram link left live.
    const left = await telegramCommunity()
    const stale = await createInvite(left.community.id, { groupId: left.group.id })
    await withTelegramLink(stale.id)
    await query('update groups set telegram_chat_id = null where id = ?', left.group.id)
    // Linked the old way, after its link was made: no Telegram link for it.
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const before = await createInvite(community.id, { groupId: group.id })
    const revoked = await createInvite(community.id, { groupId: group.id })
    await query('update invites set revoked_at = ? where id = ?', Date.now(), revoked.id)
    const chatId = await adminChat()
    await query('update groups set telegram_chat_id = ? where id = ?', chatId, group.id)
    // Closed the old way, after its link was made: its Telegram link lets people in unasked.
    const closed = await telegramCommunity()
    const unasked = await createInvite(closed.community.id, { groupId: closed.group.id })
    await withTelegramLink(unasked.id)
    await query(`update communities set visibility = 'closed' where id = ?`, closed.community.id)
    // Linked and made as it should be: left alone.
    const healthy = await telegramCommunity()
    const fine = await createInvite(healthy.community.id, { groupId: healthy.group.id })
    await withTelegramLink(fine.id)
    // Archived the old way: its Telegram link still lets people in.
    const shelved = await createInvite(healthy.community.id, { groupId: healthy.group.id })
    await withTelegramLink(shelved.id)
    await query('update invites set archived_at = ? where id = ?', Date.now(), shelved.id)

    const started = Date.now()
    await runMigration()
    const [retired] = await linksOf(stale.id)
    expect(retired).toMatchObject({ status: 'revoking', chat_id: left.chatId })
    expect(retired!.next_attempt_at).toBeGreaterThanOrEqual(started - 1000)
    const [planned] = await linksOf(before.id)
    expect(planned).toMatchObject({ status: 'pending', chat_id: chatId })
    expect(planned!.id).toMatch(idPattern('tgl'))
    expect(await linksOf(revoked.id)).toEqual([])
    expect(await linksOf(unasked.id)).toEqual([
      expect.objectContaining({ status: 'revoking', creates_join_request: 0 }),
      expect.objectContaining({ status: 'pending', creates_join_request: 1 }),
    ])
    expect(await linksOf(fine.id)).toEqual([expect.objectContaining({ status: 'active' })])
    expect(await linksOf(shelved.id)).toEqual([expect.objectContaining({ status: 'revoking' })])
  })
})
