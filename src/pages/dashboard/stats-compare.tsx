import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError } from '../../lib/errors'
import { csvDownloadHeaders, csvLine } from '../../lib/csv'
import { assertCan, can } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import { listInvitesQuery } from '../../services/invites'
import { listGroupsQuery } from '../../services/groups'
import { NONE } from '../../services/stats-breakdowns'
import { COMPARE_WORDS } from '../../lib/i18n/compare-words'
import { onWhatsApp } from '../../views/whatsapp-inferred'
import { toPage } from '../../lib/pagination'
import {
  compareLinksOf,
  compareLinksQueries,
  carriedSourcesQuery,
  compareSourcesOf,
  compareSourcesQueries,
  MAX_COMPARED,
} from '../../services/stats-compare'
import { telegramConfig } from '../../lib/config'
import { words } from '../../views/dashboard/shell'
import { ComparePage } from '../../views/dashboard/compare'
import { CommunityId, communityShell, idOrThrow, InviteId, lang } from './page'
import { pageFilters } from './stats-filters'
import { FilterChips, filtersQuery } from '../../views/dashboard/stats-filters'
import { statsRange, todayIn } from './stats-range'
import { RangePicker, rangeQuery } from '../../views/dashboard/stats-range'

/** The compare page: links (or sources) of a community side by side. */
export const statsComparePages = new Hono<AppEnv>()

/** `?links=a,b` and `?links=a&links=b` alike; empty values dropped, duplicates once. */
function listParam(c: Context<AppEnv>, name: string): string[] {
  const values = (c.req.queries(name) ?? []).flatMap((value) => value.split(','))
  return [...new Set(values.map((value) => value.trim()).filter(Boolean))]
}

const SourceName = z.string().max(100)

/**
 * What the compare page and its CSV show, read alike: the period, the filters, what is
 * compared, and in one round trip the community, its links and groups, and the entries.
 */
async function readComparison(c: Context<AppEnv>) {
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
  const telegram = telegramConfig(c.var.config) !== null
  // Its groups too: on WhatsApp, the page says what its figures are counted from.
  const page = [
    communityQuery(db, id),
    listInvitesQuery(db, id, { limit: 100 }),
    listGroupsQuery(db, id, { limit: 100 }),
  ] as const
  const [communityRows, inviteRows, groupRows, entries] =
    linkIds.length > 0
      ? await db
          .batch([
            ...page,
            ...compareLinksQueries(db, id, linkIds, range, today, filters, { telegram }),
          ])
          .then(([community, invites, groups, ...rows]) => {
            // The community is named first if it is gone, then a link not of it.
            communityOf(community)
            const found = compareLinksOf(linkIds, range, filters, rows, c.var.principal)
            if (!found) throw new ApiError('not_found', 'No such link in this community.')
            return [community, invites, groups, found] as const
          })
      : await db
          .batch([
            ...page,
            carriedSourcesQuery(db, id, sources),
            ...compareSourcesQueries(db, id, sources, range, today, filters, telegram),
          ])
          .then(([community, invites, groups, carried, ...rows]) => {
            communityOf(community)
            // Members' own links' source, and none, are always there to compare.
            const known = new Set([NONE, 'referral', ...carried.map((row) => row.source)])
            if (!sources.every((source) => known.has(source)))
              throw new ApiError('validation_failed', COMPARE_WORDS[l].unknownSource, {
                localized: true,
              })
            return [
              community,
              invites,
              groups,
              compareSourcesOf(id, sources, range, filters, rows),
            ] as const
          })
  const community = communityOf(communityRows)
  return { id, range, filters, linkIds, sources, community, inviteRows, groupRows, entries }
}

statsComparePages.get('/admin/communities/:id/compare', async (c) => {
  const { id, range, filters, linkIds, sources, community, inviteRows, groupRows, entries } =
    await readComparison(c)
  const l = lang(c)
  const t = words(l)
  const links = can(c.var.principal, 'invites.read', { communityId: id })
    ? toPage(inviteRows, 100).data.filter((invite) => !invite.referrerMemberId)
    : []
  const path = `/admin/communities/${id}/compare`
  // Each value encoded: a source may hold `&`, `+`, `%` or `#`, which would end or change it.
  const list = (values: string[]) => values.map(encodeURIComponent).join(',')
  const picked = linkIds.length > 0 ? `links=${list(linkIds)}` : `sources=${list(sources)}`
  const base = `${path}?${rangeQuery(range)}&${picked}`
  // The figures compared, not the whole community's.
  const csv = `/admin/communities/${id}/compare.csv?${[rangeQuery(range), filtersQuery(filters), picked].filter(Boolean).join('&')}`
  return communityShell(
    c,
    community,
    '',
    `${t.compare} · ${community.name}`,
    <ComparePage
      lang={l}
      path={path}
      range={range}
      filters={filters}
      links={links}
      linkIds={linkIds}
      sources={sources}
      entries={entries}
      whatsapp={onWhatsApp(groupRows)}
      controls={
        <>
          <RangePicker
            lang={l}
            path={path}
            range={range}
            csvHref={csv}
            filters={filters}
            extraQuery={picked}
          />
          {/* Set on a link's or community's statistics: this page has no breakdowns to pick from. */}
          <FilterChips lang={l} filters={filters} base={base} tablesBelow={false} />
        </>
      }
    />,
  )
})

/**
 * The comparison as CSV: for each day of the period and each entry compared (in the order
 * picked), its visits and joins, the joins counted where its people join (as the chart does).
 */
statsComparePages.get('/admin/communities/:id/compare.csv', async (c) => {
  const { range, community, entries } = await readComparison(c)
  const lines = [csvLine(['date', 'compared', 'visits', 'joins', 'joins_counted_by'])]
  for (const [day, date] of range.days.entries()) {
    for (const entry of entries) {
      lines.push(
        csvLine([date, entry.label, entry.visits[day]!, entry.joins[day]!, entry.joined.by]),
      )
    }
  }
  return c.body(
    `${lines.join('\r\n')}\r\n`,
    200,
    csvDownloadHeaders(`${community.slug}-compare-${range.from}-${range.to}.csv`),
  )
})
