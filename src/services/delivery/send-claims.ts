import type { Database } from '../../db/client'
import type { ConsentMethod } from '../../db/schema'
import { reachableAfterStop } from '../opt-outs'
import { consentStands } from '../consent'
import type { DeliveryKey } from './messages'

/**
 * Claims of announcement deliveries, taken as each send's turn comes (see `deliverAnnouncements`
 * in send.ts), with what is known of the member at that moment.
 */

// D1 binds at most 100 parameters per statement.
export const CLAIM_CHUNK = 45

/** A claim failed (D1 did not answer): the message comes again after this. */
export const CLAIM_FAILED_RETRY_SECONDS = 10

/** A delivery claimed for its send, with what is known of its member at that moment. */
export interface Claim {
  attempts: number
  /** The member's status now; null once the member is erased. */
  memberStatus: string | null
  /** Their number's standing STOP now, if any (ms). */
  stopAt: number | null
  phoneConfirmedAt: number | null
  phoneConsentMethod: ConsentMethod | null
  /** The member's number now. */
  phone: string | null
}

/** Whether the number may be written to now, as the claim found it (`reachableAfterStop`). */
export function reachableNow(claimed: Claim): boolean {
  return reachableAfterStop(claimed.stopAt === null ? undefined : new Date(claimed.stopAt), {
    phoneConfirmedAt: claimed.phoneConfirmedAt === null ? null : new Date(claimed.phoneConfirmedAt),
    phoneConsentMethod: claimed.phoneConsentMethod,
  })
}

/**
 * What changed for a WhatsApp send while it waited for its turn, as a skip; null: nothing. The
 * number as read with the batch (`phone`) must still be the member's, still proven as the
 * community asks (`consentStands`; a proof taken back by its owner meanwhile, for one).
 */
export function changedSince(
  claimed: Claim,
  phone: string,
  asksForProof: boolean,
): { outcome: 'skipped'; reason: string } | null {
  if (claimed.memberStatus !== 'active') return { outcome: 'skipped', reason: 'member left' }
  const proven = consentStands(
    claimed.phoneConfirmedAt === null ? null : new Date(claimed.phoneConfirmedAt),
    claimed.phoneConsentMethod,
    asksForProof,
  )
  if (claimed.phone !== phone || !proven) {
    return { outcome: 'skipped', reason: 'phone number not confirmed' }
  }
  if (!reachableNow(claimed)) return { outcome: 'skipped', reason: 'the number sent STOP' }
  return null
}

/** The member as the claim reads them, in its JSON. */
interface MemberNow {
  status: string
  phone: string | null
  phoneConfirmedAt: number | null
  phoneConsentMethod: ConsentMethod | null
  stopAt: number | null
}

/** How long claims wait to go together in one statement: a few sends' turns at a fast pace. */
const CLAIM_GATHER_MS = 25

/**
 * Claims deliveries (`queued` to `sending`) as their sends are about to start, those asked for
 * within `CLAIM_GATHER_MS` (up to `CLAIM_CHUNK`) in one statement, which also reads what their
 * member is now. Claimed at their turn, not all when the batch comes: a Worker stopped in the
 * middle leaves the deliveries whose turn had not come `queued`, to be sent by the reconciler,
 * and only those it was sending in doubt.
 */
export function claimer(db: Database, clock: () => Date) {
  let waiting: Array<{
    message: DeliveryKey
    resolve: (claim: Claim | null) => void
    reject: (error: unknown) => void
  }> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = async () => {
    clearTimeout(timer)
    timer = undefined
    const part = waiting
    waiting = []
    if (part.length === 0) return
    try {
      const pairs = part.map((_, i) => `(?${i * 2 + 2}, ?${i * 2 + 3})`).join(', ')
      const claimed = await db.$client
        .prepare(
          `update deliveries set status = 'sending', attempts = attempts + 1, updated_at = ?1
           where (dispatch_id, member_id) in (values ${pairs}) and status = 'queued'
           returning dispatch_id, member_id, attempts,
             -- The member as they are now, read once by its key (null once erased).
             (select json_object('status', m.status, 'phone', m.phone,
                 'phoneConfirmedAt', m.phone_confirmed_at,
                 'phoneConsentMethod', m.phone_consent_method,
                 'stopAt', (select p.timestamp from marketing_preferences p
                   where p.phone = m.phone and p.value = 'stop'))
               from members m where m.id = deliveries.member_id) as member`,
        )
        .bind(clock().getTime(), ...part.flatMap(({ message: m }) => [m.dispatchId, m.memberId]))
        .all<{
          dispatch_id: string
          member_id: string
          attempts: number
          member: string | null
        }>()
      const rows = new Map(
        claimed.results.map((row) => [`${row.dispatch_id}|${row.member_id}`, row]),
      )
      for (const { message, resolve } of part) {
        const row = rows.get(`${message.dispatchId}|${message.memberId}`)
        if (!row) {
          resolve(null)
          continue
        }
        const member = row.member === null ? null : (JSON.parse(row.member) as MemberNow)
        resolve({
          attempts: row.attempts,
          memberStatus: member?.status ?? null,
          stopAt: member?.stopAt ?? null,
          phoneConfirmedAt: member?.phoneConfirmedAt ?? null,
          phoneConsentMethod: member?.phoneConsentMethod ?? null,
          phone: member?.phone ?? null,
        })
      }
    } catch (error) {
      for (const { reject } of part) reject(error)
    }
  }
  return (message: DeliveryKey) =>
    new Promise<Claim | null>((resolve, reject) => {
      waiting.push({ message, resolve, reject })
      if (waiting.length >= CLAIM_CHUNK) void flush()
      else timer ??= setTimeout(() => void flush(), CLAIM_GATHER_MS)
    })
}
