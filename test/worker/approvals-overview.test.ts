import { describe, expect, it } from 'vitest'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  query,
} from './helpers'
import { csrfOf, headerPending, page, post, signIn } from './dashboard-helpers'
import { seedJoinRequests } from './seed'

/** A closed community with `names` waiting for a decision, each through the real join flow. */
async function closedWith(names: string[], overrides: Record<string, unknown> = {}) {
  const community = await createCommunity({
    name: `Overview ${crypto.randomUUID().slice(0, 8)}`,
    visibility: 'closed',
    ...overrides,
  })
  const invite = await createInvite(community.id)
  const requests: string[] = []
  for (const name of names) {
    const joined = await joinJson(invite.code, { name, phone: newPhone(), answers: ['Repairs'] })
    expect(joined.status, joined.text).toBe(201)
    requests.push(joined.json.joinRequestId)
  }
  return { community, invite, requests }
}

async function statusOf(requestId: string) {
  const [row] = await query<{ status: string }>(
    'select status from join_requests where id = ?',
    requestId,
  )
  return row!.status
}

/** The href of the header's "Approvals" link and of the home page's pending card. */
function approvalLinks(html: string) {
  return {
    header: headerPending(html)?.href,
    card: /<a class="stat" href="([^"]+)"><span class="muted">Pending requests/.exec(html)?.[1],
  }
}

describe('the approvals of every community on one page', () => {
  it('is where the pending card and the header lead when several communities have requests', async () => {
    await closedWith(['Anna Waiting'])
    await closedWith(['Bert Waiting'])
    const { cookie } = await signIn()
    const home = await page('/admin', cookie)
    expect(approvalLinks(home.text)).toEqual({
      header: '/admin/approvals',
      card: '/admin/approvals',
    })
    const hooks = await page('/admin/webhooks', cookie)
    expect(approvalLinks(hooks.text).header).toBe('/admin/approvals')
  })

  it('leads straight to the one community that has requests', async () => {
    const { community } = await closedWith(['Carla Waiting'])
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    const home = await page('/admin', cookie)
    expect(approvalLinks(home.text)).toEqual({
      header: `/admin/communities/${community.id}/approvals`,
      card: `/admin/communities/${community.id}/approvals`,
    })
  })

  it('lists each community’s pending, confirmed requests under its name, and only those', async () => {
    const first = await closedWith(['Dana Waiting', 'Emil Waiting'], {
      joinQuestions: ['What do you repair?'],
    })
    const second = await closedWith(['Fritz Waiting'])
    const decided = await closedWith(['Gina Decided'])
    await call('POST', `/api/join-requests/${decided.requests[0]}/approve`)
    // A double opt-in not confirmed yet is not the admins' to decide.
    const unconfirmed = await closedWith(['Hugo Unconfirmed'], { consent: 'double' })

    const { cookie } = await signIn()
    const html = (await page('/admin/approvals', cookie)).text
    for (const { community } of [first, second]) {
      expect(html).toContain(
        `<a href="/admin/communities/${community.id}/approvals"><bdi>${community.name}</bdi></a>`,
      )
    }
    for (const name of ['Dana Waiting', 'Emil Waiting', 'Fritz Waiting']) {
      expect(html).toContain(`<bdi>${name}</bdi>`)
    }
    expect(html).toContain('What do you repair?')
    expect(html).not.toContain('Gina Decided')
    expect(html).not.toContain('Hugo Unconfirmed')
    expect(html).not.toContain(unconfirmed.community.name)
    // Dana and Emil come under their community's heading, before the next community's.
    const heading = html.indexOf(first.community.name)
    expect(html.indexOf('Dana Waiting')).toBeGreaterThan(heading)
    expect(html.indexOf('Emil Waiting')).toBeGreaterThan(heading)
    // Each says when it came, on the overview and on the community's own page, as Telegram's do.
    const [dana] = await query<{ created_at: number }>(
      'select created_at from join_requests where id = ?',
      first.requests[0],
    )
    const when = `<td data-label="Signed up"><time datetime="${new Date(dana!.created_at).toISOString()}">`
    expect(html).toContain(when)
    const own = (await page(`/admin/communities/${first.community.id}/approvals`, cookie)).text
    expect(own).toContain(when)
  })

  it('decides one by one and in bulk across communities, as the community pages do', async () => {
    const first = await closedWith(['Ida Bulk', 'Jan Single'])
    const second = await closedWith(['Kim Bulk'])
    const { cookie } = await signIn()
    const overview = await page('/admin/approvals', cookie)
    expect(overview.text).toContain('action="/admin/approvals"')
    expect(overview.text).toContain(`name="only" value="reject:${first.requests[1]}"`)

    const one = await post('/admin/approvals', cookie, {
      _csrf: csrfOf(overview.text),
      only: `reject:${first.requests[1]}`,
      reason: 'Full this season',
    })
    expect(one.status).toBe(303)
    expect(one.headers.get('location')).toBe('/admin/approvals?decided=1&action=reject&refused=')
    expect(await statusOf(first.requests[1]!)).toBe('rejected')

    // A reason the field cannot hold (a crafted form) is refused by name and decides nothing.
    for (const [reason, says] of [
      ['x'.repeat(501), 'The field reason is longer than 500 characters.'],
      ['\u0000\u0001', 'The field reason has no text to show.'],
    ] as const) {
      const refused = await post('/admin/approvals', cookie, {
        _csrf: csrfOf(overview.text),
        only: `reject:${first.requests[0]}`,
        reason,
      })
      expect(refused.status).toBe(400)
      expect(refused.text).toContain(says)
      expect(await statusOf(first.requests[0]!)).toBe('pending')
    }
    // A reason left in the bulk bar goes with rejections only: it stops no approval.
    const third = await closedWith(['Oli Approved'])
    const approvedAnyway = await post('/admin/approvals', cookie, {
      _csrf: csrfOf(overview.text),
      only: `approve:${third.requests[0]}`,
      reason: '\u0000\u0001',
    })
    expect(approvedAnyway.status).toBe(303)
    expect(await statusOf(third.requests[0]!)).toBe('approved')

    const bulk = await post('/admin/approvals', cookie, {
      _csrf: csrfOf(overview.text),
      action: 'approve',
      // A request named twice (a crafted form) is decided and counted once.
      ids: [first.requests[0]!, second.requests[0]!, first.requests[0]!],
    })
    expect(bulk.headers.get('location')).toBe('/admin/approvals?decided=2&action=approve&refused=')
    expect(await statusOf(first.requests[0]!)).toBe('approved')
    expect(await statusOf(second.requests[0]!)).toBe('approved')
    const after = await page(bulk.headers.get('location')!, cookie)
    expect(after.text).toContain('2 requests approved.')
    expect(after.text).not.toContain('Ida Bulk')
  })

  it('keeps the bulk actions in reach: a bar that sticks to the bottom of the screen', async () => {
    await closedWith(['Lena Sticky'])
    const { cookie } = await signIn()
    const html = (await page('/admin/approvals', cookie)).text
    // The bar comes after the list, inside its form, so it stays in view while the list scrolls.
    const form = html.slice(html.indexOf('action="/admin/approvals"'))
    expect(form.indexOf('<div class="bulk">')).toBeGreaterThan(form.indexOf('Lena Sticky'))
    expect(form.slice(form.indexOf('<div class="bulk">'), form.indexOf('</form>'))).toContain(
      'value="approve">Approve selected</button>',
    )
    // Its style is in the page's own stylesheet, which carries the response's CSP nonce.
    const style = /<style nonce="([^"]+)">(.*?)<\/style>/s.exec(html)!
    expect(style[2]).toMatch(/\.bulk\{position:sticky;bottom:0/)
    expect(html).not.toMatch(/ style="/)
  })

  it('shows each admin the communities they may decide for, and decides nothing else', async () => {
    const mine = await closedWith(['Mona Mine'])
    const theirs = await closedWith(['Nils Theirs'])
    const admin = await createToken({ role: 'community_admin', communityId: mine.community.id })
    const { cookie } = await signIn(admin.token)
    const html = (await page('/admin/approvals', cookie)).text
    expect(html).toContain('Mona Mine')
    expect(html).not.toContain('Nils Theirs')
    expect(html).not.toContain(theirs.community.name)

    const refused = await post('/admin/approvals', cookie, {
      _csrf: csrfOf(html),
      action: 'approve',
      ids: [mine.requests[0]!, theirs.requests[0]!],
    })
    // A request of another community is one that does not exist, for this admin: nothing decided.
    expect(refused.status).toBe(404)
    expect(await statusOf(mine.requests[0]!)).toBe('pending')
    expect(await statusOf(theirs.requests[0]!)).toBe('pending')

    const group = await createGroup(mine.community.id)
    const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
    const groupSession = await signIn(groupAdmin.token)
    expect((await page('/admin/approvals', groupSession.cookie)).status).toBe(403)
    // Its form is refused as the page is, ticked or not (a request of its own community that it
    // may not decide: 403, as the API answers).
    const groupCsrf = csrfOf((await page('/admin', groupSession.cookie)).text)
    for (const ids of [[], [mine.requests[0]!]]) {
      const sent = await post('/admin/approvals', groupSession.cookie, {
        _csrf: groupCsrf,
        action: 'approve',
        ...(ids.length > 0 ? { ids } : {}),
      })
      expect(sent.status).toBe(403)
    }
    expect(await statusOf(mine.requests[0]!)).toBe('pending')
  })

  it('refuses by name a bulk form no page sends, on both pages, and decides nothing', async () => {
    const { community, requests } = await closedWith(['Lia Crafted'])
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin/approvals', cookie)).text)
    const tooMany = Array.from({ length: 101 }, (_, i) => `jr_${String(i).padStart(26, '0')}`)
    for (const path of ['/admin/approvals', `/admin/communities/${community.id}/approvals`]) {
      for (const [fields, says] of [
        [{ action: 'frobnicate', ids: requests[0]! }, 'The field action names no decision'],
        [{ action: 'reject', ids: tooMany }, 'At most 100 requests can be decided at once.'],
        [{ action: 'approve', ids: 'mem_x' }, 'The field ids must name join requests (jr_ ids).'],
      ] as const) {
        const refused = await post(path, cookie, { _csrf: csrf, ...fields })
        expect(refused.status, `${path} ${JSON.stringify(fields).slice(0, 60)}`).toBe(400)
        expect(refused.text).toContain(says)
      }
    }
    expect(await statusOf(requests[0]!)).toBe('pending')
  })

  it('pages through any number of communities, ten at a time, ten requests each', async () => {
    const many: Array<{ id: string; name: string }> = []
    for (let i = 0; i < 12; i++) {
      const community = await createCommunity({
        name: `Paged ${String(i).padStart(2, '0')} ${crypto.randomUUID().slice(0, 6)}`,
        visibility: 'closed',
      })
      await seedJoinRequests(community.id, i === 0 ? 150 : 2)
      many.push(community)
    }
    const { cookie } = await signIn()
    const seen: string[] = []
    let path: string | null = '/admin/approvals'
    for (let pages = 0; path && pages < 50; pages++) {
      const response = await page(path, cookie)
      expect(response.status).toBe(200)
      const headings = [
        ...response.text.matchAll(/<h2 class="spaced"><a href="[^"]+"><bdi>([^<]+)/g),
      ]
      expect(headings.length).toBeLessThanOrEqual(10)
      expect([...response.text.matchAll(/name="ids"/g)].length).toBeLessThanOrEqual(100)
      seen.push(...headings.map((m) => m[1]!))
      const next = /<a href="([^"]+)">Next page →<\/a>/.exec(response.text)?.[1]
      path = next ? next.replaceAll('&amp;', '&') : null
    }
    for (const community of many) {
      expect(
        seen.filter((name) => name === community.name),
        community.name,
      ).toHaveLength(1)
    }
    // The community with 150 shows ten of them and leads to all of them on its own page.
    const crowded = many[0]!
    let html = ''
    for (path = '/admin/approvals'; path;) {
      const text: string = (await page(path, cookie)).text
      if (text.includes(crowded.name)) html = text
      const next = /<a href="([^"]+)">Next page →<\/a>/.exec(text)?.[1]
      path = html || !next ? null : next.replaceAll('&amp;', '&')
    }
    const section = html.slice(html.indexOf(crowded.name))
    expect(section).toContain(
      `<a href="/admin/communities/${crowded.id}/approvals">All 150 pending requests of this community →</a>`,
    )
  }, 60_000)
})
