import { z } from '@hono/zod-openapi'
import { ProblemSchema } from '../lib/errors'

/** A JSON response for an OpenAPI route definition. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description }
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true }
}

const problem = (description: string) => ({
  content: { 'application/problem+json': { schema: ProblemSchema } },
  description,
})

/** The error answers every authenticated route can give, plus any the route adds. */
export function problemResponses(...extra: Array<404 | 409 | 413 | 415 | 429>) {
  const responses: Record<number, ReturnType<typeof problem>> = {
    400: problem('The request is malformed or fails validation'),
    401: problem('No token, or an unknown or revoked one'),
    403: problem('The token lacks the role or scope for this'),
  }
  const descriptions = {
    404: 'No such resource',
    409: 'The request conflicts with the current state or a limit',
    413: 'The body is larger than 64 KiB',
    415: 'The body is not JSON',
    429: 'Too many requests',
  }
  for (const status of extra) responses[status] = problem(descriptions[status])
  return responses
}

export const bearerSecurity = [{ bearerAuth: [] }]
