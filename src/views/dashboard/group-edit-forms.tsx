import type { Group } from '../../db/schema'
import { formatNumber, TEAM_WORDS, type Lang } from '../../lib/i18n'
import { maxMemberLimit } from '../../lib/limits'
import {
  Field,
  fieldAttributes,
  sentText,
  TextArea,
  TextField,
  type FormState,
} from '../form-fields'
import { WithUserText } from '../layout'
import { Csrf, groupLabel, words } from './shell'

/** A group's form sent back after a refusal: which group, and what was typed. */
export interface RefusedGroupEdit {
  groupId: string
  form: FormState
}

const FIELD_IDS: Record<string, string> = {
  name: 'group-name',
  description: 'group-description',
  chatInviteUrl: 'chat-link',
  memberLimit: 'member-limit',
}

/**
 * The id of a group's field, which a refusal's summary links to: apart from the new group's
 * fields and every other group's on the same page.
 */
export function groupFieldId(groupId: string, field: string): string {
  return `${FIELD_IDS[field] ?? field}-${groupId}`
}

/**
 * Each group's name, description, where joining it leads (its chat's own invite link) and how
 * many members it takes: one small form per group this admin may change. The announcement group's has its link only: the
 * dashboard names it by its role and the invite page in each reader's language (its name and
 * description as it came are English words no German page should show), so a name or
 * description typed here would show nowhere an admin looks; the API still sets them.
 */
export function GroupEditForms(props: {
  lang: Lang
  csrf: string
  groups: Group[]
  actionFor: (groupId: string) => string
  refused: RefusedGroupEdit | undefined
}) {
  const tt = TEAM_WORDS[props.lang]
  const t = words(props.lang)
  return (
    <>
      <h3 id="edit-groups">{tt.editGroupsHeading}</h3>
      <p class="muted">{tt.editGroupsText}</p>
      {props.groups.map((group) => {
        const form = props.refused?.groupId === group.id ? props.refused.form : undefined
        const id = (field: string) => groupFieldId(group.id, field)
        // Each form's messages apart from the other groups' on the page.
        const prefix = `group-${group.id}-`
        const announcement = group.kind === 'announcement'
        const label = (sentence: (group: string) => string) => (
          <WithUserText sentence={sentence} value={groupLabel(t, group)} />
        )
        return (
          <form method="post" action={props.actionFor(group.id)}>
            <Csrf token={props.csrf} />
            <div class="grid">
              {!announcement && (
                <TextField
                  form={form}
                  field="name"
                  id={id('name')}
                  prefix={prefix}
                  label={label(tt.groupNameOf)}
                  required
                  maxlength={100}
                  value={sentText(form, 'name', group.name)}
                />
              )}
              <TextField
                form={form}
                field="chatInviteUrl"
                id={id('chatInviteUrl')}
                prefix={prefix}
                label={label(tt.chatLinkOf)}
                type="url"
                placeholder="https://"
                value={sentText(form, 'chatInviteUrl', group.chatInviteUrl ?? '')}
              />
              <TextField
                form={form}
                field="memberLimit"
                id={id('memberLimit')}
                prefix={prefix}
                label={label(tt.memberLimitOf)}
                hint={tt.memberLimitHint(
                  formatNumber(props.lang, group.memberCount),
                  formatNumber(props.lang, maxMemberLimit(group.kind)),
                )}
                type="number"
                required
                min={1}
                max={maxMemberLimit(group.kind)}
                value={sentText(form, 'memberLimit', String(group.memberLimit))}
              />
            </div>
            {!announcement && (
              <Field
                form={form}
                field="description"
                id={id('description')}
                prefix={prefix}
                label={label(tt.groupDescriptionOf)}
                bare
              >
                <TextArea
                  id={id('description')}
                  name="description"
                  rows={2}
                  maxlength={500}
                  {...fieldAttributes(form, 'description', { withValue: false, prefix })}
                  text={sentText(form, 'description', group.description)}
                />
              </Field>
            )}
            <p>
              <button type="submit" class="secondary">
                {t.save}
              </button>
            </p>
          </form>
        )
      })}
    </>
  )
}
