import type { dashboardStatsOf, FunnelFigures } from './stats'
import {
  visitFiltersOf,
  type BreakdownRow,
  type StatsFilters,
  type StatsScope,
  type VisitDimension,
} from './stats-breakdowns'
import {
  joinedBy,
  sumVerified,
  type JoinedBy,
  type LinkJoins,
  type VerifiedFigures,
} from './stats-verified'

/**
 * The dashboard's funnel with its "joined" counted link by link, where each link's people join
 * (README, "Telegram"). A link into a Telegram chat counts as joined whom Telegram reported
 * joining through it, and its retention and leaves are Telegram's too; our form's sign-ups
 * through it stay in the steps before (sign-ups, confirmed, sent on to the chat) and are never
 * added to the join, so a person who signed up through our form and then joined counts once in
 * each step. A link into a WhatsApp group counts whom our form sent on, as always. Telegram
 * reports a join with its link only: under a filter on a visit's own dimension (country,
 * device, referrer, way in) its joins are not counted into the funnel (`notFilteredBy`).
 */

/** How a funnel's "joined" step was counted. */
export interface JoinedCount {
  by: JoinedBy
  /**
   * Our form's joins over every link: sent on to the chat. Where Telegram counts, a step
   * before the join, never added to it; on WhatsApp the join itself.
   */
  sentOn: number
  /** Of the joins, those Telegram reported through links into its chats (verified)... */
  verifiedByTelegram: number
  /** ...and those our form sent on to a WhatsApp group's chat link (inferred). */
  sentOnToWhatsApp: number
  /**
   * Where Telegram counts any link's joins and the filters name a visit's own dimensions:
   * those dimensions, which Telegram's joins cannot be broken down by. The funnel then ends at
   * what our form sent on (under every filter), and Telegram's figures, under the link's
   * filters only, are shown apart and said to be so. Empty otherwise.
   */
  notFilteredBy: VisitDimension[]
}

export type CountedFunnel = FunnelFigures & { joined: JoinedCount }

/** The funnel's figures from the join on, which the platform that counts a link's joins gives. */
type PastTheJoin = Pick<
  FunnelFigures,
  | 'joins'
  | 'leaves'
  | 'firstJoinDay'
  | 'joinedAtLeast7DaysAgo'
  | 'stayed7Days'
  | 'joinedAtLeast30DaysAgo'
  | 'stayed30Days'
>

/** A link's funnel with the join and what follows it as Telegram saw them. */
function verifiedFunnel(form: FunnelFigures, seen: VerifiedFigures): FunnelFigures {
  return { ...form, ...pastTheJoin(seen) }
}

function pastTheJoin(f: PastTheJoin): PastTheJoin {
  return {
    joins: f.joins,
    leaves: f.leaves,
    firstJoinDay: f.firstJoinDay,
    joinedAtLeast7DaysAgo: f.joinedAtLeast7DaysAgo,
    stayed7Days: f.stayed7Days,
    joinedAtLeast30DaysAgo: f.joinedAtLeast30DaysAgo,
    stayed30Days: f.stayed30Days,
  }
}

/** "Joined" where our forms count every join: what they sent on to the chat. */
function byOurForms(sentOn: number): JoinedCount {
  return {
    by: 'our_forms',
    sentOn,
    verifiedByTelegram: 0,
    sentOnToWhatsApp: sentOn,
    notFilteredBy: [],
  }
}

/**
 * One link's funnel counted where its people join, on its own (the compare page puts links side
 * by side): a link into a Telegram chat (`onTelegram`, where it leads now) counts Telegram's
 * joins, retention and leaves, unless a filter names a visit's own dimension, which Telegram's
 * joins cannot take (its funnel then ends at what our form sent on, as a community's does).
 */
export function countedLink(
  form: FunnelFigures,
  seen: VerifiedFigures | undefined,
  onTelegram: boolean,
  filters: StatsFilters,
): CountedFunnel {
  const sentOn = form.joins
  if (!onTelegram) return { ...form, joined: byOurForms(sentOn) }
  const verified = seen ?? sumVerified([])
  const notFilteredBy = visitFiltersOf(filters)
  const joined = {
    by: 'telegram' as const,
    sentOn,
    verifiedByTelegram: verified.joins,
    sentOnToWhatsApp: 0,
    notFilteredBy,
  }
  return notFilteredBy.length > 0
    ? { ...form, joined }
    : { ...verifiedFunnel(form, verified), joined }
}

/** Per day, the parts of the funnel's "joined", which add up to it. */
export interface JoinedByDay {
  /** Joins Telegram reported through the links into its chats. */
  verified: number[]
  /** Joins our form sent on through the links into WhatsApp groups. */
  sentOnToWhatsApp: number[]
}

type DashboardStats = ReturnType<typeof dashboardStatsOf>

/**
 * A scope's funnel and its links' funnels as each link's platform counts them, with the links
 * Telegram counts, the joins per day as counted, and the breakdowns by source and campaign
 * counted link by link (`countedBreakdown`; null where the funnel's "joined" is our form's or
 * a filter names a visit's dimension). `stats.links` holds a community's links (a link's own
 * page reads none: its funnel is the link's); `leads`, where the scope leads now, decides for a
 * period without any figure.
 */
export function countedStats(
  stats: Pick<
    DashboardStats,
    'funnel' | 'links' | 'linkJoins' | 'days' | 'joinTrends' | 'verifiedJoinTrends' | 'breakdowns'
  >,
  scope: StatsScope,
  leads: JoinedBy,
  filters: StatsFilters,
) {
  const seen = new Map(
    stats.linkJoins.filter((link) => link.onTelegram).map((link) => [link.inviteId, link]),
  )
  const telegramLinks = new Set(seen.keys())
  const by = joinedBy(stats.linkJoins, leads)
  const sentOn = stats.funnel.joins
  if (by === 'our_forms') {
    return {
      funnel: { ...stats.funnel, joined: byOurForms(sentOn) },
      links: stats.links,
      telegramLinks: new Set<string>(),
      joinedByDay: null,
      breakdowns: null,
    }
  }
  const verifiedByTelegram = [...seen.values()].reduce((sum, link) => sum + link.joins, 0)
  const notFilteredBy = visitFiltersOf(filters)
  if (notFilteredBy.length > 0) {
    // Telegram's joins cannot be broken down by a visit's dimension: the funnel and the links
    // keep our form's figures under every filter, and say so; Telegram's are shown apart.
    const sentOnToWhatsApp = stats.linkJoins
      .filter((link) => !link.onTelegram)
      .reduce((sum, link) => sum + link.formJoins, 0)
    const joined = { by, sentOn, verifiedByTelegram, sentOnToWhatsApp, notFilteredBy }
    return {
      funnel: { ...stats.funnel, joined },
      links: stats.links,
      telegramLinks,
      joinedByDay: null,
      breakdowns: null,
    }
  }
  const links = new Map(
    [...stats.links].map(([id, f]) => {
      const verified = seen.get(id)
      return [id, verified ? verifiedFunnel(f, verified) : f]
    }),
  )
  const parts =
    'inviteId' in scope
      ? [pastTheJoin(stats.linkJoins[0] ?? sumVerified([]))]
      : [...links.values()].map(pastTheJoin)
  // The figures past the join add up as Telegram's do (the same shape).
  const counted = sumVerified(parts)
  const joined = {
    by,
    sentOn,
    verifiedByTelegram,
    sentOnToWhatsApp: counted.joins - verifiedByTelegram,
    notFilteredBy,
  }
  // A link's own page reads no per-link funnel: the link's counted figures are the funnel's.
  const countedLinks = 'inviteId' in scope ? new Map([[scope.inviteId, counted]]) : links
  return {
    funnel: { ...stats.funnel, ...counted, joined },
    links,
    telegramLinks,
    joinedByDay: joinedByDay(stats, scope, telegramLinks),
    breakdowns: {
      source: countedBreakdown('source', stats.breakdowns.source, stats.linkJoins, countedLinks),
      campaign: countedBreakdown(
        'campaign',
        stats.breakdowns.campaign,
        stats.linkJoins,
        countedLinks,
      ),
    },
  }
}

/**
 * A row of the breakdown by a link's own dimension (source, campaign) with its links' figures
 * from the join on as each link's platform counted them, and how many of its joins Telegram
 * verified through how many of its links.
 */
export type CountedBreakdownRow = BreakdownRow & {
  /** Of the row's links with figures, those into Telegram chats, and the joins through those. */
  links: number
  telegramLinks: number
  verifiedByTelegram: number
}

/**
 * The rows of the breakdown by source or campaign, each with the sum of its links' counted
 * figures past the join (`counted`, a link's id to its funnel as `countedStats` counts it): a link
 * has one source and one campaign, so its joins add up by them as they add up to the funnel's.
 * The figures before the join stay the row's own. A row none of whose links has figures (they
 * are gone) keeps its own.
 */
function countedBreakdown(
  dimension: 'source' | 'campaign',
  rows: BreakdownRow[],
  linkJoins: readonly LinkJoins[],
  counted: Map<string, PastTheJoin>,
): CountedBreakdownRow[] {
  // Grouped once: a community's links (members' referral links among them) can be thousands.
  const byValue = new Map<string, LinkJoins[]>()
  for (const link of linkJoins) {
    const value = link[dimension]
    if (value === null) continue
    const same = byValue.get(value)
    if (same) same.push(link)
    else byValue.set(value, [link])
  }
  return rows.map((row) => {
    const links = byValue.get(row.value) ?? []
    const telegram = links.filter((link) => link.onTelegram)
    const own = { links: 0, telegramLinks: 0, verifiedByTelegram: 0 }
    if (links.length === 0) return { ...row, ...own }
    const figures = links.map((link) => counted.get(link.inviteId) ?? sumVerified([]))
    return {
      ...row,
      ...pastTheJoin(sumVerified(figures)),
      links: links.length,
      telegramLinks: telegram.length,
      verifiedByTelegram: telegram.reduce((sum, link) => sum + link.joins, 0),
    }
  })
}

/**
 * The funnel's "joined" per day, in its parts: a link's own page has one of them (its days);
 * a community adds up its links' days, each where its people join.
 */
function joinedByDay(
  stats: Pick<DashboardStats, 'days' | 'joinTrends' | 'verifiedJoinTrends'>,
  scope: StatsScope,
  telegramLinks: Set<string>,
): JoinedByDay {
  const none = stats.days.map(() => 0)
  if ('inviteId' in scope)
    return telegramLinks.has(scope.inviteId)
      ? { verified: stats.days.map((d) => d.verifiedJoins), sentOnToWhatsApp: none }
      : { verified: none, sentOnToWhatsApp: stats.days.map((d) => d.joins) }
  const sum = (trends: Map<string, number[]>, telegram: boolean) => {
    const total = [...none]
    for (const [id, values] of trends)
      if (telegramLinks.has(id) === telegram) values.forEach((n, i) => (total[i]! += n))
    return total
  }
  return {
    verified: sum(stats.verifiedJoinTrends, true),
    sentOnToWhatsApp: sum(stats.joinTrends, false),
  }
}
