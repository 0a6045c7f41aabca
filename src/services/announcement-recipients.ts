import { and, asc, eq, gt, inArray, isNull, or, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { deliveries, dispatches, members } from '../db/schema'
import { shownReason } from './delivery/reasons'
import { errorCodeIn, finalFailureReason } from '../platforms/whatsapp/errors'
import type { DeliveryCounts } from './announcement-deliveries'
import { csvCell } from '../lib/csv'
import { STEP_TIME_COLUMNS, stepTimesOf, type StepTimes } from './delivery/step-times'

/**
 * Each recipient of an announcement as a person reading the report thinks of them: waiting, sent
 * (no receipt, or none reported), delivered, read, failed (also when the chat app reported it
 * undelivered after sending), outcome unknown, skipped, or stopped with the run.
 */
export const RECIPIENT_STATUSES = [
  'pending',
  'sent',
  'delivered',
  'read',
  'failed',
  'unknown',
  'skipped',
  'stopped',
] as const

export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number]

/** The rows of one shown status, as a condition on the delivery row (each has an index). */
function recipientCondition(status: RecipientStatus): SQL | undefined {
  const reported = (value: 'delivered' | 'read') =>
    and(eq(deliveries.status, 'sent'), eq(deliveries.providerStatus, value))
  switch (status) {
    case 'pending':
      return inArray(deliveries.status, ['queued', 'sending'])
    case 'sent':
      return and(
        eq(deliveries.status, 'sent'),
        or(isNull(deliveries.providerStatus), eq(deliveries.providerStatus, 'sent')),
      )
    case 'delivered':
    case 'read':
      return reported(status)
    case 'failed':
      return or(eq(deliveries.status, 'failed'), eq(deliveries.providerStatus, 'failed'))
    case 'unknown':
    case 'skipped':
      return eq(deliveries.status, status)
    case 'stopped':
      return eq(deliveries.status, 'cancelled')
  }
}

function shownStatus(row: { status: string; providerStatus: string | null }): RecipientStatus {
  if (row.status === 'failed' || row.providerStatus === 'failed') return 'failed'
  if (row.status === 'queued' || row.status === 'sending') return 'pending'
  if (row.status === 'cancelled') return 'stopped'
  if (row.status === 'unknown' || row.status === 'skipped') return row.status
  if (row.providerStatus === 'delivered' || row.providerStatus === 'read') return row.providerStatus
  return 'sent'
}

/** How many recipients each shown status has, from a run's kept counts: no delivery is read. */
export function recipientCounts(totals: DeliveryCounts): Record<RecipientStatus, number> {
  return {
    pending: totals.queued,
    sent: Math.max(0, totals.sent - totals.delivered - totals.undelivered),
    delivered: Math.max(0, totals.delivered - totals.read),
    read: totals.read,
    failed: totals.failed + totals.undelivered,
    unknown: totals.unknown,
    skipped: totals.skipped,
    stopped: totals.cancelled,
  }
}

export interface Recipient extends StepTimes {
  dispatchId: string
  runAt: Date
  memberId: string
  /** Null when the member has been deleted since. */
  name: string | null
  status: RecipientStatus
  /** Why it failed, was skipped or is unknown, in the fixed words of the reason table. */
  reason: string | null
  updatedAt: Date
}

/**
 * A page of an announcement's recipients, of every run (oldest run first, then by member),
 * optionally of one shown status. Keyset-paged by run and member: `cursor` is the last row's
 * `dispatchId~memberId`.
 */
export async function listRecipients(
  db: Database,
  announcementId: string,
  options: RecipientListOptions,
): Promise<{ data: Recipient[]; nextCursor: string | null }> {
  return recipientsPageOf(await listRecipientsQuery(db, announcementId, options), options.limit)
}

interface RecipientListOptions {
  status?: RecipientStatus
  cursor?: string
  limit: number
}

/** `listRecipients`' read, for a batch: one row more than `limit`; `recipientsPageOf` takes it. */
export function listRecipientsQuery(
  db: Database,
  announcementId: string | SQL,
  options: RecipientListOptions,
) {
  const [cursorRun, cursorMember] = options.cursor?.split('~') ?? []
  return db
    .select({
      dispatchId: deliveries.dispatchId,
      runAt: dispatches.scheduledFor,
      memberId: deliveries.memberId,
      name: members.name,
      ...STEP_TIME_COLUMNS,
      lastError: deliveries.lastError,
      errorCode: deliveries.errorCode,
    })
    .from(deliveries)
    .innerJoin(dispatches, eq(dispatches.id, deliveries.dispatchId))
    .leftJoin(members, eq(members.id, deliveries.memberId))
    .where(
      and(
        eq(dispatches.announcementId, announcementId),
        options.status ? recipientCondition(options.status) : undefined,
        cursorRun
          ? or(
              gt(deliveries.dispatchId, cursorRun),
              and(
                eq(deliveries.dispatchId, cursorRun),
                gt(deliveries.memberId, cursorMember ?? ''),
              ),
            )
          : undefined,
      ),
    )
    .orderBy(asc(deliveries.dispatchId), asc(deliveries.memberId))
    .limit(options.limit + 1)
}

export function recipientsPageOf(
  rows: Awaited<ReturnType<typeof listRecipientsQuery>>,
  limit: number,
): { data: Recipient[]; nextCursor: string | null } {
  const data = rows.slice(0, limit).map((row) => {
    const status = shownStatus(row)
    // WhatsApp's error code: reported by a failed status, or in the reason a refused send stored.
    const code = row.errorCode ?? errorCodeIn(row.lastError)
    const reason =
      status === 'failed' && code !== null
        ? finalFailureReason(code, row.lastError)
        : status === 'sent' || status === 'delivered' || status === 'read'
          ? null
          : shownReason(row.lastError)
    return {
      dispatchId: row.dispatchId,
      runAt: row.runAt,
      memberId: row.memberId,
      name: row.name,
      status,
      reason,
      updatedAt: row.updatedAt,
      ...stepTimesOf(row),
    }
  })
  const last = data.at(-1)
  return {
    data,
    nextCursor: rows.length > limit && last ? `${last.dispatchId}~${last.memberId}` : null,
  }
}

/** Recipients per page of the CSV: one query each. */
const EXPORT_PAGE = 1000

const CSV_COLUMNS = [
  'run',
  'member_id',
  'name',
  'status',
  'reason',
  'updated_at',
  'sent_at',
  'delivered_at',
  'read_at',
]

/**
 * An announcement's recipients as CSV, of one status or all, fetched page by page while the
 * answer streams. Cells a spreadsheet would run as a formula (a member's name may start with
 * `=`) are written as text (`csvCell`).
 */
export function exportRecipientsCsv(
  db: Database,
  announcementId: string,
  status?: RecipientStatus,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let cursor: string | undefined
  let started = false
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true
        controller.enqueue(encoder.encode(CSV_COLUMNS.join(',') + '\r\n'))
      }
      const page = await listRecipients(db, announcementId, { status, cursor, limit: EXPORT_PAGE })
      const lines = page.data.map((row) =>
        [
          row.runAt.toISOString(),
          row.memberId,
          row.name ?? '',
          row.status,
          row.reason ?? '',
          row.updatedAt.toISOString(),
          row.sentAt?.toISOString() ?? '',
          row.deliveredAt?.toISOString() ?? '',
          row.readAt?.toISOString() ?? '',
        ]
          .map(csvCell)
          .join(','),
      )
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('\r\n') + '\r\n'))
      if (!page.nextCursor) controller.close()
      else cursor = page.nextCursor
    },
  })
}
