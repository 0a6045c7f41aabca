import { z } from '@hono/zod-openapi'
import {
  ANNOUNCEMENT_STATUSES,
  DELIVERY_CHANNELS,
  DELIVERY_STATUSES,
  DISPATCH_STATUSES,
  EVENT_TYPES,
  TELEGRAM_POST_STATUSES,
  PROVIDER_STATUSES,
  type Announcement,
  type DeliveryChannel,
  type Dispatch,
} from '../db/schema'
import { isStalled, shownStatus, waitingUntil } from '../services/announcements'
import {
  noDeliveries,
  noReceipts,
  receiptRates,
  reportedReceipts,
  type ReceiptSummary,
} from '../services/announcement-deliveries'
import { CHANNEL_RECEIPTS } from '../services/channels'
import type { TelegramPostRow } from '../services/delivery/telegram-posts'
import { idPattern } from '../lib/ids'
import { ANNOUNCEMENT_TEXT_MAX } from '../lib/limits'
import { textWithoutName } from '../lib/name-placeholder'
import { cursorQuery, queryInteger } from '../lib/pagination'
import {
  DATE_TIME_PATTERN,
  hasVisibleCharacter,
  TimestampSchema,
  TimeZoneSchema,
  uriSchema,
  userText,
} from './common'

const FutureTime = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now() - 60_000, 'Must be in the future')
  .transform((value) => new Date(value))
  .openapi({ type: 'string', format: 'date-time', pattern: DATE_TIME_PATTERN })

/**
 * A cron rule: at most 100 characters as sent (the limit the document states), then trimmed, of
 * five fields. croner would read a sixth too, as seconds in front, so `30 0 9 * * 1` meant
 * 09:00:30 on Mondays where a reader of the document's rule expects a mistake refused. Whether
 * croner reads it is checked with its time zone, and named in the operations' rules.
 */
export const CronSchema = z
  .string()
  .max(100)
  .trim()
  .min(9)
  .regex(
    /^\s*\S+(?:\s+\S+){4}\s*$/,
    'Five fields: minute, hour, day of month, month, day of week (no seconds)',
  )

export const RepeatSchema = z
  .strictObject({
    cron: CronSchema.openapi({ example: '0 9 * * 1' }).describe(
      'Five-field cron rule: minute, hour, day of month, month, day of week',
    ),
    timezone: TimeZoneSchema.describe('The time zone the rule’s times are read in'),
    until: FutureTime.optional(),
  })
  .openapi('Repeat')

const AudienceChoice = z.union([
  z.literal('announcement').describe('The announcement group: every active member'),
  z.strictObject({
    groupIds: z
      .array(z.string().regex(idPattern('grp'), 'Not a grp_ id'))
      .min(1)
      .max(50),
  }),
])
const Audience = AudienceChoice.default('announcement')

/** What members receive: text with its line breaks, `{name}` where each member's name goes. */
export const AnnouncementBodySchema = userText(ANNOUNCEMENT_TEXT_MAX, {
  multiline: true,
  required: true,
})
  .refine(
    // An empty text is refused as empty, once.
    (text) => text === '' || hasVisibleCharacter(textWithoutName(text)),
    {
      message:
        'Write more than {name}: a post to a whole chat, and a member who gave no name, get the text without it',
      params: { problem: 'nameOnly' },
    },
  )
  .describe(
    'The text members receive. `{name}` stands for the name each member gave: a message to one member carries it; a post to a whole chat leaves it out, with the space before it ("Hi {name}," reads "Hi,").',
  )

/** The same announcement in other languages than `body`'s, by the language members signed up in. */
export const TranslationsSchema = z
  .strictObject({ de: AnnouncementBodySchema.optional(), en: AnnouncementBodySchema.optional() })
  .describe(
    'The announcement in other languages, by the language a member signed up in (`de`, `en`): a member who signed up in one of them gets its text, everyone else (and a Telegram chat) `body`. Sent again, it replaces the texts before; `{}` removes them; left out of a change, they stay as they were, `body` changed or not.',
  )
  .openapi('Translations')

const fields = {
  body: AnnouncementBodySchema,
  translations: TranslationsSchema.optional(),
  audience: Audience,
  sendAt: FutureTime.optional(),
  repeat: RepeatSchema.optional(),
}

export const CreateAnnouncementSchema = z
  .strictObject(fields)
  .refine((value) => (value.sendAt === undefined) !== (value.repeat === undefined), {
    message: 'Give either `sendAt` or `repeat`',
    path: ['sendAt'],
  })
  .openapi('CreateAnnouncement', { oneOf: [{ required: ['sendAt'] }, { required: ['repeat'] }] })

export const UpdateAnnouncementSchema = z
  // No default here: an audience left out stays as it is.
  .strictObject({ ...fields, audience: AudienceChoice.optional() })
  .partial()
  .refine((value) => !(value.sendAt && value.repeat), {
    message: 'Give either `sendAt` or `repeat`',
    path: ['sendAt'],
  })
  .refine((value) => Object.keys(value).length > 0, 'Send at least one field to change')
  .openapi('UpdateAnnouncement', { minProperties: 1, not: { required: ['sendAt', 'repeat'] } })

export function audienceGroupIds(
  audience: z.infer<typeof Audience> | undefined,
): string[] | null | undefined {
  if (audience === undefined) return undefined
  return audience === 'announcement' ? null : [...new Set(audience.groupIds)]
}

const Counts = z.object({
  queued: z.number().int().describe('Not settled yet: waiting or being sent'),
  sent: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  unknown: z
    .number()
    .int()
    .describe('Outcome unknown: the send may have happened (interrupted or timed out)'),
  cancelled: z.number().int().describe('Not sent because the run was cancelled'),
  delivered: z
    .number()
    .int()
    .describe(
      'Reported delivered by WhatsApp (read messages count as delivered too). Only known where `reported.delivered` is true: the webhook channel reports no delivery, and its messages count 0 here',
    ),
  read: z
    .number()
    .int()
    .describe(
      'Reported read by WhatsApp. Only known where `reported.read` is true: the webhook channel reports no reading, and its messages count 0 here',
    ),
  undelivered: z.number().int().describe('Accepted, then reported failed by WhatsApp'),
})

/** Shares of what was sent, 0 to 1 (null before anything was sent). */
const Rates = z
  .object({
    delivered: z
      .number()
      .nullable()
      .describe(
        'delivered / sent, over the runs whose channel reports delivery; null where none does (`reported.delivered` false: not 0, unknown) or before anything was sent through one',
      ),
    read: z
      .number()
      .nullable()
      .describe(
        'read / sent, over the runs whose channel reports reading; null where none does (`reported.read` false: not 0, unknown) or before anything was sent through one',
      ),
    failed: z.number().nullable().describe('(failed + undelivered) / (sent + failed)'),
  })
  .describe('Delivery and read rates over all runs')

const Reported = z
  .object({
    delivered: z.boolean().describe('The channel reports whether each message was delivered'),
    read: z.boolean().describe('The channel reports whether each message was read'),
  })
  .describe(
    'What the delivery channel reports back: WhatsApp both, the webhook channel neither (its `delivered` and `read` stay 0 and mean nothing; their rates are null). Before the first run: what the configured channel will report',
  )

function ratesOf(counts: z.infer<typeof Counts>, receipts: ReceiptSummary): z.infer<typeof Rates> {
  const share = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null
  return {
    ...receiptRates(counts, receipts),
    failed: share(counts.failed + counts.undelivered, counts.sent + counts.failed),
  }
}

const TelegramPostSchema = z
  .object({
    runId: z.string(),
    groupId: z
      .string()
      .nullable()
      .describe('The Telegram-linked group posted to; null: a member’s private chat'),
    groupName: z.string().nullable().describe('null: a private chat, or the group was deleted'),
    memberId: z
      .string()
      .nullable()
      .describe('The member who started the bot, posted to in their private chat with it'),
    memberName: z.string().nullable(),
    chatId: z
      .number()
      .int()
      .describe('The Telegram chat: the group’s, or the member’s private chat (their user id)'),
    status: z
      .enum(TELEGRAM_POST_STATUSES)
      .describe(
        '`queued` waits its turn (after a 429, the `retry_after` Telegram asked for); `sent` Telegram took it; `failed` Telegram refused it (`lastError` says why); `skipped` the member sent /stop before it went; `unknown` no answer came, and it is not posted again',
      ),
    messageId: z.number().int().nullable().describe('Telegram’s `message_id` of the post'),
    attempts: z.number().int(),
    lastError: z.string().nullable().describe('A short fixed reason, never Telegram’s text'),
    nextAttemptAt: TimestampSchema.nullable().describe('For a `queued` post: when it goes'),
    sentAt: TimestampSchema.nullable(),
  })
  .openapi('TelegramPost')

export const AnnouncementSchema = z
  .object({
    id: z.string().openapi({ example: 'ann_01jd2k3m4n5p6q7r8s9t0vwxyz' }),
    communityId: z.string(),
    body: z.string(),
    translations: z
      .object({ de: z.string().optional(), en: z.string().optional() })
      .describe('The text for members who signed up in each of these languages'),
    audience: z.union([z.literal('announcement'), z.object({ groupIds: z.array(z.string()) })]),
    status: z
      .enum([...ANNOUNCEMENT_STATUSES, 'sending'])
      .describe('`sending` while one of its runs has work left'),
    nextRunAt: TimestampSchema.nullable(),
    repeat: z
      .object({ cron: z.string(), timezone: z.string(), until: TimestampSchema.nullable() })
      .nullable(),
    upcomingRuns: z.array(TimestampSchema).describe('The next few runs of a repeat rule'),
    deliveries: Counts.describe('Over all runs'),
    reported: Reported,
    rates: Rates,
    pausedAt: TimestampSchema.nullable().describe(
      'When WhatsApp’s spam rate limit (131048) paused this broadcast: nothing more is sent',
    ),
    pauseReason: z.string().nullable(),
    runs: z.array(
      z.object({
        id: z.string(),
        scheduledFor: TimestampSchema,
        status: z
          .enum(DISPATCH_STATUSES)
          .describe('`expanding` and `expanded` have work left; `done`, `cancelled` do not'),
        stalled: z
          .boolean()
          .describe('Work left, but no progress for minutes: resume or cancel it'),
        waitingUntil: TimestampSchema.nullable().describe(
          'Messages of this run put off to a later attempt (WhatsApp’s limits defer one for up to 12 hours) are due until then; the run waits for them and is not stalled meanwhile',
        ),
        channel: z.enum(DELIVERY_CHANNELS).describe('The channel the run went out through'),
        reported: Reported.describe(
          'What this run’s channel reports back: WhatsApp both, the webhook channel neither (its `delivered` and `read` stay 0 and mean nothing)',
        ),
        lastProgressAt: TimestampSchema.nullable(),
        finishedAt: TimestampSchema.nullable(),
        ...Counts.shape,
      }),
    ),
    failureReasons: z.array(z.object({ reason: z.string().nullable(), count: z.number().int() })),
    telegramPosts: z
      .array(TelegramPostSchema)
      .optional()
      .describe(
        'One message per run to each Telegram-linked group of the audience (`sendMessage` to its chat), and one to each member of the audience who started the bot (in their private chat with it), newest run first, at most 50. Telegram reports no delivery or reading, so these are not counted in `deliveries`. Only while Telegram is configured',
      ),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .openapi('Announcement')

export function serializeAnnouncement(
  announcement: Announcement,
  extra: {
    upcomingRuns: Date[]
    summary?: {
      totals: z.infer<typeof Counts>
      runs: Dispatch[]
      failures: Array<{ reason: string | null; count: number }>
      receipts: ReceiptSummary
    }
    telegramPosts?: TelegramPostRow[]
    /** The configured `DELIVERY_CHANNEL`: what an announcement not sent yet will go out through. */
    channel: DeliveryChannel
    now?: Date
  },
): z.infer<typeof AnnouncementSchema> {
  const receipts = extra.summary?.receipts ?? noReceipts()
  return {
    id: announcement.id,
    communityId: announcement.communityId,
    body: announcement.body,
    translations: announcement.translations ?? {},
    audience: announcement.audienceGroupIds
      ? { groupIds: announcement.audienceGroupIds }
      : 'announcement',
    status: shownStatus(announcement, extra.summary?.runs ?? []),
    nextRunAt: announcement.sendAt?.toISOString() ?? null,
    repeat: announcement.repeatCron
      ? {
          cron: announcement.repeatCron,
          timezone: announcement.repeatTimezone!,
          until: announcement.repeatUntil?.toISOString() ?? null,
        }
      : null,
    upcomingRuns: extra.upcomingRuns.map((run) => run.toISOString()),
    deliveries: extra.summary?.totals ?? noDeliveries(),
    reported: reportedReceipts(receipts, extra.channel),
    rates: ratesOf(extra.summary?.totals ?? noDeliveries(), receipts),
    pausedAt: announcement.pausedAt?.toISOString() ?? null,
    pauseReason: announcement.pauseReason,
    runs: (extra.summary?.runs ?? []).map((run) => ({
      id: run.id,
      scheduledFor: run.scheduledFor.toISOString(),
      status: run.status,
      stalled: isStalled(run, extra.now ?? new Date()),
      waitingUntil: waitingUntil(run, extra.now ?? new Date())?.toISOString() ?? null,
      channel: run.channel,
      reported: CHANNEL_RECEIPTS[run.channel],
      lastProgressAt: run.progressAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      queued: run.queued,
      sent: run.sent,
      failed: run.failed,
      skipped: run.skipped,
      unknown: run.unknown,
      cancelled: run.cancelled,
      delivered: run.delivered,
      read: run.read,
      undelivered: run.undelivered,
    })),
    failureReasons: extra.summary?.failures ?? [],
    ...(extra.telegramPosts && {
      telegramPosts: extra.telegramPosts.map((post) => ({
        ...post,
        nextAttemptAt: post.status === 'queued' ? new Date(post.nextAttemptAt).toISOString() : null,
        sentAt: post.sentAt === null ? null : new Date(post.sentAt).toISOString(),
      })),
    }),
    createdAt: announcement.createdAt.toISOString(),
    updatedAt: announcement.updatedAt.toISOString(),
  }
}

export const DeliveryQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: queryInteger(1, 100, 50),
  // Deliveries are ordered by run, then member: the cursor names both.
  cursor: cursorQuery('dsp', 'mem'),
})

export const DeliverySchema = z
  .object({
    dispatchId: z.string(),
    memberId: z.string(),
    memberName: z.string().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastError: z
      .string()
      .nullable()
      .describe('A short fixed reason, never what the channel answered'),
    providerMessageId: z.string().nullable().describe('The WhatsApp message id (wamid)'),
    providerStatus: z
      .enum(PROVIDER_STATUSES)
      .nullable()
      .describe('The last status WhatsApp reported; it only moves forward'),
    errorCode: z.number().int().nullable().describe('Meta’s error code of a failure'),
    errorTitle: z.string().nullable().describe('Meta’s title of that error'),
    updatedAt: TimestampSchema,
    sentAt: TimestampSchema.nullable().describe(
      'When its (latest) send was accepted; null while not sent, or when it failed at sending',
    ),
    deliveredAt: TimestampSchema.nullable().describe(
      'When WhatsApp reported it delivered; null where not reported (a message may be reported read without delivered first)',
    ),
    readAt: TimestampSchema.nullable().describe('When WhatsApp reported it read'),
  })
  .describe(
    'For a delivery recorded before each step’s time was kept, only the step it has reached has a time (its `updatedAt`).',
  )
  .openapi('Delivery')

export const CreateWebhookSchema = z
  .strictObject({
    url: uriSchema(/^https?$/, '[Hh][Tt][Tt][Pp][Ss]?', 'Must be an http or https URL').describe(
      'https on a public host: private, loopback, link-local and other non-public addresses ' +
        '(in any notation), localhost, *.local, *.internal, cloud metadata hosts and ' +
        'single-label hosts are refused (400, with the reason in `errors`). Plain http and ' +
        'local hosts only where ALLOW_HTTP_WEBHOOKS is set (local development).',
    ),
    events: z
      .array(z.enum([...EVENT_TYPES, '*']))
      .min(1)
      .max(EVENT_TYPES.length + 1)
      .describe('The event types to receive; `*` for every event, future ones too (alone, then)'),
    communityId: z
      .string()
      .regex(idPattern('cmt'), 'Not a cmt_ id')
      .optional()
      .describe('Only this community’s events; owners may leave it out for all'),
  })
  .openapi('CreateWebhook')

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    communityId: z.string().nullable(),
    createdAt: TimestampSchema,
    goneAt: TimestampSchema.nullable().describe(
      'When the receiver answered 410 Gone, which says it wants no more: from then on no event ' +
        'goes to the endpoint (but a test event asked for) until it is resumed ' +
        '(`POST /webhooks/{id}/resume`); those that come meanwhile are on its deliveries, ' +
        'failed. Null while events go to it',
    ),
  })
  .openapi('Webhook')

export const PreviewQuerySchema = z.strictObject({
  cron: CronSchema,
  timezone: TimeZoneSchema,
  count: queryInteger(1, 20, 5),
})
