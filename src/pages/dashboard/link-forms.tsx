import { z } from 'zod'
import type { Group, Invite } from '../../db/schema'
import { CODE_MAX_LENGTH, CODE_MIN_LENGTH, CODE_PATTERN, customCodeProblem } from '../../lib/codes'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { idPattern } from '../../lib/ids'
import { addDays } from '../../lib/time'
import { CustomCodeSchema, InviteLabelSchema, TagSchema } from '../../schemas/invites'
import { wallClockToUtc } from '../../lib/time'
import { formText } from './page'
import type { Lang } from '../../lib/i18n'
import { formatNumber } from '../../lib/i18n'
import { Csrf, DiscussionGroupOptions, words } from '../../views/dashboard'
import { fieldAttributes, sentText, type FormState } from '../../views/form-fields'

/** The fields a link's form may send, for the new-link and the edit form alike. */
export const LINK_FIELDS = [
  'label',
  'source',
  'campaign',
  'groupId',
  'maxUses',
  'validUntil',
  'code',
] as const

/** A link form sent back refused, with the status the page answers with. */
export interface LinkFormState extends FormState {
  status: 400 | 409
}

/** The day a link is valid until (inclusive), on the community's calendar: `expiresAt` less 1 ms. */
export function validUntilDay(expiresAt: Date | null, timeZone: string): string {
  if (!expiresAt) return ''
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(expiresAt.getTime() - 1))
}

/** A link's settings as a form's starting values. */
export function linkFormValues(invite: Invite, timeZone: string): FormState['values'] {
  return {
    label: invite.label ?? '',
    source: invite.source ?? '',
    campaign: invite.campaign ?? '',
    groupId: invite.groupId ?? '',
    maxUses: invite.maxUses === null ? '' : String(invite.maxUses),
    validUntil: validUntilDay(invite.expiresAt, timeZone),
    code: invite.code,
  }
}

/**
 * A link's settings as fields. `prefix` keeps ids apart when a page has two such forms;
 * `editing` is the link being edited (its uses bound the maximum, its code is changed with care).
 */
function LinkFields(props: {
  lang: Lang
  form: FormState | undefined
  groups: Group[]
  prefix: string
  editing?: Invite
  only?: readonly (typeof LINK_FIELDS)[number][]
}) {
  const t = words(props.lang)
  const { form, prefix, editing } = props
  const shown = (field: (typeof LINK_FIELDS)[number]) => !props.only || props.only.includes(field)
  const id = (field: string) => `${prefix}${field}`
  // Ids of messages and hints carry the prefix too, so two forms on a page never share one.
  const attrs = (field: string, options: { withValue?: boolean; hint?: boolean } = {}) => {
    const base = fieldAttributes(form, field, { withValue: options.withValue })
    const error = form?.errors[field]
    const describedBy = [options.hint && `${id(field)}-hint`, error && `${id(field)}-error`]
      .filter(Boolean)
      .join(' ')
    return { ...base, 'aria-describedby': describedBy || undefined }
  }
  const Error = (p: { field: string }) =>
    form?.errors[p.field] ? (
      <p id={`${id(p.field)}-error`} class="err">
        {form.errors[p.field]}
      </p>
    ) : null
  const text = (field: 'label' | 'source' | 'campaign', label: string, max: number, ph?: string) =>
    shown(field) && (
      <div>
        <label for={id(field)}>{label}</label>
        <input id={id(field)} name={field} maxlength={max} placeholder={ph} {...attrs(field)} />
        <Error field={field} />
      </div>
    )
  return (
    <div class="grid">
      {text('label', prefix === 'copy-' ? t.copyLabel : t.label, 100, t.labelPlaceholder)}
      {text('source', t.source, 64, 'instagram')}
      {text('campaign', t.campaign, 64)}
      {shown('groupId') && (
        <div>
          <label for={id('groupId')}>{t.group}</label>
          <select id={id('groupId')} name="groupId" {...attrs('groupId', { withValue: false })}>
            <option value="">{t.wholeCommunity}</option>
            <DiscussionGroupOptions groups={props.groups} selected={sentText(form, 'groupId')} />
          </select>
          <Error field="groupId" />
        </div>
      )}
      {shown('maxUses') && (
        <div>
          <label for={id('maxUses')}>{t.maxUses}</label>
          <input
            id={id('maxUses')}
            name="maxUses"
            type="number"
            min={Math.max(1, editing?.uses ?? 1)}
            {...attrs('maxUses', { hint: true })}
          />
          <div id={`${id('maxUses')}-hint`} class="muted">
            {t.maxUsesHint}
            {editing && editing.uses > 0
              ? ` ${t.maxUsesAtLeast(formatNumber(props.lang, editing.uses))}`
              : ''}
          </div>
          <Error field="maxUses" />
        </div>
      )}
      {shown('validUntil') && (
        <div>
          <label for={id('validUntil')}>{t.validUntil}</label>
          <input
            id={id('validUntil')}
            name="validUntil"
            type="date"
            {...attrs('validUntil', { hint: true })}
          />
          <div id={`${id('validUntil')}-hint`} class="muted">
            {t.validUntilHint}
          </div>
          <Error field="validUntil" />
        </div>
      )}
      {shown('code') && (
        <div>
          <label for={id('code')}>{t.customCode}</label>
          <input
            id={id('code')}
            name="code"
            minlength={CODE_MIN_LENGTH}
            maxlength={CODE_MAX_LENGTH}
            pattern={CODE_PATTERN.source.slice(1, -1)}
            autocapitalize="none"
            spellcheck={false}
            placeholder={t.customCodePlaceholder}
            {...attrs('code', { hint: true })}
          />
          <div id={`${id('code')}-hint`} class="muted">
            {editing ? t.codeChangeHint : t.customCodeHint}
          </div>
          <Error field="code" />
        </div>
      )}
    </div>
  )
}

/**
 * The new-link form behind a "New link" button at the top of the overview: a `<details>`, so
 * it opens without script, and stays open when the form comes back refused.
 */
export function NewLinkForm(props: {
  lang: Lang
  action: string
  csrf: string
  groups: Group[]
  form: FormState | undefined
}) {
  const t = words(props.lang)
  return (
    <details id="new-link" class="new-link" open={Boolean(props.form)}>
      <summary class="button">{t.newLink}</summary>
      <form method="post" action={props.action}>
        <Csrf token={props.csrf} />
        <h2 class="spaced">{t.newLink}</h2>
        <LinkFields lang={props.lang} form={props.form} groups={props.groups} prefix="" />
        <p>
          <button type="submit">{t.create}</button>
        </p>
      </form>
    </details>
  )
}

/** A link's edit form, its copy for another channel, and archive or restore. */
export function ManageLink(props: {
  lang: Lang
  invite: Invite
  timeZone: string
  csrf: string
  groups: Group[]
  edit: FormState | undefined
  copy: FormState | undefined
  actionPath: (action: string) => string
}) {
  const t = words(props.lang)
  const { invite } = props
  const edit = props.edit ?? { values: linkFormValues(invite, props.timeZone), errors: {} }
  return (
    <>
      <section id="edit">
        <h2>{t.editLink}</h2>
        <form method="post" action={props.actionPath('edit')}>
          <Csrf token={props.csrf} />
          <LinkFields
            lang={props.lang}
            form={edit}
            groups={props.groups}
            prefix="edit-"
            editing={invite}
          />
          <p>
            <button type="submit">{t.save}</button>
          </p>
        </form>
      </section>
      <section id="duplicate">
        <h2>{t.duplicate}</h2>
        <p class="muted">{t.duplicateHint}</p>
        <form method="post" action={props.actionPath('duplicate')}>
          <Csrf token={props.csrf} />
          <LinkFields
            lang={props.lang}
            form={props.copy ?? { values: { label: invite.label ?? '' }, errors: {} }}
            groups={props.groups}
            prefix="copy-"
            only={['source', 'label', 'code']}
          />
          <p>
            <button type="submit">{t.duplicateButton}</button>
          </p>
        </form>
      </section>
      <section id="archive">
        {invite.archivedAt && <p>{t.archivedNote}</p>}
        <form method="post" action={props.actionPath(invite.archivedAt ? 'restore' : 'archive')}>
          <Csrf token={props.csrf} />
          <button type="submit" class="secondary">
            {invite.archivedAt ? t.restore : t.archive}
          </button>
        </form>
      </section>
    </>
  )
}

const LinkFormSchema = z.object({
  label: InviteLabelSchema.optional(),
  source: TagSchema.optional(),
  campaign: TagSchema.optional(),
  groupId: z.string().regex(idPattern('grp')).optional(),
  maxUses: z.coerce.number().int().min(1).max(1_000_000).optional(),
  validUntil: z.iso.date().optional(),
  code: CustomCodeSchema.optional(),
})

/** What a link form asks for: an empty field clears a setting (`null`), a missing one keeps it. */
export type LinkFormInput = {
  label?: string | null
  source?: string | null
  campaign?: string | null
  groupId?: string | null
  maxUses?: number | null
  expiresAt?: Date | null
  code?: string
}

/**
 * Reads a link form in the words of its page. `current` is the link being edited: fields left
 * as they were are not sent on (an expiry already past stays, the code stays), and an empty
 * code keeps the link's code.
 */
export function parseLinkForm(
  lang: Lang,
  form: Record<string, unknown>,
  fields: readonly (typeof LINK_FIELDS)[number][],
  options: { timeZone: string; now: Date; current?: Invite },
): { values: FormState['values']; input?: LinkFormInput; errors?: FieldMessages } {
  const t = words(lang)
  const values: FormState['values'] = Object.fromEntries(
    fields.map((key) => [key, formText(form, key)]),
  )
  const parsed = LinkFormSchema.safeParse(values)
  if (!parsed.success) {
    const errors = fieldMessages(lang, parsed.error.issues)
    // The code's own rules, said in the page's language.
    const problem = typeof values.code === 'string' ? customCodeProblem(values.code) : null
    if (problem) errors.code = t.codeProblems[problem]
    return { values, errors }
  }
  const data = parsed.data
  const { current, timeZone, now } = options
  const input: LinkFormInput = {}
  for (const key of ['label', 'source', 'campaign', 'groupId'] as const) {
    if (fields.includes(key)) input[key] = data[key] ?? null
  }
  if (fields.includes('maxUses')) input.maxUses = data.maxUses ?? null
  if (data.code && data.code !== current?.code) input.code = data.code
  if (fields.includes('validUntil')) {
    const unchanged =
      current && (data.validUntil ?? '') === validUntilDay(current.expiresAt, timeZone)
    if (!unchanged) {
      // Valid through the chosen day: the link ends at the next midnight, the community's.
      const end = data.validUntil
        ? wallClockToUtc(`${addDays(data.validUntil, 1)}T00:00`, timeZone)
        : null
      if (end && end.getTime() <= now.getTime())
        return { values, errors: { validUntil: t.inThePast } }
      input.expiresAt = end
    }
  }
  return { values, input }
}

/**
 * A service's refusal of a link form, as messages next to its fields: a code taken, a maximum
 * below the uses so far (both 409), or a rule only the service checks, such as a group of
 * another community. Null for any other error.
 */
export function linkFormRefusal(
  lang: Lang,
  error: unknown,
): { fields: FieldMessages; status: 400 | 409 } | null {
  if (!(error instanceof ApiError)) return null
  const t = words(lang)
  if (error.code === 'code_taken') return { fields: { code: t.codeProblems.taken }, status: 409 }
  if (error.code === 'max_uses_below_uses') {
    const uses = /\d+/.exec(error.errors?.[0]?.message ?? '')?.[0] ?? '?'
    return { fields: { maxUses: t.maxUsesAtLeast(uses) }, status: 409 }
  }
  if (error.code !== 'validation_failed') return null
  const fields = (error.errors ?? []).flatMap((e) =>
    LINK_FIELDS.filter(
      (name) => name === e.path || (name === 'validUntil' && e.path === 'expiresAt'),
    ),
  )
  if (fields.length === 0) return null
  return { fields: Object.fromEntries(fields.map((field) => [field, t.checkField])), status: 400 }
}
