import type { TelegramJoinRequest } from '../../db/schema'
import { formatNumber, type Lang } from '../../lib/i18n'
import { telegramDashboardWords } from '../../lib/i18n/telegram-messages'
import { formatMoment } from '../../lib/time'
import { Csrf } from './shell'

// Requests to join a community's Telegram chats, in the approval queue beside the web's: marked
// as from Telegram, with what Telegram tells of the person, decided one by one or in bulk.

/** What the last Telegram decision did, from the redirect's query. */
export type TelegramOutcome =
  { unavailable: true } | { approved: number; declined: number; gone: number; open: number } | null

function DecisionNotice(props: { lang: Lang; outcome: TelegramOutcome }) {
  const t = telegramDashboardWords(props.lang)
  const { outcome } = props
  if (!outcome) return null
  if ('unavailable' in outcome) return <p role="status">{t.telegramUnavailable}</p>
  return (
    <p role="status">
      {t.decidedNotice(outcome.approved, outcome.declined, outcome.gone, outcome.open)}
    </p>
  )
}

function RequestsTable(props: {
  lang: Lang
  requests: TelegramJoinRequest[]
  decide: boolean
  timeZone: string
}) {
  const l = props.lang
  const t = telegramDashboardWords(l)
  const { decide } = props
  return (
    <table class="cards">
      <thead>
        <tr>
          {decide && (
            <th>
              <span class="muted">✓</span>
            </th>
          )}
          <th>{t.chat}</th>
          <th>{t.username}</th>
          <th>{t.language}</th>
          <th>{t.bio}</th>
          <th>{t.requestedAt}</th>
          {decide && <th />}
        </tr>
      </thead>
      <tbody>
        {props.requests.map((request) => {
          const name = [request.firstName, request.lastName].filter(Boolean).join(' ')
          return (
            <tr>
              {decide && (
                <td data-label={t.select}>
                  <input type="checkbox" name="ids" value={request.id} aria-label={name} />
                </td>
              )}
              <td data-label={t.chat}>
                <bdi>{name}</bdi>
                <div class="muted">{t.fromTelegram}</div>
              </td>
              <td data-label={t.username}>
                {request.username ? <bdi>@{request.username}</bdi> : '–'}
              </td>
              <td data-label={t.language}>
                {request.languageCode ? <bdi>{request.languageCode}</bdi> : '–'}
              </td>
              <td data-label={t.bio}>{request.bio ? <bdi>{request.bio}</bdi> : '–'}</td>
              <td data-label={t.requestedAt}>
                {formatMoment(l, request.requestedAt, props.timeZone)}
              </td>
              {decide && (
                <td data-label="" class="actions">
                  <button type="submit" name="only" value={`approve:${request.id}`}>
                    {t.approve}
                  </button>{' '}
                  <button type="submit" class="danger" name="only" value={`decline:${request.id}`}>
                    {t.decline}
                  </button>
                </td>
              )}
            </tr>
          )
        })}
      </tbody>
    </table>
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
      <p>
        <button type="submit" name="action" value="approve">
          {t.approveSelected}
        </button>{' '}
        <button type="submit" class="danger" name="action" value="decline">
          {t.declineSelected}
        </button>
      </p>
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
