import { z } from '@hono/zod-openapi'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The error catalogue: every code the API can answer with, its HTTP status, its title and what it
 * means. Clients switch on `code`; the status follows from it, so one code never means two
 * things. Each code has a page (`/api/problems/{code}`), which is the problem's `type`.
 */
const CATALOGUE = {
  bad_request: {
    status: 400,
    title: 'Bad request',
    description: 'The request could not be read, e.g. a form body that is not a form.',
  },
  malformed_json: {
    status: 400,
    title: 'Malformed JSON',
    description: 'The body is not valid JSON. Send a JSON document as `application/json`.',
  },
  validation_failed: {
    status: 400,
    title: 'Validation failed',
    description:
      'A path parameter, query parameter or body field fails its schema, or a rule of the ' +
      'operation that its description names. `errors` lists each refused field (`path`) and ' +
      'what is wrong with it (`message`). Query parameters an API operation does not list are ' +
      'refused too (`Unknown field`), and so is a body other than `{}` sent to an operation ' +
      'that takes none.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description:
      'The API was called without a token, or with an unknown or revoked one: send ' +
      '`Authorization: Bearer <token>`. For the WhatsApp webhook: the notification’s signature ' +
      'does not match, or notifications are not configured.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description:
      'The token is valid and may see the resource, but its role does not allow this action ' +
      '(what only owners may do, for instance). What lies in a community the token may not see ' +
      'answers 404 instead. For the WhatsApp webhook’s handshake: the verify token does not match.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    description:
      'There is no such resource, or it belongs to a community this token may not see: both ' +
      'answer alike, so that no token learns which ids exist elsewhere. Also the answer for a ' +
      'path no operation answers.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description: 'The path exists but does not answer this method; `Allow` lists those it does.',
  },
  slug_taken: {
    status: 409,
    title: 'Slug already taken',
    description: 'Another community has this slug. Choose another one.',
  },
  code_taken: {
    status: 409,
    title: 'Invite code already taken',
    description:
      'A link has or had this custom code. Codes are never reused, so that a printed link ' +
      'cannot lead somewhere else: choose another one.',
  },
  group_limit_reached: {
    status: 409,
    title: 'Group limit reached',
    description:
      'The community holds as many discussion groups as its `maxGroups` allows, or more than a ' +
      'lowered `maxGroups` would allow.',
  },
  reward_rule_limit_reached: {
    status: 409,
    title: 'Reward rule limit reached',
    description:
      'The community has as many reward rules as one may hold (`MAX_REWARD_RULES`): a ladder of ' +
      'rewards, not a list that grows without end.',
  },
  announcement_group_protected: {
    status: 409,
    title: 'Announcement group is protected',
    description:
      'A community’s announcement group lives as long as the community: delete the community ' +
      'instead.',
  },
  group_in_use: {
    status: 409,
    title: 'Group in use by announcements',
    description:
      'Announcements are scheduled to this group or being sent to it now: change their ' +
      'audience or cancel them, or wait until they are sent, before deleting it (they would go ' +
      'out to nobody).',
  },
  member_limit_below_members: {
    status: 409,
    title: 'Limit below the members so far',
    description:
      'A group’s `memberLimit` cannot be set below the number of its members (`memberCount`).',
  },
  max_uses_below_uses: {
    status: 409,
    title: 'Limit below the uses so far',
    description:
      'A link’s `maxUses` cannot be set below the number of joins it has had already (`uses`).',
  },
  invalid_role_change: {
    status: 409,
    title: 'Invalid role change',
    description: 'The admin has no group to return to as a group admin: name one with `groupId`.',
  },
  invalid_state: {
    status: 409,
    title: 'Not possible in this state',
    description:
      'The resource’s current state does not allow this, e.g. changing an announcement that is ' +
      'no longer scheduled, deciding on a sign-up that is not confirmed yet, or resuming a run ' +
      'that has finished. `detail` says which state, and what to do instead.',
  },
  already_member: {
    status: 409,
    title: 'Already a member',
    description: 'The person is an active member already, with the same phone number or e-mail.',
  },
  group_full: {
    status: 409,
    title: 'Group is full',
    description:
      'The group has as many members as its `memberLimit` allows. An approval names the group ' +
      '(`groupId`): raise its `memberLimit`, or wait for someone to leave, then approve again.',
  },
  telegram_chat_not_administered: {
    status: 409,
    title: 'The bot does not administer this chat',
    description:
      'A group can be linked only to a Telegram chat the bot was added to as an administrator ' +
      '(the chats `GET /api/telegram/chats` lists). Add the bot to the chat as an admin first.',
  },
  telegram_rights_missing: {
    status: 409,
    title: 'The bot lacks rights in this chat',
    description:
      'The bot administers the chat but without a right the product needs: inviting users ' +
      '(for invite links, and for approving join requests in a closed community). `detail` ' +
      'names what is missing; grant it in the chat’s admin settings.',
  },
  telegram_chat_taken: {
    status: 409,
    title: 'The chat is linked to another group',
    description:
      'One Telegram chat is one group, so that its joins and leaves are counted in one place. ' +
      'Unlink it from the other group first.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'What the request depends on changed while it was handled. Try again.',
  },
  invite_unusable: {
    status: 410,
    title: 'Invite link no longer works',
    description: 'The invite link was revoked, has expired, was used up or was given a new code.',
  },
  csrf_failed: {
    status: 403,
    title: 'Form expired',
    description:
      'A form’s token is missing or does not match its cookie: load the form again and send it.',
  },
  cross_site_request: {
    status: 403,
    title: 'Request from another site refused',
    description: 'A dashboard form was sent from another website; open the dashboard directly.',
  },
  turnstile_failed: {
    status: 403,
    title: 'Human check failed',
    description: 'Cloudflare Turnstile refused the token sent: solve the challenge again.',
  },
  challenge_required: {
    status: 403,
    title: 'Human check required',
    description:
      'Many joins are coming from this network: solve a Cloudflare Turnstile challenge with ' +
      'the problem’s `turnstileSiteKey` and send its token as `turnstileToken`.',
  },
  gone: {
    status: 410,
    title: 'Gone',
    description:
      'The QR code’s link was revoked, has expired, was used up or was given a new code.',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    description:
      'The body is larger than allowed: 64 KiB for the API and forms (160 KiB for the ' +
      'dashboard’s announcement form, a text and two translations; 16 MiB for its QR ' +
      'designer, whose logo is refused by its own rule), 256 KiB for Telegram ' +
      'updates, 3 MiB for WhatsApp notifications (the most Meta sends).',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description:
      'The body is not JSON, or is JSON in a charset other than UTF-8: send it as ' +
      '`application/json`, in UTF-8. A form of a page is sent as ' +
      '`application/x-www-form-urlencoded` (the QR designer, which carries a file, as ' +
      '`multipart/form-data`).',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description: 'Too many attempts: wait the seconds `Retry-After` says, then try again.',
  },
  telegram_unavailable: {
    status: 502,
    title: 'Telegram did not answer as expected',
    description:
      'Telegram’s Bot API could not be reached, refused the call or asked us to wait; `detail` ' +
      'says which, in Telegram’s own words where it gave some. Nothing was changed on our side.',
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    description:
      'Something failed on our side. It has been logged with the answer’s `requestId`; quote ' +
      'it when you report the problem.',
  },
} as const satisfies Record<
  string,
  { status: ContentfulStatusCode; title: string; description: string }
>

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
  /**
   * Whether `detail` is written in the reader's language (a page's own words): an error page
   * shows it as it is. Otherwise a page in another language than English says what the code
   * means in its own words instead.
   */
  readonly localized: boolean

  constructor(
    code: ErrorCode,
    detail: string,
    options: {
      errors?: FieldError[]
      headers?: Record<string, string>
      extensions?: Record<string, string>
      localized?: boolean
    } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
    this.code = code
    this.errors = options.errors
    this.headers = options.headers
    this.extensions = options.extensions
    this.localized = options.localized ?? false
  }

  get status(): ContentfulStatusCode {
    return CATALOGUE[this.code].status
  }

  get title(): string {
    return CATALOGUE[this.code].title
  }
}

/** A code's status, title and meaning, as its page and the API document state them. */
export function problemEntry(code: ErrorCode): {
  status: ContentfulStatusCode
  title: string
  description: string
} {
  return CATALOGUE[code]
}

/** The page explaining a code: a problem's `type`, resolvable by anyone who gets one. */
export function problemTypeUrl(baseUrl: string, code: ErrorCode): string {
  return `${baseUrl}/api/problems/${code}`
}

export function notFound(what: string): ApiError {
  return new ApiError('not_found', `${what} does not exist or is not visible to this token.`)
}

/** RFC 9457 problem details, as every API error is sent. */
export const ProblemSchema = z
  .object({
    type: z
      .url()
      .describe(
        'The page explaining this kind of problem: `{PUBLIC_BASE_URL}/api/problems/{code}`',
      ),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES).describe('Stable machine-readable code'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Per-field validation errors'),
    requestId: z.string().optional(),
    turnstileSiteKey: z
      .string()
      .optional()
      .describe('With `challenge_required`: the site key to solve the challenge with'),
    runId: z
      .string()
      .optional()
      .describe(
        'With `invalid_state` from send-now or a change: the run still sending (or stalled)',
      ),
    resume: z.string().optional().describe('With `runId`: the path that resumes that run'),
    cancel: z.string().optional().describe('With `runId`: the path that cancels that run'),
    groupId: z
      .string()
      .optional()
      .describe('With `group_full` from an approval: the group that has no room'),
  })
  .openapi('Problem')

export type Problem = z.infer<typeof ProblemSchema>

export function toProblem(
  error: ApiError,
  options: { baseUrl: string; requestId?: string },
): Problem {
  const { baseUrl, requestId } = options
  return {
    ...error.extensions,
    type: problemTypeUrl(baseUrl, error.code),
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
