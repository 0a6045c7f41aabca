import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import { sentTelegramPostCounts } from '../../services/delivery/telegram-posts'
import type { FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { answerOf, changedNothing } from '../../middleware/audit-trail'
import { assertCan, can } from '../../services/access'
import {
  cancelAnnouncement,
  resumeAnnouncement,
  createAnnouncement,
  announcementQuery,
  audienceReach,
  getAnnouncementOrThrow,
  isStalled,
  waitingUntil,
  isUnfinished,
  listAnnouncementsQuery,
  listedAnnouncementIds,
  shownStatus,
} from '../../services/announcements'
import {
  deliverySummariesOf,
  deliverySummariesQuery,
  noDeliveries,
  noReceipts,
  receiptRates,
  reportedReceipts,
} from '../../services/announcement-deliveries'
import { resumeRun, stopRun } from '../../services/delivery/runs'
import { communityOf, communityQuery } from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { listGroupsQuery } from '../../services/groups'
import { communityFor } from '../../api/community-scope'
import { sendNow } from '../../api/announcements'
import type { Announcement } from '../../db/schema'
import { words } from '../../views/dashboard/shell'
import { AnnouncementsPage, type ListedAnnouncement } from '../../views/dashboard/announcements'
import type { ComposeState } from '../../views/dashboard/announcement-form'
import {
  CommunityId,
  lang,
  idOrThrow,
  formText,
  communityShell,
  inLanguage,
  withNotice,
} from './page'
import {
  composedAnnouncement,
  copyStateOf,
  keptAudience,
  sentCompose,
  serviceRefusal,
  withPreview,
} from './announcement-form'

const AnnouncementId = z.string().regex(idPattern('ann'))

/**
 * Announcements: compose, schedule once or on a repeat rule, send now, cancel (changing one is
 * `announcement-edit.tsx`).
 */
export const announcementsPages = new Hono<AppEnv>()

announcementsPages.get('/admin/communities/:id/announcements', (c) =>
  announcementsPage(c, idOrThrow(CommunityId, c.req.param('id')), {
    fromId: c.req.query('from'),
  }),
)

/**
 * A community's announcements: the compose form, empty, filled from an announcement to use
 * again (`fromId`, one of this community's), or as it was sent (refused, or asked for its next
 * dates) with `sent`; what was just scheduled, and the list.
 */
async function announcementsPage(
  c: Context<AppEnv>,
  id: string,
  options: { sent?: ComposeState; status?: 200 | 400; fromId?: string } = {},
) {
  assertCan(c.var.principal, 'announcements.read', { communityId: id })
  // Only an id from the redirect's query: the notice's words come from the stored announcement.
  const scheduledId = AnnouncementId.safeParse(c.req.query('scheduled')).data
  const fromId = AnnouncementId.safeParse(options.fromId).data
  // Access decided from the id alone; then the page's reads in one round trip, the figures of
  // every announcement on it in one query however many runs each has had.
  const db = c.var.db
  // The newest hundred; shown with what is still to come first, soonest at the top.
  const listing = { limit: 100, newest: true }
  const [communityRows, groupRows, announcementRows, runRows, scheduledRows, fromRows] =
    await db.batch([
      communityQuery(db, id),
      listGroupsQuery(db, id, { limit: 100 }),
      listAnnouncementsQuery(db, id, listing),
      deliverySummariesQuery(db, listedAnnouncementIds(db, id, listing)),
      announcementQuery(db, scheduledId ?? ''),
      announcementQuery(db, fromId ?? ''),
    ])
  const community = communityOf(communityRows)
  const groups = toPage(groupRows, 100)
  const page = toPage(announcementRows, listing.limit)
  const listed = deliverySummariesOf(runRows)
  const scheduled = scheduledId ? (scheduledRows[0] ?? null) : null
  // Another community's announcement is not used again here: the form stays as it would be.
  const from = fromRows.find((row) => row.communityId === id)
  const sent = options.sent ?? (from && copyStateOf(from, community.timeZone, groups.data))
  // Posts to Telegram chats are no recipients: shown beside the count, not in it (one read more,
  // only where Telegram is configured).
  const posted = telegramConfig(c.var.config)
    ? await sentTelegramPostCounts(
        db,
        page.data.map((announcement) => announcement.id),
      )
    : new Map<string, number>()
  const channel = c.var.config.DELIVERY_CHANNEL
  const now = new Date()
  const rows = page.data.map((announcement): ListedAnnouncement => {
    const summary = listed.get(announcement.id) ?? {
      totals: noDeliveries(),
      receipts: noReceipts(),
      runs: [],
    }
    const open = summary.runs.find(isUnfinished)
    return {
      announcement,
      status: shownStatus(announcement, summary.runs),
      totals: summary.totals,
      reported: reportedReceipts(summary.receipts, channel),
      rates: receiptRates(summary.totals, summary.receipts),
      open,
      stalled: Boolean(open && isStalled(open, now)),
      waitingUntil: open ? waitingUntil(open, now) : null,
      at: announcement.sendAt ?? summary.runs[0]?.scheduledFor ?? null,
      telegramPosts: posted.get(announcement.id) ?? 0,
      reach: audienceReach(announcement, groups.data),
    }
  })
  // What is still to come first, the soonest at the top; then the rest, the newest first.
  const upcoming = rows
    .filter((row) => row.announcement.status === 'scheduled')
    .sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0))
  const listedRows = [...upcoming, ...rows.filter((row) => row.announcement.status !== 'scheduled')]
  const manage = can(c.var.principal, 'announcements.manage', { communityId: id })
  return communityShell(
    c,
    community,
    '/announcements',
    `${community.name}: ${words(lang(c)).announcements}`,
    <AnnouncementsPage
      lang={lang(c)}
      communityZone={community.timeZone}
      csrf={await csrfTokenFor(c)}
      scheduled={scheduled?.communityId === id ? scheduled : null}
      compose={
        manage
          ? {
              action: inLanguage(c, `/admin/communities/${id}/announcements`),
              groups: groups.data,
              sent,
              basis: from && {
                hidden: { from: from.id },
                keptGroups: keptAudience(from.audienceGroupIds, groups.data),
              },
            }
          : null
      }
      listed={listedRows}
      receiptsUnknown={rows.some((row) => !row.reported.delivered)}
      manage={manage}
      byWhatsApp={c.var.config.DELIVERY_CHANNEL === 'whatsapp'}
      reportHref={(announcementId) => inLanguage(c, `/admin/announcements/${announcementId}`)}
      editHref={(announcementId) => inLanguage(c, `/admin/announcements/${announcementId}/edit`)}
      reuseHref={(announcementId) =>
        inLanguage(c, `/admin/communities/${id}/announcements?from=${announcementId}`)
      }
    />,
    options.status,
  )
}

/**
 * Schedules what the compose form describes, then says so on the list; or, for "Show next
 * dates" or a refusal, shows the form again as it was sent.
 */
announcementsPages.post('/admin/communities/:id/announcements', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'announcements.manage')
  const form = await readForm(c)
  const sent = sentCompose(form)
  const now = new Date()
  const fromId = formText(form, 'from')
  if (formText(form, 'intent') === 'preview') {
    changedNothing(c)
    const shown = withPreview(lang(c), sent, community.timeZone, now)
    const status = Object.keys(shown.form.errors).length > 0 ? 400 : 200
    return announcementsPage(c, id, { sent: shown, status, fromId })
  }
  const refused = (errors: FieldMessages) =>
    announcementsPage(c, id, {
      sent: { ...sent, form: { ...sent.form, errors } },
      status: 400,
      fromId,
    })
  // Used again: its groups are what "as it was" stands for (one of this community's only).
  const from = await usedAgain(c, id, fromId)
  const composed = composedAnnouncement(lang(c), sent, community.timeZone, now, from)
  if ('errors' in composed) return refused(composed.errors)
  try {
    const announcement = await createAnnouncement(c.var.db, id, composed.input, now)
    return c.redirect(
      inLanguage(c, `/admin/communities/${id}/announcements?scheduled=${announcement.id}`),
      303,
    )
  } catch (error) {
    const errors = serviceRefusal(lang(c), error)
    if (errors) return refused(errors)
    throw error
  }
})

/** The announcement a compose form was filled from, if it is one of the community's. */
async function usedAgain(
  c: Context<AppEnv>,
  communityId: string,
  fromId: string | undefined,
): Promise<Announcement | undefined> {
  const id = AnnouncementId.safeParse(fromId).data
  if (!id) return undefined
  const [from] = await announcementQuery(c.var.db, id)
  return from?.communityId === communityId ? from : undefined
}

const ACTIONS = {
  'send-now': (c: Context<AppEnv>, announcement: Announcement) => sendNow(c, announcement),
  cancel: (c: Context<AppEnv>, announcement: Announcement) =>
    cancelAnnouncement(c.var.db, announcement, new Date()),
  resume: (c: Context<AppEnv>, announcement: Announcement) =>
    resumeAnnouncement(c.var.db, announcement, new Date()),
} as const

/** What the list says after each action, at the top of the page it comes back to. */
const DONE_BY_ACTION = { 'send-now': 'sentNow', cancel: 'cancelled', resume: 'resumed' } as const

for (const action of ['send-now', 'cancel', 'resume'] as const) {
  announcementsPages.post(`/admin/announcements/:id/${action}`, async (c) => {
    const announcement = await getAnnouncementOrThrow(
      c.var.db,
      idOrThrow(z.string().regex(idPattern('ann')), c.req.param('id')),
    )
    assertCan(
      c.var.principal,
      'announcements.manage',
      { communityId: announcement.communityId },
      'Announcement',
    )
    const after = await ACTIONS[action](c, announcement)
    answerOf(c, announcement, after)
    const list = inLanguage(c, `/admin/communities/${announcement.communityId}/announcements`)
    // A repeating one's extra run waits for the cron job (see `sendNow`): said, not "now".
    const done =
      action === 'send-now' && after.repeatCron ? 'sentNowRepeating' : DONE_BY_ACTION[action]
    return c.redirect(withNotice(list, done), 303)
  })
}

for (const action of ['resume', 'cancel'] as const) {
  announcementsPages.post(`/admin/announcements/:id/runs/:runId/${action}`, async (c) => {
    const announcement = await getAnnouncementOrThrow(
      c.var.db,
      idOrThrow(z.string().regex(idPattern('ann')), c.req.param('id')),
    )
    assertCan(
      c.var.principal,
      'announcements.manage',
      { communityId: announcement.communityId },
      'Announcement',
    )
    const runId = idOrThrow(z.string().regex(idPattern('dsp')), c.req.param('runId'))
    if (action === 'resume') {
      await resumeRun(
        c.var.db,
        c.env.DELIVERY_QUEUE,
        c.var.config,
        announcement.id,
        runId,
        new Date(),
      )
    } else {
      await stopRun(c.var.db, announcement.id, runId, new Date())
    }
    return c.redirect(`/admin/communities/${announcement.communityId}/announcements`, 303)
  })
}
