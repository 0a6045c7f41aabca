import { describe, expect, it } from 'vitest'
import { wallClockToUtc } from '../../src/lib/time'

describe('a time typed on the wall clock of a community', () => {
  it('is the instant that clock shows, summer and winter', () => {
    expect(wallClockToUtc('2030-07-01T18:30', 'Europe/Berlin')?.toISOString()).toBe(
      '2030-07-01T16:30:00.000Z',
    )
    expect(wallClockToUtc('2030-01-15T09:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2030-01-15T08:00:00.000Z',
    )
    expect(wallClockToUtc('2030-01-15T09:00', 'America/New_York')?.toISOString()).toBe(
      '2030-01-15T14:00:00.000Z',
    )
  })

  it('keeps a moment in the past, so the form can say it is past', () => {
    expect(wallClockToUtc('2020-01-01T10:00', 'UTC')?.toISOString()).toBe(
      '2020-01-01T10:00:00.000Z',
    )
  })

  it('resolves the hour the clocks skip and the one they repeat', () => {
    // 02:30 does not exist in Berlin on 29 March 2026; it is read as the hour after the jump.
    expect(wallClockToUtc('2026-03-29T02:30', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    )
    // 02:30 happens twice on 25 October 2026; the first one (still summer time) counts.
    expect(wallClockToUtc('2026-10-25T02:30', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    )
  })

  it('is null for anything that is not a date and a time', () => {
    for (const value of ['', 'tomorrow', '2030-07-01', '2030-07-01T18:30:00Z', '2030-13-01T10:00'])
      expect(wallClockToUtc(value, 'Europe/Berlin'), value).toBeNull()
  })
})
