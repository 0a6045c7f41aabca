import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig, telegramConfig } from '../../src/lib/config'
import { applyTelegramUpdate } from '../../src/platforms/telegram/apply'
import { BatchReads } from '../../src/platforms/telegram/batch-reads'
import { updateItem } from '../../src/platforms/telegram/updates'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  runCron,
  visit,
} from '../worker/helpers'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { adminChat, telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')
const DAY = 86_400

/** What the Worker asked the Bot API stand-in to make, in one chat. */
async function linksAskedFor(chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith('/createChatInviteLink'))
    .map((r) => JSON.parse(r.body) as { chat_id: number; name?: string })
    .filter((body) => body.chat_id === chatId)
}

/** The links the Worker asked Telegram to revoke in one chat. */
async function revokedIn(chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith('/revokeChatInviteLink'))
    .map((r) => JSON.parse(r.body) as { chat_id: number; invite_link: string })
    .filter((body) => body.chat_id === chatId)
    .map((body) => body.invite_link)
}

async function members(communityId: string): Promise<Array<Record<string, any>>> {
  const page = await call('GET', `/api/communities/${communityId}/members?limit=100`)
  expect(page.status, page.text).toBe(200)
  return page.json.data
}

/** A member who joined through a campaign link, once the API shows them. */
async function joinedMember(
  chatId: number,
  communityId: string,
  url: string,
  name: string,
  date?: number,
) {
  const person = newUser(name)
  await postUpdate(memberUpdate(chatId, person, 'joined', { inviteLink: url, date }))
  const member = await eventually(async () => {
    const found = (await members(communityId)).find((m) => m.telegram?.userId === person.id)
    expect(found).toBeDefined()
    return found!
  })
  return { person, member }
}

/** The member's own referral link, with the Telegram link made for it. */
async function referralLinkOf(communityId: string, memberId: string) {
  const invite = await eventually(async () => {
    const list = await call('GET', `/api/communities/${communityId}/invites?limit=100`)
    const found = list.json.data.find((i: any) => i.referrerMemberId === memberId)
    expect(found).toBeDefined()
    return found
  })
  return { invite, url: await withTelegramLink(invite.id) }
}

async function world() {
  const base = await telegramCommunity()
  const campaign = await createInvite(base.community.id, { groupId: base.group.id, label: 'Stage' })
  return { ...base, campaignUrl: await withTelegramLink(campaign.id) }
}

/** A community with a reward for one referral, and Mia, a member with her referral link. */
async function referrerWithReward() {
  const base = await world()
  const rule = await call('POST', `/api/communities/${base.community.id}/reward-rules`, {
    body: { threshold: 1, title: 'Sticker' },
  })
  expect(rule.status, rule.text).toBe(201)
  const { member: mia } = await joinedMember(
    base.chatId,
    base.community.id,
    base.campaignUrl,
    'Mia',
  )
  const { url } = await referralLinkOf(base.community.id, mia.id)
  return { ...base, mia, url }
}

describe('referrals on Telegram', () => {
  it('give each member a Telegram link of their own, named after them, made ahead of need', async () => {
    const { chatId, community, group, campaignUrl } = await world()
    const { member } = await joinedMember(chatId, community.id, campaignUrl, 'Mia')
    const { invite, url } = await referralLinkOf(community.id, member.id)
    expect(url).toMatch(/^https:\/\/t\.me\/\+/)
    expect(invite.groupId).toBe(group.id)
    expect((await linksAskedFor(chatId)).map((body) => body.name)).toContain('Mia (referral)')
    // Her link's landing page leads into the chat through her own Telegram link.
    await eventually(async () => {
      const landing = await visit(`/i/${invite.code}`)
      expect(landing.text).toContain(`href="${url}"`)
    })
  })

  it('go with the member: revoked at Telegram when they leave the chat or an admin removes them', async () => {
    const { chatId, community, campaignUrl } = await world()
    const leaver = await joinedMember(chatId, community.id, campaignUrl, 'Leaver')
    const removed = await joinedMember(chatId, community.id, campaignUrl, 'Removed')
    const leaverLink = await referralLinkOf(community.id, leaver.member.id)
    const removedLink = await referralLinkOf(community.id, removed.member.id)
    await postUpdate(memberUpdate(chatId, leaver.person, 'left'))
    const gone = await call('DELETE', `/api/members/${removed.member.id}`)
    expect(gone.status, gone.text).toBe(204)
    await eventually(async () => {
      await runCron(Date.now())
      expect(await revokedIn(chatId)).toEqual(
        expect.arrayContaining([leaverLink.url, removedLink.url]),
      )
    })
  })

  it('give a member who joined on the web a Telegram link too, when the announcement group is on Telegram', async () => {
    const community = await createCommunity()
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    const announcement = groups.json.data.find((g: any) => g.kind === 'announcement')
    // Someone joined through the link before the group moved to Telegram.
    const invite = await createInvite(community.id, { label: 'Web' })
    const early = await joinJson(invite.code, { name: 'Early Person', phone: newPhone() })
    expect(early.status, early.text).toBeLessThan(300)
    const chatId = await adminChat()
    const linked = await call('PATCH', `/api/groups/${announcement.id}`, {
      body: { telegramChatId: chatId },
    })
    expect(linked.status, linked.text).toBe(200)
    const joined = await joinJson(invite.code, { name: 'Web Person', phone: newPhone() })
    expect(joined.status, joined.text).toBeLessThan(300)
    const member = await eventually(async () => {
      const found = (await members(community.id)).find((m) => m.name === 'Web Person')
      expect(found).toBeDefined()
      return found!
    })
    const referral = await eventually(async () => {
      const list = await call('GET', `/api/communities/${community.id}/invites?limit=100`)
      const found = list.json.data.find((i: any) => i.referrerMemberId === member.id)
      expect(found).toBeDefined()
      return found
    })
    // Planned with the join, made by the cron job.
    await runCron(Date.now())
    expect(await withTelegramLink(referral.id)).toMatch(/^https:\/\/t\.me\/\+/)
    // From now on only Telegram's report credits her: a sign-up on the web through the code
    // does not.
    const friend = await joinJson(referral.code, { name: 'Web Friend', phone: newPhone() })
    expect(friend.status, friend.text).toBeLessThan(300)
    const after = await members(community.id)
    expect(after.find((m) => m.name === 'Web Friend')).toMatchObject({ referredByMemberId: null })
    expect(after.find((m) => m.id === member.id)!.referralCount).toBe(0)
  })

  it('credit the referrer only when Telegram reports the join through their link', async () => {
    const { chatId, community, campaignUrl, mia, url } = await referrerWithReward()
    // Someone joining by the campaign link is no referral of hers.
    await joinedMember(chatId, community.id, campaignUrl, 'Walk-in')
    expect((await members(community.id)).find((m) => m.id === mia.id)!.referralCount).toBe(0)
    const { member: friend } = await joinedMember(chatId, community.id, url, 'Friend')
    expect(friend.referredByMemberId).toBe(mia.id)
    expect((await members(community.id)).find((m) => m.id === mia.id)!.referralCount).toBe(1)
    const rewards = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(rewards.json.data).toEqual([
      expect.objectContaining({ memberId: mia.id, title: 'Sticker' }),
    ])
  })

  it('grant nothing by a rule retired before the join, yet credit the referral', async () => {
    const { chatId, community, mia, url } = await referrerWithReward()
    const [rule] = (await call('GET', `/api/communities/${community.id}/reward-rules`)).json.data
    const retired = await call('DELETE', `/api/communities/${community.id}/reward-rules/${rule.id}`)
    expect(retired.status).toBe(204)
    await joinedMember(chatId, community.id, url, 'Friend')
    expect((await members(community.id)).find((m) => m.id === mia.id)!.referralCount).toBe(1)
    expect((await call('GET', `/api/communities/${community.id}/rewards`)).json.data).toEqual([])
  })

  it('credit and reward a referral once, even for a copy of its join another consumer let through', async () => {
    const { chatId, community, mia, url } = await referrerWithReward()
    const friend = newUser('Friend')
    const join = memberUpdate(chatId, friend, 'joined', { inviteLink: url })
    await postUpdate(join)
    await eventually(async () =>
      expect((await members(community.id)).find((m) => m.id === mia.id)!.referralCount).toBe(1),
    )
    // A copy the consumer's read-ahead did not see as applied (another consumer recorded it in
    // between) is stopped by the statements' own conditions.
    const telegram = telegramConfig(loadConfig(env))!
    const db = createDb(env.DB)
    await applyTelegramUpdate(
      db,
      telegram,
      updateItem(join)!,
      new Date(),
      new BatchReads(db.$client),
    )
    const after = await members(community.id)
    expect(after.filter((m) => m.telegram?.userId === friend.id)).toHaveLength(1)
    expect(after.find((m) => m.id === mia.id)!.referralCount).toBe(1)
    expect((await call('GET', `/api/communities/${community.id}/rewards`)).json.data).toHaveLength(
      1,
    )
    expect(
      await query(
        "select id from events where type = 'reward.earned' and community_id = ?",
        community.id,
      ),
    ).toHaveLength(1)
  })

  it('reward after the retention period only for referred members still in the chat', async () => {
    const { chatId, community, campaignUrl } = await world()
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 2, title: 'Shirt', minRetentionDays: 7 },
    })
    expect(rule.status, rule.text).toBe(201)
    const now = Math.floor(Date.now() / 1000)
    const { member: ref } = await joinedMember(
      chatId,
      community.id,
      campaignUrl,
      'Ref',
      now - 20 * DAY,
    )
    const { url } = await referralLinkOf(community.id, ref.id)
    const one = await joinedMember(chatId, community.id, url, 'Stays', now - 10 * DAY)
    const two = await joinedMember(chatId, community.id, url, 'Goes', now - 10 * DAY)
    expect([one.member.referredByMemberId, two.member.referredByMemberId]).toEqual([ref.id, ref.id])
    await postUpdate(memberUpdate(chatId, two.person, 'left', { date: now - 5 * DAY }))
    await eventually(async () =>
      expect((await members(community.id)).find((m) => m.id === two.member.id)!.status).toBe(
        'left',
      ),
    )
    // The job runs hourly: on the hour.
    const onTheHour = Math.ceil(Date.now() / 3_600_000) * 3_600_000
    await runCron(onTheHour)
    const none = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(none.json.data).toEqual([])
    // A second referred member who stayed: now there are two still in the chat.
    await joinedMember(chatId, community.id, url, 'Also stays', now - 9 * DAY)
    await runCron(onTheHour + 3_600_000)
    const earned = await call('GET', `/api/communities/${community.id}/rewards`)
    expect(earned.json.data).toEqual([
      expect.objectContaining({ memberId: ref.id, title: 'Shirt' }),
    ])
  })
})
