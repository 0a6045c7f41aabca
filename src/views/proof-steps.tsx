import type { Community } from '../db/schema'
import { type Lang, type Messages } from '../lib/i18n'
import { formatMoment } from '../lib/time'
import { WithUserText } from './layout'

/** How a person proves the contacts of their sign-up: what the status page offers. */
export interface ConfirmationView {
  code: string | null
  /** The wa.me link with the prefilled message, and its QR code as an SVG data URL. */
  whatsappUrl: string | null
  whatsappQr: string | null
  /** The business sent a message with a button that confirms (`WHATSAPP_CONFIRM_TEMPLATE`). */
  whatsappSent: boolean
  /** True only when something sends the e-mail: the operator's mail system hears of it. */
  emailSent: boolean
  /** Where it goes: the address as typed, so that a typo shows before the wait for it does. */
  emailTo: string | null
  /** A contact waiting for its proof that nothing configured here can carry. */
  phoneUnavailable: boolean
  emailUnavailable: boolean
  /**
   * Until when the proof is taken: an unconfirmed sign-up's, or a single opt-in's for the
   * member's own links; null for a member's other contact, which may follow at any time.
   */
  expiresAt: Date | null
}

/** What the proof is for, in one sentence, then how to give it. */
export function ProofOffer(props: Parameters<typeof ProofSteps>[0] & { intro: string }) {
  const { intro, ...steps } = props
  return (
    <>
      <p>{intro}</p>
      <ProofSteps {...steps} />
    </>
  )
}

/**
 * How a contact is proven: the code to send from WhatsApp (with its link and QR code), what went
 * out, and until when.
 */
function ProofSteps(props: {
  t: Messages
  lang: Lang
  community: Community
  confirmation: ConfirmationView
}) {
  const { t, confirmation } = props
  return (
    <>
      {confirmation.whatsappUrl && confirmation.code && (
        <>
          <a class="cta" href={confirmation.whatsappUrl} rel="noopener noreferrer">
            {t.confirmWhatsAppButton}
          </a>
          {/* The code is no word of any language: isolated, and marked so. */}
          <p class="muted">
            <WithUserText sentence={t.confirmWhatsAppText} value={confirmation.code} />
          </p>
          <p class="code" lang="zxx" translate="no">
            {confirmation.code}
          </p>
          {/* For a computer or a tablet: a phone cannot scan its own screen, so it is left out. */}
          {confirmation.whatsappQr && (
            <div class="on-computer">
              <p class="muted">{t.confirmWhatsAppOnComputer}</p>
              <img
                class="qr"
                src={confirmation.whatsappQr}
                alt={t.confirmQrAlt}
                width="192"
                height="192"
              />
            </div>
          )}
        </>
      )}
      {confirmation.whatsappSent && <p>{t.confirmWhatsAppSentText}</p>}
      {confirmation.emailSent && confirmation.emailTo && (
        <p>
          <WithUserText sentence={t.confirmEmailText} value={confirmation.emailTo} />{' '}
          {t.confirmEmailWrongAddress}
        </p>
      )}
      {(confirmation.phoneUnavailable || confirmation.emailUnavailable) && (
        <p>{confirmInstead(t, confirmation)}</p>
      )}
      {confirmation.expiresAt && (
        <p class="muted small">
          {t.confirmUntil(
            formatMoment(props.lang, confirmation.expiresAt, props.community.timeZone, {
              zone: true,
            }),
          )}
        </p>
      )}
    </>
  )
}

/**
 * Said when a contact cannot be confirmed by anything configured here (no business number, no
 * mail system listening): that it cannot, and what the person can do instead.
 */
function confirmInstead(t: Messages, confirmation: ConfirmationView): string {
  const { phoneUnavailable, emailUnavailable } = confirmation
  const cannot =
    phoneUnavailable && emailUnavailable
      ? t.confirmNoWayText
      : phoneUnavailable
        ? t.confirmNoWhatsAppText
        : t.confirmNoEmailText
  const whatsappOffered = confirmation.whatsappUrl !== null || confirmation.whatsappSent
  const instead =
    !phoneUnavailable && whatsappOffered
      ? t.confirmInsteadWhatsAppText
      : !emailUnavailable && confirmation.emailSent
        ? t.confirmInsteadEmailText
        : t.confirmAskAdminsText
  return `${cannot} ${instead}`
}
