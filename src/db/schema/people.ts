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
import { CONSENT_METHODS, contactConsentColumns, timestamp } from './common'
import { communities, groups } from './communities'
import { invites } from './invites'

/** People: sign-ups (join requests), memberships, and the referral rewards they earn. */

/** Why a membership ended, when the person told us (or their chat app did). */
export const LEAVE_REASONS = [
  'too_many_messages',
  'not_relevant',
  'joined_by_mistake',
  'other',
  // A STOP (or the like) in the chat, and the opt-out button of our templates, tapped in the chat.
  'chat_opt_out',
  'marketing_opt_out',
  // Marketing messages stopped in WhatsApp itself (its setting, as Meta reports it, or a send
  // Meta refused for it): only the person's resume there undoes it.
  'marketing_stopped_in_whatsapp',
  'undeliverable',
  // Telegram reported it: the person left the chat, or was removed from it there.
  'left_chat',
  'removed_in_chat',
] as const

export type LeaveReason = (typeof LEAVE_REASONS)[number]

/** The languages of the pages a person signs up on (`LANGUAGES` in src/lib/i18n). */
export const SIGN_UP_LANGUAGES = ['de', 'en'] as const
export type SignUpLanguage = (typeof SIGN_UP_LANGUAGES)[number]

export const MEMBER_STATUSES = ['active', 'left', 'removed'] as const

export type MemberStatus = (typeof MEMBER_STATUSES)[number]

/**
 * A person's membership of a community. Contact details are for admins only. Leaving or being
 * removed ends a membership for good; the same person joining again gets a new one. At most one
 * active membership per phone number and per e-mail address in a community, and per Telegram
 * account in a Telegram chat (a member who joined there, seen by Telegram: no sign-up behind it).
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
    // The sign-up the membership came from; null for a join Telegram reported (no sign-up).
    joinRequestId: text('join_request_id'),
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
    // Telegram: the chat they joined and their account there, which is their contact; its
    // consent record is the join itself (`telegram_join`, the update id as proof).
    telegramChatId: integer('telegram_chat_id'),
    telegramUserId: integer('telegram_user_id'),
    telegramUsername: text('telegram_username'),
    telegramConfirmedAt: timestamp('telegram_confirmed_at'),
    telegramConsentMethod: text('telegram_consent_method', { enum: CONSENT_METHODS }),
    telegramConsentProof: text('telegram_consent_proof'),
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
    // A Telegram member's stints in a chat, newest last: joins and leaves find theirs by this.
    index('members_telegram_idx')
      .on(t.telegramChatId, t.telegramUserId, t.joinedAt)
      .where(sql`telegram_user_id is not null`),
    uniqueIndex('members_active_telegram_unique')
      .on(t.telegramChatId, t.telegramUserId)
      .where(sql`status = 'active' and telegram_user_id is not null`),
    check(
      'members_contact_check',
      sql`${t.phone} is not null or ${t.email} is not null or ${t.telegramUserId} is not null`,
    ),
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
    // How the person came (the landing's QR or link, their device class, the host that referred
    // them to the landing), so the funnel's later steps break down as the visits do.
    via: text('via').notNull().default('unknown'),
    device: text('device').notNull().default('unknown'),
    referrerHost: text('referrer_host').notNull().default(''),
    // The language of the pages they signed up on: what we write to them on WhatsApp is in it.
    // Null for sign-ups from before it was kept: German and English together, for them.
    language: text('language', { enum: SIGN_UP_LANGUAGES }),
    status: text('status', { enum: JOIN_REQUEST_STATUSES }).notNull(),
    reason: text('reason'),
    statusTokenHash: text('status_token_hash').notNull(),
    // The status token itself, sealed with the signing secret (lib/secret-box.ts), so that a
    // WhatsApp reply to the person who proved they hold the page can carry its link: neither the
    // database nor the secret alone opens a page. Null for sign-ups from before it was kept, and
    // for those made without the secret.
    statusTokenSealed: text('status_token_sealed'),
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
    // Whether it took a use of its link's `maxUses` (a new person's sign-up does, a known
    // contact's repeat does not): what a sign-up erased unconfirmed gives back. False for those
    // from before it was kept, which give none back.
    tookUse: integer('took_use', { mode: 'boolean' }).notNull().default(false),
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
    // A number's newest sign-up across communities: the language its chat replies are in.
    index('join_requests_phone_newest_idx')
      .on(t.phone, t.createdAt)
      .where(sql`phone is not null`),
    // A deleted link unsets its sign-ups' link (the foreign key's action) through this.
    index('join_requests_invite_idx').on(t.inviteId),
    check('join_requests_status_check', sql`${t.status} in ('pending', 'approved', 'rejected')`),
    uniqueIndex('join_requests_confirm_code_unique')
      .on(t.confirmCodeHash)
      .where(sql`confirm_code_hash is not null`),
    // Sign-ups still to erase when their proof's time is up (services/retention.ts): one
    // erased and kept without its contacts leaves it.
    index('join_requests_unconfirmed_idx')
      .on(t.confirmExpiresAt)
      .where(
        sql`confirmed_at is null and confirm_expires_at is not null and (phone is not null or email is not null)`,
      ),
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
    // Retired: grants nothing more and is offered to no one; rewards earned by it stay theirs.
    retiredAt: timestamp('retired_at'),
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

export type Member = typeof members.$inferSelect

export type JoinRequest = typeof joinRequests.$inferSelect

export type RewardRule = typeof rewardRules.$inferSelect
