// Pieces both demo histories (scripts/demo-history.mjs, scripts/demo-telegram.mjs) write their
// SQL with: a seeded generator, SQL literals, multi-row inserts that run only while that history
// is not loaded yet, and the audit log entry of a join request's decision.

export const DAY_MS = 86_400_000
export const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** A time-sortable id as the Worker makes them: 10 characters of time, 16 of (seeded) chance. */
export function id(prefix, ms, rand) {
  let time = ''
  for (let i = 0, n = ms; i < 10; i++, n = Math.floor(n / 32)) time = CROCKFORD[n % 32] + time
  let tail = ''
  for (let i = 0; i < 16; i++) tail += CROCKFORD[Math.floor(rand() * 32)]
  return `${prefix}_${time}${tail}`
}

/** The UTC day of a moment, as the rollups key it (`YYYY-MM-DD`). */
export const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10)

/** A small seeded generator (mulberry32), keyed by a string. */
export function random(key) {
  let seed = 2166136261
  for (const char of key) seed = Math.imul(seed ^ char.charCodeAt(0), 16777619)
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A value as an SQL literal. */
export const q = (value) =>
  value === null || value === undefined
    ? 'NULL'
    : typeof value === 'number'
      ? String(value)
      : `'${String(value).replaceAll("'", "''")}'`

/**
 * A writer of multi-row inserts of at most 100 rows each (far inside D1's limit on one
 * statement), each only while `notLoaded` (an SQL condition) holds, so loading twice adds nothing.
 */
export const insertsUnlessLoaded = (notLoaded) => (table, columns, rows) => {
  const statements = []
  for (let i = 0; i < rows.length; i += 100) {
    const values = rows
      .slice(i, i + 100)
      .map((row) => `(${row.map(q).join(', ')})`)
      .join(',\n  ')
    statements.push(
      `INSERT OR IGNORE INTO ${table} (${columns.join(', ')})\nSELECT * FROM (VALUES\n  ${values})\nWHERE ${notLoaded};`,
    )
  }
  return statements
}

export const AUDIT_COLUMNS = [
  'id',
  'community_id',
  'at',
  'action',
  'actor_token_id',
  'actor_name',
  'target_id',
  'detail',
]

/**
 * The audit log entry of a join request decided on the dashboard, as the Worker writes it
 * (src/api/join-decisions.ts for a web request, src/pages/dashboard/telegram-approvals.tsx for a
 * Telegram one): the bootstrap owner (no token), the one person signed in to a fresh
 * `npm run dev`, as the actor, the request as the target, at the moment of the decision. `status`:
 * `approved`, or `rejected` / `declined`.
 */
export function decisionAuditEntry(communityId, request, rand) {
  const { requestId, decidedAt, status } = request
  return [
    id('aud', decidedAt, rand),
    communityId,
    decidedAt,
    status === 'approved' ? 'join_request.approved' : 'join_request.rejected',
    null,
    'owner',
    requestId,
    null,
  ]
}
