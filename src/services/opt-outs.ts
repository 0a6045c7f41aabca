import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  marketingPreferences,
  members,
  type ConsentMethod,
  type LeaveReason,
  type Member,
} from '../db/schema'
import { chunks, ID_CHUNK } from '../lib/chunks'
import { endMembership } from './leaving'

/**
 * A number's opt-outs and opt-ins on WhatsApp (a STOP or START in the chat, Meta's opt-out
 * button, Meta's marketing preference), ordered by Meta's own time of each, and what a STOP
 * means for every later message to that number.
 */

export type OptChoice = 'stop' | 'resume'

/**
 * What a choice recorded by `recordOptChoice` is to do: act (it is the number's latest and its
 * effect is not done yet), nothing because it acted already (a copy, or the same choice made
 * again within the same second), or nothing because a newer one stands.
 */
export type OptChoiceState = 'act' | 'replayed' | 'stale'

/**
 * Records the number's choice made at `at`, if it is newer than the one recorded (a conditional
 * upsert, so an older one never overwrites a newer one, whatever the order of arrival; between
 * a stop and a resume of the same second, the stop wins). Meta delivers late and more than
 * once, and a chat keyword and a preference come through different notifications: only their
 * own times order them.
 */
export async function recordOptChoice(
  db: Database,
  phone: string,
  value: OptChoice,
  at: Date,
): Promise<OptChoiceState> {
  await db
    .insert(marketingPreferences)
    .values({ phone, value, timestamp: at, applied: false })
    .onConflictDoUpdate({
      target: marketingPreferences.phone,
      set: { value, timestamp: at, applied: false },
      setWhere: sql`excluded.timestamp > ${marketingPreferences.timestamp}
        or (excluded.timestamp = ${marketingPreferences.timestamp}
          and excluded.value = 'stop' and ${marketingPreferences.value} = 'resume')`,
    })
  const recorded = await db.query.marketingPreferences.findFirst({
    where: eq(marketingPreferences.phone, phone),
  })
  if (recorded?.value !== value || recorded.timestamp.getTime() !== at.getTime()) return 'stale'
  // Recorded but not applied: this copy, or one that failed half-way, still has to act.
  return recorded.applied ? 'replayed' : 'act'
}

/** The choice's effect on the memberships is done: its copies do nothing. */
export async function markOptChoiceApplied(
  db: Database,
  phone: string,
  value: OptChoice,
  at: Date,
): Promise<void> {
  await db
    .update(marketingPreferences)
    .set({ applied: true })
    .where(
      and(
        eq(marketingPreferences.phone, phone),
        eq(marketingPreferences.timestamp, at),
        eq(marketingPreferences.value, value),
      ),
    )
}

/**
 * The numbers among `phones` whose latest choice is a stop, with its time: nothing goes to
 * them but what `reachableAfterStop` allows.
 */
export async function stopsOf(db: Database, phones: string[]): Promise<Map<string, Date>> {
  const stops = new Map<string, Date>()
  for (const chunk of chunks([...new Set(phones)], ID_CHUNK)) {
    const rows = await db
      .select({ phone: marketingPreferences.phone, at: marketingPreferences.timestamp })
      .from(marketingPreferences)
      .where(
        and(inArray(marketingPreferences.phone, chunk), eq(marketingPreferences.value, 'stop')),
      )
    for (const row of rows) stops.set(row.phone, row.at)
  }
  return stops
}

/** The proofs that come from the number itself: its code, or a tap on the template's button. */
const NUMBERS_OWN_PROOFS: ReadonlySet<ConsentMethod | null> = new Set([
  'whatsapp_message',
  'whatsapp_button',
])

/**
 * Whether a membership or sign-up whose number was proven as `proof` may be written to at that
 * number, given the number's standing stop (if any). A STOP holds until the number itself says
 * otherwise: a START or Meta's resume (which replace the stop), or a code sent from it after the
 * stop, which opts in for that sign-up only. Nothing else lifts it: not a form filled in by
 * whoever typed the number, not an e-mail link, not an admin's record, not the approval of a
 * request made before the stop.
 */
export function reachableAfterStop(
  stop: Date | undefined,
  proof: { phoneConfirmedAt: Date | null; phoneConsentMethod: ConsentMethod | null },
): boolean {
  if (!stop) return true
  // Meta stamps a STOP to the second, and a proof is stamped when it was handled: a proof within
  // the STOP's second may have come before it, and the STOP wins, as between a stop and a resume.
  return (
    NUMBERS_OWN_PROOFS.has(proof.phoneConsentMethod) &&
    proof.phoneConfirmedAt !== null &&
    proof.phoneConfirmedAt.getTime() >= stop.getTime() + 1000
  )
}

/**
 * How long a number's opt-in is kept: past Meta's re-deliveries (up to 7 days) and our inbound
 * queue's retention (up to 4 days), no older choice can arrive to be ordered against it. A stop
 * is kept for as long as it stands: it is the proof that nothing may be sent to the number.
 */
const OPT_IN_RETENTION_MS = 14 * 86400_000

export async function pruneOptIns(db: Database, now: Date): Promise<void> {
  await db
    .delete(marketingPreferences)
    .where(
      and(
        eq(marketingPreferences.value, 'resume'),
        lt(marketingPreferences.timestamp, new Date(now.getTime() - OPT_IN_RETENTION_MS)),
      ),
    )
}

function activeMembersByPhone(db: Database, phone: string): Promise<Member[]> {
  return db
    .select()
    .from(members)
    .where(and(eq(members.phone, phone), eq(members.status, 'active')))
    .limit(100)
}

/** The members who proved this number is theirs: only they speak through it. */
export async function membersWithProvenPhone(db: Database, phone: string): Promise<Member[]> {
  return (await activeMembersByPhone(db, phone)).filter((member) => member.phoneConfirmedAt)
}

/** Ends every subscription of this number at once (one business number serves them all). */
export async function unsubscribe(
  db: Database,
  phone: string,
  reason: LeaveReason,
  now: Date,
): Promise<number> {
  const active = await membersWithProvenPhone(db, phone)
  for (const member of active) await endMembership(db, member, 'left', now, reason)
  return active.length
}
