import { and, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  groups,
  marketingPreferences,
  members,
  type ConsentMethod,
  type LeaveReason,
  type Member,
} from '../db/schema'
import { chunks, ID_CHUNK } from '../lib/chunks'
import { newId } from '../lib/ids'
import { roomIn } from './group-seats'
import { endMembership } from './leaving'

/**
 * A number's opt-outs and opt-ins on WhatsApp (a STOP or START in the chat, Meta's opt-out
 * button, Meta's marketing preference), ordered by Meta's own time of each, and what a STOP
 * means for every later message to that number.
 */

export type OptChoice = 'stop' | 'resume'

/**
 * Where a choice was made, and the ending a stop made there records. In the chat with the
 * business: a keyword (`chat_opt_out`), or the opt-out button of our marketing templates
 * (`marketing_opt_out`), a quick reply that WhatsApp hands to the business to honour. In
 * WhatsApp itself: its setting for a business's marketing messages ("Offers and announcements"),
 * which Meta reports (`user_preferences`) and enforces, refusing every marketing message to the
 * person (131050) until they resume them there; a START in the chat does not.
 */
export interface OptChannel {
  inWhatsApp: boolean
  ending: LeaveReason
}

export const CHAT_KEYWORD: OptChannel = { inWhatsApp: false, ending: 'chat_opt_out' }
export const CHAT_BUTTON: OptChannel = { inWhatsApp: false, ending: 'marketing_opt_out' }
export const IN_WHATSAPP: OptChannel = { inWhatsApp: true, ending: 'marketing_stopped_in_whatsapp' }

/**
 * What a choice recorded by `recordOptChoice` is to do: act (it is the number's latest and its
 * effect is not done yet), nothing because it acted already (a copy, or the same choice made
 * again within the same second), nothing because a newer one stands, or, for a START in the chat,
 * nothing because the number's stop holds one made in WhatsApp itself, which only a resume there
 * lifts (`held`).
 */
export type OptChoiceState = 'act' | 'replayed' | 'stale' | 'held'

/**
 * Records the number's choice made at `at` in `channel`, if it is newer than the one recorded (a
 * conditional upsert, so an older one never overwrites a newer one, whatever the order of
 * arrival; between a stop and a resume of the same second, the stop wins). Meta delivers late
 * and more than once, and a chat keyword and a preference come through different notifications:
 * only their own times order them. A stop made in WhatsApp itself holds the number's stop
 * (`heldInWhatsApp`) until a resume made there: a stop in the chat on top of it keeps the hold,
 * and a START in the chat is not recorded (`held`).
 */
async function recordOptChoice(
  db: Database,
  phone: string,
  value: OptChoice,
  at: Date,
  channel: OptChannel,
): Promise<OptChoiceState> {
  const holds = value === 'stop' && channel.inWhatsApp
  const heldBefore = sql`(${marketingPreferences.value} = 'stop' and ${marketingPreferences.heldInWhatsApp} = 1)`
  await db
    .insert(marketingPreferences)
    .values({ phone, value, timestamp: at, applied: false, heldInWhatsApp: holds })
    .onConflictDoUpdate({
      target: marketingPreferences.phone,
      set: {
        value,
        timestamp: at,
        applied: false,
        heldInWhatsApp: value === 'stop' ? sql`${holds ? 1 : 0} or ${heldBefore}` : false,
      },
      setWhere: sql`(excluded.timestamp > ${marketingPreferences.timestamp}
          or (excluded.timestamp = ${marketingPreferences.timestamp}
            and excluded.value = 'stop' and ${marketingPreferences.value} = 'resume'))
        and not (${value === 'resume' && !channel.inWhatsApp ? 1 : 0} and ${heldBefore})`,
    })
  const recorded = await db.query.marketingPreferences.findFirst({
    where: eq(marketingPreferences.phone, phone),
  })
  if (recorded?.value !== value || recorded.timestamp.getTime() !== at.getTime()) {
    const newer = recorded !== undefined && at.getTime() > recorded.timestamp.getTime()
    return newer && recorded.value === 'stop' && recorded.heldInWhatsApp ? 'held' : 'stale'
  }
  // Recorded but not applied: this copy, or one that failed half-way, still has to act.
  return recorded.applied ? 'replayed' : 'act'
}

/**
 * Records the number's choice made at `at` in `channel` (`recordOptChoice`) and, while it is the
 * newest and not yet done, acts on the number's memberships: a stop ends every one of them (for
 * the channel's ending), a resume brings back those an opt-out ended (`comesBack`). `changed`
 * counts them. Each membership changes in a statement conditional on its state, so a copy racing
 * this one, or a retry finishing a half-done one, changes each once.
 */
export async function applyOptChoice(
  db: Database,
  phone: string,
  value: OptChoice,
  at: Date,
  channel: OptChannel,
  now: Date,
): Promise<{ state: OptChoiceState; changed: number }> {
  const state = await recordOptChoice(db, phone, value, at, channel)
  if (state !== 'act') return { state, changed: 0 }
  const changed =
    value === 'stop'
      ? await unsubscribe(db, phone, channel.ending, now)
      : await resubscribe(db, phone, now)
  await markOptChoiceApplied(db, phone, value, at)
  return { state, changed }
}

/** A choice recorded this long ago and not done is no longer under way: its Worker stopped. */
const PENDING_GRACE_MS = 10 * 60_000
/** Choices the cron job finishes per run. */
const PENDING_BATCH = 50

/**
 * The cron job's part: choices recorded and never done, as when a Worker stopped between a
 * STOP's record and its effect, or a migration corrected the number a choice was recorded under.
 * Each acts now as it would have (a stop ends the number's memberships proven before it, held in
 * WhatsApp or not; a resume brings back what an opt-out ended) and is marked done; a newer choice
 * recorded meanwhile is left to its own request, which acts on it after. Bounded: 50 a run,
 * oldest first; what is left waits for the next minute.
 */
export async function finishPendingChoices(db: Database, now: Date): Promise<number> {
  const pending = await db
    .select()
    .from(marketingPreferences)
    .where(
      and(
        eq(marketingPreferences.applied, false),
        lt(marketingPreferences.timestamp, new Date(now.getTime() - PENDING_GRACE_MS)),
      ),
    )
    .orderBy(marketingPreferences.timestamp)
    .limit(PENDING_BATCH)
  for (const choice of pending) {
    if (choice.value === 'stop') {
      const ending = choice.heldInWhatsApp ? IN_WHATSAPP.ending : CHAT_KEYWORD.ending
      await unsubscribe(db, choice.phone, ending, now, choice.timestamp)
    } else {
      await resubscribe(db, choice.phone, now)
    }
    await markOptChoiceApplied(db, choice.phone, choice.value, choice.timestamp)
  }
  return pending.length
}

/** Whether the number's standing stop holds one made in WhatsApp itself (see `recordOptChoice`). */
export async function heldInWhatsApp(db: Database, phone: string): Promise<boolean> {
  const recorded = await db.query.marketingPreferences.findFirst({
    where: eq(marketingPreferences.phone, phone),
  })
  return recorded?.value === 'stop' && recorded.heldInWhatsApp
}

/** The choice's effect on the memberships is done: its copies do nothing. */
async function markOptChoiceApplied(
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
  // Meta stamps a STOP to the second, and a proof from the number with its message's time (to the
  // second too): a proof within the STOP's second may have come before it, and the STOP wins, as
  // between a stop and a resume.
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

/**
 * The members whose number is confirmed, on the form's word too: a STOP from the number ends
 * every one of them (nothing may go to it, whoever typed it).
 */
export async function membersWithProvenPhone(db: Database, phone: string): Promise<Member[]> {
  return (await activeMembersByPhone(db, phone)).filter((member) => member.phoneConfirmedAt)
}

/**
 * The members a message from this number speaks for: those whose number a proof backs, not the
 * form's word alone (single opt-in), which anyone typing the number into a form gives. Only
 * their admins read what the number writes to the business number.
 */
export async function membersSpeakingThrough(db: Database, phone: string): Promise<Member[]> {
  return (await activeMembersByPhone(db, phone)).filter(
    (member) => member.phoneConfirmedAt && member.phoneConsentMethod !== 'single_opt_in',
  )
}

/** Ends every subscription of this number at once (one business number serves them all). */
async function unsubscribe(
  db: Database,
  phone: string,
  reason: LeaveReason,
  now: Date,
  /** Only memberships proven by then: one proven after a stop is the number's word since. */
  provenBy: Date = now,
): Promise<number> {
  const active = (await membersWithProvenPhone(db, phone)).filter(
    (member) => member.phoneConfirmedAt!.getTime() <= provenBy.getTime(),
  )
  for (const member of active) await endMembership(db, member, 'left', now, reason)
  return active.length
}

/** The endings a resume undoes, a START in the chat or one in WhatsApp itself alike. */
const OPT_OUT_ENDINGS: readonly LeaveReason[] = [
  CHAT_KEYWORD.ending,
  CHAT_BUTTON.ending,
  IN_WHATSAPP.ending,
]

/**
 * SQL true where the membership `members` comes back with a resume of its number: an opt-out
 * ended it, its number was proven, its community's announcement group has room, and the person
 * is not in the community again with a newer membership (by that number, or by the proven
 * address they also gave). The one rule for `resubscribe` and for what the status page offers
 * (`wayBack`). A START in the chat also needs the number's stop not to be held in WhatsApp
 * (`HELD_IN_WHATSAPP`): a resume made there lifts that hold first. Its parameters: ?1 the
 * membership, ?2 now (the room counts the seats Telegram approvals hold, `group-seats.ts`).
 */
const COMES_BACK = `members.status = 'left' and members.phone is not null
  and members.phone_confirmed_at is not null
  and members.leave_reason in (${OPT_OUT_ENDINGS.map((ending) => `'${ending}'`).join(', ')})
  and not exists (select 1 from members other where other.community_id = members.community_id
    and other.status = 'active' and (
      (other.phone = members.phone and other.phone_confirmed_at is not null)
      or (other.email = members.email and other.email_confirmed_at is not null
        and members.email_confirmed_at is not null)))
  and coalesce(${roomIn(
    `(select id from groups where community_id = members.community_id and kind = 'announcement')`,
    '?2',
  )}, 0)`

/** SQL true where the number of the membership `members` has a stop held in WhatsApp itself. */
const HELD_IN_WHATSAPP = `exists (select 1 from marketing_preferences p
  where p.phone = members.phone and p.value = 'stop' and p.held_in_whatsapp = 1)`

/**
 * How an ended membership comes back, as its status page tells it: `start`, by START sent from
 * its number in the chat; `whatsapp`, by resuming our marketing messages in WhatsApp itself
 * (only that lifts a stop made there); null where neither brings it back (it ended otherwise, its
 * group is full, there is no announcement group, or the person is in the community again).
 */
export async function wayBack(
  db: Database,
  memberId: string,
  now: Date,
): Promise<'start' | 'whatsapp' | null> {
  const row = await db.$client
    .prepare(`select ${HELD_IN_WHATSAPP} as held from members where id = ?1 and ${COMES_BACK}`)
    .bind(memberId, now.getTime())
    .first<{ held: number }>()
  if (!row) return null
  return row.held ? 'whatsapp' : 'start'
}

/**
 * A resume (START in the chat, or in WhatsApp itself): each membership of the number an opt-out
 * ended comes back where `COMES_BACK` holds, into the announcement group.
 */
async function resubscribe(db: Database, phone: string, now: Date): Promise<number> {
  const optedOut = await db
    .select()
    .from(members)
    .where(
      and(
        eq(members.phone, phone),
        isNotNull(members.phoneConfirmedAt),
        eq(members.status, 'left'),
        inArray(members.leaveReason, [...OPT_OUT_ENDINGS]),
      ),
    )
    .limit(100)
  const client = db.$client
  const nowMs = now.getTime()
  let back = 0
  for (const member of optedOut) {
    const group = await db.query.groups.findFirst({
      where: and(eq(groups.communityId, member.communityId), eq(groups.kind, 'announcement')),
    })
    if (!group) continue
    const [reactivated] = await client.batch([
      client
        .prepare(
          `update members set status = 'active', ended_at = null, leave_reason = null
           where id = ?1 and ${COMES_BACK} and not ${HELD_IN_WHATSAPP}`,
        )
        .bind(member.id, nowMs),
      client
        .prepare(
          `insert into events (id, type, community_id, payload, created_at)
           select ?2, 'member.joined', ?3, json_object('memberId', ?1, 'resubscribed', json('true')), ?4
           where changes() = 1`,
        )
        .bind(member.id, newId('evt', nowMs), member.communityId, nowMs),
      client
        .prepare(
          `insert into group_members (group_id, member_id, joined_at) select ?2, ?1, ?3
           where exists (select 1 from members where id = ?1 and status = 'active')
           on conflict do nothing`,
        )
        .bind(member.id, group.id, nowMs),
      client
        .prepare(`update groups set member_count = member_count + changes() where id = ?1`)
        .bind(group.id),
    ])
    back += reactivated!.meta.changes
  }
  return back
}
