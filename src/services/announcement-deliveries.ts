import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  inArray,
  or,
  sql,
  type SQL,
  type SQLWrapper,
} from 'drizzle-orm'
import { errorCodeIn, finalFailureReason } from '../platforms/whatsapp/errors'
import type { Database } from '../db/client'
import {
  deliveries,
  dispatches,
  members,
  type DeliveryChannel,
  type DeliveryStatus,
  type Dispatch,
} from '../db/schema'
import { UNFINISHED_RUN_STATUSES } from './announcements'
import { shownReason } from './delivery/reasons'
import { CHANNEL_RECEIPTS, type Receipts } from './channels'
import { STEP_TIME_COLUMNS, stepTimesOf } from './delivery/step-times'
/** What an announcement's runs delivered: counts per status, receipts where the channel reports them, and the per-recipient list. */

const DELIVERY_COUNT_KEYS = [
  'queued',
  'sent',
  'failed',
  'skipped',
  'unknown',
  'cancelled',
  'delivered',
  'read',
  'undelivered',
] as const

export type DeliveryCounts = Record<(typeof DELIVERY_COUNT_KEYS)[number], number>

/** An announcement's delivery counts before any run. */
export function noDeliveries(): DeliveryCounts {
  return Object.fromEntries(DELIVERY_COUNT_KEYS.map((key) => [key, 0])) as DeliveryCounts
}

/**
 * What can be known of an announcement's delivery and reading: `reported` says which of the two
 * its runs' channels report back (null before any run), `sent` how many messages went out through
 * runs that report each, the base of its rate. A webhook endpoint reports neither: its messages
 * are neither delivered nor read as far as anyone here can tell, and are not counted as either.
 */
export interface ReceiptSummary {
  reported: Receipts | null
  sent: Record<keyof Receipts, number>
}

/** Delivery counts over all runs, the latest run's too, and why deliveries failed. */
export async function deliverySummary(db: Database, announcementId: string) {
  return deliverySummaryOf(await db.batch(deliverySummaryQueries(db, announcementId)))
}

/**
 * The reads behind `deliverySummary`, for a batch: the runs, and why deliveries failed (the
 * announcement's id may be a subquery).
 */
export function deliverySummaryQueries(db: Database, announcementId: string | SQL) {
  return [
    db
      .select()
      .from(dispatches)
      .where(eq(dispatches.announcementId, announcementId))
      .orderBy(desc(dispatches.scheduledFor)),
    db
      .select({ reason: deliveries.lastError, count: sql<number>`count(*)` })
      .from(deliveries)
      .where(
        and(
          // A recurring announcement has a run per occurrence: by subquery, not a list of ids.
          inArray(
            deliveries.dispatchId,
            db
              .select({ id: dispatches.id })
              .from(dispatches)
              .where(eq(dispatches.announcementId, announcementId)),
          ),
          or(
            inArray(deliveries.status, ['failed', 'skipped', 'unknown']),
            eq(deliveries.providerStatus, 'failed'),
          ),
        ),
      )
      .groupBy(deliveries.lastError)
      .orderBy(desc(sql`count(*)`))
      .limit(10),
  ] as const
}

export function deliverySummaryOf([runs, failures]: readonly [
  Dispatch[],
  Array<{ reason: string | null; count: number }>,
]) {
  const totals = noDeliveries()
  const receipts: ReceiptSummary = {
    reported: runs.length > 0 ? { delivered: false, read: false } : null,
    sent: { delivered: 0, read: 0 },
  }
  for (const run of runs) {
    for (const key of DELIVERY_COUNT_KEYS) totals[key] += run[key]
    for (const kind of RECEIPT_KINDS) {
      if (!CHANNEL_RECEIPTS[run.channel][kind]) continue
      receipts.reported![kind] = true
      receipts.sent[kind] += run.sent
    }
  }
  return { totals, runs, failures: mergeReasons(failures), receipts }
}

const RECEIPT_KINDS = ['delivered', 'read'] as const

/** What the list of announcements shows of each: totals, receipts, its latest and unfinished runs. */
export interface ListedDeliveries {
  totals: DeliveryCounts
  receipts: ReceiptSummary
  /** Newest first: the latest run of each channel, and every run not finished yet. */
  runs: Dispatch[]
}

/**
 * The delivery figures of a page of announcements in one query, however many runs a recurring
 * one has had: each run carries the sums of its announcement's runs through the same channel
 * (window functions), and only the latest run per channel and the unfinished ones come back, so
 * the rows stay a few per announcement. The ids are a subquery (the page's, read in the same
 * batch), so none is bound; `deliverySummariesOf` takes the rows.
 */
export function deliverySummariesQuery(db: Database, announcementIds: SQLWrapper) {
  const announcements = inArray(dispatches.announcementId, announcementIds)
  const perChannel = sql`over (partition by ${dispatches.announcementId}, ${dispatches.channel})`
  const sums = Object.fromEntries(
    DELIVERY_COUNT_KEYS.map((key) => [
      `sum_${key}`,
      sql<number>`sum(${dispatches[key]}) ${perChannel}`.as(`sum_${key}`),
    ]),
  ) as Record<`sum_${(typeof DELIVERY_COUNT_KEYS)[number]}`, SQL.Aliased<number>>
  const ranked = db
    .select({
      ...getTableColumns(dispatches),
      ...sums,
      rank: sql<number>`row_number() ${sql`over (partition by ${dispatches.announcementId}, ${dispatches.channel} order by ${dispatches.scheduledFor} desc)`}`.as(
        'rank',
      ),
    })
    .from(dispatches)
    .where(announcements)
    .as('ranked')
  return db
    .select()
    .from(ranked)
    .where(or(eq(ranked.rank, 1), inArray(ranked.status, [...UNFINISHED_RUN_STATUSES])))
    .orderBy(desc(ranked.scheduledFor))
}

/** `deliverySummariesQuery`' rows as each announcement's figures. */
export function deliverySummariesOf(
  rows: Awaited<ReturnType<typeof deliverySummariesQuery>>,
): Map<string, ListedDeliveries> {
  const summaries = new Map<string, ListedDeliveries>()
  for (const row of rows) {
    let summary = summaries.get(row.announcementId)
    if (!summary) {
      summary = {
        totals: noDeliveries(),
        receipts: { reported: { delivered: false, read: false }, sent: { delivered: 0, read: 0 } },
        runs: [],
      }
      summaries.set(row.announcementId, summary)
    }
    const { rank, ...rest } = row
    const run = Object.fromEntries(
      Object.entries(rest).filter(([key]) => !key.startsWith('sum_')),
    ) as Dispatch
    summary.runs.push(run)
    if (rank !== 1) continue
    // The latest run of a channel: its row carries the channel's sums.
    for (const key of DELIVERY_COUNT_KEYS) summary.totals[key] += row[`sum_${key}`]
    for (const kind of RECEIPT_KINDS) {
      if (!CHANNEL_RECEIPTS[row.channel][kind]) continue
      summary.receipts.reported![kind] = true
      summary.receipts.sent[kind] += row.sum_sent
    }
  }
  return summaries
}

/**
 * Which receipts an announcement's figures can show: those its runs' channels report, or, before
 * its first run, those of the channel it will go out through (`configured`).
 */
export function reportedReceipts(receipts: ReceiptSummary, configured: DeliveryChannel): Receipts {
  return receipts.reported ?? CHANNEL_RECEIPTS[configured]
}

/**
 * Delivered and read as shares (0 to 1) of what was sent through channels that report them;
 * null where no run's channel reports it, or nothing was sent through one yet.
 */
export function receiptRates(
  totals: DeliveryCounts,
  receipts: ReceiptSummary,
): Record<keyof Receipts, number | null> {
  const share = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null
  return {
    delivered: receipts.reported?.delivered
      ? share(totals.delivered, receipts.sent.delivered)
      : null,
    read: receipts.reported?.read ? share(totals.read, receipts.sent.read) : null,
  }
}

/** An announcement's receipts before any run. */
export function noReceipts(): ReceiptSummary {
  return { reported: null, sent: { delivered: 0, read: 0 } }
}

/**
 * Failure counts by the reason shown, in plain words: a Cloud API error code becomes its
 * sentence from the error-code table, and older rows' texts collapse into their fixed reason.
 */
function mergeReasons(failures: Array<{ reason: string | null; count: number }>) {
  const merged = new Map<string | null, number>()
  for (const { reason, count } of failures) {
    const code = errorCodeIn(reason)
    const shown = code !== null ? finalFailureReason(code, reason) : shownReason(reason)
    merged.set(shown, (merged.get(shown) ?? 0) + count)
  }
  return [...merged].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count)
}

/** The deliveries of an announcement's runs, newest run first, with who they went to. */
export async function listDeliveries(
  db: Database,
  announcementId: string,
  options: { status?: DeliveryStatus; cursor?: string; limit: number },
) {
  const cursor = options.cursor ? options.cursor.split('~') : null
  const rows = await db
    .select({
      dispatchId: deliveries.dispatchId,
      memberId: deliveries.memberId,
      memberName: members.name,
      ...STEP_TIME_COLUMNS,
      attempts: deliveries.attempts,
      lastError: deliveries.lastError,
      providerMessageId: deliveries.providerMessageId,
      providerStatus: deliveries.providerStatus,
      errorCode: deliveries.errorCode,
      errorTitle: deliveries.errorTitle,
    })
    .from(deliveries)
    .innerJoin(dispatches, eq(dispatches.id, deliveries.dispatchId))
    .leftJoin(members, eq(members.id, deliveries.memberId))
    .where(
      and(
        eq(dispatches.announcementId, announcementId),
        options.status ? eq(deliveries.status, options.status) : undefined,
        cursor
          ? or(
              gt(deliveries.dispatchId, cursor[0]!),
              and(eq(deliveries.dispatchId, cursor[0]!), gt(deliveries.memberId, cursor[1] ?? '')),
            )
          : undefined,
      ),
    )
    .orderBy(asc(deliveries.dispatchId), asc(deliveries.memberId))
    .limit(options.limit + 1)
  const data = rows.slice(0, options.limit).map(({ sentAt, deliveredAt, readAt, ...row }) => {
    const times = stepTimesOf({ ...row, sentAt, deliveredAt, readAt })
    return {
      ...row,
      lastError: shownReason(row.lastError),
      sentAt: times.sentAt,
      deliveredAt: times.deliveredAt,
      readAt: times.readAt,
    }
  })
  const last = data.at(-1)
  return {
    data,
    nextCursor: rows.length > options.limit && last ? `${last.dispatchId}~${last.memberId}` : null,
  }
}
