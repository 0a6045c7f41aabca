import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, expectProblem } from './helpers'
import { page, signIn } from './dashboard-helpers'
import { botStatusUpdate, newChatId, postUpdate } from '../support/telegram-updates'

/** Without TELEGRAM_BOT_TOKEN nothing of Telegram shows: answers stay what they were. */
describe('with Telegram not configured', () => {
  it('shows no platform on groups, and refuses to link one to a chat', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    expect(group).not.toHaveProperty('platform')
    expect(group).not.toHaveProperty('telegramChatId')
    const linked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: -1001 },
    })
    expect(expectProblem(linked, 400, 'validation_failed').errors).toEqual([
      { path: 'telegramChatId', message: 'Telegram is not configured' },
    ])
  })

  it('has no Telegram operations to speak of, and refuses every update', async () => {
    for (const [method, path] of [
      ['POST', '/api/telegram/connect'],
      ['GET', '/api/telegram/connection'],
      ['GET', '/api/telegram/chats'],
    ] as const) {
      expectProblem(await call(method, path), 404, 'not_found')
    }
    const update = await postUpdate(botStatusUpdate(newChatId(1), 'administrator'))
    expect(update.status).toBe(401)
  })

  it('has no Telegram page in the dashboard, nor a link to one', async () => {
    const { cookie } = await signIn()
    expect((await page('/admin', cookie)).text).not.toContain('/admin/telegram')
    expect((await page('/admin/telegram', cookie)).status).toBe(404)
  })
})
