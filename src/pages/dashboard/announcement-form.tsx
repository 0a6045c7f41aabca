import { z } from 'zod'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { ANNOUNCEMENT_EDIT_WORDS, MESSAGES, type Lang } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { addDays, calendarDay, utcToWallClock, wallClockToUtc } from '../../lib/time'
import type { Announcement, Group } from '../../db/schema'
import { AnnouncementBodySchema, CronSchema } from '../../schemas/announcements'
import { TimeZoneSchema } from '../../schemas/common'
import { previewRuns, type AnnouncementInput } from '../../services/announcements'
import { words } from '../../views/dashboard/shell'
import type { ComposeState } from '../../views/dashboard/announcement-form'
import {
  cronOf,
  formValues,
  pickerOfRule,
  pickerValues,
  weekdaysMissing,
  type PickerValues,
} from '../../views/dashboard/repeat-rule'
import { sentText } from '../../views/form-fields'
import { formText } from './page'

/**
 * The compose form of the announcements page as sent: its rules, and "Show next dates" (a POST
 * that shows the form again as it was, so neither the draft nor the form's token ever lands in
 * a URL). The form itself is in `views/dashboard/announcement-form.tsx`.
 */

const FIELDS = [
  'body',
  'translation_de',
  'translation_en',
  'audience',
  'sendAt',
  'timezone',
] as const

export function sentCompose(form: Record<string, unknown>): ComposeState {
  return {
    form: {
      values: Object.fromEntries(FIELDS.map((key) => [key, formText(form, key)])),
      errors: {},
    },
    picker: pickerValues((key) => formValues(form, key)),
    preview: [],
  }
}

/**
 * A stored announcement as the form shows it to be changed: its next date on the community's
 * clock (a one-off's zone is not kept), its rule in the picker on its own zone's clock, and its
 * audience as the choice it is among `groups` (`keptAudience` otherwise).
 */
export function composeStateOf(
  announcement: Announcement,
  communityZone: string,
  groups: Array<Pick<Group, 'id' | 'kind'>>,
): ComposeState {
  const zone = announcement.repeatTimezone ?? communityZone
  const { repeatCron, repeatUntil } = announcement
  const groupIds = announcement.audienceGroupIds
  return {
    form: {
      values: {
        body: announcement.body,
        translation_de: announcement.translations?.de ?? '',
        translation_en: announcement.translations?.en ?? '',
        audience: !groupIds ? 'announcement' : oneChoice(groupIds, groups) ? groupIds[0] : 'keep',
        // A repeating one's dates are its rule's: the date-time is for one sent once.
        sendAt: announcement.sendAt && !repeatCron ? utcToWallClock(announcement.sendAt, zone) : '',
        timezone: zone,
      },
      errors: {},
    },
    picker: repeatCron
      ? pickerOfRule(repeatCron, repeatUntil ? calendarDay(repeatUntil, zone) : undefined)
      : pickerValues(() => undefined),
    preview: [],
  }
}

/**
 * An announcement as the compose form starts a new one from it ("Use again"): its texts,
 * audience and rule, but no date and no last day, which are the new one's to choose.
 */
export function copyStateOf(
  announcement: Announcement,
  communityZone: string,
  groups: Array<Pick<Group, 'id' | 'kind'>>,
): ComposeState {
  const state = composeStateOf(announcement, communityZone, groups)
  return {
    ...state,
    form: { ...state.form, values: { ...state.form.values, sendAt: '' } },
    picker: { ...state.picker, until: undefined },
  }
}

/** Whether an audience is one group the form offers (a discussion group it lists). */
function oneChoice(groupIds: string[], groups: Array<Pick<Group, 'id' | 'kind'>>): boolean {
  const [only] = groupIds
  return groupIds.length === 1 && groups.some((g) => g.id === only && g.kind === 'discussion')
}

/**
 * The groups an announcement goes to, named for the form's "as it is" choice, where the form
 * cannot offer them as one choice (several groups, or one it does not list); null where it can.
 * Groups beyond `groups` (the first 100) are counted.
 */
export function keptAudience(
  groupIds: string[] | null,
  groups: Array<Pick<Group, 'id' | 'kind' | 'name'>>,
): string | null {
  if (!groupIds || oneChoice(groupIds, groups)) return null
  const names = groups.filter((g) => groupIds.includes(g.id)).map((g) => g.name)
  const unlisted = groupIds.length - names.length
  return [...names, ...(unlisted > 0 ? [`+${unlisted}`] : [])].join(', ')
}

const AnnouncementForm = z.object({
  body: AnnouncementBodySchema,
  // The API's `translations`, a field each (`TranslationFields`); one left empty is none.
  translation_de: AnnouncementBodySchema.optional(),
  translation_en: AnnouncementBodySchema.optional(),
  // `keep`: the groups an announcement being changed was sent to, several chosen through the API.
  audience: z
    .union([z.literal('announcement'), z.literal('keep'), z.string().regex(idPattern('grp'))])
    .optional(),
  sendAt: z.string().optional(),
  timezone: TimeZoneSchema,
})

/**
 * The announcement the form describes, or why not, field by field in `lang`. Its date-time is
 * wall-clock time in the chosen zone (the community's unless another is picked); a rule from
 * the picker wins over it, and runs through the day chosen as its last, on that zone's calendar.
 * `current` is the announcement being changed, if the form changes one.
 */
export function composedAnnouncement(
  lang: Lang,
  sent: ComposeState,
  communityZone: string,
  now: Date,
  current?: Announcement,
): { input: AnnouncementInput } | { errors: FieldMessages } {
  const problems = MESSAGES[lang].fieldProblems
  const timezone = sentText(sent.form, 'timezone') || communityZone
  const parsed = AnnouncementForm.safeParse({ ...sent.form.values, timezone })
  const errors = parsed.success ? {} : fieldMessages(lang, parsed.error.issues)
  const cron = cronOf(sent.picker)
  Object.assign(errors, ruleRefusal(lang, sent.picker))
  let sendAt: Date | null = null
  // The date is judged even when another field was refused: every problem is named at once.
  // A weekly rule without a day is a rule refused, not a date missing.
  if (!cron && !errors.weekdays && !errors.timezone) {
    sendAt = wallClockToUtc(sentText(sent.form, 'sendAt'), timezone)
    if (!sendAt) errors.sendAt ??= problems.dateOrRule
    else if (sendAt.getTime() < now.getTime() - 60_000) errors.sendAt ??= problems.inThePast
  }
  const audience = parsed.data?.audience
  if (audience === 'keep' && !current?.audienceGroupIds) errors.audience = problems.choice
  const until = cron && !errors.timezone ? lastRun(lang, sent.picker, timezone, now, current) : {}
  if ('error' in until) errors.until = until.error
  if (!parsed.success || Object.keys(errors).length > 0) return { errors }
  const { body } = parsed.data
  const translations = { de: parsed.data.translation_de, en: parsed.data.translation_en }
  const groupIds =
    audience === 'keep'
      ? current!.audienceGroupIds
      : audience && audience !== 'announcement'
        ? [audience]
        : null
  return {
    input: cron
      ? { body, translations, groupIds, sendAt: null, repeat: { cron, timezone, ...until } }
      : { body, translations, groupIds, sendAt, repeat: null },
  }
}

/**
 * The end of a rule's last day as the picker gives it: its last moment on `timezone`'s calendar,
 * or, for the day an announcement being changed already ends on, that end as it was (set
 * through the API, it may be any moment of the day).
 */
function lastRun(
  lang: Lang,
  picker: PickerValues,
  timezone: string,
  now: Date,
  current: Announcement | undefined,
): { until?: Date } | { error: string } {
  if (!picker.until) return {}
  const day = z.iso.date().safeParse(picker.until)
  if (!day.success) return { error: MESSAGES[lang].fieldProblems.check }
  const kept = current?.repeatUntil
  if (kept && current.repeatTimezone === timezone && calendarDay(kept, timezone) === day.data) {
    return { until: kept }
  }
  const nextMidnight = wallClockToUtc(`${addDays(day.data, 1)}T00:00`, timezone)
  if (!nextMidnight) return { error: MESSAGES[lang].fieldProblems.check }
  if (nextMidnight.getTime() <= now.getTime()) {
    return { error: ANNOUNCEMENT_EDIT_WORDS[lang].untilInPast }
  }
  return { until: new Date(nextMidnight.getTime() - 1) }
}

/**
 * The picker's own refusals: "weekly" without a day, and a raw rule that is not the five fields
 * the API takes (croner alone would read a sixth, seconds, and run at another time).
 */
function ruleRefusal(lang: Lang, picker: PickerValues): FieldMessages {
  if (picker.offList) return { cron: ANNOUNCEMENT_EDIT_WORDS[lang].pickerOffList }
  if (weekdaysMissing(picker)) return { weekdays: words(lang).noWeekday }
  if (picker.cron && !CronSchema.safeParse(picker.cron).success)
    return { cron: words(lang).ruleFiveFields }
  return {}
}

/** A refusal by the service (a rule croner cannot read, a group of another community). */
export function serviceRefusal(lang: Lang, error: unknown): FieldMessages | null {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return null
  const paths = (error.errors ?? []).map((e) => e.path)
  const e = ANNOUNCEMENT_EDIT_WORDS[lang]
  if (paths.includes('repeat.until')) return { until: e.noRunBeforeUntil }
  if (paths.includes('repeat.cron')) return { cron: e.ruleNeverRuns }
  if (paths.some((path) => path.startsWith('repeat'))) return { cron: words(lang).invalidRule }
  if (paths.some((path) => path.startsWith('audience')))
    return { audience: MESSAGES[lang].fieldProblems.choice }
  return null
}

/** "Show next dates": the rule's next runs, or the one date chosen, in the zone chosen. */
export function withPreview(
  lang: Lang,
  sent: ComposeState,
  communityZone: string,
  now: Date,
  current?: Announcement,
): ComposeState {
  const zone = TimeZoneSchema.safeParse(sentText(sent.form, 'timezone') || communityZone)
  if (!zone.success) {
    const errors = { timezone: MESSAGES[lang].fieldProblems.timeZone }
    return { ...sent, form: { ...sent.form, errors } }
  }
  const refused = ruleRefusal(lang, sent.picker)
  if (Object.keys(refused).length > 0) return { ...sent, form: { ...sent.form, errors: refused } }
  const cron = cronOf(sent.picker)
  if (!cron) {
    const once = sentText(sent.form, 'sendAt')
    const at = once ? wallClockToUtc(once, zone.data) : null
    return { ...sent, preview: at ? [at] : [] }
  }
  const until = lastRun(lang, sent.picker, zone.data, now, current)
  if ('error' in until) return { ...sent, form: { ...sent.form, errors: { until: until.error } } }
  try {
    const preview = previewRuns({ cron, timezone: zone.data, ...until }, now, 5)
    if (preview.length === 0) {
      const e = ANNOUNCEMENT_EDIT_WORDS[lang]
      const errors: FieldMessages = until.until
        ? { until: e.noRunBeforeUntil }
        : { cron: e.ruleNeverRuns }
      return { ...sent, form: { ...sent.form, errors } }
    }
    return { ...sent, preview }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return { ...sent, form: { ...sent.form, errors: { cron: words(lang).invalidRule } } }
  }
}
