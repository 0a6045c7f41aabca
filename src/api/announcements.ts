import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { telegramConfig } from '../lib/config'
import { paginationQuery, pageSchema } from '../lib/pagination'
import {
  cancelAnnouncement,
  createAnnouncement,
  resumeAnnouncement,
  listAnnouncements,
  previewRuns,
  ruleNeverRuns,
  sendAnnouncementNow,
} from '../services/announcements'
import { updateAnnouncement } from '../services/announcement-changes'
import { deliverySummary, listDeliveries } from '../services/announcement-deliveries'
import { resumeRun, stopRun } from '../services/delivery/runs'
import { resendFailed } from '../services/delivery/resend'
import { telegramPostsOf } from '../services/delivery/telegram-posts'
import type { Announcement } from '../db/schema'
import { idParam } from '../schemas/common'
import {
  AnnouncementSchema,
  audienceGroupIds,
  CreateAnnouncementSchema,
  DeliveryQuerySchema,
  DeliverySchema,
  PreviewQuerySchema,
  serializeAnnouncement,
  UpdateAnnouncementSchema,
} from '../schemas/announcements'
import {
  ACTION_PROBLEMS,
  BODY_PROBLEMS,
  bearerSecurity,
  CRON_RULE,
  jsonBody,
  jsonResponse,
  NoQuerySchema,
  problemResponses,
  SCHEDULE_RULES,
  RESOURCE_PROBLEMS,
} from './openapi'
import { declaredOperations, defineOperation } from './operation'
import type { Context } from 'hono'
import { answerOf } from '../middleware/audit-trail'
import { dispatchDueAnnouncements } from '../services/delivery/claim'
import { logError } from '../lib/log'

export const announcementsApi = new OpenAPIHono<AppEnv>()
const openapi = declaredOperations(announcementsApi)

const tags = ['Announcements']
const CommunityParams = idParam('cmt')
const AnnouncementParams = idParam('ann')
const RunParams = AnnouncementParams.extend(idParam('dsp', 'runId').shape)

function upcoming(announcement: Announcement): Date[] {
  if (!announcement.repeatCron || !announcement.sendAt || announcement.status !== 'scheduled') {
    return announcement.sendAt && announcement.status === 'scheduled' ? [announcement.sendAt] : []
  }
  const repeat = {
    cron: announcement.repeatCron,
    timezone: announcement.repeatTimezone!,
    until: announcement.repeatUntil,
  }
  return [announcement.sendAt, ...previewRuns(repeat, announcement.sendAt, 4)]
}

/** What the handlers need to describe an announcement: any context of the API will do. */
type Describing = Pick<Context<AppEnv>, 'var'>

async function detailed(c: Describing, announcement: Announcement) {
  const [summary, telegramPosts] = await Promise.all([
    deliverySummary(c.var.db, announcement.id),
    // Without a bot token nothing of Telegram shows, not even an empty list.
    telegramConfig(c.var.config) ? telegramPostsOf(c.var.db, announcement.id) : undefined,
  ])
  return serializeAnnouncement(announcement, {
    upcomingRuns: upcoming(announcement),
    summary,
    telegramPosts,
    channel: c.var.config.DELIVERY_CHANNEL,
    now: new Date(),
  })
}

openapi(
  defineOperation({
    method: 'post',
    path: '/communities/{id}/announcements',
    operationId: 'createAnnouncement',
    access: { action: 'announcements.manage', on: 'community' },
    tags,
    summary: 'Schedule an announcement, once (`sendAt`) or on a repeat rule in a time zone',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: CommunityParams,
      body: jsonBody(CreateAnnouncementSchema),
    },
    responses: {
      201: jsonResponse(AnnouncementSchema, 'The scheduled announcement'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS], { rules: SCHEDULE_RULES }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const input = c.req.valid('json')
    const announcement = await createAnnouncement(
      c.var.db,
      id,
      {
        body: input.body,
        translations: input.translations,
        groupIds: audienceGroupIds(input.audience) ?? null,
        sendAt: input.sendAt,
        repeat: input.repeat,
      },
      new Date(),
    )
    return c.json(
      serializeAnnouncement(announcement, {
        upcomingRuns: upcoming(announcement),
        channel: c.var.config.DELIVERY_CHANNEL,
      }),
      201,
    )
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/communities/{id}/announcements',
    operationId: 'listAnnouncements',
    access: { action: 'announcements.read', on: 'community' },
    tags,
    summary: 'A community’s announcements, oldest first',
    security: bearerSecurity,
    request: { params: CommunityParams, query: paginationQuery('ann') },
    responses: {
      200: jsonResponse(pageSchema(AnnouncementSchema), 'A page of announcements'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    const page = await listAnnouncements(c.var.db, id, c.req.valid('query'))
    const data = await Promise.all(page.data.map((announcement) => detailed(c, announcement)))
    return c.json({ data, nextCursor: page.nextCursor }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/announcements/preview',
    operationId: 'previewRepeatRule',
    access: 'signed_in',
    tags,
    summary: 'The next runs of a repeat rule, to check it before saving',
    security: bearerSecurity,
    request: { query: PreviewQuerySchema },
    responses: {
      200: jsonResponse(z.object({ runs: z.array(z.string()) }), 'The next runs'),
      ...problemResponses(['validation_failed', 'unauthorized'], {
        rules: { cron: `${CRON_RULE}, and falls on some date (not, say, 31 April)` },
      }),
    },
  }),
  async (c) => {
    const { cron, timezone, count } = c.req.valid('query')
    const runs = previewRuns({ cron, timezone }, new Date(), count, 'cron')
    // Refused as saving it would be: a check before saving that answered "no runs" would pass
    // a rule the save then refuses.
    if (runs.length === 0) throw ruleNeverRuns('cron')
    return c.json({ runs: runs.map((run) => run.toISOString()) }, 200)
  },
)

openapi(
  defineOperation({
    method: 'get',
    path: '/announcements/{id}',
    operationId: 'getAnnouncement',
    access: { action: 'announcements.read', on: 'announcement' },
    tags,
    summary:
      'An announcement with its delivery counts (queued, sent, failed, skipped) and failure reasons',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AnnouncementParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The announcement'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => c.json(await detailed(c, c.var.announcement), 200),
)

openapi(
  defineOperation({
    method: 'patch',
    path: '/announcements/{id}',
    operationId: 'updateAnnouncement',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary: 'Change an announcement while it is still scheduled',
    security: bearerSecurity,
    request: {
      query: NoQuerySchema,
      params: AnnouncementParams,
      body: jsonBody(UpdateAnnouncementSchema),
    },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The changed announcement'),
      ...problemResponses([...BODY_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state', 'conflict'], {
        rules: SCHEDULE_RULES,
        notes: {
          invalid_state:
            'The announcement is no longer scheduled (sending, sent or cancelled), or a run of it is still sending (named in `runId`): a run reads the text and audience as it goes.',
          conflict:
            'The announcement changed (another change, or a run released) while this one was handled; nothing was written. Read it and send the change again.',
        },
      }),
    },
  }),
  async (c) => {
    const { announcement } = c.var
    const input = c.req.valid('json')
    // A change that leaves it as it was is answered, not logged (`answerOf`).
    const updated = await updateAnnouncement(
      c.var.db,
      announcement,
      {
        body: input.body,
        translations: input.translations,
        groupIds: audienceGroupIds(input.audience),
        sendAt: input.sendAt,
        repeat: input.repeat,
      },
      new Date(),
    )
    answerOf(c, announcement, updated)
    return c.json(await detailed(c, updated), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/cancel',
    operationId: 'cancelAnnouncement',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary: 'Cancel a scheduled announcement (all its future runs)',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AnnouncementParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The cancelled announcement'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: { invalid_state: 'The announcement is sending or sent already.' },
      }),
    },
  }),
  async (c) => {
    const { announcement } = c.var
    return c.json(
      await detailed(
        c,
        answerOf(c, announcement, await cancelAnnouncement(c.var.db, announcement, new Date())),
      ),
      200,
    )
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/resume',
    operationId: 'resumeAnnouncement',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary: 'Resume a broadcast that WhatsApp’s spam rate limit paused',
    description:
      'A pause (error 131048) skips the rest of the run; its later runs are sent again once resumed. Resuming one that is not paused changes nothing.',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AnnouncementParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The announcement'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { announcement } = c.var
    return c.json(
      await detailed(
        c,
        answerOf(c, announcement, await resumeAnnouncement(c.var.db, announcement, new Date())),
      ),
      200,
    )
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/send-now',
    operationId: 'sendAnnouncementNow',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary:
      'Send now: a one-off’s run starts at once, a repeating one’s with the next cron run (within a minute), as does a one-off’s should the start fail. While a run is still sending or stalled, 409 names that run and how to resume or cancel it',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AnnouncementParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The announcement, due now'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: {
          invalid_state:
            'A run is still sending or stalled (the problem names it in `runId`, with the paths to `resume` or `cancel` it), or the announcement is no longer scheduled.',
        },
      }),
    },
  }),
  async (c) => {
    return c.json(await detailed(c, await sendNow(c, c.var.announcement)), 200)
  },
)

/**
 * Send now, for the API and the dashboard alike: the announcement is due at once, and a one-off's
 * run starts right after the answer (`waitUntil`) rather than at the next cron run. It is the
 * cron job's own claim, leased and unique per announcement and time, so whichever of the two
 * comes first starts the run, once; should this one fail or its Worker stop, the cron job does
 * it. A repeating announcement waits for the cron job: its run released at once, it would be
 * scheduled again within the second, and a second press (or a cancel meant to stop the first)
 * would start another run.
 */
export async function sendNow(
  c: Pick<Context<AppEnv>, 'var' | 'env' | 'executionCtx'>,
  announcement: Announcement,
): Promise<Announcement> {
  const now = new Date()
  const due = await sendAnnouncementNow(c.var.db, announcement, now)
  if (due.repeatCron) return due
  const { DELIVERY_CHANNEL } = c.var.config
  c.executionCtx.waitUntil(
    dispatchDueAnnouncements(c.var.deferredDb, c.env.DELIVERY_QUEUE, now, DELIVERY_CHANNEL).catch(
      (error: unknown) => logError({ job: 'send now', announcement: announcement.id }, error),
    ),
  )
  return due
}

openapi(
  defineOperation({
    method: 'get',
    path: '/announcements/{id}/deliveries',
    operationId: 'listAnnouncementDeliveries',
    access: { action: 'announcements.read', on: 'announcement' },
    tags,
    summary: 'Page through an announcement’s deliveries',
    security: bearerSecurity,
    request: { params: AnnouncementParams, query: DeliveryQuerySchema },
    responses: {
      200: jsonResponse(pageSchema(DeliverySchema), 'A page of deliveries'),
      ...problemResponses([...RESOURCE_PROBLEMS]),
    },
  }),
  async (c) => {
    const { announcement } = c.var
    const page = await listDeliveries(c.var.db, announcement.id, c.req.valid('query'))
    return c.json(
      {
        data: page.data.map((row) => ({
          ...row,
          updatedAt: row.updatedAt.toISOString(),
          sentAt: row.sentAt?.toISOString() ?? null,
          deliveredAt: row.deliveredAt?.toISOString() ?? null,
          readAt: row.readAt?.toISOString() ?? null,
        })),
        nextCursor: page.nextCursor,
      },
      200,
    )
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/runs/{runId}/resume',
    operationId: 'resumeAnnouncementRun',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary:
      'Resume a stalled run now: expansion goes on from its cursor, waiting deliveries are queued again, sends interrupted long ago are settled per channel (the cron job does this by itself after a few minutes)',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RunParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The announcement, its run resumed'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: { invalid_state: 'The run has finished: nothing is left to resume.' },
      }),
    },
  }),
  async (c) => {
    const { runId } = c.req.valid('param')
    const { announcement } = c.var
    await resumeRun(
      c.var.db,
      c.env.DELIVERY_QUEUE,
      c.var.config,
      announcement.id,
      runId,
      new Date(),
    )
    return c.json(await detailed(c, announcement), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/runs/{runId}/cancel',
    operationId: 'cancelAnnouncementRun',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary:
      'Cancel one run: nothing more is sent for it (sends under way settle as they end); later runs of a repeat rule stay scheduled',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: RunParams },
    responses: {
      200: jsonResponse(AnnouncementSchema, 'The announcement, its run cancelled'),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: { invalid_state: 'The run has finished: nothing is left to cancel.' },
      }),
    },
  }),
  async (c) => {
    const { runId } = c.req.valid('param')
    const { announcement } = c.var
    await stopRun(c.var.db, announcement.id, runId, new Date())
    return c.json(await detailed(c, announcement), 200)
  },
)

openapi(
  defineOperation({
    method: 'post',
    path: '/announcements/{id}/resend-failed',
    operationId: 'resendAnnouncementToFailed',
    access: { action: 'announcements.manage', on: 'announcement' },
    tags,
    summary:
      'Send the latest WhatsApp run again to the members it failed to reach (refused when sent, or reported undelivered by WhatsApp later): each at most once, only to members still in the community whose number is confirmed; up to 500 per request',
    security: bearerSecurity,
    request: { query: NoQuerySchema, params: AnnouncementParams },
    responses: {
      200: jsonResponse(
        AnnouncementSchema.extend({
          resent: z.number().int().min(0).describe('Deliveries queued again by this request'),
        }),
        'The announcement, and how many deliveries were queued again',
      ),
      ...problemResponses([...ACTION_PROBLEMS, ...RESOURCE_PROBLEMS, 'invalid_state'], {
        notes: {
          invalid_state:
            'The announcement has no WhatsApp run, or its latest one was cancelled: there is nothing the channel could send again.',
        },
      }),
    },
  }),
  async (c) => {
    const { announcement } = c.var
    const resent = await resendFailed(
      c.var.db,
      c.env.DELIVERY_QUEUE,
      c.var.config.DELIVERY_CHANNEL,
      announcement,
      new Date(),
    )
    return c.json({ ...(await detailed(c, announcement)), resent }, 200)
  },
)
