import { eq, lt, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { z } from 'zod'
import type { Database } from '../db/client'
import {
  dailyVisitors,
  DEVICE_CLASSES,
  inviteDailyStats,
  OTHER_REFERRERS,
  VISIT_VIAS,
  visitorSalts,
  visits,
} from '../db/schema'
import { randomBase64Url, toHex } from '../lib/crypto'
import { utcDay } from '../lib/time'

/** A landing view as it travels through the visits queue: already anonymous. */
export const VisitMessageSchema = z.object({
  inviteId: z.string().min(1).max(40),
  communityId: z.string().min(1).max(40),
  at: z.number().int().positive(),
  via: z.enum(VISIT_VIAS),
  country: z.string().regex(/^[A-Z]{2}$/),
  referrerHost: z.string().max(253).nullable(),
  device: z.enum(DEVICE_CLASSES),
  isBot: z.boolean(),
  visitorHash: z.string().regex(/^[0-9a-f]{32}$/),
})

export type VisitMessage = z.infer<typeof VisitMessageSchema>

// D1 binds at most 100 parameters per statement: 8 per visit row, 3 per visitor row.
const VISIT_ROWS_PER_STATEMENT = 12
const VISITOR_ROWS_PER_STATEMENT = 33

/**
 * Writes a batch of visits: the raw rows, and each invite's daily rollup per country, way in,
 * device and referrer, with the
 * increments added up in memory first, so 100 visits of a popular link cost a handful of
 * statements in one D1 batch instead of 300.
 *
 * Unique visitors: the visitor hashes of a rollup row go into that day's set with INSERT OR
 * IGNORE, and the rollup upsert right after it adds `changes()`, which is how many of them were
 * new. Bots count in `bot_visits` only.
 */
export async function recordVisits(db: Database, batch: VisitMessage[]): Promise<void> {
  if (batch.length === 0) return
  const statements: BatchItem<'sqlite'>[] = []
  for (let i = 0; i < batch.length; i += VISIT_ROWS_PER_STATEMENT) {
    const rows = batch.slice(i, i + VISIT_ROWS_PER_STATEMENT)
    statements.push(
      db.insert(visits).values(rows.map((visit) => ({ ...visit, at: new Date(visit.at) }))),
    )
  }

  const groups = new Map<
    string,
    { first: VisitMessage; visitors: Set<string>; counts: RollupCounts }
  >()
  for (const visit of batch) {
    const day = utcDay(new Date(visit.at))
    const key = `${visit.inviteId}|${day}|${visit.country}|${visit.via}|${visit.device}|${visit.referrerHost ?? ''}`
    const group = groups.get(key) ?? { first: visit, visitors: new Set(), counts: emptyCounts() }
    groups.set(key, group)
    if (visit.isBot) {
      group.counts.botVisits += 1
    } else {
      group.counts.visits += 1
      group.counts[visit.via === 'qr' ? 'qrVisits' : 'linkVisits'] += 1
      group.visitors.add(visit.visitorHash)
    }
  }
  for (const { first, visitors, counts } of groups.values()) {
    const day = utcDay(new Date(first.at))
    const hashes = [...visitors]
    if (hashes.length === 0) {
      statements.push(upsertRollup(db, first, day, counts, 0))
      continue
    }
    for (let i = 0; i < hashes.length; i += VISITOR_ROWS_PER_STATEMENT) {
      const chunk = hashes.slice(i, i + VISITOR_ROWS_PER_STATEMENT)
      statements.push(
        db
          .insert(dailyVisitors)
          .values(chunk.map((visitorHash) => ({ inviteId: first.inviteId, day, visitorHash })))
          .onConflictDoNothing(),
        // The visit counts go with the first chunk only; every chunk adds its new visitors.
        upsertRollup(db, first, day, i === 0 ? counts : emptyCounts(), sql`changes()`),
      )
    }
  }
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
}

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
 * A visit's referrer host as its rollup row keeps it: itself while the link has fewer than
 * `REFERRERS_PER_DAY` referrers that day (or already has this one), `OTHER_REFERRERS` after
 * that, so no stream of made-up Referer headers can multiply a link's rollup rows. Decided in
 * the upsert itself, so concurrent batches cannot both pass the bound by much.
 */
function cappedReferrer(inviteId: string, day: string, host: string) {
  const d = inviteDailyStats
  const sameDay = sql`${d.inviteId} = ${inviteId} and ${d.day} = ${day}`
  return sql`(case when ${host} = ''
    or exists (select 1 from ${d} where ${sameDay} and ${d.referrerHost} = ${host})
    or (select count(distinct ${d.referrerHost}) from ${d} where ${sameDay}) < ${REFERRERS_PER_DAY}
    then ${host} else ${OTHER_REFERRERS} end)`
}

function upsertRollup(
  db: Database,
  visit: VisitMessage,
  day: string,
  counts: RollupCounts,
  uniqueVisitors: number | ReturnType<typeof sql>,
) {
  return db
    .insert(inviteDailyStats)
    .values({
      inviteId: visit.inviteId,
      communityId: visit.communityId,
      day,
      country: visit.country,
      via: visit.via,
      device: visit.device,
      referrerHost: cappedReferrer(visit.inviteId, day, visit.referrerHost ?? ''),
      uniqueVisitors,
      ...counts,
    })
    .onConflictDoUpdate({
      target: [
        inviteDailyStats.inviteId,
        inviteDailyStats.day,
        inviteDailyStats.country,
        inviteDailyStats.via,
        inviteDailyStats.device,
        inviteDailyStats.referrerHost,
      ],
      set: {
        visits: sql`${inviteDailyStats.visits} + excluded.visits`,
        uniqueVisitors: sql`${inviteDailyStats.uniqueVisitors} + excluded.unique_visitors`,
        qrVisits: sql`${inviteDailyStats.qrVisits} + excluded.qr_visits`,
        linkVisits: sql`${inviteDailyStats.linkVisits} + excluded.link_visits`,
        botVisits: sql`${inviteDailyStats.botVisits} + excluded.bot_visits`,
      },
    })
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
