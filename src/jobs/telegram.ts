import { and, eq } from 'drizzle-orm'
import { createDb, type Database } from '../db/client'
import { telegramInviteLinks } from '../db/schema'
import { loadConfig, telegramConfig, type TelegramConfig } from '../lib/config'
import { makeTelegramLink } from '../platforms/telegram/invite-links'
import { applyTelegramUpdate } from '../platforms/telegram/apply'
import { TelegramUpdateItemSchema } from '../platforms/telegram/updates'

export const TELEGRAM_QUEUE_NAME = 'community-growth-telegram-updates'

/**
 * Telegram's updates, applied one at a time in the order they were queued, each once by its
 * `update_id`. An item that does not parse is dropped (retrying cannot fix it); one that fails
 * is retried on its own. Without a bot token (it was removed since) nothing is applied.
 */
export async function applyTelegramUpdates(batch: MessageBatch, env: Env): Promise<void> {
  const config = loadConfig(env)
  const telegram = telegramConfig(config)
  if (!telegram) {
    console.error(JSON.stringify({ queue: batch.queue, error: 'Telegram is not configured' }))
    return batch.ackAll()
  }
  const db = createDb(env.DB, { checkLimits: config.D1_LIMIT_CHECKS })
  // What signed the members' deep links to the bot (start-link.ts); without it none was given.
  const startSecret = config.SIGNING_SECRET ?? config.ADMIN_TOKEN ?? null
  // New members' referral links, asked of Telegram once the batch is applied.
  const referralLinks: string[] = []
  for (const message of batch.messages) {
    const parsed = TelegramUpdateItemSchema.safeParse(message.body)
    if (!parsed.success) {
      console.error(JSON.stringify({ queue: batch.queue, id: message.id, error: 'malformed item' }))
      message.ack()
      continue
    }
    try {
      const { outcome, join } = await applyTelegramUpdate(
        db,
        telegram,
        parsed.data,
        new Date(),
        {
          optOut: config.OPT_OUT_KEYWORDS,
          optIn: config.OPT_IN_KEYWORDS,
        },
        startSecret,
      )
      console.log(JSON.stringify({ job: 'telegram-updates', kind: parsed.data.kind, outcome }))
      if (join) referralLinks.push(join.referralLinkId)
      message.ack()
    } catch (error) {
      console.error(JSON.stringify({ queue: batch.queue, id: message.id, error: String(error) }))
      message.retry({ delaySeconds: 10 })
    }
  }
  await makeReferralLinks(db, telegram, referralLinks)
}

/**
 * Asks Telegram for the referral links planned by the batch's joins, until it asks us to wait
 * (a crowd joining at once): what is left, the cron job makes when Telegram allows.
 */
async function makeReferralLinks(db: Database, telegram: TelegramConfig, ids: string[]) {
  for (const id of ids) {
    const link = await db.query.telegramInviteLinks.findFirst({
      where: and(eq(telegramInviteLinks.id, id), eq(telegramInviteLinks.status, 'pending')),
    })
    if (!link) continue
    try {
      const outcome = await makeTelegramLink(db, telegram, link, new Date())
      if (outcome !== 'made') return
    } catch (error) {
      console.error(JSON.stringify({ job: 'telegram-referral-link', error: String(error) }))
      return
    }
  }
}
