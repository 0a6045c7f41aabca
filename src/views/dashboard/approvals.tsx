import { groupFieldId } from './group-edit-forms'
import type { Child } from 'hono/jsx'
import { formatNumber, WAITING_FOR_ROOM_WORDS, type Lang } from '../../lib/i18n'
import { maxMemberLimit } from '../../lib/limits'
import { formatMoment } from '../../lib/time'
import type { JoinRequestListing } from '../../services/join-requests'
import type { UntoldApplicant } from '../../services/decision-notices'
import { waitsForRoom } from '../../services/consent'
import { fullGroupOfRequest, type FullGroup } from '../../services/full-groups'
import { deliveryReasonText } from '../../lib/i18n/delivery-reasons'
import { Csrf, groupLabel, words, type Words } from './shell'
import { BulkDecisionBar, DecisionTable, type DecisionWords } from './decision-table'
import { NameWithContacts, NextPageLink } from './frame'
import {
  TelegramRequestsOverview,
  TelegramRequestsSection,
  type TelegramOverviewView,
  type TelegramRequestsView,
} from './telegram-requests'

/**
 * The web's words for the two decisions. A rejection is asked about first: the person sees the
 * reason and cannot ask again for the community's cooling-off days.
 */
const decisionWords = (t: Words, cooldownDays: number): DecisionWords => ({
  select: t.select,
  selectAll: t.selectAll,
  approve: t.approve,
  refuse: t.reject,
  approveSelected: t.approveSelected,
  refuseSelected: t.rejectSelected,
  confirmRefuse: t.confirmReject(cooldownDays),
  confirmRefuseSelected: t.confirmRejectSelected(cooldownDays),
})

/** A community as its requests' rows need it: where there is room, and where to make some. */
export interface RoomOfCommunity {
  id: string
  visibility: string
  /** Its groups with no seat left, as the page read them (`fullGroupsQuery`). */
  full: FullGroup[]
}

/**
 * Why a request cannot be approved now, under its name: the group that has no room (its own, or
 * the announcement group every member joins), and what makes room, with a link to the groups'
 * limits. A sign-up of an open community confirmed while its group was full, whose group has room
 * again, says so. Nothing for any other request.
 */
function RoomNote(props: {
  lang: Lang
  t: Words
  request: JoinRequestListing
  community: RoomOfCommunity
}) {
  const l = props.lang
  const w = WAITING_FOR_ROOM_WORDS[l]
  const confirmedWhileFull = waitsForRoom(props.request, props.community)
  const group = fullGroupOfRequest(props.request, props.community.full)
  if (!group) return confirmedWhileFull ? <div class="muted">{w.roomNow}</div> : null
  const max = formatNumber(l, maxMemberLimit(group.kind))
  return (
    <div class="warn">
      {confirmedWhileFull ? w.confirmedWaiting : w.waiting} <bdi>{groupLabel(props.t, group)}</bdi>{' '}
      {w.isFull(formatNumber(l, group.seats), formatNumber(l, group.memberLimit))}{' '}
      {group.memberLimit < maxMemberLimit(group.kind) ? w.onceRaised(max) : w.onceLeft(max)}{' '}
      <a
        href={`/admin/communities/${props.community.id}/settings#${groupFieldId(group.id, 'memberLimit')}`}
      >
        {w.groupsLink} →
      </a>
    </div>
  )
}

/**
 * Pending requests as rows, each with when it came (in the community's time zone) and, where a
 * full group keeps it out, why; with `decide`, each with a checkbox and its own two buttons.
 */
function PendingTable(props: {
  lang: Lang
  t: Words
  decision: DecisionWords
  requests: JoinRequestListing[]
  questions: string[]
  timeZone: string
  decide: boolean
  room: RoomOfCommunity
}) {
  const { t } = props
  return (
    <DecisionTable
      words={props.decision}
      refusal="reject"
      decide={props.decide}
      columns={[t.name, t.answers, t.source, t.signedUpAt]}
      rows={props.requests.map((request) => ({
        id: request.id,
        name: request.name,
        cells: [
          <>
            <NameWithContacts of={request} />
            <RoomNote lang={props.lang} t={t} request={request} community={props.room} />
          </>,
          props.questions.map((question, i) => (
            <div>
              <span class="muted">
                <bdi>{question}</bdi>
              </span>{' '}
              <bdi>{request.answers[i] ?? '–'}</bdi>
            </div>
          )),
          <>
            {/* The column is the source: the link's label, when it has one, is under it. */}
            <bdi>{request.inviteSource ?? '–'}</bdi>
            {request.inviteLabel && (
              <div class="muted">
                <bdi>{request.inviteLabel}</bdi>
              </div>
            )}
            {request.referrerName && (
              <div class="muted">
                {t.referredBy} <bdi>{request.referrerName}</bdi>
              </div>
            )}
          </>,
          <time datetime={request.createdAt.toISOString()}>
            {formatMoment(props.lang, request.createdAt, props.timeZone)}
          </time>,
        ],
      }))}
    />
  )
}

/**
 * A list of pending requests: in one form with the bulk bar when this admin may decide some,
 * otherwise as it is. Without any, a line saying there are none and what comes next, or, with
 * Telegram's requests waiting below (`telegramBelow`), that none came through the form.
 */
function PendingList(props: {
  t: Words
  decision: DecisionWords
  empty: boolean
  telegramBelow: boolean
  decide: boolean
  action: string
  csrf: string
  children: Child
}) {
  const { t } = props
  if (props.empty)
    return (
      <p class="muted">
        {props.telegramBelow ? t.noPendingButTelegram : `${t.noPending} ${t.noPendingNext}`}
      </p>
    )
  if (!props.decide) return <>{props.children}</>
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.csrf} />
      {/* The form's first submit button is what Enter in the reason field would press: the first
      row's "approve" otherwise. Disabled, it makes Enter there do nothing. */}
      <button type="submit" disabled hidden aria-hidden="true" tabindex={-1} />
      {props.children}
      <BulkDecisionBar words={props.decision} refusal="reject" reason={t.reason} />
    </form>
  )
}

/** What a community's approvals page shows, read and decided by its handler. */
export interface ApprovalsView {
  lang: Lang
  communityId: string
  /** The community's visibility and its full groups, for the rows' notes on room. */
  room: RoomOfCommunity
  timeZone: string
  /** How long a rejected person waits before asking again (`REJECTION_COOLDOWN_DAYS`). */
  cooldownDays: number
  csrf: string
  requests: JoinRequestListing[]
  questions: string[]
  /** Whether this admin may decide the community's requests. */
  decide: boolean
  nextHref: string | undefined
  /** Recent decisions whose applicant no WhatsApp message reached. */
  untold: UntoldApplicant[]
  /** The community's Telegram requests; null while Telegram is off. */
  telegram: TelegramRequestsView | null
}

/**
 * Recent decisions whose applicant no WhatsApp message told (services/decision-notices.ts), with
 * the contacts they gave and why, so that admins can reach them another way. Nothing without any.
 */
function UntoldApplicants(props: { lang: Lang; timeZone: string; untold: UntoldApplicant[] }) {
  const l = props.lang
  const t = words(l)
  if (props.untold.length === 0) return null
  return (
    <section>
      <h2>{t.untoldTitle}</h2>
      <p class="muted">{t.untoldLead}</p>
      <table class="cards">
        <thead>
          <tr>
            <th>{t.name}</th>
            <th>{t.untoldDecision}</th>
            <th>{t.untoldWhy}</th>
          </tr>
        </thead>
        <tbody>
          {props.untold.map((applicant) => (
            <tr>
              <td data-label={t.name}>
                <NameWithContacts of={applicant} />
              </td>
              <td data-label={t.untoldDecision}>
                {applicant.decision === 'approved' ? t.decisionApproved : t.decisionRejected}
              </td>
              <td data-label={t.untoldWhy}>
                {applicant.outcome === 'unknown'
                  ? t.unknown
                  : applicant.reason && deliveryReasonText(l, applicant.reason)}
                <div class="muted">
                  <time datetime={applicant.at.toISOString()}>
                    {formatMoment(l, applicant.at, props.timeZone)}
                  </time>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

/** A community's pending join requests, decided one by one or in bulk. */
export function ApprovalsPage(props: ApprovalsView) {
  const t = words(props.lang)
  const decision = decisionWords(t, props.cooldownDays)
  return (
    <>
      <section>
        <h2>{t.approvals}</h2>
        <PendingList
          t={t}
          decision={decision}
          empty={props.requests.length === 0}
          telegramBelow={(props.telegram?.requests.length ?? 0) > 0}
          decide={props.decide}
          action={`/admin/communities/${props.communityId}/approvals`}
          csrf={props.csrf}
        >
          <PendingTable
            lang={props.lang}
            t={t}
            decision={decision}
            requests={props.requests}
            questions={props.questions}
            timeZone={props.timeZone}
            decide={props.decide}
            room={props.room}
          />
          <NextPageLink lang={props.lang} href={props.nextHref} />
        </PendingList>
      </section>
      <UntoldApplicants lang={props.lang} timeZone={props.timeZone} untold={props.untold} />
      {props.telegram && <TelegramRequestsSection {...props.telegram} />}
    </>
  )
}

/** One community's share of the approvals overview. */
export interface PendingOfCommunity {
  community: {
    id: string
    name: string
    joinQuestions: string[]
    timeZone: string
    visibility: string
  }
  /** Its groups with no seat left (`fullGroupsQuery`). */
  full: FullGroup[]
  /** All its pending requests, of which `requests` are the first. */
  count: number
  requests: JoinRequestListing[]
  /** Whether it has more than are shown. */
  more: boolean
  decide: boolean
}

/** What the approvals overview shows, read and decided by its handler. */
export interface ApprovalsOverviewView {
  lang: Lang
  csrf: string
  /** How long a rejected person waits before asking again (`REJECTION_COOLDOWN_DAYS`). */
  cooldownDays: number
  communities: PendingOfCommunity[]
  nextHref: string | undefined
  /** Telegram requests across communities; null while Telegram is off. */
  telegram: TelegramOverviewView | null
}

/**
 * Every community's pending requests on one page, under each community's name, with a link to a
 * community's own page when it has more.
 */
export function ApprovalsOverview(props: ApprovalsOverviewView) {
  const l = props.lang
  const t = words(l)
  const decision = decisionWords(t, props.cooldownDays)
  return (
    <>
      <section>
        <h1>{t.approvals}</h1>
        <PendingList
          t={t}
          decision={decision}
          empty={props.communities.length === 0}
          telegramBelow={(props.telegram?.communities.length ?? 0) > 0}
          decide={props.communities.some((entry) => entry.decide)}
          action="/admin/approvals"
          csrf={props.csrf}
        >
          {props.communities.map(({ community, full, count, requests, more, decide }) => (
            <>
              <h2 class="spaced">
                <a href={`/admin/communities/${community.id}/approvals`}>
                  <bdi>{community.name}</bdi>
                </a>{' '}
                <span class="muted">
                  {formatNumber(l, count)} {t.pending}
                </span>
              </h2>
              <PendingTable
                lang={l}
                t={t}
                decision={decision}
                requests={requests}
                questions={community.joinQuestions}
                timeZone={community.timeZone}
                decide={decide}
                room={{ id: community.id, visibility: community.visibility, full }}
              />
              {more && (
                <p>
                  <a href={`/admin/communities/${community.id}/approvals`}>
                    {t.allPendingOf(formatNumber(l, count))} →
                  </a>
                </p>
              )}
            </>
          ))}
          <NextPageLink lang={l} href={props.nextHref} />
        </PendingList>
      </section>
      {props.telegram && <TelegramRequestsOverview {...props.telegram} />}
    </>
  )
}
