import { parsePhoneNumberFromString } from 'libphonenumber-js/min'

/**
 * A phone number in E.164 (`+4915112345678`), or null when it is not a valid number. Numbers
 * without a country code are read as German, the product's first market.
 */
export function normalisePhone(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'DE')
  return parsed?.isValid() ? parsed.number : null
}
