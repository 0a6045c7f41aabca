import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError, fieldErrors } from '../../lib/errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import {
  cancelAnnouncement,
  resumeAnnouncement,
  createAnnouncement,
  deliverySummary,
  getAnnouncementOrThrow,
  isStalled,
  isUnfinished,
  listAnnouncements,
  previewRuns,
  receiptRates,
  reportedReceipts,
  sendAnnouncementNow,
  shownStatus,
} from '../../services/announcements'
import { resumeRun, stopRun } from '../../services/dispatch'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import { AnnouncementBodySchema, TimeZoneSchema } from '../../schemas/announcements'
import { communityFor } from '../community-scope'
import { Csrf, words, DiscussionGroupOptions } from '../../views/dashboard'
import { CommunityId, lang, idOrThrow, formText, communityShell } from './page'
import { cronOf, describeRule, formValues, pickerValues, RepeatPicker } from './repeat-rule'
import { formatNumber } from '../../lib/i18n'

/** Announcements: compose, schedule once or on a repeat rule, send now, cancel. */
export const announcementsApp = new Hono<AppEnv>()

const AnnouncementForm = z
  .object({
    body: AnnouncementBodySchema,
    audience: z.string().optional(),
    sendAt: z.string().optional(),
    timezone: TimeZoneSchema.optional(),
    cron: z.string().trim().max(100).optional(),
  })
  .transform((form, ctx) => {
    const timezone = form.timezone || 'Europe/Berlin'
    if (form.cron)
      return {
        body: form.body,
        audience: form.audience,
        repeat: { cron: form.cron, timezone },
        sendAt: null,
      }
    const local = form.sendAt ? new Date(`${form.sendAt}:00Z`) : null
    if (!local || Number.isNaN(local.getTime())) {
      ctx.addIssue({
        code: 'custom',
        message: 'Give a date and time, or a repeat rule',
        path: ['sendAt'],
      })
      return z.NEVER
    }
    // The form's date-time is wall-clock time in the chosen zone; find the UTC instant for it.
    // Twice: the offset at the guessed instant, not at the wall-clock time read as UTC, is the
    // one that holds around a change of clocks.
    const guess = new Date(local.getTime() - zoneOffsetMinutes(timezone, local) * 60_000)
    const sendAt = new Date(local.getTime() - zoneOffsetMinutes(timezone, guess) * 60_000)
    return { body: form.body, audience: form.audience, repeat: null, sendAt }
  })

/** How far a time zone is ahead of UTC at a moment, in minutes. */
function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .formatToParts(at)
    .reduce<Record<string, string>>((all, part) => ({ ...all, [part.type]: part.value }), {})
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
  )
  return Math.round((asUtc - at.getTime()) / 60_000)
}

announcementsApp.get('/admin/communities/:id/announcements', async (c) => {
  const t = words(lang(c))
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'announcements.read', { communityId: id })
  const manage = can(c.var.principal, 'announcements.manage', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  const [groups, page] = await Promise.all([
    listGroups(c.var.db, id, { limit: 100 }),
    listAnnouncements(c.var.db, id, { limit: 100 }),
  ])
  const summaries = await Promise.all(
    page.data.map((announcement) => deliverySummary(c.var.db, announcement.id)),
  )
  const picker = pickerValues((key) =>
    key === 'weekdays' ? c.req.queries('weekdays') : c.req.query(key),
  )
  const cron = cronOf(picker)
  const timezone = TimeZoneSchema.catch('Europe/Berlin').parse(
    c.req.query('timezone') || 'Europe/Berlin',
  )
  let preview: Date[] | string = []
  if (cron) {
    try {
      preview = previewRuns({ cron, timezone }, new Date(), 5)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      preview = t.invalidRule
    }
  }
  const csrf = await csrfTokenFor(c)
  const now = new Date()
  const when = (date: Date | null) =>
    date
      ? new Intl.DateTimeFormat(lang(c) === 'de' ? 'de-DE' : 'en-GB', {
          dateStyle: 'medium',
          timeStyle: 'short',
          timeZone: timezone,
        }).format(date)
      : '–'
  return communityShell(
    c,
    community,
    '/announcements',
    `${community.name}: ${t.announcements}`,
    <>
      {manage && (
        <section>
          <h2>{t.compose}</h2>
          <form method="post" action={`/admin/communities/${id}/announcements`}>
            <Csrf token={csrf} />
            <label for="body">{t.text}</label>
            <textarea id="body" name="body" rows={4} maxlength={4096} required />
            <div class="grid">
              <div>
                <label for="audience">{t.audience}</label>
                <select id="audience" name="audience">
                  <option value="announcement">{t.everyone}</option>
                  <DiscussionGroupOptions groups={groups.data} />
                </select>
              </div>
              <div>
                <label for="sendAt">{t.once}</label>
                <input id="sendAt" name="sendAt" type="datetime-local" />
              </div>
              <div>
                <label for="timezone">{t.timezone}</label>
                <input id="timezone" name="timezone" value={timezone} />
              </div>
            </div>
            <RepeatPicker lang={lang(c)} values={picker} />
            <p>
              <button type="submit">{t.schedule}</button>{' '}
              <button
                type="submit"
                class="secondary"
                formmethod="get"
                formaction={`/admin/communities/${id}/announcements`}
                formnovalidate
              >
                {t.preview}
              </button>
            </p>
            {typeof preview === 'string' ? (
              <p class="err">{preview}</p>
            ) : (
              preview.length > 0 && (
                <div>
                  <b>{t.nextRuns}</b>
                  <ul>
                    {preview.map((run) => (
                      <li>{when(run)}</li>
                    ))}
                  </ul>
                </div>
              )
            )}
          </form>
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
                    <bdi>
                      {announcement.body.length > 80
                        ? `${announcement.body.slice(0, 79)}…`
                        : announcement.body}
                    </bdi>
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
                    {summary.failures.length > 0 && (
                      <ul class="muted small">
                        {summary.failures.map((failure) => (
                          <li>
                            <bdi>{failure.reason ?? '?'}</bdi>: {failure.count}
                          </li>
                        ))}
                      </ul>
                    )}
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
  )
})

announcementsApp.post('/admin/communities/:id/announcements', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'announcements.manage')
  const form = await readForm(c)
  const parsed = AnnouncementForm.safeParse({
    ...Object.fromEntries(
      ['body', 'audience', 'sendAt', 'timezone'].map((key) => [key, formText(form, key)]),
    ),
    cron: cronOf(pickerValues((key) => formValues(form, key))),
  })
  if (!parsed.success) {
    throw new ApiError(
      'validation_failed',
      fieldErrors(parsed.error.issues)
        .map((e) => `${e.path}: ${e.message}`)
        .join('; '),
    )
  }
  const { body, audience, repeat, sendAt } = parsed.data
  if (sendAt && sendAt.getTime() < Date.now() - 60_000)
    throw new ApiError('validation_failed', 'The time is in the past.')
  await createAnnouncement(
    c.var.db,
    id,
    {
      body,
      groupIds:
        audience && audience !== 'announcement'
          ? [idOrThrow(z.string().regex(idPattern('grp')), audience)]
          : null,
      sendAt,
      repeat,
    },
    new Date(),
  )
  return c.redirect(`/admin/communities/${id}/announcements`, 303)
})

const ACTIONS = {
  'send-now': sendAnnouncementNow,
  cancel: cancelAnnouncement,
  resume: resumeAnnouncement,
} as const

for (const action of ['send-now', 'cancel', 'resume'] as const) {
  announcementsApp.post(`/admin/announcements/:id/${action}`, async (c) => {
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
  announcementsApp.post(`/admin/announcements/:id/runs/:runId/${action}`, async (c) => {
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
