import { MESSAGES } from '../lib/i18n'
import { Layout, type PageProps, WithUserText } from './layout'

/**
 * The friendly page a person gets instead of an error: what happened and what to do, and where
 * there is a place to go back to (the dashboard), a way there.
 */
export function ErrorPage(
  props: PageProps & {
    title: string
    text: string
    back?: { href: string; label: string }
    /** For an invite link that no longer works: the community it was for, named above why. */
    community?: string
  },
) {
  return (
    <Layout lang={props.lang} nonce={props.nonce} switchHref={props.switchHref} title={props.title}>
      <div class="card err">
        <h1>{props.title}</h1>
        {props.community && (
          <p>
            <WithUserText sentence={MESSAGES[props.lang].goneInviteTo} value={props.community} />
          </p>
        )}
        <p class="muted">{props.text}</p>
        {props.back && (
          <a class="cta" href={props.back.href}>
            {props.back.label}
          </a>
        )}
      </div>
    </Layout>
  )
}
