import { formatNumber, UNCONFIRMED_WORDS, type Lang } from '../../lib/i18n'
import { formatMoment } from '../../lib/time'
import type { JoinRequestListing } from '../../services/join-requests'
import { FieldError, TextField, type FormState } from '../form-fields'
import { NameWithContacts } from './frame'
import { Csrf, words } from './shell'

/** What the approvals page shows of the sign-ups waiting for their owner to confirm. */
export interface UnconfirmedView {
  lang: Lang
  communityId: string
  timeZone: string
  csrf: string
  /** The oldest of them, the first to expire. */
  signUps: JoinRequestListing[]
  /** Whether there are more than `signUps`. */
  more: boolean
  /** Whether the community asks for a double opt-in now (the part shows even when none wait). */
  asked: boolean
  /** Whether this admin may record consent (`joinRequests.decide`). */
  decide: boolean
  actionPath: (path: string) => string
  /**
   * A record sent back: whose form, the form as sent, and, when the sign-up is no longer listed
   * (it expired, no longer waits, or went on to the requests above because its group is full),
   * what became of it, said above the list.
   */
  refused: { requestId: string; form: FormState; gone?: string } | undefined
}

/**
 * Sign-ups a double opt-in holds until their owner confirms: nobody decides on them and nothing
 * is sent to them. An admin holding proof of consent records it here, as with the API's
 * `POST /join-requests/{id}/confirm`. Nothing at all where the community asks for no
 * confirmation and none are left from when it did.
 */
export function UnconfirmedSignUps(props: UnconfirmedView) {
  const l = props.lang
  const u = UNCONFIRMED_WORDS[l]
  const t = words(l)
  if (!props.asked && props.signUps.length === 0) return null
  return (
    <section id="unconfirmed">
      <h2>{u.heading}</h2>
      <p class="muted">{u.text}</p>
      {props.refused?.gone && (
        // Where the refused form's address leads (`#consent-…`): its row is no longer listed.
        <p id={`consent-${props.refused.requestId}`} class="err" role="alert">
          {props.refused.gone}
        </p>
      )}
      {props.signUps.length === 0 ? (
        <p class="muted">{u.none}</p>
      ) : (
        <table class="cards">
          <thead>
            <tr>
              <th>{t.name}</th>
              <th>{t.signedUpAt}</th>
              <th>{u.expires}</th>
              {props.decide && <th>{u.column}</th>}
            </tr>
          </thead>
          <tbody>
            {props.signUps.map((signUp) => (
              <tr>
                <td data-label={t.name}>
                  <NameWithContacts of={signUp} />
                </td>
                <td data-label={t.signedUpAt}>
                  <time datetime={signUp.createdAt.toISOString()}>
                    {formatMoment(l, signUp.createdAt, props.timeZone)}
                  </time>
                </td>
                <td data-label={u.expires}>
                  <time datetime={signUp.confirmExpiresAt!.toISOString()}>
                    {formatMoment(l, signUp.confirmExpiresAt!, props.timeZone)}
                  </time>
                </td>
                {props.decide && (
                  <td data-label={u.column}>
                    <ConsentForm
                      {...props}
                      signUp={signUp}
                      form={props.refused?.requestId === signUp.id ? props.refused.form : undefined}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.more && <p class="muted">{u.firstShown(formatNumber(l, props.signUps.length))}</p>}
    </section>
  )
}

/**
 * One sign-up's record of consent: the proof's text and, when it gave a number and an address,
 * which of them the proof covers (a proof confirms only what it names).
 */
function ConsentForm(
  props: UnconfirmedView & { signUp: JoinRequestListing; form: FormState | undefined },
) {
  const u = UNCONFIRMED_WORDS[props.lang]
  const { signUp, form } = props
  // Ids of their own per row: the page has one such form for each sign-up.
  const prefix = `${signUp.id}-`
  const both = signUp.phone !== null && signUp.email !== null
  const ticked = form?.values.contacts
  const anchor = `consent-${signUp.id}`
  return (
    <form
      id={anchor}
      method="post"
      // Refused, the page comes back here rather than at its top, a screen above on a phone.
      action={`${props.actionPath(
        `/admin/communities/${props.communityId}/approvals/${signUp.id}/consent`,
      )}#${anchor}`}
    >
      <Csrf token={props.csrf} />
      <TextField
        form={form}
        field="proof"
        id={`${prefix}proof`}
        prefix={prefix}
        label={u.proof}
        hint={u.proofHint}
        class="wide"
        required
        maxlength={200}
        autocomplete="off"
        autofocus={form?.errors.proof !== undefined}
      />
      {both && (
        <fieldset
          class="repeat"
          aria-describedby={form?.errors.contacts ? `${prefix}contacts-error` : undefined}
        >
          <legend>{u.covers}</legend>
          <FieldError form={form} field="contacts" prefix={prefix} />
          <div class="choices">
            {(['phone', 'email'] as const).map((contact, i) => (
              <label class="plain">
                <input
                  type="checkbox"
                  name="contacts"
                  value={contact}
                  checked={[ticked ?? []].flat().includes(contact)}
                  autofocus={i === 0 && form?.errors.contacts !== undefined}
                />{' '}
                {u[contact]}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <p>
        <button type="submit" class="secondary">
          {u.record}
        </button>
      </p>
    </form>
  )
}
