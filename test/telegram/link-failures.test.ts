import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { eq } from 'drizzle-orm'
import { telegramInviteLinks } from '../../src/db/schema'
import { loadConfig, telegramConfig } from '../../src/lib/config'
import { makeTelegramLink } from '../../src/platforms/telegram/invite-links'
import { call, createInvite, eventually, query, runCron } from '../worker/helpers'
import { botStatusUpdate, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'
import { page, signIn } from '../worker/dashboard-helpers'

const fake = inject('fakeServicesUrl')
const HOUR = 3_600_000

/** How often the Worker asked Telegram to make a link in this chat. */
async function triesIn(chatId: number): Promise<number> {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests.filter(
    (r) => r.path.endsWith('/createChatInviteLink') && JSON.parse(r.body).chat_id === chatId,
  ).length
}

/** An admin takes the bot's right to invite users in the chat, or gives it back. */
async function setInviteRight(chatId: number, canInvite: boolean) {
  const answer = await fetch(`${fake}/telegram/__rights`, {
    method: 'POST',
    body: JSON.stringify({ chatId, canInvite }),
  })
  expect(answer.status).toBe(200)
}

/** A link on a chat where the bot lost its right to invite, tried until Telegram's refusals stop it. */
async function failedLink() {
  const world = await telegramCommunity()
  await setInviteRight(world.chatId, false)
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'No' })
  await eventually(async () => expect(await triesIn(world.chatId)).toBe(1))
  // Each cron run an hour later finds the next try due (the backoff never waits longer).
  let at = Date.now()
  for (let run = 0; run < 8; run++) await runCron((at += HOUR))
  return { ...world, invite, at }
}

describe('a Telegram link Telegram keeps refusing', () => {
  it('stops after a bounded number of tries, marked failed with Telegram’s reason', async () => {
    const { chatId, invite, at } = await failedLink()
    expect(await triesIn(chatId)).toBe(6)
    const shown = await call('GET', `/api/invites/${invite.id}`)
    expect(shown.json).toMatchObject({
      telegramLinkStatus: 'failed',
      chatInviteUrl: null,
      telegramLinkError: '400: Bad Request: not enough rights to manage chat invite link',
    })
    // The admin reads it on the link's page, with what fixes it.
    const { cookie } = await signIn()
    const linkPage = await page(`/admin/links/${invite.id}?lang=en`, cookie)
    expect(linkPage.text).toContain('Telegram refuses the link. Check the bot’s rights in the chat')
    expect(linkPage.text).toContain('not enough rights to manage chat invite link')
    // And in the links table, beside the link, without a promise that it is coming.
    const overview = await page(`/admin/communities/${invite.communityId}?lang=en`, cookie)
    expect(overview.text).toContain('Refused by Telegram')
    expect(overview.text).not.toContain('Telegram link pending')
    // Hourly forever is what it must not do.
    await runCron(at + 24 * HOUR)
    expect(await triesIn(chatId)).toBe(6)
  })

  it('is made once the bot has its rights back (my_chat_member)', async () => {
    const { chatId, invite, at } = await failedLink()
    await setInviteRight(chatId, true)
    await postUpdate(botStatusUpdate(chatId, 'administrator', { canInvite: true }))
    // Once the update is applied, the link is due again at once.
    await eventually(async () =>
      expect((await call('GET', `/api/invites/${invite.id}`)).json.telegramLinkStatus).toBe(
        'pending',
      ),
    )
    await runCron(at + HOUR)
    expect(await withTelegramLink(invite.id)).toMatch(/^https:\/\/t\.me\/\+/)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.telegramLinkError).toBeNull()
  })

  it('is made once an admin links the group to the chat again', async () => {
    const { chatId, group, invite, at } = await failedLink()
    await setInviteRight(chatId, true)
    const relinked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(relinked.status, relinked.text).toBe(200)
    expect((await call('GET', `/api/invites/${invite.id}`)).json.telegramLinkStatus).toBe('pending')
    await runCron(at + HOUR)
    expect(await withTelegramLink(invite.id)).toMatch(/^https:\/\/t\.me\/\+/)
  })
})

describe('a Telegram link made twice at once', () => {
  it('keeps the one saved first and revokes the other at Telegram', async () => {
    const world = await telegramCommunity()
    const invite = await createInvite(world.community.id, { groupId: world.group.id })
    const saved = await withTelegramLink(invite.id)
    // A maker that read the link while it still waited (the cron job, say) and asks Telegram
    // after the first one saved it.
    const db = createDb(env.DB)
    const row = await db.query.telegramInviteLinks.findFirst({
      where: eq(telegramInviteLinks.inviteId, invite.id),
    })
    const waiting = { ...row!, status: 'pending' as const, url: null, attempts: 0 }
    const outcome = await makeTelegramLink(
      db,
      telegramConfig(loadConfig(env))!,
      waiting,
      new Date(),
    )
    expect(outcome).toBe('made elsewhere')
    const requests = (await (
      await fetch(`${fake}/__requests?path=/telegram/bot`)
    ).json()) as Array<{
      path: string
      body: string
    }>
    const made = requests.filter(
      (r) =>
        r.path.endsWith('/createChatInviteLink') && JSON.parse(r.body).chat_id === world.chatId,
    )
    expect(made).toHaveLength(2)
    const revoked = requests.filter(
      (r) =>
        r.path.endsWith('/revokeChatInviteLink') && JSON.parse(r.body).chat_id === world.chatId,
    )
    expect(revoked).toHaveLength(1)
    expect(JSON.parse(revoked[0]!.body).invite_link).not.toBe(saved)
    // The link people were given stays the one on record.
    expect((await call('GET', `/api/invites/${invite.id}`)).json.chatInviteUrl).toBe(saved)
  })
})

describe('a Telegram link made after its row was retired', () => {
  it('is kept on its row for the cron job to revoke while Telegram is busy', async () => {
    const world = await telegramCommunity()
    const invite = await createInvite(world.community.id, { groupId: world.group.id })
    await withTelegramLink(invite.id)
    // A maker that read the link while it still waited; meanwhile a change retired it (a
    // pending link retired is dropped: revoked, with no URL).
    await query(
      `update telegram_invite_links set status = 'revoked', url = null where invite_id = ?`,
      invite.id,
    )
    const db = createDb(env.DB)
    const row = await db.query.telegramInviteLinks.findFirst({
      where: eq(telegramInviteLinks.inviteId, invite.id),
    })
    const busy = (value: boolean) =>
      fetch(`${fake}/telegram/__revoke-busy`, {
        method: 'POST',
        body: JSON.stringify({ chatId: world.chatId, busy: value }),
      })
    await busy(true)
    const outcome = await makeTelegramLink(
      db,
      telegramConfig(loadConfig(env))!,
      { ...row!, status: 'pending', attempts: 0 },
      new Date(),
    )
    expect(outcome).toBe('made elsewhere')
    const [kept] = await query<{ status: string; url: string }>(
      'select status, url from telegram_invite_links where invite_id = ?',
      invite.id,
    )
    expect(kept).toMatchObject({
      status: 'revoking',
      url: expect.stringMatching(/^https:\/\/t\.me\/\+/),
    })
    await busy(false)
    await eventually(async () => {
      await runCron(Date.now() + 2000)
      const requests = (await (
        await fetch(`${fake}/__requests?path=/telegram/bot`)
      ).json()) as Array<{ path: string; body: string; status?: number }>
      const revoked = requests
        .filter((r) => r.path.endsWith('/revokeChatInviteLink'))
        .map((r) => JSON.parse(r.body).invite_link)
      expect(revoked.filter((url) => url === kept!.url).length).toBeGreaterThanOrEqual(2)
      const [after] = await query<{ status: string }>(
        'select status from telegram_invite_links where invite_id = ?',
        invite.id,
      )
      expect(after!.status).toBe('revoked')
    })
  })
})

describe('a Telegram link of a deleted community', () => {
  it('waits for the cron job to revoke it while Telegram is busy, and is forgotten once revoked', async () => {
    const world = await telegramCommunity()
    const invite = await createInvite(world.community.id, { groupId: world.group.id })
    const url = await withTelegramLink(invite.id)
    const busy = (value: boolean) =>
      fetch(`${fake}/telegram/__revoke-busy`, {
        method: 'POST',
        body: JSON.stringify({ chatId: world.chatId, busy: value }),
      })
    await busy(true)
    const deleted = await call('DELETE', `/api/communities/${world.community.id}`)
    expect(deleted.status, deleted.text).toBe(204)
    await runCron(Date.now())
    const [waiting] = await query<{ attempts: number; last_error: string }>(
      'select attempts, last_error from telegram_link_revocations where url = ?',
      url,
    )
    expect(waiting).toMatchObject({
      attempts: 1,
      last_error: expect.stringMatching(/rate limited/),
    })
    await busy(false)
    await eventually(async () => {
      await runCron(Date.now() + 3_600_000)
      expect(await query('select 1 from telegram_link_revocations where url = ?', url)).toEqual([])
    })
  })
})
