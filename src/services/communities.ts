import { and, asc, eq, gt, gte, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  type Community,
  type ConsentMode,
  type Group,
  type Visibility,
} from '../db/schema'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { logError } from '../lib/log'
import { newId } from '../lib/ids'
import {
  ANNOUNCEMENT_GROUP_MEMBER_LIMIT,
  ANNOUNCEMENT_GROUP_NAME,
  MAX_GROUPS_PER_COMMUNITY,
} from '../lib/limits'
import { toPage, type Page } from '../lib/pagination'
import { DEFAULT_TIME_ZONE } from '../lib/time'
import { SLUG_MAX_LENGTH, slugify } from '../lib/slug'
import { isOwner, type Principal } from './access'
import { forgetCommunityChats, forgetTelegramContacts } from './telegram-retention'
import { forgetCachedCodes } from './invites'
import { planLinksIntoChatOf, retireLinksOfCommunity } from '../platforms/telegram/links-follow'

export interface CreateCommunityInput {
  name: string
  description: string
  visibility: Visibility
  slug?: string
  photoUrl?: string | null
  joinQuestions?: string[]
  maxGroups?: number
  consent?: ConsentMode
  timeZone?: string
  memberOffer?: string | null
}

export type UpdateCommunityInput = Partial<CreateCommunityInput>

export async function getCommunityOrThrow(db: Database, id: string): Promise<Community> {
  const community = await db.query.communities.findFirst({ where: eq(communities.id, id) })
  if (!community) throw notFound('Community')
  return community
}

/**
 * Creates a community together with its announcement group, in one batch: a community never
 * exists without the group every member is in and only admins post to. A slug derived from the
 * name and taken by another creation of the same name in the meantime is derived again: whoever
 * typed only a name never hears of slugs. A slug asked for is that one or a 409.
 */
export async function createCommunity(
  db: Database,
  input: CreateCommunityInput,
  now: Date,
): Promise<{ community: Community; announcementGroup: Group }> {
  for (let attempt = 1; ; attempt++) {
    const slug = input.slug ?? (await freeSlugFor(db, input.name, attempt))
    try {
      return await insertCommunity(db, { ...input, slug }, now)
    } catch (error) {
      const derivedAgain = input.slug === undefined && attempt < 5
      if (!(derivedAgain && isUniqueViolation(error, 'communities.slug'))) {
        throw slugTakenOr(error, slug)
      }
    }
  }
}

async function insertCommunity(
  db: Database,
  input: CreateCommunityInput & { slug: string },
  now: Date,
): Promise<{ community: Community; announcementGroup: Group }> {
  const slug = input.slug
  const community: Community = {
    id: newId('cmt', now.getTime()),
    slug,
    name: input.name,
    description: input.description,
    photoUrl: input.photoUrl ?? null,
    visibility: input.visibility,
    joinQuestions: input.joinQuestions ?? [],
    maxGroups: input.maxGroups ?? MAX_GROUPS_PER_COMMUNITY,
    consent: input.consent ?? 'double',
    timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
    memberOffer: input.memberOffer ?? null,
    createdAt: now,
    updatedAt: now,
  }
  const announcementGroup: Group = {
    id: newId('grp', now.getTime()),
    communityId: community.id,
    kind: 'announcement',
    name: ANNOUNCEMENT_GROUP_NAME,
    description: `News from ${input.name}. Only admins post here.`,
    topic: null,
    iconUrl: null,
    memberLimit: ANNOUNCEMENT_GROUP_MEMBER_LIMIT,
    chatInviteUrl: null,
    origin: 'created',
    memberCount: 0,
    telegramChatId: null,
    createdAt: now,
    updatedAt: now,
  }
  await db.batch([
    db.insert(communities).values(community),
    db.insert(groups).values(announcementGroup),
  ])
  return { community, announcementGroup }
}

/**
 * The slug derived from a name, with a short suffix when that one is taken already: the next
 * number, or, after a first `attempt` lost to creations of the same name at the same moment
 * (which all took the same next number), a random one. The taken ones are found by range
 * (`stem-` up to `stem.`), not LIKE: a slug of up to 60 characters would make a pattern longer
 * than D1's 50 bytes.
 */
async function freeSlugFor(db: Database, name: string, attempt: number): Promise<string> {
  // A slug holds at least 3 characters (`SlugSchema`); a shorter one says what it names.
  const derived = slugify(name)
  const base = derived.length >= 3 ? derived : derived ? `${derived}-community` : 'community'
  // Room for `-` and a number within the slug's 60 characters.
  const stem = base.slice(0, SLUG_MAX_LENGTH - 5).replace(/-+$/, '')
  const taken = await db
    .select({ slug: communities.slug })
    .from(communities)
    .where(
      or(
        eq(communities.slug, base),
        and(gte(communities.slug, `${stem}-`), lt(communities.slug, `${stem}.`)),
      ),
    )
  const takenSlugs = new Set(taken.map((row) => row.slug))
  if (!takenSlugs.has(base)) return base
  if (attempt === 1) {
    for (let n = 2; ; n++) if (!takenSlugs.has(`${stem}-${n}`)) return `${stem}-${n}`
  }
  // Four random letters or digits (1.7M of them), a bounded number of draws.
  for (let draw = 0; draw < 100; draw++) {
    const candidate = `${stem}-${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`
    if (!takenSlugs.has(candidate)) return candidate
  }
  throw new ApiError('conflict', 'No free slug for this name right now: try again.')
}

function slugTakenOr(error: unknown, slug: string): unknown {
  if (isUniqueViolation(error, 'communities.slug')) {
    return new ApiError('slug_taken', `The slug "${slug}" is already used by another community.`, {
      errors: [{ path: 'slug', message: 'Already taken' }],
    })
  }
  return error
}

/** Communities the caller may see: all for an owner, their own for everyone else. */
export async function listCommunities(
  db: Database,
  principal: Principal,
  options: { cursor?: string; limit: number },
): Promise<Page<Community>> {
  return toPage(await listCommunitiesQuery(db, principal, options), options.limit)
}

/** `listCommunities`' read, for a batch: one row more than `limit` (see `toPage`). */
export function listCommunitiesQuery(
  db: Database,
  principal: Principal,
  options: { cursor?: string; limit: number },
) {
  return db
    .select()
    .from(communities)
    .where(and(seenBy(principal), options.cursor ? gt(communities.id, options.cursor) : undefined))
    .orderBy(asc(communities.id))
    .limit(options.limit + 1)
}

/** The ids of the first `limit` communities `listCommunities` lists, as a subquery. */
export function listedCommunityIds(db: Database, principal: Principal, limit: number) {
  return db
    .select({ id: communities.id })
    .from(communities)
    .where(seenBy(principal))
    .orderBy(asc(communities.id))
    .limit(limit)
}

/** The communities a principal sees: every one for owners, its own for everyone else. */
function seenBy(principal: Principal): SQL | undefined {
  return isOwner(principal) ? undefined : eq(communities.id, principal.communityId ?? '')
}

/** A community by id, to read in a page's batch; `communityOf` takes its rows. */
export function communityQuery(db: Database, id: string | SQL) {
  return db.select().from(communities).where(eq(communities.id, id)).limit(1)
}

/** The community `communityQuery` read, or a 404. */
export function communityOf(rows: Community[]): Community {
  if (!rows[0]) throw notFound('Community')
  return rows[0]
}

export async function updateCommunity(
  db: Database,
  /** As the caller read it, deciding access. */
  current: Community,
  input: UpdateCommunityInput,
  now: Date,
): Promise<Community> {
  const id = current.id
  if (input.maxGroups !== undefined && input.maxGroups < current.maxGroups) {
    const groupCount = await countDiscussionGroups(db, id)
    if (input.maxGroups < groupCount) {
      throw new ApiError(
        'group_limit_reached',
        `The community has ${groupCount} groups; remove some before lowering the limit to ${input.maxGroups}.`,
        { errors: [{ path: 'maxGroups', message: `At least ${groupCount}` }] },
      )
    }
  }
  const update = db
    .update(communities)
    .set({ ...input, updatedAt: now })
    .where(eq(communities.id, id))
    .returning()
  // Opened or closed: its Telegram links are replaced by ones that make join requests or not.
  // Those that do not match its visibility once changed are, whatever the caller read before.
  try {
    const [updated] =
      input.visibility !== undefined
        ? await db
            .batch([
              update,
              retireLinksOfCommunity(db, id, now),
              planLinksIntoChatOf(db, { groupsOf: id }, now),
            ])
            .then(([rows]) => rows)
        : await update
    return updated!
  } catch (error) {
    throw slugTakenOr(error, input.slug ?? current.slug)
  }
}

/**
 * Deletes a community with everything in it, in one batch. Its tokens go first: left to the
 * cascades, a group admin's token would briefly lose its group and break its scope constraint.
 * Rows keyed by Telegram chat or account, which no cascade reaches, go before the groups and
 * members that lead to them: who joined and left its groups' chats, and the bot starts of its
 * members (a `/stop` stays as its proof, naming nobody; see `forgetTelegramContacts`).
 */
/** `community` as the caller read it, deciding access. */
export async function deleteCommunity(
  db: Database,
  community: Community,
  now = new Date(),
): Promise<void> {
  const client = db.$client
  const id = community.id
  const [campaignCodes] = await client.batch([
    // Read first: the campaign links (the ones on posters) whose landings and QR images this
    // isolate may hold. Members' own links and any past the first thousand expire from the
    // caches within seconds (landings) or five minutes (QR images), behind a page that says gone.
    client
      .prepare(
        `select code from invites where community_id = ?1 and referrer_member_id is null
         limit 1000`,
      )
      .bind(id),
    // The codes stay taken for good: a poster or QR code of this community must never lead to
    // another one (the rows outlive their links, `invite_codes.invite_id` set to null).
    client
      .prepare(
        `update invite_codes set retired_at = ?2 where retired_at is null
         and invite_id in (select id from invites where community_id = ?1)`,
      )
      .bind(id, now.getTime()),
    // Its links' Telegram links outlive it, to be revoked by the cron job (the rows that track
    // them go with the links).
    client
      .prepare(
        `insert into telegram_link_revocations (url, chat_id, attempts, next_attempt_at)
         select url, chat_id, 0, ?2 from telegram_invite_links
         where invite_id in (select id from invites where community_id = ?1)
           and status in ('active', 'revoking') and url is not null
         on conflict (url) do nothing`,
      )
      .bind(id, now.getTime()),
    ...forgetCommunityChats(client, id),
    ...forgetTelegramContacts(client, {
      sql: 'select id from members where community_id = ?1',
      params: [id],
    }),
    client.prepare('delete from api_tokens where community_id = ?1').bind(id),
    client.prepare('delete from communities where id = ?1').bind(id),
  ])
  // The deletion is done: a cache that cannot be emptied now expires by itself, and must not turn
  // the answer into an error that a retry would meet with a 404.
  await forgetCachedCodes(
    (campaignCodes!.results as Array<{ code: string }>).map((row) => row.code),
  ).catch((error: unknown) => logError({ community: id, outcome: 'caches kept' }, error))
}

/** The announcement group does not count towards a community's group limit. */
export async function countDiscussionGroups(db: Database, communityId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)` })
    .from(groups)
    .where(and(eq(groups.communityId, communityId), ne(groups.kind, 'announcement')))
  return row?.count ?? 0
}

/**
 * The names and clocks of the communities `ids` (at most `ID_CHUNK` of them), for a page that
 * names communities it did not list.
 */
export function communityNamesQuery(db: Database, ids: string[]) {
  return db
    .select({ id: communities.id, name: communities.name, timeZone: communities.timeZone })
    .from(communities)
    .where(inArray(communities.id, ids))
}
