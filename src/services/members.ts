import { and, asc, count, desc, eq, getTableColumns, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  groupMembers,
  invites,
  members,
  type Group,
  type Member,
  type MemberStatus,
  type SignUpLanguage,
} from '../db/schema'
import { phoneSearchOf } from '../lib/contact'
import { csvLine } from '../lib/csv'
import { notFound } from '../lib/errors'
import { chunks, ID_CHUNK } from '../lib/chunks'
import { toPage, type Page } from '../lib/pagination'
import { referredProven } from './join-statements'

export async function getMemberOrThrow(db: Database, id: string): Promise<Member> {
  const member = await db.query.members.findFirst({ where: eq(members.id, id) })
  if (!member) throw notFound('Member')
  return member
}

/** A community's members, oldest first, optionally those of one group or in one status. */
export async function listMembers(
  db: Database,
  communityId: string,
  options: MemberListOptions,
): Promise<Page<ListedMember>> {
  return toPage(await listMembersQuery(db, communityId, options), options.limit)
}

/** Which of a community's members a list or an export takes. */
export interface MemberFilter {
  groupId?: string
  status?: MemberStatus
  /** Text in a name, number, e-mail address or Telegram username. */
  search?: string
}

interface MemberListOptions extends MemberFilter {
  cursor?: string
  limit: number
  /** Newest members first (the dashboard's list: who joined today is on its first page). */
  newestFirst?: boolean
}

function membersWhere(communityId: string, options: Omit<MemberListOptions, 'limit'>) {
  // instr(), not LIKE: a search of any length stays within D1's 50-byte LIKE patterns, and `%`
  // or `_` are plain characters. Letters A-Z match either case, as LIKE's did.
  // A number is stored without spaces: searched as the list shows it, its separators go.
  const phone = options.search ? phoneSearchOf(options.search) : null
  const needle = phone ?? options.search?.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
  return and(
    eq(members.communityId, communityId),
    options.status ? eq(members.status, options.status) : undefined,
    needle
      ? sql`(instr(lower(${members.name}), ${needle}) > 0 or instr(lower(${members.phone}), ${needle}) > 0 or instr(lower(${members.email}), ${needle}) > 0 or instr(lower(${members.telegramUsername}), ${needle}) > 0)`
      : undefined,
    // The group's members by their index; at most a group's limit of them.
    options.groupId
      ? sql`${members.id} in (select ${groupMembers.memberId} from ${groupMembers} where ${groupMembers.groupId} = ${options.groupId})`
      : undefined,
    options.cursor ? (options.newestFirst ? lt : gt)(members.id, options.cursor) : undefined,
  )
}

/** Members' ids are time-sortable: by id is by when they joined. */
const byJoining = (options: MemberListOptions) =>
  options.newestFirst ? desc(members.id) : asc(members.id)

/**
 * The language of the pages a member signed up on, read with them (null for sign-ups from before
 * it was kept, and for members who joined on Telegram). Spelled out: drizzle writes a column
 * here without its table, and join_requests has an id too.
 */
const signUpLanguage = sql<SignUpLanguage | null>`(select jr.language from join_requests jr
  where jr.id = members.join_request_id)`

/** A member as the list reads them: with the language they signed up in. */
export type ListedMember = Member & { language: SignUpLanguage | null }

/** `listMembers`' read, for a batch: one row more than `limit` (see `toPage`). */
function listMembersQuery(db: Database, communityId: string, options: MemberListOptions) {
  return db
    .select({ ...getTableColumns(members), language: signUpLanguage })
    .from(members)
    .where(membersWhere(communityId, options))
    .orderBy(byJoining(options))
    .limit(options.limit + 1)
}

/** Past this many members a filter matches, the list says "1,000+" and counts no further. */
export const MEMBER_COUNT_CAP = 1000

/** How many members a list holds, `more` where there are more than `count`. */
export interface MemberTotal {
  count: number
  more: boolean
}

/**
 * Whether the groups' kept counts tell how many members a list holds: the active members of the
 * community (all are in its announcement group) or of one group, with no search.
 */
function keptCountTells(filter: Pick<MemberFilter, 'search' | 'status'>): boolean {
  return !filter.search && filter.status === 'active'
}

/**
 * How many members a filter matches where the kept counts do not tell (a search, members who
 * left), for the first page's batch; where they tell, and on the pages after the first, it reads
 * nothing (`limit 0`). Counting stops one past `MEMBER_COUNT_CAP`: a search most members match
 * reads that many rows, not a million; a rare one reads what the list's own page reads to find
 * its rows.
 */
export function matchingMembersQuery(
  db: Database,
  communityId: string,
  filter: MemberFilter,
  firstPage: boolean,
) {
  const counts = firstPage && !keptCountTells(filter)
  const matching = db
    .select({ id: members.id })
    .from(members)
    .where(membersWhere(communityId, filter))
    .limit(counts ? MEMBER_COUNT_CAP + 1 : 0)
    .as('matching')
  return db.select({ n: count() }).from(matching)
}

/**
 * How many members the list holds: from the groups' kept counts where they tell, so nothing is
 * counted at read time for the plain list, else as `matchingMembersQuery` counted them on the
 * first page. Null for a group not among `groups`, and past the first page of a count.
 */
export function listedMemberTotal(
  filter: Pick<MemberFilter, 'groupId' | 'status' | 'search'>,
  groups: Array<Pick<Group, 'id' | 'kind' | 'memberCount'>>,
  matching: Array<{ n: number }>,
  firstPage: boolean,
): MemberTotal | null {
  if (!keptCountTells(filter)) {
    if (!firstPage) return null
    const n = matching[0]?.n ?? 0
    return { count: Math.min(n, MEMBER_COUNT_CAP), more: n > MEMBER_COUNT_CAP }
  }
  const group = groups.find((g) =>
    filter.groupId ? g.id === filter.groupId : g.kind === 'announcement',
  )
  return group ? { count: group.memberCount, more: false } : null
}

/**
 * The chat app a member is in, for what the admin must do there themselves (we cannot take
 * anyone out of a chat): Telegram where Telegram reported their join, WhatsApp otherwise.
 */
export function chatOf(member: Pick<Member, 'telegramUserId'>): 'whatsapp' | 'telegram' {
  return member.telegramUserId === null ? 'whatsapp' : 'telegram'
}

/**
 * A page of members and the groups each of them is in, to read in one batch (the page's ids as
 * a subquery, so no list of them is bound); `memberPageOf` takes the results.
 */
export function memberPageQueries(db: Database, communityId: string, options: MemberListOptions) {
  const ids = db
    .select({ id: members.id })
    .from(members)
    .where(membersWhere(communityId, options))
    .orderBy(byJoining(options))
    .limit(options.limit + 1)
  return [
    listMembersQuery(db, communityId, options),
    db.select().from(groupMembers).where(inArray(groupMembers.memberId, ids)),
  ] as const
}

export function memberPageOf(
  [rows, memberships]: readonly [Member[], Array<{ memberId: string; groupId: string }>],
  limit: number,
) {
  return { page: toPage(rows, limit), groupsOf: groupsByMember(memberships) }
}

function groupsByMember(rows: Array<{ memberId: string; groupId: string }>) {
  const result = new Map<string, string[]>()
  for (const row of rows)
    result.set(row.memberId, [...(result.get(row.memberId) ?? []), row.groupId])
  return result
}

/** The groups each of these members is in: `ID_CHUNK` ids per statement, in one batch. */
export async function groupIdsOfMembers(
  db: Database,
  memberIds: string[],
): Promise<Map<string, string[]>> {
  const [first, ...rest] = chunks(memberIds, ID_CHUNK).map((ids) =>
    db.select().from(groupMembers).where(inArray(groupMembers.memberId, ids)),
  )
  if (!first) return new Map()
  return groupsByMember((await db.batch([first, ...rest])).flat())
}

/** A member's personal referral link. */
export async function referralInviteOf(db: Database, memberId: string) {
  return (
    (await db.query.invites.findFirst({ where: eq(invites.referrerMemberId, memberId) })) ?? null
  )
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

/** With Telegram on: a member's Telegram account, their contact there, and its consent record. */
const TELEGRAM_CSV_COLUMNS = [
  'telegram_user_id',
  'telegram_username',
  'telegram_confirmed_at',
  'telegram_consent_method',
  'telegram_consent_proof',
] as const

/**
 * Last, so that the columns before keep their places: the groups' names, as people read them, and
 * the language of the pages the member signed up on (the one announcements reach them in, where
 * one has a text in it).
 */
const NAMES_CSV_COLUMNS = ['group_names', 'language'] as const

/** Members per page of the CSV export: one query each, so a million members take 1,000. */
export const EXPORT_PAGE = 1000

/**
 * A community's members as CSV, all of them or those `filter` takes (as the list takes them),
 * oldest first, fetched page by page while the answer streams, so a big export never holds
 * everything in memory. Each page is one query, the groups included, and binds no list of ids.
 * Cells that a spreadsheet would run as a formula are prefixed with a quote; phone numbers are
 * not (see `csvCell`).
 */
export function exportMembersCsv(
  db: Database,
  communityId: string,
  options: { telegram?: boolean; filter?: MemberFilter } = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let cursor: string | undefined
  let started = false
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true
        const columns = [
          ...CSV_COLUMNS,
          ...(options.telegram ? TELEGRAM_CSV_COLUMNS : []),
          ...NAMES_CSV_COLUMNS,
        ]
        controller.enqueue(encoder.encode(csvLine(columns) + '\r\n'))
      }
      const rows = await db
        .select({
          member: members,
          groups: sql<
            string | null
          >`(select group_concat(${groupMembers.groupId}, ' ') from ${groupMembers} where ${groupMembers.memberId} = ${members.id})`,
          // Spelled out: drizzle writes a column here without its table, and groups has an id too.
          groupNames: sql<string | null>`(select group_concat(g.name, '; ') from group_members gm
            join groups g on g.id = gm.group_id where gm.member_id = members.id)`,
          language: signUpLanguage,
        })
        .from(members)
        .where(membersWhere(communityId, { ...options.filter, cursor }))
        .orderBy(asc(members.id))
        .limit(EXPORT_PAGE)
      const lines = rows.map(({ member, groups, groupNames, language }) =>
        csvLine([
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
          ...(options.telegram
            ? [
                member.telegramUserId === null ? '' : String(member.telegramUserId),
                member.telegramUsername ?? '',
                member.telegramConfirmedAt?.toISOString() ?? '',
                member.telegramConsentMethod ?? '',
                member.telegramConsentProof ?? '',
              ]
            : []),
          groupNames ?? '',
          language ?? '',
        ]),
      )
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('\r\n') + '\r\n'))
      cursor = rows.at(-1)?.member.id
      if (rows.length < EXPORT_PAGE) controller.close()
    },
  })
}

/** `leaderboard` of all time, for a batch: the `limit` first referrers by their kept counts. */
export function leaderboardQuery(db: Database, communityId: string, limit: number) {
  return db
    .select({ memberId: members.id, name: members.name, referrals: members.referralCount })
    .from(members)
    .where(and(eq(members.communityId, communityId), gt(members.referralCount, 0)))
    .orderBy(sql`${members.referralCount} desc`, asc(members.id))
    .limit(limit)
}

/** Referrers ranked by credited referrals (see REFERRED_PROVEN): all time from the kept counts, or within a period. */
export async function leaderboard(
  db: Database,
  communityId: string,
  options: { from?: Date; to?: Date; limit: number },
) {
  if (!options.from && !options.to) return leaderboardQuery(db, communityId, options.limit)
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
        // Credited as the kept counts are: not while the sign-up awaits its proof.
        sql`not exists (select 1 from join_requests r where r.id = ${members.joinRequestId}
          and not ${sql.raw(referredProven('r'))})`,
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
