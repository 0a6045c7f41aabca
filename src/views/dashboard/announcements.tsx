import type { Announcement, Dispatch, Group } from '../../db/schema'
import {
  ANNOUNCEMENT_EDIT_WORDS,
  ANNOUNCEMENT_RECEIPT_WORDS,
  formatNumber,
  LANGUAGES,
  TRANSLATION_WORDS,
  type Lang,
} from '../../lib/i18n'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { deliveryReasonText } from '../../lib/i18n/delivery-reasons'
import { formatDay, formatMoment } from '../../lib/time'
import type { DeliveryCounts } from '../../services/announcement-deliveries'
import type { Receipts } from '../../services/channels'
import { percent, words } from './shell'
import { ActionButton } from './frame'
import { RefusedSummary } from './refused-summary'
import {
  ComposeForm,
  ScheduledNotice,
  type ComposeBasis,
  type ComposeState,
} from './announcement-form'
import { describeRule } from './repeat-rule'

/** One announcement of the list, with what its runs add up to (worked out by the handler). */
export interface ListedAnnouncement {
  announcement: Announcement
  status: Announcement['status'] | 'sending'
  totals: DeliveryCounts
  /** Which receipts its channel reports, and their shares of what was sent. */
  reported: Receipts
  rates: Record<keyof Receipts, number | null>
  /** The run not finished yet, if any, and whether it stopped moving. */
  open: Dispatch | undefined
  stalled: boolean
  /** When the open run's messages put off to a later attempt are due, if still to come. */
  waitingUntil: Date | null
  /** The next run, or once none is left, the latest one. */
  at: Date | null
  /** Messages posted to Telegram chats: no recipients, so shown beside the count. */
  telegramPosts: number
  /** How many members "Send now" reaches, where the groups' counts tell (`audienceReach`). */
  reach: { count: number; atMost: boolean; chats: number } | null
}

/**
 * A one-off "sent" none of whose messages got through: each failed, was skipped, or was sent and
 * then reported undelivered by the chat app; none may have arrived, none is on its way. Its
 * status alone would read as done.
 */
function noneGotThrough(
  status: ListedAnnouncement['status'],
  totals: DeliveryCounts,
  telegramPosts: number,
): boolean {
  const attempted = totals.sent + totals.failed + totals.skipped + totals.cancelled
  return (
    status === 'sent' &&
    telegramPosts === 0 &&
    attempted > 0 &&
    totals.sent - totals.undelivered + totals.unknown + totals.queued === 0
  )
}

/** What a community's announcements page shows, read and decided by its handler. */
export interface AnnouncementsView {
  lang: Lang
  communityZone: string
  csrf: string
  /** What was just scheduled, from the redirect after the compose form. */
  scheduled: Announcement | null
  /** The compose form, when this admin may schedule (as sent, when shown again). */
  compose: {
    action: string
    groups: Group[]
    sent: ComposeState | undefined
    /** The announcement it was filled from ("Use again"). */
    basis: ComposeBasis | undefined
  } | null
  listed: ListedAnnouncement[]
  /** Whether any figure shown lacks receipts its channel never reports. */
  receiptsUnknown: boolean
  /** Whether this admin may send, cancel and resume. */
  manage: boolean
  /** Whether members are sent announcements on WhatsApp, which needs their number. */
  byWhatsApp: boolean
  /** An announcement's report, in the page's language. */
  reportHref: (announcementId: string) => string
  /** The page that changes an announcement, in the page's language. */
  editHref: (announcementId: string) => string
  /** This page with the compose form filled from an announcement, in the page's language. */
  reuseHref: (announcementId: string) => string
}

/** A community's announcements: what was just scheduled, the compose form, and the list. */
export function AnnouncementsPage(props: AnnouncementsView) {
  const l = props.lang
  const t = words(l)
  const { csrf, manage } = props
  // On the community's clock; named, where the rule beside it keeps another zone's.
  const when = (date: Date | null, ruleZone: string | null) =>
    date
      ? formatMoment(l, date, props.communityZone, {
          zone: ruleZone !== null && ruleZone !== props.communityZone,
        })
      : '–'
  // Whether any row shows a share, which then says what it is a share of.
  const shares = props.listed.some(({ rates }) => rates.delivered !== null || rates.read !== null)
  return (
    <>
      {props.scheduled && (
        <ScheduledNotice
          lang={l}
          announcement={props.scheduled}
          communityZone={props.communityZone}
        />
      )}
      {props.compose && (
        <section>
          <h2>{t.compose}</h2>
          <RefusedSummary lang={l} forms={[{ form: props.compose.sent?.form }]} />
          {props.compose.basis && <p class="muted">{ANNOUNCEMENT_EDIT_WORDS[l].filledFrom}</p>}
          <ComposeForm
            lang={l}
            action={props.compose.action}
            csrf={csrf}
            groups={props.compose.groups}
            communityZone={props.communityZone}
            sent={props.compose.sent}
            basis={props.compose.basis}
          />
        </section>
      )}
      <section>
        <h2>{t.announcements}</h2>
        {props.listed.length === 0 && <p class="muted">{t.noAnnouncements}</p>}
        {props.receiptsUnknown && <p class="muted">{t.receiptsUnknown}</p>}
        {/* Above the list: on a phone its cards run long, and the shares are read in them. */}
        {shares && (
          <p class="muted" id="share-basis">
            {ANNOUNCEMENT_RECEIPT_WORDS[l].shareBasis}
          </p>
        )}
        <table class="cards" aria-describedby={shares ? 'share-basis' : undefined}>
          <thead>
            <tr>
              <th>{t.text}</th>
              <th>{t.status}</th>
              <th class="n">{t.sentCount}</th>
              <th class="n">{t.reached}</th>
              <th class="n">{t.readCount}</th>
              <th class="n">{t.failed}</th>
              <th class="n">{t.unknown}</th>
              <th class="n">{t.skipped}</th>
              <th class="n">{t.queued}</th>
            </tr>
          </thead>
          <tbody>
            {props.listed.map(
              ({
                announcement,
                status,
                totals,
                reported,
                rates,
                open,
                stalled,
                waitingUntil,
                at,
                telegramPosts,
                reach,
              }) => (
                <tr>
                  <td data-label={t.text}>
                    <a href={props.reportHref(announcement.id)}>
                      <bdi>
                        {announcement.body.length > 80
                          ? `${announcement.body.slice(0, 79)}…`
                          : announcement.body}
                      </bdi>
                    </a>
                    <AlsoIn lang={props.lang} announcement={announcement} />
                    <div class="muted">
                      {announcement.repeatCron && (
                        <>
                          <RuleOf lang={l} announcement={announcement} /> ·{' '}
                        </>
                      )}
                      {/* Cancelling clears its due date: when it was cancelled stands there. */}
                      {at === null && announcement.status === 'cancelled'
                        ? ANNOUNCEMENT_EDIT_WORDS[l].cancelledAt(when(announcement.updatedAt, null))
                        : when(at, announcement.repeatCron ? announcement.repeatTimezone : null)}
                    </div>
                    {/* Links, not buttons: they only open a form, and the row stays narrow. */}
                    {manage && (
                      <div class="row-links">
                        {status === 'scheduled' && (
                          <>
                            <a href={props.editHref(announcement.id)}>
                              {ANNOUNCEMENT_EDIT_WORDS[l].edit}
                            </a>
                            {' · '}
                          </>
                        )}
                        <a href={props.reuseHref(announcement.id)}>
                          {ANNOUNCEMENT_EDIT_WORDS[l].useAgain}
                        </a>
                      </div>
                    )}
                  </td>
                  <td data-label={t.status}>
                    {status === 'sending' ? t.sending : t.announcementStatuses[status]}
                    {stalled && <div class="err">{t.stalled}</div>}
                    {waitingUntil && (
                      <div class="muted">
                        {ANNOUNCEMENT_EDIT_WORDS[l].waitingUntil(when(waitingUntil, null))}
                      </div>
                    )}
                    {noneGotThrough(status, totals, telegramPosts) && (
                      <div class="err">{ANNOUNCEMENT_EDIT_WORDS[l].noneGotThrough}</div>
                    )}
                    {announcement.pausedAt && (
                      <div class="err">
                        {t.pausedBroadcast}:{' '}
                        {announcement.pauseReason &&
                          deliveryReasonText(l, announcement.pauseReason)}
                      </div>
                    )}
                    {/* What can be done about it, under the state it is in: no column of its
                        own, so the figures keep to the page in German too. */}
                    <div class="row-actions">
                      {manage && announcement.pausedAt && (
                        <ActionButton
                          action={`/admin/announcements/${announcement.id}/resume`}
                          csrf={csrf}
                          label={t.resume}
                        />
                      )}{' '}
                      {manage && open && (
                        <>
                          {stalled && (
                            <ActionButton
                              action={`/admin/announcements/${announcement.id}/runs/${open.id}/resume`}
                              csrf={csrf}
                              label={t.resumeRun}
                            />
                          )}{' '}
                          <ActionButton
                            action={`/admin/announcements/${announcement.id}/runs/${open.id}/cancel`}
                            csrf={csrf}
                            label={t.cancelRun}
                            kind="danger"
                            confirm={t.confirmCancelRun}
                          />{' '}
                        </>
                      )}
                      {manage && announcement.status === 'scheduled' && (
                        <>
                          <ActionButton
                            action={`/admin/announcements/${announcement.id}/send-now`}
                            csrf={csrf}
                            label={t.sendNow}
                            confirm={`${t.confirmSendNow(
                              reach && {
                                count: formatNumber(l, reach.count),
                                one: reach.count === 1 && !reach.atMost,
                                atMost: reach.atMost,
                                chats: reach.chats,
                              },
                              props.byWhatsApp,
                            )}${
                              // Sent now, a repeating one is still due at its next date.
                              announcement.repeatCron
                                ? ` ${ANNOUNCEMENT_EDIT_WORDS[l].sendNowRepeats}`
                                : ''
                            }`}
                          />{' '}
                          <ActionButton
                            action={`/admin/announcements/${announcement.id}/cancel`}
                            csrf={csrf}
                            label={t.cancel}
                            kind="danger"
                            confirm={t.confirmCancelAnnouncement}
                          />
                        </>
                      )}
                    </div>
                  </td>
                  <td class="n" data-label={t.sentCount}>
                    {formatNumber(l, totals.sent)}
                    {telegramPosts > 0 && (
                      <div class="muted">
                        {telegramDashboardWords(l).postedToChats(formatNumber(l, telegramPosts))}
                      </div>
                    )}
                  </td>
                  <td class="n" data-label={t.reached}>
                    <Receipt lang={l} row={{ reported, totals, rates }} receipt="delivered" />
                  </td>
                  <td class="n" data-label={t.readCount}>
                    <Receipt lang={l} row={{ reported, totals, rates }} receipt="read" />
                  </td>
                  <td class="n" data-label={t.failed}>
                    {formatNumber(l, totals.failed + totals.undelivered)}
                  </td>
                  <td class="n" data-label={t.unknown}>
                    {formatNumber(l, totals.unknown)}
                  </td>
                  {/* Members the sender passed over (no confirmed contact, STOP, left): what
                      Sent leaves out, so a run that reached no one says why at a glance. */}
                  <td class="n" data-label={t.skipped}>
                    {formatNumber(l, totals.skipped)}
                  </td>
                  <td class="n" data-label={t.queued}>
                    {formatNumber(l, totals.queued)}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </section>
    </>
  )
}

/**
 * How many got it (or read it), with its share of what was sent, or that its channel never
 * says so.
 */
function Receipt(props: {
  lang: Lang
  row: Pick<ListedAnnouncement, 'reported' | 'totals' | 'rates'>
  receipt: 'delivered' | 'read'
}) {
  const { lang, row, receipt } = props
  if (!row.reported[receipt]) return <span class="muted">{words(lang).notReported}</span>
  return (
    <>
      {formatNumber(lang, row.totals[receipt])} {shareOfSent(row.rates[receipt], lang)}
    </>
  )
}

/**
 * A share as a whole percentage in brackets, written as the reader's language writes it (`96%`,
 * `96 %`), or nothing before anything was sent.
 */
function shareOfSent(share: number | null, lang: Lang): string {
  return share === null ? '' : `(${percent(Math.round(share * 100) / 100, lang)})`
}

/** A repeating announcement's rule in words, its time zone, and its last day if it has one. */
function RuleOf(props: { lang: Lang; announcement: Announcement }) {
  const { repeatCron, repeatTimezone, repeatUntil } = props.announcement
  const zone = repeatTimezone ?? 'UTC'
  const last = repeatUntil
    ? `, ${ANNOUNCEMENT_EDIT_WORDS[props.lang].repeatsUntil(formatDay(props.lang, repeatUntil, zone))}`
    : ''
  return <>{`${describeRule(props.lang, repeatCron ?? '')} (${zone}${last})`}</>
}

/** The languages an announcement has a text of its own in, besides its body. */
function AlsoIn(props: { lang: Lang; announcement: Announcement }) {
  const w = TRANSLATION_WORDS[props.lang]
  const languages = LANGUAGES.filter((language) => props.announcement.translations?.[language])
  if (languages.length === 0) return null
  return (
    <div class="muted">
      {w.alsoIn} {languages.map((language) => w.names[language]).join(', ')}
    </div>
  )
}
