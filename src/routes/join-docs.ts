import { z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'
import { ProblemSchema } from '../lib/errors'
import { JoinBodySchema } from '../schemas/join'
import { CodeParamSchema } from '../schemas/public'
import { jsonBody, jsonResponse } from './openapi'

const JoinAnswerSchema = z
  .object({
    status: z
      .enum(['active', 'pending'])
      .describe('`active`: a member now; `pending`: waiting for approval'),
    joinRequestId: z.string(),
    memberId: z.string().nullable(),
    statusUrl: z
      .string()
      .optional()
      .describe('The person’s own status page; only on a new sign-up'),
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
      'Open communities make the person a member at once (201, `active`); closed ones file a ' +
      'join request for an admin (201, `pending`). The same person again gets 200 with their ' +
      'existing membership or request and no private links. Joins are rate limited per address, ' +
      'per phone and per e-mail: a busy address is asked for a Cloudflare Turnstile token ' +
      '(403 `challenge_required`) where Turnstile is configured, and refused with 429 otherwise.',
    security: [],
    request: { params: CodeParamSchema, body: jsonBody(JoinBodySchema) },
    responses: {
      201: jsonResponse(JoinAnswerSchema, 'Signed up: a member, or a request waiting for approval'),
      200: jsonResponse(JoinAnswerSchema, 'Signed up already: the existing membership or request'),
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
