import { z } from 'zod'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { MESSAGES, type Lang } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { wallClockToUtc } from '../../lib/time'
import { AnnouncementBodySchema, CronSchema } from '../../schemas/announcements'
import { TimeZoneSchema } from '../../schemas/common'
import { previewRuns, type AnnouncementInput } from '../../services/announcements'
import { words } from '../../views/dashboard/shell'
import type { ComposeState } from '../../views/dashboard/announcement-form'
import {
  cronOf,
  formValues,
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
      // A field sent twice stays a list, which the schema refuses, rather than none at all.
      values: Object.fromEntries(
        FIELDS.map((key) => [
          key,
          Array.isArray(form[key]) ? (form[key] as unknown[]).map(String) : formText(form, key),
        ]),
      ),
      errors: {},
    },
    picker: pickerValues((key) => formValues(form, key)),
    preview: [],
  }
}

const AnnouncementForm = z.object({
  body: AnnouncementBodySchema,
  // The API's `translations`, a field each (`TranslationFields`); one left empty is none.
  translation_de: AnnouncementBodySchema.optional(),
  translation_en: AnnouncementBodySchema.optional(),
  audience: z.union([z.literal('announcement'), z.string().regex(idPattern('grp'))]).optional(),
  sendAt: z.string().optional(),
  timezone: TimeZoneSchema,
})

/**
 * The announcement the form describes, or why not, field by field in `lang`. Its date-time is
 * wall-clock time in the chosen zone (the community's unless another is picked); a rule from
 * the picker wins over it.
 */
export function composedAnnouncement(
  lang: Lang,
  sent: ComposeState,
  communityZone: string,
  now: Date,
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
  if (!parsed.success || Object.keys(errors).length > 0) return { errors }
  const { body, audience } = parsed.data
  const translations = { de: parsed.data.translation_de, en: parsed.data.translation_en }
  const groupIds = audience && audience !== 'announcement' ? [audience] : null
  return {
    input: cron
      ? { body, translations, groupIds, sendAt: null, repeat: { cron, timezone } }
      : { body, translations, groupIds, sendAt, repeat: null },
  }
}

/**
 * The picker's own refusals: "weekly" without a day, and a raw rule that is not the five fields
 * the API takes (croner alone would read a sixth, seconds, and run at another time).
 */
function ruleRefusal(lang: Lang, picker: PickerValues): FieldMessages {
  if (weekdaysMissing(picker)) return { weekdays: words(lang).noWeekday }
  if (picker.cron && !CronSchema.safeParse(picker.cron).success)
    return { cron: words(lang).ruleFiveFields }
  return {}
}

/** A refusal by the service (a rule croner cannot read, a group of another community). */
export function serviceRefusal(lang: Lang, error: unknown): FieldMessages | null {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return null
  const paths = (error.errors ?? []).map((e) => e.path)
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
  try {
    return { ...sent, preview: previewRuns({ cron, timezone: zone.data }, now, 5) }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return { ...sent, form: { ...sent.form, errors: { cron: words(lang).invalidRule } } }
  }
}
