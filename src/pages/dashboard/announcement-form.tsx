import { z } from 'zod'
import type { Announcement } from '../../db/schema'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { MESSAGES, type Lang } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { AnnouncementBodySchema } from '../../schemas/announcements'
import { TimeZoneSchema } from '../../schemas/common'
import { previewRuns, type AnnouncementInput } from '../../services/announcements'
import { Csrf, DiscussionGroupOptions, words } from '../../views/dashboard'
import {
  FieldError,
  fieldAttributes,
  sentText,
  TimeZoneOptions,
  type FormState,
} from '../../views/form-fields'
import { WithUserText } from '../../views/layout'
import { formText } from './page'
import {
  cronOf,
  describeRule,
  formValues,
  pickerValues,
  RepeatPicker,
  type PickerValues,
} from './repeat-rule'

/**
 * The compose form of the announcements page: what it sent, its rules, "Show next dates" (a
 * POST that shows the form again as it was, so neither the draft nor the form's token ever
 * lands in a URL), and the notice that says what was scheduled and when.
 */

/** The compose form as sent: its fields, the repeat picker's, and the runs asked to be shown. */
export interface ComposeState {
  form: FormState
  picker: PickerValues
  preview: Date[]
}

const FIELDS = ['body', 'audience', 'sendAt', 'timezone'] as const

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

const AnnouncementForm = z.object({
  body: AnnouncementBodySchema,
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
  let sendAt: Date | null = null
  // The date is judged even when another field was refused: every problem is named at once.
  if (!cron && !errors.timezone) {
    sendAt = wallClockToUtc(sentText(sent.form, 'sendAt'), timezone)
    if (!sendAt) errors.sendAt ??= problems.dateOrRule
    else if (sendAt.getTime() < now.getTime() - 60_000) errors.sendAt ??= problems.inThePast
  }
  if (!parsed.success || Object.keys(errors).length > 0) return { errors }
  const { body, audience } = parsed.data
  const groupIds = audience && audience !== 'announcement' ? [audience] : null
  return {
    input: cron
      ? { body, groupIds, sendAt: null, repeat: { cron, timezone } }
      : { body, groupIds, sendAt, repeat: null },
  }
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

/**
 * The UTC instant of a `datetime-local` value read on the wall clock of `timeZone`, or null
 * when it is no date-time. Twice: the offset at the guessed instant, not at the wall-clock time
 * read as UTC, is the one that holds around a change of clocks.
 */
export function wallClockToUtc(value: string, timeZone: string): Date | null {
  const local = /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value) ? new Date(`${value}:00Z`) : null
  if (!local || Number.isNaN(local.getTime())) return null
  const guess = new Date(local.getTime() - zoneOffsetMinutes(timeZone, local) * 60_000)
  return new Date(local.getTime() - zoneOffsetMinutes(timeZone, guess) * 60_000)
}

/** How far a time zone is ahead of UTC at a moment, in minutes. */
function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .formatToParts(at)
    .reduce<Record<string, string>>((all, part) => ({ ...all, [part.type]: part.value }), {})
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
  )
  return Math.round((asUtc - at.getTime()) / 60_000)
}

/** The compose form, empty or as it was sent, with each refused field's message beside it. */
export function ComposeForm(props: {
  lang: Lang
  action: string
  csrf: string
  groups: Array<{ id: string; name: string; kind: string }>
  communityZone: string
  sent?: ComposeState
}) {
  const t = words(props.lang)
  const form = props.sent?.form
  const zone = sentText(form, 'timezone', props.communityZone) || props.communityZone
  const preview = props.sent?.preview ?? []
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.csrf} />
      <label for="body">{t.text}</label>
      <textarea
        id="body"
        name="body"
        rows={4}
        maxlength={4096}
        required
        {...fieldAttributes(form, 'body', { withValue: false })}
      >
        {sentText(form, 'body')}
      </textarea>
      <FieldError form={form} field="body" />
      <div class="grid">
        <div>
          <label for="audience">{t.audience}</label>
          <select
            id="audience"
            name="audience"
            {...fieldAttributes(form, 'audience', { withValue: false })}
          >
            <option value="announcement">{t.everyone}</option>
            <DiscussionGroupOptions groups={props.groups} selected={sentText(form, 'audience')} />
          </select>
          <FieldError form={form} field="audience" />
        </div>
        <div>
          <label for="sendAt">{t.once}</label>
          <input
            id="sendAt"
            name="sendAt"
            type="datetime-local"
            {...fieldAttributes(form, 'sendAt')}
          />
          <FieldError form={form} field="sendAt" />
        </div>
        <div>
          <label for="timezone">{t.timezone}</label>
          <select
            id="timezone"
            name="timezone"
            {...fieldAttributes(form, 'timezone', { withValue: false })}
          >
            <TimeZoneOptions first={props.communityZone} selected={zone} />
          </select>
          <FieldError form={form} field="timezone" />
        </div>
      </div>
      <RepeatPicker
        lang={props.lang}
        values={props.sent?.picker ?? pickerValues(() => undefined)}
        error={form?.errors.cron}
      />
      <p>
        <button type="submit">{t.schedule}</button>{' '}
        <button type="submit" class="secondary" name="intent" value="preview" formnovalidate>
          {t.preview}
        </button>
      </p>
      {preview.length > 0 && (
        <div>
          <b>{t.nextRuns}</b>
          <ul>
            {preview.map((run) => (
              <li>{formatMoment(props.lang, run, zone, { zone: zone !== props.communityZone })}</li>
            ))}
          </ul>
        </div>
      )}
    </form>
  )
}

/**
 * What was just scheduled, and when, in the reader's language and on the community's clock
 * (with the zone's name); a rule in another zone names that zone too.
 */
export function ScheduledNotice(props: {
  lang: Lang
  announcement: Announcement
  communityZone: string
}) {
  const t = words(props.lang)
  const { announcement, communityZone } = props
  if (!announcement.sendAt) return null
  const text = announcement.body.replace(/\s+/g, ' ')
  const excerpt = text.length > 60 ? `${text.slice(0, 59)}…` : text
  const first = formatMoment(props.lang, announcement.sendAt, communityZone, { zone: true })
  let sentence = (value: string) => t.scheduledOnce(value, first)
  if (announcement.repeatCron) {
    const described = describeRule(props.lang, announcement.repeatCron)
    const rule =
      (described === announcement.repeatCron ? t.byRule(described) : described) +
      (announcement.repeatTimezone !== communityZone ? ` (${announcement.repeatTimezone})` : '')
    sentence = (value) => t.scheduledRepeat(value, rule, first)
  }
  return (
    <p class="ok" role="status">
      <WithUserText sentence={sentence} value={excerpt} />
    </p>
  )
}
