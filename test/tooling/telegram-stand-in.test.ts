import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStandIns } from '../../scripts/stand-ins.mjs'
import { freePort } from '../support/worker-server'

/**
 * The Telegram stand-in with invite links the bot made before it started (the demo's, or an
 * earlier run's): people join through them on its page, and the Worker hears it as from Telegram.
 */
const TOKEN = '1000000001:telegram-stand-in-test-token-0123'
const CHAT = -1001000000099
const CLOSED = 'https://t.me/+TestClosedFlyer'
const OPEN = 'https://t.me/+TestOpenPoster'
const OLD = 'https://t.me/+TestRevokedBefore'
/** The updates the stand-in sent to the "Worker". */
const updates: any[] = []
let worker: Server
let standIns: Awaited<ReturnType<typeof startStandIns>>

beforeAll(async () => {
  worker = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      updates.push(JSON.parse(body))
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve))
  const address = worker.address()
  const workerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  standIns = await startStandIns({
    port: await freePort(),
    workerUrl,
    telegramToken: TOKEN,
    log: () => {},
  })
  const set = await fetch(`${standIns.url}/telegram/bot${TOKEN}/setWebhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${workerUrl}/webhooks/telegram`, secret_token: 'secret' }),
  })
  expect(set.status).toBe(200)
  standIns.adoptTelegram({
    chats: [{ chatId: CHAT, title: 'Test Paddlers' }],
    links: [
      { url: CLOSED, chatId: CHAT, name: 'Flyer at the boathouse', createsJoinRequest: 1 },
      { url: OPEN, chatId: CHAT, name: 'Poster', createsJoinRequest: 0 },
    ],
    // Waiting since before it started (the demo's): one through a live link, one through a
    // link revoked since.
    waiting: [
      {
        chatId: CHAT,
        userId: 7099999990,
        firstName: 'Marta',
        lastName: 'K.',
        username: 'marta_paddelt',
        languageCode: 'de',
        url: CLOSED,
      },
      { chatId: CHAT, userId: 7099999980, firstName: 'Sam', username: 'sam', url: OLD },
    ],
  })
})

afterAll(async () => {
  await standIns?.close()
  await new Promise((resolve) => worker?.close(resolve))
})

async function join(link: string, name: string): Promise<string> {
  const response = await fetch(`${standIns.url}/telegram/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ link, name }),
  })
  return ((await response.json()) as { notice: string }).notice
}

const page = async (query = '') => (await fetch(`${standIns.url}/telegram${query}`)).text()

describe('the Telegram stand-in, with the links the bot made before it started', () => {
  it('lists them under "Join a chat", by name and chat', async () => {
    const html = await page()
    expect(html).not.toContain('The bot has made no invite links yet')
    expect(html).toContain(`<option value="${CLOSED}">Flyer at the boathouse · Test Paddlers`)
    expect(html).toContain(`<option value="${OPEN}">Poster · Test Paddlers`)
  })

  it('sends a join request through a link that makes them (a closed community)', async () => {
    expect(await join(CLOSED, 'Ada')).toBe('Ada asked to join (Worker answered 200).')
    const update = updates.find((u) => u.chat_join_request?.from.first_name === 'Ada')
    expect(update.chat_join_request).toMatchObject({
      chat: { id: CHAT, title: 'Test Paddlers' },
      invite_link: { invite_link: CLOSED, creates_join_request: true },
    })
    expect(await page()).toMatch(/Waiting for an admin: [^<]*Ada \(Test Paddlers\)/)
  })

  it('lets a person in through a link of an open community: a chat_member update', async () => {
    expect(await join(OPEN, 'Bea')).toBe('Bea joined (Worker answered 200).')
    const update = updates.find((u) => u.chat_member?.new_chat_member.user.first_name === 'Bea')
    expect(update.chat_member).toMatchObject({
      chat: { id: CHAT },
      old_chat_member: { status: 'left' },
      new_chat_member: { status: 'member' },
      invite_link: { invite_link: OPEN, creates_join_request: false },
    })
    expect(await page()).toContain('Bea in Test Paddlers')
  })

  it('acknowledges a form in a box of its own, and fits a phone', async () => {
    const response = await fetch(`${standIns.url}/telegram/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ link: OPEN, name: 'Cem' }),
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    const html = await page(response.headers.get('location')!.replace('/telegram', ''))
    expect(html).toContain('<p role="status" class="notice">Cem joined (Worker answered 200).</p>')
    expect(html).toMatch(/\.notice\{background:/)
    // The invite links' list is as wide as the page, however long their names; the top links
    // are tall enough to tap.
    expect(html).toMatch(/input,textarea,select\{width:100%;max-width:100%/)
    expect(html).toMatch(/nav a\{[^}]*min-height:44px/)
  })

  it('lets in the very person who waited from before it started, through their link, once approved', async () => {
    expect(await page()).toContain('Marta')
    const approve = (userId: number) =>
      fetch(`${standIns.url}/telegram/bot${TOKEN}/approveChatJoinRequest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: CHAT, user_id: userId }),
      })
    for (const [userId, name, username, link] of [
      [7099999990, 'Marta', 'marta_paddelt', CLOSED],
      [7099999980, 'Sam', 'sam', OLD],
    ] as const) {
      expect((await approve(userId)).status).toBe(200)
      // Telegram tells the Worker after answering the bot: the update may come a moment later.
      let update
      for (let tries = 0; tries < 50 && !update; tries++) {
        update = updates.find((u) => u.chat_member?.new_chat_member.user.id === userId)
        if (!update) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(update?.chat_member, name).toMatchObject({
        chat: { id: CHAT },
        new_chat_member: { status: 'member', user: { first_name: name, username } },
        invite_link: { invite_link: link },
      })
    }
  })
})
