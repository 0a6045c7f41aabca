import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, expectProblem, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { eventually } from '../support/eventually'
import { formFields, scheduleByApi, stored } from './announcement-forms'

/** The announcement's entries in its community's audit log for a change. */
async function changesLogged(communityId: string, announcementId: string) {
  const log = await call(
    'GET',
    `/api/communities/${communityId}/audit-log?action=announcement.changed`,
  )
  return log.json.data.filter((entry: { targetId: string }) => entry.targetId === announcementId)
}

describe('changing an announcement, at its edges', () => {
  it('writes nothing, logs nothing and keeps its version when saved as it was', async () => {
    const community = await createCommunity()
    const announcement = await scheduleByApi(community.id, {
      body: 'As it is',
      translations: { en: 'As it is, in English' },
      sendAt: '2031-01-10T10:00:00Z',
    })
    const before = await stored(announcement.id)
    const { cookie } = await signIn()
    const edit = `/admin/announcements/${announcement.id}/edit`
    const unchanged = await post(edit, cookie, formFields((await page(edit, cookie)).text))
    expect(unchanged.status, unchanged.text).toBe(303)
    expect(await stored(announcement.id)).toEqual(before)
    expect((await page(unchanged.headers.get('location')!, cookie)).text).toContain(
      'Nothing changed: the announcement is as it was.',
    )
    // Nor through the API.
    const again = await call('PATCH', `/api/announcements/${announcement.id}`, {
      body: { body: 'As it is' },
    })
    expect(again.status, again.text).toBe(200)
    expect(await stored(announcement.id)).toEqual(before)
    // A real change is logged, once: the saves before it left no entry behind them.
    const changed = await post(edit, cookie, {
      ...formFields((await page(edit, cookie)).text),
      body: 'Changed',
    })
    expect(changed.status).toBe(303)
    await eventually(async () => {
      expect(await changesLogged(community.id, announcement.id)).toHaveLength(1)
    })
  })

  it('keeps a repeating one’s next run, even one due and not started yet, when its rule stays', async () => {
    const community = await createCommunity()
    const announcement = await scheduleByApi(community.id, {
      body: 'Daily',
      repeat: { cron: '0 9 * * *', timezone: 'Europe/Berlin' },
    })
    // Due half a minute ago: the next cron run sends it.
    const due = Date.now() - 30_000
    await query('update announcements set send_at = ? where id = ?', due, announcement.id)
    const { cookie } = await signIn()
    const edit = `/admin/announcements/${announcement.id}/edit`
    const fields = formFields((await page(edit, cookie)).text)
    // A repeating one's dates are its rule's: the one-off date is left empty.
    expect(fields.sendAt).toBe('')
    const saved = await post(edit, cookie, { ...fields, body: 'Daily, new text' })
    expect(saved.status, saved.text).toBe(303)
    expect(await stored(announcement.id)).toMatchObject({ body: 'Daily, new text', send_at: due })
    const api = await call('PATCH', `/api/announcements/${announcement.id}`, {
      body: { body: 'Daily, newer text' },
    })
    expect(api.status, api.text).toBe(200)
    expect((await stored(announcement.id)).send_at).toBe(due)
  })

  it('never widens "as it is" to everyone after someone else changed the audience', async () => {
    const community = await createCommunity()
    const [a, b, c] = [
      await createGroup(community.id),
      await createGroup(community.id),
      await createGroup(community.id),
    ]
    const announcement = await scheduleByApi(community.id, {
      body: 'To two groups',
      audience: { groupIds: [a.id, b.id] },
      sendAt: '2031-01-10T10:00:00Z',
    })
    const { cookie } = await signIn()
    const edit = `/admin/announcements/${announcement.id}/edit`
    const fields = formFields((await page(edit, cookie)).text)
    expect(fields.audience).toBe('keep')
    const meanwhile = await call('PATCH', `/api/announcements/${announcement.id}`, {
      body: { audience: { groupIds: [c.id] } },
    })
    expect(meanwhile.status).toBe(200)
    const held = await post(edit, cookie, { ...fields, body: 'Mine' })
    expect(held.status).toBe(409)
    // Shown with the audience it has now; a browser sends back what is selected.
    const resent = formFields(held.text)
    expect(resent.audience).toBe(c.id)
    expect((await post(edit, cookie, resent)).status).toBe(303)
    expect(await stored(announcement.id)).toMatchObject({
      body: 'Mine',
      audience_group_ids: JSON.stringify([c.id]),
    })
  })

  it('keeps a time zone the list does not offer, and names a rule that never runs', async () => {
    const community = await createCommunity()
    const announcement = await scheduleByApi(community.id, {
      body: 'Far west',
      repeat: { cron: '0 9 * * *', timezone: 'Etc/GMT+12' },
    })
    const { cookie } = await signIn()
    const edit = `/admin/announcements/${announcement.id}/edit`
    const fields = formFields((await page(edit, cookie)).text)
    expect(fields.timezone).toBe('Etc/GMT+12')
    expect((await post(edit, cookie, { ...fields, body: 'Far west, again' })).status).toBe(303)
    expect(await stored(announcement.id)).toMatchObject({ repeat_timezone: 'Etc/GMT+12' })
    // Two zones sent: refused, not read as the first.
    const twice = await post(edit, cookie, {
      ...formFields((await page(edit, cookie)).text),
      timezone: ['Etc/GMT+12', 'UTC'],
    })
    expect(twice.status).toBe(400)
    expect(twice.text).toContain('The field timezone was sent more than once.')

    // 31 April: croner reads it, and no calendar has it. The rule is named, not the last day.
    const compose = await page(`/admin/communities/${community.id}/announcements`, cookie)
    for (const intent of [{}, { intent: 'preview' }] as Array<Record<string, string>>) {
      const refused = await post(`/admin/communities/${community.id}/announcements`, cookie, {
        _csrf: csrfOf(compose.text),
        body: 'Never',
        timezone: 'Europe/Berlin',
        cron: '0 9 31 4 *',
        ...intent,
      })
      expect(refused.status).toBe(400)
      expect(refused.text).toMatch(/id="cron-error" class="err">This rule falls on no date/)
      expect(refused.text).not.toContain('id="until-error"')
    }
    // The API's check before saving refuses it as saving would, not with "no runs" that pass.
    const preview = expectProblem(
      await call('GET', '/api/announcements/preview?cron=0%209%2031%204%20*&timezone=UTC'),
      400,
      'validation_failed',
    )
    expect(preview.errors).toEqual([{ path: 'cron', message: 'No run on any date' }])
    expectProblem(
      await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'Never', repeat: { cron: '0 9 31 4 *', timezone: 'UTC' } },
      }),
      400,
      'validation_failed',
    )
  })
})
