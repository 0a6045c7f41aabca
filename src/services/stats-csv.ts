import { csvLine } from '../lib/csv'
import type { DayFigures } from './stats'

/**
 * The figures of every day as CSV rows, for a spreadsheet. With Telegram on, what Telegram saw
 * follows in columns named as such: joins and leaves it reported, and of that day's joins, how
 * many left the chat within 7 and 30 days (verified retention, by the day of the join). Then,
 * last (columns are added at the end, so a sheet built on an earlier export still reads its
 * own), the leaves as our records show them, as the page's "Left again" and retention count
 * them: of the day's joins, who left since, and who left within 7 and 30 days.
 */
export function statsCsv(days: DayFigures[], telegram = false): string {
  const header = [
    'day',
    'visits',
    'qr_scans',
    'link_clicks',
    'join_requests',
    'confirmed',
    'joins',
    'confirmed_by_phone',
    'confirmed_by_email',
    ...(telegram
      ? [
          'joined_seen_by_telegram',
          'left_seen_by_telegram',
          'of_those_joined_left_within_7_days_seen_by_telegram',
          'of_those_joined_left_within_30_days_seen_by_telegram',
        ]
      : []),
    'of_those_joined_left',
    'of_those_joined_left_within_7_days',
    'of_those_joined_left_within_30_days',
  ]
  return [
    csvLine(header),
    ...days.map((d) =>
      csvLine([
        d.day,
        d.visits,
        d.scans,
        d.clicks,
        d.joinRequests,
        d.confirmations,
        d.joins,
        d.confirmedByPhone,
        d.confirmedByEmail,
        ...(telegram
          ? [
              d.verifiedJoins,
              d.verifiedLeaves,
              d.verifiedLeftWithin7Days,
              d.verifiedLeftWithin30Days,
            ]
          : []),
        d.leaves,
        d.leftWithin7Days,
        d.leftWithin30Days,
      ]),
    ),
  ].join('\r\n')
}
