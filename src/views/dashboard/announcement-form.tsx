import type { Announcement } from '../../db/schema'
import {
  ANNOUNCEMENT_EDIT_WORDS,
  LANGUAGES,
  LOCALES,
  TRANSLATION_WORDS,
  type Lang,
} from '../../lib/i18n'
import { formatDay, formatMoment } from '../../lib/time'
import { Csrf, DiscussionGroupOptions, words } from './shell'
import {
  Field,
  fieldAttributes,
  sentText,
  TextArea,
  TextField,
  TimeZoneOptions,
  type FormState,
} from '../form-fields'
import { WithUserText } from '../layout'
import { describeRule, pickerValues, RepeatPicker, type PickerValues } from './repeat-rule'

/** The compose form as sent: its fields, the repeat picker's, and the runs asked to be shown. */
export interface ComposeState {
  form: FormState
  picker: PickerValues
  preview: Date[]
}

/**
 * The compose form, empty or as it was sent, with each refused field's message beside it; or,
 * with `basis`, filled with an announcement (`composeStateOf`) to change it or to make a new one.
 */
export function ComposeForm(props: {
  lang: Lang
  action: string
  csrf: string
  groups: Array<{ id: string; name: string; kind: string }>
  communityZone: string
  sent?: ComposeState
  basis?: ComposeBasis
}) {
  const t = words(props.lang)
  const form = props.sent?.form
  const zone = sentText(form, 'timezone', props.communityZone) || props.communityZone
  const preview = props.sent?.preview ?? []
  const basis = props.basis
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.csrf} />
      {basis &&
        Object.entries(basis.hidden).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
      <Field
        form={form}
        field="body"
        label={t.text}
        hint={ANNOUNCEMENT_EDIT_WORDS[props.lang].nameHint}
        bare
      >
        <TextArea
          id="body"
          name="body"
          rows={4}
          maxlength={4096}
          required
          {...fieldAttributes(form, 'body', { withValue: false, hint: 'body-hint' })}
          text={sentText(form, 'body')}
        />
      </Field>
      <TranslationFields lang={props.lang} form={form} />
      <div class="grid fields">
        <Field form={form} field="audience" label={t.audience}>
          <select
            id="audience"
            name="audience"
            {...fieldAttributes(form, 'audience', { withValue: false })}
          >
            <option value="announcement">{t.everyone}</option>
            {basis?.keptGroups && (
              <option value="keep" selected={sentText(form, 'audience') === 'keep'}>
                {ANNOUNCEMENT_EDIT_WORDS[props.lang].keepAudience(basis.keptGroups)}
              </option>
            )}
            <DiscussionGroupOptions groups={props.groups} selected={sentText(form, 'audience')} />
          </select>
        </Field>
        <TextField
          form={form}
          field="sendAt"
          label={t.once}
          hint={ANNOUNCEMENT_EDIT_WORDS[props.lang].onceHint}
          type="datetime-local"
        />
        <Field form={form} field="timezone" label={t.timezone}>
          <select
            id="timezone"
            name="timezone"
            {...fieldAttributes(form, 'timezone', { withValue: false })}
          >
            <TimeZoneOptions first={props.communityZone} selected={zone} />
          </select>
        </Field>
      </div>
      <RepeatPicker
        lang={props.lang}
        values={props.sent?.picker ?? pickerValues(() => undefined)}
        error={form?.errors.cron}
        weekdaysError={form?.errors.weekdays}
        untilError={form?.errors.until}
      />
      <p class="buttons">
        <button type="submit">
          {basis && 'version' in basis.hidden
            ? ANNOUNCEMENT_EDIT_WORDS[props.lang].save
            : t.schedule}
        </button>{' '}
        <button type="submit" class="secondary" name="intent" value="preview" formnovalidate>
          {t.preview}
        </button>
      </p>
      {preview.length > 0 && (
        // Asked for with the form, the runs are where the page opens: on a phone, a screen below.
        <div id="next-runs" tabindex={-1} autofocus>
          <b>{t.nextRuns}</b>
          <ul>
            {preview.map((run) => (
              <li>
                {/* The weekday first: a weekly rule is checked at a glance. */}
                {weekdayOf(props.lang, run, zone)},{' '}
                {formatMoment(props.lang, run, zone, { zone: zone !== props.communityZone })}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  )
}

/** A moment's weekday, short, on `zone`'s calendar ("Mon", "Mo."). */
function weekdayOf(lang: Lang, at: Date, zone: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { weekday: 'short', timeZone: zone }).format(at)
}

/**
 * The announcement a compose form starts from: one it changes, or one it makes a new one of
 * ("Use again").
 */
export interface ComposeBasis {
  /**
   * What the form sends back about it: the announcement's version as read when it changes it (a
   * change made since is not overwritten), or its id when it is copied.
   */
  hidden: { version: string } | { from: string }
  /**
   * The names of the groups it goes to where the form cannot offer them as one choice (several,
   * chosen through the API): offered as they are.
   */
  keptGroups: string | null
}

/**
 * The announcement in other languages, folded away until used: members who signed up in one get
 * its text (`announcementTextFor`). Open when the form comes back with one typed or refused.
 */
function TranslationFields(props: { lang: Lang; form: FormState | undefined }) {
  const w = TRANSLATION_WORDS[props.lang]
  const used = LANGUAGES.some(
    (language) =>
      sentText(props.form, `translation_${language}`) !== '' ||
      props.form?.errors[`translation_${language}`] !== undefined,
  )
  return (
    <details open={used}>
      <summary>{w.summary}</summary>
      <p class="muted">{w.hint}</p>
      {LANGUAGES.map((language) => (
        <Field form={props.form} field={`translation_${language}`} label={w.field[language]}>
          <TextArea
            id={`translation_${language}`}
            name={`translation_${language}`}
            lang={language}
            rows={3}
            maxlength={4096}
            {...fieldAttributes(props.form, `translation_${language}`, { withValue: false })}
            text={sentText(props.form, `translation_${language}`)}
          />
        </Field>
      ))}
    </details>
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
    const zone = announcement.repeatTimezone ?? communityZone
    const until = announcement.repeatUntil
      ? `, ${ANNOUNCEMENT_EDIT_WORDS[props.lang].repeatsUntil(formatDay(props.lang, announcement.repeatUntil, zone))}`
      : ''
    const rule =
      (described === announcement.repeatCron ? t.byRule(described) : described) +
      (zone !== communityZone ? ` (${zone})` : '') +
      until
    sentence = (value) => t.scheduledRepeat(value, rule, first)
  }
  return (
    <p class="ok" role="status">
      <WithUserText sentence={sentence} value={excerpt} />
    </p>
  )
}
