import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { formFields, scheduleByApi, stored } from './announcement-forms'

describe('using an announcement again', () => {
  it('fills the compose form with its texts, audience and rule, leaving the date to choose', async () => {
    const community = await createCommunity()
    const [a, b] = [
      await createGroup(community.id, { name: 'Alpha' }),
      await createGroup(community.id, { name: 'Beta' }),
    ]
    const earlier = await scheduleByApi(community.id, {
      body: 'Lauftreff',
      translations: { en: 'Running group' },
      audience: { groupIds: [a.id, b.id] },
      repeat: {
        cron: '30 7 * * *',
        timezone: 'Europe/Lisbon',
        until: new Date(Date.now() + 40 * 86_400_000).toISOString(),
      },
    })
    expect((await call('POST', `/api/announcements/${earlier.id}/cancel`)).status).toBe(200)
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    // Cancelled: not to be changed, but to be used again.
    expect(list.text).not.toContain(`/admin/announcements/${earlier.id}/edit`)
    const reuse = `/admin/communities/${community.id}/announcements?from=${earlier.id}`
    expect(list.text).toContain(`href="${reuse}"`)

    const filled = await page(reuse, cookie)
    expect(filled.text).toContain('Filled in from an earlier announcement')
    const fields = formFields(filled.text, `/admin/communities/${community.id}/announcements`)
    expect(fields).toMatchObject({
      from: earlier.id,
      body: 'Lauftreff',
      translation_en: 'Running group',
      audience: 'keep',
      repeat: 'daily',
      time: '07:30',
      timezone: 'Europe/Lisbon',
      sendAt: '',
      until: '',
    })
    const scheduled = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      ...fields,
      body: 'Lauftreff, neu',
    })
    expect(scheduled.status, scheduled.text).toBe(303)
    const created = new URL(scheduled.headers.get('location')!, 'https://x').searchParams.get(
      'scheduled',
    )!
    expect(await stored(created)).toMatchObject({
      body: 'Lauftreff, neu',
      translations: JSON.stringify({ en: 'Running group' }),
      audience_group_ids: JSON.stringify([a.id, b.id]),
      repeat_cron: '30 7 * * *',
      repeat_timezone: 'Europe/Lisbon',
      repeat_until: null,
    })
    expect((await stored(earlier.id)).body).toBe('Lauftreff')
  })

  it('takes only an announcement of the same community, and "as it was" only with one', async () => {
    const community = await createCommunity()
    const other = await createCommunity()
    const theirs = await scheduleByApi(other.id, {
      body: 'Not yours',
      sendAt: '2031-01-10T10:00:00Z',
    })
    const { cookie } = await signIn()
    const announcements = `/admin/communities/${community.id}/announcements`
    const filled = await page(`${announcements}?from=${theirs.id}`, cookie)
    expect(filled.status).toBe(200)
    expect(filled.text).not.toContain('Not yours')
    expect(filled.text).not.toContain('Filled in from')
    const base = {
      _csrf: csrfOf(filled.text),
      body: 'Mine',
      sendAt: '2031-01-10T10:00',
      timezone: 'Europe/Berlin',
      audience: 'keep',
    }
    const sources: Array<Record<string, string>> = [
      {},
      { from: theirs.id },
      { from: 'ann_nonsense' },
    ]
    for (const from of sources) {
      const refused = await post(announcements, cookie, { ...base, ...from })
      expect(refused.status).toBe(400)
      expect(refused.text).toContain('id="audience-error"')
    }
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])
  })
})
