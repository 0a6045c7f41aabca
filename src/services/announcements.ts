import { Cron } from 'croner'
import { and, asc, desc, eq, gt, inArray, lte, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  announcements,
  dispatches,
  groups,
  type Announcement,
  type Dispatch,
  type Group,
  type Translations,
} from '../db/schema'
import { ApiError, notFound } from '../lib/errors'
import type { Lang } from '../lib/i18n'
import { newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'
import { ANNOUNCEMENT_TEXT_MAX } from '../lib/limits'
import { textWithName } from '../lib/name-placeholder'

export interface Repeat {
  cron: string
  timezone: string
  until?: Date | null
}

export interface AnnouncementInput {
  body: string
  /** Left out on a change: the texts stay as they are. */
  translations?: Translations
  /** Null: the announcement group, i.e. every active member. */
  groupIds: string[] | null
  sendAt?: Date | null
  repeat?: Repeat | null
}

/**
 * The next run of a cron rule in a time zone strictly after `after`, or null when there is none
 * before `until`. Daylight-saving changes are the time zone's business: "Monday 09:00
 * Europe/Berlin" stays 09:00 on the wall clock, whatever the offset to UTC.
 */
export function nextRun(repeat: Repeat, after: Date): Date | null {
  const next = new Cron(repeat.cron, { timezone: repeat.timezone, paused: true }).nextRun(after)
  if (!next || (repeat.until && next.getTime() > repeat.until.getTime())) return null
  return next
}

/**
 * Checks a cron rule and time zone, answering with the next few runs to show before saving. A
 * rule croner cannot read is refused naming `path`, the field that holds it.
 */
export function previewRuns(repeat: Repeat, after: Date, count = 5, path = 'repeat'): Date[] {
  try {
    const runs: Date[] = []
    let from = after
    while (runs.length < count) {
      const next = nextRun(repeat, from)
      if (!next) break
      runs.push(next)
      from = next
    }
    return runs
  } catch (error) {
    throw new ApiError('validation_failed', 'The repeat rule is not valid.', {
      errors: [
        {
          path,
          message: error instanceof Error ? error.message.slice(0, 200) : 'Invalid rule',
        },
      ],
    })
  }
}

/**
 * How many members a send reaches, read from the groups' kept counts, so no member is counted
 * for it: everyone is the announcement group's count, one group its own. Several groups add up
 * to an upper bound (`atMost`), as a member of two is one recipient. `chats`: the Telegram chats
 * it is posted in, as `createTelegramPosts` picks them (for everyone, the announcement group's
 * chat, or where it has none, every Telegram-linked group's). Null where an audience group is
 * not among `groups`.
 */
export function audienceReach(
  announcement: Pick<Announcement, 'audienceGroupIds'>,
  groups: Array<Pick<Group, 'id' | 'kind' | 'memberCount' | 'telegramChatId'>>,
): { count: number; atMost: boolean; chats: number } | null {
  const ids = announcement.audienceGroupIds
  const audience = ids
    ? ids.map((id) => groups.find((group) => group.id === id))
    : [groups.find((group) => group.kind === 'announcement')]
  if (audience.length === 0 || audience.some((group) => group === undefined)) return null
  const count = audience.reduce((sum, group) => sum + group!.memberCount, 0)
  const onTelegram = (group: Pick<Group, 'telegramChatId'> | undefined) =>
    group?.telegramChatId != null
  const posted = ids || onTelegram(audience[0]) ? audience : groups
  return { count, atMost: audience.length > 1, chats: posted.filter(onTelegram).length }
}

export async function getAnnouncementOrThrow(db: Database, id: string): Promise<Announcement> {
  const announcement = await db.query.announcements.findFirst({ where: eq(announcements.id, id) })
  if (!announcement) throw notFound('Announcement')
  return announcement
}

export async function assertGroupsInCommunity(
  db: Database,
  communityId: string,
  groupIds: string[] | null,
) {
  if (!groupIds) return
  const found = await db
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.communityId, communityId), inArray(groups.id, groupIds)))
  if (found.length !== new Set(groupIds).size) throw unknownAudienceGroup()
}

function unknownAudienceGroup(): ApiError {
  return new ApiError(
    'validation_failed',
    'Every audience group must be a group of this community.',
    {
      errors: [{ path: 'audience.groupIds', message: 'Unknown group' }],
    },
  )
}

/**
 * The check above again in the write (migration 0058's triggers), for a group deleted since it
 * was read: the same answer.
 */
export function refusedAudience(error: unknown): never {
  if (String(error).includes('unknown_audience_group')) throw unknownAudienceGroup()
  throw error
}

/** Translations as stored: only the languages given a text, null for none. */
export function storedTranslations(translations: Translations | undefined): Translations | null {
  const given = Object.entries(translations ?? {}).filter(([, text]) => text)
  return given.length > 0 ? (Object.fromEntries(given) as Translations) : null
}

/**
 * What a member gets of an announcement: its text in their sign-up language, else its body,
 * with their name where it says `{name}`.
 */
export function announcementTextFor(
  announcement: Pick<Announcement, 'body' | 'translations'>,
  member: { language: Lang | null; name: string | null },
): string {
  const text =
    (member.language && announcement.translations?.[member.language]) || announcement.body
  return textWithName(text, member.name, ANNOUNCEMENT_TEXT_MAX)
}

/** A repeat rule refused for falling on no date; `path` names the field that holds it. */
export function ruleNeverRuns(path: string): ApiError {
  return new ApiError('validation_failed', 'The repeat rule never runs.', {
    errors: [{ path, message: 'No run on any date' }],
  })
}

/** The first run: the given time, or the rule's first run after now. */
export function firstRun(input: AnnouncementInput, now: Date): Date {
  if (input.repeat) {
    const [first] = previewRuns(input.repeat, now, 1)
    if (!first && input.repeat.until) {
      throw new ApiError('validation_failed', 'The repeat rule has no run before `until`.', {
        errors: [{ path: 'repeat.until', message: 'No run before this time' }],
      })
    }
    // A rule of a day no calendar has (`0 9 31 4 *`): croner reads it, and it never runs.
    if (!first) throw ruleNeverRuns('repeat.cron')
    return first
  }
  return input.sendAt!
}

export async function createAnnouncement(
  db: Database,
  communityId: string,
  input: AnnouncementInput,
  now: Date,
): Promise<Announcement> {
  await assertGroupsInCommunity(db, communityId, input.groupIds)
  const announcement: Announcement = {
    id: newId('ann', now.getTime()),
    communityId,
    body: input.body,
    translations: storedTranslations(input.translations),
    audienceGroupIds: input.groupIds,
    sendAt: firstRun(input, now),
    repeatCron: input.repeat?.cron ?? null,
    repeatTimezone: input.repeat?.timezone ?? null,
    repeatUntil: input.repeat?.until ?? null,
    status: 'scheduled',
    pausedAt: null,
    pauseReason: null,
    claimedAt: null,
    createdAt: now,
    updatedAt: now,
  }
  await db.insert(announcements).values(announcement).catch(refusedAudience)
  return announcement
}

export async function listAnnouncements(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
): Promise<Page<Announcement>> {
  return toPage(await listAnnouncementsQuery(db, communityId, options), options.limit)
}

/**
 * `listAnnouncements`' read, for a batch: one row more than `limit` (see `toPage`).
 */
export function listAnnouncementsQuery(db: Database, communityId: string, options: ListingOptions) {
  return db
    .select()
    .from(announcements)
    .where(announcementsOf(communityId, options))
    .orderBy(...listingOrder(options))
    .limit(options.limit + 1)
}

/**
 * A page of a community's announcements: oldest first from `cursor` (the API's pages), or, for
 * the dashboard's one page (`newest`), those still to come or going out, however old, then the
 * newest, so that a community past the page's size sees what it can still change and what it
 * did last.
 */
type ListingOptions = { cursor?: string; limit: number; newest?: boolean }

const listingOrder = (options: ListingOptions) =>
  options.newest
    ? [
        sql`case when ${announcements.status} in ('scheduled', 'dispatching') then 0 else 1 end`,
        desc(announcements.id),
      ]
    : [asc(announcements.id)]

/** The ids `listAnnouncementsQuery` reads, as a subquery. */
export function listedAnnouncementIds(db: Database, communityId: string, options: ListingOptions) {
  return db
    .select({ id: announcements.id })
    .from(announcements)
    .where(announcementsOf(communityId, options))
    .orderBy(...listingOrder(options))
    .limit(options.limit + 1)
}

function announcementsOf(communityId: string, options: { cursor?: string }) {
  return and(
    eq(announcements.communityId, communityId),
    options.cursor ? gt(announcements.id, options.cursor) : undefined,
  )
}

/** The community of an announcement, as a subquery: to read both in one batch. */
export function communityOfAnnouncement(id: string): SQL {
  return sql`(select ${announcements.communityId} from ${announcements} where ${announcements.id} = ${id})`
}

/** An announcement by id, to read in a batch (none found: an empty list). */
export function announcementQuery(db: Database, id: string) {
  return db.select().from(announcements).where(eq(announcements.id, id)).limit(1)
}

export function assertScheduled(announcement: Announcement): void {
  if (announcement.status !== 'scheduled') {
    throw new ApiError(
      'invalid_state',
      `This announcement is ${announcement.status}; only scheduled ones can change.`,
    )
  }
}

export async function cancelAnnouncement(
  db: Database,
  announcement: Announcement,
  now: Date,
): Promise<Announcement> {
  if (announcement.status === 'cancelled') return announcement
  assertScheduled(announcement)
  const [cancelled] = await db
    .update(announcements)
    .set({ status: 'cancelled', sendAt: null, updatedAt: now })
    .where(and(eq(announcements.id, announcement.id), eq(announcements.status, 'scheduled')))
    .returning()
  if (!cancelled)
    throw new ApiError('invalid_state', 'This announcement started sending meanwhile.')
  return cancelled
}

/** Runs with work left: still expanding, or deliveries not settled yet. */
export const UNFINISHED_RUN_STATUSES = ['expanding', 'expanded'] as const

/** A run with work left whose progress has not moved for this long is stalled. */
export const RUN_STALL_MS = 3 * 60_000

export function isUnfinished(run: Pick<Dispatch, 'status'>): boolean {
  return (UNFINISHED_RUN_STATUSES as readonly string[]).includes(run.status)
}

/**
 * No progress for the stall time, counted from the last progress or, when retries were put off
 * past it, from the latest of them (a run whose messages wait out a WhatsApp limit is waiting).
 */
export function isStalled(
  run: Pick<Dispatch, 'status' | 'progressAt' | 'waitingUntil'>,
  now: Date,
): boolean {
  const lastExpected = Math.max(run.progressAt?.getTime() ?? 0, run.waitingUntil?.getTime() ?? 0)
  return isUnfinished(run) && lastExpected < now.getTime() - RUN_STALL_MS
}

/** When a run's messages put off to a later attempt are due, if that is still to come. */
export function waitingUntil(run: Pick<Dispatch, 'waitingUntil'>, now: Date): Date | null {
  return run.waitingUntil && run.waitingUntil > now ? run.waitingUntil : null
}

/**
 * The status to show: `sending` while one of its runs has work left, whatever the stored status
 * (which only says whether more runs are scheduled).
 */
export function shownStatus(
  announcement: Announcement,
  runs: Array<Pick<Dispatch, 'status'>>,
): Announcement['status'] | 'sending' {
  if (announcement.status !== 'cancelled' && runs.some(isUnfinished)) return 'sending'
  return announcement.status
}

/** Lifts a pause (WhatsApp's spam rate limit): the announcement's next runs are sent again. */
export async function resumeAnnouncement(
  db: Database,
  announcement: Announcement,
  now: Date,
): Promise<Announcement> {
  if (!announcement.pausedAt) return announcement
  const [resumed] = await db
    .update(announcements)
    .set({ pausedAt: null, pauseReason: null, updatedAt: now })
    .where(eq(announcements.id, announcement.id))
    .returning()
  return resumed ?? announcement
}

/** Makes a scheduled announcement due now; the next cron run (within a minute) sends it. */
export async function sendAnnouncementNow(
  db: Database,
  announcement: Announcement,
  now: Date,
): Promise<Announcement> {
  const [unfinished] = await db
    .select()
    .from(dispatches)
    .where(
      and(
        eq(dispatches.announcementId, announcement.id),
        inArray(dispatches.status, [...UNFINISHED_RUN_STATUSES]),
      ),
    )
    .orderBy(desc(dispatches.scheduledFor))
    .limit(1)
  // A stalled run is resumed, not started again; a one-off still sending has nothing to send now.
  // (A recurring one may start its next run while the last still sends.)
  if (unfinished && (isStalled(unfinished, now) || announcement.status !== 'scheduled')) {
    const where = `/api/announcements/${announcement.id}/runs/${unfinished.id}`
    throw new ApiError(
      'invalid_state',
      isStalled(unfinished, now)
        ? `A run of this announcement stalled with ${unfinished.queued} deliveries left. Resume it (POST ${where}/resume) or cancel it (POST ${where}/cancel) instead of sending again; the cron job also resumes it within minutes.`
        : `A run of this announcement is still sending (${unfinished.queued} deliveries left). Wait for it, or cancel it (POST ${where}/cancel).`,
      {
        extensions: { runId: unfinished.id, resume: `${where}/resume`, cancel: `${where}/cancel` },
      },
    )
  }
  assertScheduled(announcement)
  const [due] = await db
    .update(announcements)
    .set({ sendAt: now, updatedAt: now })
    .where(and(eq(announcements.id, announcement.id), eq(announcements.status, 'scheduled')))
    .returning()
  if (!due) throw new ApiError('invalid_state', 'This announcement started sending meanwhile.')
  return due
}

/**
 * Claims the announcements due at `now`, atomically: one UPDATE flips them to `dispatching`,
 * so of two overlapping cron runs only one gets each. A claim older than the lease is taken
 * over, in case the run that made it died.
 */
export async function claimDueAnnouncements(
  db: Database,
  now: Date,
  limit = 20,
): Promise<Announcement[]> {
  const leaseExpired = new Date(now.getTime() - 5 * 60_000)
  const due = db
    .select({ id: announcements.id })
    .from(announcements)
    .where(
      or(
        and(eq(announcements.status, 'scheduled'), lte(announcements.sendAt, now)),
        and(eq(announcements.status, 'dispatching'), lte(announcements.claimedAt, leaseExpired)),
      ),
    )
    .limit(limit)
  return db
    .update(announcements)
    .set({ status: 'dispatching', claimedAt: now })
    .where(
      and(
        inArray(announcements.id, due),
        or(
          eq(announcements.status, 'scheduled'),
          and(eq(announcements.status, 'dispatching'), lte(announcements.claimedAt, leaseExpired)),
        ),
      ),
    )
    .returning()
}
