import type { z } from 'zod'
import { formatNumber, MESSAGES, type Lang, type Messages } from './i18n'

/** A form's messages by field: `name`, and for a list both `answers.1` and `answers`. */
export type FieldMessages = Record<string, string>

type Problems = Messages['fieldProblems']

/**
 * Why a form was refused, field by field, in the reader's language: the one mapping from zod
 * issues to words that every form (public and dashboard) uses, so no schema's English message
 * reaches a page. The API keeps the schemas' own messages; here only an issue's code, its
 * bounds and its `params.problem` (a key of `fieldProblems`, for a rule of the schema's own)
 * count.
 *
 * `overrides` put a field's own words first, keyed `path:code`, `field:code`, `path` or `field`
 * (most specific first), e.g. `{ consent: t.fieldProblems.consentMissing }`.
 */
export function fieldMessages(
  lang: Lang,
  issues: readonly z.core.$ZodIssue[],
  overrides: Partial<Record<string, string>> = {},
): FieldMessages {
  const words = MESSAGES[lang].fieldProblems
  const messages: FieldMessages = {}
  for (const issue of issues) {
    const path = issue.path.map(String).join('.')
    const field = String(issue.path[0] ?? '')
    const message =
      overrides[`${path}:${issue.code}`] ??
      overrides[`${field}:${issue.code}`] ??
      overrides[path] ??
      overrides[field] ??
      problemText(lang, words, issue)
    messages[path] ??= message
    messages[field] ??= message
  }
  return messages
}

function problemText(lang: Lang, words: Problems, issue: z.core.$ZodIssue): string {
  const n = (value: number | bigint) => formatNumber(lang, Number(value))
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? words.number : words.required
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? words.required : words.tooShort(n(issue.minimum))
      if (issue.origin === 'array' || issue.origin === 'set') return words.tooFew(n(issue.minimum))
      return words.atLeast(n(issue.minimum))
    case 'too_big':
      if (issue.origin === 'string') return words.tooLong(n(issue.maximum))
      if (issue.origin === 'array' || issue.origin === 'set') return words.tooMany(n(issue.maximum))
      return words.atMost(n(issue.maximum))
    case 'invalid_format':
      return issue.format === 'email'
        ? words.email
        : issue.format === 'url'
          ? words.url
          : words.check
    case 'invalid_value':
    case 'invalid_union':
    case 'invalid_element':
      return words.choice
    case 'custom': {
      const problem = (issue.params as { problem?: unknown } | undefined)?.problem
      const text =
        typeof problem === 'string' && problem in words ? words[problem as keyof Problems] : null
      return typeof text === 'string' ? text : words.check
    }
    default:
      return words.check
  }
}
