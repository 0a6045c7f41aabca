import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, createToken, expectProblem, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { eventually } from '../support/eventually'
import { formFields, scheduleByApi, stored } from './announcement-forms'

describe('changing a scheduled announcement in the dashboard', () => {
  it('opens filled with it, saves a change, says so, and logs it', async () => {
    const community = await createCommunity()
    const runners = await createGroup(community.id, { name: 'Runners' })
    const announcement = await scheduleByApi(community.id, {
      body: 'Lauftreff am Samstag',
      translations: { en: 'Run on Saturday' },
      audience: { groupIds: [runners.id] },
      sendAt: '2031-07-01T16:30:00Z',
    })
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).toContain(`href="/admin/announcements/${announcement.id}/edit"`)

    const opened = await page(`/admin/announcements/${announcement.id}/edit`, cookie)
    expect(opened.status).toBe(200)
    const fields = formFields(opened.text)
    // As stored, on the community's clock (Berlin: UTC+2 in July).
    expect(fields).toMatchObject({
      body: 'Lauftreff am Samstag',
      translation_en: 'Run on Saturday',
      translation_de: '',
      audience: runners.id,
      sendAt: '2031-07-01T18:30',
      timezone: 'Europe/Berlin',
      repeat: 'none',
    })

    const saved = await post(`/admin/announcements/${announcement.id}/edit`, cookie, {
      ...fields,
      body: 'Lauftreff am Sonntag',
      translation_en: 'Run on Sunday',
      sendAt: '2031-07-02T09:00',
    })
    expect(saved.status, saved.text).toBe(303)
    const after = await stored(announcement.id)
    expect(after).toMatchObject({
      body: 'Lauftreff am Sonntag',
      translations: JSON.stringify({ en: 'Run on Sunday' }),
      audience_group_ids: JSON.stringify([runners.id]),
      send_at: Date.parse('2031-07-02T07:00:00Z'),
      repeat_cron: null,
    })
    const back = await page(saved.headers.get('location')!, cookie)
    expect(back.text).toContain('The announcement is changed.')
    expect(back.text).toContain(
      'Scheduled: “<bdi>Lauftreff am Sonntag</bdi>” goes out on 2 Jul 2031, 09:00 CEST.',
    )
    await eventually(async () => {
      const log = await call(
        'GET',
        `/api/communities/${community.id}/audit-log?action=announcement.changed`,
      )
      expect(log.json.data.map((entry: { targetId: string }) => entry.targetId)).toEqual([
        announcement.id,
      ])
    })
  })

  it('keeps a rule, its last day and an audience of several groups as they are when left alone', async () => {
    const community = await createCommunity()
    const [a, b] = [
      await createGroup(community.id, { name: 'Alpha' }),
      await createGroup(community.id, { name: 'Beta' }),
    ]
    const until = '2031-03-31T12:34:56.000Z'
    const announcement = await scheduleByApi(community.id, {
      body: 'Weekly plan',
      audience: { groupIds: [a.id, b.id] },
      repeat: { cron: '0 18 * * 1,3', timezone: 'America/New_York', until },
    })
    const before = await stored(announcement.id)
    const { cookie } = await signIn()
    const opened = await page(`/admin/announcements/${announcement.id}/edit`, cookie)
    const fields = formFields(opened.text)
    // The picker as the rule was written, on the rule's own clock and calendar.
    expect(fields).toMatchObject({
      repeat: 'weekly',
      weekdays: ['1', '3'],
      time: '18:00',
      until: '2031-03-31',
      timezone: 'America/New_York',
      audience: 'keep',
    })
    expect(opened.text).toContain('As it is: Alpha, Beta')

    const saved = await post(`/admin/announcements/${announcement.id}/edit`, cookie, {
      ...fields,
      body: 'Weekly plan, new text',
    })
    expect(saved.status, saved.text).toBe(303)
    // The notice says what goes out when, up to its last day.
    expect((await page(saved.headers.get('location')!, cookie)).text).toMatch(
      /goes out weekly on Mon, Wed at 18:00 \(America\/New_York\), until 31 Mar 2031, first on/,
    )
    expect(await stored(announcement.id)).toMatchObject({
      body: 'Weekly plan, new text',
      audience_group_ids: JSON.stringify([a.id, b.id]),
      repeat_cron: '0 18 * * 1,3',
      repeat_timezone: 'America/New_York',
      repeat_until: before.repeat_until,
      send_at: before.send_at,
    })

    // A day picked as the last: it runs through that day on the rule's calendar, not after.
    const changed = await post(`/admin/announcements/${announcement.id}/edit`, cookie, {
      ...formFields((await page(`/admin/announcements/${announcement.id}/edit`, cookie)).text),
      until: '2031-04-15',
      weekdays: ['2'],
    })
    expect(changed.status, changed.text).toBe(303)
    const after = await stored(announcement.id)
    expect(after.repeat_cron).toBe('0 18 * * 2')
    // The last moment of April 15 in New York (UTC-4): 04:00 UTC on the 16th, less a millisecond.
    expect(after.repeat_until).toBe(Date.parse('2031-04-16T04:00:00Z') - 1)
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).toContain('weekly on Tue at 18:00 (America/New_York, until 15 Apr 2031)')
  })

  it('does not overwrite a change made since the form was opened, and saves on the second try', async () => {
    const community = await createCommunity()
    const announcement = await scheduleByApi(community.id, {
      body: 'First text',
      sendAt: '2031-01-10T10:00:00Z',
    })
    const { cookie } = await signIn()
    const fields = formFields(
      (await page(`/admin/announcements/${announcement.id}/edit`, cookie)).text,
    )
    const elsewhere = await call('PATCH', `/api/announcements/${announcement.id}`, {
      body: { body: 'Changed through the API' },
    })
    expect(elsewhere.status, elsewhere.text).toBe(200)

    const held = await post(`/admin/announcements/${announcement.id}/edit`, cookie, {
      ...fields,
      body: 'Mine',
    })
    expect(held.status).toBe(409)
    expect(held.text).toContain('Someone else changed this announcement')
    expect(held.text).toMatch(/<textarea id="body"[^>]*>\nMine<\/textarea>/)
    expect((await stored(announcement.id)).body).toBe('Changed through the API')

    const again = await post(
      `/admin/announcements/${announcement.id}/edit`,
      cookie,
      formFields(held.text),
    )
    expect(again.status, again.text).toBe(303)
    expect((await stored(announcement.id)).body).toBe('Mine')
  })

  it('refuses once it is sent or cancelled, and while a run of it is still sending', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const cancelled = await scheduleByApi(community.id, {
      body: 'Soon cancelled',
      sendAt: '2031-01-10T10:00:00Z',
    })
    const fields = formFields(
      (await page(`/admin/announcements/${cancelled.id}/edit`, cookie)).text,
    )
    expect((await call('POST', `/api/announcements/${cancelled.id}/cancel`)).status).toBe(200)
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).not.toContain(`/admin/announcements/${cancelled.id}/edit`)
    // Its Change link opened from a list read before: back to the list, which says why.
    const closed = await page(`/admin/announcements/${cancelled.id}/edit`, cookie)
    expect(closed.status).toBe(303)
    const back = closed.headers.get('location')!
    expect(back).toBe(`/admin/communities/${community.id}/announcements?done=announcementCancelled`)
    expect((await page(back, cookie)).text).toContain(
      'This announcement was cancelled: it can no longer be changed.',
    )
    const late = await post(`/admin/announcements/${cancelled.id}/edit`, cookie, {
      ...fields,
      body: 'Typed too late',
    })
    expect(late.status).toBe(409)
    expect(late.text).toContain('What you typed is still below.')
    expect(late.text).toMatch(/<textarea id="body"[^>]*>\nTyped too late<\/textarea>/)
    expect((await stored(cancelled.id)).body).toBe('Soon cancelled')

    // A daily announcement whose last run is still going out: the run reads the text and the
    // audience as it goes, so a change would reach only the rest of its members.
    const daily = await scheduleByApi(community.id, {
      body: 'Daily',
      repeat: { cron: '0 9 * * *', timezone: 'Europe/Berlin' },
    })
    await query(
      `insert into dispatches (id, announcement_id, scheduled_for, status, channel, created_at, progress_at, queued)
       values (?, ?, ?, 'expanded', 'webhook', ?, ?, 40)`,
      `dsp_${'0'.repeat(20)}${daily.id.slice(-6)}`,
      daily.id,
      Date.now() - 60_000,
      Date.now() - 60_000,
      Date.now(),
    )
    const sending = await page(`/admin/announcements/${daily.id}/edit`, cookie)
    expect(sending.text).toContain('A run of this announcement is being sent right now')
    const refused = await post(`/admin/announcements/${daily.id}/edit`, cookie, {
      ...formFields(sending.text),
      body: 'Daily, changed',
    })
    expect(refused.status).toBe(409)
    expect((await stored(daily.id)).body).toBe('Daily')
    const api = await call('PATCH', `/api/announcements/${daily.id}`, { body: { body: 'Via API' } })
    expectProblem(api, 409, 'invalid_state')
    expect(api.json.runId).toMatch(/^dsp_/)
    expect((await stored(daily.id)).body).toBe('Daily')
  })

  it('checks the last day: not over, and with a run up to it', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const compose = await page(`/admin/communities/${community.id}/announcements`, cookie)
    // A monthly rule on the day of the month ten days ahead: its next run is that day.
    const berlinDay = (daysAhead: number) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(
        new Date(Date.now() + daysAhead * 86_400_000),
      )
    const runDay = berlinDay(10)
    const fields = {
      _csrf: csrfOf(compose.text),
      body: 'Monthly',
      audience: 'announcement',
      timezone: 'Europe/Berlin',
      repeat: 'monthly',
      monthDay: String(Number(runDay.slice(8))),
      time: '09:00',
    }
    const announcements = `/admin/communities/${community.id}/announcements`
    const past = await post(announcements, cookie, { ...fields, until: '2020-01-01' })
    expect(past.status).toBe(400)
    expect(past.text).toContain('The last day chosen is over already.')
    const none = await post(announcements, cookie, { ...fields, until: berlinDay(5) })
    expect(none.status).toBe(400)
    expect(none.text).toContain('The rule has no date up to the last day chosen.')
    const noneShown = await post(announcements, cookie, {
      ...fields,
      intent: 'preview',
      until: berlinDay(5),
    })
    expect(noneShown.text).toContain('The rule has no date up to the last day chosen.')

    // Up to the run's own day: that one run, and no more.
    const preview = await post(announcements, cookie, {
      ...fields,
      intent: 'preview',
      until: runDay,
    })
    expect(preview.status).toBe(200)
    expect(preview.text.match(/<li>[^<]*09:00[^<]*<\/li>/g) ?? []).toHaveLength(1)
    const scheduled = await post(announcements, cookie, { ...fields, until: runDay })
    expect(scheduled.status, scheduled.text).toBe(303)
    const [row] = await query<{ id: string }>(
      'select id from announcements where community_id = ?',
      community.id,
    )
    const after = await stored(row!.id)
    expect(new Date(after.send_at!).toISOString().slice(0, 10)).toBe(runDay)
    // The end of that day in Berlin.
    expect(
      new Intl.DateTimeFormat('en-CA', {
        timeZone: 'Europe/Berlin',
        dateStyle: 'short',
        timeStyle: 'medium',
        hourCycle: 'h23',
      }).format(new Date(after.repeat_until!)),
    ).toBe(`${runDay}, 23:59:59`)
  })

  it('is in German on a German page, and only for those who manage announcements', async () => {
    const community = await createCommunity()
    const announcement = await scheduleByApi(community.id, {
      body: 'Hallo',
      sendAt: '2031-01-10T10:00:00Z',
    })
    const { cookie } = await signIn()
    const german = await page(`/admin/announcements/${announcement.id}/edit?lang=de`, cookie)
    expect(german.text).toContain('<h1>Ankündigung ändern</h1>')
    expect(german.text).toContain('Änderungen speichern')
    expect(german.text).toContain(`action="/admin/announcements/${announcement.id}/edit?lang=de"`)

    const group = await createGroup(community.id)
    const groupAdmin = await createToken({
      role: 'group_admin',
      communityId: community.id,
      groupId: group.id,
    })
    const groupAdminSession = await signIn(groupAdmin.token)
    const forbidden = await page(
      `/admin/announcements/${announcement.id}/edit`,
      groupAdminSession.cookie,
    )
    expect(forbidden.status).toBe(403)
    const other = await createCommunity()
    const outsider = await createToken({ role: 'community_admin', communityId: other.id })
    const outsiderSession = await signIn(outsider.token)
    const hidden = await page(
      `/admin/announcements/${announcement.id}/edit`,
      outsiderSession.cookie,
    )
    expect(hidden.status).toBe(404)
  })
})
