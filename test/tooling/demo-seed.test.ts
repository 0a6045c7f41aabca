import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoHistorySql } from '../../scripts/demo-history.mjs'
import { canonicalCode, customCodeProblem } from '../../src/lib/codes'
import { prepareLocalDatabase, toolEnv } from '../support/worker-server'

const root = path.resolve(import.meta.dirname, '../..')
const scratch = mkdtempSync(path.join(tmpdir(), 'demo-seed-'))
const where = ['--local', '--persist-to', scratch]
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Rows of a query, read straight from the local database's SQLite file. */
function rows<T = Record<string, number | string>>(sql: string): T[] {
  const db = new DatabaseSync(databaseFile(), { readOnly: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}

function databaseFile(): string {
  const dir = path.join(scratch, 'v3/d1/miniflare-D1DatabaseObject')
  const file = readdirSync(dir).find(
    (name) => name.endsWith('.sqlite') && name !== 'metadata.sqlite',
  )
  return path.join(dir, file!)
}

function loadDemo() {
  const run = spawnSync(
    'node',
    ['-e', `import('./scripts/demo-load.mjs').then((m) => m.loadDemo(${JSON.stringify(where)}))`],
    { cwd: root, env: toolEnv, encoding: 'utf8' },
  )
  expect(run.status, run.stdout + run.stderr).toBe(0)
  return run.stdout + run.stderr
}

beforeAll(() => {
  prepareLocalDatabase(where)
  expect(loadDemo()).toBe('') // quiet
}, 120_000)

describe('the demo a newcomer sees', () => {
  it('has sixty days of visits by channel and country, scans and clicks, and one race day', () => {
    const [days] = rows<{ days: number; first: string }>(
      `select count(distinct day) as days, min(day) as first from invite_daily_stats
       where community_id = 'cmt_0000000000000000000000000b'`,
    )
    expect(days!.days).toBe(60)
    const channels = rows<{ source: string; scans: number; clicks: number }>(
      `select i.source, sum(s.qr_visits) as scans, sum(s.link_visits) as clicks
       from invite_daily_stats s join invites i on i.id = s.invite_id group by i.source`,
    )
    const bySource = Object.fromEntries(channels.map((row) => [row.source, row]))
    expect(Object.keys(bySource)).toEqual(
      expect.arrayContaining(['poster', 'instagram', 'website', 'partner', 'flyer', 'referral']),
    )
    expect(bySource.poster!.scans).toBeGreaterThan(bySource.poster!.clicks * 3) // print is scanned
    expect(bySource.instagram!.clicks).toBeGreaterThan(bySource.instagram!.scans * 3)
    const countries = rows<{ country: string }>(
      'select distinct country from invite_daily_stats order by 1',
    ).map((row) => row.country)
    expect(countries).toEqual(['AT', 'CH', 'DE', 'NL', 'XX'])
    const [peak] = rows<{ visits: number }>(
      `select max(v) as visits from (select sum(visits) as v from invite_daily_stats
       where invite_id = 'inv_0000000000000000000000000b' group by day)`,
    )
    expect(peak!.visits).toBeGreaterThan(500)
  })

  it('has devices and referrers on visits and sign-ups alike, so every breakdown has a funnel', () => {
    const devices = rows<{ device: string; visits: number; joins: number }>(
      `select device, sum(visits) as visits, sum(joins) as joins from invite_daily_stats
       group by device order by device`,
    )
    expect(devices.map((row) => row.device)).toEqual(['bot', 'desktop', 'mobile', 'tablet'])
    const mobile = devices.find((row) => row.device === 'mobile')!
    expect(mobile.visits).toBeGreaterThan(devices.find((row) => row.device === 'desktop')!.visits)
    expect(mobile.joins).toBeGreaterThan(0)
    const [instagram] = rows<{ visits: number; joins: number }>(
      `select sum(visits) as visits, sum(joins) as joins from invite_daily_stats
       where referrer_host = 'l.instagram.com'`,
    )
    expect(instagram!.joins).toBeGreaterThan(0)
    // Each sign-up of the history carries the origin its rollup row counts it under (the base
    // seed's three sign-ups, with fixed ids, say nothing of theirs).
    const [unknown] = rows<{ n: number }>(
      `select count(*) as n from join_requests
       where id not like 'jr_0000000000000000000000%' and via = 'unknown'`,
    )
    expect(unknown!.n).toBe(0)
  })

  // Joins on the web; Telegram's, verified, are counted apart (below).
  it('has joins, approvals and rejections, pending requests, leavers, and rollups that agree', () => {
    const requests = Object.fromEntries(
      rows<{ status: string; n: number }>(
        'select status, count(*) as n from join_requests group by status',
      ).map((row) => [row.status, row.n]),
    )
    expect(requests.pending).toBeGreaterThan(0)
    expect(requests.rejected).toBeGreaterThan(0)
    expect(requests.approved).toBeGreaterThan(300)
    const [agree] = rows<{ joins: number; members: number; leaves: number; ended: number }>(
      `select (select sum(joins) from invite_daily_stats) as joins,
         (select count(*) from members where invite_id is not null and joined_at > 1767225600000
           and telegram_user_id is null) as members,
         (select sum(leaves) from invite_daily_stats) as leaves,
         (select count(*) from members where status <> 'active' and telegram_user_id is null) as ended`,
    )
    expect(agree!.joins).toBe(agree!.members)
    expect(agree!.leaves).toBe(agree!.ended)
    expect(agree!.ended).toBeGreaterThan(5)
    // Double opt-in: the confirmations counted match the confirmed sign-ups, and some never
    // confirmed.
    const [consent] = rows<{ signUps: number; confirmations: number; confirmed: number }>(
      `select (select sum(join_requests) from invite_daily_stats) as signUps,
         (select sum(confirmations) from invite_daily_stats) as confirmations,
         (select count(*) from join_requests where confirmed_at is not null) as confirmed`,
    )
    expect(consent!.confirmations).toBe(consent!.confirmed)
    expect(consent!.signUps).toBeGreaterThan(consent!.confirmations)
    expect(consent!.confirmations).toBeGreaterThan(agree!.joins)
    const [groups] = rows<{ wrong: number }>(
      `select count(*) as wrong from groups g
       where member_count <> (select count(*) from group_members where group_id = g.id)`,
    )
    expect(groups!.wrong).toBe(0)
  })

  it('has the audit entry of each web request an admin decided, at the decision, by the owner', () => {
    const MAKERS = 'cmt_0000000000000000000000000k'
    // The closed community's requests were approved or rejected on the dashboard, which records
    // each decision (src/api/join-decisions.ts); the open one's were approved as they were
    // confirmed, which no entry records.
    const decided = rows<{
      community: string
      status: string
      requests: number
      entries: number
      wrong: number
    }>(
      `select r.community_id as community, r.status, count(distinct r.id) as requests,
         sum(a.id is null or a.at <> r.decided_at or a.actor_name <> 'owner'
           or a.actor_token_id is not null or a.detail is not null) as wrong,
         count(a.id) as entries
       from join_requests r join communities c on c.id = r.community_id
         left join audit_log a on a.target_id = r.id and a.community_id = r.community_id
           and a.action = case r.status when 'approved' then 'join_request.approved'
             else 'join_request.rejected' end
       where c.visibility = 'closed' and r.status in ('approved', 'rejected')
       group by r.community_id, r.status order by r.status`,
    )
    expect(decided).toEqual([
      expect.objectContaining({ community: MAKERS, status: 'approved', wrong: 0 }),
      expect.objectContaining({ community: MAKERS, status: 'rejected', wrong: 0 }),
    ])
    // One entry each: as many as there are requests decided.
    for (const row of decided) {
      expect(row.requests, row.status).toBeGreaterThan(0)
      expect(row, row.status).toMatchObject({ entries: row.requests })
    }
    // And none for a request no admin decided: the open community's, or one still waiting.
    const [undecided] = rows<{ n: number }>(
      `select count(*) as n from audit_log a join join_requests r on r.id = a.target_id
         join communities c on c.id = r.community_id
       where c.visibility <> 'closed' or r.status not in ('approved', 'rejected')`,
    )
    expect(undecided!.n).toBe(0)
  })

  it('has a referral leaderboard with rewards, and announcements sent with delivery counts', () => {
    const board = rows<{ referrals: number }>(
      `select referral_count as referrals from members
       where community_id = 'cmt_0000000000000000000000000b' and referral_count > 0
       order by referral_count desc`,
    )
    expect(board.length).toBeGreaterThanOrEqual(5)
    expect(rows('select id from rewards').length).toBeGreaterThan(0)
    const sent = rows<{ sent: number; failed: number; delivered: number }>(
      `select d.sent, d.failed,
         (select count(*) from deliveries x where x.dispatch_id = d.id and x.status = 'sent') as delivered
       from announcements a join dispatches d on d.announcement_id = a.id where a.status = 'sent'`,
    )
    expect(sent.length).toBeGreaterThanOrEqual(4)
    for (const run of sent) expect(run.sent).toBe(run.delivered)
    expect(sent.some((run) => run.failed > 0)).toBe(true)
    expect(rows(`select id from announcements where status = 'scheduled'`).length).toBe(2)
    // As the sender does: nobody whose number was not confirmed by then got (or read) a message.
    const unconfirmed = rows(
      `select x.member_id from deliveries x join dispatches d on d.id = x.dispatch_id
         join members m on m.id = x.member_id join communities c on c.id = m.community_id
       where (x.status <> 'skipped' or x.provider_status is not null) and (m.phone is null
         or m.phone_confirmed_at is null or m.phone_confirmed_at > d.scheduled_for
         or (c.consent = 'double' and m.phone_consent_method = 'single_opt_in'))`,
    )
    expect(unconfirmed).toEqual([])
    const skipped = rows<{ skipped: number; rows: number }>(
      `select d.skipped, (select count(*) from deliveries x
         where x.dispatch_id = d.id and x.status = 'skipped' and x.last_error in
           ('no phone number', 'phone number not confirmed')) as rows
       from dispatches d join announcements a on a.id = d.announcement_id where a.status = 'sent'`,
    )
    for (const run of skipped) expect(run.skipped).toBe(run.rows)
    expect(skipped.some((run) => run.skipped > 0)).toBe(true)
    // Over as loaded: the first view of the dashboard shows them sent, not runs stalled until
    // the cron job's first pass.
    expect(
      rows(`select d.id from dispatches d join announcements a on a.id = d.announcement_id
        where a.status = 'sent' and (d.status <> 'done' or d.finished_at is null)`),
    ).toEqual([])
  })

  it('has a Telegram community: sixty days of verified joins and leaves, requests waiting', () => {
    const [chat] = rows<{ title: string; status: string; linked: number }>(
      `select c.title, c.bot_status as status,
         (select count(*) from groups g where g.telegram_chat_id = c.chat_id
           and g.community_id = 'cmt_0000000000000000000000000t') as linked
       from telegram_chats c`,
    )
    expect(chat).toEqual({ title: 'Spree Paddlers', status: 'administrator', linked: 1 })
    const [verified] = rows<{ days: number; joins: number; leaves: number }>(
      `select count(distinct day) as days, sum(verified_joins) as joins,
         sum(verified_leaves) as leaves
       from invite_daily_stats where community_id = 'cmt_0000000000000000000000000t'`,
    )
    expect(verified!.days).toBe(60)
    expect(verified!.leaves).toBeGreaterThan(0)
    expect(verified!.joins).toBeGreaterThan(verified!.leaves)
    // What the rollups count is what Telegram reported, person by person.
    const [members] = rows<{ joined: number; left: number }>(
      `select count(*) as joined, sum(is_member = 0) as left from telegram_memberships
       where chat_id = -1001000000001`,
    )
    expect(members).toEqual({ joined: verified!.joins, left: verified!.leaves })
    const links = rows<{ url: string }>(
      `select url from telegram_invite_links where status = 'active' order by url`,
    )
    expect(links.map((link) => link.url)).toEqual([
      'https://t.me/+DemoSpreePaddlersFlyer',
      'https://t.me/+DemoSpreePaddlersInsta',
    ])
    expect(
      rows(`select id from telegram_join_requests where status = 'pending'`).length,
    ).toBeGreaterThanOrEqual(1)
  })

  it('has Telegram’s leaves on their joins’ cohorts, so verified retention is what they imply', () => {
    const TELEGRAM = 'cmt_0000000000000000000000000t'
    // Of each day's joins through a link, those who left within 7 and within 30 days, as the
    // Worker counts them when Telegram reports the leave (cohortLeaveStatement).
    const cohorts = rows(
      `select invite_id as invite, day, sum(verified_left_within_7_days) as left7,
         sum(verified_left_within_30_days) as left30
       from invite_daily_stats where community_id = '${TELEGRAM}'
       group by invite_id, day
       having sum(verified_left_within_7_days) > 0 or sum(verified_left_within_30_days) > 0
       order by invite, day`,
    )
    const implied = rows(
      `select invite_id as invite, strftime('%Y-%m-%d', joined_at / 1000, 'unixepoch') as day,
         sum(left_at - joined_at <= 7 * 86400000) as left7,
         sum(left_at - joined_at <= 30 * 86400000) as left30
       from telegram_memberships where chat_id = -1001000000001 and left_at is not null
       group by invite, day
       having left7 > 0 or left30 > 0
       order by invite, day`,
    )
    expect(cohorts).toEqual(implied)
    // Read as the dashboard reads it: of the joins at least 7 days old, some have left.
    const today = new Date().toISOString().slice(0, 10)
    const [week] = rows<{ joined: number; left: number }>(
      `select sum(verified_joins) as joined, sum(verified_left_within_7_days) as left
       from invite_daily_stats
       where community_id = '${TELEGRAM}' and day <= date('${today}', '-7 days')`,
    )
    expect(week!.left).toBeGreaterThan(0)
    expect(week!.left).toBeLessThan(week!.joined)
    const [ever] = rows<{ left7: number; left30: number; leaves: number }>(
      `select sum(verified_left_within_7_days) as left7,
         sum(verified_left_within_30_days) as left30, sum(verified_leaves) as leaves
       from invite_daily_stats where community_id = '${TELEGRAM}'`,
    )
    expect(ever!.left30).toBeGreaterThan(ever!.left7)
    expect(ever!.left30).toBeLessThanOrEqual(ever!.leaves)
  })

  it('counts each visit under its way in: the funnel’s scans and clicks are the breakdown’s', () => {
    // The Worker keeps a row per way in (`via`): a QR row holds scans only, a link row clicks.
    for (const table of ['invite_daily_stats', 'invite_monthly_stats']) {
      const mixed = rows(
        `select * from ${table}
         where (via = 'qr' and link_visits <> 0) or (via = 'link' and qr_visits <> 0)
           or (via in ('qr', 'link') and visits <> qr_visits + link_visits)`,
      )
      expect(mixed, table).toEqual([])
    }
    const communities = rows<{
      community: string
      scans: number
      clicks: number
      qr: number
      link: number
    }>(
      `select community_id as community, sum(qr_visits) as scans, sum(link_visits) as clicks,
         sum(case via when 'qr' then visits else 0 end) as qr,
         sum(case via when 'link' then visits else 0 end) as link
       from invite_daily_stats group by community_id`,
    )
    expect(communities.map((row) => row.community)).toContain('cmt_0000000000000000000000000t')
    for (const row of communities) {
      expect({ qr: row.qr, link: row.link }, row.community).toEqual({
        qr: row.scans,
        link: row.clicks,
      })
      expect(row.scans, row.community).toBeGreaterThan(0)
      expect(row.clicks, row.community).toBeGreaterThan(0)
    }
  })

  it('has the members those Telegram joins made, so every page counts the same people', () => {
    const TELEGRAM = 'cmt_0000000000000000000000000t'
    // One member per verified join, as the Worker makes it: the account as the contact, the
    // join as the proof; the ones who left, left as Telegram saw it.
    const [members] = rows<{ joined: number; left: number; wrong: number }>(
      `select count(*) as joined, sum(m.status = 'left') as left,
         sum(t.user_id is null or m.consent_method <> 'telegram_join'
           or m.telegram_consent_method <> 'telegram_join' or m.telegram_consent_proof is null
           or m.telegram_chat_id <> -1001000000001 or m.invite_id is not t.invite_id
           or m.joined_at <> t.joined_at or (m.status = 'left') <> (t.is_member = 0)
           or m.ended_at is not t.left_at) as wrong
       from members m left join telegram_memberships t
         on t.chat_id = m.telegram_chat_id and t.user_id = m.telegram_user_id
       where m.community_id = '${TELEGRAM}'`,
    )
    const [verified] = rows<{ joins: number; leaves: number }>(
      `select sum(verified_joins) as joins, sum(verified_leaves) as leaves
       from invite_daily_stats where community_id = '${TELEGRAM}'`,
    )
    expect(members).toEqual({ joined: verified!.joins, left: verified!.leaves, wrong: 0 })
    // Those still in the chat are in both of its groups; each group and link counts them.
    const groups = rows<{ count: number; inside: number }>(
      `select g.member_count as count,
         (select count(*) from group_members x join members m on m.id = x.member_id
          where x.group_id = g.id and m.status = 'active') as inside
       from groups g where g.community_id = '${TELEGRAM}'`,
    )
    expect(groups).toHaveLength(2)
    for (const group of groups)
      expect(group).toEqual({ count: verified!.joins - verified!.leaves, inside: group.count })
    const links = rows<{ uses: number; joins: number }>(
      `select i.uses, (select sum(verified_joins) from invite_daily_stats s
         where s.invite_id = i.id) as joins
       from invites i where i.community_id = '${TELEGRAM}'`,
    )
    for (const link of links) expect(link.uses).toBe(link.joins)
  })

  it('has an approved Telegram join request behind each of those members, and the audit entry', () => {
    const TELEGRAM = 'cmt_0000000000000000000000000t'
    // The community is closed: each member came in through a request the owner approved on the
    // dashboard (in the audit log as such, at the decision), a moment before Telegram reported
    // the join through the link the request came through.
    const [behind] = rows<{ members: number; approved: number; wrong: number }>(
      `select count(*) as members, count(r.id) as approved,
         sum(r.id is null or r.invite_id is not m.invite_id or r.outcome is not null
           or r.requested_at < c.created_at or r.decided_at <= r.requested_at
           or r.decided_at > m.joined_at or m.joined_at - r.decided_at > 60000
           or a.id is null or a.at <> r.decided_at or a.actor_name <> 'owner'
           or a.actor_token_id is not null) as wrong
       from members m join communities c on c.id = m.community_id
         left join telegram_join_requests r on r.community_id = m.community_id
           and r.chat_id = m.telegram_chat_id and r.user_id = m.telegram_user_id
           and r.status = 'approved'
         left join audit_log a on a.target_id = r.id and a.community_id = m.community_id
           and a.action = 'join_request.approved'
       where m.community_id = '${TELEGRAM}'`,
    )
    expect(behind!.members).toBeGreaterThan(100)
    expect(behind).toEqual({ members: behind!.members, approved: behind!.members, wrong: 0 })
    // Approved ones are only those: one audit entry each, and none without a member.
    const [decisions] = rows<{ approved: number; entries: number }>(
      `select (select count(*) from telegram_join_requests
           where community_id = '${TELEGRAM}' and status = 'approved') as approved,
         (select count(*) from audit_log
           where community_id = '${TELEGRAM}' and action = 'join_request.approved') as entries`,
    )
    expect(decisions).toEqual({ approved: behind!.members, entries: behind!.members })
    // What is left to do: a few waiting, from people who are not members; and one declined a
    // few days ago (within the 30 days declined requests are kept), by the owner, on record.
    const waiting = rows<{ user: number; member: number }>(
      `select r.user_id as user, exists (select 1 from members m
         where m.telegram_chat_id = r.chat_id and m.telegram_user_id = r.user_id) as member
       from telegram_join_requests r where r.community_id = '${TELEGRAM}' and r.status = 'pending'`,
    )
    expect(waiting.length).toBeGreaterThanOrEqual(3)
    for (const request of waiting) expect(request.member, String(request.user)).toBe(0)
    const declined = rows<{ days: number; actor: string; member: number }>(
      `select (${Date.now()} - r.decided_at) / 86400000.0 as days, a.actor_name as actor,
         exists (select 1 from members m where m.telegram_user_id = r.user_id) as member
       from telegram_join_requests r join audit_log a on a.target_id = r.id
         and a.action = 'join_request.rejected' and a.at = r.decided_at
       where r.community_id = '${TELEGRAM}' and r.status = 'declined'`,
    )
    expect(declined).toHaveLength(1)
    expect(declined[0]).toMatchObject({ actor: 'owner', member: 0 })
    expect(declined[0]!.days).toBeGreaterThan(0)
    expect(declined[0]!.days).toBeLessThan(30)
  })

  it('ends every join on WhatsApp at a chat link: each group people land in has one', () => {
    // A sign-up without a group lands in the community's announcement group.
    const missing = rows<{ code: string }>(
      `select i.code from invites i join communities c on c.id = i.community_id
         join groups g on g.id = coalesce(i.group_id,
           (select a.id from groups a where a.community_id = c.id and a.kind = 'announcement'))
       where g.telegram_chat_id is null and g.chat_invite_url is null`,
    )
    expect(missing).toEqual([])
  })

  it('has links with real custom codes: valid, stored lower case, registered as issued', () => {
    const links = rows<{ code: string; registered: string | null; retired: number | null }>(
      `select i.code, c.invite_id as registered, c.retired_at as retired
       from invites i left join invite_codes c on c.code = i.code`,
    )
    expect(links.map((link) => link.code)).toEqual(
      expect.arrayContaining(['sundayrunners', 'runnersinsta', 'repairflyer']),
    )
    expect(links.filter((link) => link.code.startsWith('runwith')).length).toBeGreaterThan(0)
    for (const link of links) {
      expect(customCodeProblem(link.code), link.code).toBeNull()
      expect(canonicalCode(link.code)).toBe(link.code)
      expect(link.registered, link.code).not.toBeNull()
      expect(link.retired, link.code).toBeNull()
    }
  })

  it('has a poster whose campaign is over, its page leading on to the current poster', () => {
    const [ended] = rows<{ expired: number; leadsTo: string }>(
      `select i.expires_at < unixepoch('now') * 1000 as expired, f.code as leadsTo
       from invites i join invites f on f.id = i.fallback_invite_id
       where i.code = 'winterposter'`,
    )
    expect(ended).toEqual({ expired: 1, leadsTo: 'sundayrunners' })
  })

  it('loads once: a second run changes nothing', () => {
    const count = () =>
      rows<{ n: number }>(
        `select (select count(*) from members) + (select count(*) from invite_daily_stats)
           + (select count(*) from deliveries) + (select count(*) from announcements)
           + (select count(*) from telegram_join_requests) + (select count(*) from audit_log) as n`,
      )[0]!.n
    const before = count()
    loadDemo()
    expect(count()).toBe(before)
  }, 60_000)

  it('stays within D1’s limits: no statement over 100 KB, no bound parameters', () => {
    const statements = demoHistorySql(new Date()).split(/;\n/)
    for (const statement of statements)
      expect(new TextEncoder().encode(statement).length).toBeLessThan(100_000)
    expect(demoHistorySql(new Date('2026-03-01T12:00:00Z'))).toBe(
      demoHistorySql(new Date('2026-03-01T12:00:00Z')),
    )
  })
})
