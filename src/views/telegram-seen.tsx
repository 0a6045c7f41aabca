import { formatNumber, type Lang } from '../lib/i18n'
import { dimensionsText, telegramWords } from '../lib/i18n/dashboard-telegram'
import type { TelegramInviteLink } from '../db/schema'
import type { VisitDimension } from '../services/stats-breakdowns'
import type { VerifiedFigures } from '../services/stats-verified'
import { retentionText } from './retention'

/**
 * What Telegram itself saw through the links, apart from the funnel (which on WhatsApp is what
 * our own forms saw): verified joins and leaves, and retention after 7 and 30 days from
 * verified membership, each labelled as seen by Telegram. `notFilteredBy`: the page's filters
 * on a visit's own dimensions, which these figures do not take (said above them).
 */
export function TelegramSeen(props: {
  lang: Lang
  figures: VerifiedFigures
  notFilteredBy?: readonly VisitDimension[]
}) {
  const t = telegramWords(props.lang)
  const f = props.figures
  const n = (value: number) => formatNumber(props.lang, value)
  const apart = props.notFilteredBy ?? []
  return (
    <div class="telegram-seen">
      <h2>{t.seenByTelegram}</h2>
      <p class="muted">{t.seenNote}</p>
      {apart.length > 0 && (
        <p>
          <b>{t.seenNotFilteredNote(dimensionsText(props.lang, apart))}</b>
        </p>
      )}
      <table>
        <tbody>
          <tr>
            <th scope="row">{t.joinedSeen}</th>
            <td class="n">{n(f.joins)}</td>
          </tr>
          <tr>
            <th scope="row">{t.leftSeen}</th>
            <td class="n">{n(f.leaves)}</td>
          </tr>
          <tr>
            <th scope="row">{t.stayed7Seen}</th>
            <td class="n">{retentionText(props.lang, f, 7)}</td>
          </tr>
          <tr>
            <th scope="row">{t.stayed30Seen}</th>
            <td class="n">{retentionText(props.lang, f, 30)}</td>
          </tr>
        </tbody>
      </table>
    </div>
  )
}

/**
 * A link's Telegram link on its dashboard page: the `t.me` link once made, "pending" until then,
 * or, when Telegram kept refusing it, what it said and what fixes it.
 */
export function TelegramLinkLine(props: {
  lang: Lang
  link: TelegramInviteLink
  /** Where the link opens for people, when not at Telegram itself. */
  opens: string | null
}) {
  const t = telegramWords(props.lang)
  const { link } = props
  return (
    <p class="telegram-link">
      {t.telegramLink}:{' '}
      {link.url ? (
        <a href={props.opens ?? link.url} class="code">
          {link.url}
        </a>
      ) : link.failedAt ? (
        <>
          <b>{t.linkFailed}</b>
          {link.lastError && (
            <span class="muted">
              {' '}
              (<bdi>{link.lastError}</bdi>)
            </span>
          )}
        </>
      ) : (
        <span class="muted">{t.linkPending}</span>
      )}
    </p>
  )
}

/**
 * Beside a figure of joins that Telegram counted: "✓ Telegram" where it counted all of them,
 * "of which n ✓ Telegram" where only some (the rest our form's), in brackets inside a sentence.
 * The one mark of verified joins, wherever a figure carries it.
 */
export function VerifiedMark(props: {
  lang: Lang
  /** Whether Telegram counted all of the figure's joins. */
  all: boolean
  /** Of the figure's joins, those Telegram verified (said where it counted only some). */
  verified: number
  bracketed?: boolean
}) {
  const tg = telegramWords(props.lang)
  const mark = props.all
    ? tg.verifiedTag
    : tg.ofWhichVerified(formatNumber(props.lang, props.verified))
  return (
    <small class="muted" title={tg.verifiedTagTitle}>
      {props.bracketed ? `(${mark})` : mark}
    </small>
  )
}
