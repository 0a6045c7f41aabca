import { eq, getTableName, sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import { communities, groups, inviteDailyStats, invites } from '../db/schema'
import type { StatsScope } from './stats-breakdowns'
import { cohortMeasures } from './stats-periods'

/**
 * What Telegram itself saw, apart from what our own forms saw: joins and leaves it reported
 * through our links, and, of the people who joined on a day (a cohort), how many were still in
 * the chat 7 and 30 days later. Read from the same rollup rows as the rest of the stats, per
 * link, with whether the link leads into Telegram: there Telegram's joins are the ones that
 * count (`joinedAnswer`, and `countedStats` for the dashboard).
 */

const d = inviteDailyStats

/** Verified retention, shaped as the funnel's retention is (so it reads the same way). */
export interface VerifiedFigures {
  /** Joins Telegram reported through the links, in the period. */
  joins: number
  /** Leaves Telegram reported, on the day they happened. */
  leaves: number
  firstJoinDay: string | null
  joinedAtLeast7DaysAgo: number
  stayed7Days: number
  joinedAtLeast30DaysAgo: number
  stayed30Days: number
}

/** Telegram's joins and leaves, and its cohorts' retention, measured as the funnel's are. */
function verifiedMeasures(today: string) {
  return {
    joins: sql<number>`coalesce(sum(${d.verifiedJoins}), 0)`.as('v_joins'),
    leaves: sql<number>`coalesce(sum(${d.verifiedLeaves}), 0)`.as('v_leaves'),
    ...cohortMeasures(
      today,
      d.day,
      {
        joins: d.verifiedJoins,
        leftWithin7Days: d.verifiedLeftWithin7Days,
        leftWithin30Days: d.verifiedLeftWithin30Days,
      },
      'v',
    ),
  }
}

/**
 * Whether a link leads into a Telegram chat: its group (or, for a link without one, the
 * community's announcement group) is linked to a chat the bot administers. There Telegram tells
 * who joined through it; on WhatsApp only our own forms do.
 */
export function leadsIntoTelegram(inviteId: SQLiteColumn): SQL<number> {
  return sql<number>`exists (select 1 from ${invites} i
    join ${groups} g on g.id = coalesce(i.group_id, (select a.id from ${groups} a
      where a.community_id = i.community_id and a.kind = 'announcement'))
    where i.id = ${outer(inviteId)} and g.telegram_chat_id is not null)`
}

/**
 * A column of the outer query, named with its table: drizzle leaves the table out in a query of
 * one table, and inside a subquery a bare `id` would name the subquery's own.
 */
function outer(column: SQLiteColumn): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`
}

/** A link's joins as each platform saw them, and whether Telegram is the one that counts. */
export interface LinkJoins extends VerifiedFigures {
  inviteId: string
  /** 1 where the link leads into a Telegram chat (`leadsIntoTelegram`), as SQLite answers it. */
  onTelegram: number
  /** Who our own form sent on to the chat through the link (the funnel's `joins`). */
  formJoins: number
}

/**
 * Per link of the rollup rows under `where`: what Telegram saw through it, what our form sent
 * on, and whether it leads into Telegram. Grouped by link, so SQLite asks where a link leads once
 * per link, not once per rollup row.
 */
export function linkJoinsQuery(db: Database, where: SQL, today: string) {
  return db
    .select({
      inviteId: d.inviteId,
      onTelegram: leadsIntoTelegram(d.inviteId).as('on_telegram'),
      formJoins: sql<number>`coalesce(sum(${d.joins}), 0)`.as('form_joins'),
      ...verifiedMeasures(today),
    })
    .from(d)
    .where(where)
    .groupBy(d.inviteId)
}

/**
 * Whether a scope leads into Telegram as it is set up now, for a period without any figure:
 * the link's chat, or any of the community's groups on Telegram. One row.
 */
export function scopeOnTelegramQuery(db: Database, scope: StatsScope) {
  if ('inviteId' in scope)
    return db
      .select({ onTelegram: leadsIntoTelegram(invites.id) })
      .from(invites)
      .where(eq(invites.id, scope.inviteId))
  return db
    .select({
      onTelegram: sql<number>`exists (select 1 from ${groups} g
        where g.community_id = ${outer(communities.id)} and g.telegram_chat_id is not null)`,
    })
    .from(communities)
    .where(eq(communities.id, scope.communityId))
}

/** What Telegram saw through all of these links together. */
export function sumVerified(links: readonly VerifiedFigures[]): VerifiedFigures {
  const firstDays = links.map((link) => link.firstJoinDay).filter((day) => day !== null)
  const sum = (figure: keyof Omit<VerifiedFigures, 'firstJoinDay'>) =>
    links.reduce((total, link) => total + link[figure], 0)
  return {
    joins: sum('joins'),
    leaves: sum('leaves'),
    firstJoinDay: firstDays.length > 0 ? firstDays.sort()[0]! : null,
    joinedAtLeast7DaysAgo: sum('joinedAtLeast7DaysAgo'),
    stayed7Days: sum('stayed7Days'),
    joinedAtLeast30DaysAgo: sum('joinedAtLeast30DaysAgo'),
    stayed30Days: sum('stayed30Days'),
  }
}

/** Who counted a scope's "joined": Telegram, our own forms, or each for some of its links. */
export type JoinedBy = 'our_forms' | 'telegram' | 'both'

/**
 * Telegram where every link with figures in the period leads into a Telegram chat, our forms
 * where none does, both where some do; without any link with figures, where the scope leads now.
 */
export function countedBy(
  telegramLinks: number,
  links: number,
  scopeOnTelegram: boolean,
): JoinedBy {
  if (links === 0) return scopeOnTelegram ? 'telegram' : 'our_forms'
  if (telegramLinks === 0) return 'our_forms'
  return telegramLinks === links ? 'telegram' : 'both'
}

/** `countedBy` over a scope's rows of `linkJoinsQuery`. */
export function joinedBy(links: readonly LinkJoins[], scopeOnTelegram: boolean): JoinedBy {
  const onTelegram = links.filter((link) => link.onTelegram).length
  return countedBy(onTelegram, links.length, scopeOnTelegram)
}

/**
 * The stats API's `joined`: each link's joins counted where its people join. A link into a
 * Telegram chat counts whom Telegram reported joining through it; our form's sign-ups through
 * it stay in the steps before (`joins` of the totals) and are never added, so a person who
 * signed up and then joined counts once. A link into a WhatsApp group counts whom our form
 * sent on to its chat link, as `joins` always did.
 */
export function joinedAnswer(
  links: readonly LinkJoins[],
  uniqueVisitors: number,
  scopeOnTelegram: boolean,
) {
  const onTelegram = links.filter((link) => link.onTelegram)
  const verifiedByTelegram = onTelegram.reduce((sum, link) => sum + link.joins, 0)
  const sentOnByOurForms = links
    .filter((link) => !link.onTelegram)
    .reduce((sum, link) => sum + link.formJoins, 0)
  const joins = verifiedByTelegram + sentOnByOurForms
  return {
    countedBy: joinedBy(links, scopeOnTelegram),
    joins,
    verifiedByTelegram,
    sentOnByOurForms,
    conversionRate: uniqueVisitors > 0 ? Math.round((joins / uniqueVisitors) * 10000) / 10000 : 0,
  }
}

/** Per day, of that day's verified joins: how many left within 7 and 30 days (for the CSV). */
export const verifiedCohortMeasures = {
  verifiedLeftWithin7Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin7Days}), 0)`,
  verifiedLeftWithin30Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin30Days}), 0)`,
}

/** The stats API's verified retention: the counts, and the shares (null until measurable). */
export function verifiedRetentionAnswer(f: VerifiedFigures) {
  const share = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 10000) / 10000 : null
  return {
    observedBy: 'telegram' as const,
    joins: f.joins,
    joinedAtLeast7DaysAgo: f.joinedAtLeast7DaysAgo,
    stayed7Days: f.stayed7Days,
    retention7Days: share(f.stayed7Days, f.joinedAtLeast7DaysAgo),
    joinedAtLeast30DaysAgo: f.joinedAtLeast30DaysAgo,
    stayed30Days: f.stayed30Days,
    retention30Days: share(f.stayed30Days, f.joinedAtLeast30DaysAgo),
    firstJoinDay: f.firstJoinDay,
  }
}
