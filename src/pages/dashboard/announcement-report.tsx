import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { formatNumber } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { deliverySummary } from '../../services/announcement-deliveries'
import {
  exportRecipientsCsv,
  listRecipients,
  recipientCounts,
  RECIPIENT_STATUSES,
  type RecipientStatus,
} from '../../services/announcement-recipients'
import { getAnnouncementOrThrow } from '../../services/announcements'
import { getCommunityOrThrow } from '../../services/communities'
import { resendFailed } from '../../services/delivery/resend'
import { Csrf, words } from '../../views/dashboard'
import { TelegramPostsSection } from './telegram-posts'
import { idOrThrow, inLanguage, lang, NextPage, shell, withNotice } from './page'

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
  assertCan(c.var.principal, `announcements.${action}`, { communityId: announcement.communityId })
  return announcement
}

announcementReportPages.get('/admin/announcements/:id', async (c) => {
  const announcement = await announcementFor(c, 'read')
  const t = words(lang(c))
  const l = lang(c)
  const query = RecipientQuery.parse(c.req.query())
  const [community, summary, page] = await Promise.all([
    getCommunityOrThrow(c.var.db, announcement.communityId),
    deliverySummary(c.var.db, announcement.id),
    listRecipients(c.var.db, announcement.id, {
      status: query.status,
      cursor: query.cursor,
      limit: RECIPIENTS_PER_PAGE,
    }),
  ])
  const counts = recipientCounts(summary.totals)
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0)
  const base = `/admin/announcements/${announcement.id}`
  const filterHref = (status?: RecipientStatus) =>
    inLanguage(c, status ? `${base}?status=${status}` : base)
  const canResend =
    can(c.var.principal, 'announcements.manage', { communityId: community.id }) &&
    c.var.config.DELIVERY_CHANNEL === 'whatsapp' &&
    summary.runs.some((run) => run.channel === 'whatsapp') &&
    counts.failed > 0
  const title = `${t.recipientReport}: ${community.name}`
  return shell(
    c,
    title,
    <>
      <p>
        <a href={inLanguage(c, `/admin/communities/${community.id}/announcements`)}>
          ← <bdi>{community.name}</bdi>: {t.announcements}
        </a>
      </p>
      <h1>{t.recipientReport}</h1>
      <blockquote>
        <bdi>{announcement.body}</bdi>
      </blockquote>
      {await TelegramPostsSection({
        c,
        announcementId: announcement.id,
        timeZone: community.timeZone,
      })}
      <section>
        <h2>{t.filterRecipients}</h2>
        <nav class="periods" aria-label={t.filterRecipients}>
          <a href={filterHref()} aria-current={query.status ? undefined : 'page'}>
            {t.allRecipients} ({formatNumber(l, total)})
          </a>
          {RECIPIENT_STATUSES.filter((status) => counts[status] > 0 || status === query.status).map(
            (status) => (
              <a
                href={filterHref(status)}
                aria-current={query.status === status ? 'page' : undefined}
              >
                {t.recipientStatuses[status]} ({formatNumber(l, counts[status])})
              </a>
            ),
          )}
        </nav>
        <p>
          <a
            href={inLanguage(
              c,
              `${base}/recipients.csv${query.status ? `?status=${query.status}` : ''}`,
            )}
          >
            {t.recipientsCsv}
          </a>
        </p>
      </section>
      {summary.failures.length > 0 && (
        <section>
          <h2>{t.failureReasons}</h2>
          <ul>
            {summary.failures.map((failure) => (
              <li>
                <bdi>{failure.reason ?? '?'}</bdi>: {formatNumber(l, failure.count)}
              </li>
            ))}
          </ul>
          {canResend && (
            <form method="post" action={inLanguage(c, `${base}/resend-failed`)}>
              <Csrf token={await csrfTokenFor(c)} />
              <p class="muted" id="resend-hint">
                {t.resendHint}
              </p>
              <button type="submit" aria-describedby="resend-hint">
                {t.resendFailed}
              </button>
            </form>
          )}
        </section>
      )}
      <section>
        <h2>
          {t.recipients}
          {query.status ? `: ${t.recipientStatuses[query.status]}` : ''}
        </h2>
        {page.data.length === 0 ? (
          <p class="muted">{t.noRecipients}</p>
        ) : (
          <table class="cards">
            <thead>
              <tr>
                <th>{t.name}</th>
                <th>{t.status}</th>
                <th>{t.failureReason}</th>
                <th>{t.run}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((row) => (
                <tr>
                  <td data-label={t.name}>
                    {row.name === null ? (
                      <span class="muted">{t.deletedMember}</span>
                    ) : (
                      <bdi>{row.name}</bdi>
                    )}
                  </td>
                  <td data-label={t.status}>{t.recipientStatuses[row.status]}</td>
                  <td data-label={t.failureReason}>
                    <bdi>{row.reason ?? '–'}</bdi>
                  </td>
                  <td data-label={t.run}>{formatMoment(l, row.runAt, community.timeZone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <NextPage cursor={page.nextCursor} c={c} />
      </section>
    </>,
    community.id,
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
