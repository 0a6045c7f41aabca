import type { Group, Invite, InviteQrDesign, TelegramInviteLink } from '../../db/schema'
import type { Child } from 'hono/jsx'
import {
  formatNumber,
  LINK_FALLBACK_WORDS,
  LINK_USES_WORDS,
  REWARD_WORDS,
  type Lang,
} from '../../lib/i18n'
import { formatMoment } from '../../lib/time'
import type { InviteStatus } from '../../services/invite-status'
import { GroupsTable, words } from './shell'
import type { FormState } from '../form-fields'
import { TelegramLinkLine } from '../telegram-seen'
import { ActionButton, CopyButton } from './frame'
import { ManageLink, NewLinkForm, type KnownTags } from './link-forms'
import type { FallbackChoice, WayRow } from '../../services/link-fallbacks'
import { LinksTable, type LinkSort, type TelegramLinkCell } from './links-table'
import { LinksNotListed } from './links-not-listed'
import { QrDesigner, type QrDesignForm } from './qr-designer'
import { StatsSections, type StatsView } from './stats'
import { RefusedSummary } from './refused-summary'
import { onWhatsApp } from '../whatsapp-inferred'
import { WithUserText } from '../layout'

/** What a community's overview shows, read and decided by its handler. */
export interface OverviewView {
  lang: Lang
  /** The page's own path, where its sorting, period and filter links lead. */
  path: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  csrf: string
  communityId: string
  /**
   * The new-link form, for who may make links: the groups a link can lead into, and the form as
   * it was sent after a refusal.
   */
  newLink: { groups: Group[]; form: FormState | undefined } | null
  /**
   * Where Telegram is set up: the Telegram page, where a chat is linked (`telegram.manage`), or
   * `owners` for who may not open it (an owner links chats there).
   */
  telegramPage?: string | 'owners'
  stats: StatsView | null
  /** The campaign links, for who may see them: current or archived ones. */
  links: {
    archived: boolean
    campaign: Invite[]
    sort: LinkSort
    /** When the links' states are told. */
    now: Date
    /** Where links are served (`PUBLIC_BASE_URL`): each row's address, to copy. */
    baseUrl: string
    /**
     * Each link's Telegram invite link, where the community has a Telegram-linked group (and
     * Telegram is configured); left out, no Telegram column.
     */
    telegram: Map<string, TelegramLinkCell> | undefined
  } | null
  groups: Group[] | null
  /** Whether any of the community's groups is on WhatsApp (its figures then inferred). */
  whatsapp: boolean
  /** The referral leaderboard and the rewards earned, for community admins. */
  referrals: {
    board: Array<{ name: string; referrals: number }>
    rewards: Array<{ memberName: string; title: string }>
  } | null
}

/**
 * The first steps of a community that has not taken them yet, for who may take them: say where
 * joining leads (a group's chat link, or its Telegram chat), make a first campaign link, share it.
 * Each step done is ticked; once the first two are, the card is gone.
 */
function GetStarted(props: {
  lang: Lang
  href: (path: string) => string
  communityId: string
  chat: boolean
  link: boolean
  telegramPage?: string | 'owners'
}) {
  const t = words(props.lang)
  if (props.chat && props.link) return null
  const step = (done: boolean, text: Child) => (
    <li class={done ? 'done' : undefined}>
      <span aria-hidden="true">{done ? '✓' : '○'}</span>{' '}
      {done && <span class="sr-only">{t.stepDone}</span>}
      {text}
    </li>
  )
  return (
    <section class="get-started">
      <h2>{t.getStarted}</h2>
      <ul>
        {step(
          props.chat,
          <>
            <a href={props.href(`/admin/communities/${props.communityId}/settings#edit-groups`)}>
              {t.stepChat}
            </a>
            {props.telegramPage === 'owners' && ` ${t.stepTelegramByOwner}`}
            {props.telegramPage !== undefined && props.telegramPage !== 'owners' && (
              <>
                {' '}
                <a href={props.telegramPage}>{t.stepTelegram}</a>
              </>
            )}
          </>,
        )}
        {step(props.link, <a href="#new-link">{t.stepLink}</a>)}
        {step(false, t.stepShare)}
      </ul>
    </section>
  )
}

/** A community's overview: a new link, its stats, its campaign links, groups and referrals. */
export function CommunityOverview(props: OverviewView) {
  const l = props.lang
  const t = words(l)
  const { links, referrals, communityId: id } = props
  return (
    <>
      <RefusedSummary lang={l} forms={[{ form: props.newLink?.form }]} />
      {props.newLink && links && !links.archived && (
        <GetStarted
          lang={l}
          href={props.href}
          communityId={id}
          chat={props.newLink.groups.some(
            (group) => group.chatInviteUrl !== null || group.telegramChatId !== null,
          )}
          link={links.campaign.length > 0}
          telegramPage={props.telegramPage}
        />
      )}
      {props.newLink && (
        <NewLinkForm
          lang={l}
          action={props.href(`/admin/communities/${id}/links`)}
          csrf={props.csrf}
          groups={props.newLink.groups}
          form={props.newLink.form}
          bulkHref={props.href(`/admin/communities/${id}/links/bulk`)}
          // What the listed links were tagged with: "Instagram" and "instagram" would count apart.
          known={links ? knownTags(links.campaign) : undefined}
        />
      )}
      {props.stats && (
        <>
          <OnThisPage
            lang={l}
            parts={[
              links && ['campaign-links', links.archived ? t.archivedLinks : t.links],
              props.groups && ['groups', t.groups],
              referrals && ['leaderboard', t.leaderboard],
            ]}
          />
          <StatsSections lang={l} path={props.path} view={props.stats} whatsapp={props.whatsapp} />
        </>
      )}
      {links && (
        <section id="campaign-links">
          <h2>{links.archived ? t.archivedLinks : t.links}</h2>
          <p>
            <a href={props.href(`/admin/communities/${id}${links.archived ? '' : '?archived=1'}`)}>
              {links.archived ? t.showCurrent : t.showArchived}
            </a>
          </p>
          {links.campaign.length === 0 ? (
            <p class="muted">{links.archived ? t.noArchived : t.noLinks}</p>
          ) : (
            <LinksTable
              lang={l}
              path={props.path}
              sort={links.sort}
              now={links.now}
              links={links.campaign}
              baseUrl={links.baseUrl}
              stats={props.stats}
              telegram={links.telegram}
            />
          )}
          {props.stats && (
            <LinksNotListed
              lang={l}
              stats={props.stats}
              listed={links.campaign}
              leaderboardHref={referrals ? '#leaderboard' : null}
            />
          )}
        </section>
      )}
      {props.groups && (
        <section id="groups">
          <h2>{t.groups}</h2>
          <GroupsTable lang={l} groups={props.groups} />
        </section>
      )}
      {referrals && (
        <section>
          <h2 id="leaderboard">{t.leaderboard}</h2>
          <p class="muted">{REWARD_WORDS[l].boardAllTime}</p>
          {referrals.board.length === 0 && <p class="muted">{t.noLeaders}</p>}
          <ol>
            {referrals.board.map((row) => (
              <li>
                <bdi>{row.name}</bdi>: {row.referrals}
              </li>
            ))}
          </ol>
          <h2>{t.rewards}</h2>
          {referrals.rewards.length === 0 && <p class="muted">{t.noRewards}</p>}
          <ul>
            {referrals.rewards.map((reward) => (
              <li>
                <bdi>{reward.memberName}</bdi>: <bdi>{reward.title}</bdi>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  )
}

/**
 * Where the parts below the figures start: on a phone the funnel, charts and breakdowns run
 * for screens before the links, groups and leaderboard.
 */
function OnThisPage(props: {
  lang: Lang
  parts: Array<[id: string, label: string] | null | false>
}) {
  const parts = props.parts.filter((part) => part !== null && part !== false)
  if (parts.length === 0) return null
  return (
    <nav class="periods" aria-label={words(props.lang).onThisPage}>
      {parts.map(([id, label]) => (
        <a href={`#${id}`}>{label}</a>
      ))}
    </nav>
  )
}

/** A link's forms sent back refused: the edit or the copy, and the status to answer with. */
export interface RefusedLinkForms {
  edit?: FormState
  copy?: FormState
  /** The QR design form, refused or sent for a preview (`preview`, answered 200). */
  qr?: QrDesignForm
  status: 200 | 400 | 409
}

/** What a link's page shows, read and decided by its handler. */
export interface LinkView {
  lang: Lang
  /** The page's own path, where its period and filter links lead. */
  path: string
  /** A dashboard path in the page's language. */
  href: (path: string) => string
  csrf: string
  invite: Invite
  community: { id: string; name: string; timeZone: string; visibility: 'open' | 'closed' }
  /** The community's groups, for the edit form. */
  groups: Group[]
  design: InviteQrDesign | null
  /** The link to share. */
  url: string
  status: InviteStatus
  /** Its uses held by sign-ups still waiting for their confirmation, and when the first comes back. */
  heldUses: { waiting: number; firstBack: Date | null }
  /** Its Telegram link, where Telegram is configured and the link leads into a Telegram chat. */
  telegramLink: TelegramInviteLink | null
  /** Where its Telegram link opens for people (`TELEGRAM_LINK_BASE`). */
  telegramLinkOpens: string | null
  /** The sources and campaigns the community's links carry, suggested by the forms. */
  known: KnownTags
  /** The links this one may lead on to once it has ended (see `fallbackChoicesQuery`). */
  fallbacks: FallbackChoice[]
  /** Ended by its own terms, the link its page offers now (see `firstWorkingOf`), if any. */
  leadsTo: Pick<WayRow, 'code' | 'label'> | null | false
  /** Whether this admin may change the link. */
  manage: boolean
  refused: RefusedLinkForms | undefined
  stats: StatsView | null
}

/**
 * A link's page: its URL and QR codes, what can be done with it, and its figures. After a
 * refused form, that form as it was sent, with its messages.
 */
export function LinkPage(props: LinkView) {
  const l = props.lang
  const t = words(l)
  const { invite, community, design, csrf, url, status, refused, manage } = props
  // In an open community a join needs room in the link's group and the announcement group: as
  // counted now, the first of them that has none.
  const fullGroup =
    community.visibility === 'open'
      ? [
          props.groups.find((group) => group.kind === 'announcement'),
          ...linkTarget(invite, props.groups),
        ].find((group) => group && group.memberCount >= group.memberLimit)
      : undefined
  const { leadsTo } = props
  // A saved design is a new image URL, so the browser never shows the one it cached before.
  const version = design ? `&v=${design.updatedAt.getTime().toString(36)}` : ''
  return (
    <>
      <p>
        <a href={`/admin/communities/${community.id}`}>
          ← <bdi>{community.name}</bdi>
        </a>
      </p>
      <h1>
        <bdi>{invite.label ?? invite.code}</bdi>
      </h1>
      {refused && refused.status !== 200 && (
        <RefusedSummary
          lang={l}
          forms={[
            // A design sent for a preview is not refused: its form has no messages.
            { form: refused.qr?.preview ? undefined : refused.qr },
            { form: refused.edit, idOf: (field) => `edit-${field}` },
            { form: refused.copy, idOf: (field) => `copy-${field}` },
          ]}
        />
      )}
      <section>
        <p class="code">
          <a href={url}>{url}</a> <CopyButton lang={l} text={url} />
        </p>
        <p>
          {t.status}: <b>{t.inviteStatuses[status]}</b>
        </p>
        {/* The figures first below, then the QR designer and the forms: a way down to each. */}
        <OnThisPage
          lang={l}
          parts={[
            props.stats && ['figures', t.funnel],
            status === 'active' && manage && ['qr-design', t.qrDesign],
            manage && ['edit', t.editLink],
            manage && ['duplicate', t.duplicate],
          ]}
        />
        {status === 'active' && fullGroup && (
          <p class="warn" role="status">
            {LINK_USES_WORDS[l].groupFull(fullGroup.name, formatNumber(l, fullGroup.memberLimit))}
          </p>
        )}
        {invite.maxUses !== null && (
          <p>
            {LINK_USES_WORDS[l].uses(formatNumber(l, invite.uses), formatNumber(l, invite.maxUses))}
            {props.heldUses.waiting > 0 && props.heldUses.firstBack && (
              <span class="muted">
                {' '}
                {LINK_USES_WORDS[l].waiting(
                  formatNumber(l, props.heldUses.waiting),
                  formatMoment(l, props.heldUses.firstBack, community.timeZone, { zone: true }),
                )}
              </span>
            )}
          </p>
        )}
        {leadsTo && (
          <p>
            <WithUserText
              sentence={LINK_FALLBACK_WORDS[l].leadsTo}
              value={leadsTo.label ?? `/i/${leadsTo.code}`}
            />
          </p>
        )}
        {props.telegramLink && (
          <TelegramLinkLine lang={l} link={props.telegramLink} opens={props.telegramLinkOpens} />
        )}
        {/* One QR image on the page: a manager's is the designer's preview, below the figures. */}
        {status === 'active' && (
          <p>
            {!manage && (
              <>
                <img
                  src={`/i/${invite.code}/qr.svg?size=240${version}`}
                  alt={t.qrAlt(url)}
                  width="240"
                  height="240"
                />
                <br />
              </>
            )}
            <a class="button" href={`/i/${invite.code}/qr.svg?download=1${version}`}>
              {t.downloadSvg}
            </a>{' '}
            <a class="button" href={`/i/${invite.code}/qr.png?size=1024&download=1${version}`}>
              {t.downloadPng}
            </a>
          </p>
        )}
        {/* A revoked link is final, so a new code or revoking again does nothing; an archived
            one is restored first (below), as its page and QR codes do not work until then. An
            expired or used-up link lets nobody in under any code (no new one is offered): it is
            opened again by its end date or its limit, in the form below, or revoked for good. */}
        {manage && (status === 'expired' || status === 'used_up') && (
          <p>
            {t.reopenLinkHint(status)} <a href="#edit">{t.editLink}</a>
          </p>
        )}
      </section>
      {/* The figures before the forms: a link's page is opened to see how it does far more often
          than to change it. */}
      {props.stats && (
        <StatsSections
          lang={l}
          path={props.path}
          view={props.stats}
          whatsapp={onWhatsApp(linkTarget(invite, props.groups))}
        />
      )}
      {manage && status === 'active' && (
        <QrDesigner
          lang={l}
          code={invite.code}
          design={design}
          form={refused?.qr}
          action={props.href(`/admin/links/${invite.id}/qr-design`)}
          csrf={csrf}
        />
      )}
      {manage && (status === 'active' || status === 'expired' || status === 'used_up') && (
        <p>
          {status === 'active' && (
            <ActionButton
              action={`/admin/links/${invite.id}/rotate`}
              csrf={csrf}
              label={t.rotate}
              kind="secondary"
              confirm={t.confirmRotate}
            />
          )}{' '}
          <ActionButton
            action={`/admin/links/${invite.id}/revoke`}
            csrf={csrf}
            label={t.revoke}
            kind="danger"
            confirm={t.confirmRevoke}
          />
        </p>
      )}
      {manage && (
        <ManageLink
          lang={l}
          invite={invite}
          timeZone={community.timeZone}
          csrf={csrf}
          groups={props.groups}
          edit={refused?.edit}
          copy={refused?.copy}
          known={props.known}
          fallbacks={invite.referrerMemberId || invite.revokedAt ? undefined : props.fallbacks}
          actionPath={(action) => props.href(`/admin/links/${invite.id}/${action}`)}
        />
      )}
    </>
  )
}

/** The group a link leads into: its own, or the community's announcement group (none if gone). */
export function linkTarget(invite: Invite, groups: Group[]): Group[] {
  const target = invite.groupId
    ? groups.find((group) => group.id === invite.groupId)
    : groups.find((group) => group.kind === 'announcement')
  return target ? [target] : []
}

/** The sources and campaigns the links carry, each once, to offer as a link form's. */
export function knownTags(links: Array<Pick<Invite, 'source' | 'campaign'>>): KnownTags {
  const each = (values: Array<string | null>) =>
    [...new Set(values.filter((value): value is string => Boolean(value)))].sort()
  return {
    source: each(links.map((invite) => invite.source)),
    campaign: each(links.map((invite) => invite.campaign)),
  }
}
