import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNewcomerDev, type NewcomerDev } from '../support/newcomer-dev'
import { eventually } from '../support/eventually'

/**
 * Day one with nothing but `npm run dev`: a double opt-in sign-up is confirmed by WhatsApp on the
 * local phone page, and by e-mail through the local outbox, on a port that is not the default.
 */
/** The owner token of .dev.vars.example, which `npm run dev` copies to .dev.vars. */
const OWNER_TOKEN = 'dev-owner-token-change-me-0123456789'
let dev: NewcomerDev
let base: string
let standIns: string

beforeAll(async () => {
  // A newcomer's shell: nothing configured. No demo data, which this test does not need.
  dev = await startNewcomerDev({
    env: { SEED: '0' },
    unset: /^(WHATSAPP_|DELIVERY_WEBHOOK_URL|STAND_INS|CRON$)/,
  })
  base = dev.base
  standIns = /Phone \(WhatsApp\) (http:\/\/127\.0\.0\.1:\d+)\/phone/.exec(dev.output())?.[1] ?? ''
}, 300_000)

afterAll(() => dev?.stop())

async function api(method: string, pathname: string, body?: unknown): Promise<any> {
  const response = await fetch(`${base}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${OWNER_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.status, `${method} ${pathname}`).toBeLessThan(300)
  return response.json()
}

/** A new community, double opt-in as every new one is, and a link to join it. */
async function newCommunity(name: string): Promise<{ community: any; invite: any }> {
  const community = await api('POST', '/api/communities', {
    name,
    description: 'Made by the stand-ins test',
    visibility: 'open',
  })
  expect(community.consent).toBe('double')
  const invite = await api('POST', `/api/communities/${community.id}/invites`, {})
  return { community, invite }
}

/** The JSON join, as a marketer's own site sends it, from an English page. */
async function join(code: string, body: Record<string, unknown>): Promise<any> {
  const response = await fetch(`${base}/i/${code}/join?lang=en`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ consent: true, ...body }),
  })
  expect(response.status).toBe(201)
  return response.json()
}

const text = async (url: string, init?: RequestInit) => (await fetch(url, init)).text()

describe('npm run dev, with its local stand-ins', () => {
  it('starts them next to the Worker and says where they are', () => {
    expect(standIns).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(dev.output()).toContain(`Phone (WhatsApp) ${standIns}/phone`)
    expect(dev.output()).toContain(`E-mail outbox    ${standIns}/outbox`)
    expect(dev.output()).not.toMatch(/E-mail outbox.*no events/)
  })

  it('confirms a sign-up by WhatsApp on the phone page, and the reply arrives there', async () => {
    const { invite } = await newCommunity('Stand-in Runners')
    // Typed without the country code, as the form takes it and on the phone page alike.
    const phone = '0151 2345 6789'
    const joined = await join(invite.code, { name: 'Ada', phone })
    expect(joined.status).toBe('unconfirmed')
    const { code, whatsappUrl } = joined.confirmation
    // The status page's "Confirm in WhatsApp" opens the local phone, not wa.me.
    expect(whatsappUrl).toMatch(new RegExp(`^${standIns}/phone/49300000000\\?text=`))
    const status = `${joined.statusUrl}?lang=en`
    const waiting = await text(status)
    expect(waiting).toContain('Confirm in WhatsApp')
    expect(waiting).toContain(`href="${standIns}/phone/49300000000?text=`)

    // The phone page opens with the message filled in; sending it is what the page's form does.
    const page = await text(whatsappUrl)
    const prefilled = /<textarea[^>]*>([^<]*)<\/textarea>/.exec(page)?.[1] ?? ''
    expect(prefilled).toContain(code)
    const sent = await fetch(`${standIns}/phone/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ from: phone, text: prefilled }),
      redirect: 'manual',
    })
    expect(sent.status).toBe(303)
    expect(sent.headers.get('location')).toBe('/phone?number=4915123456789')

    await eventually(async () =>
      expect(await text(status)).toContain('<h1>Your place is confirmed</h1>'),
    )
    // The Worker's reply went out through the Cloud API stand-in, and was read.
    const chat = await eventually(async () => {
      const messages = await (
        await fetch(`${standIns}/phone/messages.json?number=4915123456789`)
      ).json()
      expect(messages).toContainEqual(
        expect.objectContaining({ direction: 'in', worker: 200, text: prefilled }),
      )
      expect(messages).toContainEqual(
        expect.objectContaining({
          direction: 'out',
          status: 'read',
          text: expect.stringContaining('your place in Stand-in Runners is confirmed'),
        }),
      )
      return messages
    })
    expect(chat).toHaveLength(2)
    expect(await text(`${standIns}/phone?number=4915123456789`)).toContain(
      'your place in Stand-in Runners is confirmed',
    )
  })

  it('puts the confirmation e-mail in the outbox; its link confirms the sign-up', async () => {
    const { invite } = await newCommunity('Stand-in Makers')
    const email = `ada-${Date.now()}@example.com`
    const joined = await join(invite.code, { name: 'Ada', email })
    expect(joined.confirmation.emailSent).toBe(true)
    const status = `${joined.statusUrl}?lang=en`
    expect(await text(status)).toContain(
      `An e-mail with a confirmation link is on its way to <bdi>${email}</bdi>.`,
    )

    // Events leave the Worker with the cron: the outbox page's button fires it.
    const cron = await fetch(`${standIns}/cron`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    })
    expect(await cron.json()).toEqual({ worker: 200 })
    const mail = await eventually(async () => {
      const mails = (await (await fetch(`${standIns}/outbox.json`)).json()) as Array<{
        to: { name: string; email: string }
        subject: string
        confirmUrl: string
      }>
      const found = mails.find((candidate) => candidate.to.email === email)
      expect(found).toBeDefined()
      return found!
    })
    expect(mail.to.name).toBe('Ada')
    expect(mail.subject).toContain('Stand-in Makers')
    expect(mail.confirmUrl.startsWith(`${base}/confirm/`)).toBe(true)
    expect(await text(`${standIns}/outbox`)).toContain(`<a href="${mail.confirmUrl}">`)
    // The link's expiry on the community's clock (Berlin), whatever this machine's zone.
    expect(await text(`${standIns}/outbox`)).toMatch(
      /(?:Valid until|Gültig bis) [^<]* (?:CES?T|MES?Z)\./,
    )

    // Opening the link shows a button; the button confirms.
    const inEnglish = new URL(mail.confirmUrl)
    inEnglish.searchParams.set('lang', 'en')
    expect(await text(inEnglish.href)).toContain('Yes, confirm')
    const confirmed = await text(inEnglish.href, {
      method: 'POST',
      headers: { origin: base },
    })
    expect(confirmed).toContain('Thank you, you have confirmed')
    expect(await text(status)).toContain('<h1>Your place is confirmed</h1>')
  })
})

describe('npm run dev, an admin deciding', () => {
  it('tells a confirmed e-mail address the decision through the outbox, in the sign-up’s language', async () => {
    const community = await api('POST', '/api/communities', {
      name: 'Stand-in Closed Circle',
      description: 'Made by the stand-ins test',
      visibility: 'closed',
    })
    const invite = await api('POST', `/api/communities/${community.id}/invites`, {})
    const mailsTo = async (email: string) =>
      (
        (await (await fetch(`${standIns}/outbox.json`)).json()) as Array<{
          to: { email: string }
          subject: string
        }>
      ).filter((mail) => mail.to.email === email)
    const runCron = async () =>
      fetch(`${standIns}/cron`, { method: 'POST', headers: { 'content-type': 'application/json' } })
    const decided: Array<[string, 'approve' | 'reject', string]> = [
      ['Grace', 'approve', 'Your request to join Stand-in Closed Circle: approved'],
      ['Hopper', 'reject', 'Your request to join Stand-in Closed Circle: declined'],
    ]
    const pages: string[] = []
    for (const [name, action, subject] of decided) {
      const email = `${name.toLowerCase()}-${Date.now()}@example.com`
      const joined = await join(invite.code, { name, email })
      await runCron()
      const [confirmation] = await eventually(async () => {
        const mails = (await (await fetch(`${standIns}/outbox.json`)).json()) as Array<{
          to: { email: string }
          confirmUrl?: string
        }>
        const found = mails.filter((mail) => mail.to.email === email && mail.confirmUrl)
        expect(found).toHaveLength(1)
        return found
      })
      await fetch(confirmation!.confirmUrl!, { method: 'POST', headers: { origin: base } })
      pages.push(confirmation!.confirmUrl!)
      await api(
        'POST',
        `/api/join-requests/${joined.joinRequestId}/${action}`,
        action === 'reject' ? { reason: 'The circle is full' } : undefined,
      )
      await runCron()
      const told = await eventually(async () => {
        const mails = (await mailsTo(email)).filter((mail) => mail.subject === subject)
        expect(mails).toHaveLength(1)
        return mails[0]!
      })
      expect(told.subject).toBe(subject)
    }
    const outbox = await text(`${standIns}/outbox`)
    expect(outbox).toContain(
      'Hello Grace, your request to join Stand-in Closed Circle was approved',
    )
    expect(outbox).toContain(
      'Hello Hopper, your request to join Stand-in Closed Circle was declined.',
    )
    expect(outbox).toContain('Reason: The circle is full')
    // Each decision's mail leads to the page its confirmation link opened: the decision there.
    expect(outbox).toContain(`How to get into the group: <a href="${pages[0]}">`)
    expect(outbox).toContain(`Your sign-up: <a href="${pages[1]}">`)
  })
})

describe('npm run dev, announcing', () => {
  it('sends an announcement as a WhatsApp message to the member’s phone, and counts it delivered and read', async () => {
    const { community, invite } = await newCommunity('Stand-in Announcers')
    const phone = '+49 151 7654 3210'
    const joined = await join(invite.code, { name: 'Bo', phone })
    const prefilled = decodeURIComponent(
      new URL(joined.confirmation.whatsappUrl).searchParams.get('text') ?? '',
    )
    const sent = await fetch(`${standIns}/phone/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ from: phone, text: prefilled }),
      redirect: 'manual',
    })
    expect(sent.status).toBe(303)
    await eventually(async () => {
      const members = await api('GET', `/api/communities/${community.id}/members`)
      expect(members.data).toEqual([expect.objectContaining({ status: 'active' })])
    })

    const body = `Stand-in run on Sunday ${Date.now()}`
    const announcement = await api('POST', `/api/communities/${community.id}/announcements`, {
      body,
      sendAt: new Date(Date.now() + 3_600_000).toISOString(),
    })
    expect(announcement.reported).toEqual({ delivered: true, read: true })
    await api('POST', `/api/announcements/${announcement.id}/send-now`)
    // What Cloudflare's cron does every minute, fired now as the summary says.
    expect((await fetch(`${base}/cdn-cgi/local/scheduled`)).status).toBe(200)

    await eventually(async () => {
      const messages = await (
        await fetch(`${standIns}/phone/messages.json?number=4915176543210`)
      ).json()
      expect(messages).toContainEqual(
        expect.objectContaining({ direction: 'out', text: expect.stringContaining(body) }),
      )
    })
    const report = await eventually(async () => {
      const current = await api('GET', `/api/announcements/${announcement.id}`)
      expect(current.deliveries).toMatchObject({ sent: 1, delivered: 1, read: 1 })
      return current
    }, 30_000)
    expect(report.rates).toMatchObject({ delivered: 1, read: 1 })
  }, 120_000)
})

describe('npm run dev, with the Telegram stand-in', () => {
  const telegram = async (path: string, body: Record<string, unknown>) => {
    const response = await fetch(`${standIns}/telegram/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.status).toBe(200)
    return ((await response.json()) as { notice: string }).notice
  }

  it('connects the bot, and a chat, its invite link, a join request and /start work offline', async () => {
    expect(dev.output()).toContain(`Telegram         ${standIns}/telegram  (join the demo chat`)
    const connection = await api('GET', '/api/telegram/connection')
    expect(connection).toMatchObject({ connected: true, webhookUrl: `${base}/webhooks/telegram` })
    // An admin adds the bot to a group: the chat becomes known to the Worker.
    const title = `Stand-in paddlers ${Date.now()}`
    expect(await telegram('add-bot', { title })).toMatch(/Worker answered 200/)
    const chat = await eventually(async () => {
      const chats = await api('GET', '/api/telegram/chats?limit=100')
      const found = chats.data.find((c: { title: string }) => c.title === title)
      expect(found).toBeDefined()
      return found as { chatId: number }
    })
    const community = await api('POST', '/api/communities', {
      name: title,
      description: 'Made by the stand-ins test',
      visibility: 'closed',
    })
    const group = await api('POST', `/api/communities/${community.id}/groups`, { name: 'Chat' })
    await api('PATCH', `/api/groups/${group.id}`, { telegramChatId: chat.chatId })
    const invite = await api('POST', `/api/communities/${community.id}/invites`, {
      groupId: group.id,
      label: 'Flyer',
    })
    const url = await eventually(async () => {
      const current = await api('GET', `/api/invites/${invite.id}`)
      expect(current.chatInviteUrl).toMatch(/^https:\/\/t\.me\/\+/)
      return current.chatInviteUrl as string
    })
    expect(await telegram('join', { link: url, name: 'Eve' })).toMatch(/Eve asked to join/)
    const [request] = await eventually(async () => {
      const list = await api(
        'GET',
        `/api/communities/${community.id}/telegram-join-requests?status=pending`,
      )
      expect(list.data).toHaveLength(1)
      return list.data
    })
    expect(request.name).toBe('Eve')
    const approved = await api('POST', `/api/telegram-join-requests/${request.id}/approve`)
    expect(approved.status).toBe('approved')
    // The stand-in lets Eve in, and tells the Worker as Telegram would: a verified join.
    await eventually(async () => {
      const stats = await api('GET', `/api/invites/${invite.id}/stats`)
      expect(JSON.stringify(stats)).toMatch(/"verifiedJoins":1/)
    })
    expect(await telegram('say', { text: '/start', from: 7_200_000_010 })).toMatch(/answered 200/)
    await eventually(async () =>
      expect(await text(`${standIns}/telegram`)).toContain('7200000010 #1: Hallo!'),
    )
  }, 120_000)
})
