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
import { chunks, ID_CHUNK } from '../lib/chunks'
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
  // instr(), not LIKE: a search of any length stays within D1's 50-byte LIKE patterns, and `%`
  // or `_` are plain characters. Letters A-Z match either case, as LIKE's did.
  const needle = options.search?.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
  const where = and(
    eq(members.communityId, communityId),
    options.status ? eq(members.status, options.status) : undefined,
    needle
      ? sql`(instr(lower(${members.name}), ${needle}) > 0 or instr(lower(${members.phone}), ${needle}) > 0 or instr(lower(${members.email}), ${needle}) > 0)`
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

/** The groups each of these members is in: `ID_CHUNK` ids per statement, in one batch. */
export async function groupIdsOfMembers(
  db: Database,
  memberIds: string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>()
  const [first, ...rest] = chunks(memberIds, ID_CHUNK).map((ids) =>
    db.select().from(groupMembers).where(inArray(groupMembers.memberId, ids)),
  )
  if (!first) return result
  for (const rows of await db.batch([first, ...rest])) {
    for (const row of rows)
      result.set(row.memberId, [...(result.get(row.memberId) ?? []), row.groupId])
  }
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
  'phone_confirmed_at',
  'phone_consent_method',
  'email_confirmed_at',
  'email_consent_method',
] as const

/** Members per page of the CSV export: one query each, so a million members take 1,000. */
export const EXPORT_PAGE = 1000

/**
 * All of a community's members as CSV, fetched page by page while the answer streams, so a big
 * export never holds everything in memory. Each page is one query, the groups included, and
 * binds no list of ids. Cells that a spreadsheet would run as a formula are prefixed with a
 * quote; phone numbers are not (see `csvCell`).
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
      const rows = await db
        .select({
          member: members,
          groups: sql<
            string | null
          >`(select group_concat(${groupMembers.groupId}, ' ') from ${groupMembers} where ${groupMembers.memberId} = ${members.id})`,
        })
        .from(members)
        .where(
          and(eq(members.communityId, communityId), cursor ? gt(members.id, cursor) : undefined),
        )
        .orderBy(asc(members.id))
        .limit(EXPORT_PAGE)
      const lines = rows.map(({ member, groups }) =>
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
          groups ?? '',
          member.confirmedAt?.toISOString() ?? '',
          member.consentMethod ?? '',
          member.consentProof ?? '',
          member.leaveReason ?? '',
          member.phoneConfirmedAt?.toISOString() ?? '',
          member.phoneConsentMethod ?? '',
          member.emailConfirmedAt?.toISOString() ?? '',
          member.emailConsentMethod ?? '',
        ]
          .map(csvCell)
          .join(','),
      )
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('\r\n') + '\r\n'))
      cursor = rows.at(-1)?.member.id
      if (rows.length < EXPORT_PAGE) controller.close()
    },
  })
}

/** What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A phone number as the product stores it: E.164, `+` then 8 to 15 digits. A spreadsheet reads
 * `+` followed by digits alone as that very number: there is no function, reference or DDE call
 * in it to run, so it cannot inject, and it is written as it is. Each way of marking it as text
 * costs more than it gives: an apostrophe becomes part of the value for every program reading
 * the file and shows in spreadsheets too; `="+49..."` is exact only in a spreadsheet that
 * evaluates it, is a formula itself, and is garbage to a CRM importing the file. Written
 * unchanged, the number is exact everywhere. A spreadsheet that guesses types may display it as
 * a number without its `+` (Excel in scientific notation); that loses no digit (E.164's at most
 * 15 are within the 15 significant digits every spreadsheet keeps), and choosing Text for the
 * column on import shows it as written. Anything else after a `+` (`+1+1`, `+49 151`,
 * `+SUM(1)`) may be an expression and keeps its apostrophe.
 */
const E164_PHONE = /^\+\d{8,15}$/

export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) && !E164_PHONE.test(value) ? `'${value}` : value
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
