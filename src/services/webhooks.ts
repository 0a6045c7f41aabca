import { and, asc, desc, eq, inArray, isNull, or } from 'drizzle-orm'
import type { Database } from '../db/client'
import { events, webhookDeliveries, webhookEndpoints, type WebhookEndpoint } from '../db/schema'
import { ApiError, notFound } from '../lib/errors'
import { shownReason } from '../lib/delivery-reasons'
import { newId } from '../lib/ids'
import { checkOutboundUrl } from '../lib/outbound'
import { open, seal } from '../lib/secret-box'
import { newWebhookSecret } from '../lib/standard-webhooks'

/**
 * Subscribes an endpoint; its secret is returned here only (it is stored encrypted). The URL must
 * be one the Worker may fetch (https, a public host; see `lib/outbound.ts`).
 */
export async function createWebhookEndpoint(
  db: Database,
  input: { url: string; events: string[]; communityId: string | null },
  options: { signingSecret: string; allowHttp: boolean },
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const check = checkOutboundUrl(input.url, { allowLoopbackHttp: options.allowHttp })
  if (!check.ok) {
    throw new ApiError('validation_failed', `This URL cannot receive webhooks: ${check.reason}.`, {
      errors: [{ path: 'url', message: check.reason }],
    })
  }
  const secret = newWebhookSecret()
  const endpoint: WebhookEndpoint = {
    id: newId('whk', now.getTime()),
    communityId: input.communityId,
    url: input.url,
    events: input.events,
    secretCiphertext: await seal(options.signingSecret, secret),
    createdAt: now,
    disabledAt: null,
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
export async function listWebhookEndpoints(
  db: Database,
  communityId: string | null,
): Promise<WebhookEndpoint[]> {
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

export async function endpointSecret(
  endpoint: WebhookEndpoint,
  signingSecret: string,
): Promise<string> {
  return open(signingSecret, endpoint.secretCiphertext)
}

/** The latest deliveries to an endpoint, each failure with its fixed reason. */
export async function recentWebhookDeliveries(db: Database, endpointId: string, limit = 50) {
  const rows = await db
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
  return rows.map((row) => ({ ...row, lastError: shownReason(row.lastError) }))
}

/**
 * Moves the events outbox on: each new event becomes one delivery per endpoint subscribed to
 * it, and a queue message each. Rows first, then messages, then the events marked, so a crash
 * anywhere repeats the work rather than losing it (a repeated delivery row or message is
 * ignored).
 */
export async function fanOutEvents(
  db: Database,
  queue: Queue,
  now: Date,
  limit = 100,
): Promise<number> {
  const pending = await db
    .select()
    .from(events)
    .where(isNull(events.deliveredAt))
    .orderBy(asc(events.id))
    .limit(limit)
  if (pending.length === 0) return 0
  const endpoints = await db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        isNull(webhookEndpoints.disabledAt),
        or(
          isNull(webhookEndpoints.communityId),
          inArray(webhookEndpoints.communityId, [...new Set(pending.map((e) => e.communityId))]),
        ),
      ),
    )
  const pairs = pending.flatMap((event) =>
    endpoints
      .filter(
        (endpoint) =>
          (!endpoint.communityId || endpoint.communityId === event.communityId) &&
          (endpoint.events.includes('*') || endpoint.events.includes(event.type)),
      )
      .map((endpoint) => ({ eventId: event.id, endpointId: endpoint.id })),
  )
  for (let i = 0; i < pairs.length; i += 25) {
    const chunk = pairs.slice(i, i + 25)
    await db
      .insert(webhookDeliveries)
      .values(chunk.map((pair) => ({ ...pair, status: 'queued' as const, updatedAt: now })))
      .onConflictDoNothing()
  }
  for (let i = 0; i < pairs.length; i += 100) {
    await queue.sendBatch(
      pairs.slice(i, i + 100).map((pair) => ({ body: { kind: 'event', ...pair } })),
    )
  }
  await db
    .update(events)
    .set({ deliveredAt: now })
    .where(
      inArray(
        events.id,
        pending.map((event) => event.id),
      ),
    )
  return pending.length
}
