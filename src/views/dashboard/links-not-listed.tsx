import { dimensionsText, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { VerifiedMark } from '../telegram-seen'
import { formatNumber, type Lang } from '../../lib/i18n'
import { NO_FUNNEL } from '../../services/stats'
import { words } from './shell'
import type { StatsView } from './stats'

/** What links the table does not list brought in the period, counted as the table counts. */
interface NotListed {
  visits: number
  joins: number
  /** The links with figures among them; of those, the ones into Telegram chats and their joins. */
  links: number
  telegramLinks: number
  verifiedJoins: number
}

function notListedOf(stats: StatsView, ids: string[]): NotListed {
  const sum: NotListed = { visits: 0, joins: 0, links: 0, telegramLinks: 0, verifiedJoins: 0 }
  for (const id of ids) {
    const f = stats.countedLinks.get(id) ?? NO_FUNNEL
    const telegram = stats.telegramLinks.has(id)
    sum.visits += f.visits
    sum.joins += f.joins
    sum.links += 1
    if (telegram) {
      sum.telegramLinks += 1
      sum.verifiedJoins += f.joins
    }
  }
  return sum
}

/**
 * Under the links table: the visits and joins the funnel above counts through links the table
 * leaves out, members' referral links (leading to the leaderboard where it is shown) and
 * campaign links not on the page, so the table and the funnel add up. Joins are counted as the
 * table counts them, Telegram's marked so; where a filter on a visit's dimension leaves
 * Telegram's joins untold, only the visits. Nothing where those links brought nobody.
 */
export function LinksNotListed(props: {
  lang: Lang
  stats: StatsView
  /** The campaign links the table lists. */
  listed: ReadonlyArray<{ id: string }>
  /** Where the referral leaderboard is, when this admin sees it. */
  leaderboardHref: string | null
}) {
  const { stats } = props
  const l = props.lang
  const t = words(l)
  const tg = telegramWords(l)
  const n = (value: number) => formatNumber(l, value)
  const listed = new Set(props.listed.map((invite) => invite.id))
  const withFigures = [...stats.countedLinks.keys()].filter((id) => !listed.has(id))
  const referral = notListedOf(
    stats,
    withFigures.filter((id) => stats.referralLinks.has(id)),
  )
  const campaign = notListedOf(
    stats,
    withFigures.filter((id) => !stats.referralLinks.has(id)),
  )
  const notFilteredBy = stats.counted.joined.notFilteredBy
  const untold = tg.notFilteredTitle(dimensionsText(l, notFilteredBy))
  const Figures = (p: { of: NotListed }) => {
    const f = p.of
    if (notFilteredBy.length > 0 && f.telegramLinks > 0)
      return <>{`${t.visitCount(n(f.visits))} (${t.joinsNotTold(untold)})`}</>
    return (
      <>
        {t.visitsAndJoins(n(f.visits), n(f.joins))}
        {f.telegramLinks > 0 && (
          <>
            {' '}
            <VerifiedMark
              lang={l}
              all={f.telegramLinks === f.links}
              verified={f.verifiedJoins}
              bracketed
            />
          </>
        )}
      </>
    )
  }
  const brought = (f: NotListed) => f.visits > 0 || f.joins > 0
  if (!brought(referral) && !brought(campaign)) return null
  return (
    <p class="muted" id="links-not-listed">
      {t.notListedHere}{' '}
      {brought(referral) && (
        <>
          <Figures of={referral} /> {t.through}{' '}
          {props.leaderboardHref ? (
            <a href={props.leaderboardHref}>{t.membersReferralLinks}</a>
          ) : (
            t.membersReferralLinks
          )}
          {brought(campaign) ? '; ' : '.'}
        </>
      )}
      {brought(campaign) && (
        <>
          <Figures of={campaign} /> {t.through} {t.linksNotOnPage}.
        </>
      )}
    </p>
  )
}
