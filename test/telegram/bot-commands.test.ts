import { exports } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  joinAsMember,
} from '../worker/helpers'
import { memberUpdate, newUser, postUpdate, privateMessage } from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'

const fake = inject('fakeServicesUrl')

type Person = ReturnType<typeof newUser>

/** What the bot wrote to a person's private chat. */
async function repliesTo(person: Person) {
  const requests = (await (await fetch(`${fake}/__requests?path=/telegram/bot`)).json()) as Array<{
    path: string
    body: string
  }>
  return requests
    .filter((r) => r.path.endsWith('/sendMessage') && JSON.parse(r.body).chat_id === person.id)
    .map((r) => JSON.parse(r.body).text as string)
}

async function contactOf(person: Person) {
  const [row] = await query<Record<string, unknown>>(
    'select * from telegram_contacts where user_id = ?',
    person.id,
  )
  return row
}

/** A member of a Telegram group, with the bot's deep link their status page offers. */
async function memberWithStartLink() {
  const { community, group } = await telegramCommunity('open')
  const invite = await createInvite(community.id, { groupId: group.id })
  const joined = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
  expect(joined.status, joined.text).toBe(201)
  const startUrl = new URL(joined.json.telegramStartUrl as string)
  return {
    memberId: joined.json.memberId as string,
    community: community.name,
    payload: startUrl.searchParams.get('start')!,
    referralCode: new URL(joined.json.referralUrl as string).pathname.split('/')[2]!,
  }
}

describe('/start and /stop in a private chat with the bot', () => {
  it('/start from a member’s deep link links the account to them, with the consent’s proof', async () => {
    const { memberId, community, payload } = await memberWithStartLink()
    const mia = newUser('Mia')
    const update = privateMessage(mia, `/start ${payload}`)
    await postUpdate(update)
    const contact = await eventually(async () => {
      const row = await contactOf(mia)
      expect(row?.status).toBe('started')
      return row!
    })
    expect(contact).toMatchObject({
      member_id: memberId,
      username: mia.username,
      language_code: 'de',
      consent_method: 'telegram_start',
      consent_proof: `telegram_update:${update.update_id}`,
      confirmed_at: update.message.date * 1000,
    })
    const [reply] = await eventually(async () => {
      const replies = await repliesTo(mia)
      expect(replies).toHaveLength(1)
      return replies
    })
    expect(reply).toBe(
      `Hallo Mia! Du bekommst hier ab jetzt Nachrichten von ${community}. Mit /stop meldest du dich jederzeit ab.`,
    )
    expect(reply).toContain('/stop')
  })

  it('/start without a member’s code records the start on its own, and says in English that no messages come yet', async () => {
    const sam = newUser('Sam')
    await postUpdate(privateMessage(sam, '/start not-a-code', { languageCode: 'en-GB' }))
    await eventually(async () =>
      expect(await contactOf(sam)).toMatchObject({ status: 'started', member_id: null }),
    )
    await eventually(async () =>
      expect(await repliesTo(sam)).toEqual([
        'Hi! We do not know yet which community you belong to. Open the Telegram link on your status page (it carries your personal code) to get its messages here. Send /stop at any time.',
      ]),
    )
  })

  it('/start from someone who joined the chat through Telegram does not send them to a status page they never had', async () => {
    const { community, group, chatId } = await telegramCommunity('closed')
    const invite = await createInvite(community.id, { groupId: group.id })
    const url = await withTelegramLink(invite.id)
    const jan = newUser('Jan')
    await postUpdate(memberUpdate(chatId, jan, 'joined', { inviteLink: url }))
    await eventually(async () =>
      expect(
        await query(
          "select 1 from members where telegram_user_id = ? and status = 'active'",
          jan.id,
        ),
      ).toHaveLength(1),
    )
    await postUpdate(privateMessage(jan, '/start'))
    await eventually(async () =>
      expect(await contactOf(jan)).toMatchObject({ status: 'started', member_id: null }),
    )
    const replies = await eventually(async () => {
      const sent = await repliesTo(jan)
      expect(sent).toHaveLength(1)
      return sent
    })
    expect(replies[0]).not.toContain('Statusseite')
    expect(replies).toEqual([
      `Hallo! Du bist über Telegram in den Chat von ${community.name} gekommen. Nachrichten hier im privaten Chat bekommt nur, wer sich über das Formular der Community angemeldet hat: Hier schicken wir dir deshalb nichts.`,
    ])
  })

  it('/stop ends it like “Stopp” on WhatsApp, and /start resumes it without losing the member', async () => {
    const { memberId, payload } = await memberWithStartLink()
    const lea = newUser('Lea')
    await postUpdate(privateMessage(lea, `/start ${payload}`))
    await eventually(async () => expect((await contactOf(lea))?.status).toBe('started'))
    const stop = privateMessage(lea, '/stop')
    await postUpdate(stop)
    await eventually(async () =>
      expect(await contactOf(lea)).toMatchObject({
        status: 'stopped',
        stop_proof: `telegram_update:${stop.update_id}`,
        member_id: memberId,
      }),
    )
    // The keywords WhatsApp members use work here too, folded the same way.
    await postUpdate(privateMessage(lea, 'START'))
    await eventually(async () => expect((await contactOf(lea))?.status).toBe('started'))
    await postUpdate(privateMessage(lea, ' Stopp! '))
    await eventually(async () =>
      expect(await contactOf(lea)).toMatchObject({ status: 'stopped', member_id: memberId }),
    )
    await eventually(async () => expect(await repliesTo(lea)).toHaveLength(4))
    const replies = await repliesTo(lea)
    // A START without the code resumes the linked account, and says so.
    expect(replies[2]).toBe(
      'Hallo! Du bekommst hier ab jetzt unsere Nachrichten. Mit /stop meldest du dich jederzeit ab.',
    )
    expect(replies.at(-1)).toBe(
      'Du bekommst von uns keine Nachrichten mehr. Mit /start meldest du dich wieder an.',
    )
  })

  it('acts once on a resent update, and a late /start does not undo a newer /stop', async () => {
    const kai = newUser('Kai')
    const now = Math.floor(Date.now() / 1000)
    const start = privateMessage(kai, '/start', { date: now - 60 })
    await postUpdate(start)
    await postUpdate(start)
    await eventually(async () => expect((await contactOf(kai))?.status).toBe('started'))
    await postUpdate(privateMessage(kai, '/stop', { date: now }))
    await eventually(async () => expect((await contactOf(kai))?.status).toBe('stopped'))
    // An older /start arriving after the /stop (a resend): the newer word stands.
    await postUpdate(privateMessage(kai, '/start', { date: now - 30 }))
    const marker = newUser('Marker')
    await postUpdate(privateMessage(marker, '/start'))
    // Updates are applied in order: once the one after it is, it was looked at.
    await eventually(async () => expect((await contactOf(marker))?.status).toBe('started'))
    expect((await contactOf(kai))?.status).toBe('stopped')
    // It changed nothing, so it earns no reply that would say otherwise.
    expect(await repliesTo(kai)).toHaveLength(2)
  })

  it('ignores other messages and messages in groups', async () => {
    const eli = newUser('Eli')
    await postUpdate(privateMessage(eli, 'Can you stop by tomorrow?'))
    const inGroup = privateMessage(eli, '/start')
    const groupUpdate = {
      ...inGroup,
      message: { ...inGroup.message, chat: { id: -1001234, type: 'supergroup', title: 'Chat' } },
    }
    await postUpdate(groupUpdate)
    const marker = newUser('Marker')
    await postUpdate(privateMessage(marker, '/start'))
    // Updates are applied in order: once the one after them is, they were looked at.
    await eventually(async () => expect((await contactOf(marker))?.status).toBe('started'))
    expect(await contactOf(eli)).toBeUndefined()
    expect(await repliesTo(eli)).toEqual([])
  })
})

describe('the bot’s deep link on a member’s own pages', () => {
  it('a member of a Telegram group is offered the bot with a link made for them, and following it links them', async () => {
    const { community, group } = await telegramCommunity('open')
    const invite = await createInvite(community.id, { groupId: group.id })
    const joined = await joinAsMember(invite.code, { name: 'Ana', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    const startUrl = joined.json.telegramStartUrl as string
    // Not their referral code: they share that with anyone they invite.
    expect(startUrl).toMatch(
      /^https:\/\/t\.me\/community_growth_test_bot\?start=mem_[0-9a-z]{26}-[\w-]{32}$/,
    )

    const status = await exports.default.fetch(joined.json.statusUrl as string, {
      headers: { 'accept-language': 'en' },
    })
    const html = await status.text()
    expect(html).toContain(`href="${startUrl}"`)
    expect(html).toContain('Start the bot on Telegram')

    // What Telegram sends when the member taps it: `/start <payload>` in their private chat.
    const ana = newUser('Ana')
    await postUpdate(privateMessage(ana, `/start ${new URL(startUrl).searchParams.get('start')}`))
    await eventually(async () =>
      expect(await contactOf(ana)).toMatchObject({
        status: 'started',
        member_id: joined.json.memberId,
      }),
    )
  })

  it('a member of a WhatsApp group is offered no bot', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const joined = await joinAsMember(invite.code, { name: 'Ben', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    expect(joined.json.referralUrl).toBeTruthy()
    expect(joined.json.telegramStartUrl).toBeNull()
    const html = await (await exports.default.fetch(joined.json.statusUrl as string)).text()
    expect(html).not.toContain('t.me/community_growth_test_bot')
  })

  it('a stranger holding a closed community member’s shared referral link, or a forged link, is linked to no member', async () => {
    const { community, group } = await telegramCommunity('closed')
    const invite = await createInvite(community.id, { groupId: group.id })
    const asked = await joinJson(invite.code, { name: 'Ana', phone: newPhone() })
    expect(asked.json.status, asked.text).toBe('pending')
    const approved = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`)
    expect(approved.status, approved.text).toBe(200)
    const [row] = await query<{ memberId: string; referralCode: string }>(
      `select m.id as memberId, i.code as referralCode
       from join_requests r join members m on m.id = r.member_id
         join invites i on i.referrer_member_id = m.id
       where r.id = ?`,
      asked.json.joinRequestId,
    )
    const { memberId, referralCode } = row!
    const eve = newUser('Eve')
    await postUpdate(privateMessage(eve, `/start ${referralCode}`, { languageCode: 'en' }))
    const mallory = newUser('Mallory')
    await postUpdate(privateMessage(mallory, `/start ${memberId}-${'A'.repeat(32)}`))
    for (const stranger of [eve, mallory]) {
      await eventually(async () =>
        expect(await contactOf(stranger)).toMatchObject({ status: 'started', member_id: null }),
      )
    }
    await eventually(async () =>
      expect(await repliesTo(eve)).toEqual([
        'Hi! We do not know yet which community you belong to. Open the Telegram link on your status page (it carries your personal code) to get its messages here. Send /stop at any time.',
      ]),
    )
  })

  it('in an open community a member’s referral link works as a deep link too: anyone may join there', async () => {
    const { memberId, referralCode } = await memberWithStartLink()
    const ida = newUser('Ida')
    await postUpdate(privateMessage(ida, `/start ${referralCode.toUpperCase()}`))
    await eventually(async () =>
      expect(await contactOf(ida)).toMatchObject({ status: 'started', member_id: memberId }),
    )
  })

  it('no link for a repeat sign-up of a member’s number, a sign-up still waiting, or a member who left', async () => {
    const open = await telegramCommunity('open')
    const invite = await createInvite(open.community.id, { groupId: open.group.id })
    const phone = newPhone()
    const first = await joinAsMember(invite.code, { name: 'Ana', phone })
    expect(first.json.telegramStartUrl).toBeTruthy()
    // Anyone can type a member's number: the repeat learns nothing of the member.
    const repeat = await joinJson(invite.code, { name: 'Eve', phone })
    expect(repeat.status, repeat.text).toBe(201)
    expect(repeat.json.telegramStartUrl ?? null).toBeNull()

    const closed = await telegramCommunity('closed')
    const closedInvite = await createInvite(closed.community.id, { groupId: closed.group.id })
    const pending = await joinJson(closedInvite.code, { name: 'Pia', phone: newPhone() })
    expect(pending.json.status, pending.text).toBe('pending')

    const doubleOptIn = await telegramCommunity('open')
    const patched = await call('PATCH', `/api/communities/${doubleOptIn.community.id}`, {
      body: { consent: 'double' },
    })
    expect(patched.status, patched.text).toBe(200)
    const unconfirmedInvite = await createInvite(doubleOptIn.community.id, {
      groupId: doubleOptIn.group.id,
    })
    const unconfirmed = await joinJson(unconfirmedInvite.code, { name: 'Uli', phone: newPhone() })
    expect(unconfirmed.json.status, unconfirmed.text).toBe('unconfirmed')

    const leaver = await joinAsMember(invite.code, { name: 'Leo', phone: newPhone() })
    const left = await exports.default.fetch(leaver.json.leaveUrl as string, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    expect(left.status).toBe(200)

    for (const answer of [pending, unconfirmed])
      expect(answer.json.telegramStartUrl ?? null).toBeNull()
    for (const answer of [repeat, pending, unconfirmed, leaver]) {
      const page = await exports.default.fetch(answer.json.statusUrl as string)
      expect(page.status).toBe(200)
      expect(await page.text()).not.toContain('t.me/community_growth_test_bot')
    }
  })
})
