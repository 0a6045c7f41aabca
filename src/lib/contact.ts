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
 * The number, as `normalisePhone` stores it, of a WhatsApp id (a message's `from`, a contact's
 * `wa_id`). Mostly the id's digits with a plus; but WhatsApp keeps the form a number had when its
 * account was made, and two countries changed their mobile numbers since, so the id of an older
 * account is a form no longer valid, which no form stores: Mexico's mobiles with the `1` after
 * `52` it dropped in 2019, and Brazil's without the `9` it put before every mobile number by
 * 2016. Those ids are read as the number that is valid now, so that a STOP, a confirmation or a
 * reply from such an account reaches the memberships of its number.
 */
export function numberOfWhatsAppId(waId: string): string {
  const asIs = `+${waId}`
  const mexico = /^521(\d{10})$/.exec(waId)
  const brazil = /^55(\d{2})([6-9]\d{7})$/.exec(waId)
  const current = mexico ? `+52${mexico[1]}` : brazil ? `+55${brazil[1]}9${brazil[2]}` : null
  if (!current || parsePhoneNumberFromString(asIs)?.isValid()) return asIs
  return parsePhoneNumberFromString(current)?.isValid() ? current : asIs
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
