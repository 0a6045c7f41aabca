import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { ApiError } from '../lib/errors'
import { telegramConfig } from '../lib/config'
import { utcDay } from '../lib/time'
import { idParam } from '../schemas/common'
import { StatsComparisonSchema, StatsCompareQuerySchema } from '../schemas/stats'
import { compareLinks, compareSources, daysOf, withSteps } from '../services/stats-compare'
import {
  bearerSecurity,
  jsonResponse,
  problemResponses,
  RESOURCE_PROBLEMS,
  STATS_RULES,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'

/** Links or sources of a community side by side: the dashboard's compare page as JSON. */
export const statsCompareApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(statsCompareApi)

const CommunityParams = idParam('cmt')

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/stats/compare',
    operationId: 'compareCommunityStats',
    access: { action: 'stats.read', on: 'community' },
    tags: ['Stats'],
    summary: 'Links or sources side by side: funnels, daily series, the difference at each step',
    description:
      'Two to six links (`links`) or sources (`sources`) of the community over the same period ' +
      'and under the same filters as the stats: each one’s funnel, its visits and joins on every ' +
      'day, and at each step of the funnel its share of the step before and how far that is from ' +
      'the first entry’s. A link that is not the community’s answers 404; a member’s referral ' +
      'link, for those who do not read referrals, 403 (as the link itself does).',
    security: bearerSecurity,
    request: { params: CommunityParams, query: StatsCompareQuerySchema },
    responses: {
      200: jsonResponse(StatsComparisonSchema, 'The entries, in the order asked'),
      ...problemResponses([...RESOURCE_PROBLEMS], {
        rules: {
          ...STATS_RULES,
          links: 'Either `links` or `sources`, 2 to 6 of them; links of this community',
          sources:
            'Either `links` or `sources`, 2 to 6 of them, each at most 100 characters; ' +
            'with `sources`, no `source` filter (each entry is its own source)',
        },
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const { from, to, filters, links, sources } = c.req.valid('query')
    const period = { from, to, days: daysOf(from, to) }
    const today = utcDay(new Date())
    const telegram = telegramConfig(c.var.config) !== null
    const entries =
      links.length > 0
        ? await compareLinks(c.var.db, id, links, period, today, filters, {
            telegram,
            principal: c.var.principal,
          })
        : await compareSources(c.var.db, id, sources, period, today, filters, telegram)
    if (!entries) throw new ApiError('not_found', 'No such link in this community.')
    return c.json(
      {
        from,
        to,
        filters,
        compared: links.length > 0 ? ('links' as const) : ('sources' as const),
        days: period.days,
        entries: withSteps(entries),
      },
      200,
    )
  },
)
