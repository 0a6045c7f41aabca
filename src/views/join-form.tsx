import type { Community } from '../db/schema'
import type { FieldMessages } from '../lib/field-errors'
import { MESSAGES } from '../lib/i18n'
import { FieldError, fieldAttributes, TextArea, type FormState } from './form-fields'
import { Layout, type PageProps, WithUserText } from './layout'

export interface JoinFormProps extends PageProps {
  community: Community
  action: string
  csrfToken: string
  turnstileSiteKey?: string
  /** Whether announcements go out on WhatsApp: then only a phone number gets them. */
  newsByWhatsApp?: boolean
  /** What the person typed, when the form comes back with an error. */
  values?: {
    name?: string
    phone?: string
    email?: string
    answers?: string[]
    consent?: boolean
  }
  /** Above the form: what to do about it as a whole. */
  error?: string
  /** Next to each refused field (`answers.0` for the first answer), in the page's language. */
  errors?: FieldMessages
}

/** The form's id: its answers' language switch sends it again (`switchForm`). */
export const JOIN_FORM_ID = 'join'

/** The join form: plain HTML that works without JavaScript, with a honeypot for bots. */
export function JoinFormPage({
  lang,
  nonce,
  switchHref,
  switchForm,
  community,
  action,
  csrfToken,
  turnstileSiteKey,
  newsByWhatsApp,
  values,
  error,
  errors = {},
}: JoinFormProps) {
  const t = MESSAGES[lang]
  const closed = community.visibility === 'closed'
  // The field helpers take a form state; the values are rendered here, as the fields need them.
  const form: FormState = { values: {}, errors }
  return (
    <Layout
      lang={lang}
      nonce={nonce}
      switchHref={switchHref}
      switchForm={switchForm}
      title={t.joinTitle(community.name)}
      head={
        turnstileSiteKey && (
          <script
            nonce={nonce}
            src="https://challenges.cloudflare.com/turnstile/v0/api.js"
            async
            defer
          />
        )
      }
    >
      <div class="card">
        <h1>
          <WithUserText sentence={t.joinTitle} value={community.name} />
        </h1>
        {error && (
          <p role="alert" class="badge alert">
            {error}
          </p>
        )}
        <form method="post" action={action} id={JOIN_FORM_ID}>
          <input type="hidden" name="csrf" value={csrfToken} />
          <label for="name">{t.nameLabel}</label>
          <input
            id="name"
            name="name"
            type="text"
            required
            maxlength={80}
            autocomplete="name"
            value={values?.name ?? ''}
            {...fieldAttributes(form, 'name')}
          />
          <FieldError form={form} field="name" />
          <label for="phone">{t.phoneLabel}</label>
          <input
            id="phone"
            name="phone"
            type="tel"
            autocomplete="tel"
            value={values?.phone ?? ''}
            {...fieldAttributes(form, 'phone', { hint: 'contact-hint' })}
          />
          <FieldError form={form} field="phone" />
          <p class="muted small" id="contact-hint">
            {t.phoneHint}. {t.contactHint}
            {newsByWhatsApp && ` ${t.newsByWhatsAppHint}`}
          </p>
          <label for="email">{t.emailLabel}</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            value={values?.email ?? ''}
            {...fieldAttributes(form, 'email')}
          />
          <FieldError form={form} field="email" />
          {closed && community.joinQuestions.length > 0 && (
            <>
              <h2>{t.questionsHeading}</h2>
              {community.joinQuestions.map((question, i) => (
                <>
                  <label for={`answer-${i}`}>
                    <bdi>{question}</bdi>
                  </label>
                  <TextArea
                    id={`answer-${i}`}
                    name="answers"
                    required
                    maxlength={500}
                    rows={2}
                    {...fieldAttributes(form, `answers.${i}`)}
                    text={values?.answers?.[i] ?? ''}
                  />
                  <FieldError form={form} field={`answers.${i}`} />
                </>
              ))}
            </>
          )}
          <div class="hp" aria-hidden="true">
            <label for="website">Website</label>
            <input id="website" name="website" type="text" tabindex={-1} autocomplete="off" />
          </div>
          <label class="check">
            <input
              type="checkbox"
              name="consent"
              value="yes"
              required
              checked={values?.consent === true}
              {...fieldAttributes(form, 'consent')}
            />
            <span>{t.consentLabel}</span>
          </label>
          <FieldError form={form} field="consent" />
          {turnstileSiteKey && <div class="cf-turnstile" data-sitekey={turnstileSiteKey} />}
          <button class="cta" type="submit">
            {closed ? t.submitRequest : t.submitJoin}
          </button>
        </form>
        <p class="muted small">{t.privacy}</p>
      </div>
    </Layout>
  )
}
