import { describe, expect, it } from 'vitest'
import {
  BASE,
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  OWNER_TOKEN,
  query,
  memberIdOf,
  withinOneWindow,
} from './helpers'
import { SIGN_IN_WINDOW_SECONDS } from '../../src/services/sign-in-limits'
import {
  csrfOf,
  headerPending,
  page,
  post,
  postBody,
  rawMultipart,
  signIn,
  tabPending,
} from './dashboard-helpers'

describe('dashboard sign-in', () => {
  it('sends people without a session to sign in, and signs in with a token into a safe cookie', async () => {
    const anonymous = await page('/admin', '')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/admin/login?next=%2Fadmin')
    // The sign-in page says where a token comes from, and how teammates sign in instead.
    const login = await page('/admin/login?next=%2Fadmin&lang=en', '')
    expect(login.text).toContain('the owner token (the ADMIN_TOKEN secret)')
    expect(login.text).toContain('on the community’s Team page')

    const wrong = await call('POST', '/admin/login', {
      token: null,
      rawBody: 'token=nope',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    })
    expect(wrong.headers.get('location')).toBe('/admin/login?failed=1')

    const { response, cookie } = await signIn()
    const setCookie = response.headers.get('set-cookie')!
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Strict/i)
    expect(setCookie).toMatch(/Secure/i)
    expect(setCookie).toMatch(/Max-Age=28800/)
    expect(setCookie).not.toContain(OWNER_TOKEN)
    const home = await page('/admin', cookie)
    expect(home.status).toBe(200)
    expect(home.text).toContain('<h1>Communities</h1>')
  })

  it('never redirects elsewhere after sign-in', async () => {
    const response = await call('POST', '/admin/login?next=https://evil.example/steal', {
      token: null,
      rawBody: new URLSearchParams({ token: OWNER_TOKEN }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    })
    expect(response.headers.get('location')).toBe('/admin')
  })

  it('limits sign-ins from one network: past twenty in ten minutes even the right token is refused, with when to try again', async () => {
    const tryToken = (token: string, ip: string) =>
      call('POST', '/admin/login?next=/admin', {
        token: null,
        rawBody: new URLSearchParams({ token }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: BASE,
          'cf-connecting-ip': ip,
          'accept-language': 'en',
        },
      })
    // A guesser behind one address, then behind another of the same IPv6 /64.
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 20)
    for (let attempt = 0; attempt < 20; attempt++) {
      const wrong = await tryToken(`guess-${attempt}-0123456789abcdef`, '2001:db8:5:7::1')
      expect(wrong.headers.get('location')).toBe('/admin/login?failed=1')
    }
    const refused = await tryToken(OWNER_TOKEN, '2001:db8:5:7::2')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('set-cookie')).toBeNull()
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(600)
    expect(refused.text).toMatch(
      /Too many sign-ins from this network\. Try again in \d+ minutes?\./,
    )
    expect(refused.text).toContain('action="/admin/login?next=%2Fadmin"')
    // Another network signs in as ever.
    const elsewhere = await tryToken(OWNER_TOKEN, '203.0.113.9')
    expect(elsewhere.status).toBe(303)
    expect(elsewhere.headers.get('set-cookie')).toMatch(/cg_session=/)
  })

  it('counts only wrong sign-ins: a team behind one address signs in as often as it needs', async () => {
    const tryToken = (token: string) =>
      call('POST', '/admin/login?next=/admin', {
        token: null,
        rawBody: new URLSearchParams({ token }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: BASE,
          'cf-connecting-ip': '198.51.100.44',
          'accept-language': 'en',
        },
      })
    // Thirty right sign-ins and nineteen typos from one office within minutes.
    await withinOneWindow(SIGN_IN_WINDOW_SECONDS, 20)
    for (let attempt = 0; attempt < 30; attempt++) {
      const right = await tryToken(OWNER_TOKEN)
      expect(right.status, `sign-in ${attempt + 1}`).toBe(303)
      expect(right.headers.get('set-cookie')).toMatch(/cg_session=/)
      if (attempt < 19) {
        const typo = await tryToken(`${OWNER_TOKEN}x`)
        expect(typo.headers.get('location')).toBe('/admin/login?failed=1')
      }
    }
    // The twentieth wrong one still counts, and past it even the right token waits.
    expect((await tryToken('guess-0123456789abcdef')).headers.get('location')).toBe(
      '/admin/login?failed=1',
    )
    expect((await tryToken(OWNER_TOKEN)).status).toBe(429)
  })

  it('ends the session on sign-out and when the token is revoked', async () => {
    const token = await createToken({ role: 'owner', name: 'Temp' })
    const { cookie } = await signIn(token.token)
    const home = await page('/admin', cookie)
    expect(home.status).toBe(200)
    await call('DELETE', `/api/tokens/${token.id}`)
    expect((await page('/admin', cookie)).status).toBe(303)

    const other = await signIn()
    const signedIn = await page('/admin', other.cookie)
    const out = await post('/admin/logout', other.cookie, { _csrf: csrfOf(signedIn.text) })
    expect(out.headers.get('set-cookie')).toMatch(/cg_session=;/)
  })

  it('refuses a form without the session’s form token, or with another session’s', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const forged = await post(`/admin/communities/${community.id}/links`, cookie, {
      label: 'Forged',
    })
    expect(forged.status).toBe(403)
    // A form token is good for its own session only, even one of the same token.
    const other = await signIn()
    const othersToken = csrfOf((await page('/admin', other.cookie)).text)
    expect(othersToken).not.toBe(csrfOf((await page('/admin', cookie)).text))
    const borrowed = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: othersToken,
      label: 'Forged',
    })
    expect(borrowed.status).toBe(403)
    expect(await query('select id from invites where community_id = ?', community.id)).toHaveLength(
      0,
    )
  })

  it('shows a community admin only their own communities', async () => {
    const mine = await createCommunity({ name: 'Mine for the dashboard' })
    const theirs = await createCommunity({ name: 'Theirs for the dashboard' })
    const admin = await createToken({ role: 'community_admin', communityId: mine.id })
    const { cookie } = await signIn(admin.token)
    const home = await page('/admin', cookie)
    expect(home.text).toContain('Mine for the dashboard')
    expect(home.text).not.toContain('Theirs for the dashboard')
    expect((await page(`/admin/communities/${theirs.id}`, cookie)).status).toBe(404)
  })

  it('links the webhooks page at the foot of every page, for who may manage webhooks only', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const footOf = (html: string) => html.slice(html.indexOf('<footer'))
    const pages = [
      '/admin',
      `/admin/communities/${community.id}`,
      `/admin/communities/${community.id}/members`,
    ]
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    for (const path of pages) {
      expect(footOf((await page(path, cookie)).text), path).toContain('href="/admin/webhooks"')
    }
    const groupAdmin = await createToken({
      role: 'group_admin',
      communityId: community.id,
      groupId: group.id,
    })
    const theirs = (await signIn(groupAdmin.token)).cookie
    expect((await page('/admin', theirs)).text).not.toContain('href="/admin/webhooks"')
  })
})

describe('dashboard: campaign links', () => {
  it('creates a link per channel, shows its URL, QR code and downloads, and revokes it', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    const created = await post(`/admin/communities/${community.id}/links`, cookie, {
      _csrf: csrfOf(overview.text),
      label: 'Flyer',
      source: 'flyer',
      maxUses: '50',
    })
    expect(created.status).toBe(303)
    const linkPage = await page(created.headers.get('location')!, cookie)
    const [invite] = await query<{ id: string; code: string; max_uses: number; source: string }>(
      'select * from invites where community_id = ?',
      community.id,
    )
    expect(invite).toMatchObject({ source: 'flyer', max_uses: 50 })
    expect(linkPage.text).toContain(`https://join.example.com/i/${invite!.code}`)
    expect(linkPage.text).toContain(`data-copy="https://join.example.com/i/${invite!.code}"`)
    expect(linkPage.text).toContain(`src="/i/${invite!.code}/qr.svg?size=240"`)
    expect(linkPage.text).toContain(`href="/i/${invite!.code}/qr.png?size=1024&amp;download=1"`)

    const revoked = await post(`/admin/links/${invite!.id}/revoke`, cookie, {
      _csrf: csrfOf(linkPage.text),
    })
    expect(revoked.status).toBe(303)
    const after = (await page(`/admin/links/${invite!.id}`, cookie)).text
    expect(after).toContain('<b>revoked</b>')
    // Revoking is final: neither a new code nor revoking again is offered.
    expect(after).toContain(`href="https://join.example.com/i/${invite!.code}"`)
    expect(after).not.toContain(`action="/admin/links/${invite!.id}/rotate"`)
    expect(after).not.toContain(`action="/admin/links/${invite!.id}/revoke"`)
    expect(after).not.toContain('>New code</button>')
  })

  it('shows a new community its first steps, each ticked once taken, and none once they are', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const steps = async () => {
      const html = (await page(`/admin/communities/${community.id}`, cookie)).text
      if (!html.includes('<h2>Get started</h2>')) return null
      const list = html.slice(html.indexOf('<h2>Get started</h2>'), html.indexOf('</ul>'))
      return [...list.matchAll(/<li( class="done")?>/g)].map((match) => Boolean(match[1]))
    }
    expect(await steps()).toEqual([false, false, false])
    const overview = (await page(`/admin/communities/${community.id}`, cookie)).text
    expect(overview).toContain(`href="/admin/communities/${community.id}/settings#edit-groups"`)
    const settings = (await page(`/admin/communities/${community.id}/settings`, cookie)).text
    expect(settings).toContain('id="edit-groups"')
    await createInvite(community.id, { label: 'Poster' })
    expect(await steps()).toEqual([false, true, false])
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    const announcement = groups.json.data.find((g: { kind: string }) => g.kind === 'announcement')
    const linked = await call('PATCH', `/api/groups/${announcement.id}`, {
      body: { chatInviteUrl: 'https://chat.whatsapp.com/FirstStepsGroup01' },
    })
    expect(linked.status, linked.text).toBe(200)
    expect(await steps()).toBeNull()
  })

  it('offers an expired or used-up link to be opened again or revoked, not a new code', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const used = await createInvite(community.id, { maxUses: 1 })
    const expired = await createInvite(community.id)
    await query('update invites set uses = 1 where id = ?', used.id)
    await query('update invites set expires_at = ? where id = ?', Date.now() - 60_000, expired.id)
    for (const [invite, hint] of [
      [used, 'it has been used as often as allowed'],
      [expired, 'since its end date'],
    ] as const) {
      const html = (await page(`/admin/links/${invite.id}`, cookie)).text
      // No code lets anyone in past the link's end or limit, so a new one would change nothing;
      // revoking still does: nobody can open the link again.
      expect(html).not.toContain(`action="/admin/links/${invite.id}/rotate"`)
      expect(html).toContain(`action="/admin/links/${invite.id}/revoke"`)
      expect(html).toContain(hint)
      expect(html).toContain('<a href="#edit">Edit link</a>')
      expect(html).toContain('<section id="edit">')
    }
    const active = (await page(`/admin/links/${(await createInvite(community.id)).id}`, cookie))
      .text
    expect(active).toContain('>New code</button>')
    // No hint to open it again (the page's own contents still lead to its edit form).
    expect(active).not.toContain('To open it again')
  })

  it('names each row of the home page’s list a community, not “Communities”', async () => {
    await createCommunity({ name: 'Row Label Club' })
    const { cookie } = await signIn()
    const home = (await page('/admin', cookie)).text
    expect(home).toContain('<td data-label="Community"><a href="/admin/communities/')
    expect(home).not.toContain('<td data-label="Communities">')
  })

  it('shows each link’s funnel and a chart by day', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Instagram bio', source: 'instagram' })
    await joinJson(invite.code, { name: 'Funnel', phone: newPhone() })
    const { cookie } = await signIn()
    const overview = await page(`/admin/communities/${community.id}`, cookie)
    expect(overview.text).toContain('Instagram bio')
    // The new link's source offers the sources the links carry, so one is not typed two ways.
    expect(overview.text).toMatch(/<input id="source" name="source"[^>]* list="source-known"/)
    expect(overview.text).toContain(
      '<datalist id="source-known"><option value="instagram"></option>',
    )
    expect(overview.text).toContain('<td class="n" data-label="Joins">1</td>') // one join
    const detail = await page(`/admin/links/${invite.id}`, cookie)
    expect(detail.text).toContain('<svg viewBox="0 0 720 220" class="chart wide"')
    // So does the link page's copy for another channel, and its edit form, with the other
    // links' sources and campaigns too.
    await createInvite(community.id, { source: 'flyer', campaign: 'spring' })
    const linkPage = (await page(`/admin/links/${invite.id}`, cookie)).text
    expect(linkPage).toMatch(/<input id="copy-source" name="source"[^>]* list="copy-source-known"/)
    expect(linkPage).toContain(
      '<datalist id="copy-source-known"><option value="flyer"></option><option value="instagram"></option></datalist>',
    )
    expect(linkPage).toContain(
      '<datalist id="edit-campaign-known"><option value="spring"></option></datalist>',
    )
  })
})

describe('dashboard: approvals, members, announcements', () => {
  it('approves in bulk and rejects one by one, with the pending count visible', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const ids: string[] = []
    for (const name of ['One', 'Two', 'Three'])
      ids.push((await joinJson(invite.code, { name, phone: newPhone() })).json.joinRequestId)
    const { cookie } = await signIn()
    const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
    expect(tabPending(approvals.text)).toBe(3)
    const csrf = csrfOf(approvals.text)
    await post(`/admin/communities/${community.id}/approvals`, cookie, {
      _csrf: csrf,
      ids: [ids[0]!, ids[1]!],
      action: 'approve',
    })
    await post(`/admin/communities/${community.id}/approvals`, cookie, {
      _csrf: csrf,
      only: `reject:${ids[2]}`,
      reason: 'Full',
    })
    const statuses = await query<{ id: string; status: string; reason: string | null }>(
      'select id, status, reason from join_requests where community_id = ? order by id',
      community.id,
    )
    expect(statuses.map((row) => row.status)).toEqual(['approved', 'approved', 'rejected'])
    expect(statuses[2]!.reason).toBe('Full')
  })

  it('shows every contact a member gave, numbers as people read them, and how many are listed', async () => {
    const community = await createCommunity({ consent: 'single' })
    const group = await createGroup(community.id, { name: 'Trail' })
    const phone = newPhone()
    await joinJson((await createInvite(community.id, { groupId: group.id })).code, {
      name: 'Paula Both',
      phone,
      email: 'paula@example.com',
    })
    await joinJson((await createInvite(community.id)).code, {
      name: 'Emil Mail',
      email: 'emil@example.com',
    })
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/members`, cookie)
    // Grouped as written in Germany, with the country code; the e-mail address beside it.
    const shown =
      /<td data-label="Contact"><div><bdi>([^<]+)<\/bdi><\/div><div><bdi>paula@example\.com</.exec(
        list.text,
      )
    expect(shown).not.toBeNull()
    const readable = shown![1]!
    expect(readable).toMatch(/^\+49 15\d+ \d+$/)
    expect(readable.replace(/ /g, '')).toBe(phone)
    expect(list.text).toContain('<p>2 members</p>')
    const inGroup = await page(
      `/admin/communities/${community.id}/members?groupId=${group.id}`,
      cookie,
    )
    expect(inGroup.text).toContain('<p>1 member</p>')
    const german = await page(`/admin/communities/${community.id}/members?lang=de`, cookie)
    expect(german.text).toContain('<p>2 Mitglieder</p>')
    // Searched as shown (or as people write it), the number finds its member, and the list
    // says that it holds one.
    const national = `0${phone.slice(3, 6)} ${phone.slice(6)}`
    for (const typed of [readable, `+49 (151) ${phone.slice(6, 9)}-${phone.slice(9)}`, national]) {
      const found = await page(
        `/admin/communities/${community.id}/members?q=${encodeURIComponent(typed)}`,
        cookie,
      )
      expect(found.text, typed).toContain('Paula Both')
      expect(found.text).not.toContain('Emil Mail')
      expect(found.text).toContain('<p>1 member</p>')
    }

    // Someone asking to join is shown the same way to whoever decides.
    const closed = await createCommunity({ consent: 'single', visibility: 'closed' })
    await joinJson((await createInvite(closed.id)).code, {
      name: 'Asking Anna',
      phone,
      email: 'anna@example.com',
    })
    const approvals = await page(`/admin/communities/${closed.id}/approvals`, cookie)
    expect(approvals.text).toContain(
      `<div><bdi>${readable}</bdi></div><div><bdi>anna@example.com</bdi></div>`,
    )
  })

  it('searches, filters and removes members, and exports CSV', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id, { name: 'Trail' })
    await joinJson((await createInvite(community.id, { groupId: group.id })).code, {
      name: 'Tina Trail',
      phone: newPhone(),
    })
    const other = await joinJson((await createInvite(community.id)).code, {
      name: 'Otto Other',
      email: 'otto@example.com',
    })
    const otherId = await memberIdOf(other)
    const { cookie } = await signIn()
    const searched = await page(`/admin/communities/${community.id}/members?q=otto`, cookie)
    expect(searched.text).toContain('Otto Other')
    expect(searched.text).not.toContain('Tina Trail')
    const filtered = await page(
      `/admin/communities/${community.id}/members?groupId=${group.id}`,
      cookie,
    )
    expect(filtered.text).toContain('Tina Trail')
    expect(filtered.text).not.toContain('Otto Other')
    const csv = await page(`/admin/communities/${community.id}/members.csv`, cookie)
    expect(csv.text.split('\r\n')[0]).toContain('id,name,phone,email')
    await post(`/admin/members/${otherId}/remove`, cookie, {
      _csrf: csrfOf(searched.text),
    })
    expect((await query('select status from members where id = ?', otherId))[0]!.status).toBe(
      'removed',
    )
    // The list shows members; whoever left or was removed is one filter away, never lost.
    const active = await page(`/admin/communities/${community.id}/members`, cookie)
    expect(active.text).not.toContain('Otto Other')
    const removed = await page(`/admin/communities/${community.id}/members?status=removed`, cookie)
    expect(removed.text).toContain('Otto Other')
    expect(removed.text).not.toContain('Tina Trail')
    expect(removed.text).toContain('<option value="removed" selected')
    const unknown = await page(`/admin/communities/${community.id}/members?status=gone`, cookie)
    expect(unknown.status).toBe(200)
    expect(unknown.text).toContain('Tina Trail')
    // Erasing on request, from the list: the removed member goes with all their data
    // (every table is searched in worker/personal-data.test.ts).
    expect(removed.text).toContain(`action="/admin/members/${otherId}/erase"`)
    const erased = await post(`/admin/members/${otherId}/erase`, cookie, {
      _csrf: csrfOf(removed.text),
    })
    expect(erased.status).toBe(303)
    const after = await page(erased.headers.get('location')!, cookie)
    expect(after.text).toContain('The member and all their data are erased.')
    expect(await query('select id from members where id = ?', otherId)).toEqual([])
    expect(
      await query('select id from join_requests where id = ?', other.json.joinRequestId),
    ).toEqual([])
  })

  it('previews a repeat rule, schedules once in a time zone, and lists with send-now and cancel', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const form = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const preview = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(form.text),
      intent: 'preview',
      body: 'Draft kept',
      cron: '0 9 * * 1',
      timezone: 'Europe/Berlin',
    })
    expect(preview.status).toBe(200)
    expect(preview.text).toContain('Next runs')
    expect((preview.text.match(/<li>[^<]*09:00[^<]*<\/li>/g) ?? []).length).toBe(5)
    expect(preview.text).toMatch(/<textarea id="body"[^>]*>\nDraft kept<\/textarea>/)
    expect(
      await query('select id from announcements where community_id = ?', community.id),
    ).toEqual([])

    const csrf = csrfOf(preview.text)
    const scheduled = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrf,
      body: 'Summer party on Saturday',
      audience: 'announcement',
      sendAt: '2030-07-01T18:30',
      timezone: 'Europe/Berlin',
    })
    expect(scheduled.status).toBe(303)
    const [row] = await query<{ id: string; send_at: number }>(
      'select id, send_at from announcements where community_id = ?',
      community.id,
    )
    expect(new Date(row!.send_at).toISOString()).toBe('2030-07-01T16:30:00.000Z') // 18:30 in Berlin summer time
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(list.text).toContain('Summer party on Saturday')
    // Cancelling cannot be undone: the button asks first.
    expect(list.text).toContain(
      `action="/admin/announcements/${row!.id}/cancel" class="inline" data-confirm="Cancel this announcement?`,
    )
    const cancelled = await post(`/admin/announcements/${row!.id}/cancel`, cookie, { _csrf: csrf })
    expect((await query('select status from announcements where id = ?', row!.id))[0]!.status).toBe(
      'cancelled',
    )
    // Back on the list, the page says what was done.
    const after = await page(cancelled.headers.get('location')!, cookie)
    expect(after.text).toContain('The announcement is cancelled.')
    // Its due date is gone with it; the row says when it was cancelled instead of a dash.
    const rowStart = after.text.indexOf(`/admin/announcements/${row!.id}"`)
    const cancelledRow = after.text.slice(rowStart, after.text.indexOf('</tr>', rowStart))
    expect(cancelledRow).toMatch(/cancelled \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/)
  })

  it('works in German too', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const german = await call('GET', `/admin/communities/${community.id}?lang=de`, {
      token: null,
      headers: { cookie },
    })
    expect(german.text).toContain('<html lang="de">')
    expect(german.text).toContain('Kampagnen-Links')
  })
})

describe('dashboard: communities, admins and webhooks', () => {
  it('creates and edits a community with the API’s rules', async () => {
    const { cookie } = await signIn()
    const home = await page('/admin', cookie)
    const csrf = csrfOf(home.text)
    const name = `Dashboard made ${crypto.randomUUID().slice(0, 6)}`
    const created = await post('/admin/communities', cookie, {
      _csrf: csrf,
      name,
      description: 'From the dashboard',
      visibility: 'closed',
      joinQuestions: 'Why?\nWhere from?',
    })
    expect(created.status).toBe(303)
    const id = /cmt_[0-9a-z]+/.exec(created.headers.get('location')!)![0]
    // Its page says it was made.
    expect((await page(created.headers.get('location')!, cookie)).text).toContain('Created.')
    const [row] = await query<{ visibility: string; join_questions: string }>(
      'select visibility, join_questions from communities where id = ?',
      id,
    )
    expect(row).toEqual({ visibility: 'closed', join_questions: '["Why?","Where from?"]' })
    const bad = await post('/admin/communities', cookie, {
      _csrf: csrf,
      name: 'Tracker',
      description: '',
      visibility: 'open',
      photoUrl: 'https://tracker.example.net/p.gif',
    })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('photoUrl')
    await post(`/admin/communities/${id}/settings`, cookie, {
      _csrf: csrf,
      name: `${name} renamed`,
      description: 'New purpose',
      visibility: 'open',
    })
    expect((await query('select name, visibility from communities where id = ?', id))[0]).toEqual({
      name: `${name} renamed`,
      visibility: 'open',
    })
  })

  it('promotes a group admin to community admin and back', async () => {
    const community = await createCommunity()
    const group = await createGroup(community.id)
    const lead = await createToken({ role: 'group_admin', groupId: group.id, name: 'Group lead' })
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    expect(settings.text).toContain('Group lead')
    await post(`/admin/communities/${community.id}/admins/${lead.id}/promote`, cookie, {
      _csrf: csrfOf(settings.text),
    })
    expect((await query('select role from api_tokens where id = ?', lead.id))[0]!.role).toBe(
      'community_admin',
    )
    await post(`/admin/communities/${community.id}/admins/${lead.id}/demote`, cookie, {
      _csrf: csrfOf(settings.text),
    })
    expect((await query('select role, group_id from api_tokens where id = ?', lead.id))[0]).toEqual(
      { role: 'group_admin', group_id: group.id },
    )
  })

  it('adds a webhook endpoint and shows its secret once', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const hooks = await page('/admin/webhooks', cookie)
    const created = await post('/admin/webhooks', cookie, {
      _csrf: csrfOf(hooks.text),
      url: 'https://hooks.example.com/in',
      communityId: community.id,
      events: ['member.joined', 'member.left'],
    })
    expect(created.status).toBe(200)
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(created.text)![0]
    const again = await page('/admin/webhooks', cookie)
    expect(again.text).toContain('https://hooks.example.com/in')
    expect(again.text).not.toContain(secret)
  })
})

describe('dashboard: pending requests are visible from every page', () => {
  it('counts a community admin’s pending requests in the header of every page', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Waiting', phone: newPhone() })
    const admin = await createToken({ role: 'community_admin', communityId: community.id })
    const { cookie } = await signIn(admin.token)
    for (const path of [
      '/admin',
      `/admin/communities/${community.id}/members`,
      '/admin/webhooks',
    ]) {
      expect(headerPending((await page(path, cookie)).text), path).toEqual({
        count: 1,
        href: `/admin/communities/${community.id}/approvals`,
      })
    }
  })

  it('counts the same in the header on every page, a community’s own on its approvals tab', async () => {
    const waitingIn = async (names: string[]) => {
      const community = await createCommunity({ visibility: 'closed' })
      const invite = await createInvite(community.id)
      const requests: string[] = []
      for (const name of names)
        requests.push((await joinJson(invite.code, { name, phone: newPhone() })).json.joinRequestId)
      return { community, invite, requests }
    }
    const one = await waitingIn(['Ada Waiting'])
    const two = await waitingIn(['Ben Waiting', 'Cem Waiting'])
    const { cookie } = await signIn()
    // An owner decides on every community: the header counts them all, at home as anywhere.
    const home = headerPending((await page('/admin', cookie)).text)!
    expect(home.count).toBeGreaterThanOrEqual(3)
    expect(home.href).toBe('/admin/approvals')
    const at = (community: { id: string }) => `/admin/communities/${community.id}`
    for (const [path, own] of [
      [at(one.community), 1],
      [`${at(one.community)}/approvals`, 1],
      [`${at(one.community)}/members`, 1],
      [`${at(two.community)}/approvals`, 2],
      [`${at(two.community)}/settings`, 2],
      [`/admin/links/${two.invite.id}`, undefined],
      ['/admin/webhooks', undefined],
    ] as const) {
      const html = (await page(path, cookie)).text
      expect(headerPending(html), path).toEqual(home)
      expect(tabPending(html), path).toBe(own)
    }
    // Decided, a request leaves its community's tab and the header's count alike.
    const rejected = await call('POST', `/api/join-requests/${one.requests[0]}/reject`)
    expect(rejected.status, rejected.text).toBe(200)
    const after = (await page(`${at(one.community)}/approvals`, cookie)).text
    expect(tabPending(after)).toBeUndefined()
    expect(headerPending(after)).toEqual({ ...home, count: home.count - 1 })
  })
})

describe('dashboard: bad input gets a clear answer, never a 500', () => {
  it('refuses an unknown time zone, for the preview too', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const preview = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(list.text),
      intent: 'preview',
      cron: '0 9 * * 1',
      timezone: 'Mars/Olympus',
    })
    expect(preview.status).toBe(400)
    expect(preview.text).toContain('This time zone is unknown.')
    const refused = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(list.text),
      body: 'Hello',
      sendAt: '2030-01-01T10:00',
      timezone: 'Europe/Berln',
    })
    expect(refused.status).toBe(400)
    expect(refused.text).toMatch(/<p id="timezone-error" class="err">This time zone is unknown/)
  })

  it('converts a wall-clock time to UTC correctly on the night the clocks go back', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(list.text),
      body: 'Night run',
      sendAt: '2030-10-27T01:30',
      timezone: 'Europe/Berlin',
    })
    const [row] = await query<{ send_at: number }>(
      'select send_at from announcements where community_id = ?',
      community.id,
    )
    expect(new Date(row!.send_at).toISOString()).toBe('2030-10-26T23:30:00.000Z') // still summer time
  })

  it('answers an unreadable form with 400, and one sent as multipart where no file is taken with 415', async () => {
    const response = await call('POST', '/admin/login', {
      token: null,
      rawBody: 'token=%zz',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        origin: BASE,
      },
    })
    expect(response.status).toBe(400)
    const multipart = await call('POST', '/admin/login', {
      token: null,
      rawBody: 'garbage without any boundary',
      headers: {
        'content-type': 'multipart/form-data; boundary=x',
        accept: 'text/html',
        origin: BASE,
      },
    })
    expect(multipart.status).toBe(415)
    // Signed in, the settings form as multipart with bytes that are not UTF-8: nothing changes.
    const community = await createCommunity({ name: 'Kept name' })
    const { cookie } = await signIn()
    const path = `/admin/communities/${community.id}/settings`
    const { body, contentType } = rawMultipart([
      ['_csrf', csrfOf((await page(path, cookie)).text)],
      ['name', new Uint8Array([0x4d, 0xff, 0xfe, 0x4d])],
    ])
    const settings = await postBody(path, cookie, body, { 'content-type': contentType })
    expect(settings.status, settings.text.slice(0, 200)).toBe(415)
    expect((await call('GET', `/api/communities/${community.id}`)).json.name).toBe('Kept name')
  })

  it('shows only notices it wrote itself', async () => {
    const { cookie } = await signIn()
    const crafted = await page('/admin?done=Your+account+is+locked&decided=3%3Cb%3E', cookie)
    expect(crafted.text).not.toContain('locked')
    expect(crafted.text).not.toContain('role="status"')
    const real = await page('/admin?decided=2&refused=group_full,made_up', cookie)
    expect(real.text).toContain(
      '2 requests approved. Not every request could be decided: the group is full.',
    )
    expect(real.text).not.toContain('made_up')
  })
})

describe('public forms are bounded too', () => {
  it('refuses a join body over 64 KiB with 413', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const response = await call('POST', `/i/${invite.code}/join`, {
      token: null,
      body: { name: 'x'.repeat(70 * 1024), email: 'big@example.com', consent: true },
      headers: { accept: 'application/json' },
    })
    expect(response.status).toBe(413)
  })
})

describe('dashboard: long lists are paged', () => {
  it('shows members a hundred at a time, the newest first, with a link to the next page', async () => {
    const community = await createCommunity()
    const now = Date.now()
    for (let i = 0; i < 105; i++) {
      const suffix = String(i).padStart(4, '0')
      await query(
        `insert into members (id, community_id, name, email, consent, status, join_request_id, joined_at,
           email_confirmed_at, email_consent_method)
         values (?, ?, ?, ?, 1, 'active', ?, ?6, ?6, 'single_opt_in')`,
        `mem_0000000000000000000000${suffix}`,
        community.id,
        `Paged ${suffix}`,
        `paged${suffix}@example.com`,
        `jr_0000000000000000000000${suffix}`,
        now,
      )
    }
    const { cookie } = await signIn()
    const first = await page(`/admin/communities/${community.id}/members`, cookie)
    expect(first.text.match(/Paged \d{4}/g)).toHaveLength(100)
    expect(first.text.match(/Paged \d{4}/)![0]).toBe('Paged 0104')
    const next = /href="([^"]+cursor=[^"]+)">Next page/.exec(first.text)![1]!.replace(/&amp;/g, '&')
    const second = await page(next, cookie)
    expect(second.text.match(/Paged \d{4}/g)).toEqual([
      'Paged 0004',
      'Paged 0003',
      'Paged 0002',
      'Paged 0001',
      'Paged 0000',
    ])
    expect(second.text).not.toContain('Next page')
  })
})
