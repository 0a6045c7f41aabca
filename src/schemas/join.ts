import { z } from '@hono/zod-openapi'
import { normalisePhone } from '../lib/contact'
import { ApiError } from '../lib/errors'
import { userText } from './common'

const optionalText = (max: number) =>
  userText(max)
    .optional()
    .transform((value) => value || undefined)

/** What a person sends to join, from the HTML form or as JSON from a marketer's own site. */
export const JoinBodySchema = z
  .strictObject({
    name: userText(80, { required: 'Please tell us your name' }),
    phone: optionalText(32)
      .transform((value, ctx) => {
        if (value === undefined) return null
        const phone = normalisePhone(value)
        if (!phone) {
          ctx.addIssue({
            code: 'custom',
            message: 'Not a valid phone number; include the country code, e.g. +49',
            params: { problem: 'phone' },
          })
          return z.NEVER
        }
        return phone
      })
      .openapi({ example: '+49 151 23456789' }),
    // Checked as sent, not cleaned first: without an invisible character it would be another
    // address, someone else's, and the confirmation would go there.
    email: z
      .string()
      .trim()
      .max(254)
      .optional()
      .transform((value) => value || undefined)
      .pipe(z.email('Not a valid e-mail address').optional())
      .transform((value) => value?.toLowerCase() ?? null)
      .openapi({ example: 'mia@example.com' }),
    answers: z
      .array(userText(500, { multiline: true, required: 'Please answer every question' }))
      .max(5)
      .default([])
      .describe(
        'One answer to each question of a closed community, in order (a community asks at most ' +
          '5). Fewer is refused; answers past its questions (an open community asks none) are ' +
          'not stored',
      ),
    consent: z.literal(true, {
      error: 'Please agree to be contacted, or the community cannot reach you',
    }),
    turnstileToken: z.string().max(4096).optional(),
  })
  .refine((body) => body.phone !== null || body.email !== null, {
    message: 'Give a phone number or an e-mail address',
    path: ['phone'],
    params: { problem: 'contactMissing' },
  })
  .openapi('JoinBody')

/** The HTML form's fields, turned into the same shape as the JSON body. */
export function formToJoinBody(form: Record<string, string | File | (string | File)[]>) {
  const text = (key: string) => {
    const value = form[key]
    // The form has each of these once: twice, it was not sent by the form, and reading it as
    // missing would store a sign-up without the number it came with.
    if (Array.isArray(value) && key !== 'cf-turnstile-response') {
      throw new ApiError('bad_request', `The field ${key} was sent more than once.`)
    }
    return typeof value === 'string' ? value : undefined
  }
  const answers = form.answers
  return {
    name: text('name') ?? '',
    phone: text('phone'),
    email: text('email'),
    // A file sent as an answer stays in its place as an empty answer, so it is refused beside
    // the question it was meant for rather than stored as "[object File]".
    answers: (Array.isArray(answers) ? answers : answers === undefined ? [] : [answers]).map(
      (answer) => (typeof answer === 'string' ? answer : ''),
    ),
    consent: text('consent') === 'yes',
    turnstileToken: text('cf-turnstile-response'),
  }
}
