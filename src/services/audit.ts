import { and, desc, eq, getTableColumns, lt, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  announcements,
  apiTokens,
  auditLog,
  groups,
  invites,
  joinRequests,
  members,
  teamInvitations,
  telegramJoinRequests,
  webhookEndpoints,
  type AuditAction,
  type AuditEntry,
  type Invite,
} from '../db/schema'
import { csvLine } from '../lib/csv'
import { chunks, rowsPerInsert } from '../lib/chunks'
import { newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'
import type { Principal } from './access'
import { deleteOldest } from './retention'

/** Entries deleted per cron run at most; the rest wait for the next minute. */
const PRUNE_LIMIT = 5000

/** Entries read per query of a CSV export: a year of a busy community stays far below D1's limits. */
const EXPORT_PAGE = 500

// New columns go at the end: tools read the file by position.
// New columns go at the end, so a sheet built on an earlier export still reads its columns.
const CSV_COLUMNS = [
  'at',
  'action',
  'actor',
  'actor_token_id',
  'target_id',
  'actor_link_made_by',
  'detail',
]

export interface AuditRecord {
  communityId: string
  action: AuditAction
  actor: Principal
  targetId?: string | null
  detail?: string | null
}

/** The actor's name as the log keeps it: the bootstrap owner is "owner". */
export function actorName(actor: Principal): string {
  return actor.tokenId === null ? 'owner' : actor.name
}

/** Writes entries of communities' audit logs: one, or many in one batch (a bulk creation's). */
export async function recordAudit(
  db: Database,
  records: AuditRecord | readonly AuditRecord[],
  now: Date,
): Promise<void> {
  const rows = (Array.isArray(records) ? records : [records]).map((record: AuditRecord) => ({
    id: newId('aud', now.getTime()),
    communityId: record.communityId,
    at: now,
    action: record.action,
    actorTokenId: record.actor.tokenId,
    actorName: actorName(record.actor),
    actorLinkMadeBy: record.actor.linkMadeBy ?? null,
    targetId: record.targetId ?? null,
    detail: record.detail ?? null,
  }))
  const [first, ...rest] = chunks(rows, rowsPerInsert(auditLog)).map((run) =>
    db.insert(auditLog).values(run),
  )
  if (first) await db.batch([first, ...rest])
}

/**
 * What an entry acted on, by name, while it exists (a link's label or code, a token's,
 * teammate's, group's or member's name, a request's applicant, an announcement's first words, a
 * webhook's URL): one look-up by primary key, chosen by the id's prefix. Null once it is gone,
 * and for what has no name; the id stays beside it.
 */
const TARGET_NAME = sql<string | null>`case substr(${auditLog.targetId}, 1,
    instr(${auditLog.targetId}, '_'))
  when 'inv_' then (select coalesce(label, code) from invites where id = ${auditLog.targetId})
  when 'tok_' then (select name from api_tokens where id = ${auditLog.targetId})
  when 'grp_' then (select name from groups where id = ${auditLog.targetId})
  when 'mem_' then (select name from members where id = ${auditLog.targetId})
  when 'jr_' then (select name from join_requests where id = ${auditLog.targetId})
  when 'tjr_' then (select coalesce(nullif(trim(first_name || ' ' || coalesce(last_name, '')), ''),
      username, cast(user_id as text))
    from telegram_join_requests where id = ${auditLog.targetId})
  when 'ann_' then (select substr(body, 1, 60) from announcements where id = ${auditLog.targetId})
  when 'whk_' then (select url from webhook_endpoints where id = ${auditLog.targetId})
  when 'tin_' then (select name from team_invitations where id = ${auditLog.targetId})
  end`

/** A community's audit log, newest first, of one kind of action when `action` is given. */
export async function listAudit(
  db: Database,
  communityId: string,
  options: { action?: AuditAction; cursor?: string; limit: number },
): Promise<Page<AuditEntry & { targetName: string | null }>> {
  return toPage(await listAuditQuery(db, communityId, options), options.limit)
}

/** `listAudit`'s read, for a batch: one row more than `limit` (see `toPage`). */
export function listAuditQuery(
  db: Database,
  communityId: string,
  options: { action?: AuditAction; cursor?: string; limit: number },
) {
  return db
    .select({ ...getTableColumns(auditLog), targetName: TARGET_NAME })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.communityId, communityId),
        options.action ? eq(auditLog.action, options.action) : undefined,
        options.cursor ? lt(auditLog.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(options.limit + 1)
}

/**
 * Deletes entries older than `retentionDays` (run by the scheduled job), at most `PRUNE_LIMIT` a
 * run, oldest first. Answers how many went.
 */
export function pruneAuditLog(
  db: Database,
  now: Date,
  retentionDays: number,
  limit = PRUNE_LIMIT,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86400_000)
  return deleteOldest(db, auditLog, auditLog.id, auditLog.at, cutoff, limit)
}

/**
 * A community's audit log as CSV, newest first, streamed a page at a time so an export of any
 * size holds one page in memory.
 */
export function exportAuditCsv(
  db: Database,
  communityId: string,
  action: AuditAction | undefined,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let cursor: string | undefined
  let started = false
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true
        controller.enqueue(encoder.encode(csvLine(CSV_COLUMNS) + '\r\n'))
      }
      const page = await listAudit(db, communityId, { action, cursor, limit: EXPORT_PAGE })
      const lines = page.data.map((entry) =>
        csvLine([
          entry.at.toISOString(),
          entry.action,
          entry.actorName,
          entry.actorTokenId ?? '',
          entry.targetId ?? '',
          entry.actorLinkMadeBy ?? '',
          entry.detail ?? '',
        ]),
      )
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join('\r\n') + '\r\n'))
      if (!page.nextCursor) controller.close()
      else cursor = page.nextCursor
    },
  })
}

const OWNING_TABLES = {
  grp: groups,
  inv: invites,
  jr: joinRequests,
  mem: members,
  ann: announcements,
  whk: webhookEndpoints,
  tok: apiTokens,
  tin: teamInvitations,
  tjr: telegramJoinRequests,
} as const

/** The community of the row an id names (null for an owner's webhook or token). */
export async function communityOfRow(db: Database, rowId: string): Promise<string | null> {
  const table = OWNING_TABLES[rowId.split('_')[0] as keyof typeof OWNING_TABLES]
  if (!table) return null
  const [row] = await db
    .select({ communityId: table.communityId })
    .from(table)
    .where(eq(table.id, rowId))
    .limit(1)
  return row?.communityId ?? null
}

/** The settings a link's edit can change, by the API's names, in the order the form shows them. */
const EDITABLE = [
  'label',
  'source',
  'campaign',
  'groupId',
  'maxUses',
  'expiresAt',
  'fallbackInviteId',
  'code',
] as const

/** Which of a link's settings an edit changed (by the API's names), for the audit log. */
export function changedLinkSettings(before: Invite, after: Invite): string[] {
  const value = (invite: Invite, key: (typeof EDITABLE)[number]) => {
    const field = invite[key]
    return field instanceof Date ? field.getTime() : field
  }
  return EDITABLE.filter((key) => value(before, key) !== value(after, key))
}
