import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import type { Invite } from '../../db/schema'
import { formatNumber, type Lang } from '../../lib/i18n'
import { inviteStatus } from '../../services/invites'
import { conversionOf, retentionOf, type FunnelFigures } from '../../services/stats'
import { DailyChart } from '../chart'
import { percent, words } from './shell'
import { retentionText } from '../retention'
import type { StatsView } from './stats'
import { rangeQuery } from './stats-range'

/** The figures the links table sorts by (best first); visits unless the page asks for another. */
export const LINK_SORTS = ['visits', 'joins', 'conversion', 'retention7', 'retention30'] as const
export type LinkSort = (typeof LINK_SORTS)[number]

const EMPTY: FunnelFigures = {
  visits: 0,
  uniqueVisitors: 0,
  scans: 0,
  clicks: 0,
  joinRequests: 0,
  confirmations: 0,
  confirmedByPhone: 0,
  confirmedByEmail: 0,
  joins: 0,
  leaves: 0,
  firstJoinDay: null,
  joinedAtLeast7DaysAgo: 0,
  stayed7Days: 0,
  joinedAtLeast30DaysAgo: 0,
  stayed30Days: 0,
}

function sortValue(sort: LinkSort, f: FunnelFigures): number {
  if (sort === 'conversion') return conversionOf(f)
  if (sort === 'retention7') return retentionOf(f, 7) ?? -1
  if (sort === 'retention30') return retentionOf(f, 30) ?? -1
  return f[sort]
}

/**
 * A community's campaign links side by side: each link's trend over the period (a sparkline),
 * its visits, joins, conversion and retention, sortable by each figure (best first) with plain
 * links, so it works without script.
 */
export function LinksTable(props: {
  lang: Lang
  /** The page's own path, where the sorting links lead. */
  path: string
  sort: LinkSort
  links: Invite[]
  stats: StatsView | null
  /** When the links' states are told. */
  now: Date
  /** Links on Telegram whose chat invite link Telegram has not made yet. */
  telegramPending?: Set<string>
}) {
  const { stats, sort, now, path } = props
  const l = props.lang
  const t = words(l)
  const figuresOf = (invite: Invite) => stats?.links.get(invite.id) ?? EMPTY
  const links = stats
    ? [...props.links].sort((a, b) => sortValue(sort, figuresOf(b)) - sortValue(sort, figuresOf(a)))
    : props.links
  const sortHref = (to: LinkSort) =>
    `${path}?${stats ? `${rangeQuery(stats.range)}&` : ''}sort=${to}#links`
  const days = stats?.days.map((d) => d.day) ?? []
  const Sortable = (p: { by: LinkSort; label: string }) => (
    <th class="n" aria-sort={sort === p.by ? 'descending' : undefined}>
      {stats ? (
        <a href={sortHref(p.by)} title={t.sortBy(p.label)}>
          {p.label}
          {sort === p.by ? ' ▼' : ''}
        </a>
      ) : (
        p.label
      )}
    </th>
  )
  return (
    <table class="cards" id="links">
      <thead>
        <tr>
          <th>{t.label}</th>
          <th>{t.source}</th>
          {stats && <th>{t.trend}</th>}
          <Sortable by="visits" label={t.visits} />
          <Sortable by="joins" label={t.joins} />
          <Sortable by="conversion" label={t.conversion} />
          <Sortable by="retention7" label={t.retention7} />
          <Sortable by="retention30" label={t.retention30} />
          <th>{t.status}</th>
        </tr>
      </thead>
      <tbody>
        {links.map((invite) => {
          const f = figuresOf(invite)
          return (
            <tr>
              <td data-label={t.label}>
                <a href={`/admin/links/${invite.id}`}>
                  <bdi>{invite.label ?? invite.code}</bdi>
                </a>
              </td>
              <td data-label={t.source}>
                <bdi>{invite.source ?? '–'}</bdi>
              </td>
              {stats && (
                <td data-label={t.trend}>
                  <DailyChart
                    spark
                    lang={l}
                    days={days}
                    title={`${invite.label ?? invite.code} · ${t.visits}`}
                    series={[
                      {
                        label: t.visits,
                        color: '#0b6e35',
                        values: stats.trends.get(invite.id) ?? days.map(() => 0),
                      },
                    ]}
                  />
                </td>
              )}
              <td class="n" data-label={t.visits}>
                {formatNumber(l, f.visits)}
              </td>
              <td class="n" data-label={t.joins}>
                {formatNumber(l, f.joins)}
              </td>
              <td class="n" data-label={t.conversion}>
                {percent(conversionOf(f), l)}
              </td>
              <td class="n" data-label={t.retention7}>
                {retentionText(l, f, 7)}
              </td>
              <td class="n" data-label={t.retention30}>
                {retentionText(l, f, 30)}
              </td>
              <td data-label={t.status}>
                {t.inviteStatuses[inviteStatus(invite, now)]}
                {props.telegramPending?.has(invite.id) && (
                  <div class="muted" title={telegramDashboardWords(l).telegramLinkPendingHint}>
                    {telegramDashboardWords(l).telegramLinkPending}
                  </div>
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
