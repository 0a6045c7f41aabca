import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities } from './communities'
import { joinRequests, members } from './people'

/** What the WhatsApp webhook brings in: handled notifications, members' messages, marketing preferences. */

/**
 * WhatsApp notifications already handled, by a key of their content: Meta delivers the same one
 * more than once. A message's key is a keyed hash of Meta's message id, which holds the sender's
 * number. Old keys are pruned by the cron job.
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
    // Deleting or erasing a member deletes their messages (the foreign key's cascade, too).
    index('inbound_messages_member_idx').on(t.memberId),
  ],
)

/**
 * A phone number's newest opt-out or opt-in on WhatsApp, from any of the ways it comes: a STOP or
 * START in the chat, Meta's opt-out button, or Meta's marketing preference (`user_preferences`),
 * by Meta's own timestamp of each (services/opt-outs.ts). One arriving late (Meta re-delivers
 * for days, and our queue retries) is recorded only if it is newer, so a stale "resume" never
 * undoes a newer "stop". `applied` is set once its effect on the memberships is done: a retry
 * after a failure finishes it, a copy of it does nothing.
 *
 * A standing "stop" is kept: it is the proof that nothing may go to the number until the number
 * itself says otherwise, whatever sign-ups, approvals or forms come later (`reachableAfterStop`).
 * A stop made in WhatsApp itself is marked (`heldInWhatsApp`): a START in the chat cannot lift
 * it, as Meta would go on refusing the marketing messages it would let through.
 * A "resume" is needed only while an older choice can still arrive, and is deleted some days
 * after its timestamp (`pruneOptIns`).
 */
export const marketingPreferences = sqliteTable(
  'marketing_preferences',
  {
    phone: text('phone').primaryKey(),
    value: text('value', { enum: ['stop', 'resume'] }).notNull(),
    timestamp: timestamp('timestamp').notNull(),
    applied: integer('applied', { mode: 'boolean' }).notNull().default(false),
    // A standing stop that holds the person's stop of marketing messages in WhatsApp itself
    // (Meta's preference, or a send Meta refused for it, 131050): Meta delivers no marketing
    // message until they resume them there, so only that resume lifts it, not a START in the chat.
    heldInWhatsApp: integer('held_in_whatsapp', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    check('marketing_preferences_value_check', sql`${t.value} in ('stop', 'resume')`),
    index('marketing_preferences_timestamp_idx').on(t.timestamp),
    // The cron job's: choices recorded but not yet done (`finishPendingChoices`).
    index('marketing_preferences_pending_idx')
      .on(t.timestamp)
      .where(sql`${t.applied} = 0`),
  ],
)

export const DECISION_NOTICE_STATUSES = [
  'due',
  'sending',
  'sent',
  'skipped',
  'failed',
  'unknown',
] as const
export type DecisionNoticeStatus = (typeof DECISION_NOTICE_STATUSES)[number]

/**
 * An admin's decision that is still to be told, or was told, on WhatsApp
 * (services/decision-notices.ts): written in the same batch as the decision, for a sign-up with a
 * confirmed number, so that a Worker stopping after the decision, or a Cloud API that fails,
 * loses no notice. `due` ones are sent by the decision's own request at once and, failing that,
 * by the cron job; a send is claimed (`sending`) before it leaves, and a claim never settled is
 * "outcome unknown", never sent again (Meta does not deduplicate). What is sent, and whether at
 * all, is decided at the moment of sending from the sign-up itself. Holds no contact data: it
 * goes with its sign-up.
 */
export const decisionNotices = sqliteTable(
  'decision_notices',
  {
    joinRequestId: text('join_request_id')
      .primaryKey()
      .references(() => joinRequests.id, { onDelete: 'cascade' }),
    // The sign-up's community, so that its admins see the notices that did not reach their
    // applicants (null only for notices recorded before the column, which the migration filled).
    communityId: text('community_id'),
    status: text('status', { enum: DECISION_NOTICE_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    // When the cron job looks at it next: a due notice's (next) attempt; a sending one's
    // deadline, past which its send counts as interrupted.
    dueAt: timestamp('due_at').notNull(),
    // A short fixed reason (why it was skipped, how the last attempt failed), never an answer's body.
    lastError: text('last_error'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    check(
      'decision_notices_status_check',
      sql`${t.status} in ('due', 'sending', 'sent', 'skipped', 'failed', 'unknown')`,
    ),
    // The cron job's: open notices of one status, by when they need it.
    index('decision_notices_due_idx').on(t.status, t.dueAt),
    // A community's approvals page: its notices that ended without reaching the applicant.
    index('decision_notices_untold_idx').on(t.communityId, t.status, t.updatedAt),
  ],
)
