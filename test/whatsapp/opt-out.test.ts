import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { pruneInboundNotifications } from '../../src/services/whatsapp-inbound'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  newPhone,
  query,
  joinAsMember,
  handledMessageKey,
  visit,
} from '../worker/helpers'
import { MESSAGES } from '../../src/lib/i18n'
import {
  buttonNotification,
  newWamid,
  preferenceNotification,
  textNotification,
} from '../support/whatsapp-notifications'
import { announceAndWait, notify, sentTo } from './meta'

/** A new community with one active member. */
async function subscriber(name = 'Ola') {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const phone = newPhone()
  const joined = await joinAsMember(invite.code, { name, phone })
  expect(joined.status, joined.text).toBe(201)
  return {
    communityId: community.id,
    inviteCode: invite.code,
    phone,
    memberId: joined.json.memberId,
  }
}

async function memberRow(id: string) {
  const [row] = await query<{ status: string; leave_reason: string | null }>(
    'select status, leave_reason from members where id = ?',
    id,
  )
  return row!
}

async function inbox(communityId: string) {
  return query<{ text: string }>(
    'select text from inbound_messages where community_id = ?',
    communityId,
  )
}

async function leaveEvents(communityId: string) {
  return query("select id from events where type = 'member.left' and community_id = ?", communityId)
}

/**
 * Waits until the inbound consumer has handled everything sent before: one more message from
 * the same number goes through the queue after them, and its handling is recorded.
 */
async function handled(phone: string) {
  const wamid = newWamid()
  await notify(textNotification(phone, 'Are you still there?', wamid))
  await eventually(async () =>
    expect(
      await query(
        'select key from inbound_notifications where key = ?',
        await handledMessageKey(wamid),
      ),
    ).toHaveLength(1),
  )
}

const seconds = () => Math.floor(Date.now() / 1000)

describe('an opt-out however it is typed ends the subscription', () => {
  it.each([
    'Stopp!',
    'stop.',
    'ＳＴＯＰＰ',
    'Stopp\u200B',
    'STOP 🛑',
    '\u200BAbmelden 🙏',
    '"Unsubscribe"',
    'STOP\u3164',
    'ST\u041EP',
  ])('%j', async (typed) => {
    const { communityId, phone, memberId } = await subscriber()
    await notify(textNotification(phone, typed))
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({ status: 'left', leave_reason: 'chat_opt_out' }),
    )
    // A command, not a message for the admins.
    expect(await inbox(communityId)).toEqual([])
  })

  it('and "Start!" with noise brings it back', async () => {
    const { phone, memberId } = await subscriber()
    await notify(textNotification(phone, 'ＳＴＯＰ!'))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    await notify(textNotification(phone, 'Start! ✅', newWamid(), seconds() + 1))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))
  })

  it('Meta’s marketing opt-out button counts however its text arrives', async () => {
    const { communityId, phone, memberId } = await subscriber()
    await notify(buttonNotification(phone, 'STOP PROMOTIONS 🛑'))
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_opt_out',
      }),
    )
    expect(await inbox(communityId)).toEqual([])
  })
})

describe('what only mentions stopping is kept for the admins, and ends nothing', () => {
  it.each(['Stoppuhr', 'nicht stoppen', 'bitte nicht stop sagen', 'Can you stop by tomorrow?'])(
    '%j',
    async (typed) => {
      const { communityId, phone, memberId } = await subscriber()
      await notify(textNotification(phone, typed))
      await eventually(async () => expect(await inbox(communityId)).toEqual([{ text: typed }]))
      expect(await memberRow(memberId)).toEqual({ status: 'active', leave_reason: null })
    },
  )
})

describe('a STOP or START in the chat is ordered with Meta’s preferences by when it was made', () => {
  it('a resume made before a STOP in the chat, delivered after it, changes nothing', async () => {
    const { phone, memberId } = await subscriber()
    const stoppedAt = seconds()
    await notify(textNotification(phone, 'STOP', newWamid(), stoppedAt))
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({ status: 'left', leave_reason: 'chat_opt_out' }),
    )
    await notify(preferenceNotification(phone, 'resume', stoppedAt - 60))
    await notify(preferenceNotification(phone, 'resume', stoppedAt - 86_400))
    await handled(phone)
    expect(await memberRow(memberId)).toEqual({ status: 'left', leave_reason: 'chat_opt_out' })
  })

  it('a marketing stop made before a START in the chat, delivered after it, changes nothing', async () => {
    const { communityId, phone, memberId } = await subscriber()
    const startedAt = seconds() + 1
    await notify(textNotification(phone, 'STOP', newWamid(), startedAt - 1))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    await notify(textNotification(phone, 'START', newWamid(), startedAt))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))

    await notify(preferenceNotification(phone, 'stop', startedAt - 1))
    await handled(phone)
    expect(await memberRow(memberId)).toEqual({ status: 'active', leave_reason: null })
    expect(await leaveEvents(communityId)).toHaveLength(1)
  })

  it('a STOP in the chat made before a resume, delivered after it, ends nothing', async () => {
    const { phone, memberId } = await subscriber()
    const resumedAt = seconds()
    await notify(preferenceNotification(phone, 'resume', resumedAt))
    await handled(phone)
    await notify(textNotification(phone, 'STOP', newWamid(), resumedAt - 60))
    await handled(phone)
    expect(await memberRow(memberId)).toEqual({ status: 'active', leave_reason: null })
  })
})

describe('Meta’s marketing preferences act in the order the person made them', () => {
  it('a resume delivered after a newer stop changes nothing; a newer resume brings them back', async () => {
    const { phone, memberId } = await subscriber()
    const t2 = seconds()
    await notify(preferenceNotification(phone, 'stop', t2))
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      }),
    )
    // Made a minute before the stop, delivered after it (Meta re-delivers for days).
    await notify(preferenceNotification(phone, 'resume', t2 - 60))
    await handled(phone)
    expect(await memberRow(memberId)).toEqual({
      status: 'left',
      leave_reason: 'marketing_stopped_in_whatsapp',
    })

    await notify(preferenceNotification(phone, 'resume', t2 + 60))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))
  })

  it('a stop dated years ahead counts as received: the resume after it brings them back', async () => {
    const { phone, memberId } = await subscriber()
    const inTenYears = seconds() + 10 * 365 * 86400
    await notify(preferenceNotification(phone, 'stop', inTenYears))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    // A clock a minute ahead is still believed.
    await notify(preferenceNotification(phone, 'resume', seconds() + 60))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))
  })

  it('a stop replayed after a newer resume does not unsubscribe again', async () => {
    const { communityId, phone, memberId } = await subscriber()
    const t2 = seconds()
    const stop = preferenceNotification(phone, 'stop', t2)
    await notify(stop)
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    await notify(preferenceNotification(phone, 'resume', t2 + 60))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))

    await notify(stop)
    await handled(phone)
    expect(await memberRow(memberId)).toEqual({ status: 'active', leave_reason: null })
    expect(await leaveEvents(communityId)).toHaveLength(1)
  })

  it('a stop delivered twice acts once, even after the person signed up again', async () => {
    const { communityId, inviteCode, phone, memberId } = await subscriber()
    // Made two seconds ago: the code of the sign-up again is sent after it. (A code sent within
    // the stop's own second may have come before it, and the stop outdoes it.)
    const stop = preferenceNotification(phone, 'stop', seconds() - 2)
    await notify(stop)
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    const again = await joinAsMember(inviteCode, { name: 'Ola', phone })
    expect(again.status, again.text).toBe(201)
    expect(await memberRow(again.json.memberId)).toMatchObject({ status: 'active' })

    await notify(stop)
    await handled(phone)
    expect(await memberRow(again.json.memberId)).toEqual({ status: 'active', leave_reason: null })
    expect(await leaveEvents(communityId)).toHaveLength(1)
  })

  it('two copies of a stop arriving together act once', async () => {
    const { communityId, phone, memberId } = await subscriber()
    const stop = preferenceNotification(phone, 'stop', seconds())
    await Promise.all([notify(stop), notify(stop)])
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    await handled(phone)
    expect(await leaveEvents(communityId)).toHaveLength(1)
    expect(
      await query('select value, applied from marketing_preferences where phone = ?', phone),
    ).toEqual([{ value: 'stop', applied: 1 }])
  })

  it('keeps a resume only while an older choice can still arrive, and a stop while it stands', async () => {
    const old = await subscriber()
    const recent = await subscriber()
    const longAgo = await subscriber()
    const now = Date.now()
    await notify(preferenceNotification(old.phone, 'resume', seconds() - 15 * 86_400))
    await notify(preferenceNotification(recent.phone, 'stop', seconds() - 86_400))
    await notify(preferenceNotification(longAgo.phone, 'stop', seconds() - 400 * 86_400))
    await eventually(async () => expect((await memberRow(recent.memberId)).status).toBe('left'))
    await eventually(async () => expect((await memberRow(longAgo.memberId)).status).toBe('left'))
    await handled(old.phone)

    await pruneInboundNotifications(createDb(env.DB), new Date(now))
    const phones = (await query<{ phone: string }>('select phone from marketing_preferences')).map(
      (row) => row.phone,
    )
    expect(phones).toContain(recent.phone)
    // The proof that nothing may go to the number, however old.
    expect(phones).toContain(longAgo.phone)
    expect(phones).not.toContain(old.phone)
  })
})

describe('after a STOP, the chat and the status page name the same way back', () => {
  /** The texts the number was sent after its first `before` messages. */
  const textsSince = async (phone: string, before: number) =>
    (await sentTo(phone)).slice(before).flatMap((m) => (m.text ? [m.text.body] : []))

  it('START from the number, in the language of the sign-up, and it brings the membership back', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const joined = await joinAsMember(
      invite.code,
      { name: 'Sol', phone },
      { 'accept-language': 'en' },
    )
    const statusPath = new URL(joined.json.statusUrl).pathname
    const before = (await sentTo(phone)).length

    const stoppedAt = Math.floor(Date.now() / 1000)
    await notify(textNotification(phone, 'STOP', newWamid(), stoppedAt))
    // The chat's answer, in English only (Sol signed up on English pages), names START …
    const answer = await eventually(async () => {
      const texts = await textsSince(phone, before)
      expect(texts).toHaveLength(1)
      return texts[0]!
    })
    expect(answer).toBe(
      'You are unsubscribed: with this number you are no longer a member, and will get no more messages from us. To come back, send START here.',
    )
    // … and so does the status page, in either language, with a link that opens the chat with
    // the business number, START typed in.
    for (const lang of ['en', 'de'] as const) {
      const page = (await visit(`${statusPath}?lang=${lang}`)).text
      expect(page).toContain(MESSAGES[lang].endedTitle)
      expect(page).toContain(MESSAGES[lang].optedOutText('START'))
      expect(page).toContain('href="https://wa.me/49301234567?text=START"')
      expect(page).toContain(MESSAGES[lang].resumeButton('START'))
    }

    // START does what both say: the membership is back, and the page no longer offers it.
    await notify(textNotification(phone, 'START', newWamid(), stoppedAt + 1))
    await eventually(async () =>
      expect(await textsSince(phone, before)).toEqual([
        answer,
        'Welcome back: you will get our messages again. Reply STOP to unsubscribe.',
      ]),
    )
    expect((await memberRow(joined.json.memberId)).status).toBe('active')
    const back = (await visit(`${statusPath}?lang=en`)).text
    expect(back).not.toContain(MESSAGES.en.endedTitle)
    expect(back).not.toContain('START')
  })

  it('a membership ended by the leave link is not offered START, which would not bring it back', async () => {
    const community = await createCommunity()
    const joined = await joinAsMember((await createInvite(community.id)).code, {
      name: 'Tove',
      phone: newPhone(),
    })
    const left = await call('POST', `${new URL(joined.json.leaveUrl).pathname}?lang=en`, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    expect(left.status).toBe(200)
    const page = (await visit(`${new URL(joined.json.statusUrl).pathname}?lang=en`)).text
    expect(page).toContain(MESSAGES.en.endedTitle)
    expect(page).not.toContain('START')
  })
})

/** The texts the number was sent after its first `before` messages, once there are `count`. */
async function newTexts(phone: string, before: number, count: number) {
  return eventually(async () => {
    const texts = (await sentTo(phone)).slice(before).flatMap((m) => (m.text ? [m.text.body] : []))
    expect(texts).toHaveLength(count)
    return texts
  })
}

/** A member of a new community who signed up on English pages, and how many messages they got. */
async function englishSubscriber(phone = newPhone()) {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const joined = await joinAsMember(
    invite.code,
    { name: 'Ines', phone },
    { 'accept-language': 'en' },
  )
  expect(joined.status, joined.text).toBe(201)
  return {
    communityId: community.id,
    inviteCode: invite.code,
    phone,
    memberId: joined.json.memberId as string,
    statusPath: new URL(joined.json.statusUrl).pathname,
    before: (await sentTo(phone)).length,
  }
}

const heldInWhatsApp = async (phone: string) =>
  query('select value, held_in_whatsapp as held from marketing_preferences where phone = ?', phone)

describe('marketing messages stopped in WhatsApp itself come back only by a resume there', () => {
  it('Meta’s preference: the page and the chat say so, START brings nothing back, the resume does', async () => {
    const { phone, memberId, statusPath, before } = await englishSubscriber()
    const stoppedAt = seconds()
    await notify(preferenceNotification(phone, 'stop', stoppedAt))
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      }),
    )
    // The page tells the way that works, in either language, with a link to the chat (nothing
    // typed in): no START, which would not bring the membership back.
    for (const lang of ['en', 'de'] as const) {
      const page = (await visit(`${statusPath}?lang=${lang}`)).text
      expect(page).toContain(MESSAGES[lang].endedTitle)
      expect(page).toContain(MESSAGES[lang].stoppedInWhatsAppText)
      expect(page).toContain('href="https://wa.me/49301234567"')
      expect(page).toContain(MESSAGES[lang].openOurChatButton)
      expect(page).not.toContain('START')
    }

    // START in the chat is answered with the same way, and changes nothing.
    await notify(textNotification(phone, 'START', newWamid(), stoppedAt + 1))
    expect(await newTexts(phone, before, 1)).toEqual([
      'START does not undo this: you stopped marketing messages from us in WhatsApp itself. To get them again, allow them in WhatsApp: in this chat, tap our name, then turn “Offers and announcements” back on.',
    ])
    expect(await memberRow(memberId)).toEqual({
      status: 'left',
      leave_reason: 'marketing_stopped_in_whatsapp',
    })
    expect(await heldInWhatsApp(phone)).toEqual([{ value: 'stop', held: 1 }])
    // A STOP on top of it keeps the hold, and its answer names the same way back.
    await notify(textNotification(phone, 'STOP', newWamid(), stoppedAt + 2))
    const [, stopped] = await newTexts(phone, before, 2)
    expect(stopped).toBe(
      'You are unsubscribed: with this number you are no longer a member, and will get no more messages from us. You also stopped our marketing messages in WhatsApp itself: to come back, allow them in WhatsApp: in this chat, tap our name, then turn “Offers and announcements” back on.',
    )
    expect(await heldInWhatsApp(phone)).toEqual([{ value: 'stop', held: 1 }])

    // Allowed again in WhatsApp: the membership comes back, and START works again from then on.
    await notify(preferenceNotification(phone, 'resume', stoppedAt + 3))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('active'))
    expect(await heldInWhatsApp(phone)).toEqual([{ value: 'resume', held: 0 }])
  })

  it('a send Meta refused with 131050: the number is held the same way', async () => {
    const { communityId, phone, memberId, statusPath } = await englishSubscriber(
      `${newPhone().slice(0, -2)}94`,
    )
    await announceAndWait(communityId, 'Refused: marketing stopped')
    await eventually(async () =>
      expect(await memberRow(memberId)).toEqual({
        status: 'left',
        leave_reason: 'marketing_stopped_in_whatsapp',
      }),
    )
    expect(await heldInWhatsApp(phone)).toEqual([{ value: 'stop', held: 1 }])
    const page = (await visit(`${statusPath}?lang=en`)).text
    expect(page).toContain(MESSAGES.en.stoppedInWhatsAppText)
    expect(page).not.toContain('START')

    const before = (await sentTo(phone)).length
    await notify(textNotification(phone, 'START', newWamid(), seconds() + 1))
    const [answer] = await newTexts(phone, before, 1)
    expect(answer).toMatch(/^START does not undo this/)
    expect((await memberRow(memberId)).status).toBe('left')
  })
})

describe('START is offered where it brings the membership back, and answered truly where it does not', () => {
  it('a full group: no START on the page, and each START says what it did', async () => {
    const { communityId, inviteCode, phone, memberId, statusPath, before } =
      await englishSubscriber()
    const stoppedAt = seconds()
    await notify(textNotification(phone, 'STOP', newWamid(), stoppedAt))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    expect((await visit(`${statusPath}?lang=en`)).text).toContain(MESSAGES.en.optedOutText('START'))
    // Someone else takes the last place.
    const other = await joinAsMember(inviteCode, { name: 'Otto', phone: newPhone() })
    expect(other.status, other.text).toBe(201)
    await query(
      `update groups set member_limit = member_count where community_id = ? and kind = 'announcement'`,
      communityId,
    )
    const page = (await visit(`${statusPath}?lang=en`)).text
    expect(page).toContain(MESSAGES.en.endedTitle)
    expect(page).not.toContain('START')

    // START lifts the STOP, but brings no membership back: it says so.
    await notify(textNotification(phone, 'START', newWamid(), stoppedAt + 1))
    const [, first] = await newTexts(phone, before, 2)
    expect(first).toBe(
      'Your unsubscribe is lifted, but this number has no membership START could bring back: to become a member again, sign up through an invite link.',
    )
    expect((await memberRow(memberId)).status).toBe('left')
    // Sent again, it has nothing left to do, and says that too.
    await notify(textNotification(phone, 'START', newWamid(), stoppedAt + 2))
    const [, , second] = await newTexts(phone, before, 3)
    expect(second).toBe(
      'This number is not unsubscribed, so START changes nothing. Reply STOP to unsubscribe.',
    )
  })

  it('in the community again by a newer membership: no START for the old one', async () => {
    const { inviteCode, phone, memberId, statusPath } = await englishSubscriber()
    await notify(textNotification(phone, 'STOP', newWamid(), seconds() - 2))
    await eventually(async () => expect((await memberRow(memberId)).status).toBe('left'))
    // Their code, sent after the STOP, proves the new sign-up: a membership of its own.
    const again = await joinAsMember(
      inviteCode,
      { name: 'Ines', phone },
      { 'accept-language': 'en' },
    )
    expect(await memberRow(again.json.memberId)).toEqual({ status: 'active', leave_reason: null })
    const page = (await visit(`${statusPath}?lang=en`)).text
    expect(page).toContain(MESSAGES.en.endedTitle)
    expect(page).not.toContain('START')
  })
})
