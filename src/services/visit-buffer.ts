import type { Database } from '../db/client'
import { visitorHash, VISITS_PER_MESSAGE, type VisitMessage, type VisitsMessage } from './visits'
import { logError } from '../lib/log'

/** A landing view before it is anonymised: the IP address never leaves this isolate's memory. */
export interface PendingVisit {
  visit: Omit<VisitMessage, 'visitorHash'>
  ip: string
  userAgent: string
}

const FLUSH_DELAY_MS = 250
const MAX_BATCH = VISITS_PER_MESSAGE

let pending: PendingVisit[] = []
let flushScheduled = false

/**
 * Collects landing views in the isolate and sends them to the visits queue together: under load
 * one message carries up to 100 views (`VisitsMessageSchema`; under 80 KB at most, of the 128 KB
 * a message may hold) instead of 100 sends, and the page itself only appends to an array. The
 * first view of a batch keeps its request alive (`waitUntil`) until the flush, a quarter of a
 * second later, so nothing waits in memory without a request to carry it out.
 */
export function bufferVisit(
  ctx: Pick<ExecutionContext, 'waitUntil'>,
  deps: { db: Database; queue: Queue },
  entry: PendingVisit,
): void {
  pending.push(entry)
  if (pending.length >= MAX_BATCH) {
    ctx.waitUntil(flush(deps))
  } else if (!flushScheduled) {
    flushScheduled = true
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS)).then(() => flush(deps)),
    )
  }
}

async function flush(deps: { db: Database; queue: Queue }): Promise<void> {
  flushScheduled = false
  const batch = pending.slice(0, MAX_BATCH)
  pending = pending.slice(MAX_BATCH)
  if (batch.length === 0) return
  try {
    const visits: VisitMessage[] = await Promise.all(
      batch.map(async ({ visit, ip, userAgent }) => ({
        ...visit,
        visitorHash: await visitorHash(deps.db, new Date(visit.at), ip, userAgent),
      })),
    )
    const message: VisitsMessage = { visits }
    await deps.queue.send(message)
  } catch (error) {
    logError({ visits: batch.length, outcome: 'not recorded' }, error)
  }
}
