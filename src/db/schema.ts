/**
 * The data model, one source of truth: drizzle-kit generates `migrations/` from this file and a
 * test fails when the two drift apart.
 *
 * Conventions: ids are prefixed and time-sortable (see `lib/ids.ts`), so ordering by id is
 * ordering by creation and a primary key doubles as a pagination cursor. Times are stored as
 * integer milliseconds since the epoch. Enumerations are text columns guarded by CHECK
 * constraints so that no code path, ours or a hand-written query, can store a value the API
 * could not return.
 */
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

export const VISIBILITIES = ['open', 'closed'] as const
export type Visibility = (typeof VISIBILITIES)[number]

export const GROUP_KINDS = ['announcement', 'discussion'] as const
export type GroupKind = (typeof GROUP_KINDS)[number]

export const GROUP_ORIGINS = ['created', 'added'] as const
export type GroupOrigin = (typeof GROUP_ORIGINS)[number]

/**
 * How a sign-up proves consent: `single`, the form alone (a typed number proves nothing);
 * `double`, the owner of the number or address confirms before anything is sent to them.
 */
export const CONSENT_MODES = ['single', 'double'] as const
export type ConsentMode = (typeof CONSENT_MODES)[number]

/** How a member's consent was given: the proof an admin can show. */
export const CONSENT_METHODS = [
  'whatsapp_message',
  'whatsapp_button',
  'email_link',
  'single_opt_in',
  'admin',
] as const
export type ConsentMethod = (typeof CONSENT_METHODS)[number]

/** Why a membership ended, when the person told us (or their chat app did). */
export const LEAVE_REASONS = [
  'too_many_messages',
  'not_relevant',
  'joined_by_mistake',
  'other',
  'chat_opt_out',
  'marketing_opt_out',
  'undeliverable',
] as const
export type LeaveReason = (typeof LEAVE_REASONS)[number]

export const TOKEN_ROLES = ['owner', 'community_admin', 'group_admin'] as const
export type TokenRole = (typeof TOKEN_ROLES)[number]

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** The kinds of contact a person gives, each proven on its own. */
export const CONTACT_KINDS = ['phone', 'email'] as const
export type ContactKind = (typeof CONTACT_KINDS)[number]

/**
 * One consent record per contact: when, how and with what proof its owner confirmed it. A proof
 * confirms only the contact it comes from (a WhatsApp message its number, an e-mailed link its
 * address); nothing is ever sent to a contact whose record is empty.
 */
const contactConsentColumns = {
  phoneConfirmedAt: timestamp('phone_confirmed_at'),
  phoneConsentMethod: text('phone_consent_method', { enum: CONSENT_METHODS }),
  phoneConsentProof: text('phone_consent_proof'),
  emailConfirmedAt: timestamp('email_confirmed_at'),
  emailConsentMethod: text('email_consent_method', { enum: CONSENT_METHODS }),
  emailConsentProof: text('email_consent_proof'),
}

export const communities = sqliteTable(
  'communities',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    photoUrl: text('photo_url'),
    visibility: text('visibility', { enum: VISIBILITIES }).notNull(),
    joinQuestions: text('join_questions', { mode: 'json' })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    maxGroups: integer('max_groups').notNull().default(50),
    // Existing communities were migrated to `single`; new ones ask for a double opt-in.
    consent: text('consent', { enum: CONSENT_MODES }).notNull().default('double'),
    // The IANA zone its public pages tell times in, and its announcements' default.
    timeZone: text('time_zone').notNull().default('Europe/Berlin'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('communities_slug_unique').on(t.slug),
    check('communities_visibility_check', sql`${t.visibility} in ('open', 'closed')`),
    check('communities_max_groups_check', sql`${t.maxGroups} between 1 and 50`),
  ],
)

export const groups = sqliteTable(
  'groups',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: GROUP_KINDS }).notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    topic: text('topic'),
    iconUrl: text('icon_url'),
    memberLimit: integer('member_limit').notNull(),
    chatInviteUrl: text('chat_invite_url'),
    origin: text('origin', { enum: GROUP_ORIGINS }).notNull().default('created'),
    // Kept by the joins themselves (never counted at read time), so the landing page and the
    // limit checks read one number.
    memberCount: integer('member_count').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('groups_community_idx').on(t.communityId, t.id),
    // Exactly one announcement group per community: the index refuses a second one.
    uniqueIndex('groups_one_announcement_per_community')
      .on(t.communityId)
      .where(sql`kind = 'announcement'`),
    check('groups_kind_check', sql`${t.kind} in ('announcement', 'discussion')`),
    check('groups_origin_check', sql`${t.origin} in ('created', 'added')`),
    check(
      'groups_member_limit_check',
      sql`${t.memberLimit} >= 1 and ${t.memberLimit} <= case ${t.kind} when 'announcement' then 2000 else 1024 end`,
    ),
  ],
)

/**
 * API tokens are the admins of an installation. Only the SHA-256 of a token is stored. A group
 * admin keeps `groupId` when promoted to community admin, so a demotion can put them back.
 */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: TOKEN_ROLES }).notNull(),
    communityId: text('community_id').references(() => communities.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull(),
    tokenPrefix: text('token_prefix').notNull(),
    createdAt: timestamp('created_at').notNull(),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_unique').on(t.tokenHash),
    index('api_tokens_community_idx').on(t.communityId),
    index('api_tokens_group_idx').on(t.groupId),
    check('api_tokens_role_check', sql`${t.role} in ('owner', 'community_admin', 'group_admin')`),
    check(
      'api_tokens_scope_check',
      sql`(${t.role} = 'owner' and ${t.communityId} is null)
        or (${t.role} = 'community_admin' and ${t.communityId} is not null)
        or (${t.role} = 'group_admin' and ${t.communityId} is not null and ${t.groupId} is not null)`,
    ),
  ],
)

/**
 * Dashboard sessions, revocable on the server. The cookie carries a random session id; only its
 * SHA-256 is stored, so a copy of the database cannot be replayed as a cookie. A session belongs
 * to a stored token (and ends with it) or, for the bootstrap owner, to a fingerprint of the
 * `ADMIN_TOKEN` it signed in with, so a new secret ends the old one's sessions. Deleting the row
 * signs the session out at once, wherever its cookie was copied to.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    tokenId: text('token_id').references(() => apiTokens.id, { onDelete: 'cascade' }),
    bootstrapKey: text('bootstrap_key'),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [
    index('sessions_token_idx').on(t.tokenId),
    index('sessions_bootstrap_idx').on(t.bootstrapKey),
    index('sessions_expires_idx').on(t.expiresAt),
    check('sessions_owner_check', sql`(${t.tokenId} is null) <> (${t.bootstrapKey} is null)`),
  ],
)

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
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('invites_code_unique').on(t.code),
    index('invites_community_idx').on(t.communityId, t.id),
    uniqueIndex('invites_referrer_unique').on(t.referrerMemberId),
    check('invites_max_uses_check', sql`${t.maxUses} is null or ${t.maxUses} >= 1`),
    check(
      'invites_uses_check',
      sql`${t.uses} >= 0 and (${t.maxUses} is null or ${t.uses} <= ${t.maxUses})`,
    ),
  ],
)

export const inviteCodes = sqliteTable('invite_codes', {
  code: text('code').primaryKey(),
  inviteId: text('invite_id')
    .notNull()
    .references(() => invites.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at').notNull(),
  retiredAt: timestamp('retired_at'),
})

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
 * Daily rollups per invite and country, updated in the same batch as each visit (and, for
 * join requests and joins, each join). Stats read these rows: a few hundred per invite a year,
 * however many millions of visits they stand for.
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
  },
  (t) => [
    primaryKey({ columns: [t.inviteId, t.day, t.country] }),
    index('invite_daily_stats_community_idx').on(t.communityId, t.day),
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

export const MEMBER_STATUSES = ['active', 'left', 'removed'] as const
export type MemberStatus = (typeof MEMBER_STATUSES)[number]

/**
 * A person's membership of a community. Contact details are for admins only. Leaving or being
 * removed ends a membership for good; the same person joining again gets a new one. At most one
 * active membership per phone number and per e-mail address in a community.
 */
export const members = sqliteTable(
  'members',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    phone: text('phone'),
    email: text('email'),
    consent: integer('consent', { mode: 'boolean' }).notNull(),
    status: text('status', { enum: MEMBER_STATUSES }).notNull().default('active'),
    joinRequestId: text('join_request_id').notNull(),
    inviteId: text('invite_id'),
    referredByMemberId: text('referred_by_member_id'),
    // Approved referrals, kept by the joins themselves so the leaderboard reads an index.
    referralCount: integer('referral_count').notNull().default(0),
    joinedAt: timestamp('joined_at').notNull(),
    endedAt: timestamp('ended_at'),
    // The member's first consent (when, how, the proof's id): a member is confirmed once any
    // of their contacts is. What may be sent where is decided per contact, below.
    confirmedAt: timestamp('confirmed_at'),
    consentMethod: text('consent_method', { enum: CONSENT_METHODS }),
    consentProof: text('consent_proof'),
    ...contactConsentColumns,
    leaveReason: text('leave_reason', { enum: LEAVE_REASONS }),
  },
  (t) => [
    index('members_community_idx').on(t.communityId, t.status, t.id),
    index('members_community_id_idx').on(t.communityId, t.id),
    // A contact identifies a member once it is proven: a number someone typed in for a
    // stranger never blocks the stranger from joining with it.
    uniqueIndex('members_active_phone_unique')
      .on(t.communityId, t.phone)
      .where(sql`status = 'active' and phone is not null and phone_confirmed_at is not null`),
    uniqueIndex('members_active_email_unique')
      .on(t.communityId, t.email)
      .where(sql`status = 'active' and email is not null and email_confirmed_at is not null`),
    // The all-time leaderboard reads this index in order and stops after one page.
    index('members_leaderboard_idx').on(t.communityId, sql`referral_count desc`, t.id),
    // A period's leaderboard reads only the referred members who joined in it.
    index('members_referred_joined_idx')
      .on(t.communityId, t.joinedAt, t.referredByMemberId)
      .where(sql`referred_by_member_id is not null`),
    index('members_referred_by_idx').on(t.referredByMemberId, t.joinedAt),
    // The chat's sender is a phone number: inbound messages find their member by it.
    index('members_phone_idx').on(t.phone, t.status),
    check('members_status_check', sql`${t.status} in ('active', 'left', 'removed')`),
    check('members_contact_check', sql`${t.phone} is not null or ${t.email} is not null`),
  ],
)

/** Which groups a member is in. Every active member is in the announcement group. */
export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    memberId: text('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    joinedAt: timestamp('joined_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.memberId] }),
    index('group_members_member_idx').on(t.memberId),
  ],
)

export const JOIN_REQUEST_STATUSES = ['pending', 'approved', 'rejected'] as const
export type JoinRequestStatus = (typeof JOIN_REQUEST_STATUSES)[number]

/**
 * Every sign-up. In a closed community it waits for an admin; in an open one it is approved in
 * the same batch that creates the membership. The person follows it on a status page whose
 * token only they hold (its SHA-256 is stored).
 */
export const joinRequests = sqliteTable(
  'join_requests',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    inviteId: text('invite_id').references(() => invites.id, { onDelete: 'set null' }),
    groupId: text('group_id'),
    referrerMemberId: text('referrer_member_id'),
    name: text('name').notNull(),
    phone: text('phone'),
    email: text('email'),
    answers: text('answers', { mode: 'json' })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    consent: integer('consent', { mode: 'boolean' }).notNull(),
    country: text('country').notNull().default('XX'),
    status: text('status', { enum: JOIN_REQUEST_STATUSES }).notNull(),
    reason: text('reason'),
    statusTokenHash: text('status_token_hash').notNull(),
    memberId: text('member_id'),
    createdAt: timestamp('created_at').notNull(),
    decidedAt: timestamp('decided_at'),
    // Double opt-in: set when the sign-up must be confirmed; unconfirmed ones are deleted then.
    confirmExpiresAt: timestamp('confirm_expires_at'),
    confirmedAt: timestamp('confirmed_at'),
    consentMethod: text('consent_method', { enum: CONSENT_METHODS }),
    consentProof: text('consent_proof'),
    ...contactConsentColumns,
    // The one-time code sent back through WhatsApp, keyed-hashed; cleared when used.
    confirmCodeHash: text('confirm_code_hash'),
    // A repeat sign-up by someone already signed up (their proof showed it, or the community
    // asks for none): its status page shows that earlier sign-up. Holds no contact data.
    repeatOf: text('repeat_of'),
  },
  (t) => [
    index('join_requests_community_status_idx').on(t.communityId, t.status, t.id),
    uniqueIndex('join_requests_token_unique').on(t.statusTokenHash),
    // Unconfirmed sign-ups for the same contact may coexist: the proof decides whose it is.
    uniqueIndex('join_requests_pending_phone_unique')
      .on(t.communityId, t.phone)
      .where(sql`status = 'pending' and phone is not null and phone_confirmed_at is not null`),
    uniqueIndex('join_requests_pending_email_unique')
      .on(t.communityId, t.email)
      .where(sql`status = 'pending' and email is not null and email_confirmed_at is not null`),
    index('join_requests_phone_idx').on(t.communityId, t.phone, t.decidedAt),
    index('join_requests_email_idx').on(t.communityId, t.email, t.decidedAt),
    check('join_requests_status_check', sql`${t.status} in ('pending', 'approved', 'rejected')`),
    uniqueIndex('join_requests_confirm_code_unique')
      .on(t.confirmCodeHash)
      .where(sql`confirm_code_hash is not null`),
    index('join_requests_unconfirmed_idx')
      .on(t.confirmExpiresAt)
      .where(sql`confirmed_at is null and confirm_expires_at is not null`),
  ],
)

export const rewardRules = sqliteTable(
  'reward_rules',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    threshold: integer('threshold').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    code: text('code'),
    // Referred members count only once they have stayed this many days (0: at once).
    minRetentionDays: integer('min_retention_days').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [
    index('reward_rules_community_idx').on(t.communityId, t.threshold),
    // The cron job finds the rules that wait for referred members to stay.
    index('reward_rules_retention_idx').on(t.minRetentionDays),
    check('reward_rules_threshold_check', sql`${t.threshold} >= 1`),
  ],
)

/** A reward a referrer earned: once per rule and member, whatever races. */
export const rewards = sqliteTable(
  'rewards',
  {
    id: text('id').primaryKey(),
    ruleId: text('rule_id')
      .notNull()
      .references(() => rewardRules.id, { onDelete: 'cascade' }),
    memberId: text('member_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    communityId: text('community_id').notNull(),
    // The join request whose approval crossed the threshold: its batch writes the event too.
    triggeredBy: text('triggered_by').notNull(),
    earnedAt: timestamp('earned_at').notNull(),
  },
  (t) => [
    uniqueIndex('rewards_rule_member_unique').on(t.ruleId, t.memberId),
    index('rewards_community_idx').on(t.communityId, t.id),
    index('rewards_member_idx').on(t.memberId),
  ],
)

export const EVENT_TYPES = [
  'join.requested',
  'join.approved',
  'join.rejected',
  'member.joined',
  'member.left',
  'member.confirmation_requested',
  'reward.earned',
  'announcement.paused',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/**
 * The outbox: every state change a partner system may want, written in the same batch as the
 * change, so none is lost. Delivery (signed webhooks) reads it in order. Not an archive: an event
 * goes `EVENT_RETENTION_DAYS` after it was handed to delivery, once its webhook deliveries have
 * settled, and at once with the unconfirmed sign-up it names (`member.confirmation_requested`
 * holds a name, an e-mail address and a live link).
 */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    type: text('type', { enum: EVENT_TYPES }).notNull(),
    communityId: text('community_id').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at').notNull(),
    deliveredAt: timestamp('delivered_at'),
  },
  (t) => [
    // Also the retention job's: delivered events oldest first.
    index('events_undelivered_idx').on(t.deliveredAt, t.id),
    // An expired sign-up's events go with it (services/retention.ts), found by this expression.
    // `->>`, not json_extract(): drizzle-kit splits an index expression at its commas.
    index('events_join_request_idx').on(sql`${t.payload} ->> '$.joinRequestId'`),
  ],
)

/** Fixed-window counters for rate limits (join attempts per visitor and per contact). */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
)

export const ANNOUNCEMENT_STATUSES = ['scheduled', 'dispatching', 'sent', 'cancelled'] as const
export type AnnouncementStatus = (typeof ANNOUNCEMENT_STATUSES)[number]

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

/** Partner endpoints that receive the events outbox as Standard Webhooks. */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    // Null: every community's events (owners only).
    communityId: text('community_id').references(() => communities.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
    // The signing secret, encrypted with a key derived from SIGNING_SECRET (AES-GCM).
    secretCiphertext: text('secret_ciphertext').notNull(),
    createdAt: timestamp('created_at').notNull(),
    disabledAt: timestamp('disabled_at'),
  },
  (t) => [index('webhook_endpoints_community_idx').on(t.communityId)],
)

/** One event to one endpoint; the key makes each happen at most once. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    eventId: text('event_id').notNull(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    responseStatus: integer('response_status'),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.endpointId] }),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.updatedAt),
    // The reconciler's: deliveries still open (queued or sending), oldest first; settled rows
    // are not in it, so it stays small however long the history grows.
    index('webhook_deliveries_open_idx')
      .on(t.updatedAt)
      .where(sql`status in ('queued', 'sending')`),
  ],
)

/**
 * Messages that failed for good, as the dead-letter queue's consumer received them: what was
 * not delivered and why, for admins to see and act on.
 */
export const deadLetters = sqliteTable(
  'dead_letters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    queue: text('queue').notNull(),
    body: text('body', { mode: 'json' }).$type<unknown>().notNull(),
    error: text('error'),
    createdAt: timestamp('created_at').notNull(),
  },
  (t) => [index('dead_letters_created_idx').on(t.createdAt)],
)

/**
 * WhatsApp notifications already handled, by a key of their content: Meta delivers the same one
 * more than once. Old keys are pruned by the cron job.
 */
export const inboundNotifications = sqliteTable(
  'inbound_notifications',
  {
    key: text('key').primaryKey(),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [index('inbound_notifications_received_idx').on(t.receivedAt)],
)

/** Messages members sent to the business number that were no command: kept for the admins. */
export const inboundMessages = sqliteTable(
  'inbound_messages',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    memberId: text('member_id').references(() => members.id, { onDelete: 'cascade' }),
    providerMessageId: text('provider_message_id').notNull(),
    text: text('text').notNull(),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('inbound_messages_provider_unique').on(t.providerMessageId, t.communityId),
    index('inbound_messages_community_idx').on(t.communityId, t.id),
  ],
)

export type Community = typeof communities.$inferSelect
export type Group = typeof groups.$inferSelect
export type ApiToken = typeof apiTokens.$inferSelect
export type Session = typeof sessions.$inferSelect
export type Invite = typeof invites.$inferSelect
export type Member = typeof members.$inferSelect
export type JoinRequest = typeof joinRequests.$inferSelect
export type RewardRule = typeof rewardRules.$inferSelect
export type Announcement = typeof announcements.$inferSelect
export type Dispatch = typeof dispatches.$inferSelect
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect

/**
 * The newest marketing preference Meta reported for a phone number (`user_preferences`: the
 * person stopped or resumed marketing messages in WhatsApp), by Meta's own timestamp: one arriving
 * late (Meta re-delivers for days, and our queue retries) is applied only if it is newer, so a
 * stale "resume" never undoes a newer "stop". `applied` is set once its effect on the memberships
 * is done: a retry after a failure finishes it, a copy of it does nothing.
 *
 * A phone number is personal data, and this row is needed only while an older preference can
 * still arrive: rows are deleted some days after their timestamp, whatever the value
 * (`pruneInboundNotifications`). What the person decided stays where it matters, on the
 * memberships (`leave_reason`) and in the `member.left` / `member.joined` events.
 */
export const marketingPreferences = sqliteTable(
  'marketing_preferences',
  {
    phone: text('phone').primaryKey(),
    value: text('value', { enum: ['stop', 'resume'] }).notNull(),
    timestamp: timestamp('timestamp').notNull(),
    applied: integer('applied', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    check('marketing_preferences_value_check', sql`${t.value} in ('stop', 'resume')`),
    index('marketing_preferences_timestamp_idx').on(t.timestamp),
  ],
)
