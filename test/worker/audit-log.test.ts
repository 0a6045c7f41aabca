import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { confirm, csrfOf, page, post, sessionOf, shownLink, signIn } from './dashboard-helpers'
import {
  call,
  createAdmin,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  eventually,
  expectProblem,
  joinJson,
  newPhone,
  query,
  runCron,
} from './helpers'

interface Entry {
  id: string
  at: string
  action: string
  actorTokenId: string | null
  actorName: string
  actorLinkMadeBy: string | null
  targetId: string | null
  detail: string | null
}

async function auditOf(communityId: string, action?: string): Promise<Entry[]> {
  const answer = await call(
    'GET',
    `/api/communities/${communityId}/audit-log?limit=100${action ? `&action=${action}` : ''}`,
  )
  expect(answer.status, answer.text).toBe(200)
  return answer.json.data
}

/** Waits for the entry a change writes once its answer has gone. */
async function entryFor(communityId: string, action: string, targetId?: string): Promise<Entry> {
  return eventually(async () => {
    const entries = await auditOf(communityId, action)
    const entry = entries.find((e) => targetId === undefined || e.targetId === targetId)
    expect(entry, `an entry ${action} for ${targetId}`).toBeDefined()
    return entry!
  })
}

async function pendingRequest(communityId: string): Promise<string> {
  const invite = await createInvite(communityId)
  const asked = await joinJson(invite.code, { name: 'Ana', phone: newPhone() })
  expect(asked.status, asked.text).toBe(201)
  return asked.json.joinRequestId
}

describe('the audit log records who changed what', () => {
  it('approvals and rejections, with the token’s name or "owner"', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const admin = await createToken({
      name: 'Moderator Mo',
      role: 'community_admin',
      communityId: community.id,
    })
    const approved = await pendingRequest(community.id)
    const rejected = await pendingRequest(community.id)
    expect(
      (await call('POST', `/api/join-requests/${approved}/approve`, { token: admin.token })).status,
    ).toBe(200)
    const reason = 'Only for members of the club, sorry'
    const refused = await call('POST', `/api/join-requests/${rejected}/reject`, {
      body: { reason },
    })
    expect(refused.status).toBe(200)
    const approval = await entryFor(community.id, 'join_request.approved', approved)
    expect(approval).toMatchObject({
      actorName: 'Moderator Mo',
      actorTokenId: admin.id,
      detail: null,
    })
    // The reason the person was told stays beside the decision.
    const rejection = await entryFor(community.id, 'join_request.rejected', rejected)
    expect(rejection).toMatchObject({ actorName: 'owner', actorTokenId: null, detail: reason })

    // Approving again changes nothing, and records nothing more.
    await call('POST', `/api/join-requests/${approved}/approve`)
    const later = await pendingRequest(community.id)
    await call('POST', `/api/join-requests/${later}/approve`)
    await entryFor(community.id, 'join_request.approved', later)
    const approvals = await auditOf(community.id, 'join_request.approved')
    expect(approvals.filter((e) => e.targetId === approved)).toHaveLength(1)
  })

  it('decisions from the dashboard, each request its own entry', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const ids = [await pendingRequest(community.id), await pendingRequest(community.id)]
    const { cookie } = await signIn()
    const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
    const decided = await post(`/admin/communities/${community.id}/approvals`, cookie, {
      _csrf: csrfOf(approvals.text),
      action: 'approve',
      ids,
    })
    expect(decided.status).toBe(303)
    for (const id of ids) await entryFor(community.id, 'join_request.approved', id)

    // A rejection's reason, typed in the dashboard, is in the log's page and its CSV.
    const third = await pendingRequest(community.id)
    const reason = 'Bitte erst zum Probetraining, = kommen'
    const rejected = await post(`/admin/communities/${community.id}/approvals`, cookie, {
      _csrf: csrfOf(approvals.text),
      action: 'reject',
      ids: [third],
      reason,
    })
    expect(rejected.status).toBe(303)
    expect(await entryFor(community.id, 'join_request.rejected', third)).toMatchObject({
      detail: reason,
    })
    const log = await page(`/admin/communities/${community.id}/audit`, cookie)
    expect(log.text).toContain(`Request rejected<div class="muted"><bdi>${reason}</bdi></div>`)
    // Each moment names its zone (the community's), as the webhooks' UTC times do theirs.
    expect(log.text).toMatch(/\d{2}:\d{2} (UTC|GMT|CES?T)/)
    const csv = await page(`/admin/communities/${community.id}/audit.csv`, cookie)
    expect(csv.text.trim().split('\r\n')[1]).toMatch(
      new RegExp(`^[^,]+,join_request\\.rejected,owner,,${third},,"${reason}"$`),
    )
  })

  it('removals, announcements sent and cancelled, links and settings changed', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, { name: 'Ben', phone: newPhone() })
    const [member] = await query<{ id: string }>(
      'select id from members where community_id = ?',
      community.id,
    )
    expect(joined.status).toBe(201)
    expect((await call('DELETE', `/api/members/${member!.id}`)).status).toBe(204)
    await entryFor(community.id, 'member.removed', member!.id)

    const announced = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Hello', sendAt: new Date(Date.now() + 86400_000).toISOString() },
    })
    expect(announced.status).toBe(201)
    await entryFor(community.id, 'announcement.scheduled', announced.json.id)
    expect((await call('POST', `/api/announcements/${announced.json.id}/cancel`)).status).toBe(200)
    await entryFor(community.id, 'announcement.cancelled', announced.json.id)
    const sent = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Now', sendAt: new Date(Date.now() + 86400_000).toISOString() },
    })
    expect((await call('POST', `/api/announcements/${sent.json.id}/send-now`)).status).toBe(200)
    await entryFor(community.id, 'announcement.sent', sent.json.id)

    const link = await createInvite(community.id)
    await entryFor(community.id, 'link.created', link.id)
    const renamed = await call('PATCH', `/api/invites/${link.id}`, { body: { label: 'Poster' } })
    expect(renamed.status).toBe(200)
    // The entry says what changed; the same sent again changed nothing and is not recorded.
    expect(await entryFor(community.id, 'link.changed', link.id)).toMatchObject({
      detail: 'label',
    })
    const same = await call('PATCH', `/api/invites/${link.id}`, { body: { label: 'Poster' } })
    expect(same.status).toBe(200)
    const more = await call('PATCH', `/api/invites/${link.id}`, {
      body: { label: 'Poster', source: 'poster' },
    })
    expect(more.status).toBe(200)
    await eventually(async () => {
      const details = (await auditOf(community.id, 'link.changed')).map((e) => e.detail)
      expect(details).toEqual(['source', 'label'])
    })
    // The dashboard names them as the link form does, in the reader's language.
    const { cookie } = await signIn()
    const log = `/admin/communities/${community.id}/audit?action=link.changed`
    expect((await page(`${log}&lang=de`, cookie)).text).toMatch(
      /<bdi>Quelle<\/bdi>[\s\S]*<bdi>Bezeichnung<\/bdi>/,
    )
    expect((await page(`${log}&lang=en`, cookie)).text).toMatch(
      /<bdi>source<\/bdi>[\s\S]*<bdi>label<\/bdi>/,
    )
    expect((await call('POST', `/api/invites/${link.id}/revoke`)).status).toBe(200)
    await entryFor(community.id, 'link.revoked', link.id)
    // A copy for another channel is a link made, named as itself, not a change of the original.
    const copied = await call('POST', `/api/invites/${renamed.json.id}/duplicate`, {
      body: { source: 'newsletter' },
    })
    expect(copied.status, copied.text).toBe(201)
    await entryFor(community.id, 'link.created', copied.json.id)
    expect(await auditOf(community.id, 'link.changed')).toHaveLength(2)

    const saved = await call('PATCH', `/api/communities/${community.id}`, {
      body: { description: 'New purpose' },
    })
    expect(saved.status).toBe(200)
    await entryFor(community.id, 'settings.changed', community.id)

    const group = await createGroup(community.id)
    await entryFor(community.id, 'group.created', group.id)
    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    await entryFor(community.id, 'group.deleted', group.id)
  })

  it('teammates invited, signed in and revoked, and links revoked, from the dashboard', async () => {
    const community = await createCommunity()
    const { cookie } = await signIn()
    const team = await page(`/admin/communities/${community.id}/team`, cookie)
    const invited = await post(`/admin/communities/${community.id}/team/invitations`, cookie, {
      _csrf: csrfOf(team.text),
      name: 'Dana',
      role: 'community_admin',
    })
    expect(invited.status).toBe(200)
    // The entry names the invitation the form made (nothing in the answer's address says it).
    const [invitation] = await query<{ id: string }>(
      'select id from team_invitations where community_id = ?',
      community.id,
    )
    const invitedEntry = await entryFor(community.id, 'teammate.invited', invitation!.id)
    expect(invitedEntry.detail).toBe('community_admin')
    // The log names who was invited, and as what, in words.
    const log = await page(`/admin/communities/${community.id}/audit?lang=en`, cookie)
    const row = log.text.split('<tr>').find((row) => row.includes('Dana'))
    expect(row).toMatch(/Teammate invited[\s\S]*Community admin[\s\S]*Dana/)
    // An announcement scheduled on the dashboard names the announcement, not its community.
    const announcements = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const scheduled = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(announcements.text),
      body: 'Hello from the dashboard',
      sendAt: '2031-01-01T10:00',
    })
    expect(scheduled.status, scheduled.text).toBe(303)
    const [announcement] = await query<{ id: string }>(
      'select id from announcements where community_id = ?',
      community.id,
    )
    await entryFor(community.id, 'announcement.scheduled', announcement!.id)
    // Settings saved on the dashboard are about the community itself.
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    const saved = await post(`/admin/communities/${community.id}/settings`, cookie, {
      _csrf: csrfOf(settings.text),
      name: community.name,
      description: 'Changed on the dashboard',
      visibility: 'open',
    })
    expect(saved.status, saved.text).toBe(303)
    await entryFor(community.id, 'settings.changed', community.id)
    // A group added on the settings page is named (the answer leads back to the settings).
    const added = await post(`/admin/communities/${community.id}/groups`, cookie, {
      _csrf: csrfOf(settings.text),
      name: 'Trail runners',
    })
    expect(added.status, added.text).toBe(303)
    const [group] = await query<{ id: string }>(
      "select id from groups where community_id = ? and name = 'Trail runners'",
      community.id,
    )
    await entryFor(community.id, 'group.created', group!.id)
    // A link copied on its page: the copy made, named as itself.
    const link = await createInvite(community.id)
    const linkPage = await page(`/admin/links/${link.id}`, cookie)
    const copy = await post(`/admin/links/${link.id}/duplicate`, cookie, {
      _csrf: csrfOf(linkPage.text),
      source: 'poster',
    })
    expect(copy.status, copy.text.slice(0, 300)).toBe(303)
    const copyId = /\/admin\/links\/(inv_[0-9a-z]+)/.exec(copy.headers.get('location')!)![1]!
    expect(copyId).not.toBe(link.id)
    await entryFor(community.id, 'link.created', copyId)
    const accepted = await confirm(shownLink(invited.text))
    expect(accepted.status).toBe(303)
    const [token] = await query<{ id: string }>(
      'select id from api_tokens where community_id = ?',
      community.id,
    )
    const joined = await entryFor(community.id, 'teammate.joined', token!.id)
    expect(joined).toMatchObject({ actorName: 'Dana', actorLinkMadeBy: 'owner' })
    const revoked = await post(
      `/admin/communities/${community.id}/team/${token!.id}/revoke`,
      cookie,
      {
        _csrf: csrfOf(team.text),
      },
    )
    expect(revoked.status).toBe(200)
    const entry = await entryFor(community.id, 'teammate.revoked', token!.id)
    expect(entry).toMatchObject({ actorName: 'owner', actorLinkMadeBy: null })
  })

  it('names who made the sign-in link a teammate acted through, as they could have used it', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const alice = await createAdmin(community.id, 'Alice')
    const bob = await createAdmin(community.id, 'Bob')
    /** A fresh sign-in link for Bob made in the session `cookie`, confirmed: the new session. */
    async function freshLinkForBob(cookie: string) {
      const team = await page(`/admin/communities/${community.id}/team`, cookie)
      const fresh = await post(`/admin/communities/${community.id}/team/${bob.id}/link`, cookie, {
        _csrf: csrfOf(team.text),
      })
      expect(fresh.status).toBe(200)
      const accepted = await confirm(shownLink(fresh.text))
      expect(accepted.status).toBe(303)
      return sessionOf(accepted)
    }
    // Alice makes a fresh sign-in link for Bob, and whoever holds it signs in as Bob.
    const { cookie: hers } = await signIn(alice.token)
    const throughLink = await freshLinkForBob(hers)
    // A link that session makes for Bob again was Alice's to use too: it cannot shed her name.
    const throughItsLink = await freshLinkForBob(throughLink)

    const decide = async (cookie: string) => {
      const id = await pendingRequest(community.id)
      const approvals = await page(`/admin/communities/${community.id}/approvals`, cookie)
      const decided = await post(`/admin/communities/${community.id}/approvals`, cookie, {
        _csrf: csrfOf(approvals.text),
        action: 'approve',
        ids: [id],
      })
      expect(decided.status).toBe(303)
      return entryFor(community.id, 'join_request.approved', id)
    }
    for (const cookie of [throughLink, throughItsLink]) {
      expect(await decide(cookie)).toMatchObject({
        actorTokenId: bob.id,
        actorName: 'Bob',
        actorLinkMadeBy: 'Alice',
      })
    }
    // Bob signed in with his own token, and through the API: his name alone.
    const { cookie: his } = await signIn(bob.token)
    expect(await decide(his)).toMatchObject({ actorName: 'Bob', actorLinkMadeBy: null })
    const id = await pendingRequest(community.id)
    const viaApi = await call('POST', `/api/join-requests/${id}/approve`, { token: bob.token })
    expect(viaApi.status, viaApi.text).toBe(200)
    expect(await entryFor(community.id, 'join_request.approved', id)).toMatchObject({
      actorLinkMadeBy: null,
    })

    const shown = await page(`/admin/communities/${community.id}/audit`, his)
    expect(shown.text).toContain(
      '<bdi>Bob</bdi><span class="muted"> (signed in with a link or an address from <bdi>Alice</bdi>)</span>',
    )
    const german = await page(`/admin/communities/${community.id}/audit?lang=de`, his)
    expect(german.text).toContain(
      'angemeldet mit einem Link oder einer Adresse von <bdi>Alice</bdi>',
    )
    const csv = await page(`/admin/communities/${community.id}/audit.csv`, his)
    const lines = csv.text.trim().split('\r\n')
    const approvals = lines.filter((line) => line.includes(`,join_request.approved,Bob,${bob.id},`))
    // The link's maker, then the detail an approval does not have.
    expect(approvals.filter((line) => line.endsWith(',Alice,'))).toHaveLength(2)
    expect(approvals.filter((line) => line.endsWith(',,'))).toHaveLength(2)
  })

  it('writes nothing for a change that was refused', async () => {
    const community = await createCommunity()
    const outsider = await createToken({
      role: 'community_admin',
      communityId: (await createCommunity()).id,
    })
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, { body: { visibility: 'maybe' } }),
      400,
      'validation_failed',
    )
    expectProblem(
      await call('PATCH', `/api/communities/${community.id}`, {
        token: outsider.token,
        body: { description: 'Hijacked' },
      }),
      404,
      'not_found',
    )
    const { cookie } = await signIn()
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    const refused = await post(`/admin/communities/${community.id}/settings`, cookie, {
      _csrf: csrfOf(settings.text),
      name: '',
    })
    expect(refused.status).toBe(400)
    // A change after them is recorded; by then any entry of theirs would have been too.
    const link = await createInvite(community.id)
    await entryFor(community.id, 'link.created', link.id)
    expect((await auditOf(community.id)).map((e) => e.action)).toEqual([
      'link.created',
      'community.created',
    ])
  })

  it('writes nothing for an action on what was so already: revoked, archived, cancelled, a chat link saved twice, resumed unpaused', async () => {
    const community = await createCommunity()
    const link = await createInvite(community.id)
    const other = await createInvite(community.id)
    const announced = await call('POST', `/api/communities/${community.id}/announcements`, {
      body: { body: 'Twice cancelled', sendAt: '2031-01-01T10:00:00Z' },
    })
    for (let i = 0; i < 2; i++) {
      expect((await call('POST', `/api/invites/${link.id}/revoke`)).status).toBe(200)
      expect((await call('POST', `/api/invites/${other.id}/archive`)).status).toBe(200)
      expect((await call('POST', `/api/announcements/${announced.json.id}/cancel`)).status).toBe(
        200,
      )
    }
    expect((await call('POST', `/api/announcements/${announced.json.id}/resume`)).status).toBe(200)
    // A webhook endpoint that was never stopped, resumed.
    const endpoint = await call('POST', '/api/webhooks', {
      body: {
        url: 'https://hooks.example.com/never-stopped',
        events: ['*'],
        communityId: community.id,
      },
    })
    expect((await call('POST', `/api/webhooks/${endpoint.json.id}/resume`)).status).toBe(200)
    const { cookie } = await signIn()
    const linkPage = await page(`/admin/links/${link.id}`, cookie)
    const again = await post(`/admin/links/${link.id}/revoke`, cookie, {
      _csrf: csrfOf(linkPage.text),
    })
    expect(again.status).toBe(303)
    const [group] = (await call('GET', `/api/communities/${community.id}/groups`)).json.data
    const settings = await page(`/admin/communities/${community.id}/settings`, cookie)
    for (let i = 0; i < 2; i++) {
      const saved = await post(`/admin/groups/${group.id}/chat-link`, cookie, {
        _csrf: csrfOf(settings.text),
        chatInviteUrl: 'https://chat.whatsapp.com/SavedTwiceTheSame',
      })
      expect(saved.status).toBe(303)
    }
    // A change after them is recorded; by then any entry of theirs would have been too.
    const last = await createInvite(community.id)
    await entryFor(community.id, 'link.created', last.id)
    const actions = (await auditOf(community.id)).map((e) => `${e.action} ${e.targetId}`)
    expect(actions.filter((a) => a === `link.revoked ${link.id}`)).toHaveLength(1)
    expect(actions.filter((a) => a === `link.changed ${other.id}`)).toHaveLength(1)
    expect(actions.filter((a) => a.startsWith('announcement.cancelled'))).toHaveLength(1)
    expect(actions.filter((a) => a.startsWith('announcement.resumed'))).toEqual([])
    expect(actions.filter((a) => a.startsWith('webhook.resumed'))).toEqual([])
    expect(actions.filter((a) => a === `group.changed ${group.id}`)).toHaveLength(1)
  })

  it('writes nothing for what was only looked at: next dates of an announcement, a QR design before saving', async () => {
    const community = await createCommunity()
    const link = await createInvite(community.id)
    const { cookie } = await signIn()
    const announcements = await page(`/admin/communities/${community.id}/announcements`, cookie)
    const nextDates = await post(`/admin/communities/${community.id}/announcements`, cookie, {
      _csrf: csrfOf(announcements.text),
      intent: 'preview',
      body: 'Only a look',
      sendAt: '2031-03-01T10:00',
    })
    expect(nextDates.status).toBe(200)
    const linkPage = await page(`/admin/links/${link.id}`, cookie)
    const design = { fg: '#5a189a', bg: '#fff8e7', margin: '3', level: 'Q', style: 'rounded' }
    const shown = await post(`/admin/links/${link.id}/qr-design`, cookie, {
      _csrf: csrfOf(linkPage.text),
      ...design,
      intent: 'preview',
    })
    expect(shown.status).toBe(200)
    // Saving is a change, and the only one.
    const saved = await post(`/admin/links/${link.id}/qr-design`, cookie, {
      _csrf: csrfOf(linkPage.text),
      ...design,
    })
    expect(saved.status).toBe(303)
    await entryFor(community.id, 'link.changed', link.id)
    expect((await auditOf(community.id)).map((e) => e.action)).toEqual([
      'link.changed',
      'link.created',
      'community.created',
    ])
  })
})

describe('a community’s log begins with its creation', () => {
  it('through the API or the dashboard, naming who made it and what as', async () => {
    const viaApi = await createCommunity({ visibility: 'closed', consent: 'double' })
    const made = await entryFor(viaApi.id, 'community.created')
    expect(made).toMatchObject({
      actorName: 'owner',
      targetId: viaApi.id,
      detail: 'closed, double',
    })

    const { cookie } = await signIn()
    const home = await page('/admin', cookie)
    const created = await post('/admin/communities', cookie, {
      _csrf: csrfOf(home.text),
      name: `Made here ${crypto.randomUUID().slice(0, 6)}`,
      visibility: 'open',
      consent: 'single',
      timeZone: 'Europe/Berlin',
    })
    expect(created.status, created.text).toBe(303)
    const id = /\/admin\/communities\/(cmt_[0-9a-z]+)/.exec(created.headers.get('location')!)![1]!
    expect(await entryFor(id, 'community.created')).toMatchObject({
      targetId: id,
      detail: 'open, single',
    })
    const log = await page(`/admin/communities/${id}/audit?lang=de`, cookie)
    expect(log.text).toContain('Community angelegt')
    expect(log.text).toContain('offen, Single-Opt-in')
  })
})

describe('reading the audit log', () => {
  it('is paged newest first, filtered by action, shown in the dashboard and as CSV', async () => {
    const community = await createCommunity()
    const links = []
    for (let i = 0; i < 3; i++) links.push(await createInvite(community.id))
    await call('PATCH', `/api/communities/${community.id}`, { body: { description: 'Changed' } })
    await entryFor(community.id, 'settings.changed')
    await eventually(async () =>
      expect(await auditOf(community.id, 'link.created')).toHaveLength(3),
    )

    const first = await call('GET', `/api/communities/${community.id}/audit-log?limit=2`)
    expect(first.json.data.map((e: Entry) => e.action)).toEqual([
      'settings.changed',
      'link.created',
    ])
    const second = await call(
      'GET',
      `/api/communities/${community.id}/audit-log?limit=2&cursor=${first.json.nextCursor}`,
    )
    expect(second.json.data.map((e: Entry) => e.targetId)).toEqual([links[1]!.id, links[0]!.id])
    const third = await call(
      'GET',
      `/api/communities/${community.id}/audit-log?limit=2&cursor=${second.json.nextCursor}`,
    )
    expect(third.json.data.map((e: Entry) => e.action)).toEqual(['community.created'])
    expect(third.json.nextCursor).toBeNull()
    expectProblem(
      await call('GET', `/api/communities/${community.id}/audit-log?action=everything`),
      400,
      'validation_failed',
    )

    const { cookie } = await signIn()
    const shown = await page(`/admin/communities/${community.id}/audit?action=link.created`, cookie)
    expect(shown.status).toBe(200)
    expect(shown.text).toContain('Link created')
    expect(shown.text).not.toContain('Settings changed</td>')
    // What was acted on, by its name (a link's code here, as it has no label), with its id on a
    // muted line of its own, never run into the name.
    expect(shown.text).toContain(
      `<bdi>${links[0]!.code}</bdi><div class="muted code">${links[0]!.id}</div>`,
    )
    expect(shown.text).not.toContain(`${links[0]!.code}</bdi> <span`)
    expect(shown.text).toContain('Entries are kept for 365 days.')
    const german = await page(`/admin/communities/${community.id}/audit?lang=de`, cookie)
    expect(german.text).toContain('Einstellungen geändert')

    const csv = await page(`/admin/communities/${community.id}/audit.csv`, cookie)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe('at,action,actor,actor_token_id,target_id,actor_link_made_by,detail')
    expect(lines.slice(1).map((line) => line.split(',')[1])).toEqual([
      'settings.changed',
      'link.created',
      'link.created',
      'link.created',
      'community.created',
    ])
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[^,]+,settings\.changed,owner,,cmt_[^,]+,,$/)
    // The API's export is the same file, filtered as asked.
    const viaApi = await call(
      'GET',
      `/api/communities/${community.id}/audit-log.csv?action=link.created`,
    )
    expect(viaApi.status).toBe(200)
    expect(viaApi.text.trim().split('\r\n')).toHaveLength(4)
  })

  it('is for community admins: a group admin gets neither the page nor the CSV', async () => {
    const community = await createCommunity()
    const lead = await createToken({
      role: 'group_admin',
      groupId: (await createGroup(community.id)).id,
    })
    const { cookie } = await signIn(lead.token)
    expect((await page(`/admin/communities/${community.id}/audit`, cookie)).status).toBe(403)
    expect((await page(`/admin/communities/${community.id}/audit.csv`, cookie)).status).toBe(403)
  })

  it('forgets entries after AUDIT_RETENTION_DAYS (365), through the cron job', async () => {
    const community = await createCommunity()
    const now = Date.now()
    const insert = env.DB.prepare(
      `insert into audit_log (id, community_id, at, action, actor_name) values (?, ?, ?, 'link.created', 'owner')`,
    )
    await env.DB.batch([
      insert.bind('aud_0000000000old0000000000000', community.id, now - 366 * 86400_000),
      insert.bind('aud_0000000000new0000000000000', community.id, now - 364 * 86400_000),
    ])
    await runCron(now)
    const left = await query<{ id: string }>(
      `select id from audit_log where community_id = ? and action = 'link.created'`,
      community.id,
    )
    expect(left.map((row) => row.id)).toEqual(['aud_0000000000new0000000000000'])
  })
})
