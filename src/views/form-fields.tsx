import type { Child, JSX } from 'hono/jsx'
import type { FieldMessages } from '../lib/field-errors'
import { timeZoneChoices, timeZoneLabel } from '../lib/time'
import { CURRENT_IANA_NAMES, TimeZoneSchema } from '../schemas/common'

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
 * `prefix` keeps the message's id apart when a page has two forms with the same fields.
 */
export function fieldAttributes(
  form: FormState | undefined,
  field: string,
  options: { withValue?: boolean; hint?: string; prefix?: string } = {},
) {
  const error = form?.errors[field]
  const describedBy = [options.hint, error && `${options.prefix ?? ''}${field}-error`]
    .filter(Boolean)
    .join(' ')
  const value = form?.values[field]
  return {
    ...(options.withValue === false || value === undefined ? {} : { value: String(value) }),
    ...(error ? { 'aria-invalid': 'true' } : {}),
    ...(describedBy ? { 'aria-describedby': describedBy } : {}),
  }
}

/** The message next to a refused field, named by `fieldAttributes`' `aria-describedby`. */
export function FieldError(props: { form: FormState | undefined; field: string; prefix?: string }) {
  const error = props.form?.errors[props.field]
  return error ? (
    <p id={`${props.prefix ?? ''}${props.field}-error`} class="err">
      {error}
    </p>
  ) : null
}

/** Where a field is and what it says: shared by `Field` and `TextField`. */
interface FieldProps {
  form: FormState | undefined
  /** The name the form sends. */
  field: string
  /** The control's id, `field` unless the page has another control of that name. */
  id?: string
  /** Before the message's id, when a page has two forms with the same fields. */
  prefix?: string
  label: Child
  /** A line under the control, which the control names as its description. */
  hint?: Child
  /** Left out, the field stands in a `<div>` of its own (a cell of a `grid`). */
  bare?: boolean
  /** That `<div>` spans its grid's row: a picker of long names is not cut to a narrow column. */
  wide?: boolean
}

/**
 * A labelled field: the label, the control (`children`, which takes its attributes from
 * `fieldAttributes`), its hint and, after a refusal, its message.
 */
export function Field(props: FieldProps & { children: Child }) {
  const id = props.id ?? props.field
  const parts = (
    <>
      <label for={id}>{props.label}</label>
      {props.children}
      {props.hint !== undefined && (
        <div id={`${id}-hint`} class="muted">
          {props.hint}
        </div>
      )}
      <FieldError form={props.form} field={props.field} prefix={props.prefix} />
    </>
  )
  return props.bare ? parts : <div class={props.wide ? 'wide' : undefined}>{parts}</div>
}

/**
 * A labelled `<input>` with its hint and message: the value as sent back after a refusal (or
 * `value` before one), marked invalid and described for screen readers. `describedBy` names a
 * hint written elsewhere on the page.
 */
export function TextField(
  props: FieldProps & { describedBy?: string } & Omit<
      JSX.IntrinsicElements['input'],
      'id' | 'form' | 'children'
    >,
) {
  const { form, field, id = field, prefix, label, hint, bare, wide, describedBy, ...input } = props
  const hintId = hint !== undefined ? `${id}-hint` : describedBy
  return (
    <Field
      form={form}
      field={field}
      id={id}
      prefix={prefix}
      label={label}
      hint={hint}
      bare={bare}
      wide={wide}
    >
      <input
        id={id}
        name={field}
        {...input}
        {...fieldAttributes(form, field, {
          hint: hintId,
          prefix,
          withValue: input.value === undefined,
        })}
      />
    </Field>
  )
}

/**
 * A `<textarea>` holding `text` as it is: HTML drops a line break right after the opening tag,
 * so one of ours goes first, and a text that begins with a blank line (a list whose refused
 * lines are named by number) comes back as it was sent.
 */
export function TextArea(
  props: Omit<JSX.IntrinsicElements['textarea'], 'children'> & { text: string },
) {
  const { text, ...attributes } = props
  return <textarea {...attributes}>{`\n${text}`}</textarea>
}

/**
 * Every IANA time zone as `<option>`s, `first` (a community's own) at the top, each named with
 * its offset from UTC today (some 400 zones; IANA's current names). A zone selected that the list lacks
 * (one the API took, such as `Etc/GMT+12`) is offered second, so a form shown with it sends it
 * back as it was rather than the first of the list.
 */
export function TimeZoneOptions(props: { first: string; selected: string }) {
  const zones = timeZoneChoices(props.first, CURRENT_IANA_NAMES)
  const now = new Date()
  if (!zones.includes(props.selected) && TimeZoneSchema.safeParse(props.selected).success) {
    zones.splice(1, 0, props.selected)
  }
  return (
    <>
      {zones.map((zone) => (
        <option value={zone} selected={zone === props.selected}>
          {timeZoneLabel(zone, now)}
        </option>
      ))}
    </>
  )
}
