import {
  ANNOUNCEMENT_RECEIPT_WORDS,
  ANNOUNCEMENT_REPORT_WORDS,
  formatNumber,
  LANGUAGES,
  TRANSLATION_WORDS,
  type Lang,
} from '../../lib/i18n'
import type { Translations } from '../../db/schema'
import { deliveryReasonText } from '../../lib/i18n/delivery-reasons'
import { formatMoment } from '../../lib/time'
import {
  RECIPIENT_STATUSES,
  type Recipient,
  type RecipientStatus,
} from '../../services/announcement-recipients'
import { Csrf, words } from './shell'
import { NextPageLink } from './frame'
import { TelegramPostsSection } from './telegram-posts'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import type { TelegramPostRow } from '../../services/delivery/telegram-posts'
import type { StepTimes } from '../../services/delivery/step-times'

/** What an announcement's report shows, read and decided by its handler. */
export interface ReportView {
  lang: Lang
  community: { id: string; name: string; timeZone: string }
  body: string
  /** Its texts in other languages, for the members who signed up in them. */
  translations: Translations | null
  /** Its posts to Telegram chats, shown apart from the recipients. */
  telegramPosts: TelegramPostRow[]
  /** The status the list is filtered by, if any. */
  status: RecipientStatus | undefined
  counts: Record<RecipientStatus, number>
  failures: Array<{ reason: string | null; count: number }>
  recipients: Recipient[]
  nextHref: string | undefined
  /** The form that sends the failed ones again, when this admin may and the channel can. */
  resend: { action: string; csrf: string } | null
  /** A path of the report's, in the page's language. */
  href: (path: string) => string
  /** The report's own path. */
  base: string
}

/** An announcement's report per recipient: who got it, who read it, who did not and why. */
export function ReportPage(props: ReportView) {
  const l = props.lang
  const t = words(l)
  const { community, counts, status, base, href } = props
  const r = ANNOUNCEMENT_REPORT_WORDS[l]
  const when = ANNOUNCEMENT_RECEIPT_WORDS[l].when
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0)
  // Each recipient is counted once, by how far their message got; the list counts each step
  // reached, so these two steps are named as not having got further.
  const nowStatus = (shown: RecipientStatus) =>
    shown === 'sent'
      ? r.onlySent
      : shown === 'delivered'
        ? r.deliveredNotRead
        : t.recipientStatuses[shown]
  // Sent at least: as the announcements list counts "sent".
  const reached = counts.sent + counts.delivered + counts.read
  const filterHref = (shown?: RecipientStatus) => href(shown ? `${base}?status=${shown}` : base)
  return (
    <>
      <p>
        <a href={href(`/admin/communities/${community.id}/announcements`)}>
          ← <bdi>{community.name}</bdi>: {t.announcements}
        </a>
      </p>
      <h1>{t.recipientReport}</h1>
      <blockquote>
        <bdi>{props.body}</bdi>
      </blockquote>
      {LANGUAGES.map(
        (language) =>
          props.translations?.[language] && (
            <>
              <p class="muted">{TRANSLATION_WORDS[l].textIn[language]}</p>
              <blockquote lang={language}>
                <bdi>{props.translations[language]}</bdi>
              </blockquote>
            </>
          ),
      )}
      <TelegramPostsSection
        lang={props.lang}
        posts={props.telegramPosts}
        timeZone={props.community.timeZone}
      />
      <section>
        <h2>{t.filterRecipients}</h2>
        <nav class="periods" aria-label={t.filterRecipients}>
          <a href={filterHref()} aria-current={status ? undefined : 'page'}>
            {t.allRecipients} ({formatNumber(l, total)})
          </a>
          {RECIPIENT_STATUSES.filter((shown) => counts[shown] > 0 || shown === status).map(
            (shown) => (
              <a href={filterHref(shown)} aria-current={status === shown ? 'page' : undefined}>
                {nowStatus(shown)} ({formatNumber(l, counts[shown])})
              </a>
            ),
          )}
        </nav>
        {reached > 0 && (
          <>
            <p>
              {r.reached(
                formatNumber(l, reached),
                formatNumber(l, counts.delivered + counts.read),
                formatNumber(l, counts.read),
              )}
            </p>
            <p class="muted">{r.filterHint}</p>
          </>
        )}
        <p>
          <a href={href(`${base}/recipients.csv${status ? `?status=${status}` : ''}`)}>
            {t.recipientsCsv}
          </a>
        </p>
      </section>
      {props.failures.length > 0 && (
        <section>
          <h2>{t.failureReasons}</h2>
          <ul>
            {props.failures.map((failure) => (
              <li>
                {failure.reason === null ? '?' : deliveryReasonText(l, failure.reason)}:{' '}
                {formatNumber(l, failure.count)}
              </li>
            ))}
          </ul>
          {props.resend && (
            <form method="post" action={props.resend.action}>
              <Csrf token={props.resend.csrf} />
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
          {status ? `: ${t.recipientStatuses[status]}` : ''}
        </h2>
        {props.recipients.length > 0 && (
          <p class="muted">{ANNOUNCEMENT_RECEIPT_WORDS[l].stepsHint}</p>
        )}
        {props.recipients.length === 0 ? (
          <p class="muted">
            {status
              ? t.noRecipients
              : props.telegramPosts.length > 0
                ? telegramDashboardWords(l).onlyPosted
                : t.noRecipientsYet}
          </p>
        ) : (
          <table class="cards">
            <thead>
              <tr>
                <th>{t.name}</th>
                <th>{t.status}</th>
                <th>{when}</th>
                <th>{t.failureReason}</th>
                <th>{t.run}</th>
              </tr>
            </thead>
            <tbody>
              {props.recipients.map((row) => (
                <tr>
                  <td data-label={t.name}>
                    {row.name === null ? (
                      <span class="muted">{t.deletedMember}</span>
                    ) : (
                      <bdi>{row.name}</bdi>
                    )}
                  </td>
                  <td data-label={t.status}>{t.recipientStatuses[row.status]}</td>
                  <td data-label={when}>
                    <StepTimesOf lang={l} row={row} timeZone={community.timeZone} />
                  </td>
                  <td data-label={t.failureReason}>
                    {row.reason === null ? '–' : deliveryReasonText(l, row.reason)}
                  </td>
                  <td data-label={t.run}>{formatMoment(l, row.runAt, community.timeZone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <NextPageLink lang={l} href={props.nextHref} />
      </section>
    </>
  )
}

const STEPS = ['sentAt', 'deliveredAt', 'readAt', 'failedAt'] as const

/** When a recipient's message was sent, delivered, read or failed: each step with a time. */
function StepTimesOf(props: { lang: Lang; row: StepTimes; timeZone: string }) {
  const w = ANNOUNCEMENT_RECEIPT_WORDS[props.lang].steps
  const label = { sentAt: w.sent, deliveredAt: w.delivered, readAt: w.read, failedAt: w.failed }
  const known = STEPS.flatMap((step) => {
    const at = props.row[step]
    return at ? [{ step, at }] : []
  })
  if (known.length === 0) return <>–</>
  return (
    <>
      {known.map(({ step, at }) => (
        <div>
          {label[step]}:{' '}
          <time datetime={at.toISOString()}>{formatMoment(props.lang, at, props.timeZone)}</time>
        </div>
      ))}
    </>
  )
}
