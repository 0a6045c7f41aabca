import { Cron } from 'croner'
import { LOCALES, type Lang } from './i18n'

/** The UTC calendar day of a moment, as `YYYY-MM-DD`: the unit of daily rollups and salts. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10)
}

/**
 * The last day a stats period may end on: the day after it, and the end of its month, which the
 * stats count to, are still days of a four-digit year (after 9999-12-31 none is).
 */
export const LAST_STATS_DAY = '9998-12-31'

/**
 * The first day a stats period may start or end on: a period's default start (30 days before
 * its end), a year's range before it and a cohort's 30 days are still days of a four-digit year
 * (before 0000-01-01 a day is written `-000001-…`, which sorts and steps wrongly).
 */
export const FIRST_STATS_DAY = '0002-01-01'

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00.000Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return utcDay(date)
}

/** How far ahead of ours another service's clock may run before its times are not believed. */
const CLOCK_SKEW_SECONDS = 300

/**
 * A time another service stamped an event with (Unix seconds), as we keep it: as sent, unless it
 * is more than a few minutes ahead of our clock (`now`, seconds), which no event can be; then
 * `now`. A date years ahead would otherwise sort first in every list, or outrank every later
 * change of the same person (a STOP over each START until then).
 */
export function notAhead(seconds: number, now: number): number {
  return seconds > now + CLOCK_SKEW_SECONDS ? now : seconds
}

/** Where the product started: the time zone of a community that names none, and of the demo. */
export const DEFAULT_TIME_ZONE = 'Europe/Berlin'

/**
 * The UTC instant of a `datetime-local` value ("2030-07-01T18:30") read on the wall clock of
 * `timeZone`, or null when it is no date-time. croner reads it as a one-off run in that zone, so
 * a time the clocks skip or repeat resolves as the announcement scheduler resolves it.
 */
export function wallClockToUtc(value: string, timeZone: string): Date | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value)) return null
  try {
    return new Cron(`${value}:00`, { timezone: timeZone, paused: true }).nextRun(new Date(0))
  } catch {
    return null
  }
}

/** The day (`YYYY-MM-DD`) an instant falls on, on the calendar of `timeZone`. */
export function calendarDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at)
}

/**
 * The `datetime-local` value ("2030-07-01T18:30") of an instant on the wall clock of `timeZone`:
 * what `wallClockToUtc` reads back, for a form that shows a stored time.
 */
export function utcToWallClock(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`
}

let knownZones: string[] | undefined

/**
 * Every time zone the runtime knows (workerd's ICU, as browsers'), by the name IANA gives it
 * today where ICU still lists an older one (Asia/Kolkata, not Asia/Calcutta; `currentNames`
 * are those names, each read by the runtime as the zone ICU lists), `first` at the top, for a
 * picker. A zone the list lacks (an old alias stored earlier) is still offered first.
 */
export function timeZoneChoices(first: string, currentNames: readonly string[]): string[] {
  knownZones ??= listedZones(currentNames)
  return [first, ...knownZones.filter((zone) => zone !== first)]
}

function listedZones(currentNames: readonly string[]): string[] {
  const renamed = new Map<string, string>()
  for (const name of currentNames) {
    if (name.startsWith('Etc/')) continue
    const listedAs = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone
    if (listedAs !== name) renamed.set(listedAs, name)
  }
  const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC'].map(
    (zone) => renamed.get(zone) ?? zone,
  )
  return [...new Set(zones)].sort()
}

let labels: { day: string; byZone: Map<string, string> } | undefined

/**
 * A zone with its offset from UTC today, for a picker: "Asia/Kolkata (UTC+05:30)". Kept for the
 * day (a picker lists some 420 zones; an offset changes with daylight saving time, not hourly).
 */
export function timeZoneLabel(zone: string, now: Date): string {
  const day = now.toISOString().slice(0, 10)
  if (labels?.day !== day) labels = { day, byZone: new Map() }
  let label = labels.byZone.get(zone)
  if (label === undefined) {
    label = offsetLabel(zone, now)
    labels.byZone.set(zone, label)
  }
  return label
}

function offsetLabel(zone: string, now: Date): string {
  const offset = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(now)
    .find((part) => part.type === 'timeZoneName')?.value
  const utc =
    !offset || offset === 'GMT' || offset === 'GMT+00:00' ? 'UTC' : offset.replace('GMT', 'UTC')
  return `${zone} (${utc})`
}

/** A day as the reader's language writes it ("01.07.2030", "Jul 1, 2030"), on `timeZone`'s calendar. */
export function formatDay(lang: Lang, at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeZone }).format(at)
}

/**
 * A moment as the reader's language writes it ("01.07.2030, 18:30"), on the wall clock of
 * `timeZone`; with `zone`, that zone's short name after it ("MESZ", "CEST", "GMT-4"), for pages
 * read by people who may live elsewhere.
 */
export function formatMoment(
  lang: Lang,
  at: Date,
  timeZone: string,
  options: { zone?: boolean } = {},
): string {
  const locale = LOCALES[lang]
  const moment = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(at)
  if (!options.zone) return moment
  const zone = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value
  return zone ? `${moment} ${zone}` : moment
}
