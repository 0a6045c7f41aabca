import type { FunnelFigures } from './stats'
import type { StatsScope } from './stats-breakdowns'
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
 * each step. A link into a WhatsApp group counts whom our form sent on, as always.
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

/**
 * A scope's funnel and its links' funnels as each link's platform counts them, with the links
 * Telegram counts. `stats.links` holds a community's links (a link's own page reads none: its
 * funnel is the link's); `scopeOnTelegram`, where the scope leads now, decides for a period
 * without any figure.
 */
export function countedStats(
  stats: { funnel: FunnelFigures; links: Map<string, FunnelFigures>; linkJoins: LinkJoins[] },
  scope: StatsScope,
  scopeOnTelegram: boolean,
) {
  const seen = new Map(
    stats.linkJoins.filter((link) => link.onTelegram).map((link) => [link.inviteId, link]),
  )
  const links = new Map(
    [...stats.links].map(([id, f]) => {
      const verified = seen.get(id)
      return [id, verified ? verifiedFunnel(f, verified) : f]
    }),
  )
  const by = joinedBy(stats.linkJoins, scopeOnTelegram)
  const sentOn = stats.funnel.joins
  if (by === 'our_forms') {
    const joined = { by, sentOn, verifiedByTelegram: 0, sentOnToWhatsApp: sentOn }
    return { funnel: { ...stats.funnel, joined }, links, telegramLinks: new Set<string>() }
  }
  const parts =
    'inviteId' in scope
      ? [pastTheJoin(stats.linkJoins[0] ?? sumVerified([]))]
      : [...links.values()].map(pastTheJoin)
  // The figures past the join add up as Telegram's do (the same shape).
  const counted = sumVerified(parts)
  const verifiedByTelegram = [...seen.values()].reduce((sum, link) => sum + link.joins, 0)
  const joined = {
    by,
    sentOn,
    verifiedByTelegram,
    sentOnToWhatsApp: counted.joins - verifiedByTelegram,
  }
  return {
    funnel: { ...stats.funnel, ...counted, joined },
    links,
    telegramLinks: new Set(seen.keys()),
  }
}
