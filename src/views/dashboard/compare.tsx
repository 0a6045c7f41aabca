import type { Child } from 'hono/jsx'
import { VerifiedMark } from '../telegram-seen'
import { formatNumber, type Lang } from '../../lib/i18n'
import { dimensionsText, telegramWords } from '../../lib/i18n/dashboard-telegram'
import { BREAKDOWNS, type StatsFilters } from '../../services/stats-breakdowns'
import type { ComparedEntry } from '../../services/stats-compare'
import { DailyChart } from '../chart'
import { percent, words } from './shell'
import { funnelSteps, retentionWaiting, shareOf, type FunnelStep } from '../funnel'
import { retentionText } from '../retention'
import { WhatsAppInferredNote } from '../whatsapp-inferred'
import { filtersQuery } from './stats-filters'
import { COMPARE_WORDS } from '../../lib/i18n/compare-words'

/**
 * The steps' order across entries. Each entry has the steps of its own funnel
 * (`funnelSteps`): one whose joins Telegram counts has "sent on to the chat" before its join,
 * and under a filter on a visit's dimension ends there; the table has a row for every step of
 * any entry.
 */
const STEP_ORDER = [
  'visits',
  'joinRequests',
  'confirmations',
  'sentOn',
  'joins',
  'stayed7Days',
  'stayed30Days',
  'leaves',
]

/** A row of the comparison: a step, labelled as every entry that has it labels it, or plainly. */
interface CompareRow {
  key: string
  label: string
}

function compareRows(l: Lang, stepLists: FunnelStep[][]): CompareRow[] {
  const t = words(l)
  const plain: Record<string, string> = {
    joins: t.joins,
    stayed7Days: t.stayed7Days,
    stayed30Days: t.stayed30Days,
    leaves: t.leftStep,
  }
  return STEP_ORDER.flatMap((key) => {
    const labels = new Set(
      stepLists.flatMap((steps) => steps.filter((s) => s.key === key).map((s) => s.label)),
    )
    if (labels.size === 0) return []
    const [only] = labels
    return [{ key, label: labels.size === 1 ? only! : (plain[key] ?? only!) }]
  })
}

/** A step's share of the step before it, as a cell says it; retention says when it will be known. */
function shareText(l: Lang, entry: ComparedEntry, step: FunnelStep): string {
  if (step.key === 'stayed7Days' || step.key === 'stayed30Days')
    return retentionText(l, entry.funnel, step.key === 'stayed7Days' ? 7 : 30)
  if (!step.base) return ''
  // Of nothing, no share: not 0 %, as the funnel says it. Of what, said: of all visits here,
  // where the links table counts each visitor once.
  const t = words(l)
  return step.base.value > 0
    ? t.shareOfLost(percent(shareOf(step), l), step.base.label)
    : t.noShareOfNothing
}

/** How much more (or less) of the step before a step kept than the first entry, in points. */
function differenceText(l: Lang, mine: FunnelStep | undefined, theirs: FunnelStep | undefined) {
  const t = words(l)
  if (!mine?.base || !theirs?.base || mine.base.value === 0 || theirs.base.value === 0) return ''
  const points = (shareOf(mine) - shareOf(theirs)) * 100
  const text = new Intl.NumberFormat(l, {
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  }).format(points)
  return t.pointsDifference(text)
}

/**
 * Whether an entry's joins by day are Telegram's: where it counts them all, under no filter
 * they cannot take (then the days hold what our form sent on, as its funnel does).
 */
function verifiedDays(entry: ComparedEntry): boolean {
  return entry.joined.by === 'telegram' && entry.joined.notFilteredBy.length === 0
}

/** What the compare page shows, read and decided by its handler. */
export interface CompareView {
  lang: Lang
  /** The page's own path, where the choice of links or sources goes. */
  path: string
  range: { period: string; tz: string; from: string; to: string; days: string[] }
  filters: StatsFilters
  /** The community's links this admin may see, to choose from. */
  links: Array<{ id: string; label: string | null; code: string; source: string | null }>
  /** The links, or else the sources, chosen. */
  linkIds: string[]
  sources: string[]
  /** What is compared, side by side; fewer than two compare nothing. */
  entries: ComparedEntry[]
  /** The period picker and the filters in force, above the comparison (as on the stats page). */
  controls: Child
  /** Whether any of the community's groups is on WhatsApp (its figures then inferred). */
  whatsapp: boolean
}

/** The compare page: links (or sources) of a community side by side. */
/** The period and filters of the comparison, for the link back to the community's figures. */
function backQuery(range: CompareView['range'], filters: StatsFilters): string {
  const period = new URLSearchParams({ period: range.period, tz: range.tz })
  if (range.period === 'custom') {
    period.set('from', range.from)
    period.set('to', range.to)
  }
  return [period.toString(), filtersQuery(filters)].filter(Boolean).join('&')
}

export function ComparePage(props: CompareView) {
  const l = props.lang
  const t = words(l)
  const { path, range, filters, linkIds, sources, entries } = props
  // The campaign links' sources, and `referral`, the source of every member's own link (as the
  // stats' "By source" table lists it).
  const knownSources = [
    ...new Set([...props.links.map((invite) => invite.source).filter(Boolean), 'referral']),
  ] as string[]
  const tg = telegramWords(l)
  const first = entries[0]
  const stepLists = entries.map((entry) => funnelSteps(l, entry.funnel, entry.joined))
  const rows = compareRows(l, stepLists)
  // A step another entry labels otherwise: where Telegram counted it, the cell says so.
  const tagged = (i: number, row: CompareRow) =>
    entries[i]!.joined.by === 'telegram' &&
    stepLists[i]!.find((s) => s.key === row.key)?.label !== row.label
  const anyTagged = rows.some((row) => entries.some((_, i) => tagged(i, row)))
  // Entries whose joins Telegram counts, and a filter they cannot take: their funnel ends early.
  const notFilteredBy = entries.find(
    (entry) => entry.joined.by !== 'our_forms' && entry.joined.notFilteredBy.length > 0,
  )?.joined.notFilteredBy
  return (
    <>
      <section>
        <p>
          {/* The community's page, with the period and filters compared here. */}
          <a href={`${path.replace(/\/compare$/, '')}?${backQuery(range, filters)}`}>
            ← {COMPARE_WORDS[l].back}
          </a>
        </p>
        <h2>{t.compare}</h2>
        <p class="muted">{t.compareIntro}</p>
        <form method="get" action={path} class="compare-pick">
          <input type="hidden" name="period" value={range.period} />
          <input type="hidden" name="tz" value={range.tz} />
          {range.period === 'custom' && (
            <>
              <input type="hidden" name="from" value={range.from} />
              <input type="hidden" name="to" value={range.to} />
            </>
          )}
          {BREAKDOWNS.map((name) =>
            filters[name] !== undefined ? (
              <input type="hidden" name={name} value={filters[name]} />
            ) : null,
          )}
          <fieldset>
            <legend>{t.links}</legend>
            {props.links.map((invite) => (
              <label class="check">
                <input
                  type="checkbox"
                  name="links"
                  value={invite.id}
                  checked={linkIds.includes(invite.id)}
                />{' '}
                <bdi>{invite.label ?? invite.code}</bdi>
              </label>
            ))}
          </fieldset>
          {knownSources.length > 1 && (
            <fieldset>
              <legend>{t.dimensionNames.source}</legend>
              {knownSources.map((source) => (
                <label class="check">
                  <input
                    type="checkbox"
                    name="sources"
                    value={source}
                    checked={sources.includes(source)}
                  />{' '}
                  <bdi>{source}</bdi>
                </label>
              ))}
            </fieldset>
          )}
          <button type="submit">{t.compareSubmit}</button>
        </form>
      </section>
      {entries.length < 2 ? (
        <section>
          <p class="muted">{t.compareTooFew}</p>
        </section>
      ) : (
        <>
          <section>
            {props.controls}
            <div class="table-scroll" tabindex={0} role="region" aria-label={t.funnel}>
              <table class="cards compare">
                <caption>{t.funnel}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t.step}</th>
                    {entries.map((entry) => (
                      <th scope="col" class="n">
                        <bdi>{entry.label}</bdi>
                      </th>
                    ))}
                    {entries.slice(1).map((entry) => (
                      <th scope="col" class="n">
                        <bdi>{entry.label}</bdi>: {t.differenceTo(first!.label)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr>
                      <th scope="row">{row.label}</th>
                      {entries.map((entry, i) => {
                        const own = stepLists[i]!.find((s) => s.key === row.key)
                        if (!own)
                          return (
                            <td class="n" data-label={entry.label}>
                              <span class="muted">–</span>
                            </td>
                          )
                        const share = shareText(l, entry, own)
                        // Retention not measurable yet: the date says so, not a zero.
                        const waiting = retentionWaiting(own)
                        return (
                          <td class="n" data-label={entry.label}>
                            {!waiting && <b>{formatNumber(l, own.value)}</b>}
                            {!waiting && tagged(i, row) && (
                              <>
                                {' '}
                                <VerifiedMark lang={l} all verified={own.value} />
                              </>
                            )}
                            {!waiting && share && <br />}
                            {share && <span class="muted">{share}</span>}
                          </td>
                        )
                      })}
                      {entries.slice(1).map((entry, i) => (
                        <td
                          class="n"
                          data-label={`${entry.label}: ${t.differenceTo(first!.label)}`}
                        >
                          {differenceText(
                            l,
                            stepLists[i + 1]!.find((s) => s.key === row.key),
                            stepLists[0]!.find((s) => s.key === row.key),
                          )}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {anyTagged && <p class="muted">{tg.compareVerifiedNote}</p>}
            {notFilteredBy && (
              <p class="muted">{tg.compareNotFilteredNote(dimensionsText(l, notFilteredBy))}</p>
            )}
            {props.whatsapp && entries.some((entry) => entry.joined.by !== 'telegram') && (
              <WhatsAppInferredNote lang={l} />
            )}
          </section>
          <section>
            <div class="grid two">
              {entries.map((entry) => (
                <div>
                  <h2>
                    <bdi>{entry.label}</bdi>
                  </h2>
                  <p class="muted">{t.visitsByDay}</p>
                  <DailyChart
                    lang={l}
                    days={range.days}
                    title={`${entry.label}: ${t.visitsByDay}`}
                    dayLabel={t.day}
                    series={[{ label: t.visits, color: '#0b6e35', values: entry.visits }]}
                  />
                  <p class="muted">{t.joinsByDay}</p>
                  <DailyChart
                    lang={l}
                    days={range.days}
                    title={`${entry.label}: ${t.joinsByDay}`}
                    dayLabel={t.day}
                    series={[
                      {
                        label: verifiedDays(entry) ? tg.joinedVerified : t.joins,
                        color: '#8a5a00',
                        values: entry.joins,
                      },
                    ]}
                  />
                </div>
              ))}
            </div>
          </section>
        </>
      )}
    </>
  )
}
