// The local Telegram stand-in (part of the stand-ins, scripts/stand-ins.mjs): the Bot API as
// https://core.telegram.org/bots/api documents it, under `/telegram` (TELEGRAM_API_BASE):
// `POST /telegram/bot<token>/<method>` with a JSON body, answered `{ok: true, result}` or
// `{ok: false, error_code, description}`. Updates go to the webhook the Worker set (setWebhook),
// with the `X-Telegram-Bot-Api-Secret-Token` it gave. The page `/telegram` plays the people in
// the chats: add the bot to a group as its administrator, join through one of the bot's invite
// links (a join request where the link makes them), leave again, or write `/start` and `/stop`
// to the bot; it shows what the bot posted.
//
// Here the bot administers every group and channel with every right (an admin cannot add it to
// a real chat offline), and takes a decision on any join request, including ones made before
// the stand-in started (the demo's). The invite links the bot made before (the demo's, or an
// earlier run's) are handed to it with `adopt`, so people can join through them here too.
import { esc, layout } from './stand-in-pages.mjs'

/** Obviously not a real bot: what `npm run dev` configures when no token is set. */
export const LOCAL_TELEGRAM = {
  token: '1000000001:local-telegram-stand-in-token-0123',
  webhookSecret: 'local-telegram-webhook-secret-0123',
  username: 'local_community_growth_bot',
}

const BOT = {
  id: Number(LOCAL_TELEGRAM.token.split(':')[0]),
  is_bot: true,
  first_name: 'Community Growth (local)',
  username: LOCAL_TELEGRAM.username,
}
const KEEP = 500

/** The stand-in's state and handlers; `handle` answers its requests and says whether it did. */
export function createTelegramStandIn({ token = LOCAL_TELEGRAM.token, log = console.log }) {
  let webhook = { url: '', secretToken: '', allowedUpdates: [] }
  let lastError = null
  let nextUpdateId = Math.floor(Date.now() / 1000) * 100
  let nextUser = 7_200_000_000
  let nextChat = Math.floor(Date.now() / 1000) % 1_000_000
  const links = new Map()
  const posts = []
  const members = new Map()
  const messageIds = new Map()
  const titles = new Map()
  // Requests that waited before this stand-in started, through a link it does not know live (a
  // revoked one): `chatId|userId` -> { user, url }, so that approving lets that person in.
  const waitingBefore = new Map()
  const now = () => Math.floor(Date.now() / 1000)

  const person = (name) => {
    nextUser += 10
    const first = String(name || 'Local person').slice(0, 64)
    return { id: nextUser, is_bot: false, first_name: first, username: `local${nextUser}` }
  }
  const chat = (id) => ({
    id: Number(id),
    type: 'supergroup',
    title: titles.get(Number(id)) ?? `Local chat ${id}`,
  })
  const chatName = (id) => titles.get(Number(id)) ?? String(id)
  const linkObject = (url, link) => ({
    invite_link: url,
    creator: BOT,
    creates_join_request: link.createsJoinRequest,
    is_primary: false,
    is_revoked: link.revoked,
    ...(link.name ? { name: link.name } : {}),
  })

  /** Sends an update to the Worker's webhook, as Telegram does. */
  async function deliver(kind, value) {
    if (!webhook.url) return 'no webhook set: connect Telegram on the dashboard first'
    try {
      const answer = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-telegram-bot-api-secret-token': webhook.secretToken,
        },
        body: JSON.stringify({ update_id: (nextUpdateId += 1), [kind]: value }),
      })
      await answer.body?.cancel()
      if (!answer.ok) lastError = { date: now(), message: `Wrong response: ${answer.status}` }
      return answer.status
    } catch (error) {
      lastError = { date: now(), message: 'Connection refused' }
      return String(error.cause?.code ?? error.message)
    }
  }

  function memberUpdate(chatId, user, joined, url) {
    // A link made before the stand-in started and revoked since is still the one they came by.
    const link = url
      ? (links.get(url) ?? { createsJoinRequest: true, revoked: true, name: '' })
      : undefined
    const inside = { status: 'member', user }
    const outside = { status: 'left', user }
    return deliver('chat_member', {
      chat: chat(chatId),
      from: user,
      date: now(),
      old_chat_member: joined ? outside : inside,
      new_chat_member: joined ? inside : outside,
      ...(joined && link ? { invite_link: linkObject(url, link) } : {}),
    })
  }

  const ok = (json, result) => json(200, { ok: true, result })
  const refuse = (json, code, description) =>
    json(code, { ok: false, error_code: code, description })

  /** One Bot API method. */
  async function botApi(method, params, json) {
    const chatId = Number(params.chat_id)
    switch (method) {
      case 'getMe':
        return ok(json, BOT)
      case 'setWebhook':
        webhook = {
          url: String(params.url ?? ''),
          secretToken: String(params.secret_token ?? ''),
          allowedUpdates: params.allowed_updates ?? [],
        }
        log(`✔ Telegram webhook set to ${webhook.url}`)
        return ok(json, true)
      case 'getWebhookInfo':
        return ok(json, {
          url: webhook.url,
          has_custom_certificate: false,
          pending_update_count: 0,
          ...(webhook.allowedUpdates.length ? { allowed_updates: webhook.allowedUpdates } : {}),
          ...(lastError
            ? { last_error_date: lastError.date, last_error_message: lastError.message }
            : {}),
        })
      case 'getChatMember':
        if (Number(params.user_id) !== BOT.id)
          return refuse(json, 400, 'Bad Request: user not found')
        return ok(json, {
          status: 'administrator',
          user: BOT,
          can_be_edited: false,
          can_manage_chat: true,
          can_invite_users: true,
          can_post_messages: true,
          can_restrict_members: true,
        })
      case 'createChatInviteLink': {
        const url = `https://t.me/+local${Math.random().toString(36).slice(2, 14)}`
        const link = {
          chatId,
          name: params.name ? String(params.name) : '',
          createsJoinRequest: params.creates_join_request === true,
          revoked: false,
          pending: new Map(),
        }
        links.set(url, link)
        log(`✔ Telegram invite link ${url} (${link.name || 'no name'}) for chat ${chatId}`)
        return ok(json, linkObject(url, link))
      }
      case 'revokeChatInviteLink': {
        const link = links.get(String(params.invite_link))
        if (!link) return refuse(json, 400, 'Bad Request: INVITE_HASH_EXPIRED')
        link.revoked = true
        return ok(json, linkObject(String(params.invite_link), link))
      }
      case 'approveChatJoinRequest':
      case 'declineChatJoinRequest': {
        const userId = Number(params.user_id)
        const asked = [...links.entries()].find(([, link]) => link.pending.has(userId))
        const before = waitingBefore.get(`${chatId}|${userId}`)
        const user = asked?.[1].pending.get(userId) ??
          before?.user ?? { id: userId, is_bot: false, first_name: 'Demo person' }
        const url = asked?.[0] ?? before?.url
        asked?.[1].pending.delete(userId)
        waitingBefore.delete(`${chatId}|${userId}`)
        ok(json, true)
        if (method === 'approveChatJoinRequest') {
          members.set(`${chatId}|${userId}`, { chatId, user, url })
          await memberUpdate(chatId, user, true, url)
        }
        return
      }
      case 'sendMessage': {
        if (typeof params.text !== 'string' || !params.text.trim())
          return refuse(json, 400, 'Bad Request: message text is empty')
        const messageId = (messageIds.get(chatId) ?? 0) + 1
        messageIds.set(chatId, messageId)
        posts.push({ chatId, messageId, text: params.text, at: Date.now() })
        if (posts.length > KEEP) posts.splice(0, posts.length - KEEP)
        log(`✔ Telegram bot → ${chatId}: ${params.text.replace(/\s+/g, ' ').slice(0, 80)}`)
        return ok(json, {
          message_id: messageId,
          from: BOT,
          chat: chatId > 0 ? { id: chatId, type: 'private', first_name: 'Local' } : chat(chatId),
          date: now(),
          text: params.text,
        })
      }
      default:
        return refuse(json, 404, 'Not Found')
    }
  }

  /** The people's side, from the page's forms (or JSON). */
  async function act(path, form) {
    if (path === '/telegram/add-bot') {
      // An admin adds the bot to a new group as an administrator with every right.
      const chatId = -(1_002_000_000_000 + (nextChat += 1))
      const title = String(form.title || 'Local group').slice(0, 128)
      titles.set(chatId, title)
      const admin = { id: 7_000_000_001, is_bot: false, first_name: 'Local admin' }
      const status = await deliver('my_chat_member', {
        chat: { id: chatId, type: 'supergroup', title },
        from: admin,
        date: now(),
        old_chat_member: { status: 'left', user: BOT },
        new_chat_member: {
          status: 'administrator',
          user: BOT,
          can_be_edited: false,
          can_manage_chat: true,
          can_invite_users: true,
          can_post_messages: true,
          can_restrict_members: true,
        },
      })
      return `The bot was added to “${title}” (${chatId}) as an administrator (Worker answered ${status}).`
    }
    if (path === '/telegram/join') {
      const url = String(form.link ?? '')
      const link = links.get(url)
      if (!link || link.revoked) return 'That invite link does not exist or was revoked.'
      const user = person(form.name)
      if (link.createsJoinRequest) {
        link.pending.set(user.id, user)
        const status = await deliver('chat_join_request', {
          chat: chat(link.chatId),
          from: { ...user, language_code: 'de' },
          user_chat_id: user.id,
          date: now(),
          bio: 'Asked from the local stand-in',
          invite_link: linkObject(url, link),
        })
        return `${user.first_name} asked to join (Worker answered ${status}).`
      }
      members.set(`${link.chatId}|${user.id}`, { chatId: link.chatId, user, url })
      return `${user.first_name} joined (Worker answered ${await memberUpdate(link.chatId, user, true, url)}).`
    }
    if (path === '/telegram/leave') {
      const member = members.get(String(form.member ?? ''))
      if (!member) return 'No such member.'
      members.delete(String(form.member))
      return `${member.user.first_name} left (Worker answered ${await memberUpdate(member.chatId, member.user, false)}).`
    }
    if (path === '/telegram/say') {
      const text = String(form.text ?? '').trim()
      if (!text) return 'Write a message first.'
      const user = {
        id: Number(form.from) || 7_200_000_000,
        is_bot: false,
        first_name: String(form.name || 'Local person').slice(0, 64),
      }
      const status = await deliver('message', {
        message_id: Date.now() % 1_000_000_000,
        from: { ...user, language_code: String(form.language ?? 'de') },
        chat: { id: user.id, type: 'private', first_name: user.first_name },
        date: now(),
        text,
      })
      return `Sent as Telegram user ${user.id} (Worker answered ${status}).`
    }
    return null
  }

  /**
   * Chats the bot is in, invite links it made and join requests waiting from before this stand-in
   * started, as the Worker's database holds them: `chats` [{chatId, title}], `links` [{url,
   * chatId, name, createsJoinRequest}], `waiting` [{chatId, userId, firstName, lastName,
   * username, languageCode, url}]. A link the stand-in knows already stays as it is; a request
   * waits on its link's list, where the page shows it, and approved, it is that person who joins
   * through that link.
   */
  function adopt({ chats = [], links: made = [], waiting = [] }) {
    for (const { chatId, title } of chats) if (title) titles.set(Number(chatId), String(title))
    for (const link of made) {
      if (!link.url || links.has(link.url)) continue
      links.set(link.url, {
        chatId: Number(link.chatId),
        name: link.name ? String(link.name) : '',
        createsJoinRequest: Boolean(link.createsJoinRequest),
        revoked: false,
        pending: new Map(),
      })
    }
    for (const request of waiting) {
      const user = {
        id: Number(request.userId),
        is_bot: false,
        first_name: String(request.firstName || 'Demo person').slice(0, 64),
        ...(request.lastName ? { last_name: String(request.lastName) } : {}),
        ...(request.username ? { username: String(request.username) } : {}),
        ...(request.languageCode ? { language_code: String(request.languageCode) } : {}),
      }
      const link = request.url ? links.get(request.url) : undefined
      if (link && !link.revoked) link.pending.set(user.id, user)
      else waitingBefore.set(`${Number(request.chatId)}|${user.id}`, { user, url: request.url })
    }
  }

  /**
   * A Telegram link as it opens locally (`TELEGRAM_LINK_BASE` points here under `npm run dev`):
   * an invite link opens the page with that link chosen to join through, the bot's deep link
   * with its `/start` ready to send, its add-to-a-group link at the form that adds it.
   */
  function opened(rest, query) {
    const url = `https://t.me/${rest}${query}`
    if (/^(\+|joinchat\/)/.test(rest)) {
      const link = links.get(url)
      return link && !link.revoked
        ? {
            notice: `You opened ${url}: join the chat through it below, as a local person.`,
            link: url,
          }
        : { notice: `${url} is not an invite link the bot made here, or it was revoked.` }
    }
    const params = new URLSearchParams(query)
    if (params.has('start')) {
      return {
        notice: `You opened the bot (${url}): send the /start below to get its messages.`,
        text: `/start ${params.get('start')}`,
      }
    }
    if (params.has('startgroup') || params.has('startchannel')) {
      return { notice: 'You opened the link that adds the bot to a chat: add it to a group below.' }
    }
    return { notice: `You opened ${url}: the stand-in plays the bot and its chats below.` }
  }

  function page(notice, prefill = {}) {
    const open = [...links.entries()].filter(([, link]) => !link.revoked)
    const waiting = [...links.values()].flatMap((link) =>
      [...link.pending.values()].map((user) => [user, link.chatId]),
    )
    return layout(
      'Telegram',
      `<h1>Telegram</h1>
<p class="muted">The bot's webhook: ${webhook.url ? esc(webhook.url) : 'not set yet: press <q>Connect Telegram</q> on the dashboard’s Telegram page'}.</p>
${notice ? `<p role="status" class="notice">${esc(notice)}</p>` : ''}
<h2>Add the bot to a group</h2>
<form method="post" action="/telegram/add-bot"><label for="title">Group name</label>
<input id="title" name="title" value="Local group"><button type="submit">Add the bot as an administrator</button></form>
<h2>Join a chat</h2>
${
  open.length === 0
    ? '<p class="muted">The bot has made no invite links yet: create a link for a group on Telegram.</p>'
    : `<p class="muted">Under <code>npm run dev</code> a t.me link on a landing page opens this page
(<code>TELEGRAM_LINK_BASE</code>): here you join through it as a local person, and the bot tells the
Worker as Telegram would.</p>
<form method="post" action="/telegram/join"><label for="link">Through the invite link</label>
<select id="link" name="link">${open.map(([url, link]) => `<option value="${esc(url)}"${url === prefill.link ? ' selected' : ''}>${esc(link.name || url)} · ${esc(chatName(link.chatId))}${link.createsJoinRequest ? ' · asks to join' : ''} (${esc(url)})</option>`).join('')}</select>
<label for="name">As</label><input id="name" name="name" value="Local person">
<button type="submit">Join</button></form>`
}
<h2>In the chats</h2>
${waiting.length === 0 ? '' : `<p class="muted">Waiting for an admin: ${waiting.map(([user, chatId]) => `${esc(user.first_name)} (${esc(chatName(chatId))})`).join(', ')}.</p>`}
${
  members.size === 0
    ? '<p class="muted">Nobody joined here since the stand-ins started.</p>'
    : `<ul>${[...members.entries()].map(([key, m]) => `<li>${esc(m.user.first_name)} in ${esc(chatName(m.chatId))} <form method="post" action="/telegram/leave" style="display:inline"><input type="hidden" name="member" value="${esc(key)}"><button type="submit">Leave</button></form></li>`).join('')}</ul>`
}
<h2>Write to the bot</h2>
<form method="post" action="/telegram/say"><label for="text">Message</label>
<input id="text" name="text" value="${esc(prefill.text ?? '/start')}"><label for="from">From Telegram user id</label>
<input id="from" name="from" inputmode="numeric" value="7200000000"><button type="submit">Send</button></form>
<h2>What the bot sent</h2>
${
  posts.length === 0
    ? '<p class="muted">Nothing yet.</p>'
    : `<ol class="chat">${[...posts]
        .reverse()
        .map((p) => `<li class="out">${esc(p.chatId)} #${esc(p.messageId)}: ${esc(p.text)}</li>`)
        .join('')}</ol>`
}`,
    )
  }

  return {
    adopt,
    /** Handles a request under `/telegram`; false: not one of ours. */
    async handle(request, path, body, response, { json, html, redirect }) {
      if (!path.startsWith('/telegram')) return false
      const at = new URL(request.url, 'http://x')
      if (request.method === 'GET' && path.startsWith('/telegram/t.me/')) {
        const { notice, ...prefill } = opened(path.slice('/telegram/t.me/'.length), at.search)
        html(response, page(notice, prefill))
        return true
      }
      if (request.method === 'GET' && path === '/telegram') {
        html(response, page(new URL(request.url, 'http://x').searchParams.get('notice')))
        return true
      }
      if (request.method !== 'POST') return false
      const api = /^\/telegram\/bot([^/]+)\/([A-Za-z]+)$/.exec(path)
      const send = (status, value) => json(response, status, value)
      if (api) {
        if (api[1] !== token) refuse(send, 401, 'Unauthorized')
        else {
          let params = {}
          try {
            params = JSON.parse(body || '{}')
          } catch {
            refuse(send, 400, 'Bad Request: can’t parse JSON')
            return true
          }
          await botApi(api[2], params, send)
        }
        return true
      }
      const wantsJson = (request.headers['content-type'] ?? '').startsWith('application/json')
      const form = wantsJson
        ? JSON.parse(body || '{}')
        : Object.fromEntries(new URLSearchParams(body))
      const notice = await act(path, form)
      if (notice === null) return false
      log(`✔ ${notice}`)
      if (wantsJson) json(response, 200, { notice })
      else redirect(response, `/telegram?notice=${encodeURIComponent(notice)}`)
      return true
    },
  }
}
