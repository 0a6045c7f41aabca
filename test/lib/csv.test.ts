import { describe, expect, it } from 'vitest'
import { csvLine } from '../../src/lib/csv'

describe('a CSV line', () => {
  it('quotes what would break the columns and defuses what a spreadsheet would run', () => {
    expect(csvLine(['Ana', 'a,b', 'say "hi"', 'two\r\nlines'])).toBe(
      'Ana,"a,b","say ""hi""","two\r\nlines"',
    )
    expect(csvLine(['=HYPERLINK("x")', '@SUM(1)', '-2+3', '+SUM(1)'])).toBe(
      `"'=HYPERLINK(""x"")",'@SUM(1),'-2+3,'+SUM(1)`,
    )
  })

  it('defuses a formula where a spreadsheet splitting on ; or tabs, or by lines, starts a cell', () => {
    // Excel in German or French opens a .csv split on `;`: each piece would be a cell of its own.
    expect(csvLine(['Max;=1+1;@SUM(2+2); -3+3', 'x'])).toBe(`"Max;'=1+1;'@SUM(2+2); '-3+3",x`)
    expect(csvLine(["tok_1: =cmd|' /C calc'!A0"])).toBe("tok_1: =cmd|' /C calc'!A0")
    expect(csvLine(['a\t+SUM(1)', 'two\n=lines'])).toBe(`a\t'+SUM(1),"two\n'=lines"`)
    // A quote between does not hide it: the piece may be read as a quoted field.
    expect(csvLine(['x;"=cmd|x!A0"'])).toBe(`"x;""'=cmd|x!A0"""`)
    // Ordinary text with a semicolon is only quoted, so no dialect splits it.
    expect(csvLine(['Spree; Havel', 'Kanu – Kajak'])).toBe('"Spree; Havel",Kanu – Kajak')
  })

  it('keeps phone numbers and figures exactly as they are', () => {
    expect(csvLine(['+4915112345678', 42, 0])).toBe('+4915112345678,42,0')
  })
})
