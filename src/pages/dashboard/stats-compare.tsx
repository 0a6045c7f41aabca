import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { formatNumber, type Lang } from '../../lib/i18n'
import { assertCan, can } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import { listInvitesQuery } from '../../services/invites'
import { toPage } from '../../lib/pagination'
import { BREAKDOWNS } from '../../services/stats-breakdowns'
import {
  compareLinksOf,
  compareLinksQueries,
  compareSourcesOf,
  compareSourcesQueries,
  MAX_COMPARED,
  type ComparedEntry,
} from '../../services/stats-compare'
import { DailyChart } from '../../views/chart'
import { percent, words } from '../../views/dashboard'
import { funnelSteps, shareOf } from '../../views/funnel'
import { retentionText } from '../../views/retention'
import { CommunityId, communityShell, idOrThrow, InviteId, lang } from './page'
import { FilterChips, filtersQuery, pageFilters } from './stats-filters'
import { RangePicker, rangeQuery, statsRange, todayIn } from './stats-range'

/** The compare page: links (or sources) of a community side by side. */
export const statsComparePages = new Hono<AppEnv>()

/** `?links=a,b` and `?links=a&links=b` alike; empty values dropped, duplicates once. */
function listParam(c: Context<AppEnv>, name: string): string[] {
  const values = (c.req.queries(name) ?? []).flatMap((value) => value.split(','))
  return [...new Set(values.map((value) => value.trim()).filter(Boolean))]
}

const SourceName = z.string().max(100)

/** A step's share of the step before it, as a cell says it; retention says when it will be known. */
function shareText(l: Lang, entry: ComparedEntry, key: string): string {
  if (key === 'stayed7Days' || key === 'stayed30Days')
    return retentionText(l, entry.funnel, key === 'stayed7Days' ? 7 : 30)
  const step = funnelSteps(l, entry.funnel).find((s) => s.key === key)!
  return step.base ? percent(shareOf(step), l) : ''
}

/** How much more (or less) of the step before a step kept than the first entry, in points. */
function differenceText(l: Lang, entry: ComparedEntry, first: ComparedEntry, key: string) {
  const t = words(l)
  const mine = funnelSteps(l, entry.funnel).find((s) => s.key === key)!
  const theirs = funnelSteps(l, first.funnel).find((s) => s.key === key)!
  if (!mine.base || !theirs.base || mine.base.value === 0 || theirs.base.value === 0) return ''
  const points = (shareOf(mine) - shareOf(theirs)) * 100
  const text = new Intl.NumberFormat(l, {
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  }).format(points)
  return t.pointsDifference(text)
}

statsComparePages.get('/admin/communities/:id/compare', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'stats.read', { communityId: id })
  const l = lang(c)
  const t = words(l)
  const now = new Date()
  const range = statsRange(c, now)
  const today = todayIn(range.tz, now)
  const filters = pageFilters(c)
  const linkIds = listParam(c, 'links')
  const sources = listParam(c, 'sources')
  if (linkIds.length > MAX_COMPARED || sources.length > MAX_COMPARED)
    throw new ApiError('validation_failed', t.compareTooMany(MAX_COMPARED), { localized: true })
  for (const linkId of linkIds) idOrThrow(InviteId, linkId)
  if (!sources.every((source) => SourceName.safeParse(source).success))
    throw new ApiError('validation_failed', t.compareTooFew, { localized: true })

  // Links (their labels and codes) only for those the API shows them to, as on the overview.
  const scope = { communityId: id }
  if (linkIds.length > 0) assertCan(c.var.principal, 'invites.read', scope)
  // Access decided from the id alone; then the page's reads in one round trip: the community,
  // its links to pick from, and the figures of what is compared.
  const db = c.var.db
  const page = [communityQuery(db, id), listInvitesQuery(db, id, { limit: 100 })] as const
  const [communityRows, inviteRows, entries] =
    linkIds.length > 0
      ? await db
          .batch([...page, ...compareLinksQueries(db, id, linkIds, range, today, filters)])
          .then(([community, invites, ...rows]) => {
            // The community is named first if it is gone, then a link not of it.
            communityOf(community)
            const found = compareLinksOf(linkIds, range, rows)
            if (!found) throw new ApiError('not_found', 'No such link in this community.')
            return [community, invites, found] as const
          })
      : await db
          .batch([...page, ...compareSourcesQueries(db, id, sources, range, today, filters)])
          .then(
            ([community, invites, ...rows]) =>
              [community, invites, compareSourcesOf(sources, range, rows)] as const,
          )
  const community = communityOf(communityRows)
  const links = can(c.var.principal, 'invites.read', scope)
    ? toPage(inviteRows, 100).data.filter((invite) => !invite.referrerMemberId)
    : []
  const path = `/admin/communities/${id}/compare`
  const picked = linkIds.length > 0 ? `links=${linkIds.join(',')}` : `sources=${sources.join(',')}`
  const base = `${path}?${rangeQuery(range)}&${picked}`
  const csv = `/admin/communities/${id}/stats.csv?${[rangeQuery(range), filtersQuery(filters)].filter(Boolean).join('&')}`
  const knownSources = [
    ...new Set(links.map((invite) => invite.source).filter(Boolean)),
  ] as string[]
  const first = entries[0]
  const steps = first ? funnelSteps(l, first.funnel) : []
  return communityShell(
    c,
    community,
    '',
    `${t.compare} · ${community.name}`,
    <>
      <section>
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
            {links.map((invite) => (
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
            <RangePicker c={c} range={range} csvHref={csv} filters={filters} extraQuery={picked} />
            <FilterChips c={c} filters={filters} base={base} />
            <div class="table-scroll" tabindex={0} role="region" aria-label={t.funnel}>
              <table class="compare">
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
                  {steps.map((step) => (
                    <tr>
                      <th scope="row">{step.label}</th>
                      {entries.map((entry) => {
                        const own = funnelSteps(l, entry.funnel).find((s) => s.key === step.key)!
                        const share = shareText(l, entry, step.key)
                        // Retention not measurable yet: the date says so, not a zero.
                        const waiting = step.key.startsWith('stayed') && own.base?.value === 0
                        return (
                          <td class="n">
                            {!waiting && <b>{formatNumber(l, own.value)}</b>}
                            {!waiting && share && <br />}
                            {share && <span class="muted">{share}</span>}
                          </td>
                        )
                      })}
                      {entries.slice(1).map((entry) => (
                        <td class="n">{differenceText(l, entry, first!, step.key)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
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
                    series={[{ label: t.joins, color: '#8a5a00', values: entry.joins }]}
                  />
                </div>
              ))}
            </div>
          </section>
        </>
      )}
    </>,
  )
})
