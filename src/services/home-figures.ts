import { and, between, eq, gte, inArray, isNull, sql, type SQLWrapper } from 'drizzle-orm'
import type { Database } from '../db/client'
import { announcements, groups, inviteDailyTotals } from '../db/schema'
import type { StatsRange } from './stats-breakdowns'
import { countedBy, leadsIntoTelegram, type JoinedBy } from './stats-verified'

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
  const t = inviteDailyTotals
  // Each link's joins over the period, and whether it leads into a Telegram chat (asked once
  // per link, not per day).
  const perLink = db
    .select({
      communityId: t.communityId,
      formJoins: sql<number>`sum(${t.joins})`.as('form_joins'),
      verifiedJoins: sql<number>`sum(${t.verifiedJoins})`.as('verified_joins'),
      onTelegram: leadsIntoTelegram(t.inviteId).as('on_telegram'),
    })
    .from(t)
    .where(and(inArray(t.communityId, communityIds), between(t.day, range.from, range.to)))
    .groupBy(t.communityId, t.inviteId)
    .as('per_link')
  return [
    db
      .select({
        communityId: perLink.communityId,
        // Our form's joins: the figure where Telegram is not configured.
        formJoins: sql<number>`coalesce(sum(${perLink.formJoins}), 0)`,
        // Each link's joins where its people join: Telegram's verified ones for a link into a
        // Telegram chat, our form's for one into WhatsApp (see `joinedAnswer`).
        joins: sql<number>`coalesce(sum(case when ${perLink.onTelegram}
          then ${perLink.verifiedJoins} else ${perLink.formJoins} end), 0)`,
        verifiedJoins: sql<number>`coalesce(sum(case when ${perLink.onTelegram}
          then ${perLink.verifiedJoins} else 0 end), 0)`,
        telegramLinks: sql<number>`coalesce(sum(${perLink.onTelegram}), 0)`,
        links: sql<number>`count(*)`,
      })
      .from(perLink)
      .groupBy(perLink.communityId),
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

/** A community's joins over the period, and who counted them. */
export interface HomeJoins {
  joins: number
  by: JoinedBy
  /** Of `joins`, those Telegram reported through links into its chats. */
  verifiedJoins: number
}

/**
 * `homeFigureQueries`' results: joins and the next announcement, by community, and the
 * communities with a group on WhatsApp. `telegram`: whether Telegram is configured; only then
 * are a Telegram link's joins Telegram's.
 */
export function homeFiguresOf(
  [joinRows, nextRows, whatsappRows]: readonly [
    Array<{
      communityId: string
      formJoins: number
      joins: number
      verifiedJoins: number
      telegramLinks: number
      links: number
    }>,
    Array<{ communityId: string; body: string; sendAt: number }>,
    Array<{ communityId: string }>,
  ],
  telegram: boolean,
) {
  const joinsOf = (row: (typeof joinRows)[number]): HomeJoins => {
    const by = telegram ? countedBy(row.telegramLinks, row.links, 'our_forms') : 'our_forms'
    if (by === 'our_forms') return { joins: row.formJoins, by, verifiedJoins: 0 }
    return { joins: row.joins, by, verifiedJoins: row.verifiedJoins }
  }
  return {
    joins: new Map(joinRows.map((row) => [row.communityId, joinsOf(row)])),
    next: new Map<string, NextAnnouncement>(
      nextRows.map((row) => [row.communityId, { body: row.body, sendAt: new Date(row.sendAt) }]),
    ),
    onWhatsApp: new Set(whatsappRows.map((row) => row.communityId)),
  }
}

/**
 * The joins of several communities added up, counted as each was: by Telegram where all of them
 * were, by our forms where none was, else by both, with how many of them Telegram verified.
 */
export function totalJoins(joins: Iterable<HomeJoins>): HomeJoins {
  const all = [...joins]
  const by: JoinedBy = all.every((j) => j.by === 'our_forms')
    ? 'our_forms'
    : all.every((j) => j.by === 'telegram')
      ? 'telegram'
      : 'both'
  return {
    joins: all.reduce((sum, j) => sum + j.joins, 0),
    by,
    verifiedJoins: all.reduce((sum, j) => sum + j.verifiedJoins, 0),
  }
}
