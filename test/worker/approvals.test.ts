import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  expectProblem,
  eventually,
  joinAsMember,
  joinJson,
  newPhone,
  notifyWhatsApp,
  query,
  visit,
  sendCodeFrom,
} from './helpers'
import { textNotification } from '../support/whatsapp-notifications'
import { page as dashboardPage, signIn } from './dashboard-helpers'

const CHAT = 'https://chat.whatsapp.com/MakersClosed42'

async function closedCommunity(options: { memberLimit?: number } = {}) {
  const community = await createCommunity({
    visibility: 'closed',
    joinQuestions: ['What do you make?'],
  })
  const group = await createGroup(community.id, {
    chatInviteUrl: CHAT,
    ...(options.memberLimit ? { memberLimit: options.memberLimit } : {}),
  })
  const invite = await createInvite(community.id, {
    groupId: group.id,
    label: 'Instagram bio',
    source: 'instagram',
  })
  return { community, group, invite }
}

/** Sends the code a sign-up's answer offers from `phone`'s own WhatsApp, and waits for it. */
async function proveFrom(phone: string, answer: { json: any }) {
  const text = new URL(answer.json.confirmation.whatsappUrl).searchParams.get('text')!
  await notifyWhatsApp(textNotification(phone, text))
  await eventually(async () => {
    // Proven: its own phone's record, or (a repeat, which keeps no contacts) the sign-up's.
    const [row] = await query<{ method: string | null }>(
      `select case when repeat_of is null then phone_consent_method else consent_method end
         as method from join_requests where id = ?`,
      answer.json.joinRequestId,
    )
    expect(row?.method).toBe('whatsapp_message')
  })
}

describe('closed communities: asking and waiting', () => {
  it('stores a pending request with the answers, and a status page to come back to', async () => {
    const { community, invite } = await closedCommunity()
    const response = await joinAsMember(invite.code, {
      name: 'Hana',
      phone: newPhone(),
      answers: ['Wooden toys'],
    })
    expect(response.status).toBe(201)
    expect(response.json).toMatchObject({ status: 'pending', memberId: null })
    expect(response.json.leaveUrl).toBeUndefined()
    const page = await visit(`${new URL(response.json.statusUrl).pathname}?lang=en`)
    expect(page.text).toContain('Your request has arrived')
    expect(page.text).not.toContain(CHAT)

    const list = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(list.json.data).toEqual([
      expect.objectContaining({
        id: response.json.joinRequestId,
        status: 'pending',
        name: 'Hana',
        answers: ['Wooden toys'],
        inviteLabel: 'Instagram bio',
        inviteSource: 'instagram',
      }),
    ])
    // The dashboard's "Source (channel)" column says the source, the link's label under it.
    const { cookie } = await signIn()
    const approvals = await dashboardPage(`/admin/communities/${community.id}/approvals`, cookie)
    expect(approvals.text).toMatch(
      /data-label="Source \(channel\)"><bdi>instagram<\/bdi><div class="muted"><bdi>Instagram bio<\/bdi>/,
    )
    const events = await query<{ type: string }>(
      'select type from events where community_id = ?',
      community.id,
    )
    expect(events.map((e) => e.type)).toEqual(['join.requested'])
  })

  it('needs an answer to every question', async () => {
    const { invite } = await closedCommunity()
    const problem = expectProblem(
      await joinJson(invite.code, { name: 'Ivo', phone: newPhone() }),
      400,
      'validation_failed',
    )
    expect(problem.errors).toEqual([{ path: 'answers', message: 'Please answer every question' }])
  })

  it('answers the same person signing up again like anyone, and keeps one request for the admins', async () => {
    const { community, invite } = await closedCommunity()
    const email = `jo-${invite.code}@example.com`
    const first = await joinJson(invite.code, { name: 'Jo', email, answers: ['Quilts'] })
    const second = await joinJson(invite.code, { name: 'Jo', email, answers: ['Quilts'] })
    expect(second.status).toBe(first.status)
    expect(Object.keys(second.json).sort()).toEqual(Object.keys(first.json).sort())
    expect(second.json).toMatchObject({ status: 'pending', memberId: null })
    expect(second.json.joinRequestId).not.toBe(first.json.joinRequestId)
    const pending = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(pending.json.data.map((r: { id: string }) => r.id)).toEqual([first.json.joinRequestId])
    // The repeat's own status link says what a new sign-up's says: nothing tells that the
    // address had asked already.
    const pageOf = async (answer: typeof first) => {
      const page = await call('GET', new URL(answer.json.statusUrl).pathname + '?lang=en')
      expect(page.status).toBe(200)
      return page.text.replace(/nonce="[^"]+"/g, 'nonce')
    }
    const repeatPage = await pageOf(second)
    expect(repeatPage).toContain('Your request has arrived')
    expect(repeatPage).toEqual(await pageOf(first))
  })
})

describe('approving and rejecting', () => {
  it('approval makes a member, shows the chat link on the status page, and twice is harmless', async () => {
    const { community, group, invite } = await closedCommunity()
    const asked = await joinJson(invite.code, {
      name: 'Kim',
      phone: newPhone(),
      answers: ['Knitting'],
    })
    const approved = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`)
    expect(approved.status).toBe(200)
    expect(approved.json).toMatchObject({
      status: 'approved',
      memberId: expect.stringMatching(/^mem_/),
    })
    const again = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`)
    expect(again.json.memberId).toBe(approved.json.memberId)

    // The status page shows the decision once the number's owner sent its code (before that,
    // what any sign-up's page shows: whoever typed the number learns nothing of its owner).
    await sendCodeFrom(asked)
    await eventually(async () => {
      const page = await visit(`${new URL(asked.json.statusUrl).pathname}?lang=en`)
      expect(page.text).toContain('Your place is confirmed')
      expect(page.text).toContain(`href="${CHAT}"`)
    })
    expect((await call('GET', `/api/groups/${group.id}`)).json.memberCount).toBe(1)
    const events = await query<{ type: string }>(
      'select type from events where community_id = ? order by id',
      community.id,
    )
    expect(events.map((e) => e.type)).toEqual(['join.requested', 'join.approved', 'member.joined'])
    const stats = await call('GET', `/api/invites/${invite.id}/stats`)
    expect(stats.json.totals).toMatchObject({ joinRequests: 1, joins: 1 })
  })

  it('refuses approving into a full group with group_full', async () => {
    const { invite } = await closedCommunity({ memberLimit: 1 })
    const first = await joinJson(invite.code, { name: 'Lea', phone: newPhone(), answers: ['a'] })
    const second = await joinJson(invite.code, { name: 'Max', phone: newPhone(), answers: ['b'] })
    expect(
      (await call('POST', `/api/join-requests/${first.json.joinRequestId}/approve`)).status,
    ).toBe(200)
    expectProblem(
      await call('POST', `/api/join-requests/${second.json.joinRequestId}/approve`),
      409,
      'group_full',
    )
    expect(
      (await query('select status from join_requests where id = ?', second.json.joinRequestId))[0]!
        .status,
    ).toBe('pending')
  })

  it('rejection shows the reason, and the person cannot ask again while cooling off', async () => {
    const { community, invite } = await closedCommunity()
    const phone = newPhone()
    const asked = await joinJson(invite.code, { name: 'Nia', phone, answers: ['Spam'] })
    // She proves her number while she waits (it is offered for her own links, once she is in).
    await proveFrom(phone, asked)
    const rejected = await call('POST', `/api/join-requests/${asked.json.joinRequestId}/reject`, {
      body: { reason: 'Only makers from Neukölln' },
    })
    expect(rejected.json).toMatchObject({ status: 'rejected', reason: 'Only makers from Neukölln' })
    const page = await visit(`${new URL(asked.json.statusUrl).pathname}?lang=en`)
    expect(page.text).toContain('Your request was declined')
    expect(page.text).toContain('Reason: <bdi>Only makers from Neukölln</bdi>')
    // On the community's clock, named: the person may live elsewhere.
    expect(page.text).toMatch(
      /You can ask again from \d+ \w+ \d{4}, \d\d:\d\d [A-Z][A-Za-z+0-9]+\./,
    )
    // Declined once, said once: the line on asking again does not say it a second time.
    expect(page.text).not.toContain('Your last request was declined')

    // Asking again is answered as anyone's sign-up is: nothing tells whoever typed the number
    // that it was declined. Nothing reaches the admins.
    const retry = await joinJson(invite.code, { name: 'Nia', phone, answers: ['Really'] })
    const stranger = await joinJson(invite.code, { name: 'Ola', phone: newPhone(), answers: ['x'] })
    expect(retry.status).toBe(201)
    expect(Object.keys(retry.json).sort()).toEqual(Object.keys(stranger.json).sort())
    expect(retry.json).toMatchObject({ status: 'pending', memberId: null })
    const waiting = async () =>
      (await call('GET', `/api/communities/${community.id}/join-requests`)).json.data.map(
        (r: { id: string }) => r.id,
      )
    expect(await waiting()).toEqual([stranger.json.joinRequestId])
    // Her proof shows her, and only her, the decision and when she may ask again.
    await proveFrom(phone, retry)
    const shown = await eventually(async () => {
      const text = (await visit(`${new URL(retry.json.statusUrl).pathname}?lang=en`)).text
      expect(text).toContain('Your request was declined')
      return text
    })
    expect(shown).toContain('Reason: <bdi>Only makers from Neukölln</bdi>')
    expect(shown).toMatch(/You can ask again from/)
    expect(await waiting()).toEqual([stranger.json.joinRequestId])
    expectProblem(
      await call('POST', `/api/join-requests/${asked.json.joinRequestId}/approve`),
      409,
      'invalid_state',
    )
  })

  it('a number someone else typed into a declined request keeps its owner out of nothing', async () => {
    const { community, invite } = await closedCommunity()
    const phone = newPhone()
    const typed = await joinJson(invite.code, { name: 'Prank', phone, answers: ['Spam'] })
    await call('POST', `/api/join-requests/${typed.json.joinRequestId}/reject`, {
      body: { reason: 'Spam' },
    })
    // The owner asks; their request reaches the admins as anyone's does.
    const owner = await joinJson(invite.code, { name: 'Owner', phone, answers: ['Quilts'] })
    expect(owner.json.status).toBe('pending')
    const pending = await call('GET', `/api/communities/${community.id}/join-requests`)
    expect(pending.json.data.map((r: { id: string }) => r.id)).toEqual([owner.json.joinRequestId])
  })

  it('decides up to 100 requests in bulk, saying per id what happened', async () => {
    const { community, invite } = await closedCommunity()
    const ids = []
    for (let i = 0; i < 3; i++)
      ids.push(
        (await joinJson(invite.code, { name: `Bulk ${i}`, phone: newPhone(), answers: ['x'] })).json
          .joinRequestId,
      )
    const response = await call('POST', `/api/communities/${community.id}/join-requests/bulk`, {
      body: { action: 'approve', ids: [...ids, 'jr_00000000000000000000000000'] },
    })
    expect(response.status).toBe(200)
    expect(response.json.results).toEqual([
      ...ids.map((id) => ({ id, ok: true, status: 'approved' })),
      expect.objectContaining({
        id: 'jr_00000000000000000000000000',
        ok: false,
        code: 'not_found',
      }),
    ])
    const pending = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=pending`,
    )
    expect(pending.json.data).toEqual([])
    expectProblem(
      await call('POST', `/api/communities/${community.id}/join-requests/bulk`, {
        body: { action: 'approve', ids: Array(101).fill(ids[0]) },
      }),
      400,
      'validation_failed',
    )
  })
})

describe('members for admins', () => {
  it('lists members with contact details, filters by group, removes, and exports CSV', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const groupInvite = await createInvite(community.id, { groupId: group.id })
    const plainInvite = await createInvite(community.id)
    const inGroup = await joinAsMember(groupInvite.code, {
      name: '=HYPERLINK("http://evil")',
      phone: newPhone(),
    })
    const notInGroup = await joinAsMember(plainInvite.code, {
      name: 'Olga, "the" maker',
      email: 'olga@example.com',
    })

    const all = await call('GET', `/api/communities/${community.id}/members`)
    expect(all.json.data.map((m: { id: string }) => m.id)).toEqual([
      inGroup.json.memberId,
      notInGroup.json.memberId,
    ])
    expect(all.json.data[1]).toMatchObject({ email: 'olga@example.com', status: 'active' })
    const filtered = await call(
      'GET',
      `/api/communities/${community.id}/members?groupId=${group.id}`,
    )
    expect(filtered.json.data.map((m: { id: string }) => m.id)).toEqual([inGroup.json.memberId])

    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe(
      'id,name,phone,email,status,consent,joined_at,ended_at,referral_count,groups,confirmed_at,consent_method,consent_proof,leave_reason,phone_confirmed_at,phone_consent_method,email_confirmed_at,email_consent_method,group_names,language',
    )
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`)
    expect(lines[2]).toContain('"Olga, ""the"" maker"')

    expect((await call('DELETE', `/api/members/${notInGroup.json.memberId}`)).status).toBe(204)
    const active = await call('GET', `/api/communities/${community.id}/members?status=active`)
    expect(active.json.data.map((m: { id: string }) => m.id)).toEqual([inGroup.json.memberId])
    const removed = await call('GET', `/api/communities/${community.id}/members?status=removed`)
    expect(removed.json.data[0]).toMatchObject({
      id: notInGroup.json.memberId,
      status: 'removed',
      groupIds: [],
    })
  })

  it('exports phone numbers exactly and still neutralises formulas, from the API and the dashboard', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const phone = newPhone()
    const phoneOnly = await joinAsMember(invite.code, { name: 'Phil Phone', phone })
    expect(phoneOnly.status, phoneOnly.text).toBe(201)
    const formulas = [
      '=HYPERLINK("http://evil")',
      '+SUM(1)',
      '-1+1',
      '@cmd',
      '+1+1',
      '+49 151 1234567',
      '+4915112345678X',
      // Excel in German or French splits a .csv on `;`: each piece would be a cell.
      'Max;=1+1;@SUM(2+2); -3+3',
    ]
    for (const [i, name] of formulas.entries()) {
      const joined = await joinJson(invite.code, { name, email: `formula${i}@example.com` })
      expect(joined.status, joined.text).toBe(201)
    }
    // Stored values the join form would clean away: a leading tab or carriage return.
    const planted = await joinAsMember(invite.code, {
      name: 'Planted',
      email: 'planted@example.com',
    })
    await query(
      `update members set name = ?, leave_reason = ? where id = ?`,
      '\t=1+1',
      '\r=1+1',
      planted.json.memberId,
    )

    const { cookie } = await signIn()
    for (const csv of [
      await call('GET', `/api/communities/${community.id}/members.csv`),
      await dashboardPage(`/admin/communities/${community.id}/members.csv`, cookie),
    ]) {
      expect(csv.status).toBe(200)
      const lines = csv.text.trim().split('\r\n')
      const phoneLine = lines.find((line) => line.startsWith(`${phoneOnly.json.memberId},`))
      expect(phoneLine).toContain(`,Phil Phone,${phone},`)
      expect(csv.text).not.toContain(`'${phone}`)
      for (const name of formulas.filter((name) => !name.includes(';'))) {
        const cell = `'${name}`
        expect(csv.text).toContain(/[",]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)
      }
      expect(csv.text).toContain(`"Max;'=1+1;'@SUM(2+2); '-3+3"`)
      const plantedLine = lines.find((line) => line.startsWith(`${planted.json.memberId},`))
      expect(plantedLine).toContain(`,'\t'=1+1,`)
      expect(csv.text).toContain(`"'\r'=1+1"`)
      // However a spreadsheet splits the file (commas, semicolons, tabs, lines), no cell starts
      // a formula but an E.164 number's.
      const starts = csv.text.split(/[,;\t\r\n]/).map((piece) => piece.replace(/^[\s"]+/, ''))
      expect(
        starts.filter((start) => /^[=+\-@]/.test(start) && !/^\+\d{8,15}$/.test(start)),
      ).toEqual([])
    }
  })
})
