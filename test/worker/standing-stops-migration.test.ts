import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createCommunity, createInvite, joinAsMember, memberIdOf, newPhone, query } from './helpers'

/**
 * Migration 0030: opt-outs made before a STOP was recorded per number left only the memberships
 * they ended. Each such number must get its stop back, so that nothing reaches it until it says
 * otherwise. A file of its own: the migration runs over every row of the database, and storage
 * is shared only within a file.
 */

/** A member whose membership ended by an opt-out at `endedAt`, with nothing recorded for the number. */
async function optedOutBefore(reason: string, endedAt: number) {
  const community = await createCommunity()
  const invite = await createInvite(community.id)
  const phone = newPhone()
  const joined = await joinAsMember(invite.code, { name: 'Before', phone })
  expect(joined.status, joined.text).toBe(201)
  await query(
    `update members set status = 'left', leave_reason = ?, ended_at = ? where id = ?`,
    reason,
    endedAt,
    await memberIdOf(joined),
  )
  return phone
}

async function runMigration() {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0030_standing_stops.sql')!
  await env.DB.batch(migration.queries.map((sql) => env.DB.prepare(sql)))
}

describe('migration 0030: opt-outs made before stand as stops', () => {
  it('records a stop for each number whose membership an opt-out ended, unless a newer choice is recorded', async () => {
    const day = Date.UTC(2026, 5, 1)
    const chat = await optedOutBefore('chat_opt_out', day)
    const marketing = await optedOutBefore('marketing_opt_out', day + 1000)
    const resumedSince = await optedOutBefore('chat_opt_out', day)
    await query(
      `insert into marketing_preferences (phone, value, timestamp, applied) values (?, 'resume', ?, 1)`,
      resumedSince,
      day + 86_400_000,
    )
    const resumedBefore = await optedOutBefore('chat_opt_out', day + 2 * 86_400_000)
    await query(
      `insert into marketing_preferences (phone, value, timestamp, applied) values (?, 'resume', ?, 1)`,
      resumedBefore,
      day,
    )
    const left = await optedOutBefore('too_many_messages', day)

    await runMigration()
    const recorded = async (phone: string) =>
      query('select value, timestamp from marketing_preferences where phone = ?', phone)
    expect(await recorded(chat)).toEqual([{ value: 'stop', timestamp: day }])
    expect(await recorded(marketing)).toEqual([{ value: 'stop', timestamp: day + 1000 }])
    expect(await recorded(resumedSince)).toEqual([{ value: 'resume', timestamp: day + 86_400_000 }])
    expect(await recorded(resumedBefore)).toEqual([
      { value: 'stop', timestamp: day + 2 * 86_400_000 },
    ])
    // Leaving is not an opt-out of the number.
    expect(await recorded(left)).toEqual([])
  })
})
