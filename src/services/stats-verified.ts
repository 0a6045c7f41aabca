import { and, between, eq, getTableName, isNotNull, sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  inviteDailyStats,
  invites,
  telegramChatDailyStats,
} from '../db/schema'
import {
  linkFiltersOf,
  NONE,
  statsWhere,
  visitCondition,
  type StatsFilters,
  type StatsRange,
  type StatsScope,
  type VisitDimension,
} from './stats-breakdowns'
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

/**
 * A link's own source or campaign as the breakdowns name it (`NONE` for none), looked up once
 * per link of a query grouped by link: the breakdowns by source and campaign add up each link's
 * joins as its own platform counted them (`countedStats`, `joinedByLinkValueQuery`).
 */
function linkValueOf(inviteId: SQLiteColumn, column: 'source' | 'campaign'): SQL<string | null> {
  return sql<string | null>`(select coalesce(nullif(li.${sql.identifier(column)}, ''), ${NONE})
    from ${invites} li where li.id = ${outer(inviteId)})`
}

/**
 * Whether a link is a member's own referral link, looked up once per link of a query grouped by
 * link: the overview's links table lists campaign links only, and says what the others brought.
 */
export function isReferralLink(inviteId: SQLiteColumn): SQL<number> {
  return sql<number>`exists (select 1 from ${invites} ri
    where ri.id = ${outer(inviteId)} and ri.referrer_member_id is not null)`
}

/** A link's joins as each platform saw them, and whether Telegram is the one that counts. */
export interface LinkJoins extends VerifiedFigures {
  inviteId: string
  /** 1 where the link leads into a Telegram chat (`leadsIntoTelegram`), as SQLite answers it. */
  onTelegram: number
  /** Who our own form sent on to the chat through the link (the funnel's `joins`). */
  formJoins: number
  /** The link's source and campaign, as the breakdowns name them (null: the link is gone). */
  source: string | null
  campaign: string | null
}

/**
 * Per link of the scope's rollup rows in the period: what Telegram saw through it, what our form
 * sent on, and whether it leads into Telegram. Grouped by link, so SQLite asks where a link leads
 * once per link, not once per rollup row. Telegram's figures take only the link's filters (its
 * source and campaign): Telegram reports a join with its link, under country `XX` and nothing
 * else known, so a filter on a visit's own dimension (country, device, referrer, way in) would
 * find none of them, or all. Our form's joins take every filter.
 */
export function linkJoinsQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  today: string,
  inviteIds?: string[],
) {
  const visits = visitCondition(filters)
  return db
    .select({
      inviteId: d.inviteId,
      onTelegram: leadsIntoTelegram(d.inviteId).as('on_telegram'),
      formJoins: (visits
        ? sql<number>`coalesce(sum(case when ${visits} then ${d.joins} end), 0)`
        : sql<number>`coalesce(sum(${d.joins}), 0)`
      ).as('form_joins'),
      source: linkValueOf(d.inviteId, 'source').as('link_source'),
      campaign: linkValueOf(d.inviteId, 'campaign').as('link_campaign'),
      ...verifiedMeasures(today),
    })
    .from(d)
    .where(statsWhere(scope, range, linkFiltersOf(filters), inviteIds))
    .groupBy(d.inviteId)
}

/**
 * `linkJoinsQuery` summed up inside SQL (one row, however many links have figures): how many
 * links there are and how many lead into Telegram, Telegram's joins through those and our form's
 * through the others, and what Telegram saw through all of them (`VerifiedFigures`).
 */
export function joinedTotalsQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  today: string,
) {
  const link = linkJoinsQuery(db, scope, range, filters, today).as('per_link')
  const total = (figure: SQL | SQL.Aliased) => sql<number>`coalesce(sum(${figure}), 0)`
  return db
    .select({
      links: sql<number>`count(*)`,
      telegramLinks: total(link.onTelegram),
      verifiedByTelegram: total(sql`case when ${link.onTelegram} then ${link.joins} else 0 end`),
      sentOnByOurForms: total(sql`case when ${link.onTelegram} then 0 else ${link.formJoins} end`),
      joins: total(link.joins),
      leaves: total(link.leaves),
      firstJoinDay: sql<string | null>`min(${link.firstJoinDay})`,
      joinedAtLeast7DaysAgo: total(link.joinedAtLeast7DaysAgo),
      stayed7Days: total(link.stayed7Days),
      joinedAtLeast30DaysAgo: total(link.joinedAtLeast30DaysAgo),
      stayed30Days: total(link.stayed30Days),
    })
    .from(link)
}

/** The one row of `joinedTotalsQuery`. */
export type JoinedTotals = Awaited<ReturnType<typeof joinedTotalsQuery>>[number]

/**
 * `joinedTotalsQuery` per value of the link's own dimensions (source and campaign), summed inside
 * SQL: a row per value with links, the stats API's breakdown rows' `joined` (`joinedAnswer`).
 * Each link is one source and one campaign, so its joins add up by them as the links' do.
 */
export function joinedByLinkValueQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  today: string,
) {
  const link = linkJoinsQuery(db, scope, range, filters, today).as('per_link')
  const total = (figure: SQL) => sql<number>`coalesce(sum(${figure}), 0)`
  const dimension = sql<'source' | 'campaign'>`json_each.value`
  const value = sql<string>`case ${dimension} when 'source' then ${link.source}
    else ${link.campaign} end`
  return db
    .select({
      dimension: dimension.as('dimension'),
      value: value.as('value'),
      links: sql<number>`count(*)`,
      telegramLinks: total(sql`${link.onTelegram}`),
      verifiedByTelegram: total(sql`case when ${link.onTelegram} then ${link.joins} else 0 end`),
      sentOnByOurForms: total(sql`case when ${link.onTelegram} then 0 else ${link.formJoins} end`),
      // What Telegram saw through the value's links, for its verified retention.
      joins: total(sql`${link.joins}`),
      leaves: total(sql`${link.leaves}`),
      firstJoinDay: sql<string | null>`min(${link.firstJoinDay})`,
      joinedAtLeast7DaysAgo: total(sql`${link.joinedAtLeast7DaysAgo}`),
      stayed7Days: total(sql`${link.stayed7Days}`),
      joinedAtLeast30DaysAgo: total(sql`${link.joinedAtLeast30DaysAgo}`),
      stayed30Days: total(sql`${link.stayed30Days}`),
    })
    .from(link)
    .crossJoin(sql`json_each(${JSON.stringify(['source', 'campaign'])})`)
    .where(isNotNull(value))
    .groupBy(sql`1, 2`)
}

/**
 * Telegram's joins and leaves per day, and of each day's joins, how many left within 7 and 30
 * days, under the link's filters only (see `linkJoinsQuery`). From the daily rollup: its cohort
 * columns are in no narrower one.
 */
export function verifiedByDayQuery(
  db: Database,
  scope: StatsScope,
  range: StatsRange,
  filters: StatsFilters,
  inviteIds?: string[],
) {
  return db
    .select({
      day: d.day,
      verifiedJoins: sql<number>`coalesce(sum(${d.verifiedJoins}), 0)`,
      verifiedLeaves: sql<number>`coalesce(sum(${d.verifiedLeaves}), 0)`,
      verifiedLeftWithin7Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin7Days}), 0)`,
      verifiedLeftWithin30Days: sql<number>`coalesce(sum(${d.verifiedLeftWithin30Days}), 0)`,
    })
    .from(d)
    .where(statsWhere(scope, range, linkFiltersOf(filters), inviteIds))
    .groupBy(d.day)
}

/**
 * Where a scope leads as it is set up now, for a period without any figure: the link's chat,
 * or the community's groups, on Telegram or elsewhere (`scopeLeadsOf`). One row, its columns
 * named (a batch reads rows by column name, and a bare `0` would name a column "0").
 */
export function scopeLeadsQuery(db: Database, scope: StatsScope) {
  if ('inviteId' in scope)
    return db
      .select({
        telegram: leadsIntoTelegram(invites.id).as('on_telegram'),
        elsewhere: sql<number>`0`.as('elsewhere'),
      })
      .from(invites)
      .where(eq(invites.id, scope.inviteId))
  const anyGroup = (chat: SQL) => sql<number>`exists (select 1 from ${groups} g
    where g.community_id = ${outer(communities.id)} and ${chat})`
  return db
    .select({
      telegram: anyGroup(sql`g.telegram_chat_id is not null`).as('on_telegram'),
      elsewhere: anyGroup(sql`g.telegram_chat_id is null`).as('elsewhere'),
    })
    .from(communities)
    .where(eq(communities.id, scope.communityId))
}

/**
 * Who would count the joins of a scope that leads where it does now: Telegram where it leads
 * only into Telegram chats, our forms where into none, both for a community with groups on
 * Telegram and on WhatsApp.
 */
export function leadsNow(onTelegram: boolean, elsewhere: boolean): JoinedBy {
  if (!onTelegram) return 'our_forms'
  return elsewhere ? 'both' : 'telegram'
}

/** `leadsNow` of the row `scopeLeadsQuery` read (none: nothing to count, our forms). */
export function scopeLeadsOf(rows: Array<{ telegram: number; elsewhere: number }>): JoinedBy {
  const [row] = rows
  return row ? leadsNow(row.telegram === 1, row.elsewhere === 1) : 'our_forms'
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
 * where none does, both where some do; without any link with figures, where the scope leads
 * now (`leadsNow`).
 */
export function countedBy(telegramLinks: number, links: number, leads: JoinedBy): JoinedBy {
  if (links === 0) return leads
  if (telegramLinks === 0) return 'our_forms'
  return telegramLinks === links ? 'telegram' : 'both'
}

/** `countedBy` over a scope's rows of `linkJoinsQuery`. */
export function joinedBy(links: readonly LinkJoins[], leads: JoinedBy): JoinedBy {
  const onTelegram = links.filter((link) => link.onTelegram).length
  return countedBy(onTelegram, links.length, leads)
}

/**
 * The stats API's `joined`: each link's joins counted where its people join. A link into a
 * Telegram chat counts each join Telegram reported through it; our form's sign-ups through it
 * stay in the steps before (`joins` of the totals) and are never added. A link into a WhatsApp
 * group counts whom our form sent on to its chat link, as `joins` always did. `notFilteredBy`:
 * the filters on a visit's own dimensions, which Telegram's joins cannot take; where Telegram
 * counts any link's joins, their sum and its conversion cannot be told then (null), and the
 * answer says which filters Telegram's joins did not take.
 */
export function joinedAnswer(
  row: Pick<JoinedTotals, 'links' | 'telegramLinks' | 'verifiedByTelegram' | 'sentOnByOurForms'>,
  uniqueVisitors: number,
  leads: JoinedBy,
  notFilteredBy: readonly VisitDimension[],
) {
  const by = countedBy(row.telegramLinks, row.links, leads)
  const { verifiedByTelegram, sentOnByOurForms } = row
  const joins = verifiedByTelegram + sentOnByOurForms
  const apart = notFilteredBy.length > 0 && by !== 'our_forms'
  const rate = uniqueVisitors > 0 ? Math.round((joins / uniqueVisitors) * 10000) / 10000 : 0
  return {
    countedBy: by,
    joins: apart ? null : joins,
    verifiedByTelegram,
    sentOnByOurForms,
    conversionRate: apart ? null : rate,
    ...(apart ? { notFilteredBy: [...notFilteredBy] } : {}),
  }
}

/**
 * The stats API's verified retention: the counts, and the shares (null until measurable);
 * `notFilteredBy`, where not empty, the filters Telegram's figures did not take.
 */
export function verifiedRetentionAnswer(
  f: VerifiedFigures,
  notFilteredBy: readonly VisitDimension[],
) {
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
    ...(notFilteredBy.length > 0 ? { notFilteredBy: [...notFilteredBy] } : {}),
  }
}

/**
 * Joins and leaves Telegram reported in a community's chats through no link of ours, over a
 * range of days (the chats its groups are linked to now; at most 51 groups): one row, to run
 * in the stats' batch.
 */
export function otherRouteQuery(
  db: Database,
  communityId: string,
  range: { from: string; to: string },
) {
  const s = telegramChatDailyStats
  return db
    .select({
      verifiedJoins: sql<number>`coalesce(sum(${s.verifiedJoins}), 0)`,
      verifiedLeaves: sql<number>`coalesce(sum(${s.verifiedLeaves}), 0)`,
    })
    .from(groups)
    .innerJoin(s, eq(s.chatId, groups.telegramChatId))
    .where(
      and(
        eq(groups.communityId, communityId),
        isNotNull(groups.telegramChatId),
        between(s.day, range.from, range.to),
      ),
    )
}
