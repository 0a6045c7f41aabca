import { MESSAGES } from '../../lib/i18n'
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { MEMBER_STATUSES, type Member } from '../../db/schema'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import { endMembership } from '../../services/leaving'
import {
  exportMembersCsv,
  getMemberOrThrow,
  groupIdsOfMembers,
  listMembers,
} from '../../services/members'
import { userText } from '../../schemas/common'
import { contactConsentOf } from '../../schemas/members'
import { Csrf, groupLabel, words } from '../../views/dashboard'
import {
  CommunityId,
  lang,
  idOrThrow,
  communityShell,
  cursorOf,
  NextPage,
  withNotice,
} from './page'
import { csvDownloadHeaders } from '../../lib/csv'
import { telegramConfig } from '../../lib/config'

/** Members: search, filter by group and status (who left, and why), remove, export. */
export const membersPages = new Hono<AppEnv>()

const MemberFilter = z.object({
  q: userText(100).optional().catch(undefined),
  groupId: z.string().regex(idPattern('grp')).optional().catch(undefined),
  status: z.enum(MEMBER_STATUSES).catch('active'),
})

membersPages.get('/admin/communities/:id/members', async (c) => {
  const l = lang(c)
  const t = words(l)
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'members.read', { communityId: id })
  const remove = can(c.var.principal, 'members.remove', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  const filter = MemberFilter.parse(c.req.query())
  const [groups, page] = await Promise.all([
    listGroups(c.var.db, id, { limit: 100 }),
    listMembers(c.var.db, id, {
      status: filter.status,
      search: filter.q || undefined,
      groupId: filter.groupId,
      limit: 100,
      cursor: cursorOf(c),
    }),
  ])
  const groupsOf = await groupIdsOfMembers(
    c.var.db,
    page.data.map((member) => member.id),
  )
  const groupName = new Map(groups.data.map((group) => [group.id, groupLabel(t, group)]))
  const csrf = await csrfTokenFor(c)
  return communityShell(
    c,
    community,
    '/members',
    `${community.name}: ${t.members}`,
    <>
      <section>
        <form method="get">
          <div class="grid">
            <div>
              <label for="q">{t.search}</label>
              <input id="q" name="q" value={filter.q ?? ''} placeholder={t.nameOrContact} />
            </div>
            <div>
              <label for="groupId">{t.group}</label>
              <select id="groupId" name="groupId">
                <option value="">{t.all}</option>
                {groups.data.map((group) => (
                  <option value={group.id} selected={group.id === filter.groupId}>
                    {groupLabel(t, group)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="status">{t.status}</label>
              <select id="status" name="status">
                {MEMBER_STATUSES.map((status) => (
                  <option value={status} selected={status === filter.status}>
                    {t.memberStatuses[status]}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p>
            <button type="submit">{t.search}</button>{' '}
            <a href={`/admin/communities/${id}/members.csv`}>{t.exportCsv}</a>
          </p>
        </form>
        <table class="cards">
          <thead>
            <tr>
              <th>{t.name}</th>
              <th>{t.contact}</th>
              <th>{t.groups}</th>
              <th>{t.consentRecord}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.data.map((member) => (
              <tr>
                <td data-label={t.name}>
                  <bdi>{member.name}</bdi>
                </td>
                <td data-label={t.contact}>
                  <bdi>{member.phone ?? member.email ?? telegramContact(member)}</bdi>
                </td>
                <td data-label={t.groups}>
                  {(groupsOf.get(member.id) ?? []).map((groupId, i) => (
                    <>
                      {i > 0 && ', '}
                      <bdi>{groupName.get(groupId)}</bdi>
                    </>
                  ))}
                </td>
                <td data-label={t.consentRecord}>
                  {(['phone', 'email'] as const).map((contact) => {
                    if (member[contact] === null) return null
                    const record = contactConsentOf(member)[contact]
                    return (
                      <div>
                        {contact === 'phone' ? t.consentPhone : t.consentEmail}:{' '}
                        {record ? (
                          <>
                            {MESSAGES[l].consentMethods[record.method]},{' '}
                            <time datetime={record.confirmedAt}>
                              {record.confirmedAt.slice(0, 16).replace('T', ' ')}
                            </time>
                            {record.proofId && (
                              <div class="muted small code">
                                <bdi>{record.proofId}</bdi>
                              </div>
                            )}
                          </>
                        ) : (
                          <span class="muted">{t.contactUnconfirmed}</span>
                        )}
                      </div>
                    )
                  })}
                  {member.telegramConsentMethod && member.telegramConfirmedAt && (
                    <div>
                      {t.consentTelegram}:{' '}
                      {MESSAGES[l].consentMethods[member.telegramConsentMethod]},{' '}
                      <time datetime={member.telegramConfirmedAt.toISOString()}>
                        {member.telegramConfirmedAt.toISOString().slice(0, 16).replace('T', ' ')}
                      </time>
                      {member.telegramConsentProof && (
                        <div class="muted small code">
                          <bdi>{member.telegramConsentProof}</bdi>
                        </div>
                      )}
                    </div>
                  )}
                </td>
                <td data-label="" class="actions">
                  {member.status !== 'active' && (
                    <>
                      {t.memberStatuses[member.status]}
                      {member.endedAt && (
                        <>
                          {' '}
                          <time datetime={member.endedAt.toISOString()}>
                            {formatMoment(l, member.endedAt, community.timeZone)}
                          </time>
                        </>
                      )}
                      {member.leaveReason && (
                        <div class="muted">{t.endReasons[member.leaveReason]}</div>
                      )}
                    </>
                  )}
                  {remove && member.status === 'active' && (
                    <form
                      method="post"
                      action={`/admin/members/${member.id}/remove`}
                      class="inline"
                      data-confirm={t.confirmRemove}
                    >
                      <Csrf token={csrf} />
                      <button type="submit" class="danger">
                        {t.remove}
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page.data.length === 0 && (
          <p class="muted">
            {filter.q || filter.groupId || filter.status !== 'active'
              ? t.noMembersFound
              : t.noMembers}
          </p>
        )}
        <NextPage cursor={page.nextCursor} c={c} />
      </section>
    </>,
  )
})

membersPages.get('/admin/communities/:id/members.csv', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'members.read', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  return c.body(
    exportMembersCsv(c.var.db, id, { telegram: telegramConfig(c.var.config) !== null }),
    200,
    csvDownloadHeaders(`${community.slug}-members.csv`),
  )
})

membersPages.post('/admin/members/:id/remove', async (c) => {
  const member = await getMemberOrThrow(
    c.var.db,
    idOrThrow(z.string().regex(idPattern('mem')), c.req.param('id')),
  )
  assertCan(c.var.principal, 'members.remove', { communityId: member.communityId })
  await endMembership(c.var.db, member, 'removed', new Date())
  return c.redirect(withNotice(`/admin/communities/${member.communityId}/members`, 'removed'), 303)
})

/** A Telegram member's contact: their user name, or their account's id without one. */
function telegramContact(member: Member): string {
  if (member.telegramUsername) return `@${member.telegramUsername} (Telegram)`
  return member.telegramUserId === null ? '' : `Telegram ${member.telegramUserId}`
}
