import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  query,
} from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { englishLeftIn, readableText } from '../support/language'

/**
 * From a browser check of the approvals page: a request that a full group keeps out looked like
 * any other, and approving it answered "the group is full" without saying which.
 */

const approvalsOf = (communityId: string) => `/admin/communities/${communityId}/approvals`

/** A dashboard page in German, as a browser asking for German opens it. */
function pageInGerman(path: string, cookie: string) {
  return call('GET', path, {
    token: null,
    headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
  })
}

/** The page's notice (what the last action did), its tags kept. */
function noticeOf(html: string): string | undefined {
  return /<p class="ok" role="status">([\s\S]*?)<\/p>/.exec(html)?.[1]
}

/** The group id a redirect after a decision names in `full`, and the requests it kept out. */
function fullIn(location: string): string | null {
  return new URL(location, 'https://x.test').searchParams.get('full')
}

/**
 * An open community asking for a double opt-in, whose one-place group `name` filled up: the
 * first sign-up took the place, the second was confirmed after (by an admin's proof, as the API
 * records it) and waits, confirmed, for room.
 */
async function confirmedAfterTheGroupFilled(name: string) {
  const community = await createCommunity({ consent: 'double', visibility: 'open' })
  const group = await createGroup(community.id, { name, memberLimit: 1 })
  const invite = await createInvite(community.id, { groupId: group.id })
  const ids: string[] = []
  for (const person of ['Ana First', 'Ben Late']) {
    const joined = await joinJson(invite.code, { name: person, phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    ids.push(joined.json.joinRequestId)
  }
  for (const id of ids) {
    const confirmed = await call('POST', `/api/join-requests/${id}/confirm`, {
      body: { proof: 'Signed form' },
    })
    expect(confirmed.status, confirmed.text).toBe(200)
  }
  const pending = await call('GET', `/api/communities/${community.id}/join-requests`)
  expect(pending.json.data.map((r: { id: string }) => r.id)).toEqual([ids[1]])
  return { community, group, waiting: ids[1]! }
}

/** A closed community whose group `name` has one place, taken, and `count` requests waiting. */
async function closedAndFull(name: string, count: number) {
  const community = await createCommunity({ visibility: 'closed' })
  const group = await createGroup(community.id, { name, memberLimit: 1 })
  const invite = await createInvite(community.id, { groupId: group.id })
  const ids: string[] = []
  for (let i = 0; i <= count; i++) {
    const joined = await joinJson(invite.code, { name: `Person ${i}`, phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    ids.push(joined.json.joinRequestId)
  }
  const first = await call('POST', `/api/join-requests/${ids[0]}/approve`)
  expect(first.status, first.text).toBe(200)
  return { community, group, waiting: ids.slice(1) }
}

describe('a request a full group keeps out, on the approvals page', () => {
  it('says on its row that it is confirmed and waits for room, which group is full and what makes room', async () => {
    const { community, group, waiting } = await confirmedAfterTheGroupFilled('Tiny Tuesdays')
    const { cookie } = await signIn()
    const approvals = approvalsOf(community.id)

    const english = await page(approvals, cookie)
    expect(english.text).toContain(
      'Confirmed; waiting for room: <bdi>Tiny Tuesdays</bdi> is full (1 of 1). Approving works once someone leaves or the group’s limit is raised (up to 1,024).',
    )
    expect(english.text).toContain(
      `<a href="/admin/communities/${community.id}/settings#member-limit-${group.id}">Most members →</a>`,
    )
    // The link leads to the group's limit, a field of its form on the settings page.
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(settings.text).toMatch(
      new RegExp(`<input id="member-limit-${group.id}" name="memberLimit"[^>]* value="1"`),
    )
    expect(settings.text).toContain('1 now. Up to 1,024; not below the members it has.')

    const german = await pageInGerman(approvals, cookie)
    expect(german.text).toContain(
      'Bestätigt; wartet auf Platz: <bdi>Tiny Tuesdays</bdi> ist voll (1 von 1). Annehmen geht erst, wenn jemand geht oder das Limit der Gruppe erhöht wird (bis 1.024).',
    )
    expect(englishLeftIn(readableText(german.text))).toEqual([])

    // Approving it now is refused, naming the group; once there is room, the row says so and
    // approving lets the person in.
    const refused = await post(approvals, cookie, {
      _csrf: csrfOf(english.text),
      only: `approve:${waiting}`,
    })
    expect(refused.status).toBe(303)
    expect(fullIn(refused.headers.get('location')!)).toBe(`${group.id}:1`)
    // Raised on the settings page: below the members it has, refused beside the field.
    const limitForm = (memberLimit: string) =>
      post(`/admin/groups/${group.id}/chat-link`, cookie, {
        _csrf: csrfOf(settings.text),
        memberLimit,
      })
    const tooLow = await limitForm('0')
    expect(tooLow.status).toBe(400)
    expect(tooLow.text).toMatch(new RegExp(`id="member-limit-${group.id}"[^>]*aria-invalid="true"`))
    // Digits only, and no more than a discussion group holds: said beside the field.
    expect((await limitForm('1e3')).status).toBe(400)
    const tooHigh = await limitForm('1500')
    expect(tooHigh.status).toBe(400)
    expect(tooHigh.text).toContain('At most 1,024: as many as a group of this kind may hold.')
    expect((await limitForm('2')).status).toBe(303)
    // The audit log says what changed.
    await eventually(async () =>
      expect(
        await query(
          "select detail from audit_log where target_id = ? and action = 'group.changed'",
          group.id,
        ),
      ).toEqual([{ detail: 'memberLimit' }]),
    )
    expect(await query('select member_limit from groups where id = ?', group.id)).toEqual([
      { member_limit: 2 },
    ])
    const roomNow = await page(approvals, cookie)
    expect(roomNow.text).toContain('Confirmed while its group was full; there is room now.')
    expect(roomNow.text).not.toContain('waiting for room')
    const approved = await post(approvals, cookie, {
      _csrf: csrfOf(roomNow.text),
      only: `approve:${waiting}`,
    })
    expect(noticeOf((await page(approved.headers.get('location')!, cookie)).text)).toBe(
      '1 request approved.',
    )
  })

  it('says a request of a closed community waits for room, and what is left when the limit is the highest', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    // A discussion group at the highest limit a group may have, counted full.
    const group = await createGroup(community.id, { name: 'Packed Hall' })
    const invite = await createInvite(community.id, { groupId: group.id })
    const joined = await joinJson(invite.code, { name: 'Cleo', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    await query('update groups set member_count = member_limit where id = ?', group.id)
    const { cookie } = await signIn()
    const shown = await page(approvalsOf(community.id), cookie)
    expect(shown.text).toContain(
      'Waiting for room: <bdi>Packed Hall</bdi> is full (1,024 of 1,024). Approving works once someone leaves: 1,024 is the most a group may hold.',
    )
    expect(shown.text).not.toContain('Confirmed; waiting for room')
    const german = await pageInGerman(approvalsOf(community.id), cookie)
    expect(german.text).toContain(
      'Wartet auf Platz: <bdi>Packed Hall</bdi> ist voll (1.024 von 1.024). Annehmen geht erst, wenn jemand geht: 1.024 ist das Höchste, was eine Gruppe fasst.',
    )
    expect(englishLeftIn(readableText(german.text))).toEqual([])
  })

  it('shows nothing of the kind on a request whose group has room', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, { name: 'Roomy', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    const { cookie } = await signIn()
    const shown = await page(approvalsOf(community.id), cookie)
    expect(shown.text).toContain('Roomy')
    expect(shown.text).not.toContain('waiting for room')
    expect(shown.text).not.toContain('there is room now')
  })
})

describe('a decision a full group refused', () => {
  it('names the group in the notice, with the requests left waiting, in both languages', async () => {
    const { community, waiting } = await closedAndFull('Quilting Circle', 2)
    const { cookie } = await signIn()
    const approvals = approvalsOf(community.id)
    const shown = await page(approvals, cookie)
    expect(shown.text.match(/Waiting for room: <bdi>Quilting Circle<\/bdi>/g)).toHaveLength(2)
    const decided = await post(approvals, cookie, {
      _csrf: csrfOf(shown.text),
      action: 'approve',
      ids: waiting,
      reason: '',
    })
    expect(decided.status).toBe(303)
    const back = decided.headers.get('location')!
    expect(noticeOf((await page(back, cookie)).text)).toBe(
      '0 requests approved. None could be decided: <bdi>Quilting Circle</bdi> is full (2 of the requests chosen still wait).',
    )
    const german = await pageInGerman(back, cookie)
    expect(noticeOf(german.text)).toBe(
      '0 Anfragen angenommen. Keine ließ sich entscheiden: <bdi>Quilting Circle</bdi> ist voll (2 der gewählten Anfragen warten weiter).',
    )
    expect(englishLeftIn(readableText(german.text))).toEqual([])

    // The list across communities says the same.
    const across = await post('/admin/approvals', cookie, {
      _csrf: csrfOf(shown.text),
      only: `approve:${waiting[0]}`,
    })
    expect(across.status).toBe(303)
    const overview = await page(across.headers.get('location')!, cookie)
    expect(noticeOf(overview.text)).toBe(
      '0 requests approved. None could be decided: <bdi>Quilting Circle</bdi> is full (the request chosen still waits).',
    )
    expect(overview.text).toContain(
      'Waiting for room: <bdi>Quilting Circle</bdi> is full (1 of 1).',
    )
  })

  it('names no group of another community, nor anything a tampered link puts in', async () => {
    const { community, group } = await closedAndFull('Our Own Group', 1)
    const other = await closedAndFull('Secret Other Group', 1)
    const { cookie } = await signIn()
    const refused = '?decided=0&action=approve&refused=group_full'
    // Another community's group id, on this community's page: the notice names no group.
    const elsewhere = await page(
      `${approvalsOf(community.id)}${refused}&full=${other.group.id}:1`,
      cookie,
    )
    expect(noticeOf(elsewhere.text)).toBe(
      '0 requests approved. None could be decided: the group is full.',
    )
    expect(elsewhere.text).not.toContain('Secret Other Group')
    // Words and markup in the parameter are no group id: left out.
    const crafted = await page(
      `${approvalsOf(community.id)}${refused}&full=${encodeURIComponent('<b>Pay here</b>:3,grp_x:1')}`,
      cookie,
    )
    expect(noticeOf(crafted.text)).toBe(
      '0 requests approved. None could be decided: the group is full.',
    )
    expect(crafted.text).not.toContain('Pay here')

    // Across communities, an admin of one community is named none of another's groups.
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const adminSession = (await signIn(admin.token)).cookie
    const across = await page(
      `/admin/approvals${refused}&full=${other.group.id}:1,${group.id}:1`,
      adminSession,
    )
    expect(noticeOf(across.text)).toBe(
      '0 requests approved. None could be decided: <bdi>Our Own Group</bdi> is full (the request chosen still waits).',
    )
    expect(across.text).not.toContain('Secret Other Group')
  })
})

describe('the API’s decisions into a full group', () => {
  it('name the group that has no room', async () => {
    const { community, group, waiting } = await closedAndFull('Api Full Group', 2)
    const problem = expectProblem(
      await call('POST', `/api/join-requests/${waiting[0]}/approve`),
      409,
      'group_full',
    )
    expect(problem.groupId).toBe(group.id)
    expect(problem.detail).toBe('Api Full Group is full (1 members).')
    const bulk = await call('POST', `/api/communities/${community.id}/join-requests/bulk`, {
      body: { action: 'approve', ids: waiting },
    })
    expect(bulk.status, bulk.text).toBe(200)
    expect(bulk.json.results).toEqual(
      waiting.map((id) =>
        expect.objectContaining({ id, ok: false, code: 'group_full', groupId: group.id }),
      ),
    )
  })

  it('keep a sign-up refused for a full group as it was: no group id for the public', async () => {
    const community = await createCommunity({ visibility: 'open' })
    const group = await createGroup(community.id, { memberLimit: 1 })
    const invite = await createInvite(community.id, { groupId: group.id })
    expect((await joinJson(invite.code, { name: 'In', phone: newPhone() })).status).toBe(201)
    const problem = expectProblem(
      await joinJson(invite.code, { name: 'Out', phone: newPhone() }),
      409,
      'group_full',
    )
    expect(problem.groupId).toBeUndefined()
  })
})
