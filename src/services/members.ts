import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  groupMembers,
  invites,
  members,
  rewardRules,
  rewards,
  type Member,
  type MemberStatus,
} from '../db/schema'
import { notFound } from '../lib/errors'
import { toPage, type Page } from '../lib/pagination'

export async function getMemberOrThrow(db: Database, id: string): Promise<Member> {
  const member = await db.query.members.findFirst({ where: eq(members.id, id) })
  if (!member) throw notFound('Member')
  return member
}

/** A community's members, oldest first, optionally those of one group or in one status. */
export async function listMembers(
  db: Database,
  communityId: string,
  options: {
    groupId?: string
    status?: MemberStatus
    search?: string
    cursor?: string
    limit: number
  },
): Promise<Page<Member>> {
  const pattern = options.search
    ? `%${options.search.replace(/[%_\\]/g, (char) => `\\${char}`)}%`
    : null
  const where = and(
    eq(members.communityId, communityId),
    options.status ? eq(members.status, options.status) : undefined,
    pattern
      ? sql`(${members.name} like ${pattern} escape '\\' or ${members.phone} like ${pattern} escape '\\' or ${members.email} like ${pattern} escape '\\')`
      : undefined,
    options.cursor ? gt(members.id, options.cursor) : undefined,
  )
  const rows = options.groupId
    ? await db
        .select({ member: members })
        .from(groupMembers)
        .innerJoin(members, eq(members.id, groupMembers.memberId))
        .where(and(eq(groupMembers.groupId, options.groupId), where))
        .orderBy(asc(members.id))
        .limit(options.limit + 1)
        .then((found) => found.map((row) => row.member))
    : await db
        .select()
        .from(members)
        .where(where)
        .orderBy(asc(members.id))
        .limit(options.limit + 1)
  return toPage(rows, options.limit)
}

/** The groups each of these members is in. */
export async function groupIdsOfMembers(
  db: Database,
  memberIds: string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>()
  if (memberIds.length === 0) return result
  const rows = await db.select().from(groupMembers).where(inArray(groupMembers.memberId, memberIds))
  for (const row of rows)
    result.set(row.memberId, [...(result.get(row.memberId) ?? []), row.groupId])
  return result
}

/** A member's personal referral link. */
export async function referralInviteOf(db: Database, memberId: string) {
  return (
    (await db.query.invites.findFirst({ where: eq(invites.referrerMemberId, memberId) })) ?? null
  )
}

/** The rewards a member has earned, with what they are. */
export async function rewardsOf(db: Database, memberId: string) {
  return db
    .select({
      id: rewards.id,
      earnedAt: rewards.earnedAt,
      title: rewardRules.title,
      description: rewardRules.description,
      code: rewardRules.code,
      threshold: rewardRules.threshold,
    })
    .from(rewards)
    .innerJoin(rewardRules, eq(rewardRules.id, rewards.ruleId))
    .where(eq(rewards.memberId, memberId))
    .orderBy(asc(rewardRules.threshold))
}

const CSV_COLUMNS = [
  'id',
  'name',
  'phone',
  'email',
  'status',
  'consent',
  'joined_at',
  'ended_at',
  'referral_count',
  'groups',
  'confirmed_at',
  'consent_method',
  'consent_proof',
  'leave_reason',
] as const

/**
 * All of a community's members as CSV, fetched page by page while the answer streams, so a big
 * export never holds everything in memory. Cells that a spreadsheet would run as a formula are
 * prefixed with a quote.
 */
export function exportMembersCsv(db: Database, communityId: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let cursor: string | undefined
  let started = false
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true
        controller.enqueue(encoder.encode(CSV_COLUMNS.join(',') + '\r\n'))
      }
      const page = await listMembers(db, communityId, { cursor, limit: 500 })
      const groupsOf = await groupIdsOfMembers(
        db,
        page.data.map((member) => member.id),
      )
      const lines = page.data.map((member) =>
        [
          member.id,
          member.name,
          member.phone ?? '',
          member.email ?? '',
          member.status,
          member.consent ? 'yes' : 'no',
          member.joinedAt.toISOString(),
          member.endedAt?.toISOString() ?? '',
          String(member.referralCount),
          (groupsOf.get(member.id) ?? []).join(' '),
          member.confirmedAt?.toISOString() ?? '',
          member.consentMethod ?? '',
          member.consentProof ?? '',
          member.leaveReason ?? '',
        ]
          .map(csvCell)
          .join(','),
      )
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('\r\n') + '\r\n'))
      cursor = page.nextCursor ?? undefined
      if (!page.nextCursor) controller.close()
    },
  })
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** Referrers ranked by approved referrals: all time from the kept counts, or within a period. */
export async function leaderboard(
  db: Database,
  communityId: string,
  options: { from?: Date; to?: Date; limit: number },
) {
  if (!options.from && !options.to) {
    return db
      .select({ memberId: members.id, name: members.name, referrals: members.referralCount })
      .from(members)
      .where(and(eq(members.communityId, communityId), gt(members.referralCount, 0)))
      .orderBy(sql`${members.referralCount} desc`, asc(members.id))
      .limit(options.limit)
  }
  const referred = db
    .select({
      referrerId: members.referredByMemberId,
      referrals: sql<number>`count(*)`.as('referrals'),
    })
    .from(members)
    .where(
      and(
        eq(members.communityId, communityId),
        sql`${members.referredByMemberId} is not null`,
        options.from ? sql`${members.joinedAt} >= ${options.from.getTime()}` : undefined,
        options.to ? sql`${members.joinedAt} < ${options.to.getTime()}` : undefined,
      ),
    )
    .groupBy(members.referredByMemberId)
    .as('referred')
  return db
    .select({ memberId: members.id, name: members.name, referrals: referred.referrals })
    .from(referred)
    .innerJoin(members, eq(members.id, referred.referrerId))
    .orderBy(sql`${referred.referrals} desc`, asc(members.id))
    .limit(options.limit)
}
