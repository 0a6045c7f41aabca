import { Hono, type Context } from 'hono'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { AUDIT_ACTIONS, type AuditAction } from '../../db/schema'
import { csvDownloadHeaders } from '../../lib/csv'
import { formatNumber, TEAM_WORDS } from '../../lib/i18n'
import type { TeamWords } from '../../lib/i18n/team-de'
import { formatMoment } from '../../lib/time'
import { exportAuditCsv, listAuditQuery } from '../../services/audit'
import { assertCan } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { CommunityId, communityShell, cursorOf, idOrThrow, lang, NextPage } from './page'

/** A community's audit log: who changed what, and when; newest first, by kind, as CSV. */
export const auditLogPages = new Hono<AppEnv>()

/** The kind of entries asked for, if the query names a known one. */
/**
 * An entry's detail in the reader's language: a link's change names its settings, a community's
 * creation its choices, a teammate's invitation the role, by the API's names and values (as the API and the CSV give them), shown
 * here as the forms call them.
 */
function shownDetail(words: TeamWords, action: AuditAction, detail: string): string {
  const names =
    action === 'link.changed'
      ? words.linkSettings
      : action === 'community.created'
        ? words.creationChoices
        : action === 'teammate.invited'
          ? (words.roles as Record<string, string>)
          : undefined
  if (!names) return detail
  return detail
    .split(', ')
    .map((part) => names[part] ?? part)
    .join(', ')
}

function actionOf(c: Context<AppEnv>): AuditAction | undefined {
  const asked = c.req.query('action')
  return AUDIT_ACTIONS.find((action) => action === asked)
}

auditLogPages.get('/admin/communities/:id/audit', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'audit.read', { communityId: id }, 'Community')
  const l = lang(c)
  const tt = TEAM_WORDS[l]
  const action = actionOf(c)
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const [communityRows, entryRows] = await db.batch([
    communityQuery(db, id),
    listAuditQuery(db, id, { action, cursor: cursorOf(c, 'aud'), limit: 50 }),
  ])
  const community = communityOf(communityRows)
  const page = toPage(entryRows, 50)
  const csv = `/admin/communities/${id}/audit.csv${action ? `?action=${action}` : ''}`
  return communityShell(
    c,
    community,
    '/audit',
    `${community.name}: ${tt.auditLog}`,
    <section>
      <form method="get" action={`/admin/communities/${id}/audit`}>
        {c.req.query('lang') && <input type="hidden" name="lang" value={l} />}
        <div class="grid">
          <div>
            <label for="action">{tt.what}</label>
            <select id="action" name="action">
              <option value="">{tt.allActions}</option>
              {AUDIT_ACTIONS.map((kind) => (
                <option value={kind} selected={kind === action}>
                  {tt.auditActions[kind]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p>
          <button type="submit">{tt.filter}</button> <a href={csv}>{tt.exportCsv}</a>
        </p>
      </form>
      {page.data.length === 0 ? (
        <p class="muted">{tt.noEntries}</p>
      ) : (
        <table class="cards spaced">
          <thead>
            <tr>
              <th>{tt.when}</th>
              <th>{tt.who}</th>
              <th>{tt.what}</th>
              <th>{tt.target}</th>
            </tr>
          </thead>
          <tbody>
            {page.data.map((entry) => (
              <tr>
                <td data-label={tt.when}>
                  <time datetime={entry.at.toISOString()}>
                    {/* Zoned: the webhooks' deliveries beside it are told in UTC. */}
                    {formatMoment(l, entry.at, community.timeZone, { zone: true })}
                  </time>
                </td>
                <td data-label={tt.who}>
                  <bdi>{entry.actorTokenId === null ? tt.owner : entry.actorName}</bdi>
                  {entry.actorLinkMadeBy && (
                    <span class="muted">
                      {' '}
                      ({tt.throughLinkFrom}{' '}
                      <bdi>
                        {entry.actorLinkMadeBy === 'owner' ? tt.owner : entry.actorLinkMadeBy}
                      </bdi>
                      )
                    </span>
                  )}
                </td>
                <td data-label={tt.what}>
                  {tt.auditActions[entry.action]}
                  {entry.detail && (
                    <div class="muted">
                      <bdi>{shownDetail(tt, entry.action, entry.detail)}</bdi>
                    </div>
                  )}
                </td>
                <td data-label={tt.target}>
                  {/* The id on a line of its own: beside the name, the two ran together. */}
                  {entry.targetName ? (
                    <>
                      <bdi>{entry.targetName}</bdi>
                      <div class="muted code">{entry.targetId}</div>
                    </>
                  ) : (
                    <span class="code">{entry.targetId ?? '–'}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage cursor={page.nextCursor} c={c} />
      <p class="muted">{tt.retention(formatNumber(l, c.var.config.AUDIT_RETENTION_DAYS))}</p>
    </section>,
  )
})

auditLogPages.get('/admin/communities/:id/audit.csv', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'audit.read')
  return c.body(
    exportAuditCsv(c.var.db, id, actionOf(c)),
    200,
    csvDownloadHeaders(`${community.slug}-audit-log.csv`),
  )
})
