import type { Database } from '../../db/client'
import type { Announcement, TelegramPostStatus } from '../../db/schema'
import type { Config, TelegramConfig } from '../../lib/config'
import { chunks } from '../../lib/chunks'
import { ANNOUNCEMENT_TEXT_MAX } from '../../lib/limits'
import { textWithName, textWithoutName } from '../../lib/name-placeholder'
import { sendMessage } from '../../platforms/telegram/client'
import { backoffSeconds, type DeliveryMessage, type Pace, type Verdict } from './messages'

/**
 * Announcements to Telegram-linked groups: one `sendMessage` to the chat per run, which the whole
 * chat sees (a channel, or the group itself). A post is a row of its own (`telegram_posts`),
 * not a delivery per member: Telegram tells who joined a chat, not who read a message in it.
 *
 * At most once where the outcome is known: a post is claimed before it leaves, a 429 waits
 * Telegram's `retry_after` and goes again, a refusal is final with its reason, and a send whose
 * answer never came (a timeout, a consumer that died after its claim) is settled "outcome
 * unknown", never posted again blindly (Telegram does not deduplicate).
 */

/**
 * The bot's pace: Telegram lets a bot send about 30 messages a second in all (its FAQ on
 * broadcasting); a little below that, shared by every consumer through the send-rate limiter.
 */
export const TELEGRAM_SENDS_PER_SECOND = 25

/** Whose rate a post counts against: the bot's, whatever the announcement channel. */
export function telegramSenderKey(telegram: TelegramConfig): string {
  return `telegram:${telegram.botId}`
}

export type TelegramPostKey = { dispatchId: string; chatId: number }

/**
 * The run's posts, made with its first expansion step: one per Telegram-linked group of the
 * audience (the chosen groups; for everyone, the announcement group, or where that has no chat,
 * every Telegram-linked group of the community, as no one chat reaches them all: see
 * `audienceReach`). Answers the posts it made, to be enqueued; a second copy of the step makes
 * none (the key is the run and the chat).
 */
export async function createTelegramPosts(
  db: Database,
  dispatchId: string,
  announcement: Announcement,
  now: Date,
): Promise<TelegramPostKey[]> {
  const { results } = await db.$client
    .prepare(
      `insert into telegram_posts (dispatch_id, chat_id, group_id, status, attempts,
         next_attempt_at, updated_at)
       select ?1, g.telegram_chat_id, g.id, 'queued', 0, ?2, ?2 from groups g
       where g.community_id = ?3 and g.telegram_chat_id is not null
         and case when ?4 is null then g.kind = 'announcement' or not exists (
             select 1 from groups a where a.community_id = ?3 and a.kind = 'announcement'
               and a.telegram_chat_id is not null)
           else g.id in (select value from json_each(?4)) end
       on conflict do nothing
       returning chat_id as chatId`,
    )
    .bind(
      dispatchId,
      now.getTime(),
      announcement.communityId,
      announcement.audienceGroupIds ? JSON.stringify(announcement.audienceGroupIds) : null,
    )
    .all<{ chatId: number }>()
  return results.map(({ chatId }) => ({ dispatchId, chatId }))
}

/** Queues the posts' messages, 100 to a `sendBatch`. */
export async function enqueueTelegramPosts(queue: Queue, posts: TelegramPostKey[]): Promise<void> {
  for (const part of chunks(posts, 100)) {
    await queue.sendBatch(
      part.map((post) => ({
        body: { kind: 'telegram-post', ...post } satisfies DeliveryMessage,
      })),
    )
  }
}

/** Telegram's refusal of a post, in a short fixed reason an admin can act on. */
export function refusalReason(errorCode: number, description: string): string {
  if (errorCode === 403) return 'the bot is not in the chat any more (removed or blocked)'
  if (
    /not enough rights|have no rights|CHAT_WRITE_FORBIDDEN|CHAT_ADMIN_REQUIRED/i.test(description)
  )
    return 'the bot may not post in this chat (give it the right to post messages)'
  if (/chat not found/i.test(description)) return 'Telegram does not know this chat any more'
  if (/upgraded to a supergroup/i.test(description))
    return 'the group became a supergroup: link the group to the new chat'
  return `Telegram refused the message (error ${errorCode})`
}

type Claimed = {
  attempts: number
  body: string | null
  runStatus: string | null
  contactStatus: string | null
  memberStatus: string | null
  /** The member's name, only where their own signed link connected this chat. */
  memberName: string | null
}

type Settled = {
  status: TelegramPostStatus
  error: string | null
  messageId?: number
  nextAttemptAt?: number
  /** Telegram answered 403: the bot was removed from the chat, or the person blocked it. */
  blocked?: boolean
}

/**
 * Posts one announcement run to one chat, if its post is still to be sent: the queue
 * consumer's part. Answers what the consumer does with the queue message.
 */
export async function postToTelegram(
  db: Database,
  config: Config,
  telegram: TelegramConfig | null,
  key: TelegramPostKey,
  pace: Pace,
  now: Date,
): Promise<Verdict> {
  const client = db.$client
  const claimed = await client
    .prepare(
      `update telegram_posts set status = 'sending', attempts = attempts + 1, updated_at = ?3
       where dispatch_id = ?1 and chat_id = ?2 and status = 'queued'
       returning attempts,
         (select a.body from dispatches d join announcements a on a.id = d.announcement_id
          where d.id = ?1) as body,
         (select status from dispatches where id = ?1) as runStatus,
         (select c.status from telegram_contacts c where c.user_id = ?2
            and c.member_id = telegram_posts.member_id) as contactStatus,
         (select m.status from members m where m.id = telegram_posts.member_id) as memberStatus,
         (select m.name from members m join telegram_contacts c on c.member_id = m.id
          where m.id = telegram_posts.member_id and c.user_id = ?2
            and c.linked_by = 'member_link') as memberName`,
    )
    .bind(key.dispatchId, key.chatId, now.getTime())
    .first<Claimed>()
  // Not ours to send: already claimed by a copy of this message, settled, or gone.
  if (!claimed) return { action: 'ack' }
  const settled = await attemptPost(config, telegram, key, claimed, pace, now)
  await client
    .prepare(
      `update telegram_posts set status = ?3, last_error = ?4, message_id = coalesce(?5, message_id),
         next_attempt_at = coalesce(?6, next_attempt_at), updated_at = ?7,
         sent_at = case when ?3 = 'sent' then ?7 else sent_at end
       where dispatch_id = ?1 and chat_id = ?2 and status = 'sending'`,
    )
    .bind(
      key.dispatchId,
      key.chatId,
      settled.status,
      settled.error,
      settled.messageId ?? null,
      settled.nextAttemptAt ?? null,
      now.getTime(),
    )
    .run()
  // A person who blocked the bot has said stop as plainly as /stop: nothing more goes to them.
  if (key.chatId > 0 && settled.blocked) {
    await client
      .prepare(
        `update telegram_contacts set status = 'stopped', stopped_at = ?2, status_at = ?2,
           stop_proof = 'telegram_blocked'
         where user_id = ?1 and status = 'started'`,
      )
      .bind(key.chatId, now.getTime())
      .run()
  }
  if (settled.status === 'queued')
    return {
      action: 'retry',
      delaySeconds: Math.ceil((settled.nextAttemptAt! - now.getTime()) / 1000),
    }
  return { action: 'ack' }
}

async function attemptPost(
  config: Config,
  telegram: TelegramConfig | null,
  key: TelegramPostKey,
  claimed: Claimed,
  pace: Pace,
  now: Date,
): Promise<Settled> {
  if (claimed.body === null) return { status: 'failed', error: 'announcement deleted' }
  if (claimed.runStatus === 'cancelled') return { status: 'failed', error: 'run cancelled' }
  // A private chat (a positive id): only while the member's /start stands.
  if (key.chatId > 0 && claimed.memberStatus !== 'active')
    return { status: 'skipped', error: 'member left' }
  if (key.chatId > 0 && claimed.contactStatus !== 'started')
    return { status: 'skipped', error: 'stopped: the member sent /stop to the bot' }
  if (!telegram)
    return { status: 'failed', error: 'Telegram is not configured (TELEGRAM_BOT_TOKEN)' }
  await pace()
  // A member's private chat with the bot addresses them by name, where the member's own signed
  // link started it. An account started with a referral code, which anyone may have, is not
  // told whose code it was; a group's chat is addressed as everyone.
  const text =
    key.chatId > 0
      ? textWithName(claimed.body, claimed.memberName, ANNOUNCEMENT_TEXT_MAX)
      : textWithoutName(claimed.body)
  const outcome = await sendMessage(telegram, key.chatId, text)
  if (outcome.ok) return { status: 'sent', error: null, messageId: outcome.result.message_id }
  if (outcome.kind === 'refused') {
    return {
      status: 'failed',
      error: refusalReason(outcome.errorCode, outcome.description),
      blocked: outcome.errorCode === 403,
    }
  }
  // No answer in time, or one we cannot read: it may have been posted.
  if (
    outcome.kind === 'unreachable' &&
    (outcome.reason === 'timed out' || outcome.reason === 'malformed answer')
  ) {
    return { status: 'unknown', error: 'no answer from Telegram: outcome unknown' }
  }
  const retryAfter = outcome.kind === 'rate_limited' ? outcome.retryAfter : undefined
  const error =
    outcome.kind === 'rate_limited'
      ? `Telegram asked us to wait ${outcome.retryAfter} s`
      : `Telegram could not be reached (${outcome.reason})`
  if (claimed.attempts >= config.DELIVERY_MAX_ATTEMPTS) return { status: 'failed', error }
  const delaySeconds = backoffSeconds(
    config.DELIVERY_RETRY_BASE_SECONDS,
    claimed.attempts,
    retryAfter,
  )
  return { status: 'queued', error, nextAttemptAt: now.getTime() + delaySeconds * 1000 }
}

/** Posts looked at per cron run, of each kind. */
const RECONCILE_POSTS = 90

/**
 * The cron job's part for posts, whose queue message may be lost like any other: `queued` posts
 * whose turn came more than `stallMs` ago are enqueued again (the claim keeps a copy still in the
 * queue from posting twice); posts left `sending` longer than an attempt can last were
 * interrupted after they may have gone out, and are settled "outcome unknown". A post that was
 * sent is never touched. Bounded: two statements and at most one `sendBatch`.
 */
export async function reconcileTelegramPosts(
  db: Database,
  queue: Queue,
  now: Date,
  limits: { stallMs: number; sendingStaleMs: number },
): Promise<{ requeued: number; unknown: number }> {
  const client = db.$client
  const open = (where: string) =>
    `(dispatch_id, chat_id) in (select dispatch_id, chat_id from telegram_posts
       where ${where} order by next_attempt_at limit ${RECONCILE_POSTS})`
  const [interrupted, lost] = await client.batch<{ dispatchId: string; chatId: number }>([
    client
      .prepare(
        `update telegram_posts set status = 'unknown', updated_at = ?1,
           last_error = 'outcome unknown: the attempt was interrupted after it may have been sent'
         where ${open("status = 'sending' and updated_at < ?2")}
         returning dispatch_id as dispatchId, chat_id as chatId`,
      )
      .bind(now.getTime(), now.getTime() - limits.sendingStaleMs),
    client
      .prepare(
        `update telegram_posts set next_attempt_at = ?1
         where ${open("status = 'queued' and next_attempt_at < ?2")}
         returning dispatch_id as dispatchId, chat_id as chatId`,
      )
      .bind(now.getTime(), now.getTime() - limits.stallMs),
  ])
  const requeue = lost!.results
  await enqueueTelegramPosts(queue, requeue)
  return { requeued: requeue.length, unknown: interrupted!.results.length }
}

/** The posts an announcement's runs made, newest run first; at most 50. */
export async function telegramPostsOf(db: Database, announcementId: string) {
  const { results } = await db.$client
    .prepare(
      `select p.dispatch_id as runId, p.group_id as groupId, g.name as groupName,
         p.member_id as memberId, m.name as memberName, p.chat_id as chatId, p.status, p.message_id as messageId, p.attempts,
         p.last_error as lastError, p.next_attempt_at as nextAttemptAt, p.sent_at as sentAt
       from telegram_posts p join dispatches d on d.id = p.dispatch_id
         left join groups g on g.id = p.group_id left join members m on m.id = p.member_id
       where d.announcement_id = ?1
       order by d.scheduled_for desc, p.chat_id limit 50`,
    )
    .bind(announcementId)
    .all<TelegramPostRow>()
  return results
}

export interface TelegramPostRow {
  runId: string
  groupId: string | null
  groupName: string | null
  memberId: string | null
  memberName: string | null
  chatId: number
  status: TelegramPostStatus
  messageId: number | null
  attempts: number
  lastError: string | null
  nextAttemptAt: number
  sentAt: number | null
}

/**
 * How many posts to Telegram chats each of a page of announcements has had go out, over all its
 * runs: the ids go in as one JSON parameter, whatever their number.
 */
export async function sentTelegramPostCounts(
  db: Database,
  announcementIds: string[],
): Promise<Map<string, number>> {
  if (announcementIds.length === 0) return new Map()
  const { results } = await db.$client
    .prepare(
      `select d.announcement_id as id, count(*) as n
       from dispatches d join telegram_posts p on p.dispatch_id = d.id
       where d.announcement_id in (select value from json_each(?1)) and p.status = 'sent'
       group by d.announcement_id`,
    )
    .bind(JSON.stringify(announcementIds))
    .all<{ id: string; n: number }>()
  return new Map(results.map((row) => [row.id, row.n]))
}
