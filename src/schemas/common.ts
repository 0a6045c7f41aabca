import { z } from '@hono/zod-openapi'
import { idPattern, type IdPrefix } from '../lib/ids'
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../lib/slug'
import { cleanText } from '../lib/text'

/**
 * A path parameter holding one kind of id; anything else is refused (400) before any query
 * runs.
 */
export function idParam<N extends string = 'id'>(prefix: IdPrefix, name: N = 'id' as N) {
  const schema = z
    .string()
    .regex(idPattern(prefix), `Not ${/^[aeiou]/.test(prefix) ? 'an' : 'a'} ${prefix}_ id`)
    .openapi({ param: { name, in: 'path' }, example: `${prefix}_01jd0000000000000000000000` })
  return z.object({ [name]: schema } as { [K in N]: typeof schema })
}

/**
 * What a URI is written with (RFC 3986): letters, digits, `-._~`, its delimiters and `%` with
 * two hex digits for what is percent-encoded (a `%` that starts no escape is no URI); no space,
 * nothing outside ASCII, no quote, angle bracket, backslash, caret, backtick, brace or bar. A
 * URL's parser would take more (it encodes a space, spells a host in punycode, and drops tabs
 * and line breaks without a word), so a URL sent with them would be stored as another than the
 * one documented as `uri`, or not the one sent.
 */
const URI_CHARACTER = "(?:[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})"
const URI_CHARACTERS = new RegExp(`^${URI_CHARACTER}*$`)
/** A scheme and its colon, perhaps after white space: something meant as a URL. */
const LOOKS_LIKE_A_URL = /^\s*[A-Za-z][A-Za-z0-9+.-]*:/
const URI_CHARACTERS_MESSAGE =
  'A URL is written with the characters of a URI (RFC 3986) only, without spaces: ' +
  'percent-encode other characters (a space is %20, a % is %25) and write a host in punycode (xn--...)'

/**
 * A URL of one of `protocols`, as sent: checked for a URI's characters before a URL's parser
 * reads it. `pattern`: the protocols as the document's pattern spells them, any case.
 */
export function uriSchema(protocols: RegExp, pattern: string, error: string) {
  return (
    z
      .string()
      .max(2048)
      // What is no URL at all is told so by the URL check below: only a URL gets this advice.
      .refine((value) => !LOOKS_LIKE_A_URL.test(value) || URI_CHARACTERS.test(value), {
        message: URI_CHARACTERS_MESSAGE,
        params: { problem: 'urlCharacters' },
      })
      .pipe(z.url({ protocol: protocols, error }))
      .openapi({ format: 'uri', pattern: `^${pattern}:${URI_CHARACTER}*$` })
  )
}

/** An https URL, as sent. */
export const HttpsUrlSchema = uriSchema(/^https$/, '[Hh][Tt][Tt][Pp][Ss]', 'Must be an https URL')

/**
 * A character that shows: anything but white space, control characters, and the characters
 * Unicode draws as nothing (its Default_Ignorable_Code_Point: a zero-width space, a soft hyphen,
 * a bidi control, a variation selector, a Hangul filler, a tag), as blank (the empty Braille
 * pattern, a null notehead, the interlinear annotation marks) or only on another character (a
 * combining mark: an accent with no letter under it). A required text must contain one, so a
 * name of nothing but those, which looks empty or broken in every list it stands in, is refused
 * as empty; the document's pattern is the same test (JSON Schema's patterns are read with
 * Unicode's code points and properties, as `u` reads them).
 */
const VISIBLE_CHARACTER =
  '[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5' +
  '\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u2800\\u3164\\uFE00-\\uFE0F' +
  '\\uFEFF\\uFFA0\\uFFF0-\\uFFFB\\u{1BCA0}-\\u{1BCA3}\\u{1D159}\\u{1D173}-\\u{1D17A}' +
  '\\u{E0000}-\\u{E0FFF}\\p{M}]'
const SHOWS = new RegExp(VISIBLE_CHARACTER, 'u')

/** Whether a text has a character that shows (`VISIBLE_CHARACTER`), not only blank ones. */
export function hasVisibleCharacter(text: string): boolean {
  return SHOWS.test(text)
}

/** Characters as JSON Schema's `maxLength` counts them: code points, not UTF-16 units. */
function characterCount(value: string): number {
  let count = 0
  for (const _ of value) count++
  return count
}

/**
 * Every free-text field people or admins send (names, descriptions, answers, labels, texts): at
 * most `max` characters (code points, as JSON Schema counts) as sent, then cleaned by
 * `cleanText` (NFC, no bidi or control characters; line breaks kept only when `multiline`) and
 * trimmed. `required` texts must keep a visible character once cleaned (its value is the
 * message when they do not). It stays a string schema, so callers add `.optional()` or
 * documentation as for any other.
 */
export function userText(
  max: number,
  options: { multiline?: boolean; required?: boolean | string } = {},
) {
  // Counted as sent, as the document's maxLength says, and again once cleaned: NFC spells a few
  // characters with two (U+0958 becomes U+0915 U+093C), and what is stored must fit the limit
  // that a client writing it back is held to.
  const atMost = (ctx: z.core.ParsePayload<string>) => {
    // Once is enough: a text too long as sent is not told so twice.
    if (ctx.issues.length === 0 && characterCount(ctx.value) > max) {
      ctx.issues.push({
        code: 'too_big',
        origin: 'string',
        maximum: max,
        inclusive: true,
        input: ctx.value,
        message: `Too big: expected string to have <=${max} characters`,
      })
    }
  }
  const text = z
    .string()
    .check(atMost)
    .overwrite((value) => cleanText(value, options))
    .trim()
    .check(atMost)
  if (!options.required) return text.openapi({ maxLength: max })
  // Empty once cleaned is said as for any text without a visible character: what was sent may
  // have been spaces, controls or half a character, and "too small" would not tell which.
  const message =
    typeof options.required === 'string' ? options.required : 'Must contain a visible character'
  return text
    .min(1, message)
    .refine((value) => value === '' || hasVisibleCharacter(value), {
      message,
      // On a form, the words for a field left empty: it looks empty.
      params: { problem: 'required' },
    })
    .openapi({ maxLength: max, pattern: VISIBLE_CHARACTER })
}

export const NameSchema = userText(100, { required: true })
export const DescriptionSchema = userText(500, { multiline: true })
export const SlugSchema = z
  .string()
  .min(3)
  .max(SLUG_MAX_LENGTH)
  .regex(SLUG_PATTERN, 'Lowercase letters, digits and single hyphens only')
  .openapi({ example: 'berlin-runners' })

export const TimestampSchema = z.iso.datetime().openapi({ example: '2026-11-24T09:00:00.000Z' })

/**
 * How a date-time is written to the API: RFC 3339 as JSON Schema's `date-time` has it, in the
 * spelling zod's `iso.datetime` reads (upper-case `T` and `Z`, seconds, an offset with its
 * colon; no leap second), which the pattern states.
 */
export const DATE_TIME_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d+)?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$'

/**
 * The names IANA gives today to zones ICU still lists under an older one (Asia/Kolkata, listed
 * as Asia/Calcutta), and its fixed-offset zones: browsers send them (Firefox's
 * `resolvedOptions().timeZone`), and the runtime's Intl, which croner uses too, reads each as the
 * zone it names, so either spelling is stored as sent. From tzdata 2025b's zones, less those
 * ICU 78 lists and the deprecated `EST5EDT` kind.
 */
export const CURRENT_IANA_NAMES = [
  'Africa/Asmara',
  'America/Argentina/Buenos_Aires',
  'America/Argentina/Catamarca',
  'America/Argentina/Cordoba',
  'America/Argentina/Jujuy',
  'America/Argentina/Mendoza',
  'America/Atikokan',
  'America/Indiana/Indianapolis',
  'America/Kentucky/Louisville',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Asia/Yangon',
  'Atlantic/Faroe',
  'Europe/Kyiv',
  'Pacific/Chuuk',
  'Pacific/Kanton',
  'Pacific/Pohnpei',
  'Etc/UTC',
  'Etc/GMT',
  // POSIX signs: Etc/GMT+5 is five hours behind UTC.
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `Etc/GMT-${i + 1}`),
]

/** Every IANA time zone name the runtime knows, in ICU's spelling and in IANA's current one. */
const TIME_ZONES = [
  ...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', ...CURRENT_IANA_NAMES]),
].sort() as [string, ...string[]]

/** An IANA time zone name the runtime knows. The issue names its problem for the forms' words. */
export const TimeZoneSchema = z
  .string()
  .refine((zone) => TIME_ZONES.includes(zone), {
    message: 'Not an IANA time zone, e.g. Europe/Berlin',
    params: { problem: 'timeZone' },
  })
  .openapi('TimeZone', {
    enum: TIME_ZONES,
    description:
      'An IANA time zone name, as the runtime’s ICU lists them or as IANA names them today (`Asia/Calcutta` or `Asia/Kolkata`), `UTC`, or a fixed offset (`Etc/GMT-2`)',
    example: 'Europe/Berlin',
  })
