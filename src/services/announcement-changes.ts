import { and, eq, inArray, notExists, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import { announcements, dispatches, type Announcement } from '../db/schema'
import { ApiError, notFound } from '../lib/errors'
import { LANGUAGES } from '../lib/i18n'
import {
  announcementQuery,
  assertGroupsInCommunity,
  refusedAudience,
  assertScheduled,
  firstRun,
  storedTranslations,
  UNFINISHED_RUN_STATUSES,
  type AnnouncementInput,
  type Repeat,
} from './announcements'

/**
 * Changing a scheduled announcement, for the API's PATCH and the dashboard's form alike: what
 * is written, what is kept, and why a change is refused.
 */

/**
 * Changes a scheduled announcement. The update holds only if, when it is written, the
 * announcement is still scheduled, no run of it is still sending (a run reads the text and the
 * audience as it goes, so a change would reach only the rest of its members) and nobody changed
 * it since `announcement` was read (its fields left out of `input` come from that read).
 */
export async function updateAnnouncement(
  db: Database,
  announcement: Announcement,
  input: Partial<AnnouncementInput>,
  now: Date,
): Promise<Announcement> {
  assertScheduled(announcement)
  // A new `sendAt` or `repeat` replaces the schedule; otherwise the current one stays.
  const schedule: Pick<AnnouncementInput, 'sendAt' | 'repeat'> = input.sendAt
    ? { sendAt: input.sendAt, repeat: null }
    : input.repeat
      ? { sendAt: null, repeat: input.repeat }
      : announcement.repeatCron
        ? {
            sendAt: null,
            repeat: {
              cron: announcement.repeatCron,
              timezone: announcement.repeatTimezone!,
              until: announcement.repeatUntil,
            },
          }
        : { sendAt: announcement.sendAt, repeat: null }
  const merged: AnnouncementInput = {
    body: input.body ?? announcement.body,
    translations:
      input.translations !== undefined
        ? input.translations
        : (announcement.translations ?? undefined),
    groupIds: input.groupIds !== undefined ? input.groupIds : announcement.audienceGroupIds,
    ...schedule,
  }
  await assertGroupsInCommunity(db, announcement.communityId, merged.groupIds)
  const changed = {
    body: merged.body,
    translations: storedTranslations(merged.translations),
    audienceGroupIds: merged.groupIds,
    // The rule as it was: its next run as it was too, even one due and not started yet, which a
    // run worked out from now would skip.
    sendAt:
      merged.repeat && sameRule(announcement, merged.repeat) && announcement.sendAt
        ? announcement.sendAt
        : firstRun(merged, now),
    repeatCron: merged.repeat?.cron ?? null,
    repeatTimezone: merged.repeat?.timezone ?? null,
    repeatUntil: merged.repeat?.until ?? null,
  }
  // Nothing to write: the announcement as it is, which tells its caller nothing changed (and
  // leaves its version as it was, for anyone else changing it meanwhile).
  if (sameAnnouncement(announcement, changed)) return announcement
  const [updated] = await db
    .update(announcements)
    .set({ ...changed, updatedAt: now })
    .where(
      and(
        eq(announcements.id, announcement.id),
        eq(announcements.status, 'scheduled'),
        eq(announcements.updatedAt, announcement.updatedAt),
        notExists(unfinishedRunOf(db, announcement.id)),
      ),
    )
    .returning()
    .catch(refusedAudience)
  if (!updated) throw await whyNotChanged(db, announcement.id)
  return updated
}

/** Whether a rule is the announcement's own, its last moment included. */
function sameRule(announcement: Announcement, repeat: Repeat): boolean {
  return (
    announcement.repeatCron === repeat.cron &&
    announcement.repeatTimezone === repeat.timezone &&
    (announcement.repeatUntil?.getTime() ?? null) === (repeat.until?.getTime() ?? null)
  )
}

type AnnouncementFields = Pick<
  Announcement,
  | 'body'
  | 'translations'
  | 'audienceGroupIds'
  | 'sendAt'
  | 'repeatCron'
  | 'repeatTimezone'
  | 'repeatUntil'
>

/** Whether a change would leave every field of the announcement as it is. */
function sameAnnouncement(announcement: Announcement, changed: AnnouncementFields): boolean {
  const time = (date: Date | null) => date?.getTime() ?? null
  return (
    announcement.body === changed.body &&
    LANGUAGES.every(
      (language) =>
        (announcement.translations?.[language] ?? null) ===
        (changed.translations?.[language] ?? null),
    ) &&
    JSON.stringify(announcement.audienceGroupIds) === JSON.stringify(changed.audienceGroupIds) &&
    time(announcement.sendAt) === time(changed.sendAt) &&
    announcement.repeatCron === changed.repeatCron &&
    announcement.repeatTimezone === changed.repeatTimezone &&
    time(announcement.repeatUntil) === time(changed.repeatUntil)
  )
}

/** The runs of an announcement not finished sending: a subquery, or a read for a batch. */
export function unfinishedRunOf(db: Database, announcementId: string | SQL) {
  return db
    .select({ id: dispatches.id })
    .from(dispatches)
    .where(
      and(
        eq(dispatches.announcementId, announcementId),
        inArray(dispatches.status, [...UNFINISHED_RUN_STATUSES]),
      ),
    )
}

/** Why a change to an announcement was not written, read again after the fact. */
async function whyNotChanged(db: Database, announcementId: string): Promise<ApiError> {
  const [[current], [running]] = await db.batch([
    announcementQuery(db, announcementId),
    unfinishedRunOf(db, announcementId).limit(1),
  ])
  if (!current) return notFound('Announcement')
  if (current.status !== 'scheduled') {
    return new ApiError('invalid_state', 'This announcement started sending meanwhile.')
  }
  if (running) {
    return new ApiError(
      'invalid_state',
      `A run of this announcement is still sending; change it once the run has finished, or cancel the run (POST /api/announcements/${announcementId}/runs/${running.id}/cancel).`,
      { extensions: { runId: running.id } },
    )
  }
  return new ApiError(
    'conflict',
    'This announcement was changed by someone else while this change was made. Read it again and send the change again.',
  )
}
