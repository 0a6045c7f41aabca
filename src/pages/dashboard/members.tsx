import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { idPattern } from '../../lib/ids'
import { MEMBER_STATUSES } from '../../db/schema'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can } from '../../services/access'
import { communityOf, communityQuery, getCommunityOrThrow } from '../../services/communities'
import { toPage } from '../../lib/pagination'
import { listGroupsQuery } from '../../services/groups'
import { endMembership } from '../../services/leaving'
import { eraseMember } from '../../services/erasure'
import {
  chatOf,
  exportMembersCsv,
  getMemberOrThrow,
  listedMemberTotal,
  matchingMembersQuery,
  memberPageOf,
  memberPageQueries,
} from '../../services/members'
import { userText } from '../../schemas/common'
import { memberFilterOf } from '../../schemas/members'
import { words } from '../../views/dashboard/shell'
import { MembersPage } from '../../views/dashboard/members'
import {
  CommunityId,
  lang,
  idOrThrow,
  communityShell,
  cursorOf,
  nextPageHref,
  withNotice,
} from './page'
import { csvDownloadHeaders } from '../../lib/csv'
import { telegramConfig } from '../../lib/config'

/** Members: search, filter by group and status (who left, and why), remove, export. */
export const membersPages = new Hono<AppEnv>()

/**
 * The list's filter as its form sends it; what cannot be read is left out rather than refused
 * (a hand-edited address shows the list). Without a status, the list shows the active members
 * and the export takes every member.
 */
const MemberFilterQuery = z.object({
  q: userText(100).optional().catch(undefined),
  groupId: z.string().regex(idPattern('grp')).optional().catch(undefined),
  status: z.enum(MEMBER_STATUSES).optional().catch(undefined),
})

membersPages.get('/admin/communities/:id/members', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'members.read', { communityId: id })
  const query = MemberFilterQuery.parse(c.req.query())
  const filter = { ...query, status: query.status ?? 'active' }
  const listed = memberFilterOf(filter)
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const cursor = cursorOf(c, 'mem')
  // A search's count on its first page; the pages after it are read without counting again.
  const firstPage = cursor === undefined
  const [communityRows, groupRows, matching, ...memberRows] = await db.batch([
    communityQuery(db, id),
    listGroupsQuery(db, id, { limit: 100 }),
    matchingMembersQuery(db, id, listed, firstPage),
    ...memberPageQueries(db, id, {
      ...listed,
      limit: 100,
      cursor,
      newestFirst: true,
    }),
  ])
  const community = communityOf(communityRows)
  const groups = toPage(groupRows, 100)
  const { page, groupsOf } = memberPageOf(memberRows, 100)
  return communityShell(
    c,
    community,
    '/members',
    `${community.name}: ${words(lang(c)).members}`,
    <MembersPage
      lang={lang(c)}
      communityId={id}
      timeZone={community.timeZone}
      csrf={await csrfTokenFor(c)}
      filter={filter}
      groups={groups.data}
      members={page.data}
      groupsOf={groupsOf}
      nextHref={nextPageHref(c, page.nextCursor)}
      remove={can(c.var.principal, 'members.remove', { communityId: id })}
      total={listedMemberTotal(listed, groups.data, matching, firstPage)}
    />,
  )
})

membersPages.get('/admin/communities/:id/members.csv', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'members.read', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  return c.body(
    exportMembersCsv(c.var.db, id, {
      telegram: telegramConfig(c.var.config) !== null,
      filter: memberFilterOf(MemberFilterQuery.parse(c.req.query())),
    }),
    200,
    csvDownloadHeaders(`${community.slug}-members.csv`),
  )
})

membersPages.post('/admin/members/:id/remove', async (c) => {
  const member = await getMemberOrThrow(
    c.var.db,
    idOrThrow(z.string().regex(idPattern('mem')), c.req.param('id')),
  )
  assertCan(c.var.principal, 'members.remove', { communityId: member.communityId }, 'Member')
  await endMembership(c.var.db, member, 'removed', new Date())
  const done = chatOf(member) === 'telegram' ? 'removedTelegram' : 'removed'
  return c.redirect(withNotice(`/admin/communities/${member.communityId}/members`, done), 303)
})

/** Erasing on a member's request: see `eraseMember` for what goes and what stays. */
membersPages.post('/admin/members/:id/erase', async (c) => {
  const member = await getMemberOrThrow(
    c.var.db,
    idOrThrow(z.string().regex(idPattern('mem')), c.req.param('id')),
  )
  assertCan(c.var.principal, 'members.remove', { communityId: member.communityId }, 'Member')
  await eraseMember(c.var.db, member, new Date())
  return c.redirect(withNotice(`/admin/communities/${member.communityId}/members`, 'erased'), 303)
})
