import { describe, expect, inject, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  createToken,
  eventually,
  query,
  runCron,
} from '../worker/helpers'
import { csrfOf, headerPending, page, post, signIn, tabPending } from '../worker/dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'
import {
  botStatusUpdate,
  joinRequestUpdate,
  newChatId,
  newUser,
  postUpdate,
} from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')

/** A dashboard page in German, as a browser set to German opens it. */
async function german(path: string, cookie: string) {
  const answer = await call('GET', path, {
    token: null,
    headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
  })
  expect(answer.status, answer.text.slice(0, 300)).toBe(200)
  return answer.text
}

/** The users Telegram was asked to let in (or turn away) in a chat. */
async function decided(method: string, chatId: number) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith(`/${method}`) && JSON.parse(r.body).chat_id === chatId)
    .map((r) => JSON.parse(r.body).user_id as number)
}

async function closedChatWithRequests(people: Array<ReturnType<typeof newUser>>) {
  const world = await telegramCommunity('closed')
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'Ask' })
  const url = await withTelegramLink(invite.id)
  for (const person of people) await postUpdate(joinRequestUpdate(world.chatId, person, url))
  const ids = await eventually(async () => {
    const list = await call(
      'GET',
      `/api/communities/${world.community.id}/telegram-join-requests?status=pending&limit=100`,
    )
    expect(list.json.data).toHaveLength(people.length)
    return (list.json.data as Array<{ id: string; userId: number }>).map((r) => r.id)
  })
  return { ...world, ids }
}

describe('Telegram join requests in the approval queue', () => {
  it('are listed beside web requests, marked from Telegram, in both languages', async () => {
    const nina = newUser('Nina')
    const { community } = await closedChatWithRequests([nina])
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/approvals`
    const english = await page(path, cookie)
    expect(english.status).toBe(200)
    expect(english.text).toContain('Join requests from Telegram')
    expect(english.text).toContain('from Telegram')
    expect(english.text).toContain('Nina')
    expect(english.text).toContain(`@${nina.username}`)
    expect(english.text).toContain('Runs on Sundays')
    expect(english.text).toContain('Approve selected')
    // The person's name is labelled as a name (a phone shows each cell under its label).
    expect(english.text).toContain('<td data-label="Name"><bdi>Nina')
    expect(english.text).not.toContain('<td data-label="Chat"><bdi>Nina')
    const deutsch = await german(path, cookie)
    expect(deutsch).toContain('<td data-label="Name"><bdi>Nina')
    // The same words as the web requests' bulk buttons.
    expect(deutsch).toContain('Ausgewählte annehmen')
    expect(deutsch).toContain('Beitrittsanfragen über Telegram')
    expect(deutsch).toContain('über Telegram')
    expect(englishLeftIn(readableText(deutsch))).toEqual([])
  })

  it('have no section on the page of a community none of whose groups is on Telegram', async () => {
    const { community } = await closedChatWithRequests([])
    const elsewhere = await createCommunity({ visibility: 'closed' })
    const { cookie } = await signIn()
    // On Telegram with none waiting: the section says none are.
    const onTelegram = await page(`/admin/communities/${community.id}/approvals`, cookie)
    expect(onTelegram.text).toContain('Join requests from Telegram')
    const webOnly = await page(`/admin/communities/${elsewhere.id}/approvals`, cookie)
    expect(webOnly.status).toBe(200)
    expect(webOnly.text).not.toContain('Join requests from Telegram')
  })

  it('above them, says none came through the form, not that none are pending', async () => {
    const { community } = await closedChatWithRequests([newUser('Quinn')])
    const { cookie } = await signIn()
    // (The overview of all communities says the same while no community has a web request.)
    for (const path of [`/admin/communities/${community.id}/approvals`]) {
      const english = readableText((await page(path, cookie)).text)
      expect(english, path).toContain(
        'No pending requests through the sign-up form. The join requests from Telegram are waiting below.',
      )
      expect(english, path).not.toContain('No pending requests. New requests show up here')
      expect(readableText(await german(path, cookie)), path).toContain(
        'Keine offenen Anfragen über das Anmeldeformular.',
      )
    }
  })

  it('count on the community’s approvals tab and in the header’s sum, until decided', async () => {
    const { community, ids } = await closedChatWithRequests([newUser('Olli'), newUser('Pia')])
    const { cookie } = await signIn()
    const approvals = `/admin/communities/${community.id}/approvals`
    const before = headerPending((await page('/admin', cookie)).text)!
    expect(before.count).toBeGreaterThanOrEqual(2)
    for (const path of [approvals, `/admin/communities/${community.id}`]) {
      const html = (await page(path, cookie)).text
      expect(tabPending(html), path).toBe(2)
      expect(headerPending(html), path).toEqual(before)
    }
    // Each person's language named in the admin's, not as Telegram's code.
    expect((await page(approvals, cookie)).text).toContain('<bdi>German</bdi>')
    expect(await german(approvals, cookie)).toContain('<bdi>Deutsch</bdi>')
    const decided = await call('POST', `/api/telegram-join-requests/${ids[0]}/decline`)
    expect(decided.status, decided.text).toBe(200)
    const after = (await page(approvals, cookie)).text
    expect(tabPending(after)).toBe(1)
    expect(headerPending(after)).toEqual({ ...before, count: before.count - 1 })
  })

  it('are approved one by one and declined in bulk through the Bot API, a gone one shown as gone', async () => {
    const [ana, ben, gone] = [newUser('Ana'), newUser('Ben'), newUser('Gone', 5)]
    const { community, chatId, ids } = await closedChatWithRequests([ana, ben, gone])
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/approvals`
    const opened = await page(path, cookie)
    const one = await post(`/admin/communities/${community.id}/telegram-approvals`, cookie, {
      _csrf: csrfOf(opened.text),
      only: `approve:${ids[0]}`,
    })
    expect(one.status).toBe(303)
    expect(await decided('approveChatJoinRequest', chatId)).toEqual([ana.id])
    const after = await page(one.headers.get('location')!, cookie)
    expect(after.text).toContain('Telegram requests: 1 approved.')
    expect(after.text).not.toContain(`@${ana.username}`)
    const bulk = await post(`/admin/communities/${community.id}/telegram-approvals`, cookie, {
      _csrf: csrfOf(after.text),
      action: 'decline',
      ids: [ids[1]!, ids[2]!],
    })
    expect(bulk.status).toBe(303)
    expect((await decided('declineChatJoinRequest', chatId)).sort()).toEqual(
      [ben.id, gone.id].sort(),
    )
    const done = await page(bulk.headers.get('location')!, cookie)
    // Telegram no longer had one of them: it is reported gone, not declined, not failed.
    expect(done.text).toContain('Telegram requests: 1 rejected, 1 no longer waiting.')
    // The bulk buttons with no box ticked say so; a form no page sends is refused by name.
    const none = await post(`/admin/communities/${community.id}/telegram-approvals`, cookie, {
      _csrf: csrfOf(done.text),
      action: 'approve',
    })
    expect(none.status).toBe(303)
    // Shown where the page's notices stand, at its top: not scrolled past to the Telegram part.
    expect(none.headers.get('location')).not.toContain('#')
    expect((await page(none.headers.get('location')!, cookie)).text).toContain(
      'Nothing decided: no request was selected.',
    )
    const crafted = await post(`/admin/communities/${community.id}/telegram-approvals`, cookie, {
      _csrf: csrfOf(done.text),
      action: 'ban',
      ids: [ids[3] ?? ids[0]!],
    })
    expect(crafted.status).toBe(400)
    expect(crafted.text).toContain('The field action names no decision of this page.')
    expect(done.text).toContain('No open requests from Telegram.')
    const api = await call(
      'GET',
      `/api/communities/${community.id}/telegram-join-requests?status=gone&limit=10`,
    )
    expect(api.json.data.map((r: { userId: number }) => r.userId)).toEqual([gone.id])
    const deutsch = await german(`${bulk.headers.get('location')!}`, cookie)
    expect(deutsch).toContain('Telegram-Anfragen: 1 abgelehnt, 1 nicht mehr da.')
    // The decisions Telegram took are in the community's audit log, the gone one is not.
    await eventually(async () => {
      const log = await call('GET', `/api/communities/${community.id}/audit-log?limit=100`)
      const decisions = (log.json.data as Array<{ action: string; targetId: string }>)
        .filter((e) => e.action.startsWith('join_request.'))
        .map((e) => `${e.action} ${e.targetId}`)
        .sort()
      expect(decisions).toEqual(
        [`join_request.approved ${ids[0]}`, `join_request.rejected ${ids[1]}`].sort(),
      )
    })
  })

  it('are in the approvals overview across communities, approvable from there', async () => {
    const lea = newUser('Lea')
    const { community, chatId, ids } = await closedChatWithRequests([lea])
    const { cookie } = await signIn()
    const overview = await page('/admin/approvals', cookie)
    expect(overview.text).toContain('Join requests from Telegram')
    expect(overview.text).toContain(`/admin/communities/${community.id}/approvals`)
    expect(overview.text).toContain(`@${lea.username}`)
    const approved = await post(
      `/admin/communities/${community.id}/telegram-approvals?back=overview`,
      cookie,
      { _csrf: csrfOf(overview.text), action: 'approve', ids: [ids[0]!] },
    )
    expect(approved.status).toBe(303)
    expect(approved.headers.get('location')).toMatch(/^\/admin\/approvals\?tg=1\.0\.0\.0/)
    expect(await decided('approveChatJoinRequest', chatId)).toEqual([lea.id])
    const deutsch = await german('/admin/approvals', cookie)
    expect(englishLeftIn(readableText(deutsch))).toEqual([])
  })
})

/** An attribute's value as a browser reads it: its entities decoded. */
function attributeText(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

describe('what Telegram tells of people and chats, on the dashboard', () => {
  it('shows markup and quotes in a name, a bio and a chat’s title as text, also to screen readers', async () => {
    const name = `Eve<script>alert(1)</script>" autofocus onfocus="alert(2)`
    const eve = { ...newUser('x'), first_name: name }
    const world = await telegramCommunity('closed')
    const invite = await createInvite(world.community.id, { groupId: world.group.id })
    const url = await withTelegramLink(invite.id)
    const request = joinRequestUpdate(world.chatId, eve, url)
    request.chat_join_request.bio = `<img src=x onerror=alert(3)>'`
    await postUpdate(request)
    const title = `<script>alert(4)</script>" onclick="alert(5)`
    const titled = newChatId(1)
    await postUpdate(botStatusUpdate(titled, 'administrator', { title }))
    await eventually(async () =>
      expect(await query('select 1 from telegram_chats where chat_id = ?', titled)).toHaveLength(1),
    )
    const { cookie } = await signIn()
    const approvals = await eventually(async () => {
      const opened = await page(`/admin/communities/${world.community.id}/approvals`, cookie)
      expect(opened.text).toContain('Eve&lt;script&gt;')
      return opened.text
    })
    const telegram = (await page('/admin/telegram', cookie)).text
    for (const html of [approvals, telegram]) {
      expect(html).not.toMatch(/<script>alert|<img src=x|" (autofocus|onfocus|onclick)=/)
    }
    expect(approvals).toContain('&lt;img src=x onerror=alert(3)&gt;')
    // The row's checkbox is named by the whole name, quotes and all.
    const labels = [
      ...approvals.matchAll(/type="checkbox" name="ids" value="[^"]+" aria-label="([^"]*)"/g),
    ]
    expect(labels.map(([, label]) => attributeText(label!))).toContain(name)
    expect(telegram).toContain('&lt;script&gt;alert(4)&lt;/script&gt;')
  })
})

describe('the Telegram forms, forged', () => {
  it('refuse a post from another site or without the form token: nothing is decided or linked', async () => {
    const asker = newUser('Asker')
    const { community, group, chatId, ids } = await closedChatWithRequests([asker])
    const other = newChatId(1)
    await postUpdate(botStatusUpdate(other, 'administrator'))
    const { cookie } = await signIn()
    const token = csrfOf((await page('/admin/telegram', cookie)).text)
    const forms: Array<[string, Record<string, string>]> = [
      [`/admin/communities/${community.id}/telegram-approvals`, { only: `approve:${ids[0]}` }],
      ['/admin/telegram/link', { chatId: String(other), groupId: group.id }],
    ]
    for (const [path, fields] of forms) {
      const withoutToken = await post(path, cookie, fields)
      expect(withoutToken.status, path).toBe(403)
      const crossSite = await post(
        path,
        cookie,
        { ...fields, _csrf: token },
        {
          'sec-fetch-site': 'cross-site',
          origin: 'https://attacker.example',
        },
      )
      expect(crossSite.status, path).toBe(403)
    }
    expect(await decided('approveChatJoinRequest', chatId)).toEqual([])
    const [linked] = await query<{ chat: number }>(
      'select telegram_chat_id as chat from groups where id = ?',
      group.id,
    )
    expect(linked!.chat).toBe(chatId)
  })
})

describe('the links page', () => {
  it('says "Telegram link pending" until Telegram made the chat’s invite link', async () => {
    // The stand-in answers the first createChatInviteLink of a chat ending in 7 with 429.
    const { community, group } = await telegramCommunity('open', 7)
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Poster' })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}`
    await eventually(async () => {
      const row = await call('GET', `/api/invites/${invite.id}`)
      expect(row.json.telegramLinkStatus).toBe('pending')
      // The first try is over: Telegram's retry_after is recorded as when to try again.
      const asked = await fetch(`${fake}/__requests?path=/telegram/bot`).then((r) => r.json())
      expect(
        (asked as Array<{ body: string }>).some((r) => r.body.includes('"name":"Poster"')),
      ).toBe(true)
    })
    expect((await page(path, cookie)).text).toContain('Telegram link pending')
    expect(await german(path, cookie)).toContain('Telegram-Link ausstehend')
    // The link's own page names the Telegram link once: "Telegram link: pending (…)".
    const text = (html: string) => readableText(html).replace(/\s+/g, ' ')
    const linkPage = text(await german(`/admin/links/${invite.id}`, cookie))
    expect(linkPage).toContain('Telegram-Link: ausstehend')
    expect(linkPage).not.toContain('Telegram-Link: Telegram-Link')
    const english = text((await page(`/admin/links/${invite.id}`, cookie)).text)
    expect(english).toContain('Telegram link: pending')
    // The cron job asks again once Telegram's retry_after has passed.
    await eventually(async () => {
      await runCron(Date.now() + 61_000)
      const row = await call('GET', `/api/invites/${invite.id}`)
      expect(row.json.telegramLinkStatus).toBe('active')
    })
    expect((await page(path, cookie)).text).not.toContain('Telegram link pending')
  })
})

describe('an announcement’s report', () => {
  it('shows the post to the chat as one message, not as recipients', async () => {
    const { community, group } = await telegramCommunity()
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: {
        body: 'Track night',
        audience: { groupIds: [group.id] },
        sendAt: new Date(Date.now() + 1000).toISOString(),
      },
    })
    expect(created.status, created.text).toBe(201)
    await runCron(Date.now() + 2000)
    await eventually(async () => {
      const answer = await call('GET', `/api/announcements/${created.json.id}`)
      expect(answer.json.telegramPosts).toMatchObject([{ status: 'sent' }])
    })
    const { cookie } = await signIn()
    const path = `/admin/announcements/${created.json.id}`
    const report = await page(path, cookie)
    expect(report.status).toBe(200)
    expect(report.text).toContain('Posted to Telegram')
    expect(report.text).toContain('posted')
    expect(report.text).toContain(group.name)
    // Nobody in its audience is messaged one by one, and the page says why, not "yet".
    expect(readableText(report.text)).toContain(
      'No recipients to count: this announcement goes to Telegram only (above)',
    )
    expect(report.text).not.toContain('No recipients yet')
    const deutsch = await german(path, cookie)
    expect(deutsch).toContain('In Telegram gepostet')
    expect(readableText(deutsch)).toContain('Diese Ankündigung geht nur an Telegram (oben)')
    expect(englishLeftIn(readableText(deutsch))).toEqual([])
    // The list counts it beside the recipients, not among them.
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).toContain('and 1 post to Telegram chats')
    const liste = await german(`/admin/communities/${community.id}/announcements`, cookie)
    expect(liste).toContain('und 1× in Telegram-Chats gepostet')
  })
})

describe('linking a group to a Telegram chat, as a newcomer tries it', () => {
  it('a t.me link typed as a group’s chat link says how a Telegram chat is linked; the Telegram page says which chats are linked', async () => {
    const world = await telegramCommunity()
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${world.community.id}/settings`, cookie)
    const refused = await post(`/admin/groups/${world.group.id}/chat-link`, cookie, {
      _csrf: csrfOf(settings.text),
      chatInviteUrl: 'https://t.me/+abc123',
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('Chat invite links may point to')
    expect(refused.text).toContain(
      'A Telegram chat is linked through the bot instead: add the bot to the chat as an admin, then an owner picks this group for it on the Telegram page.',
    )
    // Another site's link is only refused: Telegram is no way there.
    const elsewhere = await post(`/admin/groups/${world.group.id}/chat-link`, cookie, {
      _csrf: csrfOf(settings.text),
      chatInviteUrl: 'https://evil.example.com/x',
    })
    expect(elsewhere.text).not.toContain('through the bot')

    const unlinked = newChatId(1)
    await postUpdate(botStatusUpdate(unlinked, 'administrator'))
    const telegram = await eventually(async () => {
      const html = (await page('/admin/telegram', cookie)).text
      expect(html).toContain(`value="${unlinked}"`)
      return html
    })
    const rowOf = (chatId: number) => {
      const start = telegram.indexOf(`id="telegram-chat${chatId}"`)
      return telegram.slice(start, telegram.indexOf('</tr>', start))
    }
    // The linked chat's button changes its link; the other one's makes one.
    expect(rowOf(world.chatId)).toContain('Change link</button>')
    expect(rowOf(unlinked)).toContain('>Link</button>')
    // The chat's id on a line of its own, not run into its title.
    expect(rowOf(unlinked)).toContain(`<div class="muted small code whole">${unlinked}</div>`)
  })
})

describe('a new community’s first steps, with Telegram set up', () => {
  it('offer the Telegram page as the other way to say where joining leads; an admin is told an owner links the chat', async () => {
    const community = await createCommunity()
    const firstStep = (html: string) =>
      html.slice(
        html.indexOf('<h2>Get started</h2>'),
        html.indexOf('</li>', html.indexOf('<h2>Get started</h2>')),
      )
    const owner = firstStep(
      (await page(`/admin/communities/${community.id}`, (await signIn()).cookie)).text,
    )
    expect(owner).toContain(
      '<a href="/admin/telegram">Or a Telegram chat, through the bot, on the Telegram page</a>',
    )
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const theirs = firstStep(
      (await page(`/admin/communities/${community.id}`, (await signIn(admin.token)).cookie)).text,
    )
    expect(theirs).toContain('(an owner links a Telegram chat through the bot)')
    expect(theirs).not.toContain('/admin/telegram')
  })

  it('say on the settings of a community with a Telegram chat that its join questions are not asked there', async () => {
    const { community } = await telegramCommunity('closed')
    const { cookie } = await signIn()
    const settings = (await page(`/admin/communities/${community.id}/settings`, cookie)).text
    expect(settings).toContain(
      'People who join through a Telegram link are not asked: their join request shows their name and bio from Telegram.',
    )
    expect(settings).toMatch(
      /<textarea id="joinQuestions" name="joinQuestions" rows="3" aria-describedby="joinQuestions-hint"/,
    )
    const plain = await createCommunity({ visibility: 'closed' })
    expect((await page(`/admin/communities/${plain.id}/settings`, cookie)).text).not.toContain(
      'are not asked: their join request',
    )
  })
})
