import type { Lang } from '../../lib/i18n'
import type { FormState } from '../form-fields'
import { words } from './shell'

/** A form of the page, as sent back, and where each of its fields is. */
export interface RefusedForm {
  form: FormState | undefined
  /** The id of a field's control on the page: the field's name unless the form says otherwise. */
  idOf?: (field: string) => string
}

/**
 * A page sent back with a refused form opens at its top, and the form may sit screens further
 * down (on a phone, thousands of pixels): the top says so and links to each refused field, with
 * its message. Nothing when no form was refused.
 */
export function RefusedSummary(props: { lang: Lang; forms: RefusedForm[] }) {
  const fields = props.forms.flatMap(({ form, idOf = (field: string) => field }) =>
    Object.entries(form?.errors ?? {})
      // An item of a list is named with the list as well (`answers.1`, `answers`): one link.
      .filter(([field]) => !field.includes('.'))
      .map(([field, message]) => ({ id: idOf(field), message })),
  )
  if (fields.length === 0) return null
  return (
    <div class="err" role="alert">
      <p>{words(props.lang).notSavedCheck}</p>
      <ul>
        {fields.map((field) => (
          <li>
            <a href={`#${field.id}`}>{field.message}</a>
          </li>
        ))}
      </ul>
    </div>
  )
}
