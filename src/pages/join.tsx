import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { languageSwitchOf } from './language-switch'
import type { Community, Invite } from '../db/schema'
import { signingSecret } from '../lib/config'
import { ApiError, fieldErrors } from '../lib/errors'
import type { FieldMessages } from '../lib/field-errors'
import { readForm } from '../lib/forms'
import { inviteGoneText, LANGUAGES, MESSAGES, type Lang } from '../lib/i18n'
import { retiredCode, type RetiredCode } from '../services/retired-codes'
import {
  assertUtf8Body,
  declaresUtf8,
  isJsonMediaType,
  mediaTypeOf,
  UTF_8_ONLY,
} from '../middleware/json-body'
import { cspNonce, SecuredHeaders, securedResponse } from '../middleware/security-headers'
import { sentFromThisSite } from '../middleware/same-origin'
import {
  canSendConfirmationTemplate,
  sendConfirmationTemplate,
} from '../platforms/whatsapp/replies'
import { formToJoinBody, JoinBodySchema } from '../schemas/join'
import { CodeParamSchema } from '../schemas/public'
import { signUpPlace } from '../lib/visitor'
import { findInviteWithCommunity } from '../services/invites'
import { inviteStatus } from '../services/invite-status'
import {
  addressKey,
  confirmationTemplateLimit,
  FLOOD_RETRY_AFTER_SECONDS,
  joinLimits,
} from '../services/join-limits'
import { join, readForJoin, type JoinOutcome } from '../services/joining'
import { stopsOf } from '../services/opt-outs'
import { countAttempt, tooManyAttempts } from '../services/rate-limits'
import { verifyTurnstile } from '../services/turnstile'
import { signUpLanguage } from '../services/whatsapp-words'
import { ErrorPage } from '../views/error-page'
import { JoinFormPage } from '../views/join-form'
import { formInLanguage, formShownAgain } from './join-form-again'
import { formAction, formToken, joinFormMessages, sentWithItsToken } from './join-form-state'
import type { JoinAnswerSchema } from './join-docs'
import {
  asNewSignUp,
  chatLink,
  confirmationView,
  language,
  linksAwaitProof,
  memberLinks,
} from './sign-up-links'

/**
 * Signing up through an invite link: the form, and the join it sends (as a form or as JSON).
 * The pages the person comes back to later are in `join-status.tsx`.
 */
export const joinApp = new Hono<AppEnv>()

/** What an HTML form sends; anything else that is not JSON is refused with 415. */
const FORM_MEDIA_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])

// Marketers embed joining in their own sites: the JSON form of the join is open to any origin
// (no cookies are involved, so there is nothing to ride on).
joinApp.use(
  '/i/:code/join',
  cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['content-type'] }),
)

/**
 * The invite behind a code with its community, read fresh (joining never trusts a cache), or a
 * 404/410.
 */
async function usableInviteOrThrow(
  c: Context<AppEnv>,
): Promise<{ invite: Invite; community: Community }> {
  const param = CodeParamSchema.safeParse(c.req.param())
  const found = param.success ? await findInviteWithCommunity(c.var.db, param.data.code) : null
  const retired =
    !found && param.success ? ((await retiredCode(c.var.db, param.data.code))?.kind ?? null) : null
  return usableOrThrow(
    language(c),
    { invite: found?.invite, community: found?.community, retired },
    new Date(),
  )
}

/** A link that lets people in, with its community, from what was read; or the 404/410. */
function usableOrThrow(
  lang: Lang,
  read: {
    invite: Invite | undefined
    community: Community | undefined
    retired: RetiredCode | null
  },
  now: Date,
): { invite: Invite; community: Community } {
  const { invite, community } = read
  if (!invite || !community) {
    if (read.retired) {
      const t = MESSAGES[lang]
      throw new ApiError(
        'invite_unusable',
        read.retired === 'deleted' ? t.deletedText : t.rotatedText,
        { localized: true },
      )
    }
    throw new ApiError('not_found', 'There is no invite link with this code.')
  }
  const status = inviteStatus(invite, now)
  if (status !== 'active') {
    throw new ApiError('invite_unusable', inviteGoneText(MESSAGES[lang], status, invite), {
      localized: true,
    })
  }
  return { invite, community }
}

/** The form, with its CSRF token in a SameSite cookie and the same token in the form. */
joinApp.get('/i/:code/join', async (c) => {
  const { invite, community } = await usableInviteOrThrow(c)
  const csrfToken = formToken(c, invite.code)
  return c.html(
    <JoinFormPage
      lang={language(c)}
      newsByWhatsApp={c.var.config.DELIVERY_CHANNEL === 'whatsapp'}
      nonce={cspNonce(c)}
      switchHref={languageSwitchOf(c, language(c))}
      community={community}
      action={formAction(c, invite, language(c))}
      csrfToken={csrfToken}
    />,
  )
})

/**
 * Joining, from the HTML form (answered with a redirect to the person's status page) or as JSON
 * (answered with the membership or request). Same rules either way: the flood guard, validation,
 * CSRF for the form, a honeypot, the join limits (with a Turnstile challenge for a busy address
 * when Turnstile is configured), then the join itself. See `services/join-limits.ts`.
 *
 * Two D1 round trips, whatever the join turns out to be: one batch reads the link by its code
 * with everything the decision needs and counts the attempt, one batch writes the decision. A
 * form refused before that (malformed, expired, invalid) reads the link on its own, so an
 * unknown or dead link is still named first.
 */
joinApp.post('/i/:code/join', async (c) => {
  const config = c.var.config
  const secret = signingSecret(config)
  // Before anything touches D1: a flood from one address stops at the edge.
  const address = await addressKey(secret, c.req.header('cf-connecting-ip') ?? 'unknown')
  if (!(await c.env.JOIN_ADDRESS_LIMITER.limit({ key: address })).success) {
    throw tooManyAttempts([{ retryAfter: FLOOD_RETRY_AFTER_SECONDS }])
  }
  const mediaType = mediaTypeOf(c.req.header('content-type'))
  const wantsJson = isJsonMediaType(mediaType)
  const param = CodeParamSchema.safeParse(c.req.param())
  if (!param.success) throw new ApiError('not_found', 'There is no invite link with this code.')
  const lang = language(c)
  const now = new Date()
  // The link and its community: read by the join's batch, or on their own for an early refusal.
  let found: { invite: Invite; community: Community } | undefined
  const linkOrThrow = async () => (found ??= await usableInviteOrThrow(c))
  if (!wantsJson && !FORM_MEDIA_TYPES.has(mediaType)) {
    await linkOrThrow()
    throw new ApiError(
      'unsupported_media_type',
      'Send the join as JSON (application/json) or as an HTML form.',
    )
  }
  if (wantsJson && !declaresUtf8(c.req.header('content-type'))) {
    await linkOrThrow()
    throw new ApiError('unsupported_media_type', UTF_8_ONLY)
  }

  let raw: unknown
  if (wantsJson) {
    raw = await assertUtf8Body(c)
      .then(() => c.req.json())
      .catch(async (error: unknown) => {
        await linkOrThrow()
        if (error instanceof ApiError) throw error
        throw new ApiError('malformed_json', 'The request body is not valid JSON.')
      })
  } else {
    const form = await readForm(c)
    if (!(await sentWithItsToken(c, form))) {
      // A form left open too long (its cookie gone) comes back as it was typed, with a token
      // that works, to send again; nothing is stored. Only one sent from this site's own page:
      // one from another site comes back empty, so no site can fill in our form for a visitor
      // ("what you typed") with someone else's contacts. The consent box comes back unticked.
      const link = await linkOrThrow()
      let typed: ReturnType<typeof formToJoinBody> | undefined
      try {
        typed = sentFromThisSite(c) ? { ...formToJoinBody(form), consent: false } : undefined
      } catch {
        typed = undefined
      }
      const t = MESSAGES[lang]
      const shown = { values: typed, error: typed ? t.formExpiredAgain : t.formExpiredBlank }
      return formShownAgain(c, lang, link, shown, 403)
    }
    // The language switch of a form shown again: sent with it, and nothing more.
    const switchTo = z.enum(LANGUAGES).safeParse(form.switchLanguage)
    if (switchTo.success) return formInLanguage(c, switchTo.data, await linkOrThrow(), form)
    if (typeof form.website === 'string' && form.website !== '') {
      // A bot filled the hidden field: thank it and store nothing.
      await linkOrThrow()
      return c.html(
        <ErrorPage lang={lang} nonce={cspNonce(c)} title={MESSAGES[lang].thanksTitle} text="" />,
      )
    }
    try {
      raw = formToJoinBody(form)
    } catch (error) {
      // A link that does not work is said first, as for every other refusal.
      await linkOrThrow()
      throw error
    }
  }

  const parsed = JoinBodySchema.safeParse(raw)
  /**
   * The form again, with what the person typed (the consent tick too), a message above it and
   * next to each refused field, and, when asked for, the challenge.
   */
  const formAgain = async (
    error: string,
    status: 400 | 403 | 409,
    challenge: boolean,
    errors: FieldMessages = {},
  ) => {
    return formShownAgain(
      c,
      lang,
      await linkOrThrow(),
      {
        turnstileSiteKey: challenge ? config.TURNSTILE_SITE_KEY : undefined,
        values: raw as ReturnType<typeof formToJoinBody>,
        error,
        errors,
      },
      status,
    )
  }
  // A form that showed the challenge keeps showing it.
  const challenged =
    !!config.TURNSTILE_SECRET && (raw as { turnstileToken?: unknown })?.turnstileToken !== undefined
  /** A sign-up refused for what was sent: missing or invalid fields, unanswered questions. */
  const invalid = async (questionCount: number) => {
    if (wantsJson) {
      const errors = parsed.success
        ? [{ path: 'answers', message: 'Please answer every question' }]
        : fieldErrors(parsed.error.issues)
      throw new ApiError('validation_failed', 'Some fields are missing or invalid.', { errors })
    }
    return formAgain(
      MESSAGES[lang].formProblems,
      400,
      challenged,
      joinFormMessages(lang, raw as ReturnType<typeof formToJoinBody>, questionCount, parsed),
    )
  }
  const questionsOf = (community: Community) =>
    community.visibility === 'closed' ? community.joinQuestions : []
  if (!parsed.success) return invalid(questionsOf((await linkOrThrow()).community).length)
  const body = parsed.data

  // A Turnstile token, when one is sent, must be good; it lets a person past a busy address.
  const human =
    !!config.TURNSTILE_SECRET &&
    !!body.turnstileToken &&
    (await verifyTurnstile(
      {
        secret: config.TURNSTILE_SECRET,
        verifyUrl: config.TURNSTILE_VERIFY_URL,
        allowLoopbackHttp: config.ALLOW_HTTP_WEBHOOKS,
      },
      body.turnstileToken,
      c.req.header('cf-connecting-ip'),
    ))
  if (config.TURNSTILE_SECRET && body.turnstileToken && !human) {
    if (!wantsJson) return formAgain(MESSAGES[lang].challengeText, 403, true)
    await linkOrThrow()
    throw new ApiError(
      'turnstile_failed',
      'We could not confirm that you are a person. Please try again.',
    )
  }

  const limits = await joinLimits(
    secret,
    { addressKey: address, phone: body.phone, email: body.email },
    config.JOIN_LIMIT_PER_ADDRESS,
  )
  const input = {
    name: body.name,
    phone: body.phone,
    email: body.email,
    answers: body.answers,
    consent: body.consent,
    language: lang,
    ...signUpPlace(c.req.raw, c.req.query(), c.req.header('user-agent')),
  }
  const options = {
    now,
    cooldownDays: config.REJECTION_COOLDOWN_DAYS,
    confirmation: {
      secret,
      expiryHours: config.CONFIRM_EXPIRY_HOURS,
      baseUrl: config.PUBLIC_BASE_URL,
    },
  }
  // The link, what the join decides on, and the attempt counted: one round trip.
  const reading = await readForJoin(
    c.var.db,
    param.data.code,
    input,
    options,
    [limits.address, ...limits.contacts],
    human ? [limits.address] : [],
  )
  const { invite, community } = usableOrThrow(lang, reading, now)
  found = { invite, community }
  const questions = questionsOf(community)
  if (body.answers.length < questions.length) return invalid(questions.length)
  input.answers = body.answers.slice(0, questions.length)

  const exceeded = reading.exceeded
  const contactExceeded = exceeded.filter((limit) => limit.key !== limits.address.key)
  if (contactExceeded.length > 0) throw tooManyAttempts(contactExceeded)
  if (exceeded.length > 0 && !human) {
    // A busy address: a crowd at an event, or a script. People are asked to prove they are one.
    if (!config.TURNSTILE_SECRET) throw tooManyAttempts(exceeded)
    if (!wantsJson) return formAgain(MESSAGES[lang].challengeText, 403, true)
    throw new ApiError(
      'challenge_required',
      'Many joins are coming from this network right now. Solve a Cloudflare Turnstile challenge with turnstileSiteKey and send its token as turnstileToken.',
      { extensions: { turnstileSiteKey: config.TURNSTILE_SITE_KEY ?? '' } },
    )
  }

  let outcome: JoinOutcome
  try {
    outcome = await join(c.var.db, invite, input, options, reading)
  } catch (error) {
    // A person gets the reason on the form, in their language and with what they typed kept;
    // a script gets the problem as it is.
    const refusal = wantsJson ? null : refusalText(lang, error)
    if (refusal) return formAgain(refusal, 409, false)
    throw error
  }

  if (
    outcome.status === 'unconfirmed' &&
    outcome.request.phone &&
    outcome.confirmCode &&
    canSendConfirmationTemplate(config)
  ) {
    // Business-initiated confirmation: sent after the answer, never holding the person up, at
    // most once a day per number, and never to a number that sent STOP (its owner can still
    // send the code themselves).
    const code = outcome.confirmCode
    const phone = outcome.request.phone
    const signedUpIn = signUpLanguage(outcome.request)
    const limit = await confirmationTemplateLimit(secret, phone)
    const db = c.var.deferredDb
    c.executionCtx.waitUntil(
      (async () => {
        if ((await stopsOf(db, [phone])).has(phone)) return
        if ((await countAttempt(db, [limit], now)).length > 0) return
        await sendConfirmationTemplate(config, phone, code, community.name, signedUpIn)
      })(),
    )
  }
  if (wantsJson) {
    const answer = await joinAnswer(c, outcome, community, reading.confirmationMailer)
    return securedResponse(c, JSON.stringify(answer), 201, JOIN_ANSWER_HEADERS)
  }
  return c.redirect(`/s/${outcome.statusToken}?lang=${lang}`, 303)
})

/** The JSON answer's headers, with every security header, made once (the busiest write). */
const JOIN_ANSWER_HEADERS = new SecuredHeaders({ 'content-type': 'application/json' })

/** Why a join was refused for who is asking rather than what they typed, in their words. */
function refusalText(lang: Lang, error: unknown): string | null {
  if (!(error instanceof ApiError)) return null
  const words = MESSAGES[lang]
  if (error.code === 'group_full') return words.groupFullText
  if (error.code === 'conflict') return words.conflictText
  return null
}

/**
 * The JSON answer to a join: every sign-up gets one of the same shape, with a status link of
 * its own, whether or not its contacts were known. Private links (leave link, referral, the
 * bot's deep link) and the member's id come only with a membership this sign-up made, and where
 * they wait for a proof (`linksAwaitProof`: a single opt-in) only once it came; until then the
 * answer says how to give it, as it does for a double opt-in's confirmation.
 */
async function joinAnswer(
  c: Context<AppEnv>,
  outcome: JoinOutcome,
  community: Community,
  /** Whether an endpoint e-mails confirmation links, as the join read it. */
  confirmationMailer: boolean,
): Promise<z.infer<typeof JoinAnswerSchema>> {
  const base = c.var.config.PUBLIC_BASE_URL
  const confirmation = await confirmationView(
    c,
    outcome.request,
    outcome.statusToken,
    'en',
    { community, confirmationMailer, code: outcome.confirmCode },
    false,
  )
  const awaitsProof = linksAwaitProof(asNewSignUp(outcome.request, community) ?? outcome.request)
  const member = outcome.status === 'active' && !awaitsProof ? outcome.member : null
  const answer: z.infer<typeof JoinAnswerSchema> = {
    status: outcome.status,
    joinRequestId: outcome.request.id,
    memberId: member?.id ?? null,
    statusUrl: `${base}/s/${outcome.statusToken}`,
  }
  if (confirmation && (outcome.status === 'unconfirmed' || awaitsProof)) {
    answer.confirmation = {
      code: confirmation.code,
      whatsappUrl: confirmation.whatsappUrl,
      emailSent: confirmation.emailSent,
      expiresAt: outcome.request.confirmExpiresAt!.toISOString(),
    }
  }
  if (outcome.status === 'active') {
    // A repeat sign-up, or one whose links wait for a proof, gets the community's chat link
    // (anyone may join an open community) and nothing of the member's own.
    const links = member
      ? await memberLinks(c, outcome.request, member, outcome)
      : {
          chatInviteUrl: await chatLink(c, outcome.request, outcome.target),
          referral: null,
          leaveUrl: null,
          telegramStartUrl: null,
          memberOffer: null,
        }
    Object.assign(answer, {
      chatInviteUrl: links.chatInviteUrl,
      referralUrl: links.referral?.url ?? null,
      leaveUrl: links.leaveUrl,
      telegramStartUrl: links.telegramStartUrl,
      memberOffer: links.memberOffer,
    })
  }
  return answer
}
