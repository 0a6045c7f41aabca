import { formatNumber, type Lang } from '../../lib/i18n'
import { telegramWords } from '../../lib/i18n/dashboard-telegram'
import type { dashboardStatsOf, FunnelFigures } from '../../services/stats'
import type { CountedBreakdownRow, CountedFunnel, JoinedByDay } from '../../services/stats-joined'
import {
  BREAKDOWNS,
  type Breakdown,
  type BreakdownRow,
  type StatsFilters,
} from '../../services/stats-breakdowns'
import { DailyChart } from '../chart'
import { words } from './shell'
import { Funnel } from '../funnel'
import { retentionText } from '../retention'
import { TelegramSeen, VerifiedMark } from '../telegram-seen'
import { WhatsAppInferredNote } from '../whatsapp-inferred'
import { FilterChips, filtersQuery, valueText } from './stats-filters'
import { RangePicker, rangeQuery, type ResolvedRange } from './stats-range'

/** The stats of a community or a link, read and decided by its page's handler. */
export type StatsView = ReturnType<typeof dashboardStatsOf> & {
  range: ResolvedRange
  filters: StatsFilters
  /** The CSV export of what is shown. */
  csvHref: string
  /** The compare page of the community's links, for a community's stats. */
  compareHref: string | null
  /** Whether Telegram is configured: what it saw is shown beside our own figures. */
  telegram: boolean
  /** The funnel with its "joined" counted where each link's people join (`countedStats`). */
  counted: CountedFunnel
  /** Each link's funnel counted the same way, and the links Telegram counts. */
  countedLinks: Map<string, FunnelFigures>
  telegramLinks: Set<string>
  /** Where Telegram counts joins (and no filter names a visit's dimension): its parts per day. */
  joinedByDay: JoinedByDay | null
  /**
   * Where Telegram counts joins (and no filter names a visit's dimension): the breakdowns by the
   * link's own source and campaign with each link's joins counted as in the funnel.
   */
  countedBreakdowns: Record<'source' | 'campaign', CountedBreakdownRow[]> | null
}

/**
 * A breakdown row's joins. Counted link by link (`CountedBreakdownRow`), those Telegram verified
 * are marked as the links table marks them: all of them, or how many of them.
 */
function JoinsCell(props: { l: Lang; row: BreakdownRow | CountedBreakdownRow }) {
  const { l, row } = props
  const joins = formatNumber(l, row.joins)
  if (!('telegramLinks' in row) || row.telegramLinks === 0) return <>{joins}</>
  return (
    <>
      {joins}{' '}
      <VerifiedMark
        lang={l}
        all={row.telegramLinks === row.links}
        verified={row.verifiedByTelegram}
      />
    </>
  )
}

/**
 * One breakdown: each value with its funnel, the value a link that filters the page by it. On a
 * phone each value is a card, its figures labelled: seven columns do not fit a phone's width.
 */
function BreakdownTable(props: {
  l: Lang
  dimension: Breakdown
  rows: BreakdownRow[] | CountedBreakdownRow[]
  filters: StatsFilters
  base: string
  /**
   * What the joins and leaves columns count: our form's joins (on Telegram not the join, but the
   * step before), or the join as each link's platform counted it.
   */
  joinsLabel: string
  leavesLabel: string
}) {
  const { l, dimension, filters } = props
  const t = words(l)
  const heading = t.breakdownHeadings[dimension]
  const n = (value: number) => formatNumber(l, value)
  const name = t.dimensionNames[dimension]
  return (
    <div>
      <h2>{heading}</h2>
      {props.rows.length === 0 ? (
        <p class="muted">{t.noData}</p>
      ) : (
        <div class="table-scroll">
          <table class="cards">
            <thead>
              <tr>
                <th>{name}</th>
                <th class="n">{t.visits}</th>
                <th class="n">{t.requests}</th>
                <th class="n">{t.confirmedStep}</th>
                <th class="n">{props.joinsLabel}</th>
                <th class="n">{t.retention7}</th>
                <th class="n">{props.leavesLabel}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => {
                const text = valueText(l, dimension, row.value)
                const selected = filters[dimension] === row.value
                const query = filtersQuery({ ...filters, [dimension]: row.value })
                return (
                  <tr>
                    <td data-label={name}>
                      {selected ? (
                        <bdi aria-current="true">{text}</bdi>
                      ) : (
                        <a href={`${props.base}&${query}`} aria-label={t.filterBy(name, text)}>
                          <bdi>{text}</bdi>
                        </a>
                      )}
                    </td>
                    <td class="n" data-label={t.visits}>
                      {n(row.visits)}
                    </td>
                    <td class="n" data-label={t.requests}>
                      {n(row.joinRequests)}
                    </td>
                    <td class="n" data-label={t.confirmedStep}>
                      {n(row.confirmations)}
                    </td>
                    <td class="n" data-label={props.joinsLabel}>
                      <JoinsCell l={l} row={row} />
                    </td>
                    <td class="n" data-label={t.retention7}>
                      {retentionText(l, row, 7)}
                    </td>
                    <td class="n" data-label={props.leavesLabel}>
                      {n(row.leaves)}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

/**
 * The stats of a community or a link, as every stats view shows them: the period picker, the
 * filters, the funnel, visits (QR scans and link clicks) and joins by day, and the whole funnel
 * by source, campaign, country, device, referrer and way in, all under the page's filters.
 * `path` is the page's own, where the picker's and the filters' links lead. `whatsapp`: the
 * figures are of WhatsApp groups, counted from our own forms, and the page says so.
 */
export function StatsSections(props: {
  lang: Lang
  path: string
  view: StatsView
  whatsapp: boolean
}) {
  const l = props.lang
  const t = words(l)
  const { view } = props
  const tg = telegramWords(l)
  const days = view.days.map((d) => d.day)
  const base = `${props.path}?${rangeQuery(view.range)}`
  // Where Telegram counts a link's joins, our form's joins are the step before the join.
  const joined = view.counted.joined
  const byTelegram = joined.by !== 'our_forms'
  const seen = view.verified.joins > 0 || view.verified.leaves > 0
  // A filter on a visit's dimension, which Telegram's joins cannot take: they are shown apart.
  const apart = byTelegram && joined.notFilteredBy.length > 0
  // Set only where Telegram counts joins and no filter names a visit's dimension.
  const counted = view.countedBreakdowns
  // As the funnel names its "joined" step.
  const joinedLabel = joined.by === 'telegram' ? tg.joinedVerified : t.joins
  return (
    <>
      <section id="figures">
        <RangePicker
          lang={l}
          path={props.path}
          range={view.range}
          csvHref={view.csvHref}
          filters={view.filters}
        />
        <FilterChips lang={l} filters={view.filters} base={base} />
        {/* Offered while filtered too: the links a filter leaves are not all there are. */}
        {view.compareHref &&
          (view.links.size > 1 || BREAKDOWNS.some((name) => view.filters[name] !== undefined)) && (
            <p>
              <a href={view.compareHref}>{t.compare}</a>
            </p>
          )}
        <Funnel
          lang={l}
          figures={view.counted}
          joined={view.counted.joined}
          heading={t.funnel}
          // A rolling period ends today, and its retention counts back from today.
          periodDays={view.range.period === 'custom' ? undefined : view.days.length}
        />
        {/* Not where Telegram counted every join shown: those the bot observed. */}
        {props.whatsapp && joined.by !== 'telegram' && <WhatsAppInferredNote lang={l} />}
        {/* Apart from the funnel unless the funnel already is all Telegram saw. */}
        {view.telegram && (apart || (seen && joined.by !== 'telegram')) && (
          <TelegramSeen
            lang={l}
            figures={view.verified}
            notFilteredBy={apart ? joined.notFilteredBy : undefined}
          />
        )}
      </section>
      <section>
        <h2>{t.visitsByDay}</h2>
        <DailyChart
          lang={l}
          days={days}
          title={t.visitsByDay}
          dayLabel={t.day}
          series={[
            {
              label: t.scans,
              one: t.scan,
              color: '#0b6e35',
              values: view.days.map((d) => d.scans),
            },
            {
              label: t.clicks,
              one: t.click,
              color: '#6fb08a',
              values: view.days.map((d) => d.clicks),
            },
          ]}
        />
        <h2 class="spaced">{t.joinsByDay}</h2>
        <DailyChart
          lang={l}
          days={days}
          title={t.joinsByDay}
          dayLabel={t.day}
          series={
            view.joinedByDay
              ? // The funnel's "joined" in its parts, stacked: they add up to it.
                [
                  {
                    label: tg.joinedVerified,
                    color: '#1c6ea4',
                    values: view.joinedByDay.verified,
                  },
                  ...(joined.by === 'both'
                    ? [
                        {
                          label: tg.joinedWhatsApp,
                          color: '#8a5a00',
                          values: view.joinedByDay.sentOnToWhatsApp,
                        },
                      ]
                    : []),
                ]
              : apart
                ? // As the funnel: what our form sent on, under every filter.
                  [
                    {
                      label: tg.sentOnStep,
                      color: '#8a5a00',
                      values: view.days.map((d) => d.joins),
                    },
                  ]
                : [
                    {
                      label: t.joins,
                      one: t.join,
                      color: '#8a5a00',
                      values: view.days.map((d) => d.joins),
                    },
                    // Beside our own figure, never added to it: what Telegram saw, labelled so.
                    ...(view.telegram && view.verified.joins > 0
                      ? [
                          {
                            label: tg.joinedSeen,
                            color: '#1c6ea4',
                            values: view.days.map((d) => d.verifiedJoins),
                          },
                        ]
                      : []),
                  ]
          }
        />
      </section>
      <section>
        {byTelegram && (
          <p class="muted">{counted ? tg.breakdownsCountedNote : tg.breakdownsFormNote}</p>
        )}
        {/* One breakdown a row on a desktop: its seven columns fill the page's width. */}
        <div class="grid breakdowns">
          {BREAKDOWNS.map((dimension) => {
            // The link's own source and campaign count each link's joins as the funnel does;
            // a visit's dimensions, which Telegram's joins cannot take, our form's.
            const rows =
              counted && (dimension === 'source' || dimension === 'campaign')
                ? counted[dimension]
                : null
            return (
              <BreakdownTable
                l={l}
                dimension={dimension}
                rows={rows ?? view.breakdowns[dimension]}
                filters={view.filters}
                base={base}
                joinsLabel={rows ? joinedLabel : byTelegram ? tg.sentOnStep : t.joins}
                leavesLabel={rows && joined.by === 'telegram' ? tg.leftVerified : t.leftStep}
              />
            )
          })}
        </div>
      </section>
    </>
  )
}
