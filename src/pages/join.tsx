import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env'
import { signingSecret } from '../lib/config'
import { constantTimeEqual, randomBase64Url } from '../lib/crypto'
import { ApiError, fieldErrors } from '../lib/errors'
import { fieldMessages, type FieldMessages } from '../lib/field-errors'
import { inviteGoneText, MESSAGES, type Lang } from '../lib/i18n'
import { readForm } from '../lib/forms'
import { verifyToken } from '../lib/signing'
import { originQueryOf, signUpPlace } from '../lib/visitor'
import type { Community, Invite, JoinRequest, Member } from '../db/schema'
import { getCommunityOrThrow } from '../services/communities'
import { findInviteWithCommunity, inviteStatus, retiredCodeExists } from '../services/invites'
import { findJoinRequestByStatusToken, getJoinRequestOrThrow } from '../services/join-requests'
import { endMembership, join, readForJoin, type JoinOutcome } from '../services/joining'
import { rewardsOf } from '../services/members'
import {
  addressKey,
  confirmationTemplateLimit,
  FLOOD_RETRY_AFTER_SECONDS,
  joinLimits,
} from '../services/join-limits'
import { countAttempt, tooManyAttempts } from '../services/rate-limits'
import { verifyTurnstile } from '../services/turnstile'
import { formToJoinBody, JoinBodySchema } from '../schemas/join'
import { CodeParamSchema } from '../schemas/public'
import { ConfirmLinkPage, JoinFormPage, LeavePage, StatusPage } from '../views/join-pages'
import { confirmCodeFor } from '../lib/confirm-codes'
import { sameOriginOnly } from '../middleware/same-origin'
import {
  canConfirm,
  confirmContact,
  contactUnconfirmed,
  linkProofId,
  requestFromConfirmLink,
} from '../services/consent'
import { z } from 'zod'
import type { JoinAnswerSchema } from './join-docs'
import {
  canSendConfirmationTemplate,
  sendConfirmationTemplate,
} from '../platforms/whatsapp/replies'
import { ErrorPage } from '../views/error-page'
import { cspNonce } from '../middleware/security-headers'

import { chatLink, confirmationView, language, LEAVE_PURPOSE, memberLinks } from './sign-up-links'

export const joinApp = new Hono<AppEnv>()

const CSRF_COOKIE = 'cg_csrf'
const STATUS_TOKEN = /^[A-Za-z0-9_-]{43}$/
/** The leave page's optional reason: anything else is taken as no answer. */
const LeaveFormReasonSchema = z.enum([
  'too_many_messages',
  'not_relevant',
  'joined_by_mistake',
  'other',
])

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
  if (!found) {
    if (param.success && (await retiredCodeExists(c.var.db, param.data.code))) {
      throw new ApiError('invite_unusable', MESSAGES[language(c)].rotatedText)
    }
    throw new ApiError('not_found', 'There is no invite link with this code.')
  }
  const status = inviteStatus(found.invite, new Date())
  if (status !== 'active') {
    const t = MESSAGES[language(c)]
    throw new ApiError('invite_unusable', inviteGoneText(t, status))
  }
  return found
}

/** The form, with a fresh CSRF token in a SameSite cookie and the same token in the form. */
joinApp.get('/i/:code/join', async (c) => {
  const { invite, community } = await usableInviteOrThrow(c)
  // The same token for every tab of this browser: opening the form twice does not expire the first.
  const existing = getCookie(c, CSRF_COOKIE)
  const csrfToken =
    existing && /^[A-Za-z0-9_-]{32}$/.test(existing) ? existing : randomBase64Url(24)
  setCookie(c, CSRF_COOKIE, csrfToken, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: `/i/${invite.code}`,
    maxAge: 2 * 3600,
  })
  c.header('cache-control', 'private, no-store')
  return c.html(
    <JoinFormPage
      lang={language(c)}
      nonce={cspNonce(c)}
      community={community}
      action={`/i/${invite.code}/join?lang=${language(c)}&${originQueryOf(c.req.query())}`}
      csrfToken={csrfToken}
    />,
  )
})

/**
 * Joining, from the HTML form (answered with a redirect to the person's status page) or as JSON
 * (answered with the membership or request). Same rules either way: the flood guard, validation,
 * CSRF for the form, a honeypot, the join limits (with a Turnstile challenge for a busy address
 * when Turnstile is configured), then the join itself. See `services/join-limits.ts`.
 */
joinApp.post('/i/:code/join', async (c) => {
  const config = c.var.config
  const secret = signingSecret(config)
  // Before anything touches D1: a flood from one address stops at the edge.
  const address = await addressKey(secret, c.req.header('cf-connecting-ip') ?? 'unknown')
  if (!(await c.env.JOIN_ADDRESS_LIMITER.limit({ key: address })).success) {
    throw tooManyAttempts([{ retryAfter: FLOOD_RETRY_AFTER_SECONDS }])
  }
  const wantsJson = (c.req.header('content-type') ?? '')
    .toLowerCase()
    .startsWith('application/json')
  const { invite, community } = await usableInviteOrThrow(c)
  const lang = language(c)
  const now = new Date()

  let raw: unknown
  if (wantsJson) {
    raw = await c.req.json().catch(() => {
      throw new ApiError('malformed_json', 'The request body is not valid JSON.')
    })
  } else {
    const form = await readForm(c)
    const cookie = getCookie(c, CSRF_COOKIE)
    const sent = typeof form.csrf === 'string' ? form.csrf : ''
    if (!cookie || !(await constantTimeEqual(cookie, sent))) {
      throw new ApiError('csrf_failed', MESSAGES[lang].formExpiredText)
    }
    if (typeof form.website === 'string' && form.website !== '') {
      // A bot filled the hidden field: thank it and store nothing.
      return c.html(
        <ErrorPage lang={lang} nonce={cspNonce(c)} title={MESSAGES[lang].thanksTitle} text="" />,
      )
    }
    raw = formToJoinBody(form)
  }

  const parsed = JoinBodySchema.safeParse(raw)
  const questions = community.visibility === 'closed' ? community.joinQuestions : []
  /**
   * The form again, with what the person typed (the consent tick too), a message above it and
   * next to each refused field, and, when asked for, the challenge.
   */
  const formAgain = (
    error: string,
    status: 400 | 403,
    challenge: boolean,
    errors: FieldMessages = {},
  ) =>
    c.html(
      <JoinFormPage
        lang={lang}
        nonce={cspNonce(c)}
        community={community}
        action={`/i/${invite.code}/join?lang=${lang}&${originQueryOf(c.req.query())}`}
        csrfToken={getCookie(c, CSRF_COOKIE) ?? ''}
        turnstileSiteKey={challenge ? config.TURNSTILE_SITE_KEY : undefined}
        values={raw as ReturnType<typeof formToJoinBody>}
        error={error}
        errors={errors}
      />,
      status,
    )
  // A form that showed the challenge keeps showing it.
  const challenged =
    !!config.TURNSTILE_SECRET && (raw as { turnstileToken?: unknown })?.turnstileToken !== undefined
  const answersMissing = parsed.success && parsed.data.answers.length < questions.length
  if (!parsed.success || answersMissing) {
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
      joinFormMessages(lang, raw as ReturnType<typeof formToJoinBody>, questions.length, parsed),
    )
  }
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
    answers: body.answers.slice(0, questions.length),
    consent: body.consent,
    ...signUpPlace(c.req.raw.cf?.country, c.req.query(), c.req.header('user-agent')),
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
  // The attempt is counted, and what the join decides on read, in one round trip.
  const reading = await readForJoin(c.var.db, invite, input, options, [
    limits.address,
    ...limits.contacts,
  ])
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

  const outcome = await join(c.var.db, invite, input, options, reading)

  if (
    outcome.status === 'unconfirmed' &&
    outcome.request.phone &&
    canSendConfirmationTemplate(config)
  ) {
    // Business-initiated confirmation: sent after the answer, never holding the person up, and
    // at most once a day per number.
    const code = await confirmCodeFor(secret, outcome.statusToken)
    const phone = outcome.request.phone
    const limit = await confirmationTemplateLimit(secret, phone)
    c.executionCtx.waitUntil(
      countAttempt(c.var.deferredDb, [limit], now).then((exceeded) =>
        exceeded.length > 0
          ? undefined
          : sendConfirmationTemplate(config, phone, code, community.name),
      ),
    )
  }
  if (wantsJson) return c.json(await joinAnswer(c, outcome, community), 201)
  return c.redirect(`/s/${outcome.statusToken}?lang=${lang}`, 303)
})

/**
 * What is wrong with a sent join form, next to each field in the reader's language. zod leaves
 * the whole-form rule (a phone or an e-mail) unchecked while a field fails, and knows nothing
 * of the community's questions: those two are checked on what was sent, so every problem is
 * named at once.
 */
function joinFormMessages(
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

/**
 * The JSON answer to a join: every sign-up gets one of the same shape, with a status link of
 * its own, whether or not its contacts were known. Private links (leave link, referral) come
 * only with a membership this sign-up made; with a double opt-in a known contact learns nothing
 * until its owner proves it (then the status link shows the earlier sign-up).
 */
async function joinAnswer(
  c: Context<AppEnv>,
  outcome: JoinOutcome,
  community: Community,
): Promise<z.infer<typeof JoinAnswerSchema>> {
  const base = c.var.config.PUBLIC_BASE_URL
  const member = outcome.status === 'active' ? outcome.member : null
  const answer: z.infer<typeof JoinAnswerSchema> = {
    status: outcome.status,
    joinRequestId: outcome.request.id,
    memberId: member?.id ?? null,
    statusUrl: `${base}/s/${outcome.statusToken}`,
  }
  if (outcome.status === 'unconfirmed') {
    const confirmation = await confirmationView(
      c,
      outcome.request,
      outcome.statusToken,
      'en',
      community,
    )
    answer.confirmation = {
      code: confirmation?.code ?? null,
      whatsappUrl: confirmation?.whatsappUrl ?? null,
      emailSent: confirmation?.emailSent ?? false,
      expiresAt: outcome.request.confirmExpiresAt!.toISOString(),
    }
  }
  if (outcome.status === 'active') {
    // A repeat sign-up gets the community's chat link (anyone may join an open community) and
    // nothing of the member's own.
    const links = member
      ? await memberLinks(c, outcome.request, member, outcome)
      : { chatInviteUrl: await chatLink(c, outcome.request), referral: null, leaveUrl: null }
    Object.assign(answer, {
      chatInviteUrl: links.chatInviteUrl,
      referralUrl: links.referral?.url ?? null,
      leaveUrl: links.leaveUrl,
    })
  }
  return answer
}

/** The status page a person keeps: the decision, and once in, the chat and their referral link. */
joinApp.get('/s/:token', async (c) => {
  const token = c.req.param('token')
  const request = STATUS_TOKEN.test(token)
    ? await findJoinRequestByStatusToken(c.var.db, token)
    : null
  if (!request) throw new ApiError('not_found', 'There is no sign-up behind this link.')
  if (request.repeatOf) return repeatStatusPage(c, request)
  const [community, member] = await Promise.all([
    getCommunityOrThrow(c.var.db, request.communityId),
    request.memberId
      ? c.var.db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, request.memberId!) })
      : undefined,
  ])
  const links = member
    ? await memberLinks(c, request, member)
    : { chatInviteUrl: null, referral: null, leaveUrl: null }
  const rewards = member?.status === 'active' ? await rewardsOf(c.var.db, member.id) : []
  const confirmation = await confirmationView(c, request, token, language(c))
  c.header('cache-control', 'private, no-store')
  c.header('referrer-policy', 'no-referrer')
  return c.html(
    <StatusPage
      lang={language(c)}
      nonce={cspNonce(c)}
      community={community}
      request={request}
      member={member ?? null}
      chatInviteUrl={links.chatInviteUrl}
      referral={links.referral}
      rewards={rewards}
      leaveUrl={links.leaveUrl}
      confirmation={confirmation}
    />,
  )
})

/**
 * The status link of a repeat sign-up. Its holder is shown the earlier sign-up in full only when
 * the proof came from this very link: the code it shows, sent from the contact's own WhatsApp. A
 * button tap, an e-mailed link or an admin's record proves the contact, not who holds this link,
 * so then (and in a community that asks for no proof) the page only says that the person is
 * signed up already, and shows the community's chat if anyone may join it: never the member's
 * own links, and nothing that changes with the earlier sign-up later.
 */
async function repeatStatusPage(c: Context<AppEnv>, repeat: JoinRequest) {
  const earlier = await getJoinRequestOrThrow(c.var.db, repeat.repeatOf!)
  const community = await getCommunityOrThrow(c.var.db, earlier.communityId)
  c.header('cache-control', 'private, no-store')
  c.header('referrer-policy', 'no-referrer')
  if (repeat.consentMethod === 'whatsapp_message') {
    const member = earlier.memberId
      ? await c.var.db.query.members.findFirst({
          where: (m, { eq }) => eq(m.id, earlier.memberId!),
        })
      : undefined
    const links = member
      ? await memberLinks(c, earlier, member)
      : { chatInviteUrl: null, referral: null, leaveUrl: null }
    const rewards = member?.status === 'active' ? await rewardsOf(c.var.db, member.id) : []
    return c.html(
      <StatusPage
        lang={language(c)}
        nonce={cspNonce(c)}
        community={community}
        request={earlier}
        member={member ?? null}
        chatInviteUrl={links.chatInviteUrl}
        referral={links.referral}
        rewards={rewards}
        leaveUrl={links.leaveUrl}
      />,
    )
  }
  const open = community.visibility === 'open' && repeat.status === 'approved'
  return c.html(
    <StatusPage
      lang={language(c)}
      nonce={cspNonce(c)}
      community={community}
      request={repeat}
      member={null}
      chatInviteUrl={open ? await chatLink(c, earlier) : null}
      referral={null}
      rewards={[]}
      leaveUrl={null}
      repeated
    />,
  )
}

async function requestFromConfirmToken(c: Context<AppEnv>): Promise<JoinRequest> {
  const request = await requestFromConfirmLink(
    c.var.db,
    signingSecret(c.var.config),
    c.req.param('token') ?? '',
  )
  if (!request) throw new ApiError('not_found', 'This confirmation link is not valid.')
  return request
}

/** An e-mailed confirmation link: a GET shows a button, so previews confirm no one. */
joinApp.get('/confirm/:token', async (c) => {
  const request = await requestFromConfirmToken(c)
  const community = await getCommunityOrThrow(c.var.db, request.communityId)
  const live = canConfirm(request, 'email', new Date())
  c.header('referrer-policy', 'no-referrer')
  c.header('cache-control', 'private, no-store')
  return c.html(
    <ConfirmLinkPage
      lang={language(c)}
      nonce={cspNonce(c)}
      communityName={community.name}
      action={live ? `/confirm/${c.req.param('token')}?lang=${language(c)}` : null}
      expired={!live && contactUnconfirmed(request, 'email')}
    />,
  )
})

joinApp.post('/confirm/:token', sameOriginOnly(), async (c) => {
  const request = await requestFromConfirmToken(c)
  const community = await getCommunityOrThrow(c.var.db, request.communityId)
  // The link was e-mailed to the address: it proves the address, and nothing else.
  const result =
    request.email && request.repeatOf === null
      ? await confirmContact(
          c.var.db,
          request,
          'email',
          { method: 'email_link', id: await linkProofId(c.req.param('token')) },
          new Date(),
        )
      : ({ outcome: 'already' } as const)
  return c.html(
    <ConfirmLinkPage
      lang={language(c)}
      nonce={cspNonce(c)}
      communityName={community.name}
      action={null}
      expired={result.outcome === 'expired'}
    />,
    result.outcome === 'expired' ? 410 : 200,
  )
})

async function memberFromLeaveToken(c: Context<AppEnv>): Promise<Member> {
  const memberId = await verifyToken(
    signingSecret(c.var.config),
    LEAVE_PURPOSE,
    c.req.param('token') ?? '',
  )
  const member = memberId
    ? await c.var.db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, memberId) })
    : undefined
  if (!member) throw new ApiError('not_found', 'This leave link is not valid.')
  return member
}

joinApp.get('/leave/:token', async (c) => {
  const member = await memberFromLeaveToken(c)
  const community = await getCommunityOrThrow(c.var.db, member.communityId)
  c.header('referrer-policy', 'no-referrer')
  const action =
    member.status === 'active' ? `/leave/${c.req.param('token')}?lang=${language(c)}` : null
  return c.html(
    <LeavePage
      lang={language(c)}
      nonce={cspNonce(c)}
      communityName={community.name}
      action={action}
    />,
  )
})

/** Leaving is one tap on the confirmation page, and final for this membership. */
joinApp.post('/leave/:token', async (c) => {
  const member = await memberFromLeaveToken(c)
  const community = await getCommunityOrThrow(c.var.db, member.communityId)
  const form = await readForm(c)
  const reason = LeaveFormReasonSchema.safeParse(form.reason)
  await endMembership(c.var.db, member, 'left', new Date(), reason.success ? reason.data : null)
  return c.html(
    <LeavePage
      lang={language(c)}
      nonce={cspNonce(c)}
      communityName={community.name}
      action={null}
    />,
  )
})
