import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { ApiError, ERROR_CODES } from '../../lib/errors'
import {
  formatNumber,
  otherLanguage,
  REWARD_WORDS,
  TEAM_WORDS,
  UNCONFIRMED_WORDS,
  ANNOUNCEMENT_EDIT_WORDS,
  WEBHOOKS_WORDS,
  WAITING_FOR_ROOM_WORDS,
  type Lang,
} from '../../lib/i18n'
import { idPattern, type IdPrefix } from '../../lib/ids'
import { cursorQuery } from '../../lib/pagination'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { dashboardLanguage } from '../../middleware/dashboard-language'
import { can, ownScope, type Action } from '../../services/access'
import { Shell, words } from '../../views/dashboard/shell'
import { cspNonce } from '../../middleware/security-headers'
import { CommunityFrame, NextPageLink, type Tab } from '../../views/dashboard/frame'

// Helpers every dashboard page shares: language, ids from paths, forms, the page frame.

export const CommunityId = z.string().regex(idPattern('cmt'))
export const InviteId = z.string().regex(idPattern('inv'))

/** The page's language: asked for with `?lang=`, chosen earlier in this session, or the browser's. */
export function lang(c: Context<AppEnv>): Lang {
  return dashboardLanguage(c)
}

export function idOrThrow(schema: z.ZodString, value: string | undefined): string {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new ApiError('not_found', 'No such page.')
  return parsed.data
}

/**
 * One field of a dashboard form as sent, undefined when missing. A field a form has once but that
 * came more than once, or a file where the form has text, is a crafted request: it is refused
 * whole, as reading it as missing would clear what it stands for (a community's description, a
 * teammate's e-mail). Where a form may leave a field out, a missing one keeps what it stands for.
 */
export function formString(form: Record<string, unknown>, key: string): string | undefined {
  const value = form[key]
  if (Array.isArray(value)) {
    throw new ApiError('bad_request', `The field ${key} was sent more than once.`)
  }
  if (value !== undefined && typeof value !== 'string') {
    throw new ApiError('bad_request', `The field ${key} must be text, not a file.`)
  }
  return value
}

/** One text field of a dashboard form, trimmed; undefined when empty or missing. */
export function formText(form: Record<string, unknown>, key: string): string | undefined {
  const value = formString(form, key)?.trim()
  return value === '' ? undefined : value
}

const DONE = [
  'removed',
  'removedTelegram',
  'erased',
  'created',
  'saved',
  'revoked',
  'rotated',
  'scheduled',
  'sentNow',
  'cancelled',
  'resumed',
  'archived',
  'restored',
  'resent',
  'noneSelected',
] as const

/** Outcomes whose words live with their page's own, apart from the dashboard's catalogue. */
const DONE_ELSEWHERE = {
  consentRecorded: (l: Lang) => UNCONFIRMED_WORDS[l].recordedNotice,
  announcementChanged: (l: Lang) => ANNOUNCEMENT_EDIT_WORDS[l].savedNotice,
  announcementUnchanged: (l: Lang) => ANNOUNCEMENT_EDIT_WORDS[l].unchangedNotice,
  announcementCancelled: (l: Lang) => ANNOUNCEMENT_EDIT_WORDS[l].cancelledNotChangeable,
  announcementSent: (l: Lang) => ANNOUNCEMENT_EDIT_WORDS[l].sentNotChangeable,
  sentNowRepeating: (l: Lang) => ANNOUNCEMENT_EDIT_WORDS[l].sentNowRepeatingNotice,
  webhookRemoved: (l: Lang) => WEBHOOKS_WORDS[l].removedNotice,
  eventRedelivered: (l: Lang) => WEBHOOKS_WORDS[l].redeliveredNotice,
  webhookResumed: (l: Lang) => WEBHOOKS_WORDS[l].resumedNotice,
  promoted: (l: Lang) => TEAM_WORDS[l].promotedNotice,
  demoted: (l: Lang) => TEAM_WORDS[l].demotedNotice,
} as const

/**
 * A group a decision found full, as its page looked it up from the redirect's group ids (only
 * among the groups that page may show), with how many requests it left waiting.
 */
export interface FullInDecision {
  /** Its name as the dashboard shows it (the announcement group by its role). */
  name: string
  waiting: number
}

/**
 * What the last action did, in words, from the redirect's query: counts, known outcomes and
 * error codes only, turned into text here, so a crafted link cannot put words on an admin's
 * screen. A decision refused by full groups names those its page found (`full`), each with the
 * requests left waiting for it; without any, it says only that the group is full.
 */
export function notice(c: Context<AppEnv>, full: FullInDecision[] = []): Child | undefined {
  const t = words(lang(c))
  const done = c.req.query('done')
  const known = DONE.find((outcome) => outcome === done)
  if (known) return t[`${known}Notice`]
  if (done && Object.hasOwn(DONE_ELSEWHERE, done)) {
    return DONE_ELSEWHERE[done as keyof typeof DONE_ELSEWHERE](lang(c))
  }
  const decided = c.req.query('decided')
  if (!decided || !/^\d{1,3}$/.test(decided)) return undefined
  const sentence = (c.req.query('action') === 'reject' ? t.rejectedNotice : t.approvedNotice)(
    formatNumber(lang(c), Number(decided)),
  )
  const reasons = t.refusedReasons
  const w = WAITING_FOR_ROOM_WORDS[lang(c)]
  // Each reason once; the full groups, where the page found them, in place of "the group is full".
  const kinds = new Set(
    (c.req.query('refused') ?? '')
      .split(',')
      .filter((code) => (ERROR_CODES as string[]).includes(code))
      .map((code) => (code in reasons ? (code as keyof typeof reasons) : 'other')),
  )
  const refused = [...kinds].flatMap((kind): Child[] =>
    kind === 'group_full' && full.length > 0
      ? full.map((group) => (
          <>
            <bdi>{group.name}</bdi> {w.fullNotice(formatNumber(lang(c), group.waiting))}
          </>
        ))
      : [reasons[kind]],
  )
  if (refused.length === 0) return sentence
  return (
    <>
      {sentence} {Number(decided) === 0 ? w.noneDecided : t.refusedNotice}{' '}
      {refused.map((reason, i) => (
        <>
          {i > 0 && ', '}
          {reason}
        </>
      ))}
      .
    </>
  )
}

/**
 * A dashboard path that keeps the language chosen on this page (`?lang=`), for a form's action
 * and the redirect after it: a form refused or confirmed answers in the language it was filled
 * in, whatever the browser's own preference.
 */
export function inLanguage(c: Context<AppEnv>, path: string): string {
  const chosen = c.req.query('lang')
  if (chosen !== 'de' && chosen !== 'en') return path
  return `${path}${path.includes('?') ? '&' : '?'}lang=${chosen}`
}

/**
 * A bulk decision's form that no page of ours sends (an action it has no button for, ids of
 * another kind, more than the page lists): refused by name, as the API refuses it, rather than
 * answered with the page as if nothing had been asked.
 */
export function craftedDecision(issue: z.core.$ZodIssue, limit: number, prefix: string): ApiError {
  return new ApiError(
    'bad_request',
    issue.path[0] === 'action'
      ? 'The field action names no decision of this page.'
      : issue.code === 'too_big'
        ? `At most ${limit} requests can be decided at once.`
        : `The field ids must name join requests (${prefix}_ ids).`,
  )
}

/** Where to send the browser after an action, with its outcome for `notice`. */
export function withNotice(
  path: string,
  done: (typeof DONE)[number] | keyof typeof DONE_ELSEWHERE,
): string {
  return `${path}${path.includes('?') ? '&' : '?'}done=${done}`
}

/**
 * The page in the other language, with the rest of its query kept (notices aside); at
 * `address`, for a page that answers a form's POST.
 */
function inOtherLanguage(c: Context<AppEnv>, address: string | undefined): string {
  const url = new URL(address ?? c.req.url, c.req.url)
  for (const key of ['decided', 'action', 'refused', 'full', 'done', 'scheduled'])
    url.searchParams.delete(key)
  url.searchParams.set('lang', otherLanguage(lang(c)))
  return `${url.pathname}${url.search}`
}

/**
 * Where a count of pending requests across communities leads: straight to the one community
 * that has any, otherwise to the list of every community's pending requests.
 */
export function approvalsHref(counts: Map<string, number>): string {
  const waiting = [...counts].filter(([, count]) => count > 0)
  return waiting.length === 1
    ? `/admin/communities/${waiting[0]![0]}/approvals`
    : '/admin/approvals'
}

/** The pages beyond the communities this admin may open, linked at every page's foot. */
function toolsOf(c: Context<AppEnv>): { webhooks: boolean; telegram: boolean } {
  const principal = c.var.principal
  return {
    webhooks: can(principal, 'webhooks.manage', ownScope(principal)),
    telegram: Boolean(c.var.config.TELEGRAM_BOT_TOKEN) && can(principal, 'telegram.manage'),
  }
}

/**
 * The page frame. Its header shows, on every page alike, every pending request this admin
 * decides on, across communities: a count that changed with the page (a community's own inside
 * it) read as if requests came and went. A community's own count is on its approvals tab.
 */

export async function shell(
  c: Context<AppEnv>,
  title: string,
  body: unknown,
  // Left out, the status set with `c.status()` before (or 200) stands.
  status?: 200 | 400 | 409,
  /** The page's own address (its GET), for when it answers a form's POST, refused or done. */
  path?: string,
  /** The groups a decision found full, for the notice (see `notice`). */
  full?: FullInDecision[],
) {
  const principal = c.var.principal
  // Answering a POST, the browser shows the form's address: the language switch leads to the
  // page's own instead, and the page's script puts it in the address bar, so reloading opens the
  // page rather than sending the form again.
  const address =
    path && c.req.method !== 'GET' && c.req.method !== 'HEAD' ? inLanguage(c, path) : undefined
  // Read with the session (`dashboardSession`): the communities this admin decides on.
  const counts = c.var.pendingApprovals ?? new Map<string, number>()
  const pending = counts.size > 0 ? [...counts.values()].reduce((sum, n) => sum + n, 0) : undefined
  return c.html(
    <Shell
      lang={lang(c)}
      nonce={cspNonce(c)}
      title={title}
      who={principal.tokenId === null ? words(lang(c)).bootstrapOwner : principal.name}
      pendingCount={pending}
      approvalsHref={approvalsHref(counts)}
      csrf={await csrfTokenFor(c)}
      notice={notice(c, full)}
      langHref={inOtherLanguage(c, address)}
      address={address}
      tools={toolsOf(c)}
    >
      {body as never}
    </Shell>,
    status,
  )
}

/**
 * A page of one community: the frame, the community's name and its tabs above `body`. `tab` is
 * the page's path after the community's (`''` for the overview).
 */
export async function communityShell(
  c: Context<AppEnv>,
  community: { id: string; name: string },
  tab: string,
  title: string,
  body: unknown,
  status?: 200 | 400 | 409,
  /** The groups a decision found full, for the notice (see `notice`). */
  full?: FullInDecision[],
) {
  return shell(
    c,
    title,
    <CommunityFrame community={community} tabs={tabsOf(c, community.id)} current={tab}>
      {body as never}
    </CommunityFrame>,
    status,
    `/admin/communities/${community.id}${tab}`,
    full,
  )
}

/**
 * The community's pages this admin may open: each tab names the action its page mirrors. The
 * approvals tab counts the community's own pending requests, read with the session.
 */
function tabsOf(c: Context<AppEnv>, communityId: string): Tab[] {
  const t = words(lang(c))
  const pending = c.var.viewedApprovals?.get(communityId)
  const tabs: Array<[path: string, label: string, action: Action, count?: number]> = [
    ['', t.links, 'community.read'],
    ['/approvals', t.approvals, 'joinRequests.read', pending],
    ['/members', t.members, 'members.read'],
    ['/rewards', REWARD_WORDS[lang(c)].tab, 'referrals.read'],
    ['/announcements', t.announcements, 'announcements.read'],
    ['/settings', t.settings, 'community.read'],
    ['/team', TEAM_WORDS[lang(c)].team, 'team.read'],
    ['/audit', TEAM_WORDS[lang(c)].auditLog, 'audit.read'],
  ]
  return tabs
    .filter(([, , action]) => can(c.var.principal, action, { communityId }))
    .map(([path, label, , count]) => [path, label, count])
}

/**
 * The page cursor from the query, if it is one of this list's (lists are paged by the id of
 * their kind of item); anything else shows the first page.
 */
export function cursorOf(c: Context<AppEnv>, kind: IdPrefix): string | undefined {
  return cursorQuery(kind).safeParse(c.req.query('cursor')).data
}

/** The next page of a list, keeping the other query parameters; none after the last. */
export function nextPageHref(c: Context<AppEnv>, cursor: string | null): string | undefined {
  if (!cursor) return undefined
  const url = new URL(c.req.url)
  url.searchParams.set('cursor', cursor)
  return url.pathname + url.search
}

/** A link to the next page of a list, keeping the other query parameters. */
export function NextPage(props: { cursor: string | null; c: Context<AppEnv> }) {
  return <NextPageLink lang={lang(props.c)} href={nextPageHref(props.c, props.cursor)} />
}
