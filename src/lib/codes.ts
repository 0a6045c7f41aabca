/**
 * Generated invite codes: 13 characters from an alphabet without look-alikes (no 0/o, 1/l/i, no
 * upper case), so a code read off a poster is typed right. 31^13 is about 2^64.4: at least
 * 64 bits of randomness, drawn without modulo bias.
 */
export const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
export const CODE_LENGTH = 13
export const GENERATED_CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`)

const UNBIASED_LIMIT = 256 - (256 % CODE_ALPHABET.length)

export function newInviteCode(): string {
  let code = ''
  while (code.length < CODE_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(CODE_LENGTH * 2))) {
      if (byte < UNBIASED_LIMIT && code.length < CODE_LENGTH) {
        code += CODE_ALPHABET[byte % CODE_ALPHABET.length]
      }
    }
  }
  return code
}

/**
 * Custom codes (vanity slugs such as `summer-run`): ASCII letters, digits and single dashes
 * between them, 3 to 40 characters. Every generated code is one too, so this is the shape of
 * every code the product issues, and what the public routes check before touching D1.
 *
 * Codes are case-insensitive: stored and served in lower case (`canonicalCode`), so `Summer-Run`
 * and `summer-run` are one code, and a code typed in capitals off a poster still works.
 */
export const CODE_MIN_LENGTH = 3
export const CODE_MAX_LENGTH = 40
/** Written out in both cases (no `i` flag): the OpenAPI document shows the pattern as is. */
export const CODE_PATTERN = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/

/**
 * Words no custom code may be: every first path segment of the app and every page under a code
 * (a test keeps this in step with the routes, so codes can move to the root one day), and words
 * that would pass for the operator's own pages or for a platform's.
 */
export const RESERVED_CODES: ReadonlySet<string> = new Set([
  // The app's routes.
  'admin',
  'api',
  'confirm',
  'favicon',
  'healthz',
  'i',
  'join',
  'leave',
  'qr',
  'robots',
  's',
  'webhooks',
  // Cloudflare's own paths on every zone.
  'cdn-cgi',
  'well-known',
  // Pages a site usually has, or that look official.
  'about',
  'abuse',
  'account',
  'administrator',
  'app',
  'assets',
  'auth',
  'billing',
  'contact',
  'dashboard',
  'docs',
  'help',
  'invite',
  'invites',
  'legal',
  'login',
  'logout',
  'oauth',
  'official',
  'privacy',
  'register',
  'root',
  'security',
  'settings',
  'signin',
  'signup',
  'static',
  'status',
  'support',
  'system',
  'terms',
  'www',
  // The chat platforms: a link must not pose as theirs.
  'telegram',
  'whatsapp',
])

/** The one form a code is stored, compared and served in. */
export function canonicalCode(code: string): string {
  return code.toLowerCase()
}

export type CustomCodeProblem = 'length' | 'characters' | 'reserved'

/** Why a wished-for custom code cannot be had (whether it is free is for D1 to say), or null. */
export function customCodeProblem(code: string): CustomCodeProblem | null {
  if (code.length < CODE_MIN_LENGTH || code.length > CODE_MAX_LENGTH) return 'length'
  if (!CODE_PATTERN.test(code)) return 'characters'
  if (RESERVED_CODES.has(canonicalCode(code))) return 'reserved'
  return null
}
