import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { notFound } from '../../lib/errors'
import { deliverySummaryOf, deliverySummaryQueries } from '../../services/announcement-deliveries'
import {
  exportRecipientsCsv,
  listRecipientsQuery,
  recipientCounts,
  recipientsPageOf,
  RECIPIENT_STATUSES,
} from '../../services/announcement-recipients'
import {
  announcementQuery,
  communityOfAnnouncement,
  getAnnouncementOrThrow,
} from '../../services/announcements'
import { communityOf, communityQuery } from '../../services/communities'
import { resendFailed } from '../../services/delivery/resend'
import { telegramPostsOf } from '../../services/delivery/telegram-posts'
import { telegramConfig } from '../../lib/config'
import { words } from '../../views/dashboard/shell'
import { ReportPage } from '../../views/dashboard/announcement-report'
import { idOrThrow, inLanguage, lang, nextPageHref, shell, withNotice } from './page'

/** An announcement's report per recipient: who got it, who read it, who did not and why. */
export const announcementReportPages = new Hono<AppEnv>()

const AnnouncementId = z.string().regex(idPattern('ann'))
const RECIPIENTS_PER_PAGE = 50
const RecipientQuery = z.object({
  status: z.enum(RECIPIENT_STATUSES).optional().catch(undefined),
  cursor: z
    .string()
    .regex(/^dsp_[0-9a-z]{10,40}~mem_[0-9a-z]{10,40}$/)
    .optional()
    .catch(undefined),
})

async function announcementFor(c: Context<AppEnv>, action: 'read' | 'manage') {
  const announcement = await getAnnouncementOrThrow(
    c.var.db,
    idOrThrow(AnnouncementId, c.req.param('id')),
  )
  assertCan(
    c.var.principal,
    `announcements.${action}`,
    { communityId: announcement.communityId },
    'Announcement',
  )
  return announcement
}

announcementReportPages.get('/admin/announcements/:id', async (c) => {
  const id = idOrThrow(AnnouncementId, c.req.param('id'))
  const query = RecipientQuery.parse(c.req.query())
  // The page's reads in one round trip, its community's by the announcement's id; access is
  // decided from what it read, before anything is shown.
  const db = c.var.db
  const communityId = communityOfAnnouncement(id)
  const [announcementRows, communityRows, ...rest] = await db.batch([
    announcementQuery(db, id),
    communityQuery(db, communityId),
    ...deliverySummaryQueries(db, id),
    listRecipientsQuery(db, id, {
      status: query.status,
      cursor: query.cursor,
      limit: RECIPIENTS_PER_PAGE,
    }),
  ])
  const [runRows, failureRows, recipientRows] = rest
  const announcement = announcementRows[0]
  if (!announcement) throw notFound('Announcement')
  assertCan(
    c.var.principal,
    'announcements.read',
    { communityId: announcement.communityId },
    'Announcement',
  )
  const community = communityOf(communityRows)
  const summary = deliverySummaryOf([runRows, failureRows])
  const page = recipientsPageOf(recipientRows, RECIPIENTS_PER_PAGE)
  // An announcement's posts to Telegram chats (one read more, only where Telegram is configured).
  const telegramPosts = telegramConfig(c.var.config)
    ? await telegramPostsOf(db, announcement.id)
    : []
  const counts = recipientCounts(summary.totals)
  const base = `/admin/announcements/${announcement.id}`
  const canResend =
    can(c.var.principal, 'announcements.manage', { communityId: community.id }) &&
    c.var.config.DELIVERY_CHANNEL === 'whatsapp' &&
    summary.runs.some((run) => run.channel === 'whatsapp') &&
    counts.failed > 0
  return shell(
    c,
    `${words(lang(c)).recipientReport}: ${community.name}`,
    <ReportPage
      lang={lang(c)}
      community={community}
      body={announcement.body}
      translations={announcement.translations}
      telegramPosts={telegramPosts}
      status={query.status}
      counts={counts}
      failures={summary.failures}
      recipients={page.data}
      nextHref={nextPageHref(c, page.nextCursor)}
      resend={
        canResend
          ? { action: inLanguage(c, `${base}/resend-failed`), csrf: await csrfTokenFor(c) }
          : null
      }
      href={(path) => inLanguage(c, path)}
      base={base}
    />,
  )
})

announcementReportPages.get('/admin/announcements/:id/recipients.csv', async (c) => {
  const announcement = await announcementFor(c, 'read')
  const { status } = RecipientQuery.parse(c.req.query())
  const name = `announcement-${announcement.id}-recipients${status ? `-${status}` : ''}.csv`
  return c.body(exportRecipientsCsv(c.var.db, announcement.id, status), 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'private, no-store',
  })
})

announcementReportPages.post('/admin/announcements/:id/resend-failed', async (c) => {
  const announcement = await announcementFor(c, 'manage')
  await resendFailed(
    c.var.db,
    c.env.DELIVERY_QUEUE,
    c.var.config.DELIVERY_CHANNEL,
    announcement,
    new Date(),
  )
  return c.redirect(
    inLanguage(c, withNotice(`/admin/announcements/${announcement.id}`, 'resent')),
    303,
  )
})
