import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, createInvite, joinJson, newPhone, query } from './helpers'

/**
 * Migration 0013 moved consent from the sign-up to each contact. Records written before it said
 * only how a whole sign-up was confirmed; the migration must give each record to the contact its
 * method proves, and no other. A file of its own: the migration's statements run over every row
 * of the database, and storage is shared only within a file.
 */

const PER_CONTACT = `phone_confirmed_at = null, phone_consent_method = null, phone_consent_proof = null,
  email_confirmed_at = null, email_consent_method = null, email_consent_proof = null`

/** Turns a member and its sign-up back into what was stored before consent was per contact. */
async function asBefore(memberId: string, method: string | null, proof: string | null) {
  const at = Date.UTC(2026, 0, 15)
  for (const table of ['members', 'join_requests']) {
    const key = table === 'members' ? 'id' : 'member_id'
    await query(
      `update ${table} set ${PER_CONTACT}, consent_method = ?, consent_proof = ?,
         confirmed_at = ? where ${key} = ?`,
      method,
      proof,
      method === null ? null : at,
      memberId,
    )
  }
  // Before proofs were offered to single opt-in sign-ups, theirs had no expiry and no code.
  await query(
    'update join_requests set confirm_expires_at = null, confirm_code_hash = null where member_id = ?',
    memberId,
  )
}

describe('migration 0013: consent records assigned to the contact their method proves', () => {
  it('keeps a phone unconfirmed when the e-mail link confirmed the sign-up, and the other way round', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: 'Before per contact', description: 'x', visibility: 'open', consent: 'single' },
    })
    expect(created.status, created.text).toBe(201)
    const invite = await createInvite(created.json.id)
    const cases = [
      { method: 'email_link', proof: 'cfl_1', phone: null, email: 'email_link' },
      { method: 'whatsapp_message', proof: 'wamid.1', phone: 'whatsapp_message', email: null },
      { method: 'whatsapp_button', proof: 'wamid.2', phone: 'whatsapp_button', email: null },
      { method: 'single_opt_in', proof: null, phone: 'single_opt_in', email: 'single_opt_in' },
      // An admin's earlier record named no contact: it stays with both, as the admin declared.
      { method: 'admin', proof: 'owner: form', phone: 'admin', email: 'admin' },
      // Joined before consent was recorded at all: the form covered what was typed.
      { method: null, proof: null, phone: 'single_opt_in', email: 'single_opt_in' },
    ] as const
    const memberIds: string[] = []
    for (const [i, example] of cases.entries()) {
      const joined = await joinJson(invite.code, {
        name: `Before ${i}`,
        phone: newPhone(),
        email: `before-${i}-${crypto.randomUUID()}@example.com`,
      })
      expect(joined.json.status, joined.text).toBe('active')
      // The answer keeps the member's id until a proof (see join.test.ts): read it here.
      const [made] = await query<{ member_id: string }>(
        'select member_id from join_requests where id = ?',
        joined.json.joinRequestId,
      )
      memberIds.push(made!.member_id)
      await asBefore(made!.member_id, example.method, example.proof)
    }

    const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0013_consent_per_contact.sql')!
    const updates = migration.queries.filter((sql) => /^\s*(--.*\n\s*)*UPDATE/i.test(sql))
    expect(updates).toHaveLength(4)
    await env.DB.batch(updates.map((sql) => env.DB.prepare(sql)))

    const members = (await call('GET', `/api/communities/${created.json.id}/members`)).json
      .data as Array<{
      id: string
      contactConsent: {
        phone: { method: string; proofId: string | null } | null
        email: { method: string; proofId: string | null } | null
      }
    }>
    const byId = new Map(members.map((member) => [member.id, member.contactConsent]))
    const found = memberIds.map((id) => ({
      phone: byId.get(id)?.phone?.method ?? null,
      email: byId.get(id)?.email?.method ?? null,
    }))
    expect(found).toEqual(cases.map(({ phone, email }) => ({ phone, email })))
    expect(byId.get(memberIds[0]!)!.email!.proofId).toBe('cfl_1')
    expect(byId.get(memberIds[1]!)!.phone!.proofId).toBe('wamid.1')

    // The sign-ups carry the same assignment.
    const signUps = await query<{ member_id: string; phone_consent_method: string | null }>(
      'select member_id, phone_consent_method from join_requests where community_id = ?',
      created.json.id,
    )
    const phoneOf = new Map(signUps.map((row) => [row.member_id, row.phone_consent_method]))
    expect(memberIds.map((id) => phoneOf.get(id) ?? null)).toEqual(cases.map((c) => c.phone))
  })

  it('confirms no contact of a sign-up still waiting for its proof', async () => {
    const created = await call('POST', '/api/communities', {
      body: { name: 'Waiting before', description: 'x', visibility: 'open' },
    })
    const invite = await createInvite(created.json.id)
    const joined = await joinJson(invite.code, {
      name: 'Waits',
      phone: newPhone(),
      email: `waits-${crypto.randomUUID()}@example.com`,
    })
    expect(joined.json.status).toBe('unconfirmed')
    const migration = env.TEST_MIGRATIONS.find((m) => m.name === '0013_consent_per_contact.sql')!
    const updates = migration.queries.filter((sql) => /^\s*(--.*\n\s*)*UPDATE/i.test(sql))
    await env.DB.batch(updates.map((sql) => env.DB.prepare(sql)))
    expect(
      await query(
        'select phone_confirmed_at, email_confirmed_at from join_requests where id = ?',
        joined.json.joinRequestId,
      ),
    ).toEqual([{ phone_confirmed_at: null, email_confirmed_at: null }])
  })
})
