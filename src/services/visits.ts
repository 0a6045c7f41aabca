import { eq, lt, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import { dailyVisitors, inviteDailyStats, visitorSalts, visits, type DeviceClass, type VisitVia } from '../db/schema'
import { randomBase64Url, toHex } from '../lib/crypto'
import { addDays, utcDay } from '../lib/time'

export interface VisitInput {
  inviteId: string
  communityId: string
  at: Date
  via: VisitVia
  country: string
  referrerHost: string | null
  device: DeviceClass
  isBot: boolean
  /** Used for the visitor hash only; never stored. */
  ip: string
  userAgent: string
}

/** The day's salt, once fetched, for as long as this isolate lives. */
const saltCache = new Map<string, string>()

/**
 * Records one landing view: the visit row, the visitor in the day's unique set, and the
 * invite's daily rollup, in one batch. `changes()` in the rollup upsert reads whether the
 * previous statement added the visitor, so a unique visitor is counted once per day without a
 * read. Bots are kept apart: they count in `bot_visits` only.
 */
export async function recordVisit(db: Database, visit: VisitInput): Promise<void> {
  const day = utcDay(visit.at)
  const visitorHash = await hashVisitor(await dailySalt(db, day), visit.ip, visit.userAgent)
  const human = visit.isBot ? 0 : 1
  const qr = human && visit.via === 'qr' ? 1 : 0
  const link = human && visit.via === 'link' ? 1 : 0
  const insertVisit = db.insert(visits).values({
    inviteId: visit.inviteId,
    at: visit.at,
    via: visit.via,
    country: visit.country,
    referrerHost: visit.referrerHost,
    device: visit.device,
    isBot: visit.isBot,
    visitorHash,
  })
  const addToRollup = db
    .insert(inviteDailyStats)
    .values({
      inviteId: visit.inviteId,
      communityId: visit.communityId,
      day,
      country: visit.country,
      visits: human,
      // 1 when the statement before this one added the visitor to the day's set, else 0.
      uniqueVisitors: visit.isBot ? 0 : sql`changes()`,
      qrVisits: qr,
      linkVisits: link,
      botVisits: 1 - human,
    })
    .onConflictDoUpdate({
      target: [inviteDailyStats.inviteId, inviteDailyStats.day, inviteDailyStats.country],
      set: {
        visits: sql`${inviteDailyStats.visits} + excluded.visits`,
        uniqueVisitors: sql`${inviteDailyStats.uniqueVisitors} + excluded.unique_visitors`,
        qrVisits: sql`${inviteDailyStats.qrVisits} + excluded.qr_visits`,
        linkVisits: sql`${inviteDailyStats.linkVisits} + excluded.link_visits`,
        botVisits: sql`${inviteDailyStats.botVisits} + excluded.bot_visits`,
      },
    })
  if (visit.isBot) {
    await db.batch([insertVisit, addToRollup])
  } else {
    const countVisitor = db
      .insert(dailyVisitors)
      .values({ inviteId: visit.inviteId, day, visitorHash })
      .onConflictDoNothing()
    await db.batch([insertVisit, countVisitor, addToRollup])
  }
}

/**
 * A random salt per UTC day, shared by every isolate through D1. Whoever creates a day's salt
 * also deletes the salts and unique-visitor sets of earlier days: once a salt is gone, no
 * stored hash can be tied to an IP address again.
 */
async function dailySalt(db: Database, day: string): Promise<string> {
  const cached = saltCache.get(day)
  if (cached) return cached
  const created = await db
    .insert(visitorSalts)
    .values({ day, salt: randomBase64Url(32) })
    .onConflictDoNothing()
    .returning({ day: visitorSalts.day })
  if (created.length > 0) {
    await db.batch([
      db.delete(visitorSalts).where(lt(visitorSalts.day, addDays(day, -1))),
      db.delete(dailyVisitors).where(lt(dailyVisitors.day, day)),
    ])
  }
  const row = await db.query.visitorSalts.findFirst({ where: eq(visitorSalts.day, day) })
  saltCache.clear()
  saltCache.set(day, row!.salt)
  return row!.salt
}

async function hashVisitor(salt: string, ip: string, userAgent: string): Promise<string> {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(salt),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${ip}|${userAgent}`))
  return toHex(new Uint8Array(mac)).slice(0, 32)
}
