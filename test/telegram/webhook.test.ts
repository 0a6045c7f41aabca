import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { describe, expect, inject, it } from 'vitest'
import worker from '../../src/index'
import { TELEGRAM_QUEUE_NAME } from '../../src/jobs/telegram'
import { updateItem } from '../../src/platforms/telegram/updates'
import {
  call,
  countRows,
  createCommunity,
  createGroup,
  createToken,
  eventually,
  query,
} from '../worker/helpers'
import { TELEGRAM_WEBHOOK_SECRET } from '../support/fake-telegram'
import {
  botStatusUpdate,
  joinRequestUpdate,
  memberUpdate,
  newChatId,
  newUpdateId,
  newUser,
  postUpdate,
  privateMessage,
} from '../support/telegram-updates'
import { telegramCommunity } from './support'
import {
  csrfOf,
  page,
  post as postForm,
  referencedTexts,
  signIn,
} from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'

const fake = inject('fakeServicesUrl')

async function chatRow(chatId: number) {
  const [row] = await query<{ bot_status: string; can_invite_users: number }>(
    'select bot_status, can_invite_users from telegram_chats where chat_id = ?',
    chatId,
  )
  return row
}

async function listedChat(chatId: number) {
  const response = await call('GET', '/api/telegram/chats?limit=100')
  expect(response.status, response.text).toBe(200)
  return (response.json.data as Array<Record<string, unknown>>).find((c) => c.chatId === chatId)
}

describe('the Telegram webhook', () => {
  it('refuses an update without the secret token, or with another one, and changes nothing', async () => {
    const chatId = newChatId(1)
    const before = await countRows('telegram_updates')
    for (const secret of [
      null,
      '',
      'test-telegram-webhook-secret-0124',
      `${TELEGRAM_WEBHOOK_SECRET}x`,
    ]) {
      const answer = await postUpdate(botStatusUpdate(chatId, 'administrator'), secret)
      expect(answer.status).toBe(401)
      expect(answer.json.code).toBe('unauthorized')
    }
    // A valid update sent after them is applied: the refused ones would have been by now.
    const marker = newChatId(1)
    expect((await postUpdate(botStatusUpdate(marker, 'administrator'))).status).toBe(200)
    await eventually(async () => expect(await chatRow(marker)).toBeDefined())
    expect(await chatRow(chatId)).toBeUndefined()
    expect(await countRows('telegram_updates')).toBe(before + 1)
  })

  it('makes a chat known when the bot is made its administrator, with what it may do there', async () => {
    const chatId = newChatId(1)
    const answer = await postUpdate(
      botStatusUpdate(chatId, 'administrator', { title: 'Kiez Chat' }),
    )
    expect(answer).toEqual({ status: 200, json: { received: 1 } })
    const listed = await eventually(async () => {
      const found = await listedChat(chatId)
      expect(found).toBeDefined()
      return found!
    })
    expect(listed).toMatchObject({
      title: 'Kiez Chat',
      botStatus: 'administrator',
      canInviteUsers: true,
      missingRights: [],
      groupId: null,
    })

    const limited = newChatId(2)
    await postUpdate(botStatusUpdate(limited, 'administrator', { canInvite: false }))
    const without = await eventually(async () => {
      const found = await listedChat(limited)
      expect(found).toBeDefined()
      return found!
    })
    expect(without.missingRights).toEqual(['invite users via link (also approves join requests)'])
  })

  it('applies a resent update once, even when a newer one of the same second came between', async () => {
    const chatId = newChatId(1)
    const date = Math.floor(Date.now() / 1000)
    const added = botStatusUpdate(chatId, 'administrator', { date })
    await postUpdate(added)
    await eventually(async () => expect((await chatRow(chatId))?.bot_status).toBe('administrator'))
    await postUpdate(botStatusUpdate(chatId, 'left', { date }))
    await eventually(async () => expect((await chatRow(chatId))?.bot_status).toBe('left'))
    // Telegram resends the first one (our answer was slow): it must not bring the bot back.
    const marker = newChatId(1)
    await postUpdate(added)
    await postUpdate(botStatusUpdate(marker, 'administrator'))
    await eventually(async () => expect(await chatRow(marker)).toBeDefined())
    expect((await chatRow(chatId))?.bot_status).toBe('left')
    expect(
      await query('select 1 from telegram_updates where update_id = ?', added.update_id),
    ).toHaveLength(1)
  })

  it('keeps the newer standing when an older update arrives late', async () => {
    const chatId = newChatId(1)
    const now = Math.floor(Date.now() / 1000)
    await postUpdate(botStatusUpdate(chatId, 'kicked', { date: now }))
    await eventually(async () => expect((await chatRow(chatId))?.bot_status).toBe('kicked'))
    const marker = newChatId(1)
    await postUpdate(botStatusUpdate(chatId, 'administrator', { date: now - 60 }))
    await postUpdate(botStatusUpdate(marker, 'administrator'))
    await eventually(async () => expect(await chatRow(marker)).toBeDefined())
    expect((await chatRow(chatId))?.bot_status).toBe('kicked')
  })

  it('acknowledges update types it does not act on, and bodies that are no update', async () => {
    const before = await countRows('telegram_updates')
    const edited = {
      update_id: newUpdateId(),
      edited_message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'x' },
    }
    expect(await postUpdate(edited)).toEqual({ status: 200, json: { received: 0 } })
    expect(await postUpdate({ hello: 'world' })).toEqual({ status: 200, json: { received: 0 } })
    const malformed = await postUpdate('{"update_id": 1,')
    expect(malformed.status).toBe(400)
    expect(malformed.json.code).toBe('malformed_json')
    expect(await countRows('telegram_updates')).toBe(before)
  })
})

describe('connecting the bot', () => {
  it('sets the webhook with the secret and the updates it needs, and shows Telegram’s last error', async () => {
    const answer = await call('POST', '/api/telegram/connect')
    expect(answer.status, answer.text).toBe(200)
    expect(answer.json).toMatchObject({
      connected: true,
      webhookUrl: 'https://join.example.com/webhooks/telegram',
      lastErrorMessage: null,
    })
    const requests = (await (
      await fetch(`${fake}/__requests?path=/telegram/bot`)
    ).json()) as Array<{
      path: string
      body: string
    }>
    const set = requests.filter((r) => r.path.endsWith('/setWebhook')).at(-1)!
    const params = JSON.parse(set.body)
    expect(params.secret_token).toBe(TELEGRAM_WEBHOOK_SECRET)
    expect(params.allowed_updates).toEqual(
      expect.arrayContaining(['chat_member', 'chat_join_request', 'my_chat_member', 'message']),
    )

    await fetch(`${fake}/telegram/__webhook-error`, {
      method: 'POST',
      body: JSON.stringify({ message: 'Wrong response from the webhook: 502 Bad Gateway' }),
    })
    const read = await call('GET', '/api/telegram/connection')
    expect(read.status, read.text).toBe(200)
    expect(read.json.lastErrorMessage).toBe('Wrong response from the webhook: 502 Bad Gateway')
    expect(read.json.lastErrorAt).toEqual(expect.any(String))
  })

  it('has a dashboard page with the connect button, the last error and the bot’s chats', async () => {
    await createCommunity({ name: 'Picker Club' })
    const chatId = newChatId(2)
    await postUpdate(
      botStatusUpdate(chatId, 'administrator', { canInvite: false, title: 'Läufer' }),
    )
    await eventually(async () => expect(await chatRow(chatId)).toBeDefined())
    const { cookie } = await signIn()
    const home = await page('/admin', cookie)
    expect(home.text).toContain('href="/admin/telegram"')
    const before = await page('/admin/telegram', cookie)
    expect(before.status).toBe(200)
    const connected = await postForm('/admin/telegram/connect', cookie, {
      _csrf: csrfOf(before.text),
    })
    expect(connected.status).toBe(303)
    const after = await page('/admin/telegram', cookie)
    expect(after.text).toContain('Connected: Telegram sends the updates to this Worker.')
    expect(after.text).toContain('Läufer')
    expect(after.text).toContain('invite users via link (also approves join requests)')
    // Telegram's own links add the bot to a chat as an administrator with the rights it needs.
    expect(after.text).toContain('Add @community_growth_test_bot as an administrator:')
    expect(after.text).toContain(
      'href="https://t.me/community_growth_test_bot?startgroup&amp;admin=invite_users"',
    )
    expect(after.text).toContain(
      'href="https://t.me/community_growth_test_bot?startchannel&amp;admin=post_messages+invite_users"',
    )
    // Every row has the same picker and button: each is named or described by its chat.
    expect(referencedTexts(after.text, 'select', 'aria-labelledby')).toContain('Group Läufer')
    expect(referencedTexts(after.text, 'button', 'aria-describedby')).toContain('Läufer')
    await fetch(`${fake}/telegram/__webhook-error`, {
      method: 'POST',
      body: JSON.stringify({ message: 'Connection timed out' }),
    })
    const german = await call('GET', '/admin/telegram?lang=de', {
      token: null,
      headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
    })
    expect(german.text).toContain('Letzter Fehler bei Telegram')
    expect(german.text).toContain('Connection timed out')
    expect(german.text).toContain('Nutzer per Link einladen')
    // The bot's standing is said in words, not as Telegram's status value.
    expect(german.text).toContain('<td data-label="Bot">Administrator</td>')
    // The picker names a community's announcement group in the admin's language.
    expect(german.text).toContain('Picker Club · Ankündigungsgruppe')
    expect(after.text).toContain('Picker Club · Announcement group')
    expect(german.text).not.toContain('Picker Club · Announcements')
    expect(englishLeftIn(readableText(german.text))).toEqual([])
  })

  it('links a group to a chat from the picker, and says in words why it cannot', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const good = newChatId(1)
    const limited = newChatId(2)
    await postUpdate(botStatusUpdate(good, 'administrator', { title: 'Good chat' }))
    await postUpdate(botStatusUpdate(limited, 'administrator', { canInvite: false }))
    await eventually(async () => expect(await chatRow(limited)).toBeDefined())
    await eventually(async () => expect(await chatRow(good)).toBeDefined())
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin/telegram', cookie)).text)
    const refused = await postForm('/admin/telegram/link', cookie, {
      _csrf: csrf,
      chatId: String(limited),
      groupId: group.id,
    })
    expect(refused.status).toBe(409)
    // Shown as the dashboard shows every refusal, and read out at once.
    expect(refused.text).toContain('<p class="err" role="alert">The bot may not invite users here.')
    const linked = await postForm('/admin/telegram/link', cookie, {
      _csrf: csrf,
      chatId: String(good),
      groupId: group.id,
    })
    expect(linked.status).toBe(303)
    const read = await call('GET', `/api/groups/${group.id}`)
    expect(read.json).toMatchObject({ platform: 'telegram', telegramChatId: good })
    // The audit log names the chat the group was linked to.
    await eventually(async () => {
      const log = await call('GET', `/api/communities/${community.id}/audit-log?limit=10`)
      expect(log.json.data).toContainEqual(
        expect.objectContaining({
          action: 'group.changed',
          targetId: group.id,
          detail: `Telegram ${good}`,
        }),
      )
    })
  })

  it('moves a chat to another group in one step, asks first, and unlinks it again', async () => {
    const community = await createCommunity()
    const first = await createGroup(community.id)
    const second = await createGroup(community.id)
    const chat = newChatId(1)
    await postUpdate(botStatusUpdate(chat, 'administrator', { title: 'Moving chat' }))
    await eventually(async () => expect(await chatRow(chat)).toBeDefined())
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin/telegram', cookie)).text)
    const linkTo = (groupId: string) =>
      postForm('/admin/telegram/link', cookie, { _csrf: csrf, chatId: String(chat), groupId })
    expect((await linkTo(first.id)).status).toBe(303)
    // Picking the second group for the same chat moves it: no "unlink it there first".
    const moved = await linkTo(second.id)
    expect(moved.status, moved.text).toBe(303)
    expect((await call('GET', `/api/groups/${first.id}`)).json).toMatchObject({
      platform: 'whatsapp',
      telegramChatId: null,
    })
    expect((await call('GET', `/api/groups/${second.id}`)).json).toMatchObject({
      platform: 'telegram',
      telegramChatId: chat,
    })
    const shown = await page(moved.headers.get('location')!, cookie)
    expect(shown.text).toContain('Group linked to the chat.')
    // Linking and unlinking change where a group's people are sent: both buttons ask first,
    // and the picker says which groups are linked to another chat.
    expect(shown.text).toContain('data-confirm="Link “Moving chat” to the group you picked?')
    expect(shown.text).toContain('data-confirm="Unlink “Moving chat”?')
    const unlinked = await postForm('/admin/telegram/unlink', cookie, {
      _csrf: csrf,
      chatId: String(chat),
    })
    expect(unlinked.status).toBe(303)
    expect((await page(unlinked.headers.get('location')!, cookie)).text).toContain(
      'Unlinked: the group follows no Telegram chat now.',
    )
    expect((await call('GET', `/api/groups/${second.id}`)).json).toMatchObject({
      platform: 'whatsapp',
      telegramChatId: null,
    })
    // Each group's log says what happened to it.
    await eventually(async () => {
      const log = await call('GET', `/api/communities/${community.id}/audit-log?limit=10`)
      const details = log.json.data
        .filter((entry: { action: string }) => entry.action === 'group.changed')
        .map((entry: { targetId: string; detail: string }) => [entry.targetId, entry.detail])
      expect(details).toEqual(
        expect.arrayContaining([
          [first.id, `Telegram ${chat}`],
          [first.id, `Telegram ${chat} unlinked`],
          [second.id, `Telegram ${chat}`],
          [second.id, `Telegram ${chat} unlinked`],
        ]),
      )
    })
  })

  it('names in the picker a group linked to another chat', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const [one, two] = [newChatId(1), newChatId(2)]
    await postUpdate(botStatusUpdate(one, 'administrator', { title: 'Chat one' }))
    await postUpdate(botStatusUpdate(two, 'administrator', { title: 'Chat two' }))
    await eventually(async () => expect(await chatRow(two)).toBeDefined())
    await eventually(async () => expect(await chatRow(one)).toBeDefined())
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin/telegram', cookie)).text)
    const linked = await postForm('/admin/telegram/link', cookie, {
      _csrf: csrf,
      chatId: String(one),
      groupId: group.id,
    })
    expect(linked.status).toBe(303)
    const html = (await page('/admin/telegram', cookie)).text
    const rowOf = (chatId: number) => {
      const start = html.indexOf(`id="telegram-chat${chatId}"`)
      return html.slice(start, html.indexOf('</tr>', start))
    }
    const option = (row: string) =>
      row.match(new RegExp(`<option value="${group.id}"[^>]*>([^<]*)</option>`))?.[1]
    expect(option(rowOf(two))).toMatch(/\(linked to another chat\)$/)
    expect(option(rowOf(one))).not.toContain('linked to another chat')
  })

  it('is for owners only', async () => {
    const community = await createCommunity()
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    for (const [method, path] of [
      ['POST', '/api/telegram/connect'],
      ['GET', '/api/telegram/connection'],
      ['GET', '/api/telegram/chats'],
    ] as const) {
      const answer = await call(method, path, { token: admin.token })
      expect(answer.status, `${method} ${path}`).toBe(403)
    }
  })
})

describe('updates that are hostile in shape, with the right secret', () => {
  it('acknowledges an update dated past what a date holds and applies nothing of it', async () => {
    const { community, chatId } = await telegramCommunity('closed')
    const far = 10 ** 13 // seconds: the year 318,857, past the last day a Date holds
    const chat = newChatId(1)
    const person = newUser('Far')
    for (const update of [
      botStatusUpdate(chat, 'administrator', { date: far }),
      memberUpdate(chatId, person, 'joined', { date: far }),
      {
        update_id: newUpdateId(),
        chat_join_request: { ...joinRequestUpdate(chatId, person).chat_join_request, date: far },
      },
    ]) {
      const answer = await postUpdate(update)
      expect(answer.status).toBe(200)
    }
    const marker = newChatId(1)
    await postUpdate(botStatusUpdate(marker, 'administrator'))
    await eventually(async () => expect(await chatRow(marker)).toBeDefined())
    expect(await chatRow(chat)).toBeUndefined()
    // What lists chats and requests still answers (a chat dated so far failed it with a 500).
    const chats = await call('GET', '/api/telegram/chats?limit=100')
    expect(chats.status, chats.text).toBe(200)
    const requests = await call('GET', `/api/communities/${community.id}/telegram-join-requests`)
    expect(requests.status, requests.text).toBe(200)
    expect(requests.json.data).toEqual([])
  })

  it('answers updates drawn hostile with 200, and their items never fail the consumer', async () => {
    const { community, chatId } = await telegramCommunity('closed')
    const odd = fc.oneof(
      fc.constantFrom(2 ** 53, -(2 ** 53), 1e20, -1, 1.5, '', 'x'.repeat(600), null, [], {}),
      fc.constantFrom('https://t.me/+', 'javascript:alert(1)', 'https://t.me/+\u0000\u202E'),
      fc.jsonValue({ maxDepth: 2 }),
    )
    const updates = fc.constantFrom(
      () => botStatusUpdate(newChatId(1), 'administrator'),
      () => memberUpdate(chatId, newUser('Drawn'), 'joined', { inviteLink: 'https://t.me/+x' }),
      () => memberUpdate(chatId, newUser('Drawn'), 'left'),
      () => memberUpdate(newChatId(1), newUser('Elsewhere'), 'joined'),
      () => joinRequestUpdate(chatId, newUser('Asker'), 'https://t.me/+y'),
      () => joinRequestUpdate(newChatId(1), newUser('Asker')),
      () => privateMessage(newUser('Writer'), '/start'),
      () => privateMessage(newUser('Writer'), '/stop\u0000'),
    )
    // An update dated drawn (Telegram's dates are Unix seconds), and a copy of it under another
    // update id with one value replaced or left out.
    const dates = fc.constantFrom(Math.floor(Date.now() / 1000), 0, -1, 1e11, 1e13, 2 ** 53 - 1)
    const drawn = fc
      .tuple(updates, dates, fc.nat(), odd, fc.boolean())
      .map(([make, date, at, value, drop]) => {
        const made = make() as Record<string, unknown>
        const kind = Object.keys(made).find((key) => key !== 'update_id')!
        const dated = setAt(made, [kind, 'date'], date)
        const paths = pathsOf(dated)
        const changed = setAt(
          { ...dated, update_id: newUpdateId() },
          paths[at % paths.length]!,
          drop ? undefined : value,
        )
        return [dated, changed]
      })
    await fc.assert(
      fc.asyncProperty(drawn, fc.array(odd, { maxLength: 3 }), async (bodies, junk) => {
        for (const body of bodies) {
          // Twice: Telegram resends an update it had no answer to.
          for (const _copy of [1, 2]) expect((await postUpdate(body)).status).toBe(200)
        }
        // The items queued, twice, with queue messages that are no item among them.
        const items = [...junk, ...[...bodies, ...bodies].flatMap((body) => updateItem(body) ?? [])]
        const batch = createMessageBatch(
          TELEGRAM_QUEUE_NAME,
          items.map((body, i) => ({ id: `drawn-${i}`, timestamp: new Date(), attempts: 1, body })),
        )
        const ctx = createExecutionContext()
        await worker.queue(batch, env, ctx)
        await waitOnExecutionContext(ctx)
        expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([])
        // What it wrote is shown as any other update's.
        const chats = await call('GET', '/api/telegram/chats?limit=100')
        expect(chats.status, chats.text).toBe(200)
      }),
      { seed: 20_261_206, numRuns: 25 },
    )
    const requests = await call('GET', `/api/communities/${community.id}/telegram-join-requests`)
    expect(requests.status, requests.text).toBe(200)
  })
})

/** Every path to a value in a JSON object, its own root's keys first. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => [
    [...prefix, key],
    ...pathsOf(inner, [...prefix, key]),
  ])
}

/** A copy of `value` with the value at `path` replaced (`undefined`: left out). */
function setAt<T>(value: T, path: string[], replacement: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>
  let at = copy
  for (const key of path.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') return copy as T
    at = at[key] as Record<string, unknown>
  }
  if (replacement === undefined) delete at[path.at(-1)!]
  else at[path.at(-1)!] = replacement
  return copy as T
}
