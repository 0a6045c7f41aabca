import type { Lang } from '../lib/i18n'
import { Layout } from './layout'

/** The friendly page a person gets instead of an error: what happened and what to do. */
export function ErrorPage(props: { lang: Lang; title: string; text: string }) {
  return (
    <Layout lang={props.lang} title={props.title}>
      <div class="card err">
        <h1>{props.title}</h1>
        <p class="muted">{props.text}</p>
      </div>
    </Layout>
  )
}
