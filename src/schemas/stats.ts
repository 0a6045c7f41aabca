import { z } from '@hono/zod-openapi'
import { DEVICE_CLASSES } from '../db/schema'
import { addDays, FIRST_STATS_DAY, LAST_STATS_DAY, utcDay } from '../lib/time'
import { idPattern } from '../lib/ids'
import { NONE, VISIT_DIMENSIONS, type StatsFilters } from '../services/stats-breakdowns'
import { COMPARED_STEPS, MAX_COMPARED } from '../services/stats-compare'

/** A calendar day of a stats period, from `FIRST_STATS_DAY` to `LAST_STATS_DAY`. */
export const StatsDay = z.iso
  .date()
  .refine(
    (day) => day >= FIRST_STATS_DAY && day <= LAST_STATS_DAY,
    `From ${FIRST_STATS_DAY} to ${LAST_STATS_DAY}`,
  )

const Day = StatsDay.openapi({ example: '2026-11-24' })
const MAX_RANGE_DAYS = 366

const FilterText = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe(`Only figures of links with this ${what}; \`${NONE}\` for links without one`)

/** The filters, as query parameters: one value per dimension, all must hold. */
export const filterParams = {
  source: FilterText('source'),
  campaign: FilterText('campaign'),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional()
    .describe('Only visits and sign-ups from this country (ISO 3166; XX unknown)'),
  device: z
    .enum([...DEVICE_CLASSES, 'unknown'])
    .optional()
    .describe('Only visits and sign-ups from this device class'),
  referrer: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(253)
    .optional()
    .describe(`Only visits (and their sign-ups) referred by this host; \`${NONE}\` for none`),
  via: z
    .enum(['qr', 'link', 'unknown'])
    .optional()
    .describe('Only visits and sign-ups that came by the QR code or by the link'),
}

/** The period and filters of a stats query as the services take them: by default 30 days. */
function periodAndFilters({ from, to, ...given }: { from?: string; to?: string } & StatsFilters) {
  const end = to ?? utcDay(new Date())
  const filters = Object.fromEntries(
    Object.entries(given).filter(([, value]) => value !== undefined),
  ) as StatsFilters
  return { from: from ?? addDays(end, -29), to: end, filters }
}

/** A period that runs forwards and is at most `MAX_RANGE_DAYS` long. */
function checkPeriod({ from, to }: { from: string; to: string }, ctx: z.RefinementCtx) {
  if (from > to)
    ctx.addIssue({ code: 'custom', message: '`from` must not be after `to`', path: ['from'] })
  else if (from < addDays(to, -(MAX_RANGE_DAYS - 1)))
    ctx.addIssue({
      code: 'custom',
      message: `At most ${MAX_RANGE_DAYS} days at once`,
      path: ['from'],
    })
}

/**
 * `from` and `to` are UTC days, both included; by default the last 30 days. The other
 * parameters filter every figure of the answer.
 */
export const StatsQuerySchema = z
  .strictObject({ from: Day.optional(), to: Day.optional(), ...filterParams })
  .transform(periodAndFilters)
  .superRefine(checkPeriod)

/** How many links or sources a comparison takes. */
export const MIN_COMPARED = 2

/** `a,b,c` as a list: blanks dropped, each value once. */
function listOf(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(',').map((value) => value.trim()))].filter(Boolean)
}

/**
 * A comparison: the stats query's period and filters, and either links or sources, each a
 * comma-separated list.
 */
export const StatsCompareQuerySchema = z
  .strictObject({
    from: Day.optional(),
    to: Day.optional(),
    ...filterParams,
    links: z
      .string()
      .max(400)
      .optional()
      .describe(
        `Link ids (inv_…) of the community, comma-separated, ${MIN_COMPARED} to ${MAX_COMPARED}`,
      )
      .openapi({ example: 'inv_01jd0000000000000000000000,inv_01jd0000000000000000000001' }),
    sources: z
      .string()
      .max(700)
      .optional()
      .describe(
        `Sources, comma-separated, ${MIN_COMPARED} to ${MAX_COMPARED}; \`${NONE}\` for links without one`,
      )
      .openapi({ example: 'instagram,flyer' }),
  })
  .transform(({ links, sources, ...rest }) => ({
    ...periodAndFilters(rest),
    links: listOf(links),
    sources: listOf(sources),
  }))
  .superRefine((query, ctx) => {
    checkPeriod(query, ctx)
    const { links, sources } = query
    const compared = links.length > 0 ? links : sources
    if (links.length > 0 === sources.length > 0)
      ctx.addIssue({ code: 'custom', message: 'Give either `links` or `sources`', path: ['links'] })
    else if (compared.length < MIN_COMPARED || compared.length > MAX_COMPARED)
      ctx.addIssue({
        code: 'custom',
        message: `Compare ${MIN_COMPARED} to ${MAX_COMPARED} at once`,
        path: [links.length > 0 ? 'links' : 'sources'],
      })
    else if (links.some((id) => !idPattern('inv').test(id)))
      ctx.addIssue({ code: 'custom', message: 'Not a list of inv_ ids', path: ['links'] })
    else if (sources.some((source) => source.length > 100))
      ctx.addIssue({
        code: 'custom',
        message: 'A source is at most 100 characters',
        path: ['sources'],
      })
    // Each entry of a comparison of sources is its own source: a filter on one would be ignored.
    else if (sources.length > 0 && query.filters.source !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'Each entry is its own source: leave out `source` when comparing `sources`',
        path: ['source'],
      })
  })

/** What a filter on a visit's own dimension does to Telegram's figures. */
const TELEGRAM_FILTERS =
  'Telegram reports a join with its link only, never with a visit’s country, device, referrer ' +
  'or way in, so Telegram’s figures take only the filters on the link (source, campaign): a ' +
  'filter on `country`, `device`, `referrer` or `via` leaves them as they are'

/** The filters Telegram's figures did not take, where they are said. */
const NotFilteredBy = z
  .array(z.enum(VISIT_DIMENSIONS))
  .optional()
  .describe(
    'Where the query filters by a visit’s own dimension and Telegram counts joins here: the ' +
      'filters Telegram’s figures did not take (they cannot be broken down by them). ' +
      TELEGRAM_FILTERS,
  )

const figures = {
  visits: z.number().int().describe('Views by people (bots excluded)'),
  uniqueVisitors: z.number().int().describe('Distinct visitors per day, summed over the days'),
  scans: z.number().int().describe('Visits that came from the QR code'),
  clicks: z.number().int().describe('Visits that came from the link'),
  botVisits: z.number().int().describe('Crawlers and link-preview fetchers, reported apart'),
  joinRequests: z.number().int().describe('Sign-ups (join requests), confirmed or not'),
  confirmations: z
    .number()
    .int()
    .describe(
      'Sign-ups confirmed by their owner (double opt-in), on the day of the confirmation; single opt-in sign-ups count as confirmed when made',
    ),
  confirmedByPhone: z
    .number()
    .int()
    .describe(
      'Of `confirmations`, the sign-ups whose first proof was for their phone number (the WhatsApp code or button, or an admin’s recorded consent naming it)',
    ),
  confirmedByEmail: z
    .number()
    .int()
    .describe(
      'Of `confirmations`, the sign-ups whose first proof was for their e-mail address (its link, or an admin’s recorded consent naming it); the rest are single opt-in sign-ups, confirmed by the form alone',
    ),
  joins: z
    .number()
    .int()
    .describe(
      'On WhatsApp: sent on to the chat link (what our own forms saw, not the chat). For what ' +
        'Telegram saw in the chat, see `verifiedJoins`',
    ),
  verifiedJoins: z
    .number()
    .int()
    .optional()
    .describe(
      'Telegram only (when configured): joins Telegram itself reported through this link ' +
        '(joined, seen by Telegram), on the day of the join. Each join counts, a rejoin too. ' +
        TELEGRAM_FILTERS,
    ),
  verifiedLeaves: z
    .number()
    .int()
    .optional()
    .describe(
      'Telegram only: members who joined through this link and left the chat or were removed, ' +
        'as Telegram reported it, on the day they left. ' +
        TELEGRAM_FILTERS,
    ),
  conversionRate: z.number().describe('joins / uniqueVisitors'),
}

const BreakdownRowSchema = z
  .object({
    value: z.string().describe(`The dimension's value; \`${NONE}\` for none`),
    visits: figures.visits,
    uniqueVisitors: figures.uniqueVisitors,
    scans: figures.scans,
    clicks: figures.clicks,
    botVisits: figures.botVisits,
    joinRequests: figures.joinRequests,
    confirmations: figures.confirmations,
    confirmedByPhone: figures.confirmedByPhone,
    confirmedByEmail: figures.confirmedByEmail,
    joins: z
      .number()
      .int()
      .describe(
        'Sent on to the chat by our form, as it always was: on WhatsApp the join (inferred), on ' +
          'Telegram a step before it. Where Telegram counts, the join as each link’s platform ' +
          'counted it is `joined.joins` (source and campaign only)',
      ),
    leaves: z
      .number()
      .int()
      .describe('Of `joins` in the period, how many have left since (what our form saw)'),
    joinedAtLeast7DaysAgo: z.number().int().describe('Of `joins`, those at least 7 days old'),
    stayed7Days: z.number().int().describe('Of those, still members 7 days after joining'),
    joinedAtLeast30DaysAgo: z.number().int().describe('Of `joins`, those at least 30 days old'),
    stayed30Days: z.number().int().describe('Of those, still members 30 days after joining'),
    firstJoinDay: z
      .string()
      .nullable()
      .describe('The first day with a join: retention is measurable 7 (30) days after it'),
    conversionRate: z.number().describe('joins / uniqueVisitors (our form’s joins)'),
  })
  .openapi('StatsBreakdownRow')

/** The joins each link's own platform counted, as the stats and the comparison answer them. */
const JoinedSchema = z.object({
  countedBy: z
    .enum(['our_forms', 'telegram', 'both'])
    .describe(
      'Who counted `joins`: `telegram` where every link with figures leads into a ' +
        'Telegram chat (verified), `our_forms` where none does (WhatsApp: inferred), ' +
        '`both` where some do; for a period without figures, where the link leads now ' +
        '(a community: `telegram` where every group is on Telegram, `both` where some are)',
    ),
  joins: z
    .number()
    .int()
    .nullable()
    .describe(
      'The funnel’s “joined”, each link counted where its people join: for a link into ' +
        'a Telegram chat each join Telegram reported through it (`verifiedJoins`; someone ' +
        'who leaves and joins again counts again), for one into WhatsApp those our form ' +
        'sent on (`joins`). Sign-ups through our form into a Telegram chat stay in the ' +
        'steps before and are never added here. Null where `notFilteredBy` is given: ' +
        'Telegram’s joins cannot be broken down by those filters, so the joins under ' +
        'them cannot be told',
    ),
  verifiedByTelegram: z
    .number()
    .int()
    .describe(
      'Of `joins`, those Telegram reported through links into its chats, under the ' +
        'filters on the link only',
    ),
  sentOnByOurForms: z
    .number()
    .int()
    .describe('Of `joins`, those our form sent on to a WhatsApp chat link (inferred)'),
  conversionRate: z.number().nullable().describe('joins / uniqueVisitors; null where `joins` is'),
  notFilteredBy: NotFilteredBy,
})

/** Retention as Telegram saw it, apart from our forms' (verified membership). */
const VerifiedRetentionSchema = z.object({
  observedBy: z
    .literal('telegram')
    .describe('Seen by Telegram: who is still in the chat, as Telegram reported it'),
  joins: z.number().int().describe('Joins Telegram reported through the links, in the period'),
  joinedAtLeast7DaysAgo: z.number().int().describe('Of those, the ones at least 7 days old'),
  stayed7Days: z
    .number()
    .int()
    .describe('Of those, still in the chat 7 days after joining (seen by Telegram)'),
  retention7Days: z
    .number()
    .nullable()
    .describe('stayed7Days / joinedAtLeast7DaysAgo; null while no join is old enough'),
  joinedAtLeast30DaysAgo: z.number().int().describe('Joins at least 30 days old'),
  stayed30Days: z
    .number()
    .int()
    .describe('Of those, still in the chat 30 days after joining (seen by Telegram)'),
  retention30Days: z
    .number()
    .nullable()
    .describe('stayed30Days / joinedAtLeast30DaysAgo; null while no join is old enough'),
  firstJoinDay: z
    .string()
    .nullable()
    .describe('The first day with a verified join: retention is measurable 7 (30) days on'),
  notFilteredBy: NotFilteredBy,
})

/**
 * A row of the breakdown by a link's own source or campaign: each link is one source and one
 * campaign, so its joins as its own platform counted them add up by them.
 */
const LinkBreakdownRowSchema = BreakdownRowSchema.extend({
  joined: JoinedSchema.optional().describe(
    'Telegram only (when configured): the joins of the row’s links as each link’s own ' +
      'platform counted them, as the answer’s `joined` counts them all (its conversion: of the ' +
      'row’s unique visitors)',
  ),
  verifiedRetention: VerifiedRetentionSchema.optional().describe(
    'Telegram only (when configured): retention after 7 and 30 days from verified membership, ' +
      'of the row’s links, as the answer’s `verifiedRetention`',
  ),
}).openapi('StatsLinkBreakdownRow')

const Breakdown = <Row extends z.ZodType>(what: string, row: Row) =>
  z.array(row).describe(`The whole funnel by ${what}, busiest first (at most 100; every country)`)

export const StatsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    filters: z
      .object({
        source: z.string().optional(),
        campaign: z.string().optional(),
        country: z.string().optional(),
        device: z.string().optional(),
        referrer: z.string().optional(),
        via: z.string().optional(),
      })
      .describe('The filters the figures are under'),
    breakdowns: z.object({
      source: Breakdown('the link’s source', LinkBreakdownRowSchema),
      campaign: Breakdown('the link’s campaign', LinkBreakdownRowSchema),
      country: Breakdown('country (ISO 3166; XX unknown)', BreakdownRowSchema),
      device: Breakdown(
        'device class (mobile, tablet, desktop, bot; unknown before it was kept)',
        BreakdownRowSchema,
      ),
      referrer: Breakdown(
        "referrer host (`(other)`: a link's hosts past the day's first 50)",
        BreakdownRowSchema,
      ),
      via: Breakdown('way in: qr, link (unknown before it was kept)', BreakdownRowSchema),
    }),
    totals: z.object(figures),
    byDay: z.array(z.object({ day: z.string(), ...figures })),
    bySource: z.array(z.object({ source: z.string(), ...figures })),
    byCountry: z.array(
      z.object({ country: z.string().describe('ISO 3166 code; XX unknown'), ...figures }),
    ),
    joined: JoinedSchema.optional().describe(
      'Telegram only (when configured): the joins each link’s own platform counted. ' +
        '`totals.joins` stays what our own forms sent on, on Telegram a step before the join',
    ),
    verifiedRetention: VerifiedRetentionSchema.optional().describe(
      'Telegram only (when configured): retention after 7 and 30 days from verified ' +
        'membership, apart from the breakdowns’ retention, which on WhatsApp is what our ' +
        'own forms and messages saw. Under the filters on the link only (`notFilteredBy`)',
    ),
    otherRoutes: z
      .object({ verifiedJoins: z.number().int(), verifiedLeaves: z.number().int() })
      .optional()
      .describe(
        'Telegram only, a community’s stats where some of its groups are on Telegram: joins ' +
          'and leaves Telegram saw in its chats that came through no link of ours (a link ' +
          'shared in the chat, an admin adding someone). Not under a `source` or `campaign` ' +
          'filter: they came through no link, so they have neither',
      ),
  })
  .openapi('Stats')

const ComparedFunnelSchema = z.object({
  visits: figures.visits,
  uniqueVisitors: figures.uniqueVisitors,
  scans: figures.scans,
  clicks: figures.clicks,
  joinRequests: figures.joinRequests,
  confirmations: figures.confirmations,
  confirmedByPhone: figures.confirmedByPhone,
  confirmedByEmail: figures.confirmedByEmail,
  joins: figures.joins,
  leaves: z
    .number()
    .int()
    .describe(
      'Of the joins in the period, how many have left since; where Telegram counts the joins ' +
        '(`joined`), the leaves it reported in the period, whenever the person joined',
    ),
  firstJoinDay: z.string().nullable().describe('The first day of the period with a join'),
  joinedAtLeast7DaysAgo: z.number().int().describe('Joins at least 7 days old'),
  stayed7Days: z.number().int().describe('Of those, still members 7 days after joining'),
  joinedAtLeast30DaysAgo: z.number().int().describe('Joins at least 30 days old'),
  stayed30Days: z.number().int().describe('Of those, still members 30 days after joining'),
})

const ComparedStepSchema = z.object({
  step: z.enum(COMPARED_STEPS),
  value: z.number().int(),
  base: z
    .number()
    .int()
    .nullable()
    .describe(
      'What the step is a share of: the step before it; for joins Telegram counted ' +
        '(`joined.countedBy` not `our_forms`), the visits, as most join through the Telegram ' +
        'link past our form; for retention, the joins old enough; for leaves, the joins (none ' +
        'where Telegram counts them: it reports a leave on the day it happens, whenever the ' +
        'person joined). Null for visits, and for join requests where Telegram counts any of ' +
        'the entry’s joins: the landing page of a link into a Telegram chat leads straight to ' +
        'Telegram, so its visitors are no base for our form’s requests',
    ),
  rate: z.number().nullable().describe('`value / base`; null when there is nothing to measure'),
  differenceFromFirst: z
    .number()
    .nullable()
    .describe(
      'This entry’s `rate` minus the first entry’s (0.05: five points more); null for the ' +
        'first entry and where either is not measurable',
    ),
  measurableFrom: z
    .string()
    .nullable()
    .describe(
      'Retention not measurable yet: the day it will be (7 or 30 days after the first join)',
    ),
})

export const StatsComparisonSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    filters: StatsSchema.shape.filters,
    compared: z.enum(['links', 'sources']),
    days: z.array(z.string()).describe('Every day of the period, the axis of each daily series'),
    entries: z.array(
      z.object({
        key: z.string().describe('The link’s id, or the source'),
        label: z.string().describe('The link’s label (its code without one), or the source'),
        funnel: ComparedFunnelSchema,
        joined: JoinedSchema.describe(
          'How the funnel’s joins, retention and leaves were counted: Telegram’s for links ' +
            'into its chats (a source: for those of its links), our form’s for the others. ' +
            'Where `notFilteredBy` is given, the funnel’s figures are what our form sent on',
        ),
        conversionRate: figures.conversionRate,
        visits: z.array(z.number().int()).describe('Visits on each day of `days`'),
        joins: z.array(z.number().int()).describe('Joins on each day of `days`'),
        steps: z.array(ComparedStepSchema).describe('The funnel’s steps, in order'),
      }),
    ),
  })
  .openapi('StatsComparison')
