import { and, asc, eq, gt, inArray, lt, ne, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client'
import {
  telegramJoinRequests,
  type Group,
  type TelegramJoinRequest,
  type TelegramRequestStatus,
} from '../../db/schema'
import type { TelegramConfig } from '../../lib/config'
import { ApiError, notFound } from '../../lib/errors'
import { approvedOnTheirWay, seatsTaken } from '../../services/group-seats'
import { toPage, type Page } from '../../lib/pagination'
import { chunks, ID_CHUNK } from '../../lib/chunks'
import { approveChatJoinRequest, declineChatJoinRequest } from './client'

/**
 * Requests to join a Telegram chat, decided through the Bot API: approving here lets the person
 * in. Telegram's answer is the truth: a request it no longer has (approved by someone in the
 * chat, withdrawn, expired) is shown as gone, with what Telegram said, instead of failing.
 */

export async function getTelegramJoinRequestOrThrow(
  db: Database,
  id: string,
): Promise<TelegramJoinRequest> {
  const row = await db.query.telegramJoinRequests.findFirst({
    where: eq(telegramJoinRequests.id, id),
  })
  if (!row) throw notFound('Join request')
  return row
}

export async function listTelegramJoinRequests(
  db: Database,
  communityId: string,
  options: { status?: TelegramRequestStatus; cursor?: string; limit: number },
): Promise<Page<TelegramJoinRequest>> {
  return toPage(await listTelegramJoinRequestsQuery(db, communityId, options), options.limit)
}

/** `listTelegramJoinRequests` as a query to read in a batch: `limit + 1` rows, for `toPage`. */
export function listTelegramJoinRequestsQuery(
  db: Database,
  communityId: string,
  options: { status?: TelegramRequestStatus; cursor?: string; limit: number },
) {
  return db
    .select()
    .from(telegramJoinRequests)
    .where(
      and(
        eq(telegramJoinRequests.communityId, communityId),
        options.status ? eq(telegramJoinRequests.status, options.status) : undefined,
        options.cursor ? gt(telegramJoinRequests.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(telegramJoinRequests.id))
    .limit(options.limit + 1)
}

/** Why a request ended when its group left the chat, as the approvals list shows it. */
export const GROUP_LEFT_CHAT = 'The group no longer follows this chat'

/**
 * Before a group leaves its chat (unlinked, linked to another, deleted; `keep` is the chat it
 * follows next): its community's requests to join that chat still waiting end as gone, in the
 * batch of the change. Approving one would let someone into a chat the community left, perhaps
 * another community's next, and one left waiting would keep the person's next request, through
 * the link of whoever follows the chat then, from being recorded (one waits per person and chat).
 */
export function endRequestsIntoChatOf(
  db: Database,
  groupId: string,
  keep: number | null,
  now: Date,
) {
  return db
    .update(telegramJoinRequests)
    .set({ status: 'gone', outcome: GROUP_LEFT_CHAT, decidedAt: now })
    .where(
      and(
        // Written out, not bound: only then may SQLite use the partial index of waiting ones.
        sql`${telegramJoinRequests.status} = 'pending'`,
        eq(
          telegramJoinRequests.chatId,
          sql`(select telegram_chat_id from groups where id = ${groupId})`,
        ),
        eq(
          telegramJoinRequests.communityId,
          sql`(select community_id from groups where id = ${groupId})`,
        ),
        keep === null ? undefined : ne(telegramJoinRequests.chatId, keep),
      ),
    )
}

export type Decision = 'approve' | 'decline'

/** An approval claimed in the database while Telegram is asked (in `outcome`, never shown). */
export const APPROVING = 'approving'

/** A claim older than this was interrupted: Telegram answers within seconds. */
const APPROVING_STALE_MS = 5 * 60_000

/**
 * The parameters `claimSeat` and the reads of seats number: ?1 the request (`claimSeat` only),
 * ?2 the community, ?3 now, ?4 the claim's marker, ?5 the chat. A read binds them all and uses
 * the ones it needs.
 */
function seatParams(
  communityId: string,
  chatId: number | null,
  now: Date,
  requestId: string | null = null,
) {
  return [requestId, communityId, now.getTime(), APPROVING, chatId]
}

/** A group of the request's community follows the request's chat. */
const chatFollowed = sql`exists (select 1 from groups g
  where g.community_id = ${telegramJoinRequests.communityId}
    and g.telegram_chat_id = ${telegramJoinRequests.chatId})`

/**
 * An approval lets the person into the chat at once; their member row follows when Telegram
 * reports the join, and is written only while the groups have room. So the seat is claimed
 * before Telegram is asked, in one statement (D1 runs one at a time: approvals at the same
 * moment cannot share the last seat): the request is marked approved (`outcome` 'approving')
 * only while the chat's group and the announcement group each have room beside their members
 * and the people approved in the last minutes whose join has not come yet. Returns whether it
 * was claimed.
 */
export async function claimSeat(
  db: Database,
  request: Pick<TelegramJoinRequest, 'id' | 'communityId' | 'chatId'>,
  now: Date,
): Promise<boolean> {
  const claimed = await db.$client
    .prepare(
      `update telegram_join_requests set status = 'approved', outcome = ?4, decided_at = ?3
       where id = ?1 and status = 'pending'
         -- Into a chat a group of the community still follows: never one it left.
         and exists (select 1 from groups f where f.community_id = ?2 and f.telegram_chat_id = ?5)
         and not exists (select 1 from groups g
         join groups a on a.community_id = g.community_id and a.kind = 'announcement'
         where g.community_id = ?2 and g.telegram_chat_id = ?5
           and (${seatsTaken('g', '?3')} >= g.member_limit
             or ${seatsTaken('a', '?3')} >= a.member_limit))
       returning id`,
    )
    .bind(...seatParams(request.communityId, request.chatId, now, request.id))
    .first()
  return claimed !== null
}

/** Why a request ended when its person asked again while an approval of it was unsettled. */
export const ASKED_AGAIN = 'Asked again since: the newer request waits'

/**
 * Settles approvals claimed but not answered by Telegram (`which`: a condition on the claims).
 * Where the person is a member of the chat now, Telegram did let them in and the approval
 * stands. Otherwise the request ends where it cannot wait again: its community no longer follows
 * the chat (approving it would let someone into a chat the community left), or the person asked
 * again since (the newer request waits; one waits per person and chat). The rest wait again.
 * One batch, in that order: each statement settles what the ones before left.
 */
function settleClaims(db: Database, which: SQL, now: Date) {
  const claims = and(sql`${telegramJoinRequests.outcome} = 'approving'`, which)
  const r = telegramJoinRequests
  const joined = sql`exists (select 1 from members m where m.telegram_chat_id = ${r.chatId}
    and m.telegram_user_id = ${r.userId} and m.status = 'active')`
  const askedAgain = sql`exists (select 1 from telegram_join_requests n where n.chat_id = ${r.chatId}
    and n.user_id = ${r.userId} and n.status = 'pending')`
  return db.batch([
    db.update(r).set({ outcome: null }).where(and(claims, joined)),
    db
      .update(r)
      .set({ status: 'gone', outcome: GROUP_LEFT_CHAT, decidedAt: now })
      .where(and(claims, sql`not ${chatFollowed}`)),
    db
      .update(r)
      .set({ status: 'gone', outcome: ASKED_AGAIN, decidedAt: now })
      .where(and(claims, askedAgain)),
    db
      .update(r)
      .set({ status: 'pending', outcome: null, decidedAt: null })
      .where(claims)
      .returning({ id: r.id }),
  ])
}

/**
 * The cron job's: approvals claimed by a Worker that stopped before Telegram answered (or whose
 * answer did not come in time) are settled after a few minutes, as `settleClaims` says.
 */
export async function releaseInterruptedApprovals(db: Database, now: Date): Promise<number> {
  const stale = now.getTime() - APPROVING_STALE_MS
  const [, , , released] = await settleClaims(
    db,
    and(
      eq(telegramJoinRequests.status, 'approved'),
      lt(telegramJoinRequests.decidedAt, new Date(stale)),
    )!,
    now,
  )
  return released.length
}

/**
 * People approved into a group's chat (any chat of the community, for its announcement group)
 * whose join Telegram has not reported yet: seats taken that its member count does not show.
 */
export async function approvalsOnTheirWay(
  db: Database,
  group: Pick<Group, 'id' | 'kind' | 'telegramChatId'>,
  now: Date,
): Promise<number> {
  if (group.kind !== 'announcement' && group.telegramChatId === null) return 0
  const row = await db.$client
    .prepare(`select ${approvedOnTheirWay('g', '?2')} as count from groups g where g.id = ?1`)
    .bind(group.id, now.getTime())
    .first<{ count: number }>()
  return row?.count ?? 0
}

/** A request still waiting into a chat its community no longer follows ends as gone. */
function endRequestIntoChatLeft(db: Database, id: string, now: Date) {
  const r = telegramJoinRequests
  return db
    .update(r)
    .set({ status: 'gone', outcome: GROUP_LEFT_CHAT, decidedAt: now })
    .where(and(eq(r.id, id), eq(r.status, 'pending'), sql`not ${chatFollowed}`))
    .returning()
}

/** Which group has no room for one more person let into the request's chat. */
async function groupFullFor(
  db: Database,
  request: Pick<TelegramJoinRequest, 'communityId' | 'chatId'>,
  now: Date,
): Promise<ApiError> {
  const row = await db.$client
    .prepare(
      `select g.name, g.member_limit as groupLimit,
         g.member_limit - ${seatsTaken('g', '?3')} as groupLeft,
         a.member_limit as allLimit
       from groups g join groups a on a.community_id = g.community_id and a.kind = 'announcement'
       where g.community_id = ?2 and g.telegram_chat_id = ?5`,
    )
    .bind(...seatParams(request.communityId, request.chatId, now))
    .first<{ name: string; groupLimit: number; groupLeft: number; allLimit: number }>()
  const [name, limit] =
    row && row.groupLeft <= 0
      ? [row.name, row.groupLimit]
      : ['The announcement group', row?.allLimit ?? 0]
  return new ApiError('group_full', `${name} is full (${limit} members).`)
}

/**
 * Approves or declines one request at Telegram. Deciding twice is harmless (the request is
 * answered as it is); Telegram asking us to wait is a 502 with its `Retry-After`; an approval
 * with no room left in the groups is a 409 `group_full`, and Telegram is not asked.
 */
export async function decideTelegramJoinRequest(
  db: Database,
  telegram: TelegramConfig,
  request: TelegramJoinRequest,
  decision: Decision,
  now: Date,
): Promise<TelegramJoinRequest> {
  if (request.status !== 'pending') return request
  if (decision === 'approve' && !(await claimSeat(db, request, now))) {
    const current = await getTelegramJoinRequestOrThrow(db, request.id)
    // Decided meanwhile (another admin, or Telegram's report): answered as it is.
    if (current.status !== 'pending') return current
    const [ended] = await endRequestIntoChatLeft(db, request.id, now)
    if (ended) return ended
    throw await groupFullFor(db, request, now)
  }
  const call = decision === 'approve' ? approveChatJoinRequest : declineChatJoinRequest
  const outcome = await call(telegram, request.chatId, request.userId)
  if (!outcome.ok && (outcome.kind === 'rate_limited' || outcome.kind === 'unreachable')) {
    // Not taken: the seat is free again. Where the call went out and its answer was lost (no
    // answer in time, the connection dropped, Telegram's own error, an answer we cannot read),
    // Telegram may have let them in: the claim holds the seat until the cron job settles it by
    // what Telegram reports (`releaseInterruptedApprovals`).
    const unanswered = outcome.kind === 'unreachable' && ANSWER_LOST.has(outcome.reason)
    if (decision === 'approve' && !unanswered) {
      await settleClaims(db, eq(telegramJoinRequests.id, request.id), now)
    }
    if (outcome.kind === 'rate_limited') {
      throw new ApiError(
        'telegram_unavailable',
        `Telegram asks us to wait ${outcome.retryAfter} s before deciding more requests.`,
        { headers: { 'retry-after': String(outcome.retryAfter) } },
      )
    }
    throw new ApiError(
      'telegram_unavailable',
      unanswered && decision === 'approve'
        ? `Telegram's answer did not come (${outcome.reason}): whether the person was let in shows within minutes (the request waits again if not).`
        : `Telegram could not be reached (${outcome.reason}). Nothing was decided.`,
    )
  }
  const status: TelegramRequestStatus = outcome.ok
    ? decision === 'approve'
      ? 'approved'
      : 'declined'
    : 'gone'
  const [decided] = await db
    .update(telegramJoinRequests)
    .set({
      status,
      outcome: outcome.ok ? null : goneReason(outcome.description),
      decidedAt: now,
    })
    .where(
      and(
        eq(telegramJoinRequests.id, request.id),
        // Pending, or the approval this call claimed.
        decision === 'approve'
          ? eq(telegramJoinRequests.outcome, APPROVING)
          : eq(telegramJoinRequests.status, 'pending'),
      ),
    )
    .returning()
  return decided ?? (await getTelegramJoinRequestOrThrow(db, request.id))
}

/**
 * Why a call's answer was lost after the call may have reached Telegram (`callBotApi` says
 * 'network error' for a dropped connection and for Telegram's own 5xx): its outcome is unknown.
 * A refused address or a redirect never reached it.
 */
const ANSWER_LOST = new Set(['timed out', 'network error', 'malformed answer'])

/** Why a request ended that Telegram no longer has (its dashboard words: `goneReasons`). */
export const NO_LONGER_AT_TELEGRAM =
  'Telegram no longer has this request (withdrawn, expired or decided in the chat)'

/** What Telegram's refusal means for the request, in words an admin understands. */
function goneReason(description: string): string {
  if (description.includes('USER_ALREADY_PARTICIPANT')) return 'Already in the chat'
  if (description.includes('HIDE_REQUESTER_MISSING')) return NO_LONGER_AT_TELEGRAM
  return `Telegram refused: ${description.slice(0, 200)}`
}

/** A bulk decision's result for one id: the request's status, or why it was not decided. */
export type BulkStatus = TelegramRequestStatus | 'not_found' | 'not_decided' | 'group_full'

/** At most this many calls a second to Telegram from one bulk decision. */
const BULK_CALLS_PER_SECOND = 20

/**
 * Decides up to 100 requests of one community, one call to Telegram each, paced to stay within
 * Telegram's limits. A request Telegram asked us to wait for stops the run: it and the ones
 * after it are reported not decided, to be sent again.
 */
export async function decideTelegramJoinRequestsInBulk(
  db: Database,
  telegram: TelegramConfig,
  communityId: string,
  ids: string[],
  decision: Decision,
  now: Date,
): Promise<Array<{ id: string; status: BulkStatus }>> {
  const rows: TelegramJoinRequest[] = []
  // Each request once, however often it was named: one call to Telegram, one result.
  const unique = [...new Set(ids)].slice(0, 100)
  // Up to 100 ids, with the community: past D1's 100 bound parameters in one statement.
  for (const part of chunks(unique, ID_CHUNK)) {
    rows.push(
      ...(await db
        .select()
        .from(telegramJoinRequests)
        .where(
          and(
            eq(telegramJoinRequests.communityId, communityId),
            inArray(telegramJoinRequests.id, part),
          ),
        )),
    )
  }
  const byId = new Map(rows.map((row) => [row.id, row]))
  const results: Array<{ id: string; status: BulkStatus }> = []
  let stopped = false
  for (const id of unique) {
    const row = byId.get(id)
    if (!row) {
      results.push({ id, status: 'not_found' })
      continue
    }
    if (stopped) {
      results.push({ id, status: 'not_decided' })
      continue
    }
    const started = Date.now()
    try {
      const decided = await decideTelegramJoinRequest(db, telegram, row, decision, now)
      results.push({ id, status: decided.status })
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      // No room left: not let in, and Telegram not asked; the ones into another chat go on.
      if (error.code === 'group_full') {
        results.push({ id, status: 'group_full' })
        continue
      }
      stopped = true
      results.push({ id, status: 'not_decided' })
    }
    const wait = 1000 / BULK_CALLS_PER_SECOND - (Date.now() - started)
    if (row.status === 'pending' && wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
  return results
}

/**
 * Communities with Telegram requests waiting (one, or with `communityId` null every one), by id:
 * the approvals overview lists them. Each is found through the requests' index.
 */
export async function communitiesWithTelegramRequests(
  db: Database,
  options: { communityId: string | null; limit: number },
): Promise<Array<{ id: string; name: string; timeZone: string }>> {
  const { results } = await db.$client
    .prepare(
      `select c.id, c.name, c.time_zone as timeZone from communities c
       where (?1 is null or c.id = ?1) and exists (select 1 from telegram_join_requests r
         where r.community_id = c.id and r.status = 'pending')
       order by c.id limit ?2`,
    )
    .bind(options.communityId, options.limit)
    .all<{ id: string; name: string; timeZone: string }>()
  return results
}
