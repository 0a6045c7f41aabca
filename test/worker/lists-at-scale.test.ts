import { describe, expect, it } from 'vitest'
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../../src/lib/slug'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { call, createCommunity, createGroup, query, type Answer } from './helpers'
import {
  seedDeliveries,
  seedInvites,
  seedJoinRequests,
  seedMembers,
  seedWebhookEndpoints,
} from './seed'

// Every list and export at sizes on both sides of each batch boundary (100 bound values, pages
// of 100, export pages of 1,000). The tests run with D1_LIMIT_CHECKS on: a statement past one of
// D1's limits fails the request, whatever the data.
const SIZES = [0, 1, 99, 100, 101, 1001]

/** Every item of a paged API list, 100 at a time. */
async function walk(path: string): Promise<any[]> {
  const items: any[] = []
  let cursor: string | null = null
  for (;;) {
    const separator = path.includes('?') ? '&' : '?'
    const response: Answer = await call(
      'GET',
      `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    expect(response.status, response.text).toBe(200)
    items.push(...response.json.data)
    cursor = response.json.nextCursor
    if (!cursor) return items
  }
}

async function announcementGroupOf(communityId: string): Promise<string> {
  const [row] = await query<{ id: string }>(
    `select id from groups where community_id = ? and kind = 'announcement'`,
    communityId,
  )
  return row!.id
}

describe('members: list, CSV export and search at any size', () => {
  for (const size of SIZES) {
    it(`lists and exports ${size} members, each with their groups`, async () => {
      const community = await createCommunity()
      const groupId = await announcementGroupOf(community.id)
      const prefix = await seedMembers(community.id, size, { groupId })

      const listed = await walk(`/api/communities/${community.id}/members`)
      expect(listed).toHaveLength(size)
      expect(new Set(listed.map((m) => m.id)).size).toBe(size)
      expect(listed.every((m) => m.groupIds.length === 1 && m.groupIds[0] === groupId)).toBe(true)

      const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
      expect(csv.status, csv.text.slice(0, 500)).toBe(200)
      const lines = csv.text.trim().split('\r\n')
      expect(lines[0]).toMatch(/^id,name,/)
      const rows = lines.slice(1)
      expect(rows).toHaveLength(size)
      expect(new Set(rows.map((line) => line.split(',')[0])).size).toBe(size)
      if (size > 0) {
        expect(rows[0]).toMatch(new RegExp(`^${prefix}0+1,Seeded member 1,`))
        const groupsColumn = lines[0]!.split(',').indexOf('groups')
        expect(rows.at(-1)!.split(',')[groupsColumn]).toBe(groupId)
      }

      const { cookie } = await signIn()
      // The dashboard lists the newest first, 100 a page, and pages through every one of them.
      const shown: string[] = []
      let path: string | undefined = `/admin/communities/${community.id}/members`
      while (path) {
        const dashboard = await page(path, cookie)
        expect(dashboard.status).toBe(200)
        shown.push(
          ...[...dashboard.text.matchAll(/<bdi>Seeded member (\d+)<\/bdi>/g)].map((m) => m[1]!),
        )
        path = /<a href="([^"]+)">Next page →<\/a>/
          .exec(dashboard.text)?.[1]
          ?.replaceAll('&amp;', '&')
      }
      expect(shown).toEqual(Array.from({ length: size }, (_, i) => String(size - i)))
      const dashboardCsv = await page(`/admin/communities/${community.id}/members.csv`, cookie)
      expect(dashboardCsv.status).toBe(200)
      expect(dashboardCsv.text.trim().split('\r\n')).toHaveLength(size + 1)
    })
  }

  it('exports the members the list shows: its search, group and status, past an export page', async () => {
    const community = await createCommunity()
    const announcement = await announcementGroupOf(community.id)
    const group = await createGroup(community.id)
    const prefix = await seedMembers(community.id, 1200, { groupId: announcement })
    // 1,050 of them in the group too; 30 of those left.
    await query(
      `insert into group_members (group_id, member_id, joined_at)
       select ?, id, 0 from members where id like ? escape '\\' order by id limit 1050`,
      group.id,
      `${prefix.replace('_', '\\_')}%`,
    )
    await query(
      `update members set status = 'left', ended_at = 1 where id in (
         select member_id from group_members where group_id = ? order by member_id limit 30)`,
      group.id,
    )
    const rowsOf = (csv: Answer) => {
      expect(csv.status, csv.text.slice(0, 300)).toBe(200)
      return csv.text.trim().split('\r\n').slice(1)
    }
    const names = (rows: string[]) => rows.map((row) => row.split(',')[1]).sort()

    // The dashboard's list of the group's active members links to their export.
    const { cookie } = await signIn()
    const listed = await page(
      `/admin/communities/${community.id}/members?groupId=${group.id}&status=active`,
      cookie,
    )
    const href = /<a href="([^"]+)">Export this list \(CSV\)<\/a>/
      .exec(listed.text)?.[1]
      ?.replaceAll('&amp;', '&')
    expect(href).toBe(
      `/admin/communities/${community.id}/members.csv?status=active&groupId=${group.id}`,
    )
    expect(rowsOf(await page(href!, cookie))).toHaveLength(1020)
    // "Export all members" still takes everyone, whatever the list shows.
    expect(listed.text).toContain(
      `<a href="/admin/communities/${community.id}/members.csv">Export all members (CSV)</a>`,
    )
    expect(
      rowsOf(await page(`/admin/communities/${community.id}/members.csv`, cookie)),
    ).toHaveLength(1200)

    // The API's export takes the list's query: a status, a search.
    const left = rowsOf(
      await call('GET', `/api/communities/${community.id}/members.csv?status=left`),
    )
    expect(left).toHaveLength(30)
    expect(left.every((row) => row.split(',')[4] === 'left')).toBe(true)
    const searched = rowsOf(
      await call(
        'GET',
        `/api/communities/${community.id}/members.csv?q=${encodeURIComponent('seeded MEMBER 12')}`,
      ),
    )
    const expected = [
      '12',
      '120',
      '121',
      '122',
      '123',
      '124',
      '125',
      '126',
      '127',
      '128',
      '129',
      '1200',
    ]
    expect(names(searched)).toEqual(expected.map((n) => `Seeded member ${n}`).sort())
    // The same search in the list and in the dashboard's export.
    const found = await walk(
      `/api/communities/${community.id}/members?q=${encodeURIComponent('seeded MEMBER 12')}`,
    )
    expect(found.map((member) => member.name).sort()).toEqual(names(searched))
    expect(
      names(
        rowsOf(await page(`/admin/communities/${community.id}/members.csv?q=member+12`, cookie)),
      ),
    ).toEqual(names(searched))

    // The list says how many a search or a status holds, counted up to 1,000.
    const totalShown = async (query: string) =>
      /<p>([\d,+]+) members?<\/p>/.exec(
        (await page(`/admin/communities/${community.id}/members?${query}`, cookie)).text,
      )?.[1]
    // (Without a status the list shows the active: member 12 is among the 30 who left.)
    expect(await totalShown('q=member+12')).toBe('11')
    expect(await totalShown('q=member+12&status=left')).toBe('1')
    expect(await totalShown('q=seeded')).toBe('1,000+')
    // Counted on the first page; the next is read without counting again.
    const first = await page(`/admin/communities/${community.id}/members?q=seeded`, cookie)
    const next = /<a href="([^"]+)">Next page →<\/a>/.exec(first.text)![1]!.replaceAll('&amp;', '&')
    const second = await page(next, cookie)
    expect(second.text).toContain('Seeded member')
    expect(second.text).not.toMatch(/<p>[\d,+]+ members?<\/p>/)
    expect(await totalShown('status=left')).toBe('30')
    expect(await totalShown(`status=left&groupId=${group.id}&q=seeded`)).toBe('30')
    // None found: said in words under the list, not as "0 members" above it.
    expect(await totalShown('q=nobody')).toBeUndefined()

    // A search past its bound is refused, not run.
    const tooLong = await call(
      'GET',
      `/api/communities/${community.id}/members.csv?q=${'x'.repeat(101)}`,
    )
    expect(tooLong.status).toBe(400)
    expect(tooLong.json.errors.map((error: { path: string }) => error.path)).toEqual(['q'])
  })

  it('exports members in several groups with all their groups', async () => {
    const community = await createCommunity()
    const announcement = await announcementGroupOf(community.id)
    const group = await createGroup(community.id)
    const prefix = await seedMembers(community.id, 150, { groupId: announcement })
    await query(
      `insert into group_members (group_id, member_id, joined_at)
       select ?, id, 0 from members where id like ? escape '\\'`,
      group.id,
      `${prefix.replace('_', '\\_')}%`,
    )
    const csv = await call('GET', `/api/communities/${community.id}/members.csv`)
    const [header, ...rows] = csv.text.trim().split('\r\n')
    const columns = header!.split(',')
    const groupsColumn = columns.indexOf('groups')
    // Their names too, at the end, so that every column before keeps its place.
    expect(columns.slice(-2)).toEqual(['group_names', 'language'])
    const groupNames = (
      (await call('GET', `/api/communities/${community.id}/groups`)).json.data as Array<{
        name: string
      }>
    )
      .map((g) => g.name)
      .sort()
    expect(rows).toHaveLength(150)
    for (const row of rows) {
      const cells = row.split(',')
      const groups = cells[groupsColumn]!.split(' ').sort()
      expect(groups).toEqual([announcement, group.id].sort())
      // Quoted, as every cell with a `;` is: no spreadsheet splitting on `;` breaks it apart.
      expect(cells.at(-2)).toMatch(/^".*"$/)
      expect(cells.at(-2)!.slice(1, -1).split('; ').sort()).toEqual(groupNames)
    }
  })

  it('answers a search of any length or text, and finds `%` and `_` as themselves', async () => {
    const community = await createCommunity()
    await seedMembers(community.id, 120)
    await seedMembers(community.id, 1, { name: 'Under_score 100%' })
    await seedMembers(community.id, 1, { name: 'Zoë Müller-Lüdenscheidt 🏃' })
    const { cookie } = await signIn()
    const search = (q: string) =>
      page(`/admin/communities/${community.id}/members?q=${encodeURIComponent(q)}`, cookie)

    for (const q of [
      'x'.repeat(60),
      '_'.repeat(30),
      '%'.repeat(60),
      'ü'.repeat(60),
      '\\'.repeat(40),
    ]) {
      const response = await search(q)
      expect(response.status, q).toBe(200)
      expect(response.text).not.toContain('Seeded member')
    }
    const underscore = await search('_')
    expect(underscore.text).toContain('Under_score 100%')
    expect(underscore.text).not.toContain('Seeded member')
    expect((await search('100%')).text).toContain('Under_score 100%')
    expect((await search('UNDER_SCORE')).text).toContain('Under_score 100%')
    expect((await search('Müller-Lüdenscheidt 🏃')).text).toContain('Zoë Müller')
    const many = await search('seeded MEMBER')
    expect(many.status).toBe(200)
    // The newest first, as the list always is.
    expect(many.text).toContain('Seeded member 120<')
  })
})

describe('approvals at any size', () => {
  for (const size of SIZES) {
    it(`lists ${size} pending requests in the API and the dashboard`, async () => {
      const community = await createCommunity({ visibility: 'closed' })
      await seedJoinRequests(community.id, size)
      const listed = await walk(`/api/communities/${community.id}/join-requests?status=pending`)
      expect(listed).toHaveLength(size)
      expect(new Set(listed.map((r) => r.id)).size).toBe(size)
      const { cookie } = await signIn()
      const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
      expect(approvals.status).toBe(200)
      expect(approvals.text.includes('Waiting 1<')).toBe(size > 0)
    })
  }

  it('approves 100 requests in one bulk request', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    await seedJoinRequests(community.id, 100)
    const pending = await walk(`/api/communities/${community.id}/join-requests?status=pending`)
    const response = await call('POST', `/api/communities/${community.id}/join-requests/bulk`, {
      body: { action: 'approve', ids: pending.map((r) => r.id) },
    })
    expect(response.status, response.text.slice(0, 500)).toBe(200)
    expect(response.json.results).toHaveLength(100)
    expect(await walk(`/api/communities/${community.id}/members`)).toHaveLength(100)
  })

  it('approves 100 requests at once from the dashboard', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    await seedJoinRequests(community.id, 100)
    const { cookie } = await signIn()
    const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
    const ids = [...approvals.text.matchAll(/name="ids" value="([^"]+)"/g)].map((m) => m[1]!)
    expect(ids).toHaveLength(100)
    const decided = await post(`/admin/communities/${community.id}/approvals`, cookie, {
      _csrf: csrfOf(approvals.text),
      action: 'approve',
      ids,
    })
    expect(decided.status).toBe(303)
    expect(decided.headers.get('location')).toContain('decided=100')
    expect(await walk(`/api/communities/${community.id}/members`)).toHaveLength(100)
  })
})

describe('campaign links at any size', () => {
  for (const size of SIZES) {
    it(`lists ${size} links in the API and on the community page`, async () => {
      const community = await createCommunity()
      await seedInvites(community.id, size)
      const listed = await walk(`/api/communities/${community.id}/invites`)
      expect(listed).toHaveLength(size)
      const { cookie } = await signIn()
      const links = await page(`/admin/communities/${community.id}`, cookie)
      expect(links.status).toBe(200)
      const stats = await call('GET', `/api/communities/${community.id}/stats`)
      expect(stats.status, stats.text.slice(0, 300)).toBe(200)
    })
  }
})

describe('the referral leaderboard at any size', () => {
  for (const size of SIZES) {
    it(`ranks ${size} referrers, all time and in a period`, async () => {
      const community = await createCommunity()
      await seedMembers(community.id, size)
      const allTime = await call('GET', `/api/communities/${community.id}/leaderboard?limit=100`)
      expect(allTime.status).toBe(200)
      expect(allTime.json.data).toHaveLength(Math.min(size, 100))
      if (size > 0) expect(allTime.json.data[0]).toMatchObject({ rank: 1, referrals: size })

      const [referrer] = await walk(`/api/communities/${community.id}/members`)
      if (referrer) await seedMembers(community.id, size, { referredBy: referrer.id })
      const today = new Date().toISOString().slice(0, 10)
      const period = await call(
        'GET',
        `/api/communities/${community.id}/leaderboard?from=${today}&to=${today}`,
      )
      expect(period.status).toBe(200)
      expect(period.json.data).toEqual(
        size > 0 ? [expect.objectContaining({ memberId: referrer.id, referrals: size })] : [],
      )
      const { cookie } = await signIn()
      expect((await page(`/admin/communities/${community.id}`, cookie)).status).toBe(200)
    })
  }
})

describe('deliveries at any size', () => {
  for (const size of SIZES) {
    it(`pages through ${size} deliveries and sums 150 runs`, async () => {
      const community = await createCommunity()
      const memberPrefix = await seedMembers(community.id, size)
      const created = await call('POST', `/api/communities/${community.id}/announcements`, {
        body: { body: 'Hello', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
      })
      expect(created.status, created.text).toBe(201)
      await seedDeliveries(created.json.id, { runs: 150, count: size, memberPrefix })

      const listed = await walk(`/api/announcements/${created.json.id}/deliveries`)
      expect(listed).toHaveLength(size)
      expect(new Set(listed.map((d) => d.memberId)).size).toBe(size)
      const summary = await call('GET', `/api/announcements/${created.json.id}`)
      expect(summary.status, summary.text.slice(0, 300)).toBe(200)
      expect(summary.json.deliveries).toMatchObject({ failed: size })
      const { cookie } = await signIn()
      const dashboard = await page(`/admin/communities/${community.id}/announcements`, cookie)
      expect(dashboard.status).toBe(200)
    })
  }
})

describe('webhook endpoints at any size', () => {
  for (const size of SIZES) {
    it(`lists ${size} endpoints of a community with their latest deliveries`, async () => {
      const community = await createCommunity()
      await seedWebhookEndpoints(community.id, size)
      const { cookie } = await signIn()
      const dashboard = await page('/admin/webhooks', cookie)
      expect(dashboard.status, dashboard.text.slice(0, 300)).toBe(200)
      expect(dashboard.text.includes(`https://hooks.example.com/${size}<`)).toBe(size > 0)
      const listed = await call('GET', '/api/webhooks')
      expect(listed.status).toBe(200)
      expect(listed.json.data.filter((w: any) => w.communityId === community.id)).toHaveLength(size)
    })
  }
})

describe('long community names', () => {
  const tag = () => crypto.randomUUID().slice(0, 6)

  it('creates communities with names of 60+ characters, umlauts and emoji, each with its own slug', async () => {
    const name = `Laufgemeinschaft ${tag()} Berlin Marathon Halbmarathon Training Über Grenzen 🏃‍♀️🇩🇪`
    expect(name.length).toBeGreaterThan(60)
    const slugs: string[] = []
    for (let i = 0; i < 3; i++) {
      const created = await call('POST', '/api/communities', {
        body: { name, description: 'Long name', visibility: 'open' },
      })
      expect(created.status, created.text).toBe(201)
      expect(created.json.name).toBe(name)
      slugs.push(created.json.slug)
    }
    expect(new Set(slugs).size).toBe(3)
    for (const slug of slugs) {
      expect(slug).toMatch(SLUG_PATTERN)
      expect(slug.length).toBeLessThanOrEqual(SLUG_MAX_LENGTH)
    }
    expect(slugs[0]).toMatch(/^laufgemeinschaft-[a-z0-9]+-berlin-marathon-halbmarathon/)
    expect(slugs[1]).toMatch(/-2$/)
    expect(slugs[2]).toMatch(/-3$/)

    const emojiOnly = `${'🏃'.repeat(40)}`
    for (let i = 0; i < 2; i++) {
      const created = await call('POST', '/api/communities', {
        body: { name: emojiOnly, description: '', visibility: 'open' },
      })
      expect(created.status, created.text).toBe(201)
    }
  })

  it('creates them from the dashboard too', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    const name = `Ünterstützungsgemeinschaft ${tag()} für Läuferinnen und Läufer in Brandenburg 🏅`
    for (let i = 0; i < 2; i++) {
      const created = await post('/admin/communities', cookie, {
        _csrf: csrf,
        name,
        description: 'From the dashboard',
        visibility: 'open',
      })
      expect(created.status, created.text.slice(0, 300)).toBe(303)
    }
    const rows = await query<{ slug: string }>(
      'select slug from communities where name = ? order by slug',
      name,
    )
    expect(rows).toHaveLength(2)
    expect(rows[0]!.slug).toMatch(/^uenterstuetzungsgemeinschaft-/)
  })
})
