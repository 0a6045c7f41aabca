import { createDb, type Database } from '../db/client'
import { loadConfig, telegramConfig, type TelegramConfig } from '../lib/config'
import { makeTelegramLink, pendingTelegramLinks } from '../platforms/telegram/invite-links'
import { applyTelegramUpdate } from '../platforms/telegram/apply'
import { readAhead, type BatchReads } from '../platforms/telegram/batch-reads'
import { TelegramUpdateItemSchema } from '../platforms/telegram/updates'
import { logError, logInfo } from '../lib/log'

export const TELEGRAM_QUEUE_NAME = 'community-growth-telegram-updates'

/**
 * Telegram's updates, applied one at a time in the order they were queued, each once by its
 * `update_id`. An item that does not parse is dropped (retrying cannot fix it); one that fails
 * is retried on its own. Without a bot token (it was removed since) nothing is applied. What the
 * batch did is logged once, as counts by kind and outcome, as for WhatsApp's notifications
 * (`inbound.ts`): a crowd joining through a link sends an update per person. The line carries
 * the D1 round trips the batch made: in production each is a trip to the database's primary,
 * and a crowd's updates are applied one after another.
 */
export async function applyTelegramUpdates(batch: MessageBatch, env: Env): Promise<void> {
  const config = loadConfig(env)
  const telegram = telegramConfig(config)
  if (!telegram) {
    logError({ queue: batch.queue }, 'Telegram is not configured')
    return batch.ackAll()
  }
  const trips = { roundTrips: 0 }
  const db = createDb(env.DB, { checkLimits: config.D1_LIMIT_CHECKS, roundTrips: trips })
  // What signed the members' deep links to the bot (start-link.ts); without it none was given.
  const startSecret = config.SIGNING_SECRET ?? config.ADMIN_TOKEN ?? null
  const keywords = { optOut: config.OPT_OUT_KEYWORDS, optIn: config.OPT_IN_KEYWORDS }
  // New members' referral links, asked of Telegram once the batch is applied.
  const referralLinks: string[] = []
  const outcomes: Record<string, number> = {}
  const items = batch.messages.map((message) => TelegramUpdateItemSchema.safeParse(message.body))
  // What the updates read, read for the whole batch in one go (which were applied before it, the
  // links and groups of their chats); as the batch goes, the ones it applies join `applied`, so
  // that a second copy within it is not applied again either.
  let reads: BatchReads
  try {
    reads = await readAhead(
      db,
      items.flatMap((parsed) => (parsed.success ? [parsed.data] : [])),
    )
  } catch (error) {
    // Nothing applied yet: the whole batch again, after the same pause a failed update gets.
    logError({ queue: batch.queue, messages: batch.messages.length }, error)
    return batch.retryAll({ delaySeconds: 10 })
  }
  for (const [i, message] of batch.messages.entries()) {
    const parsed = items[i]!
    if (!parsed.success) {
      logError({ queue: batch.queue, id: message.id }, 'malformed item')
      message.ack()
      continue
    }
    try {
      const { outcome, join } = await applyTelegramUpdate(
        db,
        telegram,
        parsed.data,
        new Date(),
        reads,
        keywords,
        startSecret,
      )
      reads.applied.add(parsed.data.updateId)
      const key = `${parsed.data.kind}:${outcome}`
      outcomes[key] = (outcomes[key] ?? 0) + 1
      if (join) referralLinks.push(join.referralLinkId)
      message.ack()
    } catch (error) {
      logError({ queue: batch.queue, id: message.id }, error)
      message.retry({ delaySeconds: 10 })
    }
  }
  try {
    await makeReferralLinks(db, telegram, referralLinks)
  } finally {
    if (Object.keys(outcomes).length > 0) {
      logInfo({
        job: 'telegram-updates',
        updates: batch.messages.length,
        outcomes,
        d1RoundTrips: trips.roundTrips,
      })
    }
  }
}

/**
 * Asks Telegram for the referral links planned by the batch's joins, until it asks us to wait
 * (a crowd joining at once): what is left, the cron job makes when Telegram allows.
 */
async function makeReferralLinks(db: Database, telegram: TelegramConfig, ids: string[]) {
  if (ids.length === 0) return
  for (const link of await pendingTelegramLinks(db, ids)) {
    try {
      const outcome = await makeTelegramLink(db, telegram, link, new Date())
      if (outcome !== 'made' && outcome !== 'made elsewhere') return
    } catch (error) {
      logError({ job: 'telegram-referral-link' }, error)
      return
    }
  }
}
