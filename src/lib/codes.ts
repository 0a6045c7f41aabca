/**
 * Invite codes: 13 characters from an alphabet without look-alikes (no 0/o, 1/l/i, no
 * upper case), so a code read off a poster is typed right. 31^13 is about 2^64.4: at least
 * 64 bits of randomness, drawn without modulo bias.
 */
export const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
export const CODE_LENGTH = 13
export const CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`)

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
