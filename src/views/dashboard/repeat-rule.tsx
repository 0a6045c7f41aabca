import { z } from 'zod'
import { ApiError } from '../../lib/errors'
import { ANNOUNCEMENT_EDIT_WORDS, LOCALES, type Lang } from '../../lib/i18n'
import { TextField } from '../form-fields'
import { words } from './shell'

/**
 * The repeat-rule picker of the announcement form: daily, weekly on chosen days, or monthly on a
 * day, at a time, written as the cron rule the scheduler runs. The raw rule stays available as
 * the advanced option and wins when it is filled in.
 */

const REPEATS = ['none', 'daily', 'weekly', 'monthly'] as const
type Repeat = (typeof REPEATS)[number]
/** Monday first, as calendars here show the week; cron counts Sunday as 0. */
const WEEK = [1, 2, 3, 4, 5, 6, 0] as const

/** What the picker offers: anything else sent is named on the form (`offList`), not guessed. */
const OFFERED = {
  repeat: z.enum(REPEATS),
  weekdays: z.coerce.number().int().min(0).max(6),
  monthDay: z.coerce.number().int().min(1).max(31),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
}

const PickerFields = z.object({
  repeat: OFFERED.repeat.catch('none'),
  weekdays: z.array(OFFERED.weekdays).catch([]),
  monthDay: OFFERED.monthDay.catch(1),
  time: OFFERED.time.catch('09:00'),
  cron: z.string().trim().max(100).optional().catch(undefined),
  // The rule's last day (`YYYY-MM-DD`), checked where the form is read: a wrong one is named.
  until: z.string().trim().optional().catch(undefined),
  /** A day, time or weekday sent that the picker does not offer: named, not read as a default. */
  offList: z.boolean().default(false),
})

export type PickerValues = z.infer<typeof PickerFields>

/** The picker's fields from a form or a query (`weekdays` may come once or many times). */
export function pickerValues(read: (key: string) => string | string[] | undefined): PickerValues {
  const one = (key: string) => {
    const value = read(key)
    if (!Array.isArray(value)) return value
    if (value.length > 1) {
      throw new ApiError('bad_request', `The field ${key} was sent more than once.`)
    }
    return value[0]
  }
  const weekdays = ([] as string[]).concat(read('weekdays') ?? [])
  // A time with seconds (a browser's `step`) is the same minute.
  const time = one('time')?.replace(/^(\d\d:\d\d):\d\d$/, '$1')
  const repeat = one('repeat') || (one('cron') ? 'none' : undefined)
  // What the rule chosen reads, checked against what the picker offers (typed past the number
  // field's bounds, as "Show next dates" sends the form unchecked): a day 40 or a time 25:99 is
  // named, not read as day 1 or 09:00.
  const chosen = {
    repeat: [repeat],
    weekdays: repeat === 'weekly' ? weekdays : [],
    monthDay: repeat === 'monthly' ? [one('monthDay')] : [],
    time: repeat && repeat !== 'none' ? [time] : [],
  }
  const offList = (Object.keys(OFFERED) as Array<keyof typeof OFFERED>).some((key) =>
    chosen[key].some((value) => value && !OFFERED[key].safeParse(value).success),
  )
  return PickerFields.parse({
    offList,
    repeat,
    weekdays,
    monthDay: one('monthDay') || undefined,
    time: time || undefined,
    cron: one('cron') || undefined,
    until: one('until') || undefined,
  })
}

/**
 * The picker set to a stored rule, for a form that changes it: the daily, weekly and monthly
 * rules it writes come back as those choices, any other rule as the raw rule.
 */
export function pickerOfRule(cron: string, until: string | undefined): PickerValues {
  const parts = ruleParts(cron)
  const picked = (values: Partial<PickerValues>) =>
    PickerFields.parse({ time: parts?.time, until, ...values })
  const monthDay = Number(parts?.monthDay)
  const dayOutOfRange = parts?.monthDay !== '*' && !(monthDay >= 1 && monthDay <= 31)
  if (!parts || dayOutOfRange || (parts.monthDay !== '*' && parts.weekdays !== '*')) {
    return picked({ repeat: 'none', cron })
  }
  if (parts.monthDay !== '*') return picked({ repeat: 'monthly', monthDay })
  if (parts.weekdays === '*') return picked({ repeat: 'daily' })
  return picked({ repeat: 'weekly', weekdays: parts.weekdays.split(',').map(Number) })
}

/**
 * The parts of a rule of the shape the picker writes (a time, and a day of the month or days of
 * the week, `*` for every one), or null for any other rule.
 */
function ruleParts(cron: string) {
  const match = /^(\d{1,2}) (\d{1,2}) (\*|\d{1,2}) \* (\*|[0-6](?:,[0-6])*)$/.exec(cron.trim())
  if (!match) return null
  const [, minute, hour, monthDay, weekdays] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ]
  // Hours and minutes out of range are croner's to refuse; the picker shows such a rule raw.
  if (Number(hour) > 23 || Number(minute) > 59) return null
  return { time: `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`, monthDay, weekdays }
}

/** A form field's text values, for `pickerValues` (files are not text and are left out). */
export function formValues(form: Record<string, unknown>, key: string): string[] | undefined {
  const value = form[key]
  if (value === undefined) return undefined
  return ([] as unknown[]).concat(value).filter((v): v is string => typeof v === 'string')
}

/**
 * Whether "weekly" was picked without a day: refused by the form, not read as some day of its
 * choosing.
 */
export function weekdaysMissing(values: PickerValues): boolean {
  return !values.cron && values.repeat === 'weekly' && values.weekdays.length === 0
}

/**
 * The cron rule the picker stands for, or none for an announcement sent once (and for "weekly"
 * without a day, which `weekdaysMissing` refuses).
 */
export function cronOf(values: PickerValues): string | undefined {
  if (values.cron) return values.cron
  const [hour, minute] = values.time.split(':').map(Number) as [number, number]
  const at = `${minute} ${hour}`
  const repeat: Repeat = values.repeat
  if (repeat === 'daily') return `${at} * * *`
  if (repeat === 'weekly') {
    const days = [...new Set(values.weekdays)].sort((a, b) => a - b)
    return days.length > 0 ? `${at} * * ${days.join(',')}` : undefined
  }
  if (repeat === 'monthly') return `${at} ${values.monthDay} * *`
  return undefined
}

/**
 * The picker as form fields: works without script; the raw rule sits under "advanced". `error`
 * says why the rule was refused, beside the picker and the raw rule it describes;
 * `weekdaysError` why the days were, beside them.
 */
export function RepeatPicker(props: {
  lang: Lang
  values: PickerValues
  error?: string
  weekdaysError?: string
  untilError?: string
}) {
  const t = words(props.lang)
  const e = ANNOUNCEMENT_EDIT_WORDS[props.lang]
  const { values } = props
  const weekday = new Intl.DateTimeFormat(LOCALES[props.lang], {
    weekday: 'short',
    timeZone: 'UTC',
  })
  // 2026-01-04 was a Sunday: day n of cron's week is that date plus n.
  const dayName = (n: number) => weekday.format(new Date(Date.UTC(2026, 0, 4 + n)))
  const labels: Record<Repeat, string> = {
    none: t.repeatNone,
    daily: t.repeatDaily,
    weekly: t.repeatWeekly,
    monthly: t.repeatMonthly,
  }
  return (
    <fieldset class="repeat">
      <legend>{t.repeatRule}</legend>
      {props.error && (
        <p id="cron-error" class="err">
          {props.error}
        </p>
      )}
      <div class="choices">
        {REPEATS.map((repeat) => (
          <label class="plain">
            <input
              type="radio"
              name="repeat"
              value={repeat}
              checked={values.repeat === repeat && !(repeat === 'none' && values.cron)}
            />{' '}
            {labels[repeat]}
          </label>
        ))}
      </div>
      <div
        id="weekdays"
        class="choices"
        role="group"
        aria-label={t.onWeekdays}
        {...(props.weekdaysError ? { 'aria-describedby': 'weekdays-error' } : {})}
      >
        <span class="muted">{t.onWeekdays}</span>
        {WEEK.map((day) => (
          <label class="plain">
            <input
              type="checkbox"
              name="weekdays"
              value={String(day)}
              checked={values.weekdays.includes(day)}
              {...(props.weekdaysError ? { 'aria-invalid': 'true' } : {})}
            />{' '}
            {dayName(day)}
          </label>
        ))}
      </div>
      {props.weekdaysError && (
        <p id="weekdays-error" class="err">
          {props.weekdaysError}
        </p>
      )}
      <div class="grid">
        <div>
          <label for="monthDay">{t.onMonthDay}</label>
          <input
            id="monthDay"
            name="monthDay"
            type="number"
            min={1}
            max={31}
            value={String(values.monthDay)}
          />
        </div>
        <div>
          <label for="time">{t.atTime}</label>
          <input id="time" name="time" type="time" value={values.time} />
        </div>
        <TextField
          form={{
            values: { until: values.until },
            errors: props.untilError ? { until: props.untilError } : {},
          }}
          field="until"
          label={e.until}
          hint={e.untilHint}
          type="date"
        />
      </div>
      <details open={Boolean(values.cron)}>
        <summary>{t.advancedRule}</summary>
        <label for="cron">{t.repeat}</label>
        <input
          id="cron"
          name="cron"
          placeholder="0 9 * * 1"
          value={values.cron ?? ''}
          {...(props.error ? { 'aria-invalid': 'true', 'aria-describedby': 'cron-error' } : {})}
        />
        <p class="muted">{t.advancedRuleHint}</p>
      </details>
    </fieldset>
  )
}

/**
 * A rule the picker can write, in words ("weekly on Mon, Wed at 18:00"); any other rule as it is.
 */
export function describeRule(lang: Lang, cron: string): string {
  const t = words(lang)
  const parts = ruleParts(cron)
  if (!parts) return cron
  const { time, monthDay, weekdays } = parts
  if (monthDay !== '*' && weekdays === '*') return t.ruleMonthly(monthDay, time)
  if (monthDay !== '*') return cron
  if (weekdays === '*') return t.ruleDaily(time)
  const weekday = new Intl.DateTimeFormat(LOCALES[lang], {
    weekday: 'short',
    timeZone: 'UTC',
  })
  const days = weekdays
    .split(',')
    .map((day) => weekday.format(new Date(Date.UTC(2026, 0, 4 + Number(day)))))
  return t.ruleWeekly(days.join(', '), time)
}
