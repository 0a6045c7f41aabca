import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { sentTelegramPostCounts } from '../../services/delivery/telegram-posts'
import type { FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import {
  cancelAnnouncement,
  resumeAnnouncement,
  createAnnouncement,
  getAnnouncementOrThrow,
  isStalled,
  isUnfinished,
  listAnnouncements,
  sendAnnouncementNow,
  shownStatus,
} from '../../services/announcements'
import {
  deliverySummaries,
  noDeliveries,
  noReceipts,
  receiptRates,
  reportedReceipts,
} from '../../services/announcement-deliveries'
import { resumeRun, stopRun } from '../../services/delivery/runs'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import { communityFor } from '../../api/community-scope'
import { Csrf, words } from '../../views/dashboard'
import { CommunityId, lang, idOrThrow, formText, communityShell, inLanguage } from './page'
import { describeRule } from './repeat-rule'
import {
  ComposeForm,
  composedAnnouncement,
  ScheduledNotice,
  sentCompose,
  serviceRefusal,
  withPreview,
  type ComposeState,
} from './announcement-form'
import { formatNumber } from '../../lib/i18n'

const AnnouncementId = z.string().regex(idPattern('ann'))

/** Announcements: compose, schedule once or on a repeat rule, send now, cancel. */
export const announcementsPages = new Hono<AppEnv>()

announcementsPages.get('/admin/communities/:id/announcements', (c) =>
  announcementsPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/**
 * A community's announcements: the compose form, empty or as it was sent (refused, or asked
 * for its next dates) with `sent`, what was just scheduled, and the list.
 */
async function announcementsPage(
  c: Context<AppEnv>,
  id: string,
  sent?: ComposeState,
  status?: 200 | 400,
) {
  const t = words(lang(c))
  assertCan(c.var.principal, 'announcements.read', { communityId: id })
  const manage = can(c.var.principal, 'announcements.manage', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  const [groups, page] = await Promise.all([
    listGroups(c.var.db, id, { limit: 100 }),
    listAnnouncements(c.var.db, id, { limit: 100 }),
  ])
  // One query for the whole page, however many announcements and runs it shows.
  const listed = await deliverySummaries(
    c.var.db,
    page.data.map((announcement) => announcement.id),
  )
  // Posts to Telegram chats are no recipients: shown beside the count, not in it.
  const posted = telegramConfig(c.var.config)
    ? await sentTelegramPostCounts(
        c.var.db,
        page.data.map((announcement) => announcement.id),
      )
    : new Map<string, number>()
  const summaries = page.data.map(
    (announcement) =>
      listed.get(announcement.id) ?? { totals: noDeliveries(), receipts: noReceipts(), runs: [] },
  )
  // Only an id from the redirect's query: the notice's words come from the stored announcement.
  const scheduledId = AnnouncementId.safeParse(c.req.query('scheduled')).data
  const scheduled = scheduledId
    ? await getAnnouncementOrThrow(c.var.db, scheduledId).catch(() => null)
    : null
  const csrf = await csrfTokenFor(c)
  const now = new Date()
  const when = (date: Date | null) => (date ? formatMoment(lang(c), date, community.timeZone) : '–')
  return communityShell(
    c,
    community,
    '/announcements',
    `${community.name}: ${t.announcements}`,
    <>
      {scheduled?.communityId === id && (
        <ScheduledNotice
          lang={lang(c)}
          announcement={scheduled}
          communityZone={community.timeZone}
        />
      )}
      {manage && (
        <section>
          <h2>{t.compose}</h2>
          <ComposeForm
            lang={lang(c)}
            action={inLanguage(c, `/admin/communities/${id}/announcements`)}
            csrf={csrf}
            groups={groups.data}
            communityZone={community.timeZone}
            sent={sent}
          />
        </section>
      )}
      <section>
        <h2>{t.announcements}</h2>
        {page.data.length === 0 && <p class="muted">{t.noAnnouncements}</p>}
        {summaries.some(
          (summary) => !reportedReceipts(summary.receipts, c.var.config.DELIVERY_CHANNEL).delivered,
        ) && <p class="muted">{t.receiptsUnknown}</p>}
        <table class="cards">
          <thead>
            <tr>
              <th>{t.text}</th>
              <th>{t.status}</th>
              <th class="n">{t.sentCount}</th>
              <th class="n">{t.reached}</th>
              <th class="n">{t.readCount}</th>
              <th class="n">{t.failed}</th>
              <th class="n">{t.unknown}</th>
              <th class="n">{t.queued}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.data.map((announcement, i) => {
              const summary = summaries[i]!
              const runs = summary.runs
              const status = shownStatus(announcement, runs)
              const reported = reportedReceipts(summary.receipts, c.var.config.DELIVERY_CHANNEL)
              const rates = receiptRates(summary.totals, summary.receipts)
              const open = runs.find(isUnfinished)
              const stalled = open && isStalled(open, now)
              return (
                <tr>
                  <td data-label={t.text}>
                    <a href={inLanguage(c, `/admin/announcements/${announcement.id}`)}>
                      <bdi>
                        {announcement.body.length > 80
                          ? `${announcement.body.slice(0, 79)}…`
                          : announcement.body}
                      </bdi>
                    </a>
                    <div class="muted">
                      {announcement.repeatCron
                        ? `${describeRule(lang(c), announcement.repeatCron)} (${announcement.repeatTimezone})`
                        : ''}{' '}
                      {/* The next run, or once none is left, the latest one. */}
                      {when(announcement.sendAt ?? runs[0]?.scheduledFor ?? null)}
                    </div>
                  </td>
                  <td data-label={t.status}>
                    {status === 'sending' ? t.sending : t.announcementStatuses[status]}
                    {stalled && <div class="err">{t.stalled}</div>}
                    {announcement.pausedAt && (
                      <div class="err">
                        {t.pausedBroadcast}: <bdi>{announcement.pauseReason}</bdi>
                      </div>
                    )}
                  </td>
                  <td class="n" data-label={t.sentCount}>
                    {formatNumber(lang(c), summary.totals.sent)}
                    {posted.has(announcement.id) && (
                      <div class="muted">
                        {telegramDashboardWords(lang(c)).postedToChats(
                          formatNumber(lang(c), posted.get(announcement.id)!),
                        )}
                      </div>
                    )}
                  </td>
                  <td class="n" data-label={t.reached}>
                    {reported.delivered ? (
                      <>
                        {formatNumber(lang(c), summary.totals.delivered)} {percent(rates.delivered)}
                      </>
                    ) : (
                      <span class="muted">{t.notReported}</span>
                    )}
                  </td>
                  <td class="n" data-label={t.readCount}>
                    {reported.read ? (
                      <>
                        {formatNumber(lang(c), summary.totals.read)} {percent(rates.read)}
                      </>
                    ) : (
                      <span class="muted">{t.notReported}</span>
                    )}
                  </td>
                  <td class="n" data-label={t.failed}>
                    {formatNumber(lang(c), summary.totals.failed + summary.totals.undelivered)}
                  </td>
                  <td class="n" data-label={t.unknown}>
                    {formatNumber(lang(c), summary.totals.unknown)}
                  </td>
                  <td class="n" data-label={t.queued}>
                    {formatNumber(lang(c), summary.totals.queued)}
                  </td>
                  <td data-label="" class="actions">
                    {manage && announcement.pausedAt && (
                      <form
                        method="post"
                        action={`/admin/announcements/${announcement.id}/resume`}
                        class="inline"
                      >
                        <Csrf token={csrf} />
                        <button type="submit">{t.resume}</button>
                      </form>
                    )}{' '}
                    {manage && open && (
                      <>
                        {stalled && (
                          <form
                            method="post"
                            action={`/admin/announcements/${announcement.id}/runs/${open.id}/resume`}
                            class="inline"
                          >
                            <Csrf token={csrf} />
                            <button type="submit">{t.resumeRun}</button>
                          </form>
                        )}{' '}
                        <form
                          method="post"
                          action={`/admin/announcements/${announcement.id}/runs/${open.id}/cancel`}
                          class="inline"
                          data-confirm={t.confirmCancelRun}
                        >
                          <Csrf token={csrf} />
                          <button type="submit" class="danger">
                            {t.cancelRun}
                          </button>
                        </form>{' '}
                      </>
                    )}
                    {manage && announcement.status === 'scheduled' && (
                      <>
                        <form
                          method="post"
                          action={`/admin/announcements/${announcement.id}/send-now`}
                          class="inline"
                        >
                          <Csrf token={csrf} />
                          <button type="submit">{t.sendNow}</button>
                        </form>{' '}
                        <form
                          method="post"
                          action={`/admin/announcements/${announcement.id}/cancel`}
                          class="inline"
                        >
                          <Csrf token={csrf} />
                          <button type="submit" class="danger">
                            {t.cancel}
                          </button>
                        </form>
                      </>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
    </>,
    status,
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
  if (formText(form, 'intent') === 'preview') {
    const shown = withPreview(lang(c), sent, community.timeZone, now)
    return announcementsPage(c, id, shown, Object.keys(shown.form.errors).length > 0 ? 400 : 200)
  }
  const refused = (errors: FieldMessages) =>
    announcementsPage(c, id, { ...sent, form: { ...sent.form, errors } }, 400)
  const composed = composedAnnouncement(lang(c), sent, community.timeZone, now)
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

const ACTIONS = {
  'send-now': sendAnnouncementNow,
  cancel: cancelAnnouncement,
  resume: resumeAnnouncement,
} as const

for (const action of ['send-now', 'cancel', 'resume'] as const) {
  announcementsPages.post(`/admin/announcements/:id/${action}`, async (c) => {
    const announcement = await getAnnouncementOrThrow(
      c.var.db,
      idOrThrow(z.string().regex(idPattern('ann')), c.req.param('id')),
    )
    assertCan(c.var.principal, 'announcements.manage', { communityId: announcement.communityId })
    await ACTIONS[action](c.var.db, announcement, new Date())
    return c.redirect(`/admin/communities/${announcement.communityId}/announcements`, 303)
  })
}

for (const action of ['resume', 'cancel'] as const) {
  announcementsPages.post(`/admin/announcements/:id/runs/:runId/${action}`, async (c) => {
    const announcement = await getAnnouncementOrThrow(
      c.var.db,
      idOrThrow(z.string().regex(idPattern('ann')), c.req.param('id')),
    )
    assertCan(c.var.principal, 'announcements.manage', { communityId: announcement.communityId })
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

/** A share as a whole percentage in brackets, or nothing before anything was sent. */
function percent(share: number | null): string {
  return share === null ? '' : `(${Math.round(share * 100)} %)`
}
