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

  it('keeps phone numbers and figures exactly as they are', () => {
    expect(csvLine(['+4915112345678', 42, 0])).toBe('+4915112345678,42,0')
  })
})
