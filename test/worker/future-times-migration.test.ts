import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { newPhone, query } from './helpers'

/**
 * Migration 0039: times a chat platform stamped years ahead, stored before such times were read
 * as received, are taken as now. A file of its own: the migration runs over every row of the
 * database, and storage is shared only within a file.
 */

async function runMigration() {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0039_platform_times_not_ahead.sql')!
  await env.DB.batch(migration.queries.map((sql) => env.DB.prepare(sql)))
}

describe('migration 0039: platform times ahead of the clock', () => {
  it('takes a stop and a chat membership dated years ahead as now, and leaves every other time', async () => {
    const inTenYears = Date.now() + 10 * 365 * 86_400_000
    const aMinuteAhead = Date.now() + 60_000
    const ahead = newPhone()
    const close = newPhone()
    await query(
      `insert into marketing_preferences (phone, value, timestamp, applied) values (?, 'stop', ?, 1), (?, 'stop', ?, 1)`,
      ahead,
      inTenYears,
      close,
      aMinuteAhead,
    )
    await query(
      `insert into telegram_memberships (chat_id, user_id, username, first_name, is_member,
         invite_id, joined_at, left_at, left_as, status_at)
       values (-100990001, 990001, null, 'Ahead', 1, null, ?1, null, null, ?1)`,
      inTenYears,
    )

    const before = Date.now()
    await runMigration()
    const after = Date.now()
    const [stop] = await query<{ timestamp: number }>(
      'select timestamp from marketing_preferences where phone = ?',
      ahead,
    )
    expect(stop!.timestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect(stop!.timestamp).toBeLessThanOrEqual(after)
    expect(
      await query('select timestamp from marketing_preferences where phone = ?', close),
    ).toEqual([{ timestamp: aMinuteAhead }])
    const [membership] = await query<{ joined_at: number; status_at: number }>(
      'select joined_at, status_at from telegram_memberships where user_id = 990001',
    )
    expect(membership!.joined_at).toBeLessThanOrEqual(after)
    expect(membership!.status_at).toBeLessThanOrEqual(after)
  })
})
