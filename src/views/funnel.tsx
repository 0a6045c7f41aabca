import { formatNumber, type Lang } from '../lib/i18n'
import { dimensionsText, telegramWords } from '../lib/i18n/dashboard-telegram'
import { funnelNotes } from '../lib/i18n/funnel-notes'
import type { FunnelFigures } from '../services/stats'
import type { JoinedCount } from '../services/stats-joined'
import { ShareBar } from './chart'
import { percent, words } from './dashboard/shell'
import { retentionText } from './retention'

/**
 * One step of the funnel. `base` is what the step is measured against: the step before it, or,
 * for retention, the joins old enough to tell. Adding a step is one more entry in `funnelSteps`.
 */
export interface FunnelStep {
  key: string
  label: string
  value: number
  /** What the share and the drop-off are computed against; none for the first step. */
  base?: { value: number; label: string }
  note?: string
  /** Steps past the join are people lost, not people gained: drawn in another colour. */
  tone?: 'loss'
}

/**
 * The funnel's steps. `joined`: how its "joined" was counted (`countedStats`); where Telegram
 * counts any link's joins, our form's joins become the step before the join ("sent on to the
 * chat"), and the join, retention and leaves are the ones each link's platform reported,
 * labelled as verified by Telegram where it counted them all. Under a filter on a visit's own
 * dimension, which Telegram's joins cannot take, the funnel ends at what our form sent on.
 */
export function funnelSteps(
  lang: Lang,
  f: FunnelFigures,
  joined?: JoinedCount,
  /** The period's length in days, where one is shown: too short a period is said to be. */
  periodDays?: number,
): FunnelStep[] {
  const t = words(lang)
  const tg = telegramWords(lang)
  const notes = funnelNotes(lang)
  const n = (value: number) => formatNumber(lang, value)
  // A period no longer than the retention's days holds hardly a join that old: "not yet" there
  // says nothing about the members, so the note says to choose a longer period.
  const retentionNote = (joinsOldEnough: number, days: 7 | 30) =>
    joinsOldEnough === 0 && periodDays !== undefined && periodDays <= days
      ? notes.periodTooShort(days)
      : notes.retentionNote(n(joinsOldEnough), days)
  // Every link's joins counted by Telegram: each step from the join on says so.
  const verified = joined?.by === 'telegram'
  const joinedLabel = verified ? tg.joinedVerified : t.joins
  const before = stepsBeforeTheJoin(lang, f, joined !== undefined && joined.by !== 'our_forms')
  if (joined && joined.by !== 'our_forms' && joined.notFilteredBy.length > 0)
    return [
      ...before,
      {
        key: 'sentOn',
        label: tg.sentOnStep,
        value: joined.sentOn,
        base: { value: f.confirmations, label: t.confirmedStep },
        note: tg.notFilteredStepNote(dimensionsText(lang, joined.notFilteredBy)),
      },
    ]
  return [
    ...before,
    ...(joined && joined.by !== 'our_forms'
      ? joinedSteps(lang, f, joined)
      : [
          {
            key: 'joins',
            label: t.joins,
            value: f.joins,
            base: { value: f.confirmations, label: t.confirmedStep },
          },
        ]),
    {
      key: 'stayed7Days',
      label: verified ? tg.stayed7Verified : t.stayed7Days,
      value: f.stayed7Days,
      base: { value: f.joinedAtLeast7DaysAgo, label: notes.joinsOldEnough(7) },
      note: retentionNote(f.joinedAtLeast7DaysAgo, 7),
    },
    {
      key: 'stayed30Days',
      label: verified ? tg.stayed30Verified : t.stayed30Days,
      value: f.stayed30Days,
      base: { value: f.joinedAtLeast30DaysAgo, label: notes.joinsOldEnough(30) },
      note: retentionNote(f.joinedAtLeast30DaysAgo, 30),
    },
    // Telegram reports a leave on the day it happens, whenever the person joined: where it
    // counts, the leaves are no share of the period's joins (retention is, per cohort).
    joined && joined.by !== 'our_forms'
      ? {
          key: 'leaves',
          label: verified ? tg.leftVerified : t.leftStep,
          value: f.leaves,
          note: tg.leftOnTheDayNote,
          tone: 'loss',
        }
      : {
          key: 'leaves',
          label: t.leftStep,
          value: f.leaves,
          base: { value: f.joins, label: joinedLabel },
          note: notes.leftNote,
          tone: 'loss',
        },
  ]
}

/**
 * Visits, sign-ups and confirmations: what our own pages and forms counted. `pastTheForm`: some
 * links lead into Telegram chats, whose landing page's button goes straight to Telegram, so the
 * visits are no base for our form's sign-ups (no share, no drop-off: nobody dropped off there).
 */
function stepsBeforeTheJoin(lang: Lang, f: FunnelFigures, pastTheForm: boolean): FunnelStep[] {
  const t = words(lang)
  const notes = funnelNotes(lang)
  const n = (value: number) => formatNumber(lang, value)
  return [
    {
      key: 'visits',
      label: t.visits,
      value: f.visits,
      note: notes.scansAndClicks(n(f.scans), n(f.clicks)),
    },
    pastTheForm
      ? {
          key: 'joinRequests',
          label: t.requests,
          value: f.joinRequests,
          note: telegramWords(lang).requestsPastTheFormNote,
        }
      : {
          key: 'joinRequests',
          label: t.requests,
          value: f.joinRequests,
          base: { value: f.visits, label: t.visits },
        },
    {
      key: 'confirmations',
      label: t.confirmedStep,
      value: f.confirmations,
      base: { value: f.joinRequests, label: t.requests },
      // Which contact proved it: a member counts as confirmed once any contact is.
      note: notes.confirmedByNote(
        n(f.confirmedByPhone),
        n(f.confirmedByEmail),
        n(Math.max(0, f.confirmations - f.confirmedByPhone - f.confirmedByEmail)),
      ),
    },
  ]
}

/**
 * Where Telegram counts: our form's joins (sent on to the chat, after the confirmation), then
 * the join as each link's platform counted it. Most people join through the Telegram link
 * straight from the landing page, past our form, so the join is a share of the visits.
 */
function joinedSteps(lang: Lang, f: FunnelFigures, joined: JoinedCount): FunnelStep[] {
  const t = words(lang)
  const tg = telegramWords(lang)
  const n = (value: number) => formatNumber(lang, value)
  return [
    {
      key: 'sentOn',
      label: tg.sentOnStep,
      value: joined.sentOn,
      base: { value: f.confirmations, label: t.confirmedStep },
    },
    {
      key: 'joins',
      label: joined.by === 'telegram' ? tg.joinedVerified : t.joins,
      value: f.joins,
      base: { value: f.visits, label: t.visits },
      note:
        joined.by === 'telegram'
          ? tg.joinedVerifiedNote
          : tg.joinedBothNote(n(joined.verifiedByTelegram), n(joined.sentOnToWhatsApp)),
    },
  ]
}

/**
 * Whether a step is retention before any join is old enough for it: not a 0 (no one stayed)
 * but not measured yet, and the line that goes with it says from when.
 */
export function retentionWaiting(step: FunnelStep): boolean {
  return (step.key === 'stayed7Days' || step.key === 'stayed30Days') && step.base?.value === 0
}

/** A step's figure as its bar says it. */
function stepValueText(lang: Lang, step: FunnelStep): string {
  return retentionWaiting(step) ? words(lang).notYetMeasured : formatNumber(lang, step.value)
}

/** Of a step's base, the share that made it (0 when there was nothing to measure). */
export function shareOf(step: FunnelStep): number {
  return step.base && step.base.value > 0 ? step.value / step.base.value : 0
}

/**
 * The funnel as a funnel: one bar per step, as wide as its share of the widest step, with each
 * step's share of the one it follows from and the drop-off written between them. An ordered
 * list, so it reads in order without the bars.
 */
export function Funnel(props: {
  lang: Lang
  figures: FunnelFigures
  heading: string
  /** How the figures' "joined" was counted, where Telegram may have counted it. */
  joined?: JoinedCount
  /** The period's length in days. */
  periodDays?: number
}) {
  const t = words(props.lang)
  const steps = funnelSteps(props.lang, props.figures, props.joined, props.periodDays)
  const widest = Math.max(1, ...steps.map((step) => step.value))
  // Nothing at all: one sentence says so, not a share of nothing under every step.
  const empty = steps.every((step) => step.value === 0)
  return (
    <div class="funnel">
      <h2>{props.heading}</h2>
      {empty && <p class="muted">{funnelNotes(props.lang).nothingYet}</p>}
      <ol>
        {steps.map((step) => (
          <li class={step.tone === 'loss' ? 'loss' : undefined}>
            <div class="step">
              <span class="label">{step.label}</span>
              <b>{stepValueText(props.lang, step)}</b>
            </div>
            <ShareBar
              share={step.value / widest}
              color={step.tone === 'loss' ? '#a61b1b' : undefined}
            />
            {step.base && !empty && (
              <p class="muted">
                {step.base.value > 0
                  ? // More than its base (people who joined through the Telegram link without
                    // visiting our page first): a share, and no drop-off below zero.
                    step.tone === 'loss' || shareOf(step) > 1
                    ? t.shareOfLost(percent(shareOf(step), props.lang), step.base.label)
                    : t.shareOfKept(
                        percent(shareOf(step), props.lang),
                        step.base.label,
                        percent(1 - shareOf(step), props.lang),
                      )
                  : step.key === 'stayed7Days' || step.key === 'stayed30Days'
                    ? retentionText(props.lang, props.figures, step.key === 'stayed7Days' ? 7 : 30)
                    : t.noShareOfNothing}
              </p>
            )}
            {step.note && <p class="muted">{step.note}</p>}
          </li>
        ))}
      </ol>
    </div>
  )
}
