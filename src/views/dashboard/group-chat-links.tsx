import type { Group } from '../../db/schema'
import { TEAM_WORDS, type Lang } from '../../lib/i18n'
import { sentText, TextField, type FormState } from '../form-fields'
import { WithUserText } from '../layout'
import { Csrf, groupLabel, words } from './shell'

/** A group's chat link form sent back after a refusal: which group, and what was typed. */
export interface RefusedChatLink {
  groupId: string
  form: FormState
}

/** The id of a group's chat link field, which a refusal's summary links to. */
export function chatLinkFieldId(groupId: string): string {
  return `chat-link-${groupId}`
}

/**
 * Where joining each group leads: its chat's own invite link, one small form per group this
 * admin may change (the announcement group's too, which its community made without one).
 */
export function GroupChatLinks(props: {
  lang: Lang
  csrf: string
  groups: Group[]
  actionFor: (groupId: string) => string
  refused: RefusedChatLink | undefined
}) {
  const tt = TEAM_WORDS[props.lang]
  const t = words(props.lang)
  return (
    <>
      <h3 id="where-joining-leads">{tt.chatLinksHeading}</h3>
      <p class="muted">{tt.chatLinksText}</p>
      {props.groups.map((group) => {
        const form = props.refused?.groupId === group.id ? props.refused.form : undefined
        const id = chatLinkFieldId(group.id)
        return (
          <form method="post" action={props.actionFor(group.id)}>
            <Csrf token={props.csrf} />
            <TextField
              form={form}
              field="chatInviteUrl"
              id={id}
              prefix={`${id}-`}
              label={<WithUserText sentence={tt.chatLinkOf} value={groupLabel(t, group)} />}
              type="url"
              placeholder="https://"
              value={sentText(form, 'chatInviteUrl', group.chatInviteUrl ?? '')}
            />
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
