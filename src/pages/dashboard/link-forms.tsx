import { z } from 'zod'
import type { Invite } from '../../db/schema'
import { customCodeProblem } from '../../lib/codes'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { idPattern } from '../../lib/ids'
import { addDays } from '../../lib/time'
import { CustomCodeSchema, InviteLabelSchema, TagSchema } from '../../schemas/invites'
import { wallClockToUtc } from '../../lib/time'
import { formString, formText } from './page'
import { formatNumber, LINK_FALLBACK_WORDS, LINKS_BULK_WORDS, type Lang } from '../../lib/i18n'
import { words } from '../../views/dashboard/shell'
import { LINK_FIELDS, validUntilDay } from '../../views/dashboard/link-forms'
import { BULK_SHARED_FIELDS } from '../../views/dashboard/links-bulk'
import { BULK_LINKS_MAX } from '../../services/invites-bulk'
import type { FormState } from '../../views/form-fields'

/** A link form sent back refused, with the status the page answers with. */
export interface LinkFormState extends FormState {
  status: 400 | 409
}

const LinkFormSchema = z.object({
  label: InviteLabelSchema.optional(),
  source: TagSchema.optional(),
  campaign: TagSchema.optional(),
  groupId: z.string().regex(idPattern('grp')).optional(),
  maxUses: z.coerce.number().int().min(1).max(1_000_000).optional(),
  validUntil: z.iso.date().optional(),
  fallbackInviteId: z.string().regex(idPattern('inv')).optional(),
  code: CustomCodeSchema.optional(),
})

/** What a link form asks for: an empty field clears a setting (`null`), a missing one keeps it. */
export type LinkFormInput = {
  label?: string | null
  source?: string | null
  campaign?: string | null
  groupId?: string | null
  maxUses?: number | null
  expiresAt?: Date | null
  fallbackInviteId?: string | null
  code?: string
}

/**
 * Reads a link form in the words of its page. `current` is the link being edited: fields left
 * as they were are not sent on (an expiry already past stays, the code stays), and an empty
 * code keeps the link's code.
 */
export function parseLinkForm(
  lang: Lang,
  form: Record<string, unknown>,
  fields: readonly (typeof LINK_FIELDS)[number][],
  options: { timeZone: string; now: Date; current?: Invite },
): { values: FormState['values']; input?: LinkFormInput; errors?: FieldMessages } {
  const t = words(lang)
  const values: FormState['values'] = Object.fromEntries(
    fields.map((key) => [key, formText(form, key)]),
  )
  const parsed = LinkFormSchema.safeParse(values)
  if (!parsed.success) {
    const errors = fieldMessages(lang, parsed.error.issues)
    // The code's own rules, said in the page's language.
    const problem = typeof values.code === 'string' ? customCodeProblem(values.code) : null
    if (problem) errors.code = t.codeProblems[problem]
    return { values, errors }
  }
  const data = parsed.data
  const { current, timeZone, now } = options
  // A field the form has but did not send (a crafted request) keeps what it stands for.
  const sent = (key: (typeof LINK_FIELDS)[number]) =>
    fields.includes(key) && Object.hasOwn(form, key)
  const input: LinkFormInput = {}
  for (const key of ['label', 'source', 'campaign', 'groupId', 'fallbackInviteId'] as const) {
    if (sent(key)) input[key] = data[key] ?? null
  }
  if (sent('maxUses')) input.maxUses = data.maxUses ?? null
  if (data.code && data.code !== current?.code) input.code = data.code
  if (sent('validUntil')) {
    const unchanged =
      current && (data.validUntil ?? '') === validUntilDay(current.expiresAt, timeZone)
    if (!unchanged) {
      // Valid through the chosen day: the link ends at the next midnight, the community's.
      const end = data.validUntil
        ? wallClockToUtc(`${addDays(data.validUntil, 1)}T00:00`, timeZone)
        : null
      if (end && end.getTime() <= now.getTime())
        return { values, errors: { validUntil: t.inThePast } }
      input.expiresAt = end
    }
  }
  return { values, input }
}

/**
 * A service's refusal of a link form, as messages next to its fields: a code taken, a maximum
 * below the uses so far (both 409), or a rule only the service checks, such as a group of
 * another community. Null for any other error.
 */
export function linkFormRefusal(
  lang: Lang,
  error: unknown,
): { fields: FieldMessages; status: 400 | 409 } | null {
  if (!(error instanceof ApiError)) return null
  const t = words(lang)
  if (error.code === 'code_taken') return { fields: { code: t.codeProblems.taken }, status: 409 }
  if (error.code === 'max_uses_below_uses') {
    const uses = /\d+/.exec(error.errors?.[0]?.message ?? '')?.[0] ?? '?'
    return { fields: { maxUses: t.maxUsesAtLeast(uses) }, status: 409 }
  }
  if (error.code !== 'validation_failed') return null
  const fields = (error.errors ?? []).flatMap((e) =>
    LINK_FIELDS.filter(
      (name) => name === e.path || (name === 'validUntil' && e.path === 'expiresAt'),
    ),
  )
  if (fields.length === 0) return null
  const message = (field: (typeof fields)[number]) =>
    field === 'fallbackInviteId' ? LINK_FALLBACK_WORDS[lang].refused : t.checkField
  return { fields: Object.fromEntries(fields.map((field) => [field, message(field)])), status: 400 }
}

/**
 * Reads the bulk form: a link per line of `labels` (blank lines skipped), each a name as the
 * one link's form takes it, and the settings they share. A line refused is named by its number.
 */
export function parseBulkLinkForm(
  lang: Lang,
  form: Record<string, unknown>,
  options: { timeZone: string; now: Date },
): { values: FormState['values']; inputs?: LinkFormInput[]; errors?: FieldMessages } {
  const b = LINKS_BULK_WORDS[lang]
  const shared = parseLinkForm(lang, form, BULK_SHARED_FIELDS, options)
  const text = formString(form, 'labels') ?? ''
  const values = { ...shared.values, labels: text }
  // Each name with its line's number as the field shows it, blank lines counted.
  const lines = text
    .split(/\r\n?|\n/)
    .map((line, index) => ({ name: line.trim(), number: index + 1 }))
    .filter((line) => line.name !== '')
  const most = formatNumber(lang, BULK_LINKS_MAX)
  let labelsError: string | undefined
  const labels: string[] = []
  if (lines.length === 0) labelsError = b.noNames
  else if (lines.length > BULK_LINKS_MAX) labelsError = b.tooMany(most)
  else {
    // Every refused line at once, by reason: one send fixes them all.
    const tooLong: string[] = []
    const invisible: string[] = []
    let max: number | undefined
    for (const line of lines) {
      const parsed = InviteLabelSchema.safeParse(line.name)
      if (parsed.success) {
        labels.push(parsed.data)
        continue
      }
      const number = formatNumber(lang, line.number)
      const tooBig = parsed.error.issues.find((issue) => issue.code === 'too_big')
      if (tooBig) {
        tooLong.push(number)
        max = Number(tooBig.maximum)
      } else invisible.push(number)
    }
    const messages = [
      tooLong.length > 0 && b.linesTooLong(tooLong, formatNumber(lang, max ?? 0)),
      invisible.length > 0 && b.linesInvisible(invisible),
    ].filter((message) => message !== false)
    if (messages.length > 0) labelsError = messages.join(' ')
  }
  const errors = { ...shared.errors, ...(labelsError ? { labels: labelsError } : {}) }
  if (!shared.input || labelsError) return { values, errors }
  return { values, inputs: labels.map((label) => ({ ...shared.input, label })) }
}

/** A refusal of the bulk form's links by the service: its fields, named without their link. */
export function bulkLinkFormRefusal(lang: Lang, error: unknown) {
  if (!(error instanceof ApiError) || !error.errors) return linkFormRefusal(lang, error)
  const fields = error.errors.map((e) => ({ ...e, path: e.path.replace(/^links\.\d+\./, '') }))
  return linkFormRefusal(lang, new ApiError(error.code, error.message, { errors: fields }))
}
