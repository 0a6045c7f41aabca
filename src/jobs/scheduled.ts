import { createDb } from '../db/client'
import { dispatchDueAnnouncements } from '../services/delivery/claim'
import {
  reconcileEventDeliveries,
  reconcileRuns,
  SENDING_STALE_MS,
  STALL_MS,
} from '../services/delivery/reconcile'
import { reconcileTelegramPosts } from '../services/delivery/telegram-posts'
import { sendDueNotices } from '../services/decision-notices'
import { finishPendingChoices } from '../services/opt-outs'
import { pruneRateLimits } from '../services/rate-limits'
import { pruneSessions } from '../services/sessions'
import { pruneAuditLog } from '../services/audit'
import { pruneInvitations } from '../services/team'
import { fanOutEvents } from '../services/webhooks'
import { pruneVisitMessages, pruneVisits } from '../services/visits'
import { pruneDeadLetters, pruneDeliveredEvents, pruneUnconfirmed } from '../services/retention'
import { pruneTelegramPeople } from '../services/telegram-retention'
import { pruneInboundNotifications } from '../services/whatsapp-inbound'
import { pruneTelegramUpdates } from '../platforms/telegram/apply'
import { runDueTelegramLinks } from '../platforms/telegram/invite-links'
import { releaseInterruptedApprovals } from '../platforms/telegram/join-requests'
import { creditRetainedReferrals } from '../services/rewards'
import { loadConfig, telegramConfig } from '../lib/config'
import { logError, logInfo } from '../lib/log'

/**
 * The Cron Trigger (every minute): start the announcements that are due, move stalled runs on and
 * webhook deliveries whose queue message was lost (the reconciler, see `reconcileRuns` and
 * `reconcileEventDeliveries`), send the WhatsApp notices of admins' decisions still due
 * (`sendDueNotices`), move the events outbox on to the delivery queue, delete raw visits (and the
 * ids of written visit messages), expired sign-ups, delivered events, audit entries and dead
 * letters past their retention, and, once an hour, forget old rate-limit windows, expired sessions
 * and what Telegram reported about people once nothing reads it. Each step is bounded (claims and
 * events are taken a few dozen at a time), so one run never outgrows its limits; whatever is left
 * waits for the next minute.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const counter = { queries: 0 }
  const db = createDb(env.DB, { counter, checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  const config = loadConfig(env)
  const now = new Date(controller.scheduledTime)
  // Each step runs whatever happened in the one before; a step that fails is logged and retried
  // next minute, and the steps after it still run.
  const step = async <T>(name: string, fallback: T, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      logError({ job: 'cron', step: name }, error)
      return fallback
    }
  }
  const started = await step('announcements', [], () =>
    dispatchDueAnnouncements(db, env.DELIVERY_QUEUE, now, config.DELIVERY_CHANNEL),
  )
  // Runs whose progress stalled (a lost queue message, a consumer that died) move on from the
  // database's record of them.
  const reconciled = await step('reconciler', null, () =>
    reconcileRuns(db, env.DELIVERY_QUEUE, config, now),
  )
  // So do webhook deliveries of events whose queue message was lost.
  const reconciledEvents = await step('event reconciler', null, () =>
    reconcileEventDeliveries(db, env.EVENTS_QUEUE, config, now),
  )
  // And posts to Telegram chats, which are not counted in their runs.
  const reconciledPosts = await step('telegram posts', null, () =>
    reconcileTelegramPosts(db, env.DELIVERY_QUEUE, now, {
      stallMs: STALL_MS,
      sendingStaleMs: SENDING_STALE_MS,
    }),
  )
  // Applicants' WhatsApp notices of a decision that its own request did not get out.
  const notices = await step('decision notices', null, () => sendDueNotices(db, config, now))
  // A number's STOP or START recorded and never done (its Worker stopped half-way).
  const optChoices = await step('opt choices', 0, () => finishPendingChoices(db, now))
  const events = await step('events', 0, () => fanOutEvents(db, env.EVENTS_QUEUE, now))
  // Telegram invite links not made yet (or not revoked yet) because a call failed or was
  // rate limited: retried here, when Telegram said we may.
  // Telegram approvals whose Worker stopped before Telegram answered hold no seat for long.
  await step('telegram approvals', 0, () => releaseInterruptedApprovals(db, now))
  const telegram = telegramConfig(config)
  const telegramLinks = telegram
    ? await step('telegram links', 0, () => runDueTelegramLinks(db, telegram, now))
    : 0
  const prunedVisits = await step('visit retention', 0, () =>
    pruneVisits(db, now, config.VISIT_RETENTION_DAYS),
  )
  // The ids of written visits-queue messages, once no copy of them can come any more.
  const prunedVisitMessages = await step('visit message retention', 0, () =>
    pruneVisitMessages(db, now),
  )
  // Double opt-in: sign-ups nobody confirmed in time are deleted with their contact data.
  const prunedSignUps = await step('unconfirmed sign-ups', 0, () => pruneUnconfirmed(db, now))
  // Events age from when the outbox handed them on: one written long ago but handed on now stays.
  const prunedEvents = await step('event retention', 0, () =>
    pruneDeliveredEvents(db, now, config.EVENT_RETENTION_DAYS),
  )
  const prunedAudit = await step('audit log retention', 0, () =>
    pruneAuditLog(db, now, config.AUDIT_RETENTION_DAYS),
  )
  const prunedDeadLetters = await step('dead letter retention', 0, () =>
    pruneDeadLetters(db, now, config.DEAD_LETTER_RETENTION_DAYS),
  )
  if (now.getUTCMinutes() === 0) {
    await step('rate-limit windows', undefined, () => pruneRateLimits(db, now))
    await step('sessions', undefined, () => pruneSessions(db, now))
    await step('team invitations', undefined, () => pruneInvitations(db, now))
    await step('inbound notifications', undefined, () => pruneInboundNotifications(db, now))
    await step('telegram updates', undefined, () => pruneTelegramUpdates(db, now))
    // Telegram's reports about people once nothing reads them: ended memberships, memberships of
    // chats no group follows, declined join requests. Whether Telegram is configured or not.
    await step('telegram people', undefined, () => pruneTelegramPeople(db, now))
    await step('referral rewards', undefined, () => creditRetainedReferrals(db, now))
  }
  logInfo({
    job: 'cron',
    cron: controller.cron,
    dispatches: started.length,
    reconciled,
    reconciledEvents,
    reconciledPosts,
    notices,
    optChoices,
    events,
    telegramLinks,
    prunedVisits,
    prunedVisitMessages,
    prunedSignUps,
    prunedEvents,
    prunedAudit,
    prunedDeadLetters,
    d1Queries: counter.queries,
  })
}
