import {
  and,
  asc,
  eq,
  exists,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  notExists,
  or,
  sql,
} from 'drizzle-orm'
import type { SQL } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import {
  communities,
  deadLetters,
  events,
  invites,
  joinRequests,
  webhookDeliveries,
} from '../db/schema'
import { ID_CHUNK, chunks } from '../lib/chunks'

/**
 * What goes when its time is up, beyond a table's own pruning (docs/security.md, "What is kept,
 * and for how long", lists every table). Both jobs here bind lists of ids, `ID_CHUNK` a statement,
 * and run all their statements in one D1 batch: one transaction, one query of the invocation.
 */

/** The sign-up an event names, as `events_join_request_idx` indexes it. */
const joinRequestIdOf = sql`${events.payload} ->> '$.joinRequestId'`

/** Webhook deliveries not settled yet: their event must still be there when they are sent. */
const OPEN_DELIVERY = ['queued', 'sending'] as const

/**
 * An unconfirmed sign-up past its time that still holds the contacts typed into it: what
 * `eraseExpiredSignUps` erases, and `join_requests_unconfirmed_idx` indexes.
 */
export const stillExpiring = (now: Date) =>
  and(
    eq(joinRequests.status, 'pending'),
    isNull(joinRequests.confirmedAt),
    lte(joinRequests.confirmExpiresAt, now),
    or(isNotNull(joinRequests.phone), isNotNull(joinRequests.email)),
  )

/**
 * Erases unconfirmed sign-ups past their time, with every event that names them: the
 * `member.confirmation_requested` event holds the person's name, e-mail address and confirmation
 * link, and would otherwise outlive them in the outbox. Their webhook deliveries go too, so a
 * queued send finds nothing to claim. Each statement re-checks that the sign-up is still
 * unconfirmed and expired, so one confirmed a moment ago keeps its events. Their link's use is
 * given back (`givenBackUses`); the request rollup stays: they count as sign-ups that never
 * confirmed. Answers how many sign-ups were erased.
 *
 * Most are deleted. In a community that asks for no proof, an unconfirmed sign-up is a known
 * contact's repeat (services/joining.ts `repeatSignUp`), and its status link must go on showing
 * what a new member's shows once their proof's time is up (pages/sign-up-links.ts): it is kept,
 * with nothing typed into it (no name, contacts, answers or code), and leaves the index of those
 * still to erase.
 */
export async function eraseExpiredSignUps(db: Database, ids: string[], now: Date): Promise<number> {
  const expired = stillExpiring(now)
  const askedForNoProof = exists(
    db
      .select({ one: sql`1` })
      .from(communities)
      .where(and(eq(communities.id, joinRequests.communityId), eq(communities.consent, 'single'))),
  )
  const statements = chunks(ids, ID_CHUNK).flatMap((part) => {
    const theirEvents = db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          inArray(joinRequestIdOf, part),
          exists(
            db
              .select({ one: sql`1` })
              .from(joinRequests)
              .where(and(eq(joinRequests.id, joinRequestIdOf), expired)),
          ),
        ),
      )
    return [
      db.delete(webhookDeliveries).where(inArray(webhookDeliveries.eventId, theirEvents)),
      db.delete(events).where(inArray(events.id, theirEvents)),
      // Before either the emptying or the deletion below: both end the sign-up's expiring.
      givenBackUses(db, part, expired, now),
      db
        .update(joinRequests)
        .set({
          name: '',
          phone: null,
          email: null,
          answers: [],
          referrerMemberId: null,
          confirmCodeHash: null,
        })
        .where(and(inArray(joinRequests.id, part), expired, askedForNoProof))
        .returning({ id: joinRequests.id }),
      db
        .delete(joinRequests)
        .where(and(inArray(joinRequests.id, part), expired))
        .returning({ id: joinRequests.id }),
    ] as const
  })
  const [first, ...rest] = statements
  if (!first) return 0
  const results = await db.batch([first, ...rest])
  return results.reduce(
    (erased, result, i) => erased + (i % 5 >= 3 ? (result as unknown[]).length : 0),
    0,
  )
}

/**
 * The uses of their links that the expiring sign-ups took (`tookUse`), given back: a link's
 * `maxUses` counts sign-ups that may still become members, and one nobody confirmed never will
 * (addresses typed by someone else would otherwise use up a poster's link for good). Run before
 * they are deleted or emptied, which ends their expiring, so each gives its use back once; a
 * known contact's repeat took none, whatever the community asks for now. The ids are bound once,
 * as JSON.
 */
function givenBackUses(db: Database, ids: string[], expired: SQL | undefined, now: Date) {
  const leaving = and(
    sql`${joinRequests.id} in (select value from json_each(${JSON.stringify(ids)}))`,
    expired,
    // Only what they took: not a known contact's repeat, whatever the community asks for now.
    eq(joinRequests.tookUse, true),
  )
  return db
    .update(invites)
    .set({
      uses: sql`max(0, ${invites.uses} - (select count(*) from ${joinRequests} where ${joinRequests.inviteId} = ${invites.id} and ${leaving}))`,
      updatedAt: now,
    })
    .where(
      inArray(
        invites.id,
        db.select({ id: joinRequests.inviteId }).from(joinRequests).where(leaving),
      ),
    )
}

/** Events deleted per cron run at most: ten statements' worth of ids. */
export const EVENT_PRUNE_LIMIT = 10 * ID_CHUNK

/**
 * Deletes events handed to delivery more than `retentionDays` ago whose webhook deliveries have
 * all settled (sent, failed, unknown, cancelled), with those deliveries: the outbox is a queue
 * for partners, not an archive, and its events name members and sign-ups. An event not handed
 * on yet, or with a delivery still queued or sending, stays whatever its age. At most
 * `EVENT_PRUNE_LIMIT` a run, oldest first; the rest wait for the next minute.
 */
export async function pruneDeliveredEvents(
  db: Database,
  now: Date,
  retentionDays: number,
  limit = EVENT_PRUNE_LIMIT,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86400_000)
  const settledAndOld = and(
    isNotNull(events.deliveredAt),
    lt(events.deliveredAt, cutoff),
    notExists(
      db
        .select({ one: sql`1` })
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.eventId, events.id),
            inArray(webhookDeliveries.status, [...OPEN_DELIVERY]),
          ),
        ),
    ),
  )
  const old = await db
    .select({ id: events.id })
    .from(events)
    .where(settledAndOld)
    .orderBy(asc(events.deliveredAt), asc(events.id))
    .limit(limit)
  const statements = chunks(
    old.map((event) => event.id),
    ID_CHUNK,
  ).flatMap((part) => [
    // The rule is the statement's own, not only the look-up's: it holds whatever ran between.
    db
      .delete(events)
      .where(and(inArray(events.id, part), settledAndOld))
      .returning({ id: events.id }),
    db.delete(webhookDeliveries).where(
      and(
        inArray(webhookDeliveries.eventId, part),
        notExists(
          db
            .select({ one: sql`1` })
            .from(events)
            .where(eq(events.id, webhookDeliveries.eventId)),
        ),
      ),
    ),
  ])
  const [first, ...rest] = statements
  if (!first) return 0
  const results = await db.batch([first, ...rest])
  return results.reduce(
    (deleted, result, i) => deleted + (i % 2 === 0 ? (result as unknown[]).length : 0),
    0,
  )
}

/** Dead letters deleted per cron run at most. */
const DEAD_LETTER_PRUNE_LIMIT = 1000

/**
 * Deletes dead letters (queue messages that failed for good: the ids of a run and member, or of
 * an event and endpoint, and a fixed reason) `retentionDays` after they were dead-lettered, oldest
 * first, at most `limit` a run (`dead_letters_created_idx` finds them); the rest wait for the
 * next minute. They are read while a failure is fresh; kept longer they would only keep the
 * member ids they name alive after the member was erased.
 */
export function pruneDeadLetters(
  db: Database,
  now: Date,
  retentionDays: number,
  limit = DEAD_LETTER_PRUNE_LIMIT,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86400_000)
  return deleteOldest(db, deadLetters, deadLetters.id, deadLetters.createdAt, cutoff, limit)
}

/**
 * Deletes the rows of `table` whose time `at` is before `cutoff`, oldest first, at most `limit`
 * (one statement; the rest wait for the next run). Answers how many went. `at` needs an index,
 * or each run reads the whole table (the query-plan test holds the callers to it).
 */
export async function deleteOldest(
  db: Database,
  table: SQLiteTable,
  id: SQLiteColumn,
  at: SQLiteColumn,
  cutoff: Date,
  limit: number,
): Promise<number> {
  const oldest = db.select({ id }).from(table).where(lt(at, cutoff)).orderBy(asc(at)).limit(limit)
  const result = await db.delete(table).where(inArray(id, oldest))
  return result.meta.changes
}

/**
 * Erases expired unconfirmed sign-ups with their contact data, wherever it is (the sign-up and
 * the events naming it, see `eraseExpiredSignUps`), a bounded number per run, giving back the
 * use of their link each took; the request rollup stays: they count as sign-ups that never
 * confirmed.
 */
export async function pruneUnconfirmed(db: Database, now: Date, limit = 500): Promise<number> {
  const expired = await db
    .select({ id: joinRequests.id })
    .from(joinRequests)
    .where(
      // Only these are erased: others left in the look-up would fill it run after run.
      and(isNotNull(joinRequests.confirmExpiresAt), stillExpiring(now)),
    )
    .limit(limit)
  return eraseExpiredSignUps(
    db,
    expired.map((row) => row.id),
    now,
  )
}
