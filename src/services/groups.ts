import { and, asc, eq, gt, isNotNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  announcements,
  apiTokens,
  dispatches,
  groups,
  type Community,
  type Group,
  type GroupOrigin,
} from '../db/schema'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { DISCUSSION_GROUP_MEMBER_LIMIT, maxMemberLimit } from '../lib/limits'
import { toPage, type Page } from '../lib/pagination'
import { planLinksIntoChatOf, retireLinksIntoChatOf } from '../platforms/telegram/links-follow'
import { forgetChatOfGroup } from './telegram-retention'
import { approvalsOnTheirWay, endRequestsIntoChatOf } from '../platforms/telegram/join-requests'

export interface CreateGroupInput {
  name: string
  description?: string
  topic?: string | null
  iconUrl?: string | null
  memberLimit?: number
  chatInviteUrl?: string | null
  origin?: GroupOrigin
}

export type UpdateGroupInput = Omit<Partial<CreateGroupInput>, 'origin'> & {
  telegramChatId?: number | null
}

export async function getGroupOrThrow(db: Database, id: string): Promise<Group> {
  const group = await db.query.groups.findFirst({ where: eq(groups.id, id) })
  if (!group) throw notFound('Group')
  return group
}

/**
 * Creates a discussion group, or adds an existing chat group (`origin: 'added'`). The community's
 * group limit is enforced by the INSERT itself, so two admins adding the last free slot at the
 * same moment cannot both succeed. `community` is the one the caller loaded, and so knows exists.
 */
export async function createGroup(
  db: Database,
  community: Community,
  input: CreateGroupInput,
  now: Date,
): Promise<Group> {
  const communityId = community.id
  assertMemberLimitFits('discussion', input.memberLimit)
  const group: Group = {
    id: newId('grp', now.getTime()),
    communityId,
    kind: 'discussion',
    name: input.name,
    description: input.description ?? '',
    topic: input.topic ?? null,
    iconUrl: input.iconUrl ?? null,
    memberLimit: input.memberLimit ?? DISCUSSION_GROUP_MEMBER_LIMIT,
    chatInviteUrl: input.chatInviteUrl ?? null,
    origin: input.origin ?? 'created',
    memberCount: 0,
    telegramChatId: null,
    createdAt: now,
    updatedAt: now,
  }
  const result = await db.run(sql`
    insert into groups (id, community_id, kind, name, description, topic, icon_url, member_limit,
      chat_invite_url, origin, created_at, updated_at)
    select ${group.id}, ${group.communityId}, ${group.kind}, ${group.name}, ${group.description},
      ${group.topic}, ${group.iconUrl}, ${group.memberLimit}, ${group.chatInviteUrl}, ${group.origin},
      ${now.getTime()}, ${now.getTime()}
    where (select count(*) from groups where community_id = ${communityId} and kind = 'discussion')
      < (select max_groups from communities where id = ${communityId})`)
  if (result.meta.changes === 0) {
    throw new ApiError(
      'group_limit_reached',
      `${community.name} already has its limit of ${community.maxGroups} groups.`,
    )
  }
  return group
}

export async function listGroups(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
): Promise<Page<Group>> {
  return toPage(await listGroupsQuery(db, communityId, options), options.limit)
}

/** `listGroups`' read, for a batch: one row more than `limit` (see `toPage`). */
export function listGroupsQuery(
  db: Database,
  communityId: string | SQL,
  options: { cursor?: string; limit: number },
) {
  return db
    .select()
    .from(groups)
    .where(
      and(
        eq(groups.communityId, communityId),
        options.cursor ? gt(groups.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(groups.id))
    .limit(options.limit + 1)
}

/** One of the community's groups that follows a Telegram chat, if any: to read in a batch. */
export function telegramGroupOfQuery(db: Database, communityId: string) {
  return db
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.communityId, communityId), isNotNull(groups.telegramChatId)))
    .limit(1)
}

export async function updateGroup(
  db: Database,
  group: Group,
  input: UpdateGroupInput,
  now: Date,
): Promise<Group> {
  assertMemberLimitFits(group.kind, input.memberLimit)
  // Below the members it has, and the people let in through Telegram whose join has not come
  // yet, the limit would not hold: refused before anything is written. A trigger refuses it
  // again in the write (migration 0057), rolling back the whole batch, should members have
  // joined since the group was read.
  if (input.memberLimit !== undefined) {
    const taken = group.memberCount + (await approvalsOnTheirWay(db, group, now))
    if (input.memberLimit < taken) throw limitBelowMembers(taken)
  }
  const update = db
    .update(groups)
    .set({ ...input, updatedAt: now })
    .where(eq(groups.id, group.id))
    .returning()
  // Linked to a Telegram chat, unlinked, or linked to another: what Telegram reported about the
  // people in the old chat goes with the link, and the group's links follow it, in one batch.
  // Each statement reads the group's chat itself, so they run whenever a chat is given: the
  // caller's copy of the group may be older, and for the same chat they change nothing.
  const chatId = input.telegramChatId ?? null
  const [updated] = await (
    input.telegramChatId !== undefined
      ? db
          .batch([
            forgetChatOfGroup(db, group.id, chatId),
            retireLinksIntoChatOf(db, group.id, chatId, now),
            endRequestsIntoChatOf(db, group.id, chatId, now),
            update,
            planLinksIntoChatOf(db, { groupId: group.id }, now),
          ])
          .then(([, , , rows]) => rows)
      : update
  ).catch(async (error: unknown) => {
    if (String(error).includes(LIMIT_BELOW_MEMBERS)) {
      const current = await db.query.groups.findFirst({ where: eq(groups.id, group.id) })
      throw limitBelowMembers(current?.memberCount ?? group.memberCount)
    }
    // Two groups linked to one chat at the same moment: the unique index lets one through.
    if (isUniqueViolation(error, 'telegram_chat_id')) {
      throw new ApiError('telegram_chat_taken', 'This Telegram chat is linked to another group.')
    }
    throw error
  })
  if (!updated) throw notFound('Group')
  return updated
}

/** What the trigger of migration 0057 raises when a limit would fall below the members. */
const LIMIT_BELOW_MEMBERS = 'member_limit_below_members'

function limitBelowMembers(taken: number): ApiError {
  return new ApiError(
    'member_limit_below_members',
    `This group has ${taken} members (with those let in through Telegram on their way); memberLimit cannot be lower.`,
    { errors: [{ path: 'memberLimit', message: `At least ${taken}` }] },
  )
}

/**
 * Deletes a discussion group and the group-admin tokens scoped to it, in one batch, with what
 * Telegram reported about the people of its chat. Its links stay, on the announcement group
 * now: their Telegram links into its chat go, and they get ones into the announcement group's
 * chat if it has one. The announcement group lives as long as its community.
 */
export async function deleteGroup(db: Database, group: Group, now: Date): Promise<void> {
  if (group.kind === 'announcement') {
    throw new ApiError(
      'announcement_group_protected',
      'A community’s announcement group cannot be deleted; delete the community instead.',
    )
  }
  // Scheduled announcements to it would go out to nobody, and could not be changed (their
  // audience names a group that is gone): they are changed or cancelled first. A trigger refuses
  // the delete again in the write (migration 0058), should one be scheduled to it meanwhile.
  const sentToIt = await scheduledAnnouncementsTo(db, group)
  if (sentToIt.length > 0) throw groupInUse(sentToIt)
  await db
    .batch([
      db
        .delete(apiTokens)
        .where(and(eq(apiTokens.groupId, group.id), eq(apiTokens.role, 'group_admin'))),
      forgetChatOfGroup(db, group.id, null),
      retireLinksIntoChatOf(db, group.id, null, now),
      endRequestsIntoChatOf(db, group.id, null, now),
      db.delete(groups).where(eq(groups.id, group.id)),
      planLinksIntoChatOf(db, { announcementGroupOf: group.communityId }, now),
    ])
    .catch(async (error: unknown) => {
      if (String(error).includes(GROUP_IN_USE)) {
        throw groupInUse(await scheduledAnnouncementsTo(db, group))
      }
      throw error
    })
}

/**
 * What the trigger of migration 0061 raises when a group goes that announcements scheduled or
 * being sent go to.
 */
const GROUP_IN_USE = 'group_in_use'

/**
 * The first few announcements scheduled to a group or being sent to it now: scheduled, sending
 * a run (a repeating one is scheduled again after), or with a run still expanding, which reads
 * its members from the group (a one-off is `sent` as soon as its run is made).
 */
function scheduledAnnouncementsTo(db: Database, group: Pick<Group, 'id' | 'communityId'>) {
  return db
    .select({ id: announcements.id })
    .from(announcements)
    .where(
      and(
        eq(announcements.communityId, group.communityId),
        sql`(+${announcements.status} in ('scheduled', 'dispatching') or exists (select 1 from ${dispatches} where ${dispatches.announcementId} = ${announcements.id} and +${dispatches.status} = 'expanding'))`,
        sql`exists (select 1 from json_each(${announcements.audienceGroupIds}) where value = ${group.id})`,
      ),
    )
    .limit(5)
}

function groupInUse(sentToIt: Array<{ id: string }>): ApiError {
  const ids = sentToIt.map((a) => a.id).join(', ') + (sentToIt.length === 5 ? ', …' : '')
  return new ApiError(
    'group_in_use',
    `Announcements are scheduled to this group or being sent to it${ids ? ` (${ids})` : ''}: change their audience or cancel them, or wait until they are sent.`,
  )
}

function assertMemberLimitFits(kind: Group['kind'], memberLimit: number | undefined): void {
  if (memberLimit === undefined) return
  const max = maxMemberLimit(kind)
  if (memberLimit > max) {
    throw new ApiError('validation_failed', `A ${kind} group holds at most ${max} members.`, {
      errors: [{ path: 'memberLimit', message: `At most ${max}` }],
    })
  }
}
