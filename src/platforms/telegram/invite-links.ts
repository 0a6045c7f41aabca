import { and, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../../db/client'
import {
  invites,
  members,
  telegramInviteLinks,
  telegramLinkRevocations,
  type Invite,
  type TelegramInviteLink,
  type TelegramLinkRevocation,
} from '../../db/schema'
import type { TelegramConfig } from '../../lib/config'
import { chunks, ID_CHUNK } from '../../lib/chunks'
import { createChatInviteLink, revokeChatInviteLink, type BotApiResult } from './client'
import { planLinksIntoChatOf } from './links-follow'

/**
 * The chat's own invite link behind each campaign link on a Telegram group: planned when our
 * link is made (`pending`), made by Telegram right after the answer or by the cron job, never
 * while a visitor waits, and revoked when ours is revoked or rotated.
 */

/** How long the cron job leaves a call to the request that planned it. */
const HAND_OVER_MS = 60_000

/** How long a failed call waits before the next try: doubling from 30 s, at most an hour. */
function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 3_600_000)
}

/**
 * Tries before a link Telegram keeps refusing (or that cannot be reached) is given up, about a
 * quarter of an hour of backoff: rights removed or a chat gone do not mend by themselves. A 429
 * is Telegram asking us to wait, not a refusal: it never ends the tries.
 */
export const MAX_LINK_ATTEMPTS = 6

/**
 * Plans the Telegram link of a campaign link whose group is on Telegram (a row `pending` until
 * Telegram made it), unless it has one; null for a link on WhatsApp, or archived or revoked. A
 * closed community's links make join requests. The chat and the visibility are read in the
 * statement that writes the row, so a group unlinked or a community closed a moment before is
 * seen.
 */
export async function planTelegramLink(
  db: Database,
  invite: Invite,
  now: Date,
): Promise<TelegramInviteLink | null> {
  const [, [row]] = await db.batch([
    // The caller asks Telegram right away; the cron job only if that did not get through.
    planLinksIntoChatOf(
      db,
      { groupOfInvite: invite.id },
      now,
      new Date(now.getTime() + HAND_OVER_MS),
    ),
    telegramLinkOfInviteQuery(db, invite.id),
  ])
  return row ?? null
}

/** The link's live Telegram link (pending or made), if it has one. */
export async function liveTelegramLink(
  db: Database,
  inviteId: string,
): Promise<TelegramInviteLink | null> {
  const [row] = await telegramLinkOfInviteQuery(db, inviteId)
  return row ?? null
}

/**
 * A link's live Telegram link (made, or still to be made), for a batch. `read` false reads none
 * (Telegram not configured).
 */
export function telegramLinkOfInviteQuery(db: Database, inviteId: string, read = true) {
  return db
    .select()
    .from(telegramInviteLinks)
    .where(
      and(
        eq(telegramInviteLinks.inviteId, inviteId),
        inArray(telegramInviteLinks.status, ['pending', 'active']),
      ),
    )
    .limit(read ? 1 : 0)
}

/**
 * The live Telegram links of a page of campaign links, by link id: a chunk of ids a statement,
 * so no page size can pass the bound values a D1 statement may have, and the chunks in one
 * round trip.
 */
export async function liveTelegramLinks(
  db: Database,
  inviteIds: string[],
): Promise<Map<string, TelegramInviteLink>> {
  const [first, ...rest] = chunks(inviteIds, ID_CHUNK).map((chunk) =>
    db
      .select()
      .from(telegramInviteLinks)
      .where(
        and(
          inArray(telegramInviteLinks.inviteId, chunk),
          inArray(telegramInviteLinks.status, ['pending', 'active']),
        ),
      ),
  )
  if (!first) return new Map()
  const rows = (await db.batch([first, ...rest])).flat()
  return new Map(rows.map((row) => [row.inviteId, row]))
}

function failureText(outcome: Exclude<BotApiResult<unknown>, { ok: true }>): string {
  if (outcome.kind === 'rate_limited') return `rate limited: retry after ${outcome.retryAfter} s`
  if (outcome.kind === 'refused') return `${outcome.errorCode}: ${outcome.description}`
  return outcome.reason
}

/** When to try again after a failed call: Telegram's `retry_after`, or our backoff. */
function nextAttempt(
  outcome: Exclude<BotApiResult<unknown>, { ok: true }>,
  attempts: number,
  now: Date,
): Date {
  const wait = outcome.kind === 'rate_limited' ? outcome.retryAfter * 1000 : backoffMs(attempts)
  return new Date(now.getTime() + wait)
}

/** Asks Telegram for a pending link; a failure is kept, with when to try again. */
export async function makeTelegramLink(
  db: Database,
  telegram: TelegramConfig,
  link: TelegramInviteLink,
  now: Date,
): Promise<string> {
  // The invite with its referrer's name, for the link's name, in one read.
  const [found] = await db
    .select({ invite: invites, referrerName: members.name })
    .from(invites)
    .leftJoin(members, eq(members.id, invites.referrerMemberId))
    .where(eq(invites.id, link.inviteId))
    .limit(1)
  if (!found) return 'gone'
  const { invite } = found
  const outcome = await createChatInviteLink(telegram, {
    chatId: link.chatId,
    name: linkName(invite, found.referrerName),
    expireDate: invite.expiresAt ? Math.floor(invite.expiresAt.getTime() / 1000) : undefined,
    memberLimit: invite.maxUses ? Math.max(invite.maxUses - invite.uses, 1) : undefined,
    createsJoinRequest: link.createsJoinRequest,
  })
  const pending = and(
    eq(telegramInviteLinks.id, link.id),
    eq(telegramInviteLinks.status, 'pending'),
  )
  if (outcome.ok) {
    const saved = await db
      .update(telegramInviteLinks)
      .set({
        url: outcome.result.invite_link,
        status: 'active',
        attempts: link.attempts + 1,
        nextAttemptAt: null,
        lastError: null,
      })
      .where(pending)
      .returning({ id: telegramInviteLinks.id })
    if (saved.length > 0) return 'made'
    // Made or dropped meanwhile by someone else (the cron job, the consumer, a change that
    // retired it): the link Telegram just made would be one nobody counts, so it goes again at
    // once. If Telegram cannot revoke it now, a row dropped before it was made keeps it as one
    // to revoke, for the cron job.
    const revoked = await revokeChatInviteLink(telegram, link.chatId, outcome.result.invite_link)
    if (!revoked.ok && revoked.kind !== 'refused') {
      await db
        .update(telegramInviteLinks)
        .set({
          url: outcome.result.invite_link,
          status: 'revoking',
          nextAttemptAt: nextAttempt(revoked, 1, now),
          attempts: 1,
        })
        .where(
          and(
            eq(telegramInviteLinks.id, link.id),
            eq(telegramInviteLinks.status, 'revoked'),
            sql`${telegramInviteLinks.url} is null`,
          ),
        )
    }
    return 'made elsewhere'
  }
  const attempts = link.attempts + 1
  const givenUp = outcome.kind !== 'rate_limited' && attempts >= MAX_LINK_ATTEMPTS
  await db
    .update(telegramInviteLinks)
    .set({
      attempts,
      nextAttemptAt: givenUp ? null : nextAttempt(outcome, attempts, now),
      failedAt: givenUp ? now : null,
      lastError: failureText(outcome),
    })
    .where(pending)
  return givenUp ? 'given up' : `failed (${outcome.kind})`
}

/**
 * What Telegram shows as the link's name: a campaign link's label, or for a member's referral
 * link the member's name, so admins can tell them apart in the chat's list of links.
 */
function linkName(invite: Invite, referrerName: string | null): string {
  if (!invite.referrerMemberId) return invite.label ?? invite.code
  return referrerName !== null ? `${referrerName} (referral)` : (invite.label ?? invite.code)
}

/**
 * The links with these ids that still wait to be made, in the order of the ids: read together,
 * a chunk of ids at a time (a crowd's joins plan a referral link each).
 */
export async function pendingTelegramLinks(
  db: Database,
  ids: readonly string[],
): Promise<TelegramInviteLink[]> {
  const found = new Map<string, TelegramInviteLink>()
  for (const chunk of chunks([...new Set(ids)], ID_CHUNK)) {
    const rows = await db
      .select()
      .from(telegramInviteLinks)
      .where(and(inArray(telegramInviteLinks.id, chunk), eq(telegramInviteLinks.status, 'pending')))
    for (const row of rows) found.set(row.id, row)
  }
  return ids.flatMap((id) => found.get(id) ?? [])
}

/**
 * The chat was fixed (a group linked to it again, or the bot given its rights back): links that
 * failed for good there are tried again at once, from a fresh count. (Links of a group linked to
 * another chat are replaced by ones into it: `planLinksIntoChatOf`.)
 */
export async function retryFailedTelegramLinks(
  db: Database,
  chatId: number,
  now: Date,
): Promise<number> {
  const result = await db
    .update(telegramInviteLinks)
    .set({ failedAt: null, attempts: 0, nextAttemptAt: now })
    .where(
      and(
        eq(telegramInviteLinks.status, 'pending'),
        isNotNull(telegramInviteLinks.failedAt),
        eq(telegramInviteLinks.chatId, chatId),
      ),
    )
  return result.meta.changes
}

/**
 * Our link was revoked or rotated: its Telegram link is to be revoked too (at once by the
 * caller, or by the cron job). One that was never made is simply dropped.
 */
export async function retireTelegramLinks(
  db: Database,
  inviteId: string,
  now: Date,
): Promise<TelegramInviteLink[]> {
  await db
    .update(telegramInviteLinks)
    .set({ status: 'revoked', revokedAt: now, nextAttemptAt: null })
    .where(
      and(eq(telegramInviteLinks.inviteId, inviteId), eq(telegramInviteLinks.status, 'pending')),
    )
  return db
    .update(telegramInviteLinks)
    .set({
      status: 'revoking',
      revokedAt: now,
      nextAttemptAt: new Date(now.getTime() + HAND_OVER_MS),
      attempts: 0,
    })
    .where(
      and(eq(telegramInviteLinks.inviteId, inviteId), eq(telegramInviteLinks.status, 'active')),
    )
    .returning()
}

/** Revokes a retired link at Telegram. A link Telegram no longer knows is as good as revoked. */
export async function revokeTelegramLink(
  db: Database,
  telegram: TelegramConfig,
  link: TelegramInviteLink,
  now: Date,
): Promise<string> {
  if (!link.url) return 'gone'
  const outcome = await revokeChatInviteLink(telegram, link.chatId, link.url)
  const revoking = and(
    eq(telegramInviteLinks.id, link.id),
    eq(telegramInviteLinks.status, 'revoking'),
  )
  if (outcome.ok || outcome.kind === 'refused') {
    await db
      .update(telegramInviteLinks)
      .set({
        status: 'revoked',
        nextAttemptAt: null,
        lastError: outcome.ok ? null : failureText(outcome),
      })
      .where(revoking)
    return 'revoked'
  }
  const attempts = link.attempts + 1
  await db
    .update(telegramInviteLinks)
    .set({
      attempts,
      nextAttemptAt: nextAttempt(outcome, attempts, now),
      lastError: failureText(outcome),
    })
    .where(revoking)
  return `failed (${outcome.kind})`
}

/**
 * The cron job's part: links whose making or revoking is due, a bounded number per run (each is
 * one call to Telegram), oldest due first. Returns how many were tried.
 */
export async function runDueTelegramLinks(
  db: Database,
  telegram: TelegramConfig,
  now: Date,
  limit = 20,
): Promise<number> {
  // Revocations first, with a budget of their own: after a community closes, each of its old
  // links lets people into the chat unasked until Telegram has revoked it.
  const due = (status: 'pending' | 'revoking', count: number) =>
    db
      .select()
      .from(telegramInviteLinks)
      .where(
        and(
          // Written out, not bound, so that the partial index of due links is used.
          sql`${telegramInviteLinks.status} in ('pending', 'revoking')`,
          eq(telegramInviteLinks.status, status),
          lte(telegramInviteLinks.nextAttemptAt, now),
        ),
      )
      .orderBy(sql`${telegramInviteLinks.nextAttemptAt}`)
      .limit(count)
  const budget = REVOCATIONS_PER_LINK_MADE * limit
  // Those of deleted communities first: no row of ours refers to them any more.
  const orphaned = await db
    .select()
    .from(telegramLinkRevocations)
    .where(lte(telegramLinkRevocations.nextAttemptAt, now))
    .orderBy(telegramLinkRevocations.nextAttemptAt)
    .limit(budget)
  for (const link of orphaned) await revokeOrphanedLink(db, telegram, link, now)
  const revoking = await due('revoking', budget - orphaned.length)
  for (const link of revoking) await revokeTelegramLink(db, telegram, link, now)
  const pending = await due('pending', limit)
  for (const link of pending) await makeTelegramLink(db, telegram, link, now)
  return orphaned.length + revoking.length + pending.length
}

/**
 * Revokes a Telegram link whose campaign link went with its community (`deleteCommunity`): done
 * once Telegram revoked it or refused (it no longer knows the link, or the bot lost the chat).
 */
async function revokeOrphanedLink(
  db: Database,
  telegram: TelegramConfig,
  link: TelegramLinkRevocation,
  now: Date,
): Promise<string> {
  const outcome = await revokeChatInviteLink(telegram, link.chatId, link.url)
  const row = eq(telegramLinkRevocations.url, link.url)
  if (outcome.ok || outcome.kind === 'refused') {
    await db.delete(telegramLinkRevocations).where(row)
    return 'revoked'
  }
  const attempts = link.attempts + 1
  await db
    .update(telegramLinkRevocations)
    .set({
      attempts,
      nextAttemptAt: nextAttempt(outcome, attempts, now),
      lastError: failureText(outcome),
    })
    .where(row)
  return `failed (${outcome.kind})`
}

/** How many revocations a cron run may ask Telegram for, for each link it may make. */
const REVOCATIONS_PER_LINK_MADE = 3
