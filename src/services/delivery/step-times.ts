import { deliveries, type DeliveryStatus, type ProviderStatus } from '../../db/schema'

/**
 * When one delivery was sent, delivered, read or failed, as far as it is known: null for a step
 * not reached, or not reported (WhatsApp may report a message read without delivered first).
 */
export interface StepTimes {
  sentAt: Date | null
  deliveredAt: Date | null
  readAt: Date | null
  failedAt: Date | null
}

/** The columns `stepTimesOf` reads, for a select. */
export const STEP_TIME_COLUMNS = {
  status: deliveries.status,
  providerStatus: deliveries.providerStatus,
  sentAt: deliveries.sentAt,
  deliveredAt: deliveries.deliveredAt,
  readAt: deliveries.readAt,
  updatedAt: deliveries.updatedAt,
}

/**
 * A delivery's step times. A delivery recorded before each step's time was kept has only the
 * time of its latest change, which is the time of the step it has reached: that one is given,
 * the earlier ones stay unknown. A failure's time is that of its latest change too, refused at
 * sending or reported undelivered after.
 */
export function stepTimesOf(row: {
  status: DeliveryStatus
  providerStatus: ProviderStatus | null
  sentAt: Date | null
  deliveredAt: Date | null
  readAt: Date | null
  updatedAt: Date
}): StepTimes {
  const reported = row.status === 'sent' ? row.providerStatus : null
  const latest = (step: ProviderStatus | null) => (reported === step ? row.updatedAt : null)
  const reached = reported === 'delivered' || reported === 'read'
  return {
    sentAt: row.status === 'sent' ? (row.sentAt ?? latest(null) ?? latest('sent')) : null,
    deliveredAt: reached ? (row.deliveredAt ?? latest('delivered')) : null,
    readAt: reported === 'read' ? (row.readAt ?? row.updatedAt) : null,
    failedAt: row.status === 'failed' || reported === 'failed' ? row.updatedAt : null,
  }
}
