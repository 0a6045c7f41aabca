import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import type { Invite } from '../db/schema'
import type { AppEnv } from '../env'
import { constantTimeEqual, randomBase64Url } from '../lib/crypto'
import { fieldMessages, type FieldMessages } from '../lib/field-errors'
import { MESSAGES, type Lang } from '../lib/i18n'
import { originQueryOf } from '../lib/visitor'
import type { formToJoinBody, JoinBodySchema } from '../schemas/join'

/**
 * The join form's own state between the page and its answer: the CSRF token it carries (in a
 * SameSite cookie and in the form), where it is sent, and the words beside its fields.
 */

/** The shape of the tokens the form hands out (24 random bytes); nothing else is taken back. */
const CSRF_TOKEN = /^[A-Za-z0-9_-]{32}$/
const CSRF_COOKIE = 'cg_csrf'

/**
 * The form's CSRF token, in a SameSite cookie for the link's path and returned for the form: the
 * browser's own where it holds a good one, so that opening the form twice (two tabs) does not
 * expire the first.
 */
export function formToken(c: Context<AppEnv>, code: string): string {
  const existing = getCookie(c, CSRF_COOKIE)
  const csrfToken = existing && CSRF_TOKEN.test(existing) ? existing : randomBase64Url(24)
  setCookie(c, CSRF_COOKIE, csrfToken, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: `/i/${code}`,
    maxAge: 2 * 3600,
  })
  c.header('cache-control', 'private, no-store')
  return csrfToken
}

/** Where the form is sent: the join, in the page's language, with where the person came from. */
export function formAction(c: Context<AppEnv>, invite: Invite, lang: Lang): string {
  return `/i/${invite.code}/join?lang=${lang}&${originQueryOf(c.req.query())}`
}

/** Whether a sent form carries the token of this browser's cookie, compared in constant time. */
export async function sentWithItsToken(
  c: Context<AppEnv>,
  form: Record<string, unknown>,
): Promise<boolean> {
  const cookie = getCookie(c, CSRF_COOKIE)
  const sent = typeof form.csrf === 'string' ? form.csrf : ''
  return !!cookie && CSRF_TOKEN.test(cookie) && (await constantTimeEqual(cookie, sent))
}

/**
 * What is wrong with a sent join form, next to each field in the reader's language. zod leaves
 * the whole-form rule (a phone or an e-mail) unchecked while a field fails, and knows nothing
 * of the community's questions: those two are checked on what was sent, so every problem is
 * named at once.
 */
export function joinFormMessages(
  lang: Lang,
  sent: ReturnType<typeof formToJoinBody>,
  questionCount: number,
  parsed: ReturnType<typeof JoinBodySchema.safeParse>,
): FieldMessages {
  const words = MESSAGES[lang].fieldProblems
  const messages = parsed.success
    ? {}
    : fieldMessages(lang, parsed.error.issues, {
        'name:too_small': words.nameMissing,
        'answers:too_small': words.answerMissing,
        consent: words.consentMissing,
      })
  if (!sent.phone?.trim() && !sent.email?.trim()) messages.phone ??= words.contactMissing
  for (let i = 0; i < questionCount; i++) {
    if (!sent.answers[i]?.trim()) messages[`answers.${i}`] ??= words.answerMissing
  }
  return messages
}
