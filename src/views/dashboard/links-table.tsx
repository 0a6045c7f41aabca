import { dimensionsText, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { VerifiedMark } from '../telegram-seen'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import type { Invite } from '../../db/schema'
import { formatNumber, type Lang } from '../../lib/i18n'
import { inviteStatus } from '../../services/invite-status'
import { inviteUrls } from '../../schemas/invites'
import { conversionOf, NO_FUNNEL, retentionOf, type FunnelFigures } from '../../services/stats'
import { DailyChart } from '../chart'
import { percent, words } from './shell'
import { CopyButton } from './frame'
import { retentionText } from '../retention'
import type { StatsView } from './stats'
import { rangeQuery } from './stats-range'

/** The figures the links table sorts by (best first); visits unless the page asks for another. */
export const LINK_SORTS = ['visits', 'joins', 'conversion', 'retention7', 'retention30'] as const
export type LinkSort = (typeof LINK_SORTS)[number]

function sortValue(sort: LinkSort, f: FunnelFigures): number {
  if (sort === 'conversion') return conversionOf(f)
  if (sort === 'retention7') return retentionOf(f, 7) ?? -1
  if (sort === 'retention30') return retentionOf(f, 30) ?? -1
  return f[sort]
}

/** A link's Telegram invite link as the links table shows it. */
export interface TelegramLinkCell {
  /** The `t.me` link, once Telegram made it. */
  url: string | null
  /** Where it opens for people (`TELEGRAM_LINK_BASE`). */
  opens: string | null
  /** Whether Telegram kept refusing to make it (tried again once the chat is fixed). */
  failed: boolean
}

/**
 * A link's Telegram invite link in its row: the `t.me` link to copy, "pending" while Telegram
 * has not made it, refused when Telegram kept refusing; a dash for a link not on Telegram.
 */
function TelegramCell(props: { lang: Lang; link: TelegramLinkCell | undefined }) {
  const { link } = props
  const tg = telegramWords(props.lang)
  if (!link) return <>–</>
  if (link.url)
    return (
      <>
        <a href={link.opens ?? link.url} class="code">
          {link.url}
        </a>{' '}
        <CopyButton lang={props.lang} text={link.url} />
      </>
    )
  if (link.failed) return <span title={tg.linkFailed}>{tg.linkRefused}</span>
  const pending = telegramDashboardWords(props.lang)
  return (
    <span class="muted" title={pending.telegramLinkPendingHint}>
      {pending.telegramLinkPending}
    </span>
  )
}

/** More joins than unique visitors: Telegram's joins through a forwarded link, past our page. */
function aboveVisits(f: FunnelFigures): boolean {
  return f.joins > f.uniqueVisitors
}

/**
 * A link's conversion. Where Telegram counts the joins, people may join through a forwarded
 * Telegram link without a visit: more joins than visitors is marked as such (and without any
 * visitor there is no conversion to tell), never passed off as an ordinary rate.
 */
function Conversion(props: { lang: Lang; f: FunnelFigures; verified: boolean }) {
  const { f } = props
  const tg = telegramWords(props.lang)
  // Its base, which the table shows nowhere else: visits count a person's every visit.
  const base = (
    <div class="muted small">
      {words(props.lang).ofVisitors(f.uniqueVisitors, formatNumber(props.lang, f.uniqueVisitors))}
    </div>
  )
  if (!props.verified || !aboveVisits(f))
    return (
      <>
        {percent(conversionOf(f), props.lang)}
        {base}
      </>
    )
  return (
    <>
      {f.uniqueVisitors > 0 ? percent(conversionOf(f), props.lang) : '–'}
      <small class="muted" title={tg.aboveVisitsTitle}>
        {tg.aboveVisitsMark}
      </small>
      {base}
    </>
  )
}

/**
 * A community's campaign links side by side: each link's trend over the period (a sparkline),
 * its visits, joins, conversion and retention, sortable by each figure (best first) with plain
 * links, so it works without script. A link into a Telegram chat shows the joins Telegram
 * reported through it, and the conversion and retention of those, marked as verified.
 */
export function LinksTable(props: {
  lang: Lang
  /** The page's own path, where the sorting links lead. */
  path: string
  sort: LinkSort
  links: Invite[]
  /** Where links are served: each row offers its address to copy, as Dub's list does. */
  baseUrl: string
  stats: StatsView | null
  /** When the links' states are told. */
  now: Date
  /**
   * Where the community has a Telegram-linked group: each link's Telegram invite link by link id
   * (its `url` null while Telegram has not made it), shown in a column of its own.
   */
  telegram?: Map<string, TelegramLinkCell>
}) {
  const { stats, sort, now, path } = props
  const l = props.lang
  const t = words(l)
  const tg = telegramWords(l)
  // Each link's figures as its platform counts them: Telegram's where it leads into a chat there.
  const figuresOf = (invite: Invite) => stats?.countedLinks.get(invite.id) ?? NO_FUNNEL
  const onTelegram = (invite: Invite) => stats?.telegramLinks.has(invite.id) ?? false
  // Under a filter on a visit's dimension, Telegram's joins cannot be told: not shown (–).
  const notFilteredBy = stats?.counted.joined.notFilteredBy ?? []
  const untold = (invite: Invite) => notFilteredBy.length > 0 && onTelegram(invite)
  const verified = (invite: Invite) => onTelegram(invite) && !untold(invite)
  // Past the visits, a link whose joins cannot be told sorts after every link with figures.
  const valueOf = (invite: Invite) =>
    untold(invite) && sort !== 'visits' ? -2 : sortValue(sort, figuresOf(invite))
  const links = stats ? [...props.links].sort((a, b) => valueOf(b) - valueOf(a)) : props.links
  const untoldTitle = tg.notFilteredTitle(dimensionsText(l, notFilteredBy))
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
  const sorts: Array<[by: LinkSort, label: string]> = [
    ['visits', t.visits],
    ['joins', t.joins],
    ['conversion', t.conversion],
    ['retention7', t.retention7],
    ['retention30', t.retention30],
  ]
  return (
    <div id="links">
      {stats && (
        // The cards hide the table's header, and its sorting links with it: the same links here.
        <nav class="sort-by" aria-labelledby="links-sort-by">
          <span id="links-sort-by">{t.sortByHeading}</span>
          {sorts.map(([by, label]) => (
            <a href={sortHref(by)} aria-current={sort === by ? 'true' : undefined}>
              {label}
            </a>
          ))}
        </nav>
      )}
      <table class="cards">
        <thead>
          <tr>
            <th>{t.label}</th>
            <th>{t.source}</th>
            {stats && <th>{t.trend}</th>}
            {sorts.map(([by, label]) => (
              <Sortable by={by} label={label} />
            ))}
            <th>{t.status}</th>
            {props.telegram && <th>{tg.linksColumn}</th>}
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
                  </a>{' '}
                  <CopyButton lang={l} text={inviteUrls(props.baseUrl, invite.code).url} />
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
                {untold(invite) ? (
                  [t.joins, t.conversion, t.retention7, t.retention30].map((label) => (
                    <td class="n" data-label={label} title={untoldTitle}>
                      –
                    </td>
                  ))
                ) : (
                  <>
                    <td class="n" data-label={t.joins}>
                      {formatNumber(l, f.joins)}
                      {verified(invite) && (
                        <>
                          {' '}
                          <VerifiedMark lang={l} all verified={f.joins} />
                        </>
                      )}
                    </td>
                    <td class="n" data-label={t.conversion}>
                      <Conversion lang={l} f={f} verified={verified(invite)} />
                    </td>
                    <td class="n" data-label={t.retention7}>
                      {retentionText(l, f, 7)}
                    </td>
                    <td class="n" data-label={t.retention30}>
                      {retentionText(l, f, 30)}
                    </td>
                  </>
                )}
                <td data-label={t.status}>{t.inviteStatuses[inviteStatus(invite, now)]}</td>
                {props.telegram && (
                  <td data-label={tg.linksColumn}>
                    <TelegramCell lang={l} link={props.telegram.get(invite.id)} />
                  </td>
                )}
              </tr>
            )
          })}
        </tbody>
      </table>
      {links.some(verified) && <p class="muted">{tg.linksVerifiedNote}</p>}
      {links.some((invite) => verified(invite) && aboveVisits(figuresOf(invite))) && (
        <p class="muted">{tg.aboveVisitsNote}</p>
      )}
      {links.some(untold) && (
        <p class="muted">{tg.linksNotFilteredNote(dimensionsText(l, notFilteredBy))}</p>
      )}
    </div>
  )
}
