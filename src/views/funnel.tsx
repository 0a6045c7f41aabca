import { formatNumber, type Lang } from '../lib/i18n'
import type { FunnelFigures } from '../services/stats'
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

export function funnelSteps(lang: Lang, f: FunnelFigures): FunnelStep[] {
  const t = words(lang)
  const n = (value: number) => formatNumber(lang, value)
  return [
    {
      key: 'visits',
      label: t.visits,
      value: f.visits,
      note: t.scansAndClicks(n(f.scans), n(f.clicks)),
    },
    {
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
      note: t.confirmedByNote(
        n(f.confirmedByPhone),
        n(f.confirmedByEmail),
        n(Math.max(0, f.confirmations - f.confirmedByPhone - f.confirmedByEmail)),
      ),
    },
    {
      key: 'joins',
      label: t.joins,
      value: f.joins,
      base: { value: f.confirmations, label: t.confirmedStep },
    },
    {
      key: 'stayed7Days',
      label: t.stayed7Days,
      value: f.stayed7Days,
      base: { value: f.joinedAtLeast7DaysAgo, label: t.joinsOldEnough(7) },
      note: t.retentionNote(n(f.joinedAtLeast7DaysAgo), 7),
    },
    {
      key: 'stayed30Days',
      label: t.stayed30Days,
      value: f.stayed30Days,
      base: { value: f.joinedAtLeast30DaysAgo, label: t.joinsOldEnough(30) },
      note: t.retentionNote(n(f.joinedAtLeast30DaysAgo), 30),
    },
    {
      key: 'leaves',
      label: t.leftStep,
      value: f.leaves,
      base: { value: f.joins, label: t.joins },
      tone: 'loss',
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
export function Funnel(props: { lang: Lang; figures: FunnelFigures; heading: string }) {
  const t = words(props.lang)
  const steps = funnelSteps(props.lang, props.figures)
  const widest = Math.max(1, ...steps.map((step) => step.value))
  return (
    <div class="funnel">
      <h2>{props.heading}</h2>
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
            {step.base && (
              <p class="muted">
                {step.base.value > 0
                  ? step.tone === 'loss'
                    ? t.shareOfLost(percent(shareOf(step), props.lang), step.base.label)
                    : t.shareOfKept(
                        percent(shareOf(step), props.lang),
                        step.base.label,
                        percent(1 - shareOf(step), props.lang),
                      )
                  : step.key === 'stayed7Days' || step.key === 'stayed30Days'
                    ? retentionText(props.lang, props.figures, step.key === 'stayed7Days' ? 7 : 30)
                    : t.notYetKnown}
              </p>
            )}
            {step.note && <p class="muted">{step.note}</p>}
          </li>
        ))}
      </ol>
    </div>
  )
}
