import {
  assertFallbackUsable,
  chosenFallbackQuery,
  fallbackCandidatesQuery,
  fallbackChoicesQuery,
  fallbackWayQuery,
} from '../../src/services/link-fallbacks'
import { findQrTarget } from '../../src/services/qr-designs'
import { listRecipients } from '../../src/services/announcement-recipients'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { drizzle } from 'drizzle-orm/d1'
import * as schema from '../../src/db/schema'
import { findPrincipalByToken, revokeToken } from '../../src/services/tokens'
import { teammatesByEmail } from '../../src/services/access-sign-in'
import {
  endAllSessions,
  endSession,
  findSession,
  pruneSessions,
  startSession,
} from '../../src/services/sessions'
import {
  findInviteByCode,
  findInviteWithCommunity,
  findLanding,
  listInvitesQuery,
  setInviteArchived,
  updateInvite,
} from '../../src/services/invites'
import { retiredCode } from '../../src/services/retired-codes'
import {
  communitiesWithPending,
  findJoinRequestByStatusToken,
  listJoinRequests,
} from '../../src/services/join-requests'
import {
  exportMembersCsv,
  leaderboard,
  listMembers,
  memberPageQueries,
  referralInviteOf,
} from '../../src/services/members'
import { getDashboardStats } from '../../src/services/stats'
import { getStats } from '../../src/services/stats-api'
import { homeFigureQueries } from '../../src/services/home-figures'
import { compareLinks, compareSources } from '../../src/services/stats-compare'
import { pruneVisitMessages, recordVisits, writtenVisitMessages } from '../../src/services/visits'
import {
  communityQuery,
  createCommunity as createCommunityRow,
  deleteCommunity,
  listCommunities,
  listedCommunityIds,
  updateCommunity,
} from '../../src/services/communities'
import { deleteGroup, listGroups, updateGroup } from '../../src/services/groups'
import { claimSeat, releaseInterruptedApprovals } from '../../src/platforms/telegram/join-requests'
import { heldUsesQuery, knownTagsOfCommunityQuery } from '../../src/services/link-settings'
import { eraseMember } from '../../src/services/erasure'
import {
  claimDueAnnouncements,
  communityOfAnnouncement,
  listedAnnouncementIds,
} from '../../src/services/announcements'
import {
  deliverySummariesQuery,
  deliverySummary,
  deliverySummaryQueries,
  listDeliveries,
} from '../../src/services/announcement-deliveries'
import { fanOutEvents } from '../../src/services/webhooks'
import { countAttempt } from '../../src/services/rate-limits'
import { cancelRun } from '../../src/services/delivery/runs'
import {
  reconcileEventDeliveries,
  reconcileRun,
  reconcileRuns,
} from '../../src/services/delivery/reconcile'
import { loadConfig } from '../../src/lib/config'
import { join } from '../../src/services/joining'
import { getJoinRequestForApprovalOrThrow } from '../../src/services/joining-decisions'
import { getJoinTarget } from '../../src/services/joining-target'
import { fullGroupsQuery, groupsByIdQuery } from '../../src/services/full-groups'
import { endMembership } from '../../src/services/leaving'
import { findRequestByCode } from '../../src/services/consent'
import { numberLanguage } from '../../src/services/whatsapp-words'
import { wayBack } from '../../src/services/opt-outs'
import { sendDueNotices } from '../../src/services/decision-notices'
import {
  pruneUnconfirmed,
  eraseExpiredSignUps,
  pruneDeadLetters,
  pruneDeliveredEvents,
} from '../../src/services/retention'
import { pruneTelegramPeople } from '../../src/services/telegram-retention'
import {
  applyInboundItem,
  listInboundMessages,
  pruneInboundNotifications,
} from '../../src/services/whatsapp-inbound'
import { deliveriesOfStatuses } from '../../src/services/whatsapp-statuses'
import { linkSettingsQueries } from '../../src/services/link-settings'
import { creditRetainedReferrals, memberRewards, rewardsQuery } from '../../src/services/rewards'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  joinJson,
  newPhone,
  joinAsMember,
} from './helpers'

/** A drizzle client over D1 that remembers every statement it prepares. */
function recordingDb(seen: Set<string>) {
  const d1 = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          seen.add(query)
          return target.prepare(query)
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return drizzle(d1, { schema })
}

function parameterCount(query: string): number {
  const numbered = [...query.matchAll(/\?(\d+)/g)].map((m) => Number(m[1]))
  return numbered.length ? Math.max(...numbered) : (query.match(/\?/g) ?? []).length
}

/** A plan line that reads a whole table (or a whole index) rather than searching it. */
function linearScans(plan: string[]): string[] {
  return plan.filter(
    (line) =>
      /^SCAN (?!CONSTANT ROW)/.test(line) &&
      // Derived tables (named subqueries such as `referred`, `ranked`, the stats breakdowns'
      // `picked`, `combos`, `grouped`, the home page's joins `per_link`, the recursive `made` of
      // the tokens a token made, the `way` on of a link's fallbacks) hold what an index search of their own found; their own plan
      // lines are checked too.
      !/^SCAN (json_each|\(subquery|referred|ranked|values|picked|combos|grouped|made|per_link|way)\b/i.test(
        line,
      ),
  )
}

/**
 * A read of a community's campaign links (`referrer_member_id is null`) that does not go through
 * `invites_campaign_idx` (or the links' ids): any other index holds its members' own links too
 * (one per member), or every community's campaign links, and the read grows with them.
 */
function campaignLinksOfAll(plan: string[], query: string): string[] {
  if (!/"referrer_member_id" is null/.test(query)) return []
  // Or by the links' own ids, which find each one at once.
  const throughIt =
    /USING (COVERING )?INDEX (invites_campaign_idx\b|sqlite_autoindex_invites_1 \(id=\?\))/
  return plan.some((line) => throughIt.test(line))
    ? []
    : plan.filter((line) => /^(SEARCH|SCAN) invites\b/.test(line))
}

describe('query plans of the request paths', () => {
  it('every query a request makes searches an index; none reads a whole table', async () => {
    const community = await createCommunity({ visibility: 'closed', joinQuestions: ['Why?'] })
    const group = await createGroup(community.id)
    const invite = await createInvite(community.id, { groupId: group.id })
    const pending = await joinJson(invite.code, {
      name: 'Plan',
      phone: newPhone(),
      answers: ['Because'],
    })
    await call('POST', `/api/join-requests/${pending.json.joinRequestId}/approve`)
    const memberId = (await env.DB.prepare('select id from members where community_id = ?')
      .bind(community.id)
      .first<{ id: string }>())!.id

    // A community to delete, with a group, a link and a member, and a member to erase there.
    const doomed = await createCommunity()
    const doomedGroup = await createGroup(doomed.id)
    const doomedInvite = await createInvite(doomed.id, { groupId: doomedGroup.id })
    const erased = await joinAsMember(doomedInvite.code, { name: 'Erased', phone: newPhone() })
    expect(erased.status, erased.text).toBe(201)

    const seen = new Set<string>()
    const db = recordingDb(seen)
    const now = new Date()
    const page = { limit: 20 }
    await findPrincipalByToken(db, 'cg_unknown-token-value-for-plans-0000000000', undefined)
    const session = await startSession(db, { bootstrapKey: 'plan' }, now)
    await findSession(db, session, 'plan', now, community.id)
    await endSession(db, session)
    await endAllSessions(db, { tokenId: 'tok_plan' }, now)
    await endAllSessions(db, { bootstrapKey: 'plan' }, now)
    await revokeToken(db, 'tok_plan', now)
    await teammatesByEmail(db, 'plan@example.org')
    await pruneSessions(db, now)
    await findLanding(db, invite.code)
    await findInviteByCode(db, invite.code)
    await findQrTarget(db, invite.code)
    await listRecipients(db, 'ann_plan', { status: 'failed', limit: 50 })
    await listRecipients(db, 'ann_plan', { cursor: 'dsp_plan~mem_plan', limit: 50 })
    await findInviteWithCommunity(db, invite.code)
    await retiredCode(db, invite.code)
    await listCommunities(
      db,
      {
        tokenId: 't',
        name: 'n',
        role: 'community_admin',
        communityId: community.id,
        groupId: null,
      },
      page,
    )
    await listGroups(db, community.id, page)
    await listInvitesQuery(db, community.id, { ...page, referralLinks: false })
    await fallbackChoicesQuery(db, invite.id)
    await chosenFallbackQuery(db, invite.id)
    await fallbackCandidatesQuery(db, community.id, [invite.id])
    await assertFallbackUsable(db, community.id, invite.id, undefined, now)
    await fallbackWayQuery(db, invite.id)
    await getStats(db, { inviteId: invite.id }, { from: '2026-01-01', to: '2026-12-31' })
    await getStats(db, { communityId: community.id }, { from: '2026-01-01', to: '2026-12-31' })
    const year = { from: '2026-01-01', to: '2026-12-31', days: ['2026-01-01'] }
    await getDashboardStats(db, { communityId: community.id }, year, '2026-12-31')
    await getDashboardStats(db, { inviteId: invite.id }, year, '2026-12-31')
    // A visit's rollup upsert, with the referrer bound looked up in the same statement, and the
    // ids of the queue messages written, looked up for a batch and forgotten by the cron job.
    await writtenVisitMessages(db, ['plan-visit-message'])
    await pruneVisitMessages(db, now)
    await recordVisits(
      db,
      [
        {
          inviteId: invite.id,
          communityId: community.id,
          at: now.getTime(),
          via: 'qr',
          country: 'DE',
          referrerHost: 't.co',
          device: 'mobile',
          isBot: false,
          visitorHash: '0'.repeat(32),
        },
      ],
      ['plan-visit-message'],
    )
    // Every breakdown under every filter at once, and the compare page's links and sources.
    const allFilters = {
      source: 'instagram',
      campaign: '(none)',
      country: 'DE',
      device: 'mobile' as const,
      referrer: 't.co',
      via: 'qr' as const,
    }
    await getStats(db, { communityId: community.id }, { ...year, filters: allFilters })
    await getStats(db, { inviteId: invite.id }, { ...year, filters: allFilters })
    await getDashboardStats(db, { communityId: community.id }, year, '2026-12-31', allFilters)
    for (const telegram of [false, true]) {
      await compareLinks(db, community.id, [invite.id, 'inv_x'], year, '2026-12-31', allFilters, {
        telegram,
        principal: {
          tokenId: null,
          name: 'owner',
          role: 'owner',
          communityId: null,
          groupId: null,
        },
      })
      await compareSources(db, community.id, ['flyer', '(none)'], year, '2026-12-31', {}, telegram)
    }
    // The dashboard's pages, each read in one batch (ids as subqueries of the page's own reads).
    const admin = {
      tokenId: 't',
      name: 'n',
      role: 'community_admin' as const,
      communityId: community.id,
      groupId: null,
    }
    await db.batch(homeFigureQueries(db, listedCommunityIds(db, admin, 100), year, now))
    await db.batch(memberPageQueries(db, community.id, { ...page, groupId: group.id, search: 'x' }))
    // The dashboard's list, newest first, on a page past the first.
    await db.batch(
      memberPageQueries(db, community.id, {
        ...page,
        newestFirst: true,
        cursor: 'mem_zzzzzzzzzzzzzzzzzzzzzzzzzz',
      }),
    )
    await deliverySummariesQuery(db, listedAnnouncementIds(db, community.id, page))
    await communityQuery(db, communityOfAnnouncement('ann_plan'))
    // A link's page (its community and groups by subquery) and the overview's.
    await db.batch(linkSettingsQueries(db, invite.id))
    await listInvitesQuery(db, community.id, { ...page, archived: true })
    await rewardsQuery(db, community.id, { rows: 20 })
    await db.batch(deliverySummaryQueries(db, 'ann_plan'))
    await listJoinRequests(db, community.id, { status: 'pending', ...page })
    // The approvals across communities: each community probed through the pending index.
    await communitiesWithPending(db, { communityId: community.id, limit: 10 })
    await communitiesWithPending(db, { communityId: null, cursor: community.id, limit: 10 })
    // The approvals pages' full groups, and the groups a decision found full.
    await fullGroupsQuery(db, [community.id, doomed.id], now)
    await groupsByIdQuery(db, [group.id, doomedGroup.id], community.id)
    await groupsByIdQuery(db, [group.id], null)
    await findJoinRequestByStatusToken(db, 'x'.repeat(43))
    await listMembers(db, community.id, page)
    await listMembers(db, community.id, { ...page, groupId: group.id, status: 'active' })
    await leaderboard(db, community.id, { limit: 20 })
    await leaderboard(db, community.id, { from: new Date('2026-01-01'), to: now, limit: 20 })
    await referralInviteOf(db, memberId)
    await memberRewards(db, { id: memberId, communityId: community.id, referralCount: 0 })
    await countAttempt(db, [{ key: 'plan-test', limit: 100, windowSeconds: 60 }], now)
    await getJoinTarget(db, community.id, group.id)
    await getJoinRequestForApprovalOrThrow(db, pending.json.joinRequestId)
    await join(
      db,
      (await findInviteByCode(db, invite.code))!,
      {
        name: 'Second',
        phone: newPhone(),
        email: null,
        answers: ['x'],
        consent: true,
        country: 'DE',
      },
      { now, cooldownDays: 30 },
    )
    // Double opt-in and WhatsApp's notifications (an unknown message id, an unknown sender).
    await pruneUnconfirmed(db, now)
    // An expired sign-up goes with the events naming it (found through the payload's index).
    await eraseExpiredSignUps(db, ['jr_00000000000000000000000000'], now)
    await findRequestByCode(db, 'plan-secret', ['ABCD-EFGH'], '+4915112345678', now)
    // The language a number's STOP or START is answered in: its newest sign-up's.
    await numberLanguage(db, '+4915112345678')
    // Whether an ended membership comes back, and how (the rule a resume follows).
    await wayBack(db, memberId, now)
    const deps = { config: loadConfig(env), deliveryQueue: env.DELIVERY_QUEUE }
    await deliveriesOfStatuses(db, [
      { kind: 'status', wamid: 'wamid.plan', status: 'read', errorCode: null, errorTitle: null },
    ])
    await applyInboundItem(
      db,
      deps,
      { kind: 'status', wamid: 'wamid.plan', status: 'read', errorCode: null, errorTitle: null },
      now,
    )
    await applyInboundItem(
      db,
      deps,
      {
        kind: 'preference',
        waId: '4915100000000',
        value: 'stop',
        timestamp: Math.floor(now.getTime() / 1000),
      },
      now,
    )
    await applyInboundItem(
      db,
      deps,
      {
        kind: 'preference',
        waId: '4915100000000',
        value: 'resume',
        timestamp: Math.floor(now.getTime() / 1000),
      },
      now,
    )
    await applyInboundItem(
      db,
      deps,
      { kind: 'message', wamid: 'wamid.plan-in', from: '4915100000000', type: 'text', text: 'Hi' },
      now,
    )
    await pruneInboundNotifications(db, now)
    await listInboundMessages(db, community.id, page)
    await creditRetainedReferrals(db, now)
    await claimDueAnnouncements(db, new Date(0))
    await listDeliveries(db, 'ann_00000000000000000000000000', page)
    // The cron job's reconciler, for each channel's policy, and an admin stopping a run.
    await reconcileRuns(db, env.DELIVERY_QUEUE, loadConfig(env), now)
    const run = {
      id: 'dsp_00000000000000000000000000',
      announcementId: 'ann_00000000000000000000000000',
      scheduledFor: now,
      status: 'expanding' as const,
      channel: 'webhook' as const,
      cursor: null,
      queued: 0,
      sent: 0,
      failed: 0,
      skipped: 0,
      unknown: 0,
      cancelled: 0,
      delivered: 0,
      read: 0,
      undelivered: 0,
      createdAt: now,
      progressAt: now,
      waitingUntil: null,
      reconciledAt: null,
      finishedAt: null,
    }
    const quiet = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue
    await reconcileRun(db, quiet, loadConfig(env), run, now, { force: true })
    const whatsapp = { ...loadConfig(env), DELIVERY_CHANNEL: 'whatsapp' as const }
    await reconcileRun(db, quiet, whatsapp, run, now, { force: false })
    await cancelRun(db, run.id, now)
    await reconcileEventDeliveries(db, quiet, loadConfig(env), now)
    // The cron job's WhatsApp notices of decisions: interrupted claims settled, due ones claimed.
    await sendDueNotices(db, loadConfig(env), new Date(now.getTime() + 10 * 60_000))
    await deliverySummary(db, 'ann_00000000000000000000000000')
    await listMembers(db, community.id, { ...page, search: 'plan' })
    await new Response(exportMembersCsv(db, community.id)).text()
    await createCommunityRow(db, { name: community.name, description: '', visibility: 'open' }, now)
    await fanOutEvents(db, env.EVENTS_QUEUE, now)
    // A month on, the events just handed on are past their retention and go.
    const later = new Date(now.getTime() + 31 * 86400_000)
    expect(await pruneDeliveredEvents(db, later, 30)).toBeGreaterThan(0)
    await pruneDeadLetters(db, later, 30)
    // The hourly sweep of what Telegram reported about people.
    await pruneTelegramPeople(db, later)
    // Erasing a member (their events found through the payload's indexes), deleting a group,
    // and deleting a community with its tokens.
    const erasable = await db.query.members.findFirst({
      where: (m, { eq }) => eq(m.id, erased.json.memberId as string),
    })
    await eraseMember(db, erasable!, now)
    const otherGroup = await createGroup(doomed.id)
    // Linking a group to a Telegram chat and unlinking it (its links follow the chat).
    const groupRow = async () =>
      (await db.query.groups.findFirst({ where: (g, { eq }) => eq(g.id, otherGroup.id) }))!
    await updateGroup(db, await groupRow(), { telegramChatId: -1009990001 }, now)
    // The seat an approval into that chat claims first, and the cron job's release of claims
    // a stopped Worker left.
    await claimSeat(db, { id: 'tjr_plan', communityId: doomed.id, chatId: -1009990001 }, now)
    await releaseInterruptedApprovals(db, now)
    await updateGroup(db, await groupRow(), { telegramChatId: null }, now)
    await knownTagsOfCommunityQuery(db, { inviteId: doomedInvite.id })
    await knownTagsOfCommunityQuery(db, { communityId: doomed.id })
    await heldUsesQuery(db, doomedInvite.id, now)
    await deleteGroup(db, await groupRow(), now)
    const doomedRow = await db.query.communities.findFirst({
      where: (c, { eq }) => eq(c.id, doomed.id),
    })
    // Changing a link's limit and its group, archiving and restoring it (its Telegram link
    // follows).
    const linkRow = async () =>
      (await db.query.invites.findFirst({ where: (i, { eq }) => eq(i.id, doomedInvite.id) }))!
    await updateInvite(db, await linkRow(), { maxUses: 100 }, now)
    await updateInvite(db, await linkRow(), { groupId: null }, new Date(now.getTime() + 1))
    await setInviteArchived(db, await linkRow(), true, now)
    await setInviteArchived(db, await linkRow(), false, now)
    // Closing a community (its Telegram links are replaced).
    await updateCommunity(db, doomedRow!, { visibility: 'closed' }, now)
    await deleteCommunity(db, doomedRow!)
    // A leave counts on its join's rollup row, found by key.
    const leaving = (await db.query.members.findFirst({
      where: (m, { eq }) => eq(m.id, memberId),
    }))!
    await endMembership(db, leaving, 'left', now)

    expect(seen.size).toBeGreaterThan(25)
    const offenders: string[] = []
    for (const query of seen) {
      const explained = await env.DB.prepare(`explain query plan ${query}`)
        .bind(...Array(parameterCount(query)).fill(null))
        .all<{ detail: string }>()
      const plan = explained.results.map((row) => row.detail)
      const scans = [...linearScans(plan), ...campaignLinksOfAll(plan, query)]
      if (process.env.SHOW_PLANS)
        console.log(
          explained.results.map((row) => row.detail).join(' | '),
          '::',
          query.replace(/\s+/g, ' ').slice(0, 100),
        )
      if (scans.length)
        offenders.push(`${scans.join(' | ')}\n    ${query.replace(/\s+/g, ' ').slice(0, 240)}`)
    }
    expect(offenders, offenders.join('\n')).toEqual([])
  })
})

describe('query plans of deletions', () => {
  it('every row a deleted row’s foreign keys reach is found through an index', async () => {
    // A deletion's cascades (and SET NULL actions) run a statement per deleted row on each table
    // whose foreign key names it: each must search, or deleting a community scans every table
    // once per member, link and group. The plan of deleting one parent row lists each of them.
    const tables = await env.DB.prepare(
      `select name from sqlite_master where type = 'table' and name not like '\\_cf\\_%' escape '\\'
         and name not like 'sqlite\\_%' escape '\\' and name not like 'd1\\_%' escape '\\'`,
    ).all<{ name: string }>()
    const parents = new Set<string>()
    for (const { name } of tables.results) {
      const keys = await env.DB.prepare(`pragma foreign_key_list("${name}")`).all<{
        table: string
      }>()
      for (const key of keys.results) parents.add(key.table)
    }
    expect([...parents]).toEqual(
      expect.arrayContaining(['communities', 'groups', 'invites', 'members', 'api_tokens']),
    )
    const offenders: string[] = []
    for (const parent of parents) {
      const explained = await env.DB.prepare(
        `explain query plan delete from "${parent}" where rowid = ?`,
      )
        .bind(null)
        .all<{ detail: string }>()
      const details = explained.results.map((row) => row.detail)
      const scans = details.filter((line) => line.startsWith('SCAN '))
      if (scans.length) offenders.push(`${parent}: ${scans.join(' | ')}`)
    }
    expect(offenders, offenders.join('\n')).toEqual([])
  })
})
