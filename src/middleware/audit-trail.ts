import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuditAction, Community } from '../db/schema'
import type { AppEnv } from '../env'
import { readForm } from '../lib/forms'
import { logError } from '../lib/log'
import { communityOfRow, recordAudit, type AuditRecord } from '../services/audit'

const ID = '[0-9a-hjkmnp-tv-z]{26}'
const CMT = `(?<community>cmt_${ID})`
const id = (prefix: string) => `(?<target>${prefix}_${ID})`
/** A row the change starts from that is not what it made (the link a copy is made of). */
const from = (prefix: string) => `(?<from>${prefix}_${ID})`

/**
 * Where the community an entry belongs to comes from: the path (`/communities/{id}/…`), the
 * row the path names (read before the change for rows it deletes, after it otherwise; for a
 * copy, the row it copies, while the entry names the copy), the JSON answer of a creation, a
 * field of the dashboard form, or the community a request made (its id in the JSON answer or
 * where the dashboard's redirect leads).
 */
type CommunitySource = 'path' | 'target-before' | 'target-after' | 'answer' | 'form' | 'made'

interface Rule {
  method: 'POST' | 'PATCH' | 'DELETE'
  path: RegExp
  action: AuditAction | ((verb: string) => AuditAction)
  community: CommunitySource
}

const rule = (
  method: Rule['method'],
  path: string,
  action: Rule['action'],
  community: CommunitySource,
): Rule => ({ method, path: new RegExp(`^${path}$`), action, community })

const announcementVerb = (verb: string): AuditAction =>
  verb === 'send-now'
    ? 'announcement.sent'
    : verb === 'cancel'
      ? 'announcement.cancelled'
      : verb === 'resend-failed'
        ? 'announcement.resent'
        : verb === 'edit'
          ? 'announcement.changed'
          : 'announcement.resumed'

const linkVerb = (verb: string): AuditAction =>
  verb === 'revoke' ? 'link.revoked' : verb === 'rotate' ? 'link.rotated' : 'link.changed'

const adminVerb = (verb: string): AuditAction =>
  verb === 'promote' ? 'admin.promoted' : 'admin.demoted'

const VERB = '(?<verb>[a-z-]+)'

/**
 * Every change an admin can make through the API or the dashboard, and how the audit log names
 * it: one table, so a new operation is audited by adding a line here rather than a call in each
 * handler. Approvals and rejections are recorded where they are decided (`decideJoinRequest`),
 * once per request actually decided. A community's log begins with its creation, with the
 * choices it was made with; deleting it deletes its log.
 */
const RULES: Rule[] = [
  // The API.
  rule('POST', '/api/communities', 'community.created', 'made'),
  rule('PATCH', `/api/communities/${CMT}`, 'settings.changed', 'path'),
  rule('POST', `/api/communities/${CMT}/admins/${id('tok')}/${VERB}`, adminVerb, 'path'),
  rule('POST', `/api/communities/${CMT}/groups`, 'group.created', 'path'),
  rule('PATCH', `/api/groups/${id('grp')}`, 'group.changed', 'target-after'),
  rule('DELETE', `/api/groups/${id('grp')}`, 'group.deleted', 'target-before'),
  rule('POST', `/api/communities/${CMT}/invites`, 'link.created', 'path'),
  rule('PATCH', `/api/invites/${id('inv')}`, 'link.changed', 'target-after'),
  // A copy is a link made, not a change of the one it copies.
  rule('POST', `/api/invites/${from('inv')}/duplicate`, 'link.created', 'target-after'),
  rule('POST', `/api/invites/${id('inv')}/${VERB}`, linkVerb, 'target-after'),
  rule('POST', `/api/join-requests/${id('jr')}/confirm`, 'join_request.confirmed', 'target-after'),
  rule('DELETE', `/api/members/${id('mem')}`, 'member.removed', 'target-after'),
  // The member's row is gone afterwards: its community is read before.
  rule('POST', `/api/members/${id('mem')}/erase`, 'member.erased', 'target-before'),
  rule('POST', `/api/communities/${CMT}/reward-rules`, 'reward_rule.created', 'path'),
  rule(
    'DELETE',
    `/api/communities/${CMT}/reward-rules/${id('rwr')}`,
    'reward_rule.retired',
    'path',
  ),
  rule('POST', `/api/communities/${CMT}/announcements`, 'announcement.scheduled', 'path'),
  rule('PATCH', `/api/announcements/${id('ann')}`, 'announcement.changed', 'target-after'),
  rule('POST', `/api/announcements/${id('ann')}/${VERB}`, announcementVerb, 'target-after'),
  rule(
    'POST',
    `/api/announcements/${id('ann')}/runs/dsp_${ID}/${VERB}`,
    announcementVerb,
    'target-after',
  ),
  rule('POST', '/api/webhooks', 'webhook.created', 'answer'),
  rule('DELETE', `/api/webhooks/${id('whk')}`, 'webhook.removed', 'target-after'),
  rule(
    'POST',
    `/api/webhooks/${id('whk')}/deliveries/evt_${ID}/redeliver`,
    'webhook.redelivered',
    'target-after',
  ),
  rule('POST', `/api/webhooks/${id('whk')}/resume`, 'webhook.resumed', 'target-after'),
  rule('POST', '/api/tokens', 'teammate.invited', 'answer'),
  rule('DELETE', `/api/tokens/${id('tok')}`, 'teammate.revoked', 'target-after'),
  rule('PATCH', `/api/tokens/${id('tok')}`, 'teammate.changed', 'target-after'),
  rule('POST', `/api/communities/${CMT}/team-invitations`, 'teammate.invited', 'path'),
  rule('DELETE', `/api/team-invitations/${id('tin')}`, 'invitation.revoked', 'target-after'),
  rule(
    'POST',
    `/api/telegram-join-requests/${id('tjr')}/${VERB}`,
    (verb) => (verb === 'approve' ? 'join_request.approved' : 'join_request.rejected'),
    'target-after',
  ),
  // The dashboard.
  rule('POST', '/admin/communities', 'community.created', 'made'),
  rule('POST', `/admin/communities/${CMT}/settings`, 'settings.changed', 'path'),
  rule('POST', `/admin/communities/${CMT}/admins/${id('tok')}/${VERB}`, adminVerb, 'path'),
  rule('POST', `/admin/communities/${CMT}/groups`, 'group.created', 'path'),
  rule('POST', `/admin/groups/${id('grp')}/chat-link`, 'group.changed', 'target-after'),
  rule('POST', `/admin/communities/${CMT}/links`, 'link.created', 'path'),
  rule('POST', `/admin/links/${from('inv')}/duplicate`, 'link.created', 'target-after'),
  rule('POST', `/admin/links/${id('inv')}/${VERB}`, linkVerb, 'target-after'),
  rule('POST', `/admin/communities/${CMT}/announcements`, 'announcement.scheduled', 'path'),
  rule('POST', `/admin/announcements/${id('ann')}/${VERB}`, announcementVerb, 'target-after'),
  rule(
    'POST',
    `/admin/announcements/${id('ann')}/runs/dsp_${ID}/${VERB}`,
    announcementVerb,
    'target-after',
  ),
  rule('POST', `/admin/communities/${CMT}/rewards`, 'reward_rule.created', 'path'),
  rule(
    'POST',
    `/admin/communities/${CMT}/rewards/${id('rwr')}/retire`,
    'reward_rule.retired',
    'path',
  ),
  rule(
    'POST',
    `/admin/communities/${CMT}/approvals/${id('jr')}/consent`,
    'join_request.confirmed',
    'path',
  ),
  rule('POST', `/admin/members/${id('mem')}/remove`, 'member.removed', 'target-after'),
  rule('POST', `/admin/members/${id('mem')}/erase`, 'member.erased', 'target-before'),
  rule('POST', '/admin/webhooks', 'webhook.created', 'form'),
  rule('POST', `/admin/webhooks/${id('whk')}/remove`, 'webhook.removed', 'target-after'),
  rule(
    'POST',
    `/admin/webhooks/${id('whk')}/deliveries/evt_${ID}/redeliver`,
    'webhook.redelivered',
    'target-after',
  ),
  rule('POST', `/admin/webhooks/${id('whk')}/resume`, 'webhook.resumed', 'target-after'),
  rule('POST', `/admin/communities/${CMT}/team/invitations`, 'teammate.invited', 'path'),
  rule(
    'POST',
    `/admin/communities/${CMT}/team/invitations/${id('tin')}/revoke`,
    'invitation.revoked',
    'path',
  ),
  rule('POST', `/admin/communities/${CMT}/team/${id('tok')}/revoke`, 'teammate.revoked', 'path'),
  rule('POST', `/admin/communities/${CMT}/team/${id('tok')}/link`, 'teammate.invited', 'path'),
  rule('POST', `/admin/communities/${CMT}/team/${id('tok')}/email`, 'teammate.changed', 'path'),
]

/** The rule a request falls under, if it is a change the audit log records. */
export function ruleFor(method: string, path: string): Rule | undefined {
  return RULES.find((r) => r.method === method && r.path.test(path))
}

/** The id and community of what an API operation answered with. */
async function created(c: Context<AppEnv>): Promise<{ id?: string; communityId?: string }> {
  if (!c.res.headers.get('content-type')?.includes('application/json')) return {}
  const body = (await c.res
    .clone()
    .json()
    .catch(() => null)) as { id?: unknown; communityId?: unknown } | null
  return {
    id: typeof body?.id === 'string' ? body.id : undefined,
    communityId: typeof body?.communityId === 'string' ? body.communityId : undefined,
  }
}

/**
 * The id a dashboard redirect leads to after a creation: in its path (`/admin/links/inv_…`) or
 * its query (`…/announcements?scheduled=ann_…`), never the community it is in, which is not what
 * was made.
 */
function redirectedTo(c: Context<AppEnv>): string | undefined {
  const location = c.res.headers.get('location') ?? ''
  const ids = location.matchAll(new RegExp(`[/=]([a-z]{2,3}_${ID})(?=[/?&#]|$)`, 'g'))
  return [...ids].map((match) => match[1]!).find((id) => !id.startsWith('cmt_'))
}

/** Says what a change changed (the fields of a link edited), for its entry in the audit log. */
export function auditDetail(
  c: { set: (key: 'auditDetail', value: string) => void },
  detail: string,
) {
  c.set('auditDetail', detail)
}

/** A community's creation, for its first entry: what it was made as (open or closed, consent). */
export function auditCreation(
  c: { set: (key: 'auditDetail', value: string) => void },
  community: Pick<Community, 'visibility' | 'consent'>,
) {
  auditDetail(c, `${community.visibility}, ${community.consent}`)
}

/** Names what a dashboard form made that its answer does not lead to, for the audit log. */
export function auditTarget(c: { set: (key: 'auditTarget', value: string) => void }, id: string) {
  c.set('auditTarget', id)
}

/**
 * Writes an entry of the audit log once the answer has gone, for a change recorded where it
 * happens rather than through `RULES`; a write that fails is logged.
 */
export function auditLater(
  c: Pick<Context<AppEnv>, 'var' | 'executionCtx'>,
  records: AuditRecord | readonly AuditRecord[],
  now = new Date(),
): void {
  const action = (Array.isArray(records) ? records : [records])[0]?.action
  c.executionCtx.waitUntil(
    recordAudit(c.var.deferredDb, records, now).catch((error) =>
      logError({ job: 'audit', action }, error),
    ),
  )
}

/**
 * The links a bulk creation made (the API's, the dashboard's), one entry each naming its link,
 * as for links made one by one; written in one batch once the answer has gone.
 */
export function auditLinksMade(
  c: Pick<Context<AppEnv>, 'var' | 'executionCtx'>,
  communityId: string,
  made: readonly { id: string }[],
  now: Date,
): void {
  const action = 'link.created'
  const actor = c.var.principal
  auditLater(
    c,
    made.map((link) => ({ communityId, action, actor, targetId: link.id })),
    now,
  )
}

/** A request's context, as far as saying whether it changed anything goes (any route's). */
type MarksChanges = { set: (key: 'changedNothing', value: boolean) => void }

/**
 * Says that a request the audit log would record made no change after all (a form's preview,
 * shown again without saving; an action on what was so already): the log holds what was done,
 * never what was only looked at or asked for again.
 */
export function changedNothing(c: MarksChanges): void {
  c.set('changedNothing', true)
}

/**
 * A service's answer to an action (cancel, resume, revoke, archive, restore), passed on: these
 * services answer the very row they were given when it was so already, and then the audit log
 * records nothing, as a second "revoked" would say something happened that did not.
 */
export function answerOf<T>(c: MarksChanges, given: T, answer: T): T {
  if (answer === given) changedNothing(c)
  return answer
}

/**
 * Records each change an admin made in the community's audit log (see `RULES`), once it has
 * succeeded: an answer below 400 that is not a form sent back with its errors, nor one that
 * changed nothing (`changedNothing`). The entry is
 * written after the answer has gone (`waitUntil`), so an audited request costs its caller no
 * round trip; a write that fails is logged.
 */
export function auditTrail() {
  return createMiddleware<AppEnv>(async function auditTrail(c, next) {
    const found = ruleFor(c.req.method, c.req.path)
    if (!found) return next()
    const groups = found.path.exec(c.req.path)?.groups ?? {}
    let communityId: string | null | undefined = groups.community
    if (found.community === 'target-before') {
      communityId = await communityOfRow(c.var.db, groups.target!)
    }
    await next()
    if (c.error || c.res.status >= 400 || c.var.changedNothing) return
    const action = typeof found.action === 'string' ? found.action : found.action(groups.verb!)
    const actor = c.var.principal
    // A change of its settings is about the community itself.
    const itself = action === 'settings.changed' ? groups.community : undefined
    let targetId: string | null =
      groups.target ?? c.var.auditTarget ?? redirectedTo(c) ?? itself ?? null
    if (found.community === 'answer') {
      const answer = await created(c)
      communityId = answer.communityId
      targetId = answer.id ?? null
    } else if (found.community === 'made') {
      const location = c.res.headers.get('location') ?? ''
      communityId =
        (await created(c)).id ?? new RegExp(`^/admin/communities/(cmt_${ID})`).exec(location)?.[1]
      targetId = communityId ?? null
    } else if (found.community === 'form') {
      const value = (await readForm(c)).communityId
      communityId = typeof value === 'string' && value.startsWith('cmt_') ? value : null
    } else if ((found.community === 'path' || groups.from) && !groups.target) {
      // What a creation made, or the community itself for a change of its settings.
      targetId = (await created(c)).id ?? targetId
    }
    const db = c.var.deferredDb
    const now = new Date()
    c.executionCtx.waitUntil(
      (async () => {
        const community =
          found.community === 'target-after'
            ? await communityOfRow(db, (groups.target ?? groups.from)!)
            : communityId
        if (!community) return
        const detail = c.var.auditDetail ?? null
        await recordAudit(db, { communityId: community, action, actor, targetId, detail }, now)
      })().catch((error) => logError({ job: 'audit', action }, error)),
    )
  })
}
