import { and, between, eq, gte, inArray, isNull, sql, type SQLWrapper } from 'drizzle-orm'
import type { Database } from '../db/client'
import { announcements, groups, inviteDailyTotals } from '../db/schema'
import type { StatsRange } from './stats-breakdowns'
import { measuresOf } from './stats'

/** The dashboard home's figures per community: joins over a period and the next announcement. */

interface NextAnnouncement {
  body: string
  sendAt: Date
}

/**
 * The dashboard home's figures across communities, to run in a batch: each one's joins over a
 * period (from the rollups), its next scheduled announcement, and whether it has a group on
 * WhatsApp (whose joins are what our forms saw). `communityIds` a list (at
 * most `ID_CHUNK` of them, see `lib/chunks.ts`) or a subquery of ids.
 */
export function homeFigureQueries(
  db: Database,
  communityIds: readonly string[] | SQLWrapper,
  range: StatsRange,
  now: Date,
) {
  return [
    db
      .select({
        communityId: inviteDailyTotals.communityId,
        joins: measuresOf(inviteDailyTotals).joins,
      })
      .from(inviteDailyTotals)
      .where(
        and(
          inArray(inviteDailyTotals.communityId, communityIds),
          between(inviteDailyTotals.day, range.from, range.to),
        ),
      )
      .groupBy(inviteDailyTotals.communityId),
    db
      .select({
        communityId: announcements.communityId,
        body: announcements.body,
        sendAt: sql<number>`min(${announcements.sendAt})`.as('next_send_at'),
      })
      .from(announcements)
      .where(
        and(
          inArray(announcements.communityId, communityIds),
          eq(announcements.status, 'scheduled'),
          gte(announcements.sendAt, now),
        ),
      )
      .groupBy(announcements.communityId),
    db
      .selectDistinct({ communityId: groups.communityId })
      .from(groups)
      .where(and(inArray(groups.communityId, communityIds), isNull(groups.telegramChatId))),
  ] as const
}

/**
 * `homeFigureQueries`' results: joins and the next announcement, by community, and the
 * communities with a group on WhatsApp.
 */
export function homeFiguresOf([joinRows, nextRows, whatsappRows]: readonly [
  Array<{ communityId: string; joins: number }>,
  Array<{ communityId: string; body: string; sendAt: number }>,
  Array<{ communityId: string }>,
]) {
  return {
    joins: new Map(joinRows.map((row) => [row.communityId, row.joins])),
    next: new Map<string, NextAnnouncement>(
      nextRows.map((row) => [row.communityId, { body: row.body, sendAt: new Date(row.sendAt) }]),
    ),
    onWhatsApp: new Set(whatsappRows.map((row) => row.communityId)),
  }
}
