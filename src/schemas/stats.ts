import { z } from '@hono/zod-openapi'
import { addDays, utcDay } from '../lib/time'

const Day = z.iso.date().openapi({ example: '2026-11-24' })
const MAX_RANGE_DAYS = 366

/** `from` and `to` are UTC days, both included; by default the last 30 days. */
export const StatsQuerySchema = z
  .strictObject({ from: Day.optional(), to: Day.optional() })
  .transform(({ from, to }) => {
    const end = to ?? utcDay(new Date())
    return { from: from ?? addDays(end, -29), to: end }
  })
  .refine(({ from, to }) => from <= to, {
    message: '`from` must not be after `to`',
    path: ['from'],
  })
  .refine(({ from, to }) => from >= addDays(to, -(MAX_RANGE_DAYS - 1)), {
    message: `At most ${MAX_RANGE_DAYS} days at once`,
    path: ['from'],
  })

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
        '(joined, seen by Telegram), on the day of the join',
    ),
  verifiedLeaves: z
    .number()
    .int()
    .optional()
    .describe(
      'Telegram only: members who joined through this link and left the chat or were removed, ' +
        'as Telegram reported it, on the day they left',
    ),
  conversionRate: z.number().describe('joins / uniqueVisitors'),
}

export const StatsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    totals: z.object(figures),
    byDay: z.array(z.object({ day: z.string(), ...figures })),
    bySource: z.array(z.object({ source: z.string(), ...figures })),
    byCountry: z.array(
      z.object({ country: z.string().describe('ISO 3166 code; XX unknown'), ...figures }),
    ),
    otherRoutes: z
      .object({ verifiedJoins: z.number().int(), verifiedLeaves: z.number().int() })
      .optional()
      .describe(
        'Telegram only, a community’s stats: joins and leaves Telegram saw in its chats that ' +
          'came through no link of ours (a link shared in the chat, an admin adding someone)',
      ),
  })
  .openapi('Stats')
