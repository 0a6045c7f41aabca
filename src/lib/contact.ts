// Full metadata: `isValid()` checks a number's digits against its country's numbering plan, so
// "12345" or "+49 123" is refused instead of passing on length alone as with `/min`. It costs
// about 20 KiB more of the gzipped Worker (391 -> 411 KiB, measured with `wrangler deploy
// --dry-run`); `/mobile` would cost 5 KiB but refuses landlines, which can carry WhatsApp too.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/**
 * A phone number in E.164 (`+4915112345678`), or null when it is not a number its country
 * hands out. Numbers without a country code are read as German, the product's first market.
 */
export function normalisePhone(input: string): string | null {
  // Full-width and other compatibility forms to plain ones first (`＋４９…`, as East Asian
  // keyboards type it, and the small and superscript plus), and the heavy plus emoji to a plus:
  // the parser skips a plus it does not know and would read the country code as part of a
  // German number, someone else's.
  const plain = input
    .normalize('NFKC')
    .replace(/\u2795/g, '+')
    .trim()
  const parsed = parsePhoneNumberFromString(plain, 'DE')
  return parsed?.isValid() ? parsed.number : null
}

/**
 * A stored number as people read it (`+49 151 12345678`): grouped as its country writes it,
 * with the country code, so every number reads the same whatever the reader's country.
 */
export function readablePhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164
}

/**
 * A search typed as a phone number, the way the dashboard shows one or as people write it
 * (`+49 151 1234-5678`, `(0151) 123`): its digits and plus, as stored, or null for any other
 * search. A number begun with one 0 is read as German, as the forms read it (`0151` finds
 * `+49151…`).
 */
export function phoneSearchOf(search: string): string | null {
  if (!/^[+\d\s()./-]+$/.test(search) || !/\d/.test(search)) return null
  const digits = search.replace(/[^+\d]/g, '')
  return /^0[1-9]/.test(digits) ? `+49${digits.slice(1)}` : digits
}
