import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { formatNumber, type Lang } from '../../lib/i18n'
import { getDashboardStats, getStats, type StatsScope } from '../../services/stats'
import { DailyChart } from '../../views/chart'
import { words } from '../../views/dashboard'
import { Funnel } from '../../views/funnel'
import { lang } from './page'
import { RangePicker, rangeQuery, statsRange, todayIn } from './stats-range'

/**
 * The stats of a community or a link, as every stats view shows them: the period picker, the
 * funnel, visits (QR scans and link clicks) and joins by day, and visits by source and country.
 */
export async function loadStatsView(c: Context<AppEnv>, scope: StatsScope, csvPath: string) {
  const now = new Date()
  const range = statsRange(c, now)
  const today = todayIn(range.tz, now)
  const [dashboard, breakdown] = await Promise.all([
    getDashboardStats(c.var.db, scope, range, today),
    getStats(c.var.db, scope, range),
  ])
  const csvHref = `${csvPath}?${rangeQuery(range)}`
  return { range, ...dashboard, breakdown, csvHref }
}

/** A country's name in the reader's language, from its ISO code (`XX`: unknown). */
function countryName(l: Lang, code: string, unknown: string): string {
  if (!/^[A-Z]{2}$/.test(code) || code === 'XX') return unknown
  try {
    return new Intl.DisplayNames([l], { type: 'region' }).of(code) ?? code
  } catch {
    return code
  }
}

export type StatsView = Awaited<ReturnType<typeof loadStatsView>>

export function StatsSections(props: { c: Context<AppEnv>; view: StatsView }) {
  const l = lang(props.c)
  const t = words(l)
  const { view } = props
  const days = view.days.map((d) => d.day)
  return (
    <>
      <section>
        <RangePicker c={props.c} range={view.range} csvHref={view.csvHref} />
        <Funnel lang={l} figures={view.funnel} heading={t.funnel} />
      </section>
      <section>
        <h2>{t.visitsByDay}</h2>
        <DailyChart
          lang={l}
          days={days}
          title={t.visitsByDay}
          dayLabel={t.day}
          series={[
            { label: t.scans, color: '#0b6e35', values: view.days.map((d) => d.scans) },
            { label: t.clicks, color: '#6fb08a', values: view.days.map((d) => d.clicks) },
          ]}
        />
        <h2 class="spaced">{t.joinsByDay}</h2>
        <DailyChart
          lang={l}
          days={days}
          title={t.joinsByDay}
          dayLabel={t.day}
          series={[{ label: t.joins, color: '#8a5a00', values: view.days.map((d) => d.joins) }]}
        />
      </section>
      <section>
        <div class="grid two">
          {(
            [
              [
                t.bySource,
                view.breakdown.bySource.map(
                  (row) => [row.source === '(none)' ? t.noSource : row.source, row.visits] as const,
                ),
              ],
              [
                t.byCountry,
                view.breakdown.byCountry.map(
                  (row) => [countryName(l, row.country, t.unknownCountry), row.visits] as const,
                ),
              ],
            ] as const
          ).map(([heading, rows]) => (
            <div>
              <h2>{heading}</h2>
              {rows.length === 0 ? (
                <p class="muted">{t.noData}</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>{heading}</th>
                      <th class="n">{t.visits}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map(([key, visits]) => (
                      <tr>
                        <td>
                          <bdi>{key}</bdi>
                        </td>
                        <td class="n">{formatNumber(l, visits)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          ))}
        </div>
      </section>
    </>
  )
}
