import { describe, expect, it } from 'vitest'
import {
  canonicalCode,
  CODE_MAX_LENGTH,
  customCodeProblem,
  GENERATED_CODE_PATTERN,
  newInviteCode,
} from '../../src/lib/codes'

describe('generated invite codes', () => {
  it('are 13 characters without look-alikes, and every one of them is a valid custom code too', () => {
    const codes = Array.from({ length: 500 }, newInviteCode)
    for (const code of codes) {
      expect(code).toMatch(GENERATED_CODE_PATTERN)
      expect(code).not.toMatch(/[01ilo]/)
      expect(customCodeProblem(code), code).toBeNull()
    }
    expect(new Set(codes).size).toBe(codes.length)
  })
})

describe('custom codes', () => {
  it('take 3 to 40 letters, digits and single dashes between them, in any case', () => {
    for (const code of ['abc', 'Summer-Run', 'kiez-2026-ab', 'a'.repeat(CODE_MAX_LENGTH)])
      expect(customCodeProblem(code), code).toBeNull()
    expect(canonicalCode('Summer-Run')).toBe('summer-run')
  })

  it('name what is wrong with one they cannot be', () => {
    expect(customCodeProblem('ab')).toBe('length')
    expect(customCodeProblem('a'.repeat(CODE_MAX_LENGTH + 1))).toBe('length')
    for (const code of ['-abc', 'abc-', 'a--b', 'ab c', 'grüße', 'ab_c', 'ab.c'])
      expect(customCodeProblem(code), code).toBe('characters')
    for (const code of ['admin', 'API', 'WhatsApp', 'cdn-cgi'])
      expect(customCodeProblem(code), code).toBe('reserved')
  })
})
