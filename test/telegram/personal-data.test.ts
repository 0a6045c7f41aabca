import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  newPhone,
  query,
  runCron,
  joinAsMember,
} from '../worker/helpers'
import {
  joinRequestUpdate,
  memberUpdate,
  newUser,
  postUpdate,
  privateMessage,
} from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'

/**
 * What Telegram tells us about people (who joined and left a chat, who asked to join, who
 * started the bot) does not outlive its use: it goes with the community, with an erased member,
 * and through the hourly cron job once nothing reads it (docs/security.md, "What is kept").
 */

const HOUR = 3600_000
const DAY = 86400_000

type Person = ReturnType<typeof newUser>

/** The hourly part of the cron job runs at minute 0: the last such run at or before `at`. */
async function runHourlyCron(at: number) {
  await runCron(Math.floor(at / HOUR) * HOUR)
}

/** A Telegram user with a name and user name no other test uses. */
function person(name: string, lastDigit?: number): Person {
  const unique = crypto.randomUUID().slice(0, 8)
  const user = newUser(`${name} ${unique}`, lastDigit)
  return { ...user, username: `${name.toLowerCase()}_${unique}` }
}

/** Every row of every table in which any of these strings occur (case-insensitive). */
async function tracesOf(needles: string[]): Promise<string[]> {
  const tables = await query<{ name: string }>(
    `select name from sqlite_master where type = 'table' and name not like '\\_cf\\_%' escape '\\'`,
  )
  const lowered = needles.map((needle) => needle.toLowerCase())
  const traces: string[] = []
  for (const { name } of tables) {
    for (const row of await query(`select * from "${name.replace(/"/g, '""')}"`)) {
      const text = JSON.stringify(row).toLowerCase()
      if (lowered.some((needle) => text.includes(needle))) traces.push(`${name}: ${text}`)
    }
  }
  return traces
}

/** The membership Telegram reported, once the report dated `at` (seconds) is applied. */
async function reported(chatId: number, user: Person, at: number) {
  await eventually(async () => {
    const [row] = await query<{ status_at: number }>(
      'select status_at from telegram_memberships where chat_id = ? and user_id = ?',
      chatId,
      user.id,
    )
    expect(row?.status_at).toBe(at * 1000)
  })
}

/** Joins (through `inviteLink`, if given) `joinedDaysAgo`, and leaves `leftDaysAgo`, if given. */
async function stint(
  chatId: number,
  user: Person,
  joinedDaysAgo: number,
  options: { leftDaysAgo?: number; inviteLink?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000)
  const joined = now - joinedDaysAgo * 86_400
  await postUpdate(
    memberUpdate(chatId, user, 'joined', { inviteLink: options.inviteLink, date: joined }),
  )
  await reported(chatId, user, joined)
  if (options.leftDaysAgo === undefined) return
  const left = now - options.leftDaysAgo * 86_400
  await postUpdate(memberUpdate(chatId, user, 'left', { date: left }))
  await reported(chatId, user, left)
}

async function membershipsIn(chatId: number): Promise<number[]> {
  const rows = await query<{ user_id: number }>(
    'select user_id from telegram_memberships where chat_id = ? order by user_id',
    chatId,
  )
  return rows.map((row) => row.user_id)
}

/** A web member of the community who followed the deep link to the bot on their status page. */
async function startedTheBot(inviteCode: string, user: Person) {
  const joined = await joinAsMember(inviteCode, { name: user.first_name, phone: newPhone() })
  expect(joined.status, joined.text).toBe(201)
  const payload = new URL(joined.json.telegramStartUrl as string).searchParams.get('start')
  await postUpdate(privateMessage(user, `/start ${payload}`))
  await eventually(async () =>
    expect(
      await query('select member_id from telegram_contacts where user_id = ?', user.id),
    ).toEqual([{ member_id: joined.json.memberId }]),
  )
  return joined.json.memberId as string
}

/** Sends `/stop` to the bot, and answers its update id once applied. */
async function stopTheBot(user: Person): Promise<number> {
  const update = privateMessage(user, '/stop')
  await postUpdate(update)
  await eventually(async () =>
    expect(await query('select status from telegram_contacts where user_id = ?', user.id)).toEqual([
      { status: 'stopped' },
    ]),
  )
  return update.update_id
}

async function contactOf(user: Person) {
  return query(
    `select member_id, first_name, username, language_code, status, stop_proof
     from telegram_contacts where user_id = ?`,
    user.id,
  )
}

describe('deleting a community', () => {
  it('deletes who joined and left its chats, and its members’ starts of the bot; a /stop stays, naming nobody', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Poster' })
    const url = await withTelegramLink(invite.id)
    const joiner = person('Joanna')
    const passer = person('Pascal')
    await stint(chatId, joiner, 2, { inviteLink: url })
    await stint(chatId, passer, 3, { leftDaysAgo: 1 })
    // A member who joined in the chat starts the bot as they can: without a deep link.
    await postUpdate(privateMessage(joiner, '/start'))
    await eventually(async () =>
      expect(await contactOf(joiner)).toMatchObject([{ member_id: null, status: 'started' }]),
    )
    const web = await createInvite(community.id, { groupId: group.id })
    const starter = person('Stella')
    const stopper = person('Stefan')
    await startedTheBot(web.code, starter)
    await startedTheBot(web.code, stopper)
    const stop = await stopTheBot(stopper)
    // Another community's chat, and its member: not this community's to delete.
    const other = await telegramCommunity()
    const stranger = person('Otto')
    await stint(other.chatId, stranger, 1)

    const people = [joiner, passer, starter, stopper]
    const needles = people.flatMap((p) => [p.first_name, p.username])
    expect((await tracesOf(needles)).length).toBeGreaterThan(0)
    const deleted = await call('DELETE', `/api/communities/${community.id}`)
    expect(deleted.status, deleted.text).toBe(204)

    expect(await tracesOf(needles)).toEqual([])
    expect(await membershipsIn(chatId)).toEqual([])
    expect(await contactOf(starter)).toEqual([])
    expect(await contactOf(joiner)).toEqual([])
    // The proof that this account said stop, and nothing about who it is.
    expect(await contactOf(stopper)).toEqual([
      {
        member_id: null,
        first_name: '',
        username: null,
        language_code: null,
        status: 'stopped',
        stop_proof: `telegram_update:${stop}`,
      },
    ])
    expect(await membershipsIn(other.chatId)).toEqual([stranger.id])
  })
})

describe('who Telegram reports in a followed chat', () => {
  it('is kept by user id and times only: a passer-by’s name and user name are nowhere', async () => {
    const { chatId } = await telegramCommunity()
    const passer = person('Petra')
    await stint(chatId, passer, 2, { leftDaysAgo: 1 })
    expect(await membershipsIn(chatId)).toEqual([passer.id])
    expect(await tracesOf([passer.first_name, passer.username])).toEqual([])
  })
})

describe('unlinking a group from its Telegram chat', () => {
  it('forgets who Telegram reported in the chat, and records no one there any more', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Flyer' })
    const url = await withTelegramLink(invite.id)
    const member = person('Linda')
    const passer = person('Lorenz')
    await stint(chatId, member, 3, { inviteLink: url })
    await stint(chatId, passer, 2, { leftDaysAgo: 1 })
    expect(await membershipsIn(chatId)).toHaveLength(2)

    const unlinked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    // The passer-by is forgotten; the member's row stays while they are one (their leave counts).
    expect(await membershipsIn(chatId)).toEqual([member.id])
    expect(await tracesOf([passer.first_name, passer.username])).toEqual([])
    // Telegram still reports the chat to the bot; nothing about its people is kept now.
    const later = person('Later')
    const asker = person('Asker')
    const passerAgain = memberUpdate(chatId, passer, 'joined', { inviteLink: url })
    await postUpdate(memberUpdate(chatId, later, 'joined'))
    await postUpdate(joinRequestUpdate(chatId, asker, url))
    await postUpdate(passerAgain)
    await eventually(async () =>
      expect(
        await query('select 1 from telegram_updates where update_id = ?', passerAgain.update_id),
      ).toHaveLength(1),
    )
    expect(await membershipsIn(chatId)).toEqual([member.id])
    const strangers = [later, asker, passer].flatMap((p) => [p.first_name, p.username])
    expect(await tracesOf(strangers)).toEqual([])
  })

  it('a member’s leave, while unlinked or once linked again, still counts for their link and in its retention', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Relinked' })
    const url = await withTelegramLink(invite.id)
    const early = person('Emil')
    const late = person('Lotte')
    await stint(chatId, early, 3, { inviteLink: url })
    await stint(chatId, late, 2, { inviteLink: url })
    const link = (telegramChatId: number | null) =>
      call('PATCH', `/api/groups/${group.id}`, { body: { telegramChatId } })
    expect((await link(null)).status).toBe(200)
    // Emil leaves while no group follows the chat; Lotte once it is linked again.
    const now = Math.floor(Date.now() / 1000)
    await postUpdate(memberUpdate(chatId, early, 'left', { date: now - 60 }))
    await reported(chatId, early, now - 60)
    expect((await link(chatId)).status).toBe(200)
    await postUpdate(memberUpdate(chatId, late, 'left', { date: now }))
    await reported(chatId, late, now)
    expect(await verifiedOf(invite.id)).toEqual({ joins: 2, leaves: 2 })
    const [cohort] = await query<{ within7: number }>(
      `select sum(verified_left_within_7_days) as within7 from invite_daily_stats
       where invite_id = ?`,
      invite.id,
    )
    expect(cohort!.within7).toBe(2)
    const [chat] = await query<{ leaves: number }>(
      `select coalesce(sum(verified_leaves), 0) as leaves from telegram_chat_daily_stats
       where chat_id = ?`,
      chatId,
    )
    expect(chat!.leaves).toBe(0)
    const statuses = await query<{ status: string }>(
      'select status from members where community_id = ? and telegram_user_id in (?, ?)',
      community.id,
      early.id,
      late.id,
    )
    expect(statuses).toEqual([{ status: 'left' }, { status: 'left' }])
  })

  it('a member’s row kept for their leave goes when an admin removes them, or with the community', async () => {
    const { community, group, chatId } = await telegramCommunity()
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Kept' })
    const url = await withTelegramLink(invite.id)
    const removed = person('Rémy')
    const stays = person('Stine')
    await stint(chatId, removed, 3, { inviteLink: url })
    await stint(chatId, stays, 2, { inviteLink: url })
    const memberOf = async (user: Person) =>
      (
        await query<{ id: string }>(
          'select id from members where community_id = ? and telegram_user_id = ?',
          community.id,
          user.id,
        )
      )[0]!.id
    const unlinked = await call('PATCH', `/api/groups/${group.id}`, {
      body: { telegramChatId: null },
    })
    expect(unlinked.status, unlinked.text).toBe(200)
    expect(await membershipsIn(chatId)).toHaveLength(2)
    const removal = await call('DELETE', `/api/members/${await memberOf(removed)}`)
    expect(removal.status, removal.text).toBe(204)
    expect(await membershipsIn(chatId)).toEqual([stays.id])
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    expect(await membershipsIn(chatId)).toEqual([])
    expect(await tracesOf([stays.first_name, stays.username])).toEqual([])
  })

  it('deleting the group forgets them too; another group’s chat keeps its own', async () => {
    const { group, chatId } = await telegramCommunity()
    const other = await telegramCommunity()
    const inChat = person('Greta')
    const inOther = person('Gustav')
    await stint(chatId, inChat, 2)
    await stint(other.chatId, inOther, 2)
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expect(await membershipsIn(chatId)).toEqual([])
    expect(await membershipsIn(other.chatId)).toEqual([inOther.id])
  })
})

describe('a Telegram member erased on request', () => {
  it('leaves their join request and their start of the bot nowhere, and a /stop only as its proof', async () => {
    const { community, group, chatId } = await telegramCommunity('closed')
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Ask' })
    const url = await withTelegramLink(invite.id)
    const rosa = person('Rosalind')
    const waiting = person('Wanda')
    await postUpdate(joinRequestUpdate(chatId, rosa, url))
    await postUpdate(joinRequestUpdate(chatId, waiting, url))
    const requests = await eventually(async () => {
      const rows = await query<{ id: string; user_id: number }>(
        'select id, user_id from telegram_join_requests where community_id = ?',
        community.id,
      )
      expect(rows).toHaveLength(2)
      return rows
    })
    const request = requests.find((r) => r.user_id === rosa.id)!
    const approved = await call('POST', `/api/telegram-join-requests/${request.id}/approve`)
    expect(approved.json.status, approved.text).toBe('approved')
    await postUpdate(memberUpdate(chatId, rosa, 'joined', { inviteLink: url }))
    const member = await eventually(async () => {
      const [row] = await query<{ id: string }>(
        'select id from members where community_id = ? and telegram_user_id = ?',
        community.id,
        rosa.id,
      )
      expect(row).toBeDefined()
      return row!
    })
    // Joined in the chat, they have no status page and no deep link: a plain /start is what
    // they can send, linked to no member, with their name.
    await postUpdate(privateMessage(rosa, '/start'))
    await eventually(async () =>
      expect(await contactOf(rosa)).toMatchObject([{ member_id: null, status: 'started' }]),
    )
    const stop = await stopTheBot(rosa)
    const needles = [rosa.first_name, rosa.username]
    expect((await tracesOf(needles)).length).toBeGreaterThan(0)

    const erased = await call('POST', `/api/members/${member.id}/erase`)
    expect(erased.status, erased.text).toBe(204)

    expect(await tracesOf(needles)).toEqual([])
    expect(await contactOf(rosa)).toEqual([
      {
        member_id: null,
        first_name: '',
        username: null,
        language_code: null,
        status: 'stopped',
        stop_proof: `telegram_update:${stop}`,
      },
    ])
    // Someone else's request to the same chat is theirs, and stays.
    const left = await query<{ user_id: number }>(
      'select user_id from telegram_join_requests where community_id = ?',
      community.id,
    )
    expect(left).toEqual([{ user_id: waiting.id }])
    expect(await tracesOf([waiting.first_name])).not.toEqual([])
  })
})

describe('the hourly cron job', () => {
  it('forgets memberships that ended 30 days ago; keeps who is still in the chat', async () => {
    const linked = await telegramCommunity()
    const invite = await createInvite(linked.community.id, {
      groupId: linked.group.id,
      label: 'Fair',
    })
    const url = await withTelegramLink(invite.id)
    const stays = person('Stays')
    const leftLongAgo = person('Leftlong')
    const leftLately = person('Leftlately')
    const otherRoute = person('Otherroute')
    await stint(linked.chatId, stays, 60, { inviteLink: url })
    await stint(linked.chatId, leftLongAgo, 60, { inviteLink: url, leftDaysAgo: 31 })
    await stint(linked.chatId, leftLately, 60, { inviteLink: url, leftDaysAgo: 20 })
    await stint(linked.chatId, otherRoute, 60)
    await runHourlyCron(Date.now())
    expect(await membershipsIn(linked.chatId)).toEqual(
      [stays.id, leftLately.id, otherRoute.id].sort((a, b) => a - b),
    )
    // The verified funnel keeps what it counted: three joins and two leaves through the link.
    const [counted] = await query<{ joins: number; leaves: number }>(
      `select sum(verified_joins) as joins, sum(verified_leaves) as leaves
       from invite_daily_stats where invite_id = ?`,
      invite.id,
    )
    expect(counted).toEqual({ joins: 3, leaves: 2 })
  })

  it('forgets at most 1,000 ended memberships a run: 1,001 take two runs', async () => {
    const chatId = -(2_000_000_000_000 + Math.floor(Math.random() * 1_000_000))
    const old = Date.now() - 400 * DAY
    await query(
      `insert into telegram_memberships (chat_id, user_id, username, first_name, is_member,
         joined_at, left_at, left_as, status_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
       select ?1, i, null, 'Ended', 0, ?2 - 86400000, ?2 + i, 'left', ?2 + i from n`,
      chatId,
      old,
    )
    const now = Date.now()
    await runHourlyCron(now)
    expect(await membershipsIn(chatId)).toEqual([1001])
    await runHourlyCron(now + HOUR)
    expect(await membershipsIn(chatId)).toEqual([])
  })

  it('forgets declined and gone join requests 30 days after the decision; keeps approved and pending ones', async () => {
    const { community, group, chatId } = await telegramCommunity('closed')
    const invite = await createInvite(community.id, { groupId: group.id, label: 'Door' })
    const url = await withTelegramLink(invite.id)
    // The stand-in answers for a user id ending in 5 that the request is gone.
    const asking = {
      declined: person('Declined'),
      gone: person('Gone', 5),
      approved: person('Approved'),
      pending: person('Pending'),
    }
    for (const user of Object.values(asking)) await postUpdate(joinRequestUpdate(chatId, user, url))
    const idOf = await eventually(async () => {
      const rows = await query<{ id: string; user_id: number }>(
        'select id, user_id from telegram_join_requests where community_id = ?',
        community.id,
      )
      expect(rows).toHaveLength(4)
      return (user: Person) => rows.find((row) => row.user_id === user.id)!.id
    })
    const decide = async (user: Person, action: 'approve' | 'decline', expected: string) => {
      const decided = await call('POST', `/api/telegram-join-requests/${idOf(user)}/${action}`)
      expect(decided.json.status, decided.text).toBe(expected)
    }
    await decide(asking.declined, 'decline', 'declined')
    await decide(asking.gone, 'approve', 'gone')
    await decide(asking.approved, 'approve', 'approved')
    const left = async () => {
      const rows = await query<{ status: string }>(
        'select status from telegram_join_requests where community_id = ? order by status',
        community.id,
      )
      return rows.map((row) => row.status)
    }
    const decidedAt = Date.now()
    await runHourlyCron(decidedAt + 29 * DAY)
    expect(await left()).toEqual(['approved', 'declined', 'gone', 'pending'])
    await runHourlyCron(decidedAt + 31 * DAY)
    expect(await left()).toEqual(['approved', 'pending'])
    expect(await tracesOf([asking.declined.username, asking.gone.username])).toEqual([])
  })

  it('forgets a start of the bot linked to no member 30 days on, and a /stop’s name; keeps a linked start', async () => {
    const { community, group } = await telegramCommunity()
    const web = await createInvite(community.id, { groupId: group.id })
    const unlinked = person('Unlinked')
    const linked = person('Linked')
    const stopped = person('Stopped')
    const startedAt = Date.now()
    for (const user of [unlinked, stopped]) {
      await postUpdate(privateMessage(user, '/start', { date: Math.floor(startedAt / 1000) }))
      await eventually(async () =>
        expect(await contactOf(user)).toMatchObject([{ member_id: null, status: 'started' }]),
      )
    }
    const stop = await stopTheBot(stopped)
    const member = await startedTheBot(web.code, linked)
    const kept = async () => {
      const rows = await query<{ user_id: number }>(
        'select user_id from telegram_contacts where user_id in (?, ?, ?) order by user_id',
        unlinked.id,
        linked.id,
        stopped.id,
      )
      return rows.map((row) => row.user_id)
    }
    const everyone = [unlinked.id, linked.id, stopped.id].sort((a, b) => a - b)

    await runHourlyCron(startedAt + 29 * DAY)
    expect(await kept()).toEqual(everyone)
    expect(await contactOf(stopped)).toMatchObject([{ first_name: stopped.first_name }])
    await runHourlyCron(startedAt + 31 * DAY)
    expect(await kept()).toEqual(everyone.filter((id) => id !== unlinked.id))
    expect(
      await tracesOf([
        unlinked.first_name,
        unlinked.username,
        stopped.first_name,
        stopped.username,
      ]),
    ).toEqual([])
    // The member's start still reaches them; the /stop still proves that nothing may be sent.
    expect(await contactOf(linked)).toMatchObject([{ member_id: member, status: 'started' }])
    expect(await contactOf(stopped)).toEqual([
      {
        member_id: null,
        first_name: '',
        username: null,
        language_code: null,
        status: 'stopped',
        stop_proof: `telegram_update:${stop}`,
      },
    ])
  })

  it('forgets at most 1,000 unlinked starts a run: 1,001 take two runs', async () => {
    const base = 3_000_000_000 + Math.floor(Math.random() * 1_000_000) * 10_000
    const old = Date.now() - 400 * DAY
    await query(
      `insert into telegram_contacts (user_id, member_id, first_name, status, confirmed_at,
         consent_method, consent_proof, status_at, created_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
       select ?1 + i, null, 'Unlinked', 'started', ?2 + i, 'telegram_start', 'telegram_update:' || i,
         ?2 + i, ?2 + i from n`,
      base,
      old,
    )
    const left = async () =>
      query<{ user_id: number }>(
        'select user_id from telegram_contacts where user_id > ? and user_id <= ?',
        base,
        base + 1001,
      )
    const now = Date.now()
    await runHourlyCron(now)
    expect(await left()).toEqual([{ user_id: base + 1001 }])
    await runHourlyCron(now + HOUR)
    expect(await left()).toEqual([])
  })

  it('forgets at most 1,000 declined join requests a run: 1,001 take two runs', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const chatId = -(2_000_000_000_000 + Math.floor(Math.random() * 1_000_000))
    const old = Date.now() - 400 * DAY
    await query(
      `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
         requested_at, status, decided_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 1001)
       select 'tjr_' || ?1 || i, ?1, ?2, i, 'Declined', ?3, 'declined', ?3 + i from n`,
      community.id,
      chatId,
      old,
    )
    const count = async () =>
      (
        await query<{ n: number }>(
          'select count(*) as n from telegram_join_requests where community_id = ?',
          community.id,
        )
      )[0]!.n
    const now = Date.now()
    await runHourlyCron(now)
    expect(await count()).toBe(1)
    await runHourlyCron(now + HOUR)
    expect(await count()).toBe(0)
  })

  it('forgets applied update ids after 7 days', async () => {
    const { chatId } = await telegramCommunity()
    const update = memberUpdate(chatId, person('Marker'), 'joined')
    await postUpdate(update)
    const kept = () =>
      query('select update_id from telegram_updates where update_id = ?', update.update_id)
    await eventually(async () => expect(await kept()).toHaveLength(1))
    const applied = Date.now()
    await runHourlyCron(applied + 6 * DAY)
    expect(await kept()).toHaveLength(1)
    await runHourlyCron(applied + 8 * DAY)
    expect(await kept()).toEqual([])
  })
})
