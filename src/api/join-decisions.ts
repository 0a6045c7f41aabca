import type { Context } from 'hono'
import type { AppEnv } from '../env'
import type { JoinRequest } from '../db/schema'
import { approveJoinRequest, rejectJoinRequest } from '../services/joining-decisions'
import type { JoinTarget } from '../services/joining-target'
import { tellApplicant } from '../services/decision-notices'
import { auditLater } from '../middleware/audit-trail'

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
  const result =
    decision.action === 'approve'
      ? await approveJoinRequest(c.var.db, request, now, target, { notice: true })
      : await rejectJoinRequest(c.var.db, request, decision.reason, now)
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
