import { sql } from 'drizzle-orm'
import {
  type AnySQLiteColumn,
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities, groups } from './communities'

/** Invite links (campaign and referral), their codes, the visits they bring and the daily rollups the stats read. */

/**
 * Invite links. `code` is the link's current code; every code ever issued is also in
 * `inviteCodes`, so a code is never handed out twice and a rotated one can answer "gone".
 */
export const invites = sqliteTable(
  'invites',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'set null' }),
    code: text('code').notNull(),
    label: text('label'),
    source: text('source'),
    medium: text('medium'),
    campaign: text('campaign'),
    // Set on a member's personal referral link: joins through it are attributed to them.
    referrerMemberId: text('referrer_member_id'),
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    expiresAt: timestamp('expires_at'),
    revokedAt: timestamp('revoked_at'),
    // Archived links are out of the way: hidden from the default list and refusing joins like
    // a revoked one, but they keep their code and can be restored.
    archivedAt: timestamp('archived_at'),
    // Where the page of a link that ended by its own terms (its date, its uses) leads people
    // on: another campaign link of the same community, offered only while that one works.
    fallbackInviteId: text('fallback_invite_id').references((): AnySQLiteColumn => invites.id, {
      onDelete: 'set null',
    }),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('invites_code_unique').on(t.code),
    index('invites_community_idx').on(t.communityId, t.id),
    // Members' own links only: a search for campaign links (no referrer) cannot take this index,
    // which would read every community's, and takes `invites_campaign_idx` below.
    uniqueIndex('invites_referrer_unique')
      .on(t.referrerMemberId)
      .where(sql`${t.referrerMemberId} is not null`),
    // A deleted group unsets its links' group (the foreign key's action) through this.
    index('invites_group_idx').on(t.groupId),
    // A community's campaign links, without its members' own links (one per member): the link
    // lists, the known tags and a link's fallback choices read only these, however many members.
    index('invites_campaign_idx')
      .on(t.communityId, t.id)
      .where(sql`${t.referrerMemberId} is null`),
    // A deleted link unsets the fallback of the links leading to it through this.
    index('invites_fallback_idx').on(t.fallbackInviteId),
    check('invites_max_uses_check', sql`${t.maxUses} is null or ${t.maxUses} >= 1`),
    check(
      'invites_uses_check',
      sql`${t.uses} >= 0 and (${t.maxUses} is null or ${t.uses} <= ${t.maxUses})`,
    ),
  ],
)

/**
 * A link's QR design, served by its QR URLs: colours (checked for contrast when saved), quiet
 * zone, error correction, module style, and an optional logo: a small PNG kept here in base64
 * (at most 64 KB as uploaded), so the Worker serves it from D1 with the code it belongs to.
 */
export const inviteQrDesigns = sqliteTable('invite_qr_designs', {
  inviteId: text('invite_id')
    .primaryKey()
    .references(() => invites.id, { onDelete: 'cascade' }),
  fg: text('fg').notNull(),
  bg: text('bg').notNull(),
  margin: integer('margin').notNull(),
  level: text('level', { enum: ['L', 'M', 'Q', 'H'] }).notNull(),
  style: text('style', { enum: ['square', 'dots', 'rounded'] }).notNull(),
  logoPng: text('logo_png'),
  updatedAt: timestamp('updated_at').notNull(),
})

export type InviteQrDesign = typeof inviteQrDesigns.$inferSelect

export const inviteCodes = sqliteTable(
  'invite_codes',
  {
    code: text('code').primaryKey(),
    // Null once the link is gone with its community: the code stays taken, as printed posters
    // and QR codes still carry it, and answers "gone" instead of leading to whoever asks next.
    inviteId: text('invite_id').references(() => invites.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at').notNull(),
    retiredAt: timestamp('retired_at'),
  },
  (t) => [index('invite_codes_invite_idx').on(t.inviteId)],
)

export const VISIT_VIAS = ['qr', 'link'] as const

export type VisitVia = (typeof VISIT_VIAS)[number]

export const DEVICE_CLASSES = ['mobile', 'tablet', 'desktop', 'bot'] as const

export type DeviceClass = (typeof DEVICE_CLASSES)[number]

/**
 * One row per landing view, written after the response. Kept for audits and re-aggregation;
 * the stats endpoints never scan it (see `inviteDailyStats`). No raw IP: only a visitor hash
 * keyed with a salt that changes every day.
 */
export const visits = sqliteTable(
  'visits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    inviteId: text('invite_id')
      .notNull()
      .references(() => invites.id, { onDelete: 'cascade' }),
    at: timestamp('at').notNull(),
    via: text('via', { enum: VISIT_VIAS }).notNull(),
    country: text('country').notNull(),
    referrerHost: text('referrer_host'),
    device: text('device', { enum: DEVICE_CLASSES }).notNull(),
    isBot: integer('is_bot', { mode: 'boolean' }).notNull(),
    visitorHash: text('visitor_hash').notNull(),
  },
  (t) => [
    index('visits_invite_at_idx').on(t.inviteId, t.at),
    // The retention job deletes the oldest rows first.
    index('visits_at_idx').on(t.at),
  ],
)

/**
 * The visits-queue messages written, by the queue's id of each: a queue delivers a message at
 * least once, and one delivered again after it was written (its acknowledgement lost with the
 * isolate, or D1's answer lost after the commit) is not counted again. Kept as long as a queue
 * keeps a message (`VISIT_MESSAGE_RETENTION_MS`).
 */
export const visitMessages = sqliteTable(
  'visit_messages',
  {
    id: text('id').primaryKey(),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [index('visit_messages_received_idx').on(t.receivedAt)],
)

/** What the rollups store for a visit or sign-up whose device or way in is not known. */
export const UNKNOWN_DIMENSION = 'unknown'

/** The referrer host the rollups keep for a link's visits past its daily number of referrers. */
export const OTHER_REFERRERS = '(other)'

/**
 * Daily rollups per invite, country, way in (QR or link), device class and referrer host,
 * updated in the same batch as each visit (and, for join requests and joins, each join), so
 * every breakdown counts the whole funnel and filters combine. Stats read these rows: a few
 * thousand per invite a year, however many millions of visits they stand for. Rows from before
 * these dimensions were kept carry `unknown` for via and device and '' for the referrer.
 */
export const inviteDailyStats = sqliteTable(
  'invite_daily_stats',
  {
    inviteId: text('invite_id')
      .notNull()
      .references(() => invites.id, { onDelete: 'cascade' }),
    communityId: text('community_id').notNull(),
    day: text('day').notNull(),
    country: text('country').notNull(),
    // 'qr', 'link' or 'unknown'; device as `DEVICE_CLASSES` or 'unknown'; '' without a referrer.
    via: text('via').notNull().default(UNKNOWN_DIMENSION),
    device: text('device').notNull().default(UNKNOWN_DIMENSION),
    referrerHost: text('referrer_host').notNull().default(''),
    visits: integer('visits').notNull().default(0),
    uniqueVisitors: integer('unique_visitors').notNull().default(0),
    qrVisits: integer('qr_visits').notNull().default(0),
    linkVisits: integer('link_visits').notNull().default(0),
    botVisits: integer('bot_visits').notNull().default(0),
    joinRequests: integer('join_requests').notNull().default(0),
    // Sign-ups whose owner confirmed them (double opt-in), counted on the day and link of the
    // confirmation; a single opt-in sign-up counts as confirmed when it is made.
    confirmations: integer('confirmations').notNull().default(0),
    // Of those, the ones whose first proof came from the phone number (WhatsApp) or the e-mail
    // address; the rest were single opt-in sign-ups, confirmed by the form alone.
    confirmedByPhone: integer('confirmed_by_phone').notNull().default(0),
    confirmedByEmail: integer('confirmed_by_email').notNull().default(0),
    joins: integer('joins').notNull().default(0),
    // Of the people who joined on this day (a cohort): how many have left or been removed since,
    // and how many of those within 7 and within 30 days of joining. Retention reads these.
    leaves: integer('leaves').notNull().default(0),
    leftWithin7Days: integer('left_within_7_days').notNull().default(0),
    leftWithin30Days: integer('left_within_30_days').notNull().default(0),
    // Telegram only: joins and leaves the platform itself reported through this link
    // (`chat_member` updates), each on the day it happened; stored under country `XX`.
    verifiedJoins: integer('verified_joins').notNull().default(0),
    verifiedLeaves: integer('verified_leaves').notNull().default(0),
    // Telegram only: of the verified joins on this day (a cohort), how many left the chat within
    // 7 and within 30 days, as Telegram reported it. Verified retention reads these.
    verifiedLeftWithin7Days: integer('verified_left_within_7_days').notNull().default(0),
    verifiedLeftWithin30Days: integer('verified_left_within_30_days').notNull().default(0),
  },
  (t) => [
    primaryKey({
      columns: [t.inviteId, t.day, t.country, t.via, t.device, t.referrerHost],
    }),
    index('invite_daily_stats_community_idx').on(t.communityId, t.day),
  ],
)

/**
 * `inviteDailyStats` summed over its dimensions: one row per invite and day. The stats read it
 * whenever no filter names a visit's own dimension (country, device, referrer, way in), which is
 * the unfiltered page: a year of a link is 365 rows here against thousands in the full rollup.
 * Kept by triggers on `inviteDailyStats` (migrations/0023_stats_rollups.sql), so every writer
 * of the rollup keeps it right in the same statement; a migration that rebuilds that table must
 * create them again (test/worker/stats-rollups.test.ts fails otherwise).
 */
export const inviteDailyTotals = sqliteTable(
  'invite_daily_totals',
  {
    inviteId: text('invite_id')
      .notNull()
      .references(() => invites.id, { onDelete: 'cascade' }),
    communityId: text('community_id').notNull(),
    day: text('day').notNull(),
    visits: integer('visits').notNull().default(0),
    uniqueVisitors: integer('unique_visitors').notNull().default(0),
    qrVisits: integer('qr_visits').notNull().default(0),
    linkVisits: integer('link_visits').notNull().default(0),
    botVisits: integer('bot_visits').notNull().default(0),
    joinRequests: integer('join_requests').notNull().default(0),
    confirmations: integer('confirmations').notNull().default(0),
    confirmedByPhone: integer('confirmed_by_phone').notNull().default(0),
    confirmedByEmail: integer('confirmed_by_email').notNull().default(0),
    joins: integer('joins').notNull().default(0),
    leaves: integer('leaves').notNull().default(0),
    leftWithin7Days: integer('left_within_7_days').notNull().default(0),
    leftWithin30Days: integer('left_within_30_days').notNull().default(0),
    verifiedJoins: integer('verified_joins').notNull().default(0),
    verifiedLeaves: integer('verified_leaves').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.inviteId, t.day] }),
    index('invite_daily_totals_community_idx').on(t.communityId, t.day),
  ],
)

/**
 * `inviteDailyStats` summed per calendar month ('2026-03'), with the same dimensions. A year of
 * breakdowns reads twelve of these per combination of dimensions instead of 365 daily rows; the
 * stats take a month from here only when the period covers it whole and the retention cut-offs
 * do not fall inside it (`monthsAnswering`), the other days from the daily rollup. Kept by the
 * same triggers as `inviteDailyTotals`. `firstJoinDay`: the month's first day with a join.
 */
export const inviteMonthlyStats = sqliteTable(
  'invite_monthly_stats',
  {
    inviteId: text('invite_id')
      .notNull()
      .references(() => invites.id, { onDelete: 'cascade' }),
    communityId: text('community_id').notNull(),
    month: text('month').notNull(),
    country: text('country').notNull(),
    via: text('via').notNull(),
    device: text('device').notNull(),
    referrerHost: text('referrer_host').notNull(),
    visits: integer('visits').notNull().default(0),
    uniqueVisitors: integer('unique_visitors').notNull().default(0),
    qrVisits: integer('qr_visits').notNull().default(0),
    linkVisits: integer('link_visits').notNull().default(0),
    botVisits: integer('bot_visits').notNull().default(0),
    joinRequests: integer('join_requests').notNull().default(0),
    confirmations: integer('confirmations').notNull().default(0),
    confirmedByPhone: integer('confirmed_by_phone').notNull().default(0),
    confirmedByEmail: integer('confirmed_by_email').notNull().default(0),
    joins: integer('joins').notNull().default(0),
    leaves: integer('leaves').notNull().default(0),
    leftWithin7Days: integer('left_within_7_days').notNull().default(0),
    leftWithin30Days: integer('left_within_30_days').notNull().default(0),
    verifiedJoins: integer('verified_joins').notNull().default(0),
    verifiedLeaves: integer('verified_leaves').notNull().default(0),
    firstJoinDay: text('first_join_day'),
  },
  (t) => [
    primaryKey({
      columns: [t.inviteId, t.month, t.country, t.via, t.device, t.referrerHost],
    }),
    index('invite_monthly_stats_community_idx').on(t.communityId, t.month),
  ],
)

/** Who has been counted as a unique visitor of an invite on a day (hashes change daily). */
export const dailyVisitors = sqliteTable(
  'daily_visitors',
  {
    inviteId: text('invite_id').notNull(),
    day: text('day').notNull(),
    visitorHash: text('visitor_hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.inviteId, t.day, t.visitorHash] })],
)

/** A random salt per UTC day for visitor hashes; old ones are deleted so hashes cannot be linked. */
export const visitorSalts = sqliteTable('visitor_salts', {
  day: text('day').primaryKey(),
  salt: text('salt').notNull(),
})

export type Invite = typeof invites.$inferSelect
