import { TEAM_WORDS, type Lang } from '../lib/i18n'
import { Csrf } from './dashboard/shell'
import { sentText, TextField, type FormState } from './form-fields'

/** The ids of the form's fields: apart from the community form's `name` on the same page. */
export const ADD_GROUP_FIELD_IDS: Record<string, string> = {
  name: 'group-name',
  chatInviteUrl: 'group-chat',
}

/** The form on a community's settings page; after a refusal, as it was sent. */
export function AddGroupForm(props: {
  lang: Lang
  csrf: string
  action: string
  form?: FormState
}) {
  const tt = TEAM_WORDS[props.lang]
  const { form } = props
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.csrf} />
      <h3>{tt.addGroup}</h3>
      <div class="grid">
        <TextField
          form={form}
          field="name"
          id={ADD_GROUP_FIELD_IDS.name}
          label={tt.groupName}
          required
          maxlength={100}
          value={sentText(form, 'name')}
        />
        <TextField
          form={form}
          field="chatInviteUrl"
          id={ADD_GROUP_FIELD_IDS.chatInviteUrl}
          label={tt.chatInviteUrl}
          type="url"
          placeholder="https://"
          value={sentText(form, 'chatInviteUrl')}
        />
      </div>
      <p>
        <button type="submit">{tt.addGroupButton}</button>
      </p>
    </form>
  )
}
