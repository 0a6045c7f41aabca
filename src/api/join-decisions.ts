import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { CONTACT_KINDS, type ContactKind, type JoinRequest } from '../db/schema'
import { ApiError } from '../lib/errors'
import { emailedPageUrl } from '../lib/confirm-codes'
import { signingSecret } from '../lib/config'
import { confirmContact } from '../services/consent'
import { getJoinRequestOrThrow } from '../services/join-requests'
import { approveJoinRequest, rejectJoinRequest } from '../services/joining-decisions'
import type { JoinTarget } from '../services/joining-target'
import { tellApplicant } from '../services/decision-notices'
import { auditLater, changedNothing } from '../middleware/audit-trail'

export type Decision = { action: 'approve' } | { action: 'reject'; reason: string | null }

/**
 * An admin's decision on a join request, for the API and the dashboard alike (the caller has
 * checked `joinRequests.decide`). The applicant is told through the contact they confirmed
 * (services/decision-notices.ts), and only by the call that decided: approving or rejecting twice
 * tells no one twice. Their WhatsApp notice is recorded with the decision and sent once the
 * answer has gone; should that fail or never happen, the cron job sends it.
 */
export async function decideJoinRequest(
  c: Pick<Context<AppEnv>, 'var' | 'executionCtx'>,
  request: JoinRequest,
  decision: Decision,
  /** Where an approval lands, when the caller read it with the request. */
  target: JoinTarget | null = null,
): Promise<JoinRequest> {
  const now = new Date()
  // Only a sign-up with an address is written to by mail (and only once that is confirmed).
  const applicantPage = request.email
    ? await emailedPageUrl(c.var.config.PUBLIC_BASE_URL, signingSecret(c.var.config), request)
    : null
  const result =
    decision.action === 'approve'
      ? await approveJoinRequest(c.var.db, request, now, target, { notice: true, applicantPage })
      : await rejectJoinRequest(c.var.db, request, decision.reason, now, applicantPage)
  if (result.decided) {
    c.executionCtx.waitUntil(tellApplicant(c.var.deferredDb, c.var.config, result.request, now))
    const action = decision.action === 'approve' ? 'join_request.approved' : 'join_request.rejected'
    // A rejection's reason is what the person was told: the log keeps it beside the decision.
    const detail = decision.action === 'reject' ? decision.reason : null
    auditLater(
      c,
      {
        communityId: request.communityId,
        action,
        actor: c.var.principal,
        targetId: request.id,
        detail,
      },
      now,
    )
  }
  return result.request
}

/**
 * Consent an admin holds proof of (a signed form, say), recorded for the sign-up's contacts the
 * proof names, for the API and the dashboard alike (the caller has checked
 * `joinRequests.decide`). Each named contact's record gets the method `admin`, the proof's text
 * and who recorded it. Answers the sign-up as it stands after (an earlier sign-up of the same
 * person when the proof showed this one to be a repeat), and whether its group was full: in an
 * open community the proof then stands, and the request waits among the pending ones. A proof
 * that adds nothing (every contact it names proven already) leaves the audit log as it is.
 */
export async function recordAdminConsent(
  c: Pick<Context<AppEnv>, 'var'> & Parameters<typeof changedNothing>[0],
  request: JoinRequest,
  proof: { text: string; contacts: ContactKind[] | undefined },
): Promise<{ request: JoinRequest; groupFull: boolean }> {
  const who = c.var.principal.tokenId ?? 'owner'
  const given = CONTACT_KINDS.filter((kind) => request[kind] !== null)
  const contacts = proof.contacts ?? (given.length === 1 ? given : null)
  if (!contacts) {
    throw new ApiError('validation_failed', 'Some fields are missing or invalid.', {
      errors: [
        {
          path: 'contacts',
          message:
            'This sign-up has a phone number and an e-mail address: name the ones your proof covers.',
        },
      ],
    })
  }
  // Every contact named is checked before any is written: a proof is recorded whole or not at all.
  const missing = contacts.find((kind) => !given.includes(kind))
  if (missing) {
    throw new ApiError(
      'invalid_state',
      missing === 'phone'
        ? 'This sign-up has no phone number to confirm.'
        : 'This sign-up has no e-mail address to confirm.',
    )
  }
  let shown = request
  let recorded = false
  for (const contact of new Set(contacts)) {
    const result = await confirmContact(
      c.var.db,
      shown,
      contact,
      { method: 'admin', id: `${who}: ${proof.text}` },
      new Date(),
      c.var.config.REJECTION_COOLDOWN_DAYS,
    )
    // The proof is written before the membership it lets begin: a full group keeps the one,
    // not the other, and the request waits for an admin and for room.
    if (result.outcome === 'confirmed' && result.groupFull) {
      return { request: result.request, groupFull: true }
    }
    if (result.outcome === 'expired') {
      throw new ApiError(
        'invalid_state',
        'This sign-up expired unconfirmed; the person signs up again.',
      )
    }
    shown = result.request
    recorded ||= result.outcome !== 'already'
    // The proof showed an earlier sign-up of the same person: that one is the answer.
    if (result.outcome === 'repeat') break
  }
  if (!recorded) changedNothing(c)
  return { request: shown, groupFull: false }
}
