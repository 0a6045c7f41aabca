import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createInvite,
  eventually,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
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

/** An admin takes the bot's right to invite users in the chat, as in the chat's settings. */
async function takeInviteRight(chatId: number) {
  const answer = await fetch(`${fake}/telegram/__rights`, {
    method: 'POST',
    body: JSON.stringify({ chatId, canInvite: false }),
  })
  expect(answer.status).toBe(200)
}

/** The links table of a community's overview, as HTML. */
function linksTableOf(html: string): string {
  const start = html.indexOf('id="links"')
  expect(start, 'no links table').toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</table>', start))
}

/** The links table's row of the link labelled `label`, as HTML. */
function rowOf(html: string, label: string): string {
  const row = linksTableOf(html)
    .split('<tr>')
    .find((cells) => cells.includes(`<bdi>${label}</bdi>`))
  expect(row, `no row for ${label}`).toBeDefined()
  return row!
}

/** The D1 round trips of a dashboard page, as the Worker counts them when asked to. */
async function roundTrips(path: string, cookie: string): Promise<number> {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request(BASE + path, { headers: { cookie, accept: 'text/html' } }),
    { ...env, D1_ROUND_TRIP_HEADER: 'true' },
    ctx,
  )
  await response.arrayBuffer()
  await waitOnExecutionContext(ctx)
  expect(response.status).toBe(200)
  return Number(response.headers.get('x-d1-round-trips'))
}

describe('the links table of a community with a group on Telegram', () => {
  it('shows each link’s Telegram link to copy, or that it is pending, read with the page', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const made = await createInvite(community.id, { label: 'Bühne', groupId: group.id })
    const url = await withTelegramLink(made.id)
    // Then the bot loses its right to invite: Telegram refuses the next link, which waits.
    await takeInviteRight(chatId)
    const refused = await createInvite(community.id, { label: 'Flyer', groupId: group.id })
    await eventually(async () =>
      expect(await botCalls('createChatInviteLink', chatId)).toHaveLength(2),
    )
    expect((await call('GET', `/api/invites/${refused.id}`)).json).toMatchObject({
      telegramLinkStatus: 'pending',
      chatInviteUrl: null,
    })
    const whatsapp = await createGroup(community.id)
    await createInvite(community.id, { label: 'Chatgruppe', groupId: whatsapp.id })

    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}`
    const english = (await page(path, cookie)).text
    expect(english).toContain('<th>Telegram</th>')
    const shown = rowOf(english, 'Bühne')
    expect(shown).toContain(`<a href="${url}" class="code">${url}</a>`)
    expect(shown).toContain(`data-copy="${url}"`)
    expect(shown).not.toContain('Telegram link pending')
    expect(rowOf(english, 'Flyer')).toContain('Telegram link pending')
    expect(rowOf(english, 'Flyer')).not.toContain('t.me')
    expect(rowOf(english, 'Chatgruppe')).not.toMatch(/t\.me|Telegram link pending/)
    const german = await call('GET', path, {
      token: null,
      headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
    })
    expect(rowOf(german.text, 'Flyer')).toContain('Telegram-Link ausstehend')
    expect(rowOf(german.text, 'Bühne')).toContain(`data-copy="${url}"`)
    expect(englishLeftIn(readableText(linksTableOf(german.text)))).toEqual([])
    // Read in the pages' one batch: the session's round trip and the page's, as without Telegram.
    expect(await roundTrips(path, cookie)).toBe(2)
    expect(await roundTrips(`/admin/links/${made.id}`, cookie)).toBe(2)
  })

  it('is not there in a community without a group on Telegram', async () => {
    const community = await createCommunity()
    await createInvite(community.id, { label: 'Website' })
    const { cookie } = await signIn()
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(rowOf(overview, 'Website')).toBeDefined()
    expect(overview).not.toContain('<th>Telegram</th>')
    expect(overview).not.toContain('Telegram link pending')
  })
})
