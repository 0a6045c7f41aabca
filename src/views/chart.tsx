import { formatNumber, LOCALES, type Lang } from '../lib/i18n'
import { words } from './dashboard/shell'

/**
 * The one chart of the dashboard: bars by day as inline SVG, drawn on the server (no script, no
 * chart library). Every day of the period has its place on the axis, zero days included; the
 * scale is labelled; each day shows its values on hover and on keyboard focus; a visually hidden
 * table gives screen readers the same figures. A single day stays a modest bar, a year stays a
 * readable axis, and one huge outlier is drawn broken at the top with its value written on it,
 * so it does not flatten every other day.
 */

export interface ChartSeries {
  label: string
  /** The label after a count of one ("1 QR scan"), where it differs from `label`. */
  one?: string
  /** A fill colour with enough contrast on white. */
  color: string
  /** One value per day of `days`, in the same order. */
  values: number[]
}

export interface DailyChartProps {
  lang: Lang
  /** Every day of the period, `YYYY-MM-DD`, oldest first. */
  days: string[]
  /** Stacked from the bottom, in this order. */
  series: ChartSeries[]
  /** What the chart shows, for its label and the hidden table's caption. */
  title: string
  /** A small chart for a table cell: no axis, no legend, no table, one line of text instead. */
  spark?: boolean
  /** Label of the day column in the hidden table. */
  dayLabel?: string
}

interface Geometry {
  width: number
  height: number
  left: number
  ticks: number
  className: string
}
/** Drawn twice: wide for a desktop, narrow (taller, fewer labels) for a phone; CSS shows one. */
const WIDE: Geometry = { width: 720, height: 220, left: 48, ticks: 7, className: 'chart wide' }
const NARROW: Geometry = { width: 360, height: 220, left: 40, ticks: 3, className: 'chart narrow' }
const RIGHT = 8
const TOP = 14
const BOTTOM = 26
const MAX_BAR = 36

/** 1, 2, 5, 10, 20, 50, ... at or above `value`. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}

/**
 * The top of the scale. When the largest day is far above all the others (five times the
 * runner-up or more), the scale follows the runner-up and the outlier is drawn broken.
 */
export function scaleTop(totals: number[]): { top: number; broken: boolean } {
  const sorted = [...totals].sort((a, b) => b - a)
  const [first = 0, second = 0] = sorted
  if (first > 20 && first >= 5 * Math.max(second, 1))
    return { top: niceCeiling(Math.max(second, 1) * 1.25), broken: true }
  return { top: niceCeiling(first), broken: false }
}

/**
 * The scale's lines, 0 to `top` (a `niceCeiling`) in whole, even steps: four or five where they
 * come out whole (0, 5, 10, 15, 20; 0, 2, 4, 6, 8, 10), fewer on a small scale (0, 1, 2), so
 * no label is a rounded quarter ("0, 1, 3, 4, 5") or said twice ("0, 0, 1, 1, 1").
 */
export function gridLines(top: number): number[] {
  const parts = [4, 5, 2, 1].find((n) => Number.isInteger(top / n)) ?? 1
  return Array.from({ length: parts + 1 }, (_, i) => (top / parts) * i)
}

function fullDayFormat(lang: Lang) {
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeZone: 'UTC' })
}

function dayFormat(lang: Lang, withYear: boolean) {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  })
}

function asDate(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`)
}

/**
 * At most `most` days to name on the axis, one every few days from the first (the same number of
 * days between each two, so no gap looks like a day missing), and the last where it is at least
 * half that far from the one before. A week on a wide chart names every day.
 */
function tickIndexes(count: number, most: number): number[] {
  if (count <= 1) return [0]
  const step = Math.ceil((count - 1) / (most - 1))
  const indexes: number[] = []
  for (let i = 0; i < count; i += step) indexes.push(i)
  if (count - 1 - indexes.at(-1)! >= step / 2) indexes.push(count - 1)
  return indexes
}

export function DailyChart(props: DailyChartProps) {
  const { lang, days, series } = props
  const totals = days.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0))
  // A day as every other page writes it ("1 Dec 2026", "01.12.2026"); the axis names days
  // shorter.
  const longDay = fullDayFormat(lang)
  const number = (n: number) => formatNumber(lang, n)
  const describe = (i: number) =>
    `${longDay.format(asDate(days[i]!))}: ${series
      .map((s) => {
        const value = s.values[i] ?? 0
        return `${number(value)} ${value === 1 ? (s.one ?? s.label) : s.label}`
      })
      .join(', ')}`

  if (props.spark) {
    const width = 120
    const height = 28
    const { top } = scaleTop(totals)
    const band = width / Math.max(days.length, 1)
    const sum = totals.reduce((a, b) => a + b, 0)
    const summary = `${props.title}: ${number(sum)}, ${series.map((s) => s.label).join(', ')}`
    return (
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label={summary}
        class="spark"
      >
        <title>{summary}</title>
        <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} stroke="#c5cec9" />
        {totals.map((total, i) => {
          const h = Math.min(total / top, 1) * (height - 2)
          return total > 0 ? (
            <rect
              x={i * band}
              y={height - h}
              width={Math.max(band - 0.5, 0.8)}
              height={h}
              fill={series[0]?.color ?? '#0b6e35'}
            />
          ) : null
        })}
      </svg>
    )
  }

  // Every day takes keyboard focus: a link past them spares a keyboard user a long walk.
  const after = `after-${props.title.toLowerCase().replace(/[^a-z0-9äöüß]+/g, '-')}`
  return (
    <figure class="chart-box">
      <a class="skip" href={`#${after}`}>
        {words(lang).skipChart}
      </a>
      <Plot {...props} totals={totals} describe={describe} g={WIDE} />
      <Plot {...props} totals={totals} describe={describe} g={NARROW} />
      {series.length > 1 && (
        <figcaption class="legend">
          {series.map((s) => (
            <span>
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" rx="2" fill={s.color} />
              </svg>{' '}
              {s.label}
            </span>
          ))}
        </figcaption>
      )}
      {/* The box is clipped, not the table: a table is as wide as its cells whatever its width
          says, and a long column heading would widen the page on a phone. */}
      <div class="sr-only">
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{props.dayLabel ?? ''}</th>
              {series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day, i) => (
              <tr>
                <th scope="row">{longDay.format(asDate(day))}</th>
                {series.map((s) => (
                  <td>{number(s.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <span id={after} tabindex={-1} />
    </figure>
  )
}

/**
 * A horizontal bar for a share of a whole (a funnel step, a table cell): decoration only, the
 * figure it stands for is always written next to it.
 */
export function ShareBar(props: { share: number; color?: string }) {
  const width = Math.max(0, Math.min(1, props.share)) * 100
  return (
    <svg viewBox="0 0 100 10" preserveAspectRatio="none" class="share" aria-hidden="true">
      <rect width="100" height="10" rx="2" fill="#e4ebe7" />
      {width > 0 && (
        <rect width={Math.max(width, 0.8)} height="10" rx="2" fill={props.color ?? '#0b6e35'} />
      )}
    </svg>
  )
}

/** The plot itself, at one geometry. */
function Plot(
  props: DailyChartProps & { totals: number[]; describe: (i: number) => string; g: Geometry },
) {
  const { lang, days, series, totals, describe, g } = props
  const longDay = fullDayFormat(lang)
  const number = (n: number) => formatNumber(lang, n)
  const { top, broken } = scaleTop(totals)
  const plotWidth = g.width - g.left - RIGHT
  const plotHeight = g.height - TOP - BOTTOM
  const band = plotWidth / Math.max(days.length, 1)
  const bar = Math.min(MAX_BAR, Math.max(band * 0.78, 1))
  const y = (value: number) => TOP + plotHeight - (Math.min(value, top) / top) * plotHeight
  const grid = gridLines(top)
  const shortDay = dayFormat(lang, false)
  const crossesYears = days.length > 0 && days[0]!.slice(0, 4) !== days.at(-1)!.slice(0, 4)
  const tickFormat = crossesYears ? dayFormat(lang, true) : shortDay
  const ticks = tickIndexes(days.length, g.ticks)

  return (
    <svg
      viewBox={`0 0 ${g.width} ${g.height}`}
      class={g.className}
      role="group"
      aria-label={`${props.title}, ${days.length > 0 ? `${longDay.format(asDate(days[0]!))} – ${longDay.format(asDate(days.at(-1)!))}` : ''}`}
    >
      {grid.map((value) => (
        <g>
          <line
            x1={g.left}
            x2={g.width - RIGHT}
            y1={y(value) + 0.5}
            y2={y(value) + 0.5}
            stroke={value === 0 ? '#4a5450' : '#dfe5e2'}
          />
          <text x={g.left - 6} y={y(value) + 4} text-anchor="end" font-size="11" fill="#4a5450">
            {number(value)}
          </text>
        </g>
      ))}
      {ticks.map((i) => (
        <text
          x={Math.min(Math.max(g.left + i * band + band / 2, g.left + 24), g.width - RIGHT - 24)}
          y={g.height - 8}
          text-anchor="middle"
          font-size="11"
          fill="#4a5450"
        >
          {tickFormat.format(asDate(days[i]!))}
        </text>
      ))}
      {days.map((_, i) => {
        const x = g.left + i * band + (band - bar) / 2
        let base = 0
        const over = totals[i]! > top
        return (
          <g tabindex="0" role="img" aria-label={describe(i)} class="day">
            <title>{describe(i)}</title>
            {/* The whole band takes the pointer, so thin or empty days still show their values. */}
            <rect
              x={g.left + i * band}
              y={TOP}
              width={band}
              height={plotHeight}
              fill="transparent"
            />
            {series.map((s) => {
              const value = s.values[i] ?? 0
              if (value <= 0) return null
              const y0 = y(base)
              base += value
              const y1 = y(base)
              return <rect x={x} y={y1} width={bar} height={Math.max(y0 - y1, 0)} fill={s.color} />
            })}
            {broken && over && (
              <>
                <path
                  d={`M${x - 2} ${TOP + 10} l${bar / 2 + 2} -5 l${bar / 2 + 2} 5`}
                  stroke="#fff"
                  stroke-width="3"
                  fill="none"
                />
                <text
                  x={Math.min(Math.max(x + bar / 2, g.left + 20), g.width - RIGHT - 20)}
                  y={TOP - 3}
                  text-anchor="middle"
                  font-size="11"
                  font-weight="700"
                  fill="#1a1a1a"
                >
                  {number(totals[i]!)}
                </text>
              </>
            )}
          </g>
        )
      })}
    </svg>
  )
}
