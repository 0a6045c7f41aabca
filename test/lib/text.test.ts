import { describe, expect, it } from 'vitest'
import { cleanText } from '../../src/lib/text'

/** Shows as "Bobattack": the override reverses what follows it. */
const SPOOFED = 'Bob\u202Ekcatta'

describe('cleanText', () => {
  it('normalises to NFC, drops bidi and control characters, keeps line breaks only where asked', () => {
    expect(cleanText(SPOOFED)).toBe('Bobkcatta')
    expect(cleanText('Cafe\u0301')).toBe('Caf\u00e9')
    expect(cleanText('\u2067Ada\u2069 \u200eLovelace\u200f\u061c')).toBe('Ada Lovelace')
    expect(cleanText('bell\u0007 esc\u001b[31m csi\u009b nul\u0000 del\u007f')).toBe(
      'bell esc[31m csi nul del',
    )
    expect(cleanText('line one\r\nline two\u2028three\tfour')).toBe('line one line two three four')
    expect(cleanText('line one\r\nline two\u2028three\rfour', { multiline: true })).toBe(
      'line one\nline two\nthree\nfour',
    )
    // Joiners that emoji and some scripts need stay.
    expect(cleanText('👩\u200d💻 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645')).toBe(
      '👩\u200d💻 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
    )
  })

  it('drops halves of surrogate pairs and keeps whole pairs', () => {
    expect(cleanText('a\uD800b\uDC00c\uDBFF')).toBe('abc')
    expect(cleanText('\uDC00\uD800')).toBe('')
    expect(cleanText('🏃\uD83C')).toBe('🏃')
    expect(cleanText('🏃🏽‍♀️')).toBe('🏃🏽‍♀️')
  })
})
