import { and, desc, eq, gte, inArray, notLike, or, sql, type SQL } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import type { Database } from '../db/client'
import {
  communities,
  decisionNotices,
  joinRequests,
  type DecisionNoticeStatus,
  type JoinRequest,
} from '../db/schema'
import type { Config } from '../lib/config'
import type { Lang } from '../lib/i18n'
import { communityTemplate } from '../platforms/whatsapp/replies'
import { logError } from '../lib/log'
import {
  errorCodeIn,
  finalFailureReason,
  SUBSCRIPTION_ENDED_CODES,
  whatsAppErrorPolicy,
} from '../platforms/whatsapp/errors'
import { applyOptChoice, IN_WHATSAPP, reachableAfterStop, stopsOf } from './opt-outs'
import { consentStands } from './consent'
import { sendCloudApiMessage, type SendResult } from './channels'
import { backoffSeconds } from './delivery/messages'
import { chatLinkSetUp, ownStatusLink, repliesIn, signUpLanguage } from './whatsapp-words'

/**
 * Telling an applicant how an admin decided, through the contact they confirmed, and only that:
 *
 * - **A confirmed phone number** hears it on WhatsApp. Within 24 hours of the person's own
 *   message to the business number (their confirmation message or button tap: Meta's
 *   customer-service window) as a free-form text in the language they signed up in, an approval
 *   with the link to their status page, where the way into the group is, if they proved they
 *   hold it (`ownStatusLink` in services/whatsapp-words.ts); after that only through an approved
 *   template (`WHATSAPP_APPROVED_TEMPLATE`, `WHATSAPP_REJECTED_TEMPLATE`; the community's name is
 *   their one parameter; in the sign-up's language where the templates are approved in it), since
 *   Meta refuses free-form messages outside the window; without a template, not at all (the
 *   status page still shows the decision).
 * - **A confirmed e-mail address** hears it from the operator's own mail system, which receives
 *   `join.approved` / `join.rejected` with the applicant's name, address and the community's name
 *   and the page of the confirmation link sent to that address before (`applicantFields` in
 *   services/join-statements.ts). Those events carry no status link: whoever confirmed the
 *   address may not be whoever typed it into the form and holds that page.
 * - **An unconfirmed contact** hears nothing, ever; nor does a number that sent STOP after it
 *   was proven (services/opt-outs.ts).
 *
 * The WhatsApp notice is work the database holds (`decision_notices`), so that nothing loses it:
 * the decision's batch records it as due (`noticeDueStatement` in services/join-statements.ts),
 * the decision's request sends it once its answer has gone (`tellApplicant`), and the cron job
 * sends those still due a minute later, or due again after a failure worth another try
 * (`sendDueNotices`), up to `DELIVERY_MAX_ATTEMPTS` tries with the deliveries' backoff. Each send
 * is claimed (`due` to `sending`) before it leaves, so it goes at most once: the Cloud API does
 * not deduplicate, so a send that timed out, or whose Worker stopped before it settled, is
 * "outcome unknown" and never sent again. Whether a notice may go, and what it says, is decided
 * when it is sent, from the sign-up as it is then: its consent, a STOP since, the window.
 */

/** Why a notice was not sent: past the window, with no template to send instead. */
const OUTSIDE_WINDOW = 'outside the 24-hour window, and no template'

/** Meta's customer-service window, opened by a message from the person. */
export const SERVICE_WINDOW_MS = 24 * 3600_000

type Notice =
  | { kind: 'text'; to: string; text: string }
  | { kind: 'template'; to: string; template: string; communityName: string; lang: Lang | null }

/**
 * The WhatsApp message that tells the applicant of a decided `request` at `now`, or why none may
 * or can go: no confirmed phone number, or outside the window without a template.
 */
async function decisionNotice(
  db: Database,
  config: Config,
  request: JoinRequest,
  community: { name: string; consent: string },
  now: Date,
): Promise<Notice | { kind: 'none'; reason: string }> {
  const asksForProof = community.consent === 'double'
  const consent = consentStands(request.phoneConfirmedAt, request.phoneConsentMethod, asksForProof)
  if (request.status === 'pending') return { kind: 'none', reason: 'not decided' }
  if (!request.phone || !request.phoneConfirmedAt || !consent) {
    return { kind: 'none', reason: 'phone number not confirmed' }
  }
  const communityName = community.name
  const approved = request.status === 'approved'
  const theyWrote =
    request.phoneConsentMethod === 'whatsapp_message' ||
    request.phoneConsentMethod === 'whatsapp_button'
  if (theyWrote && now.getTime() - request.phoneConfirmedAt.getTime() < SERVICE_WINDOW_MS) {
    const lang = signUpLanguage(request)
    const replies = repliesIn(config, lang)
    const text = approved
      ? replies.approved(
          communityName,
          await ownStatusLink(config, request, request.phoneConsentMethod, lang),
          await chatLinkSetUp(db, config, request),
        )
      : replies.rejected(communityName, request.reason)
    return { kind: 'text', to: request.phone, text }
  }
  const template = approved ? config.WHATSAPP_APPROVED_TEMPLATE : config.WHATSAPP_REJECTED_TEMPLATE
  if (!template) return { kind: 'none', reason: OUTSIDE_WINDOW }
  return {
    kind: 'template',
    to: request.phone,
    template,
    communityName,
    lang: signUpLanguage(request),
  }
}

/**
 * How long a notice's send may take: the Cloud API answers within a few seconds, and a decision's
 * request has about half a minute after its answer. After that, the outcome is unknown.
 * `DELIVERY_TIMEOUT_SECONDS` overrides it, as it does for announcements.
 */
const NOTICE_TIMEOUT_MS = 10_000
/**
 * A notice `sending` this long was interrupted (its send ends within the timeout, the sends of a
 * cron run within a few of them): it is settled "outcome unknown".
 */
const NOTICE_SENDING_STALE_MS = 5 * 60_000
/** Notices the cron job claims per run, and settles as interrupted per run. */
const NOTICE_CLAIM = 25
const NOTICE_SETTLE = 50
/** Sends of a cron run in flight at once. */
const NOTICE_SENDS_IN_FLIGHT = 5

const UNKNOWN_ERROR = 'outcome unknown: the attempt was interrupted after it may have been sent'

/**
 * Tells the applicant of a request just decided (see above), after the answer to the admin
 * (`waitUntil`): the notice the decision recorded is claimed and sent, and its outcome recorded.
 * One that fails in a way worth another try is the cron job's; the decision stands either way,
 * and the status page shows it.
 */
export async function tellApplicant(
  db: Database,
  config: Config,
  request: JoinRequest,
  now: Date,
): Promise<void> {
  if (!request.phone || !request.phoneConfirmedAt) return
  try {
    const claimed = await claimNotices(
      db,
      sql`${decisionNotices.joinRequestId} = ${request.id} and ${decisionNotices.status} = 'due'`,
      now,
    )
    await sendClaimed(db, config, claimed, now)
  } catch (error) {
    logError({ notice: 'failed', joinRequest: request.id }, error)
  }
}

export interface SentNotices {
  sent: number
  retried: number
  skipped: number
  failed: number
  unknown: number
}

/**
 * The cron job's part (every minute): notices whose claim was never settled (their Worker
 * stopped during the send) are settled "outcome unknown", and notices still due (their decision's
 * request never tried them, or a retry is due) are claimed and sent. Bounded: 50 settled, 25
 * claimed and sent a run, five at a time; what is left waits for the next minute.
 */
export async function sendDueNotices(
  db: Database,
  config: Config,
  now: Date,
): Promise<SentNotices> {
  const interrupted = await db
    .update(decisionNotices)
    .set({ status: 'unknown', lastError: UNKNOWN_ERROR, updatedAt: now })
    .where(
      sql`${decisionNotices.joinRequestId} in (select join_request_id from decision_notices
        where status = 'sending' and due_at <= ${now.getTime()} order by due_at limit ${NOTICE_SETTLE})
        and ${decisionNotices.status} = 'sending'`,
    )
    .returning({ joinRequestId: decisionNotices.joinRequestId })
  const claimed = await claimNotices(
    db,
    sql`${decisionNotices.joinRequestId} in (select join_request_id from decision_notices
      where status = 'due' and due_at <= ${now.getTime()} order by due_at limit ${NOTICE_CLAIM})
      and ${decisionNotices.status} = 'due'`,
    now,
  )
  const settled = await sendClaimed(db, config, claimed, now)
  return { ...settled, unknown: settled.unknown + interrupted.length }
}

/**
 * Claims the due notices `where` picks: `sending`, one attempt more, and due for the cron job's
 * look once the send can no longer be under way. Returns each claimed notice's attempt.
 */
async function claimNotices(db: Database, where: SQL, now: Date): Promise<Map<string, number>> {
  const rows = await db
    .update(decisionNotices)
    .set({
      status: 'sending',
      attempts: sql`${decisionNotices.attempts} + 1`,
      dueAt: new Date(now.getTime() + NOTICE_SENDING_STALE_MS),
      updatedAt: now,
    })
    .where(where)
    .returning({ joinRequestId: decisionNotices.joinRequestId, attempts: decisionNotices.attempts })
  return new Map(rows.map((row) => [row.joinRequestId, row.attempts]))
}

type Skipped = { outcome: 'skipped'; reason: string }

/** Sends the claimed notices (at most `NOTICE_CLAIM`) and records how each went, in one batch. */
async function sendClaimed(
  db: Database,
  config: Config,
  claimed: Map<string, number>,
  now: Date,
): Promise<SentNotices> {
  const counts: SentNotices = { sent: 0, retried: 0, skipped: 0, failed: 0, unknown: 0 }
  if (claimed.size === 0) return counts
  const ids = [...claimed.keys()]
  const rows = await db
    .select({ request: joinRequests, name: communities.name, consent: communities.consent })
    .from(joinRequests)
    .innerJoin(communities, eq(communities.id, joinRequests.communityId))
    .where(inArray(joinRequests.id, ids))
  const read = new Map(rows.map((row) => [row.request.id, row]))
  // Numbers that sent STOP since: nothing goes to them (services/opt-outs.ts).
  const stops = await stopsOf(
    db,
    rows.flatMap((row) => (row.request.phone ? [row.request.phone] : [])),
  )
  const timeoutMs = config.DELIVERY_TIMEOUT_SECONDS
    ? config.DELIVERY_TIMEOUT_SECONDS * 1000
    : NOTICE_TIMEOUT_MS
  const attempt = async (id: string): Promise<SendResult | Skipped> => {
    const row = read.get(id)
    if (!row) return { outcome: 'skipped', reason: 'sign-up gone' }
    const { request } = row
    const stop = request.phone ? stops.get(request.phone) : undefined
    if (!reachableAfterStop(stop, request)) {
      return { outcome: 'skipped', reason: 'the number sent STOP' }
    }
    const notice = await decisionNotice(db, config, request, row, now)
    if (notice.kind === 'none') return { outcome: 'skipped', reason: notice.reason }
    const message =
      notice.kind === 'text'
        ? { type: 'text', text: { preview_url: false, body: notice.text } }
        : communityTemplate(config, notice.template, notice.communityName, notice.lang)
    return sendCloudApiMessage(config, notice.to, message, timeoutMs)
  }
  const statements: BatchItem<'sqlite'>[] = []
  const settle = (id: string, outcome: SendResult | Skipped) => {
    const tries = claimed.get(id)!
    const update = (values: Partial<typeof decisionNotices.$inferInsert>) =>
      statements.push(
        db
          .update(decisionNotices)
          .set({ ...values, updatedAt: now })
          .where(
            and(
              eq(decisionNotices.joinRequestId, id),
              eq(decisionNotices.status, 'sending'),
              eq(decisionNotices.attempts, tries),
            ),
          ),
      )
    if (outcome.outcome === 'sent') {
      counts.sent += 1
      update({ status: 'sent', lastError: null })
    } else if (outcome.outcome === 'skipped') {
      counts.skipped += 1
      update({ status: 'skipped', lastError: outcome.reason })
    } else if (outcome.outcome === 'retry' && tries < config.DELIVERY_MAX_ATTEMPTS) {
      counts.retried += 1
      const delay = backoffSeconds(
        config.DELIVERY_RETRY_BASE_SECONDS,
        tries,
        outcome.retryAfterSeconds,
      )
      update({
        status: 'due',
        lastError: outcome.error,
        dueAt: new Date(now.getTime() + delay * 1000),
      })
    } else if (outcome.outcome === 'unknown') {
      // Never sent again: it may well have arrived, and Meta would deliver a second copy.
      counts.unknown += 1
      update({ status: 'unknown', lastError: outcome.error })
    } else {
      counts.failed += 1
      update({ status: 'failed', lastError: outcome.error })
    }
  }
  const outcomes = new Map<string, SendResult | Skipped>()
  let next = 0
  const sender = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      const outcome = await attempt(id).catch((error: unknown): SendResult => {
        logError({ notice: 'failed', joinRequest: id }, error)
        return { outcome: 'retry', error: 'unexpected error' }
      })
      outcomes.set(id, outcome)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(NOTICE_SENDS_IN_FLIGHT, ids.length) }, () => sender()),
  )
  // Meta refused a notice because the person stopped this business's marketing messages in
  // WhatsApp (131050): that is the number's stop, recorded as an announcement's refusal records
  // it (services/whatsapp-statuses.ts), and before the notices' own record, so that a Worker
  // stopping in between loses nothing (recording it again changes nothing). Should the stop's
  // write fail, the notice is tried again rather than settled: a refused send delivered nothing,
  // so another is no second copy, and its refusal brings the stop's next try.
  for (const [id, outcome] of outcomes) {
    const phone = read.get(id)?.request.phone
    if (outcome.outcome !== 'failed' || !phone) continue
    if (!whatsAppErrorPolicy(errorCodeIn(outcome.error)).endsSubscription) continue
    await applyOptChoice(db, phone, 'stop', now, IN_WHATSAPP, now).catch((error: unknown) => {
      logError({ notice: 'stop not recorded', joinRequest: id }, error)
      outcomes.set(id, { outcome: 'retry', error: outcome.error })
    })
  }
  for (const [id, outcome] of outcomes) settle(id, outcome)
  await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]])
  return counts
}

/** How far back, and how many, a community's approvals page lists notices that told no one. */
const UNTOLD_SHOWN_DAYS = 30
const UNTOLD_SHOWN = 20

/**
 * The community's decisions of the last 30 days whose applicant was not told on WhatsApp for a
 * reason of ours or Meta's, newest first (at most 20): the notice failed, ended with its outcome
 * unknown, or was skipped as the 24-hour window had closed with no template to send. The
 * approvals page lists them, with the contacts the person confirmed, so that admins can reach
 * them another way; their status page shows the decision either way. Not listed: whoever chose
 * to hear nothing (a STOP since, marketing messages stopped in WhatsApp, consent withdrawn), as
 * no one should be reached another way for it.
 */
export function untoldApplicantsQuery(db: Database, communityId: string, now: Date) {
  return db
    .select({
      id: joinRequests.id,
      name: joinRequests.name,
      phone: sql<
        string | null
      >`case when ${joinRequests.phoneConfirmedAt} is not null then ${joinRequests.phone} end`.as(
        'phone',
      ),
      email: sql<
        string | null
      >`case when ${joinRequests.emailConfirmedAt} is not null then ${joinRequests.email} end`.as(
        'email',
      ),
      decision: joinRequests.status,
      // Named apart: D1's batch gives a row's columns by name, and both tables have a status.
      outcome: sql<DecisionNoticeStatus>`${decisionNotices.status}`.as('outcome'),
      reason: decisionNotices.lastError,
      at: decisionNotices.updatedAt,
    })
    .from(decisionNotices)
    .innerJoin(joinRequests, eq(joinRequests.id, decisionNotices.joinRequestId))
    .where(
      and(
        eq(decisionNotices.communityId, communityId),
        or(
          eq(decisionNotices.status, 'unknown'),
          and(eq(decisionNotices.status, 'skipped'), eq(decisionNotices.lastError, OUTSIDE_WINDOW)),
          and(
            eq(decisionNotices.status, 'failed'),
            ...SUBSCRIPTION_ENDED_CODES.map((code) =>
              notLike(decisionNotices.lastError, `%(error ${code})`),
            ),
          ),
        ),
        gte(decisionNotices.updatedAt, new Date(now.getTime() - UNTOLD_SHOWN_DAYS * 86_400_000)),
      ),
    )
    .orderBy(desc(decisionNotices.updatedAt))
    .limit(UNTOLD_SHOWN)
}

/**
 * The rows `untoldApplicantsQuery` read, each failure's reason in plain words where the Cloud API
 * gave an error code (platforms/whatsapp/errors.ts), as an announcement's report says them.
 */
export function untoldApplicantsOf(rows: Awaited<ReturnType<typeof untoldApplicantsQuery>>) {
  return rows.map((row) => {
    const code = errorCodeIn(row.reason)
    return { ...row, reason: code === null ? row.reason : finalFailureReason(code, row.reason) }
  })
}

export type UntoldApplicant = ReturnType<typeof untoldApplicantsOf>[number]
