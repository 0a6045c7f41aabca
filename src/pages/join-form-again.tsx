import type { Context } from 'hono'
import type { Community, Invite } from '../db/schema'
import type { AppEnv } from '../env'
import { MESSAGES, type Lang } from '../lib/i18n'
import { cspNonce } from '../middleware/security-headers'
import { formToJoinBody, JoinBodySchema } from '../schemas/join'
import { JOIN_FORM_ID, JoinFormPage, type JoinFormProps } from '../views/join-form'
import { formAction, formToken, joinFormMessages } from './join-form-state'

type Link = { invite: Invite; community: Community }

/** The form sent back: as typed, a message above it (and beside fields), a token that works. */
export function formShownAgain(
  c: Context<AppEnv>,
  lang: Lang,
  { invite, community }: Link,
  shown: Pick<JoinFormProps, 'values' | 'error' | 'errors' | 'turnstileSiteKey'>,
  status: 200 | 400 | 403 | 409,
) {
  return c.html(
    <JoinFormPage
      lang={lang}
      newsByWhatsApp={c.var.config.DELIVERY_CHANNEL === 'whatsapp'}
      nonce={cspNonce(c)}
      switchForm={JOIN_FORM_ID}
      community={community}
      action={formAction(c, invite, lang)}
      csrfToken={formToken(c, invite.code)}
      {...shown}
    />,
    status,
  )
}

/**
 * A form shown again, sent with its language switch: the form as typed, in the other language,
 * with what it lacks said in that language and the challenge it showed. Nothing is stored or
 * counted: the join is sent with the form's own button.
 */
export function formInLanguage(
  c: Context<AppEnv>,
  lang: Lang,
  link: Link,
  form: Parameters<typeof formToJoinBody>[0],
) {
  let typed: ReturnType<typeof formToJoinBody> | undefined
  try {
    typed = formToJoinBody(form)
  } catch {
    typed = undefined
  }
  const questions = link.community.visibility === 'closed' ? link.community.joinQuestions : []
  const errors = typed
    ? joinFormMessages(lang, typed, questions.length, JoinBodySchema.safeParse(typed))
    : {}
  const config = c.var.config
  return formShownAgain(
    c,
    lang,
    link,
    {
      values: typed,
      errors,
      error: Object.keys(errors).length > 0 ? MESSAGES[lang].formProblems : undefined,
      turnstileSiteKey:
        config.TURNSTILE_SECRET && typed?.turnstileToken !== undefined
          ? config.TURNSTILE_SITE_KEY
          : undefined,
    },
    200,
  )
}
