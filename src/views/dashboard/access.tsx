import { TEAM_WORDS, type Lang } from '../../lib/i18n'
import { Shell } from './shell'

/** One community the signed-in address may open, as the chooser lists it. */
export interface AccessChoice {
  tokenId: string
  communityName: string
  role: 'owner' | 'community_admin' | 'group_admin'
}

/** Behind Cloudflare Access, an address on several communities' teams picks one. */
export function AccessChooserPage(props: {
  lang: Lang
  nonce: string
  email: string
  action: string
  next: string
  choices: AccessChoice[]
}) {
  const tt = TEAM_WORDS[props.lang]
  return (
    <Shell lang={props.lang} nonce={props.nonce} title={tt.accessChooseTitle}>
      <section class="narrow">
        <h1>{tt.accessChooseTitle}</h1>
        <p>{tt.accessChooseText(props.email)}</p>
        <ul>
          {props.choices.map((choice) => (
            <li>
              <form method="post" action={props.action}>
                <input type="hidden" name="tokenId" value={choice.tokenId} />
                <input type="hidden" name="next" value={props.next} />
                <bdi id={`choice-${choice.tokenId}`}>{choice.communityName}</bdi>{' '}
                {choice.role !== 'owner' && <span class="muted">({tt.roles[choice.role]})</span>}{' '}
                {/* Every button reads the same; moving from button to button, a screen reader
                    says which community each one opens. */}
                <button type="submit" aria-describedby={`choice-${choice.tokenId}`}>
                  {tt.accessChooseButton}
                </button>
              </form>
            </li>
          ))}
        </ul>
      </section>
    </Shell>
  )
}

/** Behind Cloudflare Access, an address that is on no team: whom to ask. */
export function AccessRefusedPage(props: { lang: Lang; nonce: string; email: string }) {
  const tt = TEAM_WORDS[props.lang]
  return (
    <Shell lang={props.lang} nonce={props.nonce} title={tt.accessNoneTitle}>
      <section class="narrow">
        <h1>{tt.accessNoneTitle}</h1>
        <p>{tt.accessNoneText(props.email)}</p>
      </section>
    </Shell>
  )
}
