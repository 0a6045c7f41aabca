import { describe, expect, it } from 'vitest'
import { call, createCommunity, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** Schedules an announcement through the dashboard form and returns the stored rule. */
async function schedule(fields: Record<string, string | string[]>) {
  const community = await createCommunity()
  const { cookie } = await signIn()
  const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
  const response = await post(`/admin/communities/${community.id}/announcements`, cookie, {
    _csrf: csrfOf(form.text),
    body: 'Weekly plan',
    audience: 'announcement',
    timezone: 'Europe/Berlin',
    ...fields,
  })
  expect(response.status, response.text).toBe(303)
  const [row] = await query<{ repeat_cron: string | null; repeat_timezone: string | null }>(
    'select repeat_cron, repeat_timezone from announcements where community_id = ?',
    community.id,
  )
  return row!
}

describe('the repeat-rule picker', () => {
  it('writes the cron rule for daily, weekly on chosen days, and monthly, at a time', async () => {
    expect(await schedule({ repeat: 'daily', time: '07:30' })).toEqual({
      repeat_cron: '30 7 * * *',
      repeat_timezone: 'Europe/Berlin',
    })
    expect(
      (await schedule({ repeat: 'weekly', weekdays: ['3', '1'], time: '18:00' })).repeat_cron,
    ).toBe('0 18 * * 1,3')
    expect((await schedule({ repeat: 'monthly', monthDay: '15', time: '09:05' })).repeat_cron).toBe(
      '5 9 15 * *',
    )
    // The raw rule is the advanced option, and wins when filled in.
    expect(
      (await schedule({ repeat: 'daily', time: '07:30', cron: '0 12 * * 6' })).repeat_cron,
    ).toBe('0 12 * * 6')
    // Not repeated: sent once, at the chosen time.
    expect(await schedule({ repeat: 'none', time: '07:30', sendAt: '2031-02-01T10:00' })).toEqual({
      repeat_cron: null,
      repeat_timezone: null,
    })
  })

  it('shows the next runs of the rule picked, in the chosen time zone and language', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const showNext = (fields: Record<string, string | string[]>, path = '') =>
      post(`/admin/communities/${community.id}/announcements${path}`, cookie, {
        _csrf: csrfOf(form.text),
        intent: 'preview',
        ...fields,
      })
    const preview = await showNext({
      repeat: 'weekly',
      weekdays: ['1', '3'],
      time: '07:30',
      timezone: 'Europe/Berlin',
    })
    const runs = [...preview.text.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!)
    expect(runs).toHaveLength(5)
    // Each named by its weekday first, which a weekly rule is checked by.
    for (const run of runs) expect(run).toMatch(/^(Mon|Wed), .*07:30$/)
    // The picker keeps what was chosen.
    expect(preview.text).toContain('<input type="radio" name="repeat" value="weekly" checked=""/>')
    expect(preview.text).toContain('<input type="checkbox" name="weekdays" value="3" checked=""/>')

    const german = await showNext({ repeat: 'monthly', monthDay: '1', time: '09:00' }, '?lang=de')
    expect(german.text).toContain('Monatlich')
    expect(german.text).toMatch(/value="1"\/> Mo\.?<\/label>/) // weekday names in German
    const dates = [...german.text.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!)
    expect(dates).toHaveLength(5)
    for (const date of dates) expect(date).toMatch(/^\p{L}{2}\.?, 01\.\d\d\.\d{4}, 09:00$/u)
  })

  it('lists a repeating announcement by its rule in words', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const rules: Array<Record<string, string | string[]>> = [
      { repeat: 'weekly', weekdays: ['1', '3'], time: '18:00' },
      { repeat: 'monthly', monthDay: '15', time: '09:05' },
      { repeat: 'none', cron: '*/15 9-17 * * 1-5' },
    ]
    for (const fields of rules)
      await post(`/admin/communities/${community.id}/announcements`, cookie, {
        _csrf: csrfOf(form.text),
        body: 'Plan',
        timezone: 'Europe/Berlin',
        ...fields,
      })
    const list = (await page(`/admin/communities/${community.id}/announcements`, cookie)).text
    expect(list).toContain('weekly on Mon, Wed at 18:00 (Europe/Berlin)')
    expect(list).toContain('monthly on day 15 at 09:05 (Europe/Berlin)')
    expect(list).toContain('*/15 9-17 * * 1-5 (Europe/Berlin)') // a rule of one's own, as written
  })
})

describe('a repeat rule in a time zone IANA names differently from ICU', () => {
  it('runs an announcement repeating at 09:00 in Asia/Kolkata at 03:30 UTC, as in Asia/Calcutta', async () => {
    const community = await createCommunity()
    for (const timezone of ['Asia/Kolkata', 'Asia/Calcutta']) {
      const created = await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'Morning run', repeat: { cron: '0 9 * * *', timezone } },
      })
      expect(created.status, created.text).toBe(201)
      expect(created.json.repeat).toMatchObject({ cron: '0 9 * * *', timezone })
      expect(created.json.nextRunAt).toMatch(/T03:30:00\.000Z$/)
      const preview = await call(
        'GET',
        `/api/announcements/preview?cron=0%209%20*%20*%20*&timezone=${timezone}&count=3`,
      )
      expect(preview.status, preview.text).toBe(200)
      expect(preview.json.runs).toHaveLength(3)
      for (const run of preview.json.runs) expect(run).toMatch(/T03:30:00\.000Z$/)
    }
  })
})
