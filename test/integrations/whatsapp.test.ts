import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { loadConfig } from '../../src/lib/config'
import { deliverAnnouncement, deliverAnnouncements } from '../../src/services/delivery/send'
import { reconcileRuns } from '../../src/services/delivery/reconcile'
import { sendWhatsAppMessage } from '../../src/services/channels'
import { createCommunity, createInvite, joinJson, memberIdOf, query } from '../worker/helpers'
import { numberInWamid } from '../support/whatsapp-notifications'

const fake = inject('fakeServicesUrl')
const config = () => ({ ...loadConfig(env), DELIVERY_CHANNEL: 'whatsapp' as const })

async function lastWhatsAppRequest() {
  const requests = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
    path: string
    headers: Record<string, string>
    body: string
  }>
  return requests.at(-1)!
}

/**
 * A run of an announcement whose deliveries were already expanded: members who joined through
 * the real join flow, and a delivery row for each in the given state.
 */
async function expandedRun(
  suffix: string,
  body: string,
  people: Array<{
    name: string
    phone: string
    /** The language of the pages they sign up on (the browser's). */
    lang?: 'de' | 'en'
    status?: 'queued' | 'sending'
    updatedAgoMs?: number
  }>,
) {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const now = Date.now()
  const announcementId = `ann_0000000000000000000000${suffix}`
  const dispatchId = `dsp_0000000000000000000000${suffix}`
  await query(
    `insert into announcements (id, community_id, body, status, created_at, updated_at) values (?, ?, ?, 'sent', ?, ?)`,
    announcementId,
    community.id,
    body,
    now,
    now,
  )
  await query(
    `insert into dispatches (id, announcement_id, scheduled_for, status, queued, created_at) values (?, ?, ?, 'expanded', ?, ?)`,
    dispatchId,
    announcementId,
    now,
    people.length,
    now,
  )
  const memberIds: string[] = []
  for (const person of people) {
    const joined = await joinJson(
      invite.code,
      { name: person.name, phone: person.phone, turnstileToken: 'human-token' },
      person.lang ? { 'accept-language': person.lang } : {},
    )
    const memberId = (await memberIdOf(joined))!
    memberIds.push(memberId)
    await query(
      `insert into deliveries (dispatch_id, member_id, status, attempts, updated_at) values (?, ?, ?, ?, ?)`,
      dispatchId,
      memberId,
      person.status ?? 'queued',
      person.status === 'sending' ? 1 : 0,
      now - (person.updatedAgoMs ?? 0),
    )
  }
  return { dispatchId, memberIds }
}

describe('the WhatsApp Business Cloud API channel', () => {
  it('posts the documented text message and reads the message id from the answer', async () => {
    const result = await sendWhatsAppMessage(config(), '+4915112345601', 'Hallo Läufer!', null)
    expect(result).toEqual({
      outcome: 'sent',
      providerMessageId: expect.stringMatching(/^wamid\./),
    })
    // Meta's id for the message: it holds the number it went to.
    expect(numberInWamid((result as { providerMessageId: string }).providerMessageId)).toBe(
      '4915112345601',
    )
    const request = await lastWhatsAppRequest()
    expect(request.path).toBe('/whatsapp/v21.0/1234567890/messages')
    expect(request.headers.authorization).toBe('Bearer test-whatsapp-token')
    expect(JSON.parse(request.body)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+4915112345601',
      type: 'text',
      text: { preview_url: false, body: 'Hallo Läufer!' },
    })
  })

  it('sends a template message when a template is configured', async () => {
    // Approved in German only: an English-speaking member gets it in German, as before there
    // were several languages.
    await sendWhatsAppMessage(
      { ...config(), WHATSAPP_TEMPLATE_NAME: 'weekly_news', WHATSAPP_TEMPLATE_LANGUAGE: ['de'] },
      '+4915112345602',
      'News',
      'en',
    )
    expect(JSON.parse((await lastWhatsAppRequest()).body)).toMatchObject({
      type: 'template',
      template: {
        name: 'weekly_news',
        language: { code: 'de' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'News' }] }],
      },
    })
  })

  it('treats 5xx and throughput errors as retryable, other errors as final', async () => {
    expect(await sendWhatsAppMessage(config(), '+4915112345698', 'x', null)).toMatchObject({
      outcome: 'retry',
      error: expect.stringContaining('HTTP 500'),
    })
    expect(await sendWhatsAppMessage(config(), '+4915112345698', 'x', null)).toMatchObject({
      outcome: 'sent',
    })
    expect(await sendWhatsAppMessage(config(), '+4915112345697', 'x', null)).toMatchObject({
      outcome: 'retry',
      error: expect.stringContaining('130429'),
    })
    expect(await sendWhatsAppMessage(config(), '+4915112345699', 'x', null)).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('131026'),
    })
    expect(
      await sendWhatsAppMessage(
        { ...config(), WHATSAPP_ACCESS_TOKEN: 'wrong' },
        '+4915112345603',
        'x',
        null,
      ),
    ).toMatchObject({ outcome: 'failed', error: expect.stringContaining('HTTP 401') })
  })

  it('sends an announcement template in each member’s language where it is approved in it', async () => {
    const run = await expandedRun('wa03', 'News', [
      { name: 'Dora', phone: '+4915112345631', lang: 'de' },
      { name: 'Eli', phone: '+4915112345632', lang: 'en' },
      { name: 'Fay', phone: '+4915112345633', lang: 'en' },
    ])
    // Fay signed up before the language was kept: hers is not known.
    await query(
      'update join_requests set language = null where id = (select join_request_id from members where id = ?)',
      run.memberIds[2]!,
    )
    const verdicts = await deliverAnnouncements(
      createDb(env.DB, { checkLimits: true }),
      {
        ...config(),
        WHATSAPP_TEMPLATE_NAME: 'weekly_news',
        WHATSAPP_TEMPLATE_LANGUAGE: ['de', 'en_US'],
      },
      run.memberIds.map((memberId) => ({ dispatchId: run.dispatchId, memberId })),
      new Date(),
    )
    expect(verdicts).toEqual([{ action: 'ack' }, { action: 'ack' }, { action: 'ack' }])
    const requests = (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{
      body: string
    }>
    const languageTo = (phone: string) =>
      requests.map((r) => JSON.parse(r.body)).find((m) => m.to === phone)?.template.language.code
    // English is approved as en_US; the first listed, German, for a language not known.
    expect(languageTo('+4915112345631')).toBe('de')
    expect(languageTo('+4915112345632')).toBe('en_US')
    expect(languageTo('+4915112345633')).toBe('de')
  })

  it('delivers an announcement to a member by phone, once, and skips members who left', async () => {
    // A run whose deliveries were expanded just before one of them left.
    const run = await expandedRun('wa01', 'Hallo!', [
      { name: 'Stays', phone: '+4915112345611' },
      { name: 'Leaves', phone: '+4915112345612' },
    ])
    const stay = { json: { memberId: run.memberIds[0]! } }
    const leave = { json: { memberId: run.memberIds[1]! } }
    await query(`update members set status = 'left' where id = ?`, leave.json.memberId)

    const db = createDb(env.DB, { checkLimits: true })
    const message = (memberId: string) => ({
      dispatchId: 'dsp_0000000000000000000000wa01',
      memberId,
    })
    expect(
      await deliverAnnouncement(db, config(), message(stay.json.memberId), new Date()),
    ).toEqual({ action: 'ack' })
    expect(
      await deliverAnnouncement(db, config(), message(stay.json.memberId), new Date()),
    ).toEqual({ action: 'ack' }) // redelivered: not sent again
    expect(
      await deliverAnnouncement(db, config(), message(leave.json.memberId), new Date()),
    ).toEqual({ action: 'ack' })

    const rows = await query<{
      member_id: string
      status: string
      last_error: string | null
      provider_message_id: string | null
    }>(
      `select member_id, status, last_error, provider_message_id from deliveries where dispatch_id = 'dsp_0000000000000000000000wa01' order by member_id`,
    )
    const sent = rows.find((r) => r.member_id === stay.json.memberId)
    expect(sent).toMatchObject({ status: 'sent' })
    expect(numberInWamid(sent!.provider_message_id!)).toBe('4915112345611')
    expect(rows.find((r) => r.member_id === leave.json.memberId)).toMatchObject({
      status: 'skipped',
      last_error: 'member left',
    })
    const sentTo = (
      (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{ body: string }>
    ).filter((r) => JSON.parse(r.body).to === '+4915112345611')
    expect(sentTo).toHaveLength(1)
    expect(
      (
        await query(
          'select sent, skipped, queued from dispatches where id = ?',
          'dsp_0000000000000000000000wa01',
        )
      )[0],
    ).toEqual({ sent: 1, skipped: 1, queued: 0 })
  })

  it('sends once when a message arrives twice in one batch, and never resends an interrupted attempt', async () => {
    // The second attempt was interrupted six minutes ago, after sending and before settling.
    const run = await expandedRun('wa02', 'Once', [
      { name: 'Twice', phone: '+4915112345621' },
      { name: 'Stuck', phone: '+4915112345622', status: 'sending', updatedAgoMs: 360_000 },
    ])
    const twice = { json: { memberId: run.memberIds[0]! } }
    const stuck = { json: { memberId: run.memberIds[1]! } }
    const message = (memberId: string) => ({
      dispatchId: 'dsp_0000000000000000000000wa02',
      memberId,
    })
    const verdicts = await deliverAnnouncements(
      createDb(env.DB, { checkLimits: true }),
      config(),
      [message(twice.json.memberId), message(twice.json.memberId), message(stuck.json.memberId)],
      new Date(),
    )
    // The interrupted one is not claimed again: the reconciler settles it (below).
    expect(verdicts).toEqual([{ action: 'ack' }, { action: 'ack' }, { action: 'ack' }])
    await reconcileRuns(
      createDb(env.DB),
      env.DELIVERY_QUEUE,
      config(),
      new Date(Date.now() + 4 * 60_000),
    )
    const sent = (
      (await (await fetch(`${fake}/__requests?path=/whatsapp`)).json()) as Array<{ body: string }>
    ).map((r) => JSON.parse(r.body).to)
    expect(sent.filter((to) => to === '+4915112345621')).toHaveLength(1)
    expect(sent.filter((to) => to === '+4915112345622')).toHaveLength(0)
    const rows = await query<{ member_id: string; status: string; last_error: string | null }>(
      `select member_id, status, last_error from deliveries where dispatch_id = 'dsp_0000000000000000000000wa02'`,
    )
    expect(rows.find((r) => r.member_id === stuck.json.memberId)).toMatchObject({
      status: 'unknown',
      last_error: expect.stringContaining('interrupted'),
    })
    expect(
      (
        await query(
          'select sent, failed, unknown, queued, status from dispatches where id = ?',
          'dsp_0000000000000000000000wa02',
        )
      )[0],
    ).toEqual({ sent: 1, failed: 0, unknown: 1, queued: 0, status: 'done' })
  })
})
