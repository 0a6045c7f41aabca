import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { addDays, utcDay } from '../../src/lib/time'
import { call, createInvite, eventually, query } from '../worker/helpers'
import { page, signIn } from '../worker/dashboard-helpers'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, withTelegramLink } from './support'

const DAY = 86_400

/** Waits until every update sent so far to the chat is applied: one sent after them is. */
async function settled(chatId: number) {
  const marker = newUser('Marker')
  await postUpdate(memberUpdate(chatId, marker, 'joined'))
  await eventually(async () => {
    const rows = await query('select 1 from telegram_memberships where user_id = ?', marker.id)
    expect(rows).toHaveLength(1)
  })
}

/**
 * Six people through one link, as Telegram reports them: who joined when, and who left when
 * (days ago). One leave is reported before its join, and one twice.
 */
async function cohort() {
  const world = await telegramCommunity()
  const invite = await createInvite(world.community.id, { groupId: world.group.id, label: 'Fair' })
  const url = await withTelegramLink(invite.id)
  const now = Math.floor(Date.now() / 1000)
  const people: Array<{ name: string; joined: number; left?: number }> = [
    { name: 'Left on day 3', joined: 40, left: 37 },
    { name: 'Left on day 20', joined: 40, left: 20 },
    { name: 'Stayed', joined: 40 },
    { name: 'Ten days in', joined: 10 },
    { name: 'Two days in', joined: 2 },
    { name: 'Leave first', joined: 40, left: 39 },
  ]
  for (const person of people) {
    const user = newUser(person.name)
    const join = memberUpdate(world.chatId, user, 'joined', {
      inviteLink: url,
      date: now - person.joined * DAY,
    })
    const leave =
      person.left === undefined
        ? null
        : memberUpdate(world.chatId, user, 'left', { date: now - person.left * DAY })
    if (person.name === 'Leave first') {
      await postUpdate(leave)
      await settled(world.chatId)
      await postUpdate(join)
    } else {
      await postUpdate(join)
      await settled(world.chatId)
      if (leave) await postUpdate(leave)
      if (leave && person.name === 'Left on day 3') await postUpdate(leave)
    }
  }
  await settled(world.chatId)
  return { ...world, invite }
}

describe('retention on Telegram, from verified membership', () => {
  it('counts who was still in the chat 7 and 30 days after joining, as Telegram saw it', async () => {
    const { invite, community } = await cohort()
    const from = addDays(utcDay(new Date()), -60)
    for (const path of [
      `/api/invites/${invite.id}/stats?from=${from}`,
      `/api/communities/${community.id}/stats?from=${from}`,
    ]) {
      const stats = await call('GET', path)
      expect(stats.status, stats.text).toBe(200)
      expect(stats.json.verifiedRetention).toEqual({
        observedBy: 'telegram',
        joins: 6,
        joinedAtLeast7DaysAgo: 5,
        stayed7Days: 3,
        retention7Days: 0.6,
        joinedAtLeast30DaysAgo: 4,
        stayed30Days: 1,
        retention30Days: 0.25,
        firstJoinDay: addDays(utcDay(new Date()), -40),
      })
      // Our own forms saw no join: the two are never one number.
      expect(stats.json.totals).toMatchObject({ joins: 0, verifiedJoins: 6, verifiedLeaves: 3 })
    }
  })

  it('shows it in the link’s funnel and in the CSV, labelled as verified by Telegram', async () => {
    const { invite } = await cohort()
    const { cookie } = await signIn()
    const view = await page(`/admin/links/${invite.id}?period=90&lang=en`, cookie)
    expect(view.status).toBe(200)
    // A link into a Telegram chat: no word that its figures are inferred, as WhatsApp's are.
    expect(view.text).not.toContain(DASHBOARD_WORDS.en.whatsappInferred)
    // The funnel is what Telegram saw from the join on, so no block of it apart.
    expect(view.text).not.toContain('Seen by Telegram')
    expect(view.text).toContain('Still in the chat after 7 days (verified by Telegram)')
    expect(view.text).toMatch(/60\s*%/)
    expect(view.text).toMatch(/25\s*%/)
    // The joins chart shows what Telegram saw beside our form's joins, each named as such
    // (the funnel names it once; the chart's legend again).
    expect(view.text.split('Joined (verified by Telegram)').length - 1).toBeGreaterThanOrEqual(2)
    expect(view.text).toContain('Sent on to the chat by our form')
    const csv = await page(`/admin/links/${invite.id}/stats.csv?period=90`, cookie)
    const [header, ...rows] = csv.text.split('\r\n')
    const columns = header!.split(',')
    expect(columns.slice(-7, -3)).toEqual([
      'joined_seen_by_telegram',
      'left_seen_by_telegram',
      'of_those_joined_left_within_7_days_seen_by_telegram',
      'of_those_joined_left_within_30_days_seen_by_telegram',
    ])
    const day40 = rows.find((row) => row.startsWith(addDays(utcDay(new Date()), -40)))!
    // Four joined that day; two of them left within 7 days, three within 30.
    expect(day40.split(',').slice(-7, -3)).toEqual(['4', '0', '2', '3'])
  })
})
