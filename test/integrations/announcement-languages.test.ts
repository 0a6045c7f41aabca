import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  expectProblem,
  joinJson,
  memberIdOf,
  newPhone,
  query,
  runCron,
} from '../worker/helpers'
import { csrfOf, page, post, signIn } from '../worker/dashboard-helpers'
import { DELIVERY_SECRET, HUMAN, receivedWebhooks } from './delivery-webhook'

/** The signed messages the webhook receiver got for one announcement, verified. */
async function messagesOf(announcementId: string) {
  const verifier = new Webhook(DELIVERY_SECRET)
  return (await receivedWebhooks((payload) => payload.data?.announcementId === announcementId)).map(
    (request) => verifier.verify(request.body, request.headers) as any,
  )
}

/** A member who signed up on pages in `language` (none: as before the language was kept). */
async function memberIn(code: string, name: string, language: 'de' | 'en' | null) {
  const joined = await joinJson(
    code,
    { name, phone: newPhone(), turnstileToken: HUMAN },
    { 'accept-language': language ?? 'de' },
  )
  expect(joined.status, joined.text).toBe(201)
  if (language === null) {
    await query('update join_requests set language = null where id = ?', joined.json.joinRequestId)
  }
  return (await memberIdOf(joined))!
}

describe('an announcement in more than one language', () => {
  it('reaches each member in the language they signed up in, the body where it has none', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ada = await memberIn(invite.code, 'Ada', 'en')
    const ben = await memberIn(invite.code, 'Ben', 'de')
    const cem = await memberIn(invite.code, 'Cem', null)
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: {
        body: 'Lauftreff am Sonntag um 9',
        translations: { en: 'Run on Sunday at 9' },
        sendAt: new Date(Date.now() + 1000).toISOString(),
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.json.translations).toEqual({ en: 'Run on Sunday at 9' })

    await runCron(new Date(Date.now() + 120_000))
    const messages = await eventually(async () => {
      const messages = await messagesOf(created.json.id)
      expect(messages).toHaveLength(3)
      return messages
    })
    const byMember = Object.fromEntries(
      messages.map((m) => [m.data.recipient.memberId, [m.data.text, m.data.recipient.language]]),
    )
    expect(byMember).toEqual({
      [ada]: ['Run on Sunday at 9', 'en'],
      [ben]: ['Lauftreff am Sonntag um 9', 'de'],
      [cem]: ['Lauftreff am Sonntag um 9', null],
    })
    // The export says who reads which, in its last column.
    const csv = (await call('GET', `/api/communities/${community.id}/members.csv`)).text
    const languages = Object.fromEntries(
      csv
        .trim()
        .split('\r\n')
        .slice(1)
        .map((line) => [line.split(',')[0], line.split(',').at(-1)]),
    )
    expect(languages).toEqual({ [ada]: 'en', [ben]: 'de', [cem]: '' })
    // As does the API's list of members.
    const listed = await call('GET', `/api/communities/${community.id}/members`)
    expect(
      Object.fromEntries(
        listed.json.data.map((m: { id: string; language: string | null }) => [m.id, m.language]),
      ),
    ).toEqual({ [ada]: 'en', [ben]: 'de', [cem]: null })
  })

  it('addresses each member by the name they gave, in their language, where it says {name}', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const ada = await memberIn(invite.code, 'Ada', 'en')
    const ben = await memberIn(invite.code, 'Ben $& Co', 'de')
    const created = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: {
        body: 'Hallo {name}, Lauftreff am Sonntag um 9',
        translations: { en: '{name}, we run on Sunday at 9. See you, {name}!' },
        sendAt: new Date(Date.now() + 1000).toISOString(),
      },
    })
    expect(created.status, created.text).toBe(201)
    // Stored as written: the name is each message's own.
    expect(created.json.body).toBe('Hallo {name}, Lauftreff am Sonntag um 9')
    // A text of nothing but the name would be nothing at all in a chat post.
    const bare = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: ' {name}! ', sendAt: new Date(Date.now() + 60_000).toISOString() },
    })
    expect(expectProblem(bare, 400, 'validation_failed').errors).toEqual([
      expect.objectContaining({ path: 'body' }),
    ])
    await runCron(new Date(Date.now() + 120_000))
    const messages = await eventually(async () => {
      const messages = await messagesOf(created.json.id)
      expect(messages).toHaveLength(2)
      return messages
    })
    expect(
      Object.fromEntries(messages.map((m) => [m.data.recipient.memberId, m.data.text])),
    ).toEqual({
      [ada]: 'Ada, we run on Sunday at 9. See you, Ada!',
      [ben]: 'Hallo Ben $& Co, Lauftreff am Sonntag um 9',
    })
  })

  it('takes texts per language through the API: replaced when sent again, refused when empty or unknown', async () => {
    const community = await createCommunity()
    const path = `/api/communities/${community.id}/announcements`
    const sendAt = '2031-01-01T10:00:00Z'
    for (const translations of [{ fr: 'Bonjour' }, { en: '   ' }, { en: 'x'.repeat(4097) }]) {
      expectProblem(
        await call('POST', path, { body: { body: 'Hallo', translations, sendAt } }),
        400,
        'validation_failed',
      )
    }
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])
    const created = await call('POST', path, {
      body: { body: 'Hallo', translations: { en: 'Hello' }, sendAt },
    })
    expect(created.status, created.text).toBe(201)
    const changed = await call('PATCH', `/api/announcements/${created.json.id}`, {
      body: { body: 'Hallo zusammen' },
    })
    // A change that leaves them out keeps them.
    expect(changed.json).toMatchObject({ body: 'Hallo zusammen', translations: { en: 'Hello' } })
    const cleared = await call('PATCH', `/api/announcements/${created.json.id}`, {
      body: { translations: {} },
    })
    expect(cleared.json.translations).toEqual({})
    const plain = await call('POST', path, { body: { body: 'Nur so', sendAt } })
    expect(plain.json.translations).toEqual({})
  })

  it('is written in the dashboard’s compose form, and the list says which languages it has', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const announcements = `/admin/communities/${community.id}/announcements`
    const form = await page(announcements, cookie)
    expect(form.text).toContain('Also in another language')
    const fields = {
      _csrf: csrfOf(form.text),
      body: 'Lauftreff am Sonntag',
      audience: 'announcement',
      sendAt: '2031-03-01T10:00',
      timezone: 'Europe/Berlin',
    }
    const refused = await post(announcements, cookie, {
      ...fields,
      translation_en: ' '.repeat(3) + 'x'.repeat(4097),
    })
    expect(refused.status).toBe(400)
    // Opened, with what was typed and why it was refused.
    expect(refused.text).toMatch(/<details open="">/)
    expect(refused.text).toContain('id="translation_en-error"')
    // A text sent twice is refused, not dropped.
    const twice = await post(announcements, cookie, { ...fields, translation_en: ['One', 'Two'] })
    expect(twice.status).toBe(400)
    expect(twice.text).toContain('The field translation_en was sent more than once.')

    const scheduled = await post(announcements, cookie, {
      ...fields,
      translation_en: 'Run on Sunday',
    })
    expect(scheduled.status, scheduled.text).toBe(303)
    const listed = await call('GET', `/api/communities/${community.id}/announcements`)
    expect(listed.json.data[0]).toMatchObject({
      body: 'Lauftreff am Sonntag',
      translations: { en: 'Run on Sunday' },
    })
    const shown = await page(announcements, cookie)
    expect(shown.text).toContain('Also in English')
    // Its report shows what each language's members were sent.
    const report = await page(`/admin/announcements/${listed.json.data[0].id}`, cookie)
    expect(report.text).toMatch(/In English<\/p><blockquote lang="en"><bdi>Run on Sunday<\/bdi>/)

    // The longest texts the form takes, in the widest characters, fit in its body.
    const widest = await post(announcements, cookie, {
      ...fields,
      body: '😀'.repeat(4096),
      translation_de: 'ä'.repeat(4096),
      translation_en: '😀'.repeat(4096),
    })
    expect(widest.status, widest.text.slice(0, 300)).toBe(303)
  })
})
