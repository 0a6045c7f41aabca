import type { TelegramJoinRequest } from '../../db/schema'
import { formatNumber, LOCALES, type Lang } from '../../lib/i18n'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { formatMoment } from '../../lib/time'
import { personName } from '../../platforms/telegram/updates'
import { Csrf } from './shell'
import { BulkDecisionBar, DecisionTable, type DecisionWords } from './decision-table'

// Requests to join a community's Telegram chats, in the approval queue beside the web's: marked
// as from Telegram, with what Telegram tells of the person, decided one by one or in bulk.

/** What the last Telegram decision did, from the redirect's query. */
export type TelegramOutcome =
  | { unavailable: true }
  | { approved: number; declined: number; gone: number; open: number; full: number }
  | null

function DecisionNotice(props: { lang: Lang; outcome: TelegramOutcome }) {
  const t = telegramDashboardWords(props.lang)
  const { outcome } = props
  if (!outcome) return null
  if ('unavailable' in outcome) {
    return (
      <p class="warn" role="status">
        {t.telegramUnavailable}
      </p>
    )
  }
  // Someone not let in, or left waiting, is worth a second look; all decided is a success.
  return (
    <p class={outcome.full > 0 || outcome.open > 0 ? 'warn' : 'ok'} role="status">
      {t.decidedNotice(
        outcome.approved,
        outcome.declined,
        outcome.gone,
        outcome.open,
        outcome.full,
      )}
    </p>
  )
}

/** Telegram's words for the two decisions. */
const decisionWords = (t: ReturnType<typeof telegramDashboardWords>): DecisionWords => ({
  select: t.select,
  selectAll: t.selectAll,
  approve: t.approve,
  refuse: t.decline,
  approveSelected: t.approveSelected,
  refuseSelected: t.declineSelected,
})

function RequestsTable(props: {
  lang: Lang
  requests: TelegramJoinRequest[]
  decide: boolean
  timeZone: string
}) {
  const l = props.lang
  const t = telegramDashboardWords(l)
  return (
    <DecisionTable
      words={decisionWords(t)}
      refusal="decline"
      decide={props.decide}
      columns={[t.name, t.username, t.language, t.bio, t.requestedAt]}
      rows={props.requests.map((request) => {
        const name = personName({ ...request, id: request.userId })
        return {
          id: request.id,
          name,
          cells: [
            <>
              <bdi>{name}</bdi>
              <div class="muted">{t.fromTelegram}</div>
            </>,
            request.username ? <bdi>@{request.username}</bdi> : '–',
            request.languageCode ? <bdi>{languageName(l, request.languageCode)}</bdi> : '–',
            request.bio ? <bdi>{request.bio}</bdi> : '–',
            formatMoment(l, request.requestedAt, props.timeZone),
          ],
        }
      })}
    />
  )
}

/** A community's Telegram requests: in a form with the rows' own buttons and one for the checked. */
function TelegramRequests(props: {
  lang: Lang
  csrf: string
  href: (path: string) => string
  communityId: string
  back: 'community' | 'overview'
  requests: TelegramJoinRequest[]
  decide: boolean
  timeZone: string
}) {
  const t = telegramDashboardWords(props.lang)
  const table = (
    <RequestsTable
      lang={props.lang}
      requests={props.requests}
      decide={props.decide}
      timeZone={props.timeZone}
    />
  )
  if (!props.decide) return table
  return (
    <form
      method="post"
      action={props.href(
        `/admin/communities/${props.communityId}/telegram-approvals?back=${props.back}`,
      )}
    >
      <Csrf token={props.csrf} />
      {table}
      <BulkDecisionBar words={decisionWords(t)} refusal="decline" />
    </form>
  )
}

/** A community's Telegram requests, for its approvals page. */
export interface TelegramRequestsView {
  lang: Lang
  csrf: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  outcome: TelegramOutcome
  community: { id: string; timeZone: string }
  requests: TelegramJoinRequest[]
  decide: boolean
}

export function TelegramRequestsSection(props: TelegramRequestsView) {
  const t = telegramDashboardWords(props.lang)
  return (
    <section id="telegram-requests">
      <h2>{t.telegramRequests}</h2>
      <DecisionNotice lang={props.lang} outcome={props.outcome} />
      <p class="muted">{t.telegramRequestsIntro}</p>
      {props.requests.length === 0 ? (
        <p class="muted">{t.noTelegramRequests}</p>
      ) : (
        <TelegramRequests
          lang={props.lang}
          csrf={props.csrf}
          href={props.href}
          communityId={props.community.id}
          back="community"
          requests={props.requests}
          decide={props.decide}
          timeZone={props.community.timeZone}
        />
      )}
    </section>
  )
}

/** Telegram requests of every community the admin may see, for the approvals overview. */
export interface TelegramOverviewView {
  lang: Lang
  csrf: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  outcome: TelegramOutcome
  communities: Array<{
    community: { id: string; name: string; timeZone: string }
    requests: TelegramJoinRequest[]
    /** Whether it has more than are shown. */
    more: boolean
    decide: boolean
  }>
}

export function TelegramRequestsOverview(props: TelegramOverviewView) {
  const l = props.lang
  const t = telegramDashboardWords(l)
  return (
    <section id="telegram-requests">
      <h2>{t.telegramRequests}</h2>
      <DecisionNotice lang={l} outcome={props.outcome} />
      {props.communities.length === 0 ? (
        <p class="muted">{t.noTelegramRequests}</p>
      ) : (
        props.communities.map(({ community, requests, more, decide }) => (
          <>
            <h3>
              <a href={props.href(`/admin/communities/${community.id}/approvals`)}>
                <bdi>{community.name}</bdi>
              </a>{' '}
              <span class="muted">
                {t.telegramWaiting(formatNumber(l, requests.length))}
                {more ? '+' : ''}
              </span>
            </h3>
            <TelegramRequests
              lang={l}
              csrf={props.csrf}
              href={props.href}
              communityId={community.id}
              back="overview"
              requests={requests}
              decide={decide}
              timeZone={community.timeZone}
            />
          </>
        ))
      )}
    </section>
  )
}

/**
 * A person's Telegram language (an IETF tag such as `de` or `pt-br`) named in the admin's
 * language; a tag Intl cannot name is shown as Telegram sent it.
 */
function languageName(lang: Lang, code: string): string {
  try {
    return new Intl.DisplayNames([LOCALES[lang]], { type: 'language' }).of(code) ?? code
  } catch {
    return code
  }
}
