import { createDb } from '../db/client'
import { dispatchDueAnnouncements } from '../services/delivery/claim'
import { reconcileEventDeliveries, reconcileRuns } from '../services/delivery/reconcile'
import { pruneRateLimits } from '../services/rate-limits'
import { pruneSessions } from '../services/sessions'
import { fanOutEvents } from '../services/webhooks'
import { pruneVisits } from '../services/visits'
import { pruneUnconfirmed } from '../services/consent'
import { pruneDeliveredEvents } from '../services/retention'
import { pruneInboundNotifications } from '../platforms/whatsapp/inbound'
import { pruneTelegramUpdates } from '../platforms/telegram/apply'
import { creditRetainedReferrals } from '../services/rewards'
import { loadConfig, telegramConfig } from '../lib/config'
import { runDueTelegramLinks } from '../platforms/telegram/invite-links'

/**
 * The Cron Trigger (every minute): start the announcements that are due, move stalled runs on
 * and webhook deliveries whose queue message was lost (the reconciler, see `reconcileRuns` and
 * `reconcileEventDeliveries`), move the events outbox on to the delivery queue, delete raw
 * visits, expired sign-ups and delivered events past their retention, and, once an hour, forget
 * old rate-limit windows and expired sessions. Each step is bounded (claims and events are taken
 * a few dozen at a time), so one run never outgrows its limits; whatever is left waits for the
 * next minute.
 */
export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const counter = { queries: 0 }
  const db = createDb(env.DB, { counter, checkLimits: loadConfig(env).D1_LIMIT_CHECKS })
  const now = new Date(controller.scheduledTime)
  // Each step runs whatever happened in the one before; what fails is retried next minute.
  const started = await dispatchDueAnnouncements(
    db,
    env.DELIVERY_QUEUE,
    now,
    loadConfig(env).DELIVERY_CHANNEL,
  ).catch((error) => {
    console.error(JSON.stringify({ job: 'cron', step: 'announcements', error: String(error) }))
    return []
  })
  // Runs whose progress stalled (a lost queue message, a consumer that died) move on from the
  // database's record of them.
  const reconciled = await reconcileRuns(db, env.DELIVERY_QUEUE, loadConfig(env), now).catch(
    (error) => {
      console.error(JSON.stringify({ job: 'cron', step: 'reconciler', error: String(error) }))
      return null
    },
  )
  // So do webhook deliveries of events whose queue message was lost.
  const reconciledEvents = await reconcileEventDeliveries(
    db,
    env.DELIVERY_QUEUE,
    loadConfig(env),
    now,
  ).catch((error) => {
    console.error(JSON.stringify({ job: 'cron', step: 'event reconciler', error: String(error) }))
    return null
  })
  const events = await fanOutEvents(db, env.DELIVERY_QUEUE, now).catch((error) => {
    console.error(JSON.stringify({ job: 'cron', step: 'events', error: String(error) }))
    return 0
  })
  // Telegram invite links not made yet (or not revoked yet) because a call failed or was
  // rate limited: retried here, when Telegram said we may.
  const telegram = telegramConfig(loadConfig(env))
  const telegramLinks = telegram
    ? await runDueTelegramLinks(db, telegram, now).catch((error) => {
        console.error(JSON.stringify({ job: 'cron', step: 'telegram links', error: String(error) }))
        return 0
      })
    : 0
  const prunedVisits = await pruneVisits(db, now, loadConfig(env).VISIT_RETENTION_DAYS).catch(
    (error) => {
      console.error(JSON.stringify({ job: 'cron', step: 'visit retention', error: String(error) }))
      return 0
    },
  )
  // Double opt-in: sign-ups nobody confirmed in time are deleted with their contact data.
  const prunedSignUps = await pruneUnconfirmed(db, now).catch((error) => {
    console.error(
      JSON.stringify({ job: 'cron', step: 'unconfirmed sign-ups', error: String(error) }),
    )
    return 0
  })
  // Events age from when the outbox handed them on: one written long ago but handed on now stays.
  const prunedEvents = await pruneDeliveredEvents(
    db,
    now,
    loadConfig(env).EVENT_RETENTION_DAYS,
  ).catch((error) => {
    console.error(JSON.stringify({ job: 'cron', step: 'event retention', error: String(error) }))
    return 0
  })
  if (now.getUTCMinutes() === 0) {
    await pruneRateLimits(db, now)
    await pruneSessions(db, now)
    await pruneInboundNotifications(db, now)
    await pruneTelegramUpdates(db, now)
    await creditRetainedReferrals(db, now)
  }
  console.log(
    JSON.stringify({
      job: 'cron',
      cron: controller.cron,
      dispatches: started.length,
      reconciled,
      reconciledEvents,
      events,
      telegramLinks,
      prunedVisits,
      prunedSignUps,
      prunedEvents,
      d1Queries: counter.queries,
    }),
  )
}
