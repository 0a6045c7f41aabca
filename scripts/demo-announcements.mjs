// The demo's announcements: past ones with their runs and each member's delivery, sent through
// WhatsApp as the demo sends new ones (skipped where the member's number was not confirmed then,
// a few failed, with the errors WhatsApp gives for a number that is gone; of the rest most read,
// some delivered only, a few not reported delivered yet, as WhatsApp's status notifications
// tell), and the next ones on the schedule.
// Written with the history's guard, so they are loaded once with it (scripts/demo-history.mjs).
import { Cron } from 'croner'
import { DAY_MS, id, q, random } from './demo-sql.mjs'
import { MAKERS, NOT_LOADED, RUNNERS, inserts } from './demo-communities.mjs'

const LEAVE_ERRORS = ['Recipient phone number not on WhatsApp', 'Message undeliverable']

/**
 * A member's number was not one the sender writes to when the announcement went out (at `at`):
 * not confirmed by then, or confirmed only by the form where the community asks for proof. The
 * sender skips such members (src/services/delivery/send.ts), and so does the demo's history.
 */
const NOT_CONFIRMED = (at) =>
  `(m.phone_confirmed_at IS NULL OR m.phone_confirmed_at > ${at}
    OR (c.consent = 'double' AND m.phone_consent_method = 'single_opt_in'))`

/** Past announcements with their deliveries, and the next ones on the schedule. */
export function announcementsSql(now, todayStart) {
  const past = [
    [
      RUNNERS,
      52,
      'Welcome to Berlin Runners! Sunday long run: 9:00 at the Tempelhofer Feld entrance Columbiadamm.',
    ],
    [
      RUNNERS,
      38,
      'Track Tuesdays move to 18:30 from next week. Bring a light, it gets dark early.',
    ],
    [RUNNERS, 19, 'Race day tomorrow! Meet at 8:15 by the start banner. Good luck everyone.'],
    [RUNNERS, 6, 'Photos from race day are up. Thank you for 640 visits in one morning!'],
    [MAKERS, 44, 'Repair café this Saturday, 14:00, Weserstraße. Bring a broken toaster.'],
    [MAKERS, 12, 'New workshop: soldering basics, limited to 8 people. Reply to book a place.'],
  ]
  const rows = []
  const statements = []
  for (const [community, back, body] of past) {
    const rand = random(`announcement|${community}|${back}`)
    const at = todayStart - back * DAY_MS + 17 * 3_600_000
    const annId = id('ann', at - 3 * DAY_MS, rand)
    const dspId = id('dsp', at, rand)
    rows.push([annId, community, body, null, at, null, null, 'sent', at, at - 3 * DAY_MS, at])
    statements.push(
      // Over when it is loaded: every delivery settled (its counts follow), so the dashboard's
      // first view shows it sent, not a run stalled until the cron job's first pass.
      `INSERT OR IGNORE INTO dispatches (id, announcement_id, scheduled_for, status, channel, cursor, queued, sent, failed, skipped, created_at, progress_at, finished_at)
SELECT ${q(dspId)}, ${q(annId)}, ${at}, 'done', 'whatsapp', NULL, 0, 0, 0, 0, ${at}, ${at + 60_000}, ${at + 60_000} WHERE ${NOT_LOADED};`,
      `INSERT OR IGNORE INTO deliveries (dispatch_id, member_id, status, attempts, last_error, provider_message_id, provider_status, updated_at)
SELECT ${q(dspId)}, m.id,
  CASE WHEN m.phone IS NULL THEN 'skipped'
    WHEN ${NOT_CONFIRMED(at)} THEN 'skipped'
    WHEN abs(unicode(substr(m.id, -1)) * 7 + unicode(substr(m.id, -2, 1))) % 29 = 0 THEN 'failed' ELSE 'sent' END,
  1,
  CASE WHEN m.phone IS NULL THEN 'no phone number'
    WHEN ${NOT_CONFIRMED(at)} THEN 'phone number not confirmed' END,
  'wamid.demo.' || ${q(dspId)} || '.' || m.id,
  CASE abs(unicode(substr(m.id, -1)) * 5 + unicode(substr(m.id, -3, 1)) * 3) % 20
    WHEN 0 THEN 'sent' WHEN 1 THEN 'delivered' WHEN 2 THEN 'delivered' WHEN 3 THEN 'delivered'
    ELSE 'read' END,
  ${at + 60_000}
FROM members m JOIN communities c ON c.id = m.community_id
WHERE m.community_id = ${q(community)} AND m.joined_at < ${at}
  AND (m.ended_at IS NULL OR m.ended_at > ${at})
  AND (m.phone IS NOT NULL OR m.email IS NOT NULL) AND ${NOT_LOADED};`,
      // A send WhatsApp refused, or one never made, got no message id, nor a status.
      `UPDATE deliveries SET provider_message_id = NULL, provider_status = NULL
WHERE dispatch_id = ${q(dspId)} AND status IN ('failed', 'skipped');`,
      `UPDATE deliveries SET last_error = CASE WHEN unicode(substr(member_id, -3, 1)) % 2 = 0 THEN ${q(LEAVE_ERRORS[0])} ELSE ${q(LEAVE_ERRORS[1])} END
WHERE dispatch_id = ${q(dspId)} AND status = 'failed' AND last_error IS NULL;`,
      // When each step happened, as the report per recipient shows them: sent with the run, on
      // the phone seconds later, read minutes to hours after (the latest step is the last change).
      `UPDATE deliveries SET sent_at = ${at + 60_000},
  delivered_at = CASE WHEN provider_status IN ('delivered', 'read') THEN ${at + 60_000} + (2 + unicode(substr(member_id, -2, 1)) % 40) * 1000 END,
  read_at = CASE WHEN provider_status = 'read' THEN ${at + 60_000} + (3 + unicode(substr(member_id, -1)) * 7 % 300) * 60000 END
WHERE dispatch_id = ${q(dspId)} AND status = 'sent';`,
      `UPDATE deliveries SET updated_at = coalesce(read_at, delivered_at, sent_at)
WHERE dispatch_id = ${q(dspId)} AND status = 'sent';`,
      `UPDATE dispatches SET
  sent = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND status = 'sent'),
  failed = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND status = 'failed'),
  skipped = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND status = 'skipped'),
  delivered = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND provider_status IN ('delivered', 'read')),
  read = (SELECT count(*) FROM deliveries WHERE dispatch_id = ${q(dspId)} AND provider_status = 'read')
WHERE id = ${q(dspId)};`,
    )
  }
  const weekly = new Cron('0 18 * * 5', { timezone: 'Europe/Berlin' }).nextRun(now)
  const rand = random('announcement|upcoming')
  rows.push([
    id('ann', todayStart - 2 * DAY_MS, rand),
    RUNNERS,
    'Weekend plan: long run Sunday 9:00, easy pace, coffee afterwards.',
    null,
    weekly.getTime(),
    '0 18 * * 5',
    'Europe/Berlin',
    'scheduled',
    null,
    todayStart - 2 * DAY_MS,
    todayStart - 2 * DAY_MS,
  ])
  const soon = todayStart + 3 * DAY_MS + 16 * 3_600_000
  rows.push([
    id('ann', todayStart - DAY_MS, rand),
    MAKERS,
    'Tool library opens on Saturday: borrow drills, saws and sewing machines for free.',
    null,
    soon,
    null,
    null,
    'scheduled',
    null,
    todayStart - DAY_MS,
    todayStart - DAY_MS,
  ])
  return [
    ...inserts(
      'announcements',
      [
        'id',
        'community_id',
        'body',
        'audience_group_ids',
        'send_at',
        'repeat_cron',
        'repeat_timezone',
        'status',
        'claimed_at',
        'created_at',
        'updated_at',
      ],
      rows,
    ),
    ...statements,
  ]
}
