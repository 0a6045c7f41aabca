import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities } from './communities'
import { members } from './people'

/** What the WhatsApp webhook brings in: handled notifications, members' messages, marketing preferences. */

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
    // Deleting or erasing a member deletes their messages (the foreign key's cascade, too).
    index('inbound_messages_member_idx').on(t.memberId),
  ],
)

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
