import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities } from './communities'
import type { SIGN_UP_LANGUAGES } from './people'

/** Announcements, their runs (dispatches) and one delivery per member and run. */

export const ANNOUNCEMENT_STATUSES = ['scheduled', 'dispatching', 'sent', 'cancelled'] as const

export type AnnouncementStatus = (typeof ANNOUNCEMENT_STATUSES)[number]

/** An announcement's text in other languages than its `body`'s, by sign-up language. */
export type Translations = Partial<Record<(typeof SIGN_UP_LANGUAGES)[number], string>>

/**
 * An announcement, once (`sendAt`) or recurring (`repeatCron` in `repeatTimezone`, until
 * `repeatUntil`). `sendAt` is always the next run. Each run is a dispatch with its own
 * deliveries. `audienceGroupIds` null means the announcement group: every active member.
 */
export const announcements = sqliteTable(
  'announcements',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    // The same announcement in other languages, by language: a member who signed up in one of
    // them gets its text, everyone else `body`. Null: one text for everyone.
    translations: text('translations', { mode: 'json' }).$type<Translations | null>(),
    audienceGroupIds: text('audience_group_ids', { mode: 'json' }).$type<string[] | null>(),
    sendAt: timestamp('send_at'),
    repeatCron: text('repeat_cron'),
    repeatTimezone: text('repeat_timezone'),
    repeatUntil: timestamp('repeat_until'),
    status: text('status', { enum: ANNOUNCEMENT_STATUSES }).notNull(),
    // Set when WhatsApp reported spam-rate limiting (131048): no further message goes out.
    pausedAt: timestamp('paused_at'),
    pauseReason: text('pause_reason'),
    // When a cron run claimed it; a claim older than a few minutes is taken over (crash recovery).
    claimedAt: timestamp('claimed_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('announcements_due_idx').on(t.status, t.sendAt),
    index('announcements_community_idx').on(t.communityId, t.id),
    check(
      'announcements_status_check',
      sql`${t.status} in ('scheduled', 'dispatching', 'sent', 'cancelled')`,
    ),
  ],
)

export const DISPATCH_STATUSES = ['expanding', 'expanded', 'done', 'cancelled'] as const

export type DispatchStatus = (typeof DISPATCH_STATUSES)[number]

/** How announcements leave (`DELIVERY_CHANNEL`): a signed webhook, or the WhatsApp Cloud API. */
export const DELIVERY_CHANNELS = ['webhook', 'whatsapp'] as const

export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number]

/**
 * One run of an announcement: its audience expanded in chunks (`cursor`), counts kept as it goes.
 * `expanding` and `expanded` runs have work left; `done` when every delivery is settled,
 * `cancelled` when an admin stopped it. `progressAt` moves whenever the run advances (an
 * expansion step, a settled delivery); the cron job's reconciler looks at runs whose progress
 * stalled and records when it last did in `reconciledAt`.
 */
export const dispatches = sqliteTable(
  'dispatches',
  {
    id: text('id').primaryKey(),
    announcementId: text('announcement_id')
      .notNull()
      .references(() => announcements.id, { onDelete: 'cascade' }),
    scheduledFor: timestamp('scheduled_for').notNull(),
    status: text('status', { enum: DISPATCH_STATUSES }).notNull(),
    // The channel the run went out through: only some report delivery and reading back.
    channel: text('channel', { enum: DELIVERY_CHANNELS }).notNull().default('webhook'),
    cursor: text('cursor'),
    // Deliveries not settled yet (queued or sending).
    queued: integer('queued').notNull().default(0),
    sent: integer('sent').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    // What the chat app reported back: a read message counts as delivered too.
    delivered: integer('delivered').notNull().default(0),
    read: integer('read').notNull().default(0),
    undelivered: integer('undelivered').notNull().default(0),
    // Sent, perhaps: the attempt was interrupted or timed out where a retry is not safe.
    unknown: integer('unknown').notNull().default(0),
    // Not sent because an admin cancelled the run.
    cancelled: integer('cancelled').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    progressAt: timestamp('progress_at'),
    // The latest moment a retry of its deliveries was put off to (WhatsApp's limits defer one for
    // up to 12 hours): until then, a run without progress is waiting, not stalled.
    waitingUntil: timestamp('waiting_until'),
    reconciledAt: timestamp('reconciled_at'),
    finishedAt: timestamp('finished_at'),
  },
  (t) => [
    // A retried or overlapping cron run cannot start the same run twice.
    uniqueIndex('dispatches_run_unique').on(t.announcementId, t.scheduledFor),
    // The reconciler's look-up: unfinished runs by how long ago they last moved.
    index('dispatches_progress_idx').on(t.status, t.progressAt),
  ],
)

export const PROVIDER_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const

export type ProviderStatus = (typeof PROVIDER_STATUSES)[number]

export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'sent',
  'failed',
  'skipped',
  'unknown',
  'cancelled',
] as const

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * One message to one member for one run: the key makes every delivery happen at most once.
 * `nextAttemptAt`: when a `queued` delivery is due (now, or after a retry's backoff); one due
 * long ago whose queue message was lost is re-enqueued by the reconciler.
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    dispatchId: text('dispatch_id')
      .notNull()
      .references(() => dispatches.id, { onDelete: 'cascade' }),
    memberId: text('member_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    providerMessageId: text('provider_message_id'),
    updatedAt: timestamp('updated_at').notNull(),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    // The last status the chat app reported (sent, delivered, read, failed); never goes back.
    providerStatus: text('provider_status', { enum: PROVIDER_STATUSES }),
    errorCode: integer('error_code'),
    errorTitle: text('error_title'),
    // When an admin had this failed delivery sent again; a delivery is sent again at most once.
    resentAt: timestamp('resent_at'),
    // When each step happened, for the report per recipient: the send accepted (its latest
    // send), and delivered and read as the chat app timed them. Null where a step was not
    // reached, was never reported, or happened before these were kept (then `updatedAt` is the
    // time of the latest step).
    sentAt: timestamp('sent_at'),
    deliveredAt: timestamp('delivered_at'),
    readAt: timestamp('read_at'),
  },
  (t) => [
    primaryKey({ columns: [t.dispatchId, t.memberId] }),
    index('deliveries_status_idx').on(t.dispatchId, t.status, t.nextAttemptAt),
    index('deliveries_provider_message_idx')
      .on(t.providerMessageId)
      .where(sql`provider_message_id is not null`),
    index('deliveries_provider_status_idx').on(t.dispatchId, t.providerStatus),
  ],
)

export type Announcement = typeof announcements.$inferSelect

export type Dispatch = typeof dispatches.$inferSelect
