import { describe, expect, inject, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
  query,
  runCron,
  visit,
} from '../worker/helpers'
import { adminChat, telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')

/** What the Worker asked the Bot API stand-in, for one method. */
async function botCalls(method: string) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith(`/${method}`))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
}

describe('a Telegram invite link per campaign link', () => {
  it('is made by Telegram when our link is made, named after it, and shown on the link', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, {
      groupId: group.id,
      label: 'Flyer Kiez',
      maxUses: 50,
    })
    expect((created as Record<string, unknown>).telegramLinkStatus).toBeDefined()
    const url = await withTelegramLink(created.id)
    expect(url).toMatch(/^https:\/\/t\.me\/\+/)
    // The landing page's Join button leads into the chat through it (once the cache has it).
    await eventually(async () => {
      const landing = await visit(`/i/${created.code}`)
      expect(landing.text).toContain(`href="${url}"`)
    })
    const asked = (await botCalls('createChatInviteLink')).find((p) => p.chat_id === chatId)
    expect(asked).toMatchObject({
      name: 'Flyer Kiez',
      member_limit: 50,
      creates_join_request: false,
    })
  })

  it('is made for each of several links made at once, by the next cron run', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const made = await call('POST', `/api/communities/${community.id}/invites/bulk`, {
      body: {
        links: [
          { groupId: group.id, label: 'Poster Mitte' },
          { groupId: group.id, label: 'Poster Wedding', maxUses: 20 },
          // Into the announcement group, as a link without a group leads.
          { label: 'Poster Pankow' },
        ],
      },
    })
    expect(made.status, made.text).toBe(201)
    const links = made.json.data as Array<{ id: string; code: string; telegramLinkStatus: string }>
    expect(links.slice(0, 2).map((link) => link.telegramLinkStatus)).toEqual(['pending', 'pending'])
    await runCron(Date.now())
    const urls = [await withTelegramLink(links[0]!.id), await withTelegramLink(links[1]!.id)]
    expect(new Set(urls).size).toBe(2)
    await eventually(async () => {
      expect((await visit(`/i/${links[1]!.code}`)).text).toContain(`href="${urls[1]}"`)
    })
    const asked = (await botCalls('createChatInviteLink')).filter((p) => p.chat_id === chatId)
    expect(asked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Poster Mitte' }),
        expect.objectContaining({ name: 'Poster Wedding', member_limit: 20 }),
      ]),
    )
  })

  it('asks for join requests in a closed community', async () => {
    const { community, group, chatId } = await telegramCommunity('closed')
    const created = await createInvite(community.id, { groupId: group.id, label: 'Closed' })
    await withTelegramLink(created.id)
    const asked = (await botCalls('createChatInviteLink')).find((p) => p.chat_id === chatId)
    expect(asked).toMatchObject({ creates_join_request: true })
    expect(asked).not.toHaveProperty('member_limit')
  })

  it('shows each link’s Telegram link on a full page of 100 links', async () => {
    const { community, group } = await telegramCommunity()
    for (let i = 0; i < 100; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          createInvite(community.id, { groupId: group.id, label: `Page ${i + j}` }),
        ),
      )
    }
    const page = await call('GET', `/api/communities/${community.id}/invites?limit=100`)
    expect(page.status, page.text).toBe(200)
    expect(page.json.data).toHaveLength(100)
    for (const invite of page.json.data) expect(invite.telegramLinkStatus).toBeDefined()
  })

  it('shows "pending" while Telegram asks us to wait, and the cron job makes it when allowed', async () => {
    // The stand-in answers the first createChatInviteLink of a chat ending in 7 with 429.
    const { community, group } = await telegramCommunity('open', 7)
    const created = await createInvite(community.id, { groupId: group.id, label: 'Busy' })
    const pending = await eventually(async () => {
      const invite = await call('GET', `/api/invites/${created.id}`)
      expect(invite.json.telegramLinkStatus).toBe('pending')
      // The first try is over: Telegram's retry_after is recorded as when to try again.
      const rows = await fetch(`${fake}/__requests?path=/telegram/bot`).then((r) => r.json())
      expect((rows as Array<{ body: string }>).some((r) => r.body.includes('"name":"Busy"'))).toBe(
        true,
      )
      return invite.json
    })
    expect(pending.chatInviteUrl).toBeNull()
    // Telegram said retry after 1 s; the cron job a minute later tries again.
    await eventually(async () => {
      await runCron(Date.now() + 61_000)
      expect(await withTelegramLink(created.id)).toMatch(/^https:\/\/t\.me\/\+/)
    })
  })

  it('revokes Telegram’s link with ours, and replaces it when ours is rotated', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Rotate me' })
    const first = await withTelegramLink(created.id)
    const rotated = await call('POST', `/api/invites/${created.id}/rotate`)
    expect(rotated.status, rotated.text).toBe(200)
    const second = await withTelegramLink(created.id)
    expect(second).not.toBe(first)
    await eventually(async () =>
      expect(
        (await botCalls('revokeChatInviteLink')).filter((p) => p.invite_link === first),
      ).toEqual([{ chat_id: chatId, invite_link: first }]),
    )
    const revoked = await call('POST', `/api/invites/${created.id}/revoke`)
    expect(revoked.json).not.toHaveProperty('chatInviteUrl')
    await eventually(async () =>
      expect((await botCalls('revokeChatInviteLink')).some((p) => p.invite_link === second)).toBe(
        true,
      ),
    )
  })
})

/** The link's Telegram link once the cron job made it (it makes 20 due ones a run). */
async function madeByCron(inviteId: string): Promise<string> {
  return eventually(async () => {
    await runCron(Date.now())
    const invite = await call('GET', `/api/invites/${inviteId}`)
    expect(invite.json.telegramLinkStatus, invite.text).toBe('active')
    return invite.json.chatInviteUrl as string
  })
}

/** Telegram was asked to revoke this link of the chat (the cron job does it). */
async function revokedAtTelegram(chatId: number, url: string) {
  await eventually(async () => {
    await runCron(Date.now())
    expect((await botCalls('revokeChatInviteLink')).filter((p) => p.invite_link === url)).toEqual([
      { chat_id: chatId, invite_link: url },
    ])
  })
}

async function announcementGroupOf(communityId: string): Promise<{ id: string }> {
  const groups = await call('GET', `/api/communities/${communityId}/groups`)
  return groups.json.data.find((g: { kind: string }) => g.kind === 'announcement')
}

async function linkChat(groupId: string, chatId: number | null) {
  const linked = await call('PATCH', `/api/groups/${groupId}`, { body: { telegramChatId: chatId } })
  expect(linked.status, linked.text).toBe(200)
}

describe('a group’s links follow its chat', () => {
  it('links made before the group was linked lead into the chat once it is', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const flyer = await createInvite(community.id, { groupId: group.id, label: 'Old flyer' })
    const general = await createInvite(community.id, { label: 'General' })
    const revoked = await createInvite(community.id, { groupId: group.id, label: 'Gone' })
    expect((await call('POST', `/api/invites/${revoked.id}/revoke`)).status).toBe(200)
    const chatId = await adminChat()
    await linkChat(group.id, chatId)
    const url = await madeByCron(flyer.id)
    await eventually(async () =>
      expect((await visit(`/i/${flyer.code}`)).text).toContain(`href="${url}"`),
    )
    expect((await botCalls('createChatInviteLink')).filter((p) => p.name === 'Old flyer')).toEqual([
      expect.objectContaining({ chat_id: chatId }),
    ])
    // A link without a group leads into the announcement group, which is not on Telegram; a
    // revoked link leads nowhere.
    expect((await call('GET', `/api/invites/${general.id}`)).json).not.toHaveProperty(
      'telegramLinkStatus',
    )
    expect((await call('GET', `/api/invites/${revoked.id}`)).json).not.toHaveProperty(
      'telegramLinkStatus',
    )
    // Linking the announcement group brings the links without a group along.
    const announcement = await announcementGroupOf(community.id)
    await linkChat(announcement.id, await adminChat())
    await madeByCron(general.id)
  })

  it('unlinking retires them: the landing page no longer leads into the chat, and Telegram revokes them', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Unlinked' })
    const url = await withTelegramLink(created.id)
    await linkChat(group.id, null)
    expect((await call('GET', `/api/invites/${created.id}`)).json).not.toHaveProperty(
      'chatInviteUrl',
    )
    await eventually(async () =>
      expect((await visit(`/i/${created.code}`)).text).not.toContain(url),
    )
    await revokedAtTelegram(chatId, url)
  })

  it('linking another chat moves them: new Telegram links into it, the old ones revoked', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Moved' })
    const first = await withTelegramLink(created.id)
    const next = await adminChat()
    await linkChat(group.id, next)
    const second = await madeByCron(created.id)
    expect(second).not.toBe(first)
    expect(
      (await botCalls('createChatInviteLink'))
        .filter((p) => p.name === 'Moved')
        .map((p) => p.chat_id),
    ).toEqual([chatId, next])
    await revokedAtTelegram(chatId, first)
    // Linking the same chat again changes nothing.
    await linkChat(group.id, next)
    expect((await call('GET', `/api/invites/${created.id}`)).json.chatInviteUrl).toBe(second)
  })

  it('closing the community replaces its Telegram links by ones that make join requests, and opening it again by ones that do not', async () => {
    const { community, group, chatId } = await telegramCommunity('open')
    const created = await createInvite(community.id, { groupId: group.id, label: 'Gate' })
    const open = await withTelegramLink(created.id)
    const asked = async () =>
      (await botCalls('createChatInviteLink'))
        .filter((p) => p.name === 'Gate')
        .map((p) => p.creates_join_request)
    const visibility = async (value: 'open' | 'closed') => {
      const changed = await call('PATCH', `/api/communities/${community.id}`, {
        body: { visibility: value },
      })
      expect(changed.status, changed.text).toBe(200)
    }
    await visibility('closed')
    const closed = await madeByCron(created.id)
    expect(closed).not.toBe(open)
    expect(await asked()).toEqual([false, true])
    await revokedAtTelegram(chatId, open)
    await visibility('open')
    expect(await madeByCron(created.id)).not.toBe(closed)
    expect(await asked()).toEqual([false, true, false])
    await revokedAtTelegram(chatId, closed)
  })

  it('a link whose uses, expiry or group change gets a Telegram link that carries them', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, {
      groupId: group.id,
      label: 'Limits',
      maxUses: 50,
    })
    const first = await withTelegramLink(created.id)
    /** The link as the API shows it after the change. */
    const edit = async (body: Record<string, unknown>) => {
      const edited = await call('PATCH', `/api/invites/${created.id}`, { body })
      expect(edited.status, edited.text).toBe(200)
      return (await call('GET', `/api/invites/${created.id}`)).json
    }
    // A new label changes nothing at Telegram, nor does a limit refused.
    expect((await edit({ label: 'Limits' })).chatInviteUrl).toBe(first)
    await query('update invites set uses = 10 where id = ?', created.id)
    const refused = await call('PATCH', `/api/invites/${created.id}`, { body: { maxUses: 5 } })
    expect(refused.status, refused.text).toBe(409)
    expect((await call('GET', `/api/invites/${created.id}`)).json.chatInviteUrl).toBe(first)
    const expiresAt = new Date(Date.now() + 7 * 86_400_000)
    await edit({ maxUses: 500, expiresAt: expiresAt.toISOString() })
    const second = await madeByCron(created.id)
    expect(second).not.toBe(first)
    expect(
      (await botCalls('createChatInviteLink'))
        .filter((p) => p.name === 'Limits')
        .map((p) => [p.member_limit, p.expire_date]),
    ).toEqual([
      [50, undefined],
      [490, Math.floor(expiresAt.getTime() / 1000)],
    ])
    await revokedAtTelegram(chatId, first)
    // Moved to a group on WhatsApp: no Telegram link any more.
    const whatsapp = await createGroup(community.id)
    expect(await edit({ groupId: whatsapp.id })).not.toHaveProperty('telegramLinkStatus')
    await revokedAtTelegram(chatId, second)
  })

  it('in a closed community a change of uses alone keeps the Telegram link: it takes no member limit there', async () => {
    const { community, group } = await telegramCommunity('closed')
    const created = await createInvite(community.id, {
      groupId: group.id,
      label: 'Closed limits',
      maxUses: 50,
    })
    const first = await withTelegramLink(created.id)
    const edit = async (body: Record<string, unknown>) => {
      const edited = await call('PATCH', `/api/invites/${created.id}`, { body })
      expect(edited.status, edited.text).toBe(200)
    }
    await edit({ maxUses: 500 })
    await runCron(Date.now())
    expect((await call('GET', `/api/invites/${created.id}`)).json).toMatchObject({
      telegramLinkStatus: 'active',
      chatInviteUrl: first,
    })
    expect((await botCalls('revokeChatInviteLink')).filter((p) => p.invite_link === first)).toEqual(
      [],
    )
    // An expiry is something Telegram keeps: that change still replaces it.
    await edit({ maxUses: 100, expiresAt: new Date(Date.now() + 86_400_000).toISOString() })
    expect(await madeByCron(created.id)).not.toBe(first)
  })

  it('archiving a link revokes its Telegram link, and restoring it makes a new one', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Shelved' })
    const first = await withTelegramLink(created.id)
    const archived = await call('POST', `/api/invites/${created.id}/archive`)
    expect(archived.status, archived.text).toBe(200)
    expect((await call('GET', `/api/invites/${created.id}`)).json).not.toHaveProperty(
      'chatInviteUrl',
    )
    await revokedAtTelegram(chatId, first)
    // Rotated while archived, it still gets none.
    const rotated = await call('POST', `/api/invites/${created.id}/rotate`)
    expect(rotated.status, rotated.text).toBe(200)
    expect(rotated.json).not.toHaveProperty('telegramLinkStatus')
    const restored = await call('POST', `/api/invites/${created.id}/restore`)
    expect(restored.status, restored.text).toBe(200)
    expect(await madeByCron(created.id)).not.toBe(first)
  })

  it('deleting the community revokes its links’ Telegram links, which would otherwise let anyone into the chat for good', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Doomed' })
    const url = await withTelegramLink(created.id)
    const deleted = await call('DELETE', `/api/communities/${community.id}`)
    expect(deleted.status, deleted.text).toBe(204)
    await revokedAtTelegram(chatId, url)
    expect(await query('select * from telegram_link_revocations where url = ?', url)).toEqual([])
  })

  it('deleting the group moves its links to the announcement group, out of the old chat and into its chat', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const created = await createInvite(community.id, { groupId: group.id, label: 'Orphan' })
    const first = await withTelegramLink(created.id)
    const announcement = await announcementGroupOf(community.id)
    const announcementChat = await adminChat()
    await linkChat(announcement.id, announcementChat)
    const deleted = await call('DELETE', `/api/groups/${group.id}`)
    expect(deleted.status, deleted.text).toBe(204)
    const second = await madeByCron(created.id)
    expect(second).not.toBe(first)
    expect(
      (await botCalls('createChatInviteLink'))
        .filter((p) => p.name === 'Orphan')
        .map((p) => p.chat_id),
    ).toEqual([chatId, announcementChat])
    await revokedAtTelegram(chatId, first)
  })
})
