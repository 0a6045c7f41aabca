import { z } from '@hono/zod-openapi'
import { type ErrorCode, ProblemSchema, problemEntry } from '../lib/errors'
import { FIRST_STATS_DAY, LAST_STATS_DAY } from '../lib/time'

/** A JSON response for an OpenAPI route definition. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description }
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true }
}

/** An optional JSON request body (an action that may say more, such as a reason). */
export function optionalJsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: false }
}

/**
 * The query of an operation that takes no query parameters: any sent is refused, as with every
 * other operation under `/api` (their query schemas are strict too).
 */
export const NoQuerySchema = z.strictObject({})

/**
 * What any operation on a resource can answer: a parameter or query refused, no token or a bad
 * one, a token without access, and no such resource. `defineOperation` keeps the access answers
 * (401, 403, 404) to those its declared access can give.
 */
export const RESOURCE_PROBLEMS = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
] as const satisfies readonly ErrorCode[]

/** What a JSON body can go wrong with before its schema is even read. */
export const BODY_PROBLEMS = [
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
] as const satisfies readonly ErrorCode[]

/**
 * What an operation without a body (a POST such as revoke, a DELETE) can still be refused for,
 * when a client sends one anyway: a body that is not JSON, malformed or too large; a JSON body
 * other than `{}` is `validation_failed`, which `RESOURCE_PROBLEMS` has (`refuseBody`).
 */
export const ACTION_PROBLEMS = [
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
] as const satisfies readonly ErrorCode[]

/** Why linking a group to a Telegram chat can be refused (`telegramChatId`). */
export const TELEGRAM_LINK_PROBLEMS = [
  'telegram_chat_not_administered',
  'telegram_rights_missing',
  'telegram_chat_taken',
  'telegram_unavailable',
] as const satisfies readonly ErrorCode[]

/** Rules named by several operations' 400 responses. */
export const IMAGE_RULE = 'An https URL on a host of `IMAGE_HOSTS`, where that is set'
export const CHAT_RULE = 'An https URL on a host of `CHAT_INVITE_HOSTS`'
export const FUTURE_RULE = 'In the future'
export const CRON_RULE =
  'A five-field cron rule (minute, hour, day of month, month, day of week) that croner reads'
export const STATS_RULES = {
  from: `Not after \`to\` (by default today), at most 366 days before it, from ${FIRST_STATS_DAY} to ${LAST_STATS_DAY}`,
  to: `From ${FIRST_STATS_DAY} to ${LAST_STATS_DAY}`,
  source: 'Not blank once the spaces around it are trimmed',
  campaign: 'Not blank once the spaces around it are trimmed',
  referrer: 'Not blank once the spaces around it are trimmed',
}
export const SCHEDULE_RULES = {
  sendAt: FUTURE_RULE,
  repeat: CRON_RULE,
  'repeat.cron': 'Falls on some date (not, say, 31 April)',
  'repeat.until': 'In the future, and after the rule’s first run',
  'audience.groupIds': 'Groups of this community',
}

export interface ProblemOptions {
  /**
   * Rules beyond the schema that answer 400 `validation_failed`, by the field they name in
   * `errors[].path` (`from`, `audience.groupIds`, ...): listed in the 400 response's description
   * and, for tools, as its `x-validation-rules`.
   */
  rules?: Record<string, string>
  /** When a code is given here, in words of this operation (shown after the code). */
  notes?: Partial<Record<ErrorCode, string>>
  /** Error pages too: people's browsers (asking for `text/html`) get a page instead. */
  html?: boolean
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' as const, minimum: 1 },
  },
}

/**
 * The problem answers of an operation, one response per status: its description lists the codes
 * it carries (what each means is on its page, `/api/problems/{code}`), and its schema holds
 * `code` to them, so a client generated from the document knows them and a test can check
 * every answer.
 */
export function problemResponses(codes: readonly ErrorCode[], options: ProblemOptions = {}) {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of new Set(codes)) {
    const status = problemEntry(code).status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<number, ReturnType<typeof problemResponse>> = {}
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = problemResponse(status, statusCodes, options)
  }
  return responses
}

function problemResponse(status: number, codes: ErrorCode[], options: ProblemOptions) {
  const listed = codes
    .map((code) => {
      const note = options.notes?.[code]
      return `\`${code}\` (${problemEntry(code).title})${note ? `: ${note}` : '.'}`
    })
    .join(' ')
  const rules =
    status === 400 && options.rules && Object.keys(options.rules).length > 0
      ? options.rules
      : undefined
  const ruleText = rules
    ? ` Rules beyond the schema, refused with \`validation_failed\` naming the field: ${Object.entries(
        rules,
      )
        .map(([path, rule]) => `\`${path}\`: ${rule}`)
        .join('; ')}.`
    : ''
  const schema = z.intersection(
    ProblemSchema,
    z.object({ code: z.enum(codes as [ErrorCode, ...ErrorCode[]]) }),
  )
  return {
    description: `${listed}${ruleText} What each code means: \`/api/problems/{code}\`.`,
    content: {
      'application/problem+json': { schema },
      ...(options.html
        ? { 'text/html': { schema: z.string().describe('The error page, for a browser') } }
        : {}),
    },
    ...(status === 429 ? { headers: RETRY_AFTER } : {}),
    ...(rules ? { 'x-validation-rules': rules } : {}),
  }
}

export const bearerSecurity = [{ bearerAuth: [] }]
