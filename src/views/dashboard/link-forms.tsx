import type { Group, Invite } from '../../db/schema'
import { CODE_MAX_LENGTH, CODE_MIN_LENGTH, CODE_PATTERN } from '../../lib/codes'
import { formatNumber, LINK_FALLBACK_WORDS, LINKS_BULK_WORDS, type Lang } from '../../lib/i18n'
import type { FallbackChoice } from '../../services/link-fallbacks'
import { calendarDay } from '../../lib/time'
import { Csrf, DiscussionGroupOptions, words } from './shell'
import { Field, fieldAttributes, sentText, TextField, type FormState } from '../form-fields'

/** The fields a link's form may send, for the new-link and the edit form alike. */
export const LINK_FIELDS = [
  'label',
  'source',
  'campaign',
  'groupId',
  'maxUses',
  'validUntil',
  'fallbackInviteId',
  'code',
] as const

/** The day a link is valid until (inclusive), on the community's calendar: `expiresAt` less 1 ms. */
export function validUntilDay(expiresAt: Date | null, timeZone: string): string {
  return expiresAt ? calendarDay(new Date(expiresAt.getTime() - 1), timeZone) : ''
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
    fallbackInviteId: invite.fallbackInviteId ?? '',
    code: invite.code,
  }
}

/**
 * A link's settings as fields. `prefix` keeps ids apart when a page has two such forms;
 * `editing` is the link being edited (its uses bound the maximum, its code is changed with care).
 */
/** Sources and campaigns links carry already, offered as a field's suggestions. */
export interface KnownTags {
  source: string[]
  campaign: string[]
}

export function LinkFields(props: {
  lang: Lang
  form: FormState | undefined
  groups: Group[]
  prefix: string
  editing?: Invite
  only?: readonly (typeof LINK_FIELDS)[number][]
  known?: KnownTags
  /** The links it may lead on to once it has ended: given, the form offers the choice. */
  fallbacks?: FallbackChoice[]
}) {
  const t = words(props.lang)
  const { form, prefix, editing } = props
  const shown = (field: (typeof LINK_FIELDS)[number]) => !props.only || props.only.includes(field)
  const id = (field: string) => `${prefix}${field}`
  const text = (
    field: 'label' | 'source' | 'campaign',
    label: string,
    max: number,
    ph?: string,
  ) => {
    const known = field === 'label' ? [] : (props.known?.[field] ?? [])
    return (
      shown(field) && (
        <>
          <TextField
            form={form}
            field={field}
            id={id(field)}
            prefix={prefix}
            label={label}
            maxlength={max}
            placeholder={ph}
            list={known.length > 0 ? id(`${field}-known`) : undefined}
            autocomplete={known.length > 0 ? 'off' : undefined}
          />
          {known.length > 0 && (
            <datalist id={id(`${field}-known`)}>
              {known.map((value) => (
                <option value={value} />
              ))}
            </datalist>
          )}
        </>
      )
    )
  }
  return (
    <div class="grid fields">
      {text('label', prefix === 'copy-' ? t.copyLabel : t.label, 100, t.labelPlaceholder)}
      {text('source', t.source, 64, 'instagram')}
      {text('campaign', t.campaign, 64)}
      {shown('groupId') && (
        <Field form={form} field="groupId" id={id('groupId')} prefix={prefix} label={t.group} wide>
          <select
            id={id('groupId')}
            name="groupId"
            {...fieldAttributes(form, 'groupId', { withValue: false, prefix })}
          >
            <option value="">{t.wholeCommunity}</option>
            <DiscussionGroupOptions groups={props.groups} selected={sentText(form, 'groupId')} />
          </select>
        </Field>
      )}
      {shown('maxUses') && (
        <TextField
          form={form}
          field="maxUses"
          id={id('maxUses')}
          prefix={prefix}
          label={t.maxUses}
          hint={
            t.maxUsesHint +
            (editing && editing.uses > 0
              ? ` ${t.maxUsesAtLeast(formatNumber(props.lang, editing.uses))}`
              : '')
          }
          type="number"
          min={Math.max(1, editing?.uses ?? 1)}
        />
      )}
      {shown('validUntil') && (
        <TextField
          form={form}
          field="validUntil"
          id={id('validUntil')}
          prefix={prefix}
          label={t.validUntil}
          hint={t.validUntilHint}
          type="date"
        />
      )}
      {shown('fallbackInviteId') && props.fallbacks && props.fallbacks.length > 0 && (
        <FallbackField lang={props.lang} form={form} prefix={prefix} fallbacks={props.fallbacks} />
      )}
      {shown('code') && (
        <TextField
          form={form}
          field="code"
          id={id('code')}
          prefix={prefix}
          label={t.customCode}
          hint={editing ? t.codeChangeHint : t.customCodeHint}
          minlength={CODE_MIN_LENGTH}
          maxlength={CODE_MAX_LENGTH}
          pattern={CODE_PATTERN.source.slice(1, -1)}
          autocapitalize="none"
          spellcheck={false}
          placeholder={t.customCodePlaceholder}
        />
      )}
    </div>
  )
}

/** Where the link's page leads people once it has expired or is used up: one of `fallbacks`. */
function FallbackField(props: {
  lang: Lang
  form: FormState | undefined
  prefix: string
  fallbacks: FallbackChoice[]
}) {
  const w = LINK_FALLBACK_WORDS[props.lang]
  const t = words(props.lang)
  const { form, prefix } = props
  const id = `${prefix}fallbackInviteId`
  const selected = sentText(form, 'fallbackInviteId')
  return (
    <Field
      form={form}
      field="fallbackInviteId"
      id={id}
      prefix={prefix}
      label={w.label}
      hint={w.hint}
      wide
    >
      <select
        id={id}
        name="fallbackInviteId"
        {...fieldAttributes(form, 'fallbackInviteId', {
          withValue: false,
          prefix,
          hint: `${id}-hint`,
        })}
      >
        <option value="">{w.none}</option>
        {props.fallbacks.map((link) => (
          <option value={link.id} selected={link.id === selected}>
            {link.label ?? `/i/${link.code}`}
            {link.status !== 'active' && ` (${t.inviteStatuses[link.status]})`}
          </option>
        ))}
      </select>
    </Field>
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
  /** The page that makes several links at once, offered under the one link's form. */
  bulkHref: string
  known?: KnownTags
}) {
  const t = words(props.lang)
  return (
    <details id="new-link" class="new-link" open={Boolean(props.form)}>
      <summary class="button">{t.newLink}</summary>
      <form method="post" action={props.action}>
        <Csrf token={props.csrf} />
        <h2 class="spaced">{t.newLink}</h2>
        <LinkFields
          lang={props.lang}
          form={props.form}
          groups={props.groups}
          prefix=""
          known={props.known}
        />
        <p>
          <button type="submit">{t.create}</button>
        </p>
      </form>
      <p>
        <a href={props.bulkHref}>{LINKS_BULK_WORDS[props.lang].heading}</a>
      </p>
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
  known: KnownTags
  /** The links it may lead on to; none for a member's own link, which never does. */
  fallbacks?: FallbackChoice[]
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
            known={props.known}
            fallbacks={props.fallbacks}
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
            known={props.known}
          />
          <p>
            <button type="submit">{t.duplicateButton}</button>
          </p>
        </form>
      </section>
      <section id="archive">
        {invite.archivedAt && <p>{t.archivedNote}</p>}
        <form
          method="post"
          action={props.actionPath(invite.archivedAt ? 'restore' : 'archive')}
          data-confirm={invite.archivedAt ? undefined : t.confirmArchive}
        >
          <Csrf token={props.csrf} />
          <button type="submit" class="secondary">
            {invite.archivedAt ? t.restore : t.archive}
          </button>
        </form>
      </section>
    </>
  )
}
