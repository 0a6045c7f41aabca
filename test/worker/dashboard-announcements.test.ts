import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, expectProblem, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** Schedules an announcement through the API, a week ahead, for `audience`. */
async function scheduled(
  communityId: string,
  body: string,
  audience: 'announcement' | { groupIds: string[] } = 'announcement',
): Promise<string> {
  const sendAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
  const answer = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, audience, sendAt },
  })
  expect(answer.status, answer.text).toBe(201)
  return answer.json.id
}

/** The question the "Send now" button of an announcement asks before it sends. */
function sendNowQuestion(html: string, announcementId: string): string | undefined {
  const form = new RegExp(
    `<form method="post" action="/admin/announcements/${announcementId}/send-now"[^>]*>`,
  ).exec(html)?.[0]
  expect(form, 'the list offers to send it now').toBeTruthy()
  return /data-confirm="([^"]*)"/.exec(form!)?.[1]
}

describe('dashboard: sending an announcement now', () => {
  it('asks before sending, naming how many members it goes to', async () => {
    const community = await createCommunity()
    const runners = await createGroup(community.id)
    const walkers = await createGroup(community.id)
    // The groups' kept counts, as joins leave them.
    await query(
      `update groups set member_count = 1234 where community_id = ? and kind = 'announcement'`,
      community.id,
    )
    await query('update groups set member_count = 1 where id = ?', runners.id)
    await query('update groups set member_count = 2 where id = ?', walkers.id)
    const everyone = await scheduled(community.id, 'To everyone')
    const one = await scheduled(community.id, 'To the runners', { groupIds: [runners.id] })
    const both = await scheduled(community.id, 'To both', {
      groupIds: [runners.id, walkers.id],
    })
    const { cookie } = await signIn()

    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(sendNowQuestion(list.text, everyone)).toBe(
      'Send this now to 1,234 members? It goes out at once and cannot be taken back. Of them, only those whose contact is confirmed get it; its report counts the others.',
    )
    expect(sendNowQuestion(list.text, one)).toBe(
      'Send this now to 1 member? It goes out at once and cannot be taken back. Of them, only those whose contact is confirmed get it; its report counts the others.',
    )
    // A member of both groups gets it once: the sum is only an upper bound.
    expect(sendNowQuestion(list.text, both)).toBe(
      'Send this now to up to 3 members? It goes out at once and cannot be taken back. Of them, only those whose contact is confirmed get it; its report counts the others.',
    )

    const german = await page(`/admin/communities/${community.id}/announcements?lang=de`, cookie)
    expect(sendNowQuestion(german.text, everyone)).toBe(
      'Jetzt an 1.234 Mitglieder senden? Die Ankündigung geht sofort hinaus und lässt sich danach nicht zurückholen. Von ihnen bekommt sie nur, wer seinen Kontakt bestätigt hat; ihr Bericht zählt die übrigen.',
    )

    // A group on Telegram: a send to it, or to everyone while the announcement group has no
    // chat of its own, is posted in its chat, and the question says so.
    await query('update groups set telegram_chat_id = -1001234567801 where id = ?', walkers.id)
    const onTelegram = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(sendNowQuestion(onTelegram.text, everyone)).toBe(
      'Send this now to 1,234 members? It goes out at once and cannot be taken back. It is posted in one Telegram chat and sent to each member who started the bot; besides, members whose contact is confirmed get it one by one.',
    )
    expect(sendNowQuestion(onTelegram.text, one)).toBe(
      'Send this now to 1 member? It goes out at once and cannot be taken back. Of them, only those whose contact is confirmed get it; its report counts the others.',
    )
    const germanTelegram = await page(
      `/admin/communities/${community.id}/announcements?lang=de`,
      cookie,
    )
    expect(sendNowQuestion(germanTelegram.text, both)).toBe(
      'Jetzt an bis zu 3 Mitglieder senden? Die Ankündigung geht sofort hinaus und lässt sich danach nicht zurückholen. Sie wird in einem Telegram-Chat gepostet und geht an jedes Mitglied, das den Bot gestartet hat; außerdem bekommt sie einzeln, wer seinen Kontakt bestätigt hat.',
    )
  })
})

describe('dashboard: the announcements list', () => {
  it('names the zone of a date shown on the community’s clock beside a rule kept in another', async () => {
    const community = await createCommunity({ timeZone: 'Europe/Berlin' })
    const made = async (timezone: string) => {
      const answer = await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: `Run ${timezone}`, repeat: { cron: '30 14 * * *', timezone } },
      })
      expect(answer.status, answer.text).toBe(201)
      return answer.json.id as string
    }
    const newYork = await made('America/New_York')
    const berlin = await made('Europe/Berlin')
    const { cookie } = await signIn()
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    const rowOf = (id: string) => {
      const start = list.indexOf(`/admin/announcements/${id}"`)
      return list.slice(start, list.indexOf('</tr>', start))
    }
    // Berlin's clock, said so: a New York rule's 14:30 is 20:30 there (19:30 in the weeks the
    // two switch to summer time apart).
    expect(rowOf(newYork)).toMatch(/\(America\/New_York\) · [^<]*, (19|20):30 (CET|CEST)/)
    // On the community's own zone, nothing to tell apart.
    expect(rowOf(berlin)).toMatch(/\(Europe\/Berlin\) · [^<]*, 14:30</)
    // Sending a repeating one now is a run more; the question says its dates stay.
    expect(sendNowQuestion(list, berlin)).toMatch(
      /Of them, only those whose contact is confirmed get it; its report counts the others\. This is one run more: the repeat goes on as planned\.$/,
    )
    // Sent, the page says when that run starts: with the cron job, not at once.
    const sent = await post(`/admin/announcements/${berlin}/send-now`, cookie, {
      _csrf: csrfOf(list),
    })
    expect(sent.status).toBe(303)
    const after = await page(sent.headers.get('location')!, cookie)
    expect(after.text).toContain('The extra run starts within a minute; its report fills up')
    expect(after.text).not.toContain('The announcement is being sent now.')
  })
})

describe('dashboard: the announcements list, in order', () => {
  it('shows what is still to come first, the soonest on top, then the rest, the newest first', async () => {
    const community = await createCommunity()
    const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()
    const make = async (body: string, sendAt: string) => {
      const answer = await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body, sendAt },
      })
      expect(answer.status, answer.text).toBe(201)
      return answer.json.id as string
    }
    const later = await make('Later', at(20))
    const cancelled = await make('Called off', at(5))
    expect((await call('POST', `/api/announcements/${cancelled}/cancel`)).status).toBe(200)
    const soon = await make('Soon', at(2))
    const cancelledToo = await make('Called off too', at(9))
    expect((await call('POST', `/api/announcements/${cancelledToo}/cancel`)).status).toBe(200)
    const { cookie } = await signIn()
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    const order = [soon, later, cancelledToo, cancelled].map((id) =>
      list.indexOf(`/admin/announcements/${id}"`),
    )
    expect(order.every((index) => index > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
  })

  it('lists an old announcement still to come, past a hundred newer ones', async () => {
    const community = await createCommunity()
    const old = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Every Monday, for years', repeat: { cron: '0 9 * * 1', timezone: 'UTC' } },
    })
    expect(old.status, old.text).toBe(201)
    // A hundred and one sent since, written as sending leaves them.
    await query(
      `insert into announcements (id, community_id, body, status, send_at, created_at, updated_at)
       with recursive n(i) as (select 1 union all select i + 1 from n where i < 101)
       select 'ann_zz' || printf('%024d', i), ?1, 'Sent ' || i, 'sent', ?2, ?2, ?2 from n`,
      community.id,
      Date.now(),
    )
    const { cookie } = await signIn()
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    expect(list).toContain(`/admin/announcements/${old.json.id}"`)
    expect(list).toContain('Sent 101')
  })
})

describe('dashboard and API: a repeat rule is refused, not guessed', () => {
  it('refuses a weekly repeat without a day, beside the days, keeping what was typed', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const fields = {
      _csrf: csrfOf(form.text),
      body: 'Training plan for the week',
      audience: 'announcement',
      timezone: 'Europe/Berlin',
      repeat: 'weekly',
      time: '18:30',
    }
    for (const intent of [{}, { intent: 'preview' }] as Record<string, string>[]) {
      const refused = await post(`/admin/communities/${community.id}/announcements`, cookie, {
        ...fields,
        ...intent,
      })
      expect(refused.status).toBe(400)
      expect(refused.text).toContain(
        '<p id="weekdays-error" class="err">Pick at least one day of the week, or another repeat.</p>',
      )
      expect(refused.text).toMatch(/<div id="weekdays"[^>]*aria-describedby="weekdays-error"/)
      // Nothing typed is lost: the text, the repeat chosen and its time.
      expect(refused.text).toMatch(
        /<textarea id="body"[^>]*>\nTraining plan for the week<\/textarea>/,
      )
      expect(refused.text).toMatch(/<input type="radio" name="repeat" value="weekly" checked/)
      expect(refused.text).toMatch(/<input id="time" name="time" type="time" value="18:30"/)
      // Not a date missing: the rule is what was refused.
      expect(refused.text).not.toContain('id="sendAt-error"')
    }
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])
  })

  it('refuses a six-field rule (seconds first) in the form, the API and its preview', async () => {
    const community = await createCommunity()
    const sixFields = '30 0 9 * * 1'
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const refused = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(form.text),
      body: 'Monday run',
      audience: 'announcement',
      timezone: 'Europe/Berlin',
      cron: sixFields,
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('A rule has five fields')
    expect(refused.text).toContain(`value="${sixFields}"`)

    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Monday run', repeat: { cron: sixFields, timezone: 'Europe/Berlin' } },
    })
    const problem = expectProblem(created, 400, 'validation_failed')
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'repeat.cron' })])
    const preview = await call(
      'GET',
      `/api/announcements/preview?cron=${encodeURIComponent(sixFields)}&timezone=Europe/Berlin`,
    )
    expect(expectProblem(preview, 400, 'validation_failed').errors).toEqual([
      expect.objectContaining({ path: 'cron' }),
    ])
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])

    // Five fields, spaced as people type them, still go through.
    const fine = await call(
      'GET',
      `/api/announcements/preview?cron=${encodeURIComponent(' 0  9 * * 1 ')}&timezone=Europe/Berlin`,
    )
    expect(fine.status, fine.text).toBe(200)
  })
})
