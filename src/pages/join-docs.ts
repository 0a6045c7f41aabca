import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { JoinBodySchema } from '../schemas/join'
import { CodeParamSchema } from '../schemas/public'
import { jsonResponse, problemResponses } from '../api/openapi'
import { PUBLIC_ACCESS, PUBLIC_ACCESS_SENTENCE } from '../api/operation'

/** The JSON answer to a join; `joinAnswer()` in join.tsx is typed by it. */
export const JoinAnswerSchema = z
  .object({
    status: z
      .enum(['active', 'pending', 'unconfirmed'])
      .describe(
        '`active`: a member now; `pending`: waiting for approval; `unconfirmed`: a double opt-in waiting for the owner of the number or address to confirm it',
      ),
    joinRequestId: z.string(),
    memberId: z
      .string()
      .nullable()
      .describe(
        'Only when this sign-up made the membership, and in a community that asks for no proof never (the status page shows the member’s links once its code came from the number); null for a repeat sign-up',
      ),
    statusUrl: z
      .string()
      .describe(
        'The person’s own status page, on every sign-up: it shows where the sign-up stands and, once its owner proved a contact that was signed up before, that earlier sign-up',
      ),
    confirmation: z
      .object({
        code: z
          .string()
          .nullable()
          .describe('The one-time code to send from the phone number’s own WhatsApp'),
        whatsappUrl: z
          .string()
          .nullable()
          .describe('A wa.me link carrying the code, where a business number is configured'),
        emailSent: z
          .boolean()
          .describe(
            'Whether a confirmation link goes to the e-mail address: only when a webhook endpoint ' +
              'receives this community’s `member.confirmation_requested` (your mail system sends it)',
          ),
        expiresAt: z
          .string()
          .describe('When the proof is no longer taken (an unconfirmed sign-up is then deleted)'),
      })
      .optional()
      .describe(
        'With `unconfirmed`: how the person confirms. In a community that asks for no proof (single opt-in), on every sign-up, new or not: how the person proves a contact is theirs, which shows them their own links (referral, leave, the bot’s deep link): the code sent from the number on the status page, the e-mailed link on the page it opens',
      ),
    chatInviteUrl: z.string().nullable().optional().describe('The chat to go on to, once a member'),
    referralUrl: z.string().nullable().optional().describe('Their own invite link to share'),
    leaveUrl: z
      .string()
      .nullable()
      .optional()
      .describe(
        'The page where the person ends their membership for good, with a button (its POST is taken from that page only)',
      ),
    telegramStartUrl: z
      .string()
      .nullable()
      .optional()
      .describe(
        'Where the group is a Telegram chat and `TELEGRAM_BOT_USERNAME` is set: the bot’s deep link made for this member (their id, signed: not their shareable referral code); its `/start` lets the bot send announcements to them one by one',
      ),
    memberOffer: z
      .string()
      .nullable()
      .optional()
      .describe(
        'What the community offers its members (a discount code, early tickets), where it set an offer: given with the member’s own links only',
      ),
  })
  .openapi('JoinAnswer')

/** The join form's fields, as the landing page's form sends them. */
const JoinFormSchema = z
  .object({
    name: z.string(),
    phone: z.string().optional(),
    email: z.string().optional(),
    answers: z
      .array(z.string())
      .optional()
      .describe('One per question, in order; answers past the questions are not stored'),
    consent: z.literal('yes'),
    csrf: z.string().describe('The form’s token; it must match the `cg_csrf` cookie'),
    website: z
      .string()
      .optional()
      .describe('Left empty by people: a form with it filled in is thanked and dropped'),
    'cf-turnstile-response': z.string().optional().describe('The Turnstile token, when asked'),
  })
  .describe('The landing page’s own form: the same fields, checked by the same rules')

/**
 * The public join (`POST /i/{code}/join`) in the OpenAPI document. The route lives in
 * `join.tsx`, a plain route rather than a `createRoute`: one path serves the landing page's HTML
 * form (a CSRF token, answered with a redirect or the form again) and the JSON join, and it
 * checks in an order a route's validators cannot keep, each before the next costs anything:
 * the flood guard, the invite (404/410), the body, the join limits, then the join. It is served
 * outside `/api` (open to any origin) and needs no token. Its answer is typed by
 * `JoinAnswerSchema`, its problems come from the same catalogue as the API's.
 */
export function documentPublicJoin(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/i/{code}/join',
    operationId: 'joinThroughInvite',
    'x-access': PUBLIC_ACCESS,
    tags: ['Joining'],
    summary: 'Join a community through an invite link, from a marketer’s own site',
    description:
      'With a double opt-in (the default) every sign-up answers 201 `unconfirmed` with how to ' +
      'confirm it, whether or not its contacts are known. Otherwise open communities make the ' +
      'person a member at once (201, `active`) and closed ones file a join request for an admin ' +
      '(201, `pending`); the same contacts again answer alike, with a status link of their own ' +
      'and no private links. Joins are rate limited per address, ' +
      'per phone and per e-mail: a busy address is asked for a Cloudflare Turnstile token ' +
      '(403 `challenge_required`) where Turnstile is configured, and refused with 429 otherwise. ' +
      'The landing page’s form posts here too (`application/x-www-form-urlencoded`): it is ' +
      'answered with a redirect to the person’s status page (303), or the form again with what ' +
      'is wrong (400, 403, `text/html`). A browser asking for `text/html` gets every error as a ' +
      'page. Query parameters other than `lang` are ignored. ' +
      PUBLIC_ACCESS_SENTENCE,
    security: [],
    request: {
      params: CodeParamSchema,
      query: z.object({
        lang: z
          .string()
          .optional()
          .describe(
            '`de` or `en`: the language of the problem’s `detail`, of the pages and of what the person is sent on WhatsApp (kept with the sign-up); anything else falls back to `Accept-Language`',
          ),
      }),
      body: {
        required: true,
        content: {
          'application/json': { schema: JoinBodySchema },
          'application/x-www-form-urlencoded': { schema: JoinFormSchema },
        },
      },
    },
    responses: {
      201: jsonResponse(
        JoinAnswerSchema,
        'Signed up: waiting for confirmation, a member, or a request waiting for approval',
      ),
      200: {
        content: { 'text/html': { schema: z.string() } },
        description: 'The form with its hidden field filled in (a bot): thanked, nothing stored',
      },
      303: {
        description: 'The form was sent: on to the person’s status page',
        headers: {
          Location: { description: 'The status page, `/s/{token}`', schema: { type: 'string' } },
        },
      },
      ...problemResponses(
        [
          'malformed_json',
          'validation_failed',
          'bad_request',
          'turnstile_failed',
          'challenge_required',
          'not_found',
          'group_full',
          'conflict',
          'invite_unusable',
          'payload_too_large',
          'unsupported_media_type',
          'rate_limited',
        ],
        {
          html: true,
          rules: {
            phone:
              'A phone number with its country code (e.g. +49...), or empty; a phone number or an e-mail address is needed',
            email: 'An e-mail address, or empty',
            answers: 'One answer to each question of a closed community',
          },
          notes: {
            bad_request: 'The form could not be read.',
            not_found: 'No invite link has or had this code.',
            group_full: 'The link’s group (or the announcement group) is full.',
            conflict: 'The link or group changed while the join was handled; try again.',
            invite_unusable:
              'The link was revoked, expired, used up or replaced by a new code, or its community was deleted.',
            payload_too_large: 'The body is larger than 64 KiB.',
            unsupported_media_type:
              'The body is neither JSON (`application/json`, `application/*+json`) nor a form (`application/x-www-form-urlencoded`, `multipart/form-data`).',
            rate_limited:
              'Too many joins from this address, phone or e-mail (or a flood from one address).',
          },
        },
      ),
    },
  })
}
