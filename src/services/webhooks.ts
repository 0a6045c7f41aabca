import {
  and,
  asc,
  desc,
  eq,
  exists,
  inArray,
  isNotNull,
  isNull,
  or,
  sql,
  type SQL,
} from 'drizzle-orm'
import type { Principal } from './access'
import type { Database } from '../db/client'
import {
  apiTokens,
  events,
  webhookDeliveries,
  webhookEndpoints,
  type EventType,
  type WebhookEndpoint,
} from '../db/schema'
import { ApiError, notFound } from '../lib/errors'
import type { DeliveryMessage } from './delivery/messages'
import { shownReason } from './delivery/reasons'
import { newId } from '../lib/ids'
import { logError } from '../lib/log'
import { checkOutboundUrl } from '../lib/outbound'
import { open, seal } from '../lib/secret-box'
import { newWebhookSecret } from '../lib/standard-webhooks'
import { getCommunityOrThrow } from './communities'

/**
 * Subscribes an endpoint; its secret is returned here only (it is stored encrypted). The URL must
 * be one the Worker may fetch (https, a public host; see `lib/outbound.ts`), and the community it
 * is scoped to one that exists (404, for the API and the dashboard alike, rather than a failed
 * insert).
 */
export async function createWebhookEndpoint(
  db: Database,
  input: { url: string; events: string[]; communityId: string | null },
  options: { signingSecret: string; allowHttp: boolean; madeBy: Principal },
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const check = checkOutboundUrl(input.url, { allowLoopbackHttp: options.allowHttp })
  if (!check.ok) {
    throw new ApiError('validation_failed', `This URL cannot receive webhooks: ${check.reason}.`, {
      errors: [{ path: 'url', message: check.reason }],
    })
  }
  if (input.communityId) await getCommunityOrThrow(db, input.communityId)
  const secret = newWebhookSecret()
  const endpoint: WebhookEndpoint = {
    id: newId('whk', now.getTime()),
    communityId: input.communityId,
    url: input.url,
    // Every event (`*`) takes in any named with it; each named once.
    events: input.events.includes('*') ? ['*'] : [...new Set(input.events)],
    secretCiphertext: await seal(options.signingSecret, secret),
    createdAt: now,
    disabledAt: null,
    goneAt: null,
    // A teammate's: theirs to answer for, and unsubscribed with their access (`unsubscribeEndpointsOf`).
    // An owner's serve the installation, and outlive the token that made them.
    createdByTokenId: options.madeBy.role === 'owner' ? null : options.madeBy.tokenId,
    alsoHeldBy: options.madeBy.alsoHeldBy?.length ? options.madeBy.alsoHeldBy : null,
  }
  await db.insert(webhookEndpoints).values(endpoint)
  return { endpoint, secret }
}

export async function getWebhookEndpointOrThrow(
  db: Database,
  id: string,
): Promise<WebhookEndpoint> {
  const endpoint = await db.query.webhookEndpoints.findFirst({ where: eq(webhookEndpoints.id, id) })
  if (!endpoint || endpoint.disabledAt) throw notFound('Webhook endpoint')
  return endpoint
}

/** Live endpoints: all of them, or those a community admin may see. */
export function listWebhookEndpoints(db: Database, communityId: string | null) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        isNull(webhookEndpoints.disabledAt),
        communityId ? eq(webhookEndpoints.communityId, communityId) : undefined,
      ),
    )
    .orderBy(asc(webhookEndpoints.id))
}

/**
 * Who subscribed each endpoint `listWebhookEndpoints` lists, by name (revoked makers too): what
 * an endpoint receives, confirmation links included, is only as trustworthy as who runs it.
 * Endpoints an owner's bootstrap token subscribed, or subscribed before makers were recorded,
 * name none.
 */
export function endpointMakersQuery(db: Database, communityId: string | null) {
  return db
    .select({ endpointId: webhookEndpoints.id, name: apiTokens.name })
    .from(webhookEndpoints)
    .innerJoin(apiTokens, eq(apiTokens.id, webhookEndpoints.createdByTokenId))
    .where(
      and(
        isNull(webhookEndpoints.disabledAt),
        communityId ? eq(webhookEndpoints.communityId, communityId) : undefined,
      ),
    )
}

/** Why an event never went to an endpoint: it answered 410 Gone before (`stopWebhookEndpoint`). */
export const ENDPOINT_STOPPED = 'endpoint stopped: it answered 410 Gone'

/** An endpoint events go to: subscribed, and its receiver has not said it is gone. */
const receivesEvents = and(isNull(webhookEndpoints.disabledAt), isNull(webhookEndpoints.goneAt))

/**
 * Whether a live endpoint receives this community's events of this type. The product sends no
 * e-mail itself: a `member.confirmation_requested` becomes one only in the operator's mail
 * system, which hears of it through such an endpoint.
 */
export async function hasSubscribedEndpoint(
  db: Database,
  type: EventType,
  communityId: string,
): Promise<boolean> {
  const [endpoint] = await subscribedEndpointQuery(db, type, communityId)
  return endpoint !== undefined
}

/** The read behind `hasSubscribedEndpoint`. */
function subscribedEndpointQuery(db: Database, type: EventType, communityId: string) {
  return db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(
      and(
        receivesEvents,
        or(isNull(webhookEndpoints.communityId), eq(webhookEndpoints.communityId, communityId)),
        sql`exists (select 1 from json_each(${webhookEndpoints.events}) where value in ('*', ${type}))`,
      ),
    )
    .limit(1)
}

/**
 * `hasSubscribedEndpoint`'s read as plain SQL, for a batch of raw statements: ?2 is the event
 * type, `community` the community's id as SQL (a parameter, or a subquery such as the link's).
 * Callers make it once per isolate and bind the values per request.
 */
export function subscribedEndpointSql(community: string): string {
  return `select id from webhook_endpoints
    where disabled_at is null and gone_at is null and (community_id is null or community_id = ${community})
      and exists (select 1 from json_each(events) where value in ('*', ?2))
    limit 1`
}

/**
 * Unsubscribes the endpoints the tokens `tokenIds` (a query of their ids) subscribed, and those
 * of `communityId` subscribed in a session one of them could have been behind (`alsoHeldBy`):
 * statements for the batch that revokes or demotes them. A teammate whose access ends keeps no
 * endpoint receiving the community's events (names, e-mail addresses, confirmation links) where
 * they chose.
 */
export function unsubscribeEndpointsOf(
  db: Database,
  tokenIds: SQL,
  communityId: SQL,
  now: Date,
  condition: SQL,
) {
  return [
    db
      .update(webhookEndpoints)
      .set({ disabledAt: now })
      .where(
        and(
          inArray(webhookEndpoints.createdByTokenId, tokenIds),
          isNull(webhookEndpoints.disabledAt),
          condition,
        ),
      ),
    db
      .update(webhookEndpoints)
      .set({ disabledAt: now })
      .where(
        and(
          eq(webhookEndpoints.communityId, communityId),
          isNull(webhookEndpoints.disabledAt),
          sql`exists (select 1 from json_each(${webhookEndpoints.alsoHeldBy}) where value in ${tokenIds})`,
          condition,
        ),
      ),
  ] as const
}

export async function disableWebhookEndpoint(
  db: Database,
  endpoint: WebhookEndpoint,
  now: Date,
): Promise<void> {
  await db
    .update(webhookEndpoints)
    .set({ disabledAt: now })
    .where(eq(webhookEndpoints.id, endpoint.id))
}

/**
 * Stops an endpoint whose receiver answered 410 Gone, as Standard Webhooks asks of a sender: no
 * event goes to it, none is queued for it, until someone resumes it. A statement for the batch
 * that settles the delivery the answer came to; the first 410 sets the time, later ones keep it.
 */
export function stopWebhookEndpoint(db: Database, endpointId: string, now: Date) {
  return db
    .update(webhookEndpoints)
    .set({ goneAt: now })
    .where(and(eq(webhookEndpoints.id, endpointId), isNull(webhookEndpoints.goneAt)))
}

/**
 * Sends events to a stopped endpoint again, from the next one on: those that came while it was
 * stopped are on its deliveries, failed, for `redeliverEvent` (the receiver said it was gone).
 * One that was not stopped is answered as it was given (`answerOf`: nothing to record).
 */
export async function resumeWebhookEndpoint(
  db: Database,
  endpoint: WebhookEndpoint,
): Promise<WebhookEndpoint> {
  const [resumed] = await db
    .update(webhookEndpoints)
    .set({ goneAt: null })
    .where(
      and(
        eq(webhookEndpoints.id, endpoint.id),
        isNull(webhookEndpoints.disabledAt),
        isNotNull(webhookEndpoints.goneAt),
      ),
    )
    .returning()
  return resumed ?? endpoint
}

export async function endpointSecret(
  endpoint: WebhookEndpoint,
  signingSecret: string,
): Promise<string> {
  return open(signingSecret, endpoint.secretCiphertext)
}

/**
 * An endpoint's latest deliveries: a query to await, or to run in a `db.batch` with others. Pass
 * the rows through `withShownReasons` before showing them.
 */
export function recentWebhookDeliveries(db: Database, endpointId: string, limit = 50) {
  return db
    .select({
      eventId: webhookDeliveries.eventId,
      type: events.type,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      responseStatus: webhookDeliveries.responseStatus,
      lastError: webhookDeliveries.lastError,
      updatedAt: webhookDeliveries.updatedAt,
    })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.updatedAt))
    .limit(limit)
}

/**
 * Sends one event to one endpoint again, as if it were new: its attempts start over (the whole
 * retry schedule), with the same webhook-id, so a receiver that did take it the first time
 * recognises it. For a delivery that failed, whose outcome is unknown, or that was sent and is
 * wanted again (the receiver lost what it did with it); one still being tried is refused. The
 * row first, then the queue message: should the message be lost, the reconciler finds the row
 * waiting and enqueues it again.
 */
export async function redeliverEvent(
  db: Database,
  queue: Queue,
  endpoint: WebhookEndpoint,
  eventId: string,
  now: Date,
): Promise<void> {
  if (endpoint.goneAt) throw endpointGone()
  const where = and(
    eq(webhookDeliveries.endpointId, endpoint.id),
    eq(webhookDeliveries.eventId, eventId),
  )
  const [again] = await db
    .update(webhookDeliveries)
    .set({
      status: 'queued',
      attempts: 0,
      lastError: null,
      responseStatus: null,
      nextAttemptAt: 0,
      updatedAt: now,
    })
    .where(
      and(
        where,
        inArray(webhookDeliveries.status, ['failed', 'unknown', 'sent']),
        // An event erased with its member is not sent again (its delivery may outlive it).
        exists(
          db
            .select({ one: sql`1` })
            .from(events)
            .where(eq(events.id, eventId)),
        ),
      ),
    )
    .returning({ eventId: webhookDeliveries.eventId })
  if (!again) {
    const open = await db.query.webhookDeliveries.findFirst({ columns: { status: true }, where })
    if (!open || !['queued', 'sending'].includes(open.status)) throw notFound('Delivery')
    throw new ApiError(
      'invalid_state',
      'This event is being delivered to the endpoint now: its attempts go on by themselves.',
    )
  }
  const message: DeliveryMessage = { kind: 'event', eventId, endpointId: endpoint.id }
  // The row says it waits: a message that cannot be sent now is the reconciler's to send.
  await queue.send(message).catch((error) => logError({ at: 'redeliver event', eventId }, error))
}

function endpointGone(): ApiError {
  return new ApiError(
    'invalid_state',
    'The endpoint answered 410 Gone and is stopped: resume it first (POST /api/webhooks/{id}/resume).',
  )
}

/** Deliveries as admins see them: each failure with its fixed reason, never an endpoint's answer. */
export function withShownReasons<Row extends { lastError: string | null }>(rows: Row[]): Row[] {
  return rows.map((row) => ({ ...row, lastError: shownReason(row.lastError) }))
}

/** Events taken per round: their ids plus one timestamp stay within D1's 100 bound values. */
export const OUTBOX_CHUNK = 90
/** Rounds per cron run: at most 900 events a minute in about 40 D1 queries. */
const OUTBOX_ROUNDS = 10

/**
 * Moves the events outbox on: each new event becomes one delivery per endpoint subscribed to
 * it, and a queue message each. Rows first, then messages, then the events marked, so a crash
 * anywhere repeats the work rather than losing it (a repeated delivery row or message is
 * ignored). Events are taken `OUTBOX_CHUNK` at a time, for up to `OUTBOX_ROUNDS` rounds; each
 * round is four statements whatever the number of endpoints (the pairs are made in SQL).
 */
export async function fanOutEvents(db: Database, queue: Queue, now: Date): Promise<number> {
  let moved = 0
  for (let round = 0; round < OUTBOX_ROUNDS; round++) {
    const pending = await db
      .select({ id: events.id })
      .from(events)
      .where(isNull(events.deliveredAt))
      .orderBy(asc(events.id))
      .limit(OUTBOX_CHUNK)
    if (pending.length === 0) break
    const ids = pending.map((event) => event.id)
    const [, pairs] = await db.batch([
      db
        .insert(webhookDeliveries)
        .select(
          db
            .select({
              eventId: sql<string>`${events.id}`.as('event_id'),
              endpointId: sql<string>`${webhookEndpoints.id}`.as('endpoint_id'),
              // A stopped endpoint's is failed from the start, not sent: on its list, to send
              // again once it is resumed.
              status:
                sql<'queued'>`case when ${webhookEndpoints.goneAt} is null then 'queued' else 'failed' end`.as(
                  'status',
                ),
              attempts: sql<number>`0`.as('attempts'),
              lastError:
                sql<null>`case when ${webhookEndpoints.goneAt} is null then null else ${ENDPOINT_STOPPED} end`.as(
                  'last_error',
                ),
              responseStatus: sql<null>`null`.as('response_status'),
              updatedAt: sql<Date>`${now.getTime()}`.as('updated_at'),
              nextAttemptAt: sql<number>`0`.as('next_attempt_at'),
            })
            .from(events)
            .innerJoin(
              webhookEndpoints,
              and(
                isNull(webhookEndpoints.disabledAt),
                or(
                  isNull(webhookEndpoints.communityId),
                  eq(webhookEndpoints.communityId, events.communityId),
                ),
                sql`exists (select 1 from json_each(${webhookEndpoints.events}) where value in ('*', ${events.type}))`,
              ),
            )
            .where(inArray(events.id, ids)),
        )
        .onConflictDoNothing(),
      db
        .select({ eventId: webhookDeliveries.eventId, endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .where(
          and(inArray(webhookDeliveries.eventId, ids), eq(webhookDeliveries.status, 'queued')),
        ),
    ])
    for (let i = 0; i < pairs.length; i += 100) {
      await queue.sendBatch(
        pairs.slice(i, i + 100).map((pair) => ({ body: { kind: 'event', ...pair } })),
      )
    }
    await db.update(events).set({ deliveredAt: now }).where(inArray(events.id, ids))
    moved += pending.length
    if (pending.length < OUTBOX_CHUNK) break
  }
  return moved
}
