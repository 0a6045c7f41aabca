import { z } from '@hono/zod-openapi'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The error catalogue: every code the API can answer with, and its HTTP status. Clients switch on
 * `code`; the status follows from it, so one code never means two things.
 */
const CATALOGUE = {
  bad_request: { status: 400, title: 'Bad request' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  validation_failed: { status: 400, title: 'Validation failed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  slug_taken: { status: 409, title: 'Slug already taken' },
  code_taken: { status: 409, title: 'Invite code already taken' },
  group_limit_reached: { status: 409, title: 'Group limit reached' },
  announcement_group_protected: { status: 409, title: 'Announcement group is protected' },
  member_limit_below_members: { status: 409, title: 'Member limit below current members' },
  invalid_role_change: { status: 409, title: 'Invalid role change' },
  invalid_state: { status: 409, title: 'Not possible in this state' },
  already_member: { status: 409, title: 'Already a member' },
  group_full: { status: 409, title: 'Group is full' },
  cooling_off: { status: 409, title: 'Cooling-off period' },
  conflict: { status: 409, title: 'Conflict' },
  invite_unusable: { status: 410, title: 'Invite link no longer works' },
  csrf_failed: { status: 403, title: 'Form expired' },
  cross_site_request: { status: 403, title: 'Request from another site refused' },
  turnstile_failed: { status: 403, title: 'Human check failed' },
  challenge_required: { status: 403, title: 'Human check required' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>

export type ErrorCode = keyof typeof CATALOGUE
export const ERROR_CODES = Object.keys(CATALOGUE) as [ErrorCode, ...ErrorCode[]]

export interface FieldError {
  path: string
  message: string
}

/** An error the API answers with on purpose: a code from the catalogue and a human sentence. */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly errors?: FieldError[]
  readonly headers?: Record<string, string>
  /** More members of the problem (RFC 9457 extensions), e.g. what a challenge needs. */
  readonly extensions?: Record<string, string>

  constructor(
    code: ErrorCode,
    detail: string,
    options: {
      errors?: FieldError[]
      headers?: Record<string, string>
      extensions?: Record<string, string>
    } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
    this.code = code
    this.errors = options.errors
    this.headers = options.headers
    this.extensions = options.extensions
  }

  get status(): ContentfulStatusCode {
    return CATALOGUE[this.code].status
  }

  get title(): string {
    return CATALOGUE[this.code].title
  }
}

export function notFound(what: string): ApiError {
  return new ApiError('not_found', `${what} does not exist or is not visible to this token.`)
}

/** RFC 9457 problem details, as every API error is sent. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES).describe('Stable machine-readable code'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Per-field validation errors'),
    requestId: z.string().optional(),
  })
  .openapi('Problem')

export type Problem = z.infer<typeof ProblemSchema>

export function toProblem(error: ApiError, requestId?: string): Problem {
  return {
    ...error.extensions,
    type: `urn:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(requestId ? { requestId } : {}),
  }
}

/** Turns zod issues into the `errors` list of a problem, one entry per field. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: base ? `${base}.${key}` : key,
        message: 'Unknown field',
      }))
    }
    return [{ path: base, message: issue.message }]
  })
}

/** True when D1 refused a write because of a UNIQUE index; drizzle wraps the driver's error. */
export function isUniqueViolation(error: unknown, indexHint?: string): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.message.includes('UNIQUE constraint failed')) {
      return indexHint ? current.message.includes(indexHint) : true
    }
  }
  return false
}
