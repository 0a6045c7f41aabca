import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { ProblemSchema } from '../lib/errors'
import { JoinBodySchema } from '../schemas/join'
import { CodeParamSchema } from '../schemas/public'
import { jsonBody, jsonResponse } from './openapi'

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
      .describe('Only when this sign-up made the membership; null for a repeat sign-up'),
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
        expiresAt: z.string().describe('When the unconfirmed sign-up is deleted'),
      })
      .optional()
      .describe('Only with `unconfirmed`: how the person confirms'),
    chatInviteUrl: z.string().nullable().optional().describe('The chat to go on to, once a member'),
    referralUrl: z.string().nullable().optional().describe('Their own invite link to share'),
    leaveUrl: z.string().nullable().optional().describe('Leaves the community for good'),
  })
  .openapi('JoinAnswer')

const problem = (
  description: string,
  headers?: Record<string, { description: string; schema: { type: 'integer' } }>,
) => ({
  content: { 'application/problem+json': { schema: ProblemSchema } },
  description,
  ...(headers ? { headers } : {}),
})

/**
 * The public join (`POST /i/{code}/join`) in the OpenAPI document. It is served outside `/api`
 * (it is the landing page's own form, open to any origin) and needs no token; the route lives in
 * `join.tsx`, this only describes it.
 */
export function documentPublicJoin(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/i/{code}/join',
    operationId: 'joinThroughInvite',
    tags: ['Joining'],
    summary: 'Join a community through an invite link, from a marketer’s own site',
    description:
      'With a double opt-in (the default) every sign-up answers 201 `unconfirmed` with how to ' +
      'confirm it, whether or not its contacts are known. Otherwise open communities make the ' +
      'person a member at once (201, `active`) and closed ones file a join request for an admin ' +
      '(201, `pending`); the same contacts again answer alike, with a status link of their own ' +
      'and no private links. Joins are rate limited per address, ' +
      'per phone and per e-mail: a busy address is asked for a Cloudflare Turnstile token ' +
      '(403 `challenge_required`) where Turnstile is configured, and refused with 429 otherwise.',
    security: [],
    request: { params: CodeParamSchema, body: jsonBody(JoinBodySchema) },
    responses: {
      201: jsonResponse(
        JoinAnswerSchema,
        'Signed up: waiting for confirmation, a member, or a request waiting for approval',
      ),
      400: problem('The body is malformed or fails validation'),
      403: problem('A Turnstile challenge is needed, or its token was refused'),
      404: problem('No invite link with this code'),
      409: problem('Rejected recently (cooling-off), or the group is full'),
      410: problem('The link was revoked, expired, used up or replaced'),
      413: problem('The body is larger than 64 KiB'),
      429: problem('Too many joins from this address, phone or e-mail; try again later', {
        'Retry-After': {
          description: 'Seconds to wait before trying again',
          schema: { type: 'integer' },
        },
      }),
    },
  })
}
