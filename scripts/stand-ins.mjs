// The local stand-ins for the services the Worker talks to, on one port of 127.0.0.1 (8790 or the
// next free one). `npm run dev` starts them next to the Worker and points the Worker at them;
// `npm run receiver` starts them on their own.
//
// - A phone (`/phone`): plays a person's WhatsApp. The status page's "Confirm in WhatsApp" link
//   opens it (WHATSAPP_CHAT_LINK_BASE) with the prefilled text; sending it POSTs a `messages`
//   notification to the Worker's /webhooks/whatsapp as Meta does: the documented envelope, signed
//   with WHATSAPP_APP_SECRET in X-Hub-Signature-256. It shows what the Worker sent to the number.
// - The WhatsApp Cloud API (WHATSAPP_API_BASE = <stand-ins>/whatsapp): each send is answered with
//   a wamid, and its sent, delivered and read statuses come back to the Worker a second apart.
// - An outbox (`/outbox`), as Mailpit keeps one: the e-mails the Worker asked the operator's mail
//   system to send, from the `member.confirmation_requested` events delivered to EVENTS_PATH.
// - A webhook receiver for announcements (DELIVERY_WEBHOOK_URL = <stand-ins>/webhook) and events:
//   each must carry a Standard Webhooks signature by a known secret, or it is refused (400, so the
//   Worker retries it); what arrives is printed.
// - Telegram (`/telegram`, and the Bot API under it: scripts/telegram-stand-in.mjs).
import { createHmac, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { Webhook } from 'standardwebhooks'
import { chatList, indexPage, outboxPage, phonePage } from './stand-in-pages.mjs'
import { createTelegramStandIn, LOCAL_TELEGRAM } from './telegram-stand-in.mjs'

/** Obviously not a real WhatsApp account: what `npm run dev` configures when nothing else is. */
export const LOCAL_WHATSAPP = {
  businessNumber: '+49 30 0000000',
  phoneNumberId: '100000000000000',
  accessToken: 'local-whatsapp-stand-in-token',
  appSecret: 'local-whatsapp-app-secret-0123456789',
}

/** Where `npm run dev` subscribes the stand-ins to the events outbox. */
export const EVENTS_PATH = '/stand-in/events'

const STATUSES = ['sent', 'delivered', 'read']
/** What the pages show at most: the newest messages and e-mails (a long session stays small). */
const KEEP = 1000

function keep(list, entry) {
  list.push(entry)
  if (list.length > KEEP) list.splice(0, list.length - KEEP)
}

/**
 * Starts the stand-ins on `port`, or (unless `exactPort`) the next free port after it that is not
 * in `avoid`. `workerUrl` is where the Worker serves (notifications and the cron go there);
 * `whatsapp` holds the business number, phone number id, access token and app secret the Worker
 * was given; `secrets` the `whsec_` secrets whose signatures are trusted (more with `trust`).
 */
export async function startStandIns({
  port = 8790,
  exactPort = false,
  avoid = [],
  workerUrl,
  whatsapp = LOCAL_WHATSAPP,
  secrets = [],
  telegramToken = LOCAL_TELEGRAM.token,
  log = console.log,
}) {
  const telegram = createTelegramStandIn({ token: telegramToken, log })
  /** Chat messages both ways, by number (digits): `in` from the person, `out` to them. */
  const messages = []
  const mails = []
  const seenWebhooks = new Set()
  const verifiers = []
  const trust = (secret) => {
    if (secret?.startsWith('whsec_')) verifiers.push(new Webhook(secret))
  }
  secrets.forEach(trust)
  const business = digits(whatsapp.businessNumber)

  /** Posts a notification to the Worker as Meta does: the documented envelope, signed. */
  async function notifyWorker(value) {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '0',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: business,
                  phone_number_id: whatsapp.phoneNumberId,
                },
                ...value,
              },
            },
          ],
        },
      ],
    })
    const signature = `sha256=${createHmac('sha256', whatsapp.appSecret ?? '')
      .update(body)
      .digest('hex')}`
    try {
      const answer = await fetch(`${workerUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      })
      await answer.body?.cancel()
      return answer.status
    } catch (error) {
      return notReached(error)
    }
  }

  /** A person's message to the business number, from their own phone. */
  async function sendFromPhone(from, text, button) {
    const waId = digits(from)
    const entry = {
      id: `wamid.${randomUUID()}`,
      number: waId,
      direction: 'in',
      kind: button ? 'button' : 'text',
      text,
      at: Date.now(),
      worker: null,
    }
    keep(messages, entry)
    const seconds = String(Math.floor(Date.now() / 1000))
    entry.worker = await notifyWorker({
      contacts: [{ profile: { name: 'Local phone' }, wa_id: waId }],
      messages: [
        button
          ? {
              from: waId,
              id: entry.id,
              timestamp: seconds,
              type: 'button',
              button: { text, payload: button.payload },
              context: { from: business, id: button.context },
            }
          : { from: waId, id: entry.id, timestamp: seconds, type: 'text', text: { body: text } },
      ],
    })
    log(`✔ WhatsApp +${waId} → business: ${oneLine(text)}  (Worker answered ${entry.worker})`)
    return entry
  }

  /** A send through the Cloud API: answered at once, its statuses follow. */
  function cloudApiSend(request, body, response) {
    if (
      whatsapp.accessToken &&
      request.headers.authorization !== `Bearer ${whatsapp.accessToken}`
    ) {
      return json(response, 401, metaError(190, 'Invalid OAuth access token.'))
    }
    const message = parseJson(body)
    if (message?.messaging_product !== 'whatsapp' || !message.to || !message.type) {
      return json(response, 400, metaError(100, '(#100) Invalid parameter'))
    }
    const entry = {
      id: `wamid.${randomUUID()}`,
      number: digits(message.to),
      direction: 'out',
      kind: message.type,
      text: messageText(message),
      buttons: quickReplies(message),
      at: Date.now(),
      status: 'accepted',
    }
    keep(messages, entry)
    log(`✔ WhatsApp business → +${entry.number}: ${oneLine(entry.text)}`)
    json(response, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: message.to, wa_id: entry.number }],
      messages: [{ id: entry.id }],
    })
    STATUSES.forEach((status, i) =>
      setTimeout(
        async () => {
          entry.status = status
          await notifyWorker({
            statuses: [
              {
                id: entry.id,
                status,
                timestamp: String(Math.floor(Date.now() / 1000)),
                recipient_id: entry.number,
              },
            ],
          })
        },
        1000 * (i + 1),
      ).unref(),
    )
  }

  /** An announcement or an event: signed by a known secret, or refused. */
  function receiveWebhook(request, body, response) {
    const payload = verify(verifiers, body, request.headers)
    if (!payload) {
      log(
        `✘ ${request.url}: no known secret signed this (for an endpoint you subscribed yourself, ` +
          'restart with WEBHOOK_SECRETS=<its whsec_ secret>); answered 400',
      )
      return json(response, 400, { error: 'bad signature' })
    }
    // Standard Webhooks receivers take a repeated webhook-id once.
    const id = String(request.headers['webhook-id'])
    if (seenWebhooks.has(id)) return json(response, 200, { ok: true, repeated: true })
    seenWebhooks.add(id)
    const data = payload.data ?? {}
    // Written as a mail system would: to the event's person, in the language they signed up in
    // (German where the event does not say).
    const german = data.language !== 'en'
    const keepMail = (mail) =>
      keep(mails, {
        id,
        at: Date.now(),
        language: german ? 'de' : 'en',
        to: { name: data.name, email: data.email },
        ...mail,
      })
    if (payload.type === 'member.confirmation_requested') {
      // Naming the community (older events do not).
      const community = data.communityName ? ` ${german ? 'bei' : 'to'} ${data.communityName}` : ''
      keepMail({
        subject: german
          ? `Bestätige deine Anmeldung${community}`
          : `Confirm your sign-up${community}`,
        confirmUrl: data.confirmUrl,
        expiresAt: data.expiresAt,
        timeZone: typeof data.timeZone === 'string' ? data.timeZone : undefined,
        communityId: data.communityId,
        joinRequestId: data.joinRequestId,
      })
      log(`✉ e-mail to ${data.name} <${data.email}>: ${data.confirmUrl}  (see the outbox)`)
    } else if (
      (payload.type === 'join.approved' || payload.type === 'join.rejected') &&
      data.email
    ) {
      // The decision, told by mail to a confirmed address.
      const approved = payload.type === 'join.approved'
      keepMail({
        subject: german
          ? `Deine Anfrage bei ${data.communityName}: ${approved ? 'angenommen' : 'abgelehnt'}`
          : `Your request to join ${data.communityName}: ${approved ? 'approved' : 'declined'}`,
        decision: {
          approved,
          reason: data.reason ?? null,
          communityName: data.communityName,
          pageUrl: data.pageUrl ?? null,
        },
        joinRequestId: data.joinRequestId,
      })
      log(`✉ e-mail to ${data.name} <${data.email}>: ${payload.type}  (see the outbox)`)
    } else if (payload.type === 'announcement.message') {
      const to = data.recipient ?? {}
      if (to.phone) {
        keep(messages, {
          id,
          number: digits(to.phone),
          direction: 'out',
          kind: 'announcement',
          text: data.text,
          at: Date.now(),
        })
      }
      log(`✔ ${request.url} ${id} announcement → ${to.name} <${to.phone ?? to.email}>`)
      log(`  ${oneLine(data.text)}`)
    } else {
      log(`✔ ${request.url} ${id} ${payload.type}`)
      log(`  ${JSON.stringify(data)}`)
    }
    json(response, 200, { ok: true })
  }

  async function fireCron() {
    try {
      const answer = await fetch(`${workerUrl}/cdn-cgi/local/scheduled`)
      await answer.body?.cancel()
      return answer.status
    } catch (error) {
      return notReached(error)
    }
  }

  const conversation = (number) => messages.filter((message) => message.number === number)
  const knownNumbers = () => [...new Set(messages.map((message) => message.number))]

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const body = await readBody(request)
    const path = url.pathname
    const wantsJson = (request.headers['content-type'] ?? '').startsWith('application/json')
    try {
      if (await telegram.handle(request, path, body, response, { json, html, redirect })) return
      if (request.method === 'GET') {
        if (path === '/') return html(response, indexPage({ url: standIns.url, workerUrl }))
        // wa.me's shape: /phone/<business number>?text=...
        if (path === '/phone' || /^\/phone\/\d+$/.test(path)) {
          const number =
            digits(url.searchParams.get('number')) || cookie(request, 'stand-in-phone') || ''
          return html(
            response,
            phonePage({
              number,
              text: url.searchParams.get('text') ?? '',
              businessNumber: whatsapp.businessNumber,
              workerUrl,
              chat: number ? conversation(number) : [],
              knownNumbers: knownNumbers(),
              error: url.searchParams.get('error'),
            }),
          )
        }
        if (path === '/phone/chat') {
          return html(response, chatList(conversation(digits(url.searchParams.get('number')))))
        }
        if (path === '/phone/messages.json') {
          const number = digits(url.searchParams.get('number'))
          return json(response, 200, number ? conversation(number) : messages)
        }
        if (path === '/outbox') return html(response, outboxPage({ mails, workerUrl }))
        if (path === '/outbox.json') return json(response, 200, mails)
      }
      if (request.method === 'POST') {
        // `curl -d '{...}' .../whatsapp/say` sends JSON as a form: that one is always JSON.
        const form =
          wantsJson || path === '/whatsapp/say'
            ? (parseJson(body) ?? {})
            : Object.fromEntries(new URLSearchParams(body))
        if (path === '/phone/send' || path === '/phone/tap' || path === '/whatsapp/say') {
          const from = whatsAppIdOf(form.from)
          const text = String(form.text ?? '').trim()
          const problem = !/^\d{6,15}$/.test(from)
            ? 'Enter the phone number you signed up with, as you typed it on the form.'
            : !text
              ? 'Write a message first.'
              : null
          if (problem && (wantsJson || path === '/whatsapp/say')) {
            return json(response, 400, { error: problem })
          }
          if (problem)
            return redirect(response, `/phone?number=${from}&error=${encodeURIComponent(problem)}`)
          const button =
            path === '/phone/tap'
              ? { payload: String(form.payload ?? text), context: form.context }
              : undefined
          const sent = sendFromPhone(from, text, button)
          // The old `POST /whatsapp/say` answers at once, as before.
          if (path === '/whatsapp/say') return response.writeHead(202).end()
          const entry = await sent
          if (wantsJson) return json(response, 200, { id: entry.id, worker: entry.worker })
          response.setHeader('set-cookie', `stand-in-phone=${from}; Path=/; SameSite=Lax`)
          return redirect(response, `/phone?number=${from}`)
        }
        if (/^\/whatsapp\/v\d+\.\d+\/[^/]+\/messages$/.test(path)) {
          return cloudApiSend(request, body, response)
        }
        if (path === '/cron') {
          const status = await fireCron()
          log(`✔ cron fired: ${status}`)
          if (wantsJson) return json(response, 200, { worker: status })
          return redirect(response, safeBack(request.headers.referer) ?? '/outbox')
        }
        return receiveWebhook(request, body, response)
      }
      json(response, 404, { error: 'no such page' })
    } catch (error) {
      log(`✘ ${request.method} ${path}: ${error.stack ?? error}`)
      json(response, 500, { error: 'stand-in failed' })
    }
  })

  const boundPort = await listen(server, port, exactPort ? 1 : 50, avoid)
  const standIns = {
    url: `http://127.0.0.1:${boundPort}`,
    trust,
    /** Hands the Telegram stand-in the chats and invite links the bot has (see `adopt`). */
    adoptTelegram: telegram.adopt,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  return standIns
}

/** Listens on the first port from `from` that is free and not to be avoided. */
function listen(server, from, tries, avoid) {
  return new Promise((resolve, reject) => {
    let port = from
    const attempt = () => {
      while (avoid.includes(port)) port++
      server.once('error', (error) => {
        if (error.code !== 'EADDRINUSE' || --tries <= 0) return reject(error)
        port++
        attempt()
      })
      server.listen(port, '127.0.0.1', () => {
        server.removeAllListeners('error')
        resolve(port)
      })
    }
    attempt()
  })
}

/** The payload if one of the known secrets signed it, else undefined. */
function verify(verifiers, body, headers) {
  for (const verifier of verifiers) {
    try {
      return verifier.verify(body, headers)
    } catch {
      // try the next secret
    }
  }
  return undefined
}

/** What a person sees of a message the business sent: its text, or its template's words. */
function messageText(message) {
  if (message.type === 'text') return message.text?.body ?? ''
  if (message.type === 'template') {
    const words = (message.template?.components ?? [])
      .filter((component) => component.type === 'body')
      .flatMap((component) => component.parameters ?? [])
      .map((parameter) => parameter.text)
      .filter(Boolean)
    return `[template ${message.template?.name}] ${words.join(' · ')}`.trim()
  }
  return `[${message.type}]`
}

/** A template's quick-reply buttons, with the payload each sends back when tapped. */
function quickReplies(message) {
  return (message.template?.components ?? [])
    .filter((component) => component.type === 'button' && component.sub_type === 'quick_reply')
    .map((component) => ({ payload: component.parameters?.[0]?.payload ?? '' }))
}

function metaError(code, text) {
  return { error: { message: text, type: 'OAuthException', code, fbtrace_id: 'stand-in' } }
}

function notReached(error) {
  return `not reached (${error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.message})`
}

/** Chat messages have line breaks; the terminal gets one line per message. */
function oneLine(text) {
  return String(text ?? '').replace(/\s+/g, ' ')
}

function digits(value) {
  return String(value ?? '').replace(/\D/g, '')
}

/**
 * The WhatsApp id (the number's digits, country code first) of a number typed as the join form
 * takes it: with a country code, or without one as a German number, as the form reads it.
 * WhatsApp itself always knows the country; a person typing their number here need not say it.
 */
function whatsAppIdOf(value) {
  const parsed = parsePhoneNumberFromString(String(value ?? '').trim(), 'DE')
  return parsed?.isValid() ? parsed.number.slice(1) : digits(value)
}

function parseJson(text) {
  try {
    return JSON.parse(text || '{}')
  } catch {
    return undefined
  }
}

function cookie(request, name) {
  const match = new RegExp(`(?:^|;\\s*)${name}=(\\d+)`).exec(request.headers.cookie ?? '')
  return match?.[1]
}

/** Back to the stand-in page a form came from, never elsewhere. */
function safeBack(referer) {
  try {
    const url = new URL(referer)
    return url.hostname === '127.0.0.1' ? `${url.pathname}${url.search}` : undefined
  } catch {
    return undefined
  }
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })
}

function json(response, status, value) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

function html(response, page) {
  response
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(page)
}

function redirect(response, location) {
  response.writeHead(303, { location }).end()
}
