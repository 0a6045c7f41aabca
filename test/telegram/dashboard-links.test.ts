import { describe, expect, inject, it } from 'vitest'
import { call, eventually } from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')

/** What the Worker asked the Bot API stand-in, for one method, in one chat. */
async function botCalls(method: string, chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith(`/${method}`))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((body) => body.chat_id === chatId)
}

describe('links made on the dashboard for a Telegram group', () => {
  it('get the chat’s own link, shown on their page, and lose it when revoked', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    const made = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrfOf(overview.text),
      label: 'Dashboard flyer',
      groupId: group.id,
    })
    expect(made.status, made.text).toBe(303)
    const inviteId = /\/admin\/links\/(inv_[a-z0-9]+)/.exec(made.headers.get('location')!)![1]!
    const url = await withTelegramLink(inviteId)
    const shown = await page(`/admin/links/${inviteId}`, cookie)
    expect(shown.text).toContain(`href="${url}"`)
    const revoked = await post(`/admin/links/${inviteId}/revoke`, cookie, {
      _csrf: csrfOf(shown.text),
    })
    expect(revoked.status).toBe(303)
    await eventually(async () =>
      expect((await botCalls('revokeChatInviteLink', chatId)).map((b) => b.invite_link)).toEqual([
        url,
      ]),
    )
  })

  it('a copy of a link on a Telegram group gets a Telegram link of its own (API)', async () => {
    const { community, group } = await telegramCommunity()
    const original = await call('POST', `/api/communities/${community.id}/invites`, {
      body: { label: 'Original', groupId: group.id, source: 'web' },
    })
    expect(original.status, original.text).toBe(201)
    const copy = await call('POST', `/api/invites/${original.json.id}/duplicate`, {
      body: { source: 'flyer' },
    })
    expect(copy.status, copy.text).toBe(201)
    expect(copy.json.telegramLinkStatus).toBeDefined()
    const urls = [await withTelegramLink(original.json.id), await withTelegramLink(copy.json.id)]
    expect(new Set(urls).size).toBe(2)
  })
})
