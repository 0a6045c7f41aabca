import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  inviteQrDesigns,
  invites,
  joinRequests,
  type Community,
  type Group,
  type Invite,
  type InviteQrDesign,
} from '../db/schema'
import { notFound } from '../lib/errors'

// What a link's dashboard page reads of the link, in the page's one batch.

/**
 * A campaign link, not a member's own, as a condition beside the community's: written as the
 * partial index `invites_campaign_idx` is, so a community's campaign links are read through it,
 * never through its members' links (one per member) nor every community's.
 */
export const isCampaignLink = sql`${invites.referrerMemberId} is null`

/** The community of a link, as a subquery: to read both in one batch. */
export function communityOfInvite(id: string): SQL {
  return sql`(select ${invites.communityId} from ${invites} where ${invites.id} = ${id})`
}

/**
 * What a link's page shows of the link, as queries for one batch, all by the link's id: the
 * link, its community, the community's groups (each a target the link may send to) and its QR
 * design. `linkSettingsOf` reads their rows.
 */
export function linkSettingsQueries(db: Database, inviteId: string) {
  const communityId = communityOfInvite(inviteId)
  return [
    db.select().from(invites).where(eq(invites.id, inviteId)).limit(1),
    db.select().from(communities).where(eq(communities.id, communityId)).limit(1),
    db.select().from(groups).where(eq(groups.communityId, communityId)).orderBy(asc(groups.id)),
    db.select().from(inviteQrDesigns).where(eq(inviteQrDesigns.inviteId, inviteId)),
  ] as const
}

/** The link `linkSettingsQueries` read (a 404 without it), its community, groups and design. */
export function linkSettingsOf([inviteRows, communityRows, groupRows, designRows]: [
  Invite[],
  Community[],
  Group[],
  InviteQrDesign[],
]) {
  const invite = inviteRows[0]
  if (!invite) throw notFound('Invite')
  const community = communityRows[0]
  if (!community) throw notFound('Community')
  return { invite, community, groups: groupRows, design: designRows[0] ?? null }
}

/**
 * The sources and campaigns the community's links carry (not members' referral links), each pair
 * once and at most 100: offered as suggestions by the link's edit and copy forms and the bulk
 * form, for the page's batch; by a link of the community, or the community.
 */
export function knownTagsOfCommunityQuery(
  db: Database,
  of: { inviteId: string } | { communityId: string },
) {
  return db
    .selectDistinct({ source: invites.source, campaign: invites.campaign })
    .from(invites)
    .where(
      and(
        eq(
          invites.communityId,
          'inviteId' in of ? communityOfInvite(of.inviteId) : sql`${of.communityId}`,
        ),
        isCampaignLink,
        sql`(${invites.source} is not null or ${invites.campaign} is not null)`,
      ),
    )
    .limit(100)
}

/**
 * The uses of a link held by sign-ups still waiting for their owner's confirmation, and when the
 * first of them is given back if nobody confirms it (`givenBackUses` in retention.ts): a link
 * "used up" by addresses nobody confirmed is not used up for good, and its page says so.
 */
export function heldUsesQuery(db: Database, inviteId: string, now: Date) {
  return db
    .select({
      waiting: sql<number>`count(*)`,
      firstBack: sql<number | null>`min(${joinRequests.confirmExpiresAt})`,
    })
    .from(joinRequests)
    .where(
      and(
        eq(joinRequests.inviteId, inviteId),
        eq(joinRequests.tookUse, true),
        isNull(joinRequests.confirmedAt),
        // Those whose time is up come back with the cron job's next run, within a minute.
        sql`${joinRequests.confirmExpiresAt} > ${now.getTime()}`,
      ),
    )
}
