import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { DELIVERY_STATUSES } from './announcements'
import { timestamp } from './common'
import { apiTokens } from './access'
import { communities } from './communities'

/** The events outbox and the webhook endpoints it is delivered to. */

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
    // An erased member's events go with them (services/erasure.ts). Every writer stores JSON
    // (json_object() or drizzle's JSON mode), which the index above already requires.
    index('events_member_idx').on(sql`${t.payload} ->> '$.memberId'`),
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
    // When the receiver answered 410 Gone, which Standard Webhooks reads as "send no more": no
    // event goes to it (none is even queued) until someone resumes it; it stays listed, stopped.
    goneAt: timestamp('gone_at'),
    // The teammate's token that subscribed it (null: an owner's bootstrap token, or made before
    // this was kept): revoking or demoting that teammate unsubscribes it, as their access ends.
    createdByTokenId: text('created_by_token_id').references(() => apiTokens.id, {
      onDelete: 'set null',
    }),
    // Subscribed in a session someone else could have opened: their tokens
    // (`services/held-by.ts`); revoking or demoting one of them unsubscribes it too.
    alsoHeldBy: text('also_held_by', { mode: 'json' }).$type<string[]>(),
  },
  (t) => [
    index('webhook_endpoints_community_idx').on(t.communityId),
    index('webhook_endpoints_created_by_idx').on(t.createdByTokenId),
  ],
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
    // When a queued delivery's next attempt is due (ms; 0: now): its queue message waits until
    // then, a copy that comes early waits too, and the reconciler knows a lost one from a late one.
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
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

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect
