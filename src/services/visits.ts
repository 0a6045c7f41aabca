import { eq, lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Database } from '../db/client'
import { textByRowCount } from '../db/rows'
import {
  dailyVisitors,
  DEVICE_CLASSES,
  OTHER_REFERRERS,
  VISIT_VIAS,
  visitMessages,
  visitorSalts,
} from '../db/schema'
import { randomBase64Url, toHex } from '../lib/crypto'
import { utcDay } from '../lib/time'

/** A landing view as it travels through the visits queue: already anonymous. */
export const VisitMessageSchema = z.object({
  inviteId: z.string().min(1).max(40),
  communityId: z.string().min(1).max(40),
  // At most the last instant a Date holds: past it a view has no day, and the write would fail.
  at: z.number().int().positive().max(8.64e15),
  via: z.enum(VISIT_VIAS),
  country: z.string().regex(/^[A-Z]{2}$/),
  referrerHost: z.string().max(253).nullable(),
  device: z.enum(DEVICE_CLASSES),
  isBot: z.boolean(),
  visitorHash: z.string().regex(/^[0-9a-f]{32}$/),
})

export type VisitMessage = z.infer<typeof VisitMessageSchema>

/** The most landing views one visits-queue message carries: an isolate's buffer, flushed. */
export const VISITS_PER_MESSAGE = 100

/**
 * A visits-queue message: the landing views one isolate flushed together, each parsed on its
 * own (`VisitMessageSchema`), so one that does not parse costs only itself. One message for up
 * to 100 views, where a message each made the queue store, deliver and acknowledge 100.
 */
export const VisitsMessageSchema = z.object({
  visits: z.array(z.unknown()).min(1).max(VISITS_PER_MESSAGE),
})

/** What the landing page's isolate sends (services/visit-buffer.ts). */
export interface VisitsMessage {
  visits: VisitMessage[]
}

/**
 * The visits a queue message carries that parse, and how many did not: a message of several
 * (`VisitsMessageSchema`), or of one view, as versions before sent them (a deploy can find such
 * messages still in the queue).
 */
export function visitsOfMessage(body: unknown): { visits: VisitMessage[]; malformed: number } {
  const several = VisitsMessageSchema.safeParse(body)
  if (!several.success) {
    const one = VisitMessageSchema.safeParse(body)
    if (one.success) return { visits: [one.data], malformed: 0 }
    // Neither (a list of more views than a flush holds, or of none): dropped as a whole, and
    // counted as the views it held.
    const held = (body as { visits?: unknown } | null | undefined)?.visits
    return { visits: [], malformed: Array.isArray(held) ? Math.max(held.length, 1) : 1 }
  }
  const visits: VisitMessage[] = []
  for (const candidate of several.data.visits) {
    const parsed = VisitMessageSchema.safeParse(candidate)
    if (parsed.success) visits.push(parsed.data)
  }
  return { visits, malformed: several.data.visits.length - visits.length }
}

// D1 binds at most 100 parameters per statement: 8 per visit row, 3 per visitor row, 2 per
// message row.
const VISIT_ROWS_PER_STATEMENT = 12
const VISITOR_ROWS_PER_STATEMENT = 33
const MESSAGE_ROWS_PER_STATEMENT = 50

/**
 * How long a written message's id is kept: as long as a queue keeps a message (four days by
 * default), so that no copy of it can come after its id is gone.
 */
export const VISIT_MESSAGE_RETENTION_MS = 4 * 86400_000

/**
 * Which of these visits-queue messages were written already: a queue delivers at least once,
 * and a message whose write committed but whose acknowledgement was lost comes again. One
 * statement, the ids as one JSON parameter.
 */
export async function writtenVisitMessages(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const { results } = await db.$client
    .prepare('select id from visit_messages where id in (select value from json_each(?1))')
    .bind(JSON.stringify(ids))
    .all<{ id: string }>()
  return new Set(results.map((row) => row.id))
}

/** Forgets the ids of messages written longer ago than a queue keeps a message. */
export async function pruneVisitMessages(db: Database, now: Date, limit = 5000): Promise<number> {
  const cutoff = now.getTime() - VISIT_MESSAGE_RETENTION_MS
  const result = await db.run(
    sql`delete from ${visitMessages} where id in (select id from visit_messages where received_at < ${cutoff} order by received_at limit ${limit})`,
  )
  return result.meta.changes
}

/**
 * Writes a batch of visits: the raw rows, and each invite's daily rollup per country, way in,
 * device and referrer, with the increments added up in memory first, so 100 visits of a popular
 * link cost a handful of statements in one D1 batch instead of 300.
 *
 * Unique visitors: the visitor hashes of a rollup row go into that day's set (a hash already
 * there is skipped), and the rollup upsert right after it adds `changes()`, which is how many
 * of them were new. Bots count in `bot_visits` only.
 *
 * Plain statements, not drizzle's builder: this runs for every batch of landing views, and
 * building 800 bound values a batch through the builder took more CPU than the rest of the
 * consumer together (the same isolate serves the landing page).
 */
export async function recordVisits(
  db: Database,
  batch: VisitMessage[],
  /** The ids of the queue messages the visits came in, recorded with them (`visitMessages`). */
  messageIds: string[] = [],
): Promise<void> {
  if (batch.length === 0) return
  const client = db.$client
  const statements: D1PreparedStatement[] = []
  // The messages' ids first, plainly: one written meanwhile by a consumer running a copy of it
  // fails the whole batch, which is then retried without it (`writtenVisitMessages`).
  const receivedAt = Date.now()
  for (let i = 0; i < messageIds.length; i += MESSAGE_ROWS_PER_STATEMENT) {
    const ids = messageIds.slice(i, i + MESSAGE_ROWS_PER_STATEMENT)
    statements.push(
      client.prepare(insertMessagesSql(ids.length)).bind(...ids.flatMap((id) => [id, receivedAt])),
    )
  }
  for (let i = 0; i < batch.length; i += VISIT_ROWS_PER_STATEMENT) {
    const rows = batch.slice(i, i + VISIT_ROWS_PER_STATEMENT)
    const values: (string | number | null)[] = []
    for (const visit of rows) {
      values.push(
        visit.inviteId,
        visit.at,
        visit.via,
        visit.country,
        visit.referrerHost,
        visit.device,
        visit.isBot ? 1 : 0,
        visit.visitorHash,
      )
    }
    statements.push(client.prepare(insertVisitsSql(rows.length)).bind(...values))
  }

  const groups = new Map<
    string,
    { first: VisitMessage; day: string; visitors: Set<string>; counts: RollupCounts }
  >()
  for (const visit of batch) {
    const day = utcDay(new Date(visit.at))
    const key = `${visit.inviteId}|${day}|${visit.country}|${visit.via}|${visit.device}|${visit.referrerHost ?? ''}`
    let group = groups.get(key)
    if (!group)
      groups.set(key, (group = { first: visit, day, visitors: new Set(), counts: emptyCounts() }))
    if (visit.isBot) {
      group.counts.botVisits += 1
    } else {
      group.counts.visits += 1
      group.counts[visit.via === 'qr' ? 'qrVisits' : 'linkVisits'] += 1
      group.visitors.add(visit.visitorHash)
    }
  }
  for (const { first, day, visitors, counts } of groups.values()) {
    const hashes = [...visitors]
    if (hashes.length === 0) {
      statements.push(upsertRollup(client, first, day, counts, false))
      continue
    }
    for (let i = 0; i < hashes.length; i += VISITOR_ROWS_PER_STATEMENT) {
      const chunk = hashes.slice(i, i + VISITOR_ROWS_PER_STATEMENT)
      statements.push(
        client
          .prepare(insertVisitorsSql(chunk.length))
          .bind(...chunk.flatMap((hash) => [first.inviteId, day, hash])),
        // The visit counts go with the first chunk only; every chunk adds its new visitors.
        upsertRollup(client, first, day, i === 0 ? counts : emptyCounts(), true),
      )
    }
  }
  await client.batch(statements)
}

/**
 * A view of a link deleted since (with its community) is left out of the visits and rollups,
 * not refused: one such view would otherwise fail the whole batch, up to 1,000 views of other
 * links, until it is dropped. (Its visitor hash may still go into the day's set, which has no
 * link to delete with and goes with the day's salt.)
 */
const insertVisitsSql = textByRowCount(
  '(?, ?, ?, ?, ?, ?, ?, ?)',
  (values) =>
    `insert into visits (invite_id, at, via, country, referrer_host, device, is_bot, visitor_hash)
     select * from (values ${values}) where column1 in (select id from invites)`,
)

const insertMessagesSql = textByRowCount(
  '(?, ?)',
  (values) => `insert into visit_messages (id, received_at) values ${values}`,
)

const insertVisitorsSql = textByRowCount(
  '(?, ?, ?)',
  (values) =>
    `insert into daily_visitors (invite_id, day, visitor_hash) values ${values}
     on conflict do nothing`,
)

interface RollupCounts {
  visits: number
  qrVisits: number
  linkVisits: number
  botVisits: number
}

function emptyCounts(): RollupCounts {
  return { visits: 0, qrVisits: 0, linkVisits: 0, botVisits: 0 }
}

/** Distinct referrer hosts a link's rollups keep per day; the rest count as `OTHER_REFERRERS`. */
const REFERRERS_PER_DAY = 50

/**
 * Adds a group's counts to its rollup row. The referrer host is kept as itself while the link
 * has fewer than `REFERRERS_PER_DAY` referrers that day (or already has this one), and counts as
 * `OTHER_REFERRERS` after that, so no stream of made-up Referer headers can multiply a link's
 * rollup rows. Decided in the upsert itself, so concurrent batches cannot both pass the bound by
 * much. With `addChanges`, the visitors the statement before it inserted (`changes()`) are new
 * unique visitors. Nothing is added for a link deleted since (as `insertVisitsSql`).
 */
const UPSERT_ROLLUP = (addChanges: boolean) =>
  `insert into invite_daily_stats (invite_id, community_id, day, country, via, device,
     referrer_host, visits, unique_visitors, qr_visits, link_visits, bot_visits)
   select ?1, ?2, ?3, ?4, ?5, ?6,
     (case when ?7 = ''
       or exists (select 1 from invite_daily_stats where invite_id = ?1 and day = ?3 and referrer_host = ?7)
       or (select count(distinct referrer_host) from invite_daily_stats where invite_id = ?1 and day = ?3) < ?12
       then ?7 else ?13 end),
     ?8, ${addChanges ? 'changes()' : '0'}, ?9, ?10, ?11
   where exists (select 1 from invites where id = ?1)
   on conflict (invite_id, day, country, via, device, referrer_host) do update set
     visits = visits + excluded.visits,
     unique_visitors = unique_visitors + excluded.unique_visitors,
     qr_visits = qr_visits + excluded.qr_visits,
     link_visits = link_visits + excluded.link_visits,
     bot_visits = bot_visits + excluded.bot_visits`
const UPSERT_ROLLUP_ADDING_CHANGES = UPSERT_ROLLUP(true)
const UPSERT_ROLLUP_WITHOUT_VISITORS = UPSERT_ROLLUP(false)

function upsertRollup(
  client: D1Database,
  visit: VisitMessage,
  day: string,
  counts: RollupCounts,
  addChanges: boolean,
): D1PreparedStatement {
  return client
    .prepare(addChanges ? UPSERT_ROLLUP_ADDING_CHANGES : UPSERT_ROLLUP_WITHOUT_VISITORS)
    .bind(
      visit.inviteId,
      visit.communityId,
      day,
      visit.country,
      visit.via,
      visit.device,
      visit.referrerHost ?? '',
      counts.visits,
      counts.qrVisits,
      counts.linkVisits,
      counts.botVisits,
      REFERRERS_PER_DAY,
      OTHER_REFERRERS,
    )
}

/** The day's HMAC key, once derived, for as long as this isolate lives. */
const keyCache = new Map<string, CryptoKey>()

/**
 * An anonymous visitor id: an HMAC of IP address and user agent, keyed with a random salt of
 * the UTC day shared by every isolate through D1. Whoever creates a day's salt also deletes the
 * salts and unique-visitor sets of earlier days: once a salt is gone, no stored hash can be tied
 * to an IP address again, and the same person counts as new the next day.
 */
export async function visitorHash(
  db: Database,
  at: Date,
  ip: string,
  userAgent: string,
): Promise<string> {
  const key = await dailyKey(db, utcDay(at))
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${ip}|${userAgent}`))
  return toHex(new Uint8Array(mac)).slice(0, 32)
}

async function dailyKey(db: Database, day: string): Promise<CryptoKey> {
  const cached = keyCache.get(day)
  if (cached) return cached
  const salt = await dailySalt(db, day)
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(salt),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  keyCache.clear()
  keyCache.set(day, key)
  return key
}

async function dailySalt(db: Database, day: string): Promise<string> {
  const created = await db
    .insert(visitorSalts)
    .values({ day, salt: randomBase64Url(32) })
    .onConflictDoNothing()
    .returning({ day: visitorSalts.day })
  if (created.length > 0) {
    await db.batch([
      db.delete(visitorSalts).where(lt(visitorSalts.day, day)),
      db.delete(dailyVisitors).where(lt(dailyVisitors.day, day)),
    ])
  }
  const row = await db.query.visitorSalts.findFirst({ where: eq(visitorSalts.day, day) })
  return row!.salt
}

/**
 * Deletes raw visits older than the retention period, a bounded number per call (the cron runs
 * every minute). The daily rollups that the stats read are kept: only the audit trail shrinks,
 * which is what keeps the database far from its size limit (see docs/scaling.md).
 */
export async function pruneVisits(
  db: Database,
  now: Date,
  retentionDays: number,
  limit = 5000,
): Promise<number> {
  const cutoff = now.getTime() - retentionDays * 86400_000
  const result = await db.run(
    sql`delete from visits where id in (select id from visits where at < ${cutoff} order by at limit ${limit})`,
  )
  return result.meta.changes
}
