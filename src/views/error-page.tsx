import { Layout, type PageProps } from './layout'

/** The friendly page a person gets instead of an error: what happened and what to do. */
export function ErrorPage(props: PageProps & { title: string; text: string }) {
  return (
    <Layout lang={props.lang} nonce={props.nonce} title={props.title}>
      <div class="card err">
        <h1>{props.title}</h1>
        <p class="muted">{props.text}</p>
      </div>
    </Layout>
  )
}
