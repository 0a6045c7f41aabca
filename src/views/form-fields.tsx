import type { FieldMessages } from '../lib/field-errors'
import { timeZoneChoices } from '../lib/time'

/**
 * A form sent back after a refusal: what was typed, field by field, and why fields were refused
 * (in the reader's language, from `fieldMessages`). Pages render it in place of their defaults,
 * so nothing typed is lost.
 */
export interface FormState {
  values: Record<string, string | string[] | undefined>
  errors: FieldMessages
}

/** A form's text value as sent, or `fallback` when the form was not sent back. */
export function sentText(form: FormState | undefined, field: string, fallback = ''): string {
  if (!form) return fallback
  const value = form.values[field]
  return typeof value === 'string' ? value : (value?.[0] ?? '')
}

/**
 * A field's attributes after a refusal: its value as sent, and, when it was refused, marked
 * invalid and described by its message (and its hint, if it has one) for screen readers.
 */
export function fieldAttributes(
  form: FormState | undefined,
  field: string,
  options: { withValue?: boolean; hint?: string } = {},
) {
  const error = form?.errors[field]
  const describedBy = [options.hint, error && `${field}-error`].filter(Boolean).join(' ')
  const value = form?.values[field]
  return {
    ...(options.withValue === false || value === undefined ? {} : { value: String(value) }),
    ...(error ? { 'aria-invalid': 'true' } : {}),
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
  }
}

/** The message next to a refused field, named by `fieldAttributes`' `aria-describedby`. */
export function FieldError(props: { form: FormState | undefined; field: string }) {
  const error = props.form?.errors[props.field]
  return error ? (
    <p id={`${props.field}-error`} class="err">
      {error}
    </p>
  ) : null
}

/**
 * Every IANA time zone as `<option>`s, `first` (a community's own) at the top. An option's value
 * is its text, so the list is written once (some 400 zones).
 */
export function TimeZoneOptions(props: { first: string; selected: string }) {
  return (
    <>
      {timeZoneChoices(props.first).map((zone) => (
        <option selected={zone === props.selected}>{zone}</option>
      ))}
    </>
  )
}
