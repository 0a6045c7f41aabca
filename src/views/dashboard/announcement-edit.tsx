import type { Group } from '../../db/schema'
import { ANNOUNCEMENT_EDIT_WORDS, type Lang } from '../../lib/i18n'
import { RefusedSummary } from './refused-summary'
import { words } from './shell'
import { ComposeForm, type ComposeBasis, type ComposeState } from './announcement-form'

/** What the page that changes a scheduled announcement shows, read and decided by its handler. */
export interface AnnouncementEditView {
  lang: Lang
  community: { id: string; name: string; timeZone: string }
  /** The community's announcements, in the page's language. */
  listHref: string
  /** Why the form came back unsaved, when it was not for a field of its own. */
  held: string | undefined
  form: {
    action: string
    csrf: string
    groups: Group[]
    sent: ComposeState
    basis: ComposeBasis
  }
}

/** A scheduled announcement's compose form, filled with it, under the way back to the list. */
export function AnnouncementEditPage(props: AnnouncementEditView) {
  const { community, form } = props
  return (
    <>
      <p>
        <a href={props.listHref}>
          ← <bdi>{community.name}</bdi>: {words(props.lang).announcements}
        </a>
      </p>
      <h1>{ANNOUNCEMENT_EDIT_WORDS[props.lang].title}</h1>
      {props.held && (
        <p class="err" role="alert">
          {props.held}
        </p>
      )}
      <RefusedSummary lang={props.lang} forms={[{ form: form.sent.form }]} />
      <section>
        <ComposeForm
          lang={props.lang}
          action={form.action}
          csrf={form.csrf}
          groups={form.groups}
          communityZone={community.timeZone}
          sent={form.sent}
          basis={form.basis}
        />
      </section>
    </>
  )
}
