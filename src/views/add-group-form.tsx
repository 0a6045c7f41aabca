import { TEAM_WORDS, type Lang } from '../lib/i18n'
import { Csrf } from './dashboard'
import { FieldError, fieldAttributes, sentText, type FormState } from './form-fields'

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
        <div>
          <label for="group-name">{tt.groupName}</label>
          <input
            id="group-name"
            name="name"
            required
            maxlength={100}
            value={sentText(form, 'name')}
            {...fieldAttributes(form, 'name', { withValue: false })}
          />
          <FieldError form={form} field="name" />
        </div>
        <div>
          <label for="group-chat">{tt.chatInviteUrl}</label>
          <input
            id="group-chat"
            name="chatInviteUrl"
            type="url"
            placeholder="https://"
            value={sentText(form, 'chatInviteUrl')}
            {...fieldAttributes(form, 'chatInviteUrl', { withValue: false })}
          />
          <FieldError form={form} field="chatInviteUrl" />
        </div>
      </div>
      <p>
        <button type="submit">{tt.addGroupButton}</button>
      </p>
    </form>
  )
}
