import { and, asc, eq, exists, gt, isNotNull, isNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  inviteCodes,
  inviteQrDesigns,
  invites,
  telegramInviteLinks,
  type Invite,
} from '../db/schema'
import { canonicalCode, customCodeProblem, newInviteCode } from '../lib/codes'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { MemoryCache } from '../lib/memory-cache'
import { assertFallbackUsable, unsetAsFallbackQuery, usableFallback } from './link-fallbacks'
import { isCampaignLink } from './link-settings'
import { purgeCachedQr } from './qr-cache'
import {
  planLinksIntoChatOf,
  retireLinkOfInvite,
  telegramLinkFollows,
} from '../platforms/telegram/links-follow'

export interface CreateInviteInput {
  label?: string | null
  groupId?: string | null
  source?: string | null
  medium?: string | null
  campaign?: string | null
  maxUses?: number | null
  expiresAt?: Date | null
  /** Where its page leads people once it has expired or is used up: see `link-fallbacks`. */
  fallbackInviteId?: string | null
  /** A custom code instead of a random one; see `customCodeProblem` for what is refused. */
  code?: string | null
}

/**
 * What can change on a link. A new `code` works like a rotation to a code of one's choosing:
 * the old code answers "gone" from then on and is never issued again.
 */
export type UpdateInviteInput = Omit<CreateInviteInput, 'code'> & { code?: string }

export async function getInviteOrThrow(db: Database, id: string): Promise<Invite> {
  const invite = await db.query.invites.findFirst({ where: eq(invites.id, id) })
  if (!invite) throw notFound('Invite')
  return invite
}

/**
 * Creates an invite link with a fresh code, or the custom code asked for. The code is registered
 * in `invite_codes`, whose primary key holds every code ever issued: a collision of random codes
 * (about one in 2^64) is retried, a custom code someone has or had is refused with `code_taken`,
 * and a rotated-away code can never come back. The write itself decides, in one batch: two
 * people asking for the same code at once cannot both get it.
 */
export async function createInvite(
  db: Database,
  communityId: string,
  input: CreateInviteInput,
  now: Date,
  /** A link whose QR design the new one takes, in the same batch. */
  designOf?: string,
): Promise<Invite> {
  if (input.groupId) await assertGroupInCommunity(db, communityId, input.groupId)
  await assertFallbackUsable(db, communityId, input.fallbackInviteId, undefined, now)
  const invite = newInvite(communityId, { ...input, code: '' }, now)
  const insert = async (code: string) => {
    const design = db.insert(inviteQrDesigns).select(
      db
        .select({
          inviteId: sql<string>`${invite.id}`.as('invite_id'),
          fg: inviteQrDesigns.fg,
          bg: inviteQrDesigns.bg,
          margin: inviteQrDesigns.margin,
          level: inviteQrDesigns.level,
          style: inviteQrDesigns.style,
          logoPng: inviteQrDesigns.logoPng,
          updatedAt: sql<number>`${now.getTime()}`.as('updated_at'),
        })
        .from(inviteQrDesigns)
        .where(eq(inviteQrDesigns.inviteId, designOf ?? '')),
    )
    await db.batch([
      db.insert(invites).values({ ...invite, code }),
      db.insert(inviteCodes).values({ code, inviteId: invite.id, createdAt: now }),
      ...(designOf ? [design] : []),
    ])
    return { ...invite, code }
  }
  if (!input.code) return withFreshCode(insert)
  return withCustomCode(input.code, insert)
}

/** A new link's row, as every way of making one writes it: no uses, live, made `now`. */
export function newInvite(
  communityId: string,
  input: CreateInviteInput & { code: string },
  now: Date,
): Invite {
  return {
    id: newId('inv', now.getTime()),
    communityId,
    groupId: input.groupId ?? null,
    code: input.code,
    label: input.label ?? null,
    source: input.source ?? null,
    medium: input.medium ?? null,
    campaign: input.campaign ?? null,
    referrerMemberId: null,
    maxUses: input.maxUses ?? null,
    uses: 0,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    archivedAt: null,
    fallbackInviteId: input.fallbackInviteId ?? null,
    createdAt: now,
    updatedAt: now,
  }
}

/** Runs `write` with a custom code, checked here for every caller; a code in use is `code_taken`. */
async function withCustomCode<T>(wished: string, write: (code: string) => Promise<T>): Promise<T> {
  // The API's schema refuses these already; held here too, for every other caller.
  const problem = customCodeProblem(wished)
  if (problem) {
    throw new ApiError('validation_failed', 'This code cannot be used.', {
      errors: [{ path: 'code', message: `Not a valid custom code (${problem})` }],
    })
  }
  const code = canonicalCode(wished)
  try {
    return await write(code)
  } catch (error) {
    if (isUniqueViolation(error, '.code')) throw codeTaken(code)
    throw error
  }
}

/** A custom code someone has or had, refused; `path` names the field that asked for it. */
export function codeTaken(code: string, path = 'code'): ApiError {
  return new ApiError(
    'code_taken',
    `The code "${code}" belongs to another link, now or in the past. Codes are never reused, so a printed link cannot lead somewhere else.`,
    { errors: [{ path, message: 'Already taken' }] },
  )
}

async function withFreshCode<T>(attempt: (code: string) => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt(newInviteCode())
    } catch (error) {
      if (tries >= 2 || !isUniqueViolation(error)) throw error
    }
  }
}

async function assertGroupInCommunity(db: Database, communityId: string, groupId: string) {
  const group = await db.query.groups.findFirst({
    where: and(eq(groups.id, groupId), eq(groups.communityId, communityId)),
  })
  if (!group) {
    throw new ApiError('validation_failed', 'That group is not in this community.', {
      errors: [{ path: 'groupId', message: 'Not a group of this community' }],
    })
  }
}

/**
 * A community's links, oldest first, for a batch: one row more than `limit` (see `toPage`).
 * Archived ones only when asked for (`archived: true`); members' referral links unless left out
 * (`referralLinks: false`, for those who do not read referrals: see `inviteScope`).
 */
export function listInvitesQuery(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number; archived?: boolean; referralLinks?: boolean },
) {
  return db
    .select()
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        options.archived ? isNotNull(invites.archivedAt) : isNull(invites.archivedAt),
        options.referralLinks === false ? isCampaignLink : undefined,
        options.cursor ? gt(invites.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(invites.id))
    .limit(options.limit + 1)
}

/**
 * Changes a link's settings. `maxUses` may not go below the uses so far: the update itself
 * holds that condition, so a join landing at the same moment cannot slip past it. A new code
 * retires the old one in the same batch. Either way this isolate forgets what it cached for the
 * old code at once, as a revoke does.
 */
export async function updateInvite(
  db: Database,
  invite: Invite,
  input: UpdateInviteInput,
  now: Date,
): Promise<Invite> {
  const { code: wished, ...fields } = input
  if (fields.groupId) await assertGroupInCommunity(db, invite.communityId, fields.groupId)
  // Checked when it changes: a link saved again keeps a fallback that has ended since.
  if (fields.fallbackInviteId !== invite.fallbackInviteId)
    await assertFallbackUsable(db, invite.communityId, fields.fallbackInviteId, invite, now)
  const telegramLink = telegramLinkFollows(db, invite, fields, now)
  const newCode = wished === undefined ? null : canonicalCode(wished)
  const update = (code: string | null) =>
    db
      .update(invites)
      .set({ ...fields, ...(code ? { code } : {}), updatedAt: now })
      .where(
        and(
          eq(invites.id, invite.id),
          fields.maxUses != null ? lte(invites.uses, fields.maxUses) : undefined,
        ),
      )
      .returning()
  let rows: Invite[]
  if (newCode === null || newCode === invite.code) {
    rows = await db.batch([update(null), ...telegramLink]).then(([changed]) => changed)
  } else {
    // One batch, in this order: the link takes the code only if the uses condition holds, and
    // the code is registered (and the old one retired) only if the link took it. A code that
    // is any link's, now or before, breaks a unique key and the whole batch is undone.
    rows = await withCustomCode(newCode, async (code) => {
      const tookIt = db
        .select({ id: invites.id })
        .from(invites)
        .where(and(eq(invites.id, invite.id), eq(invites.code, code)))
      const [changed] = await db.batch([
        update(code),
        db.insert(inviteCodes).select(
          db
            .select({
              code: sql<string>`${code}`.as('code'),
              inviteId: invites.id,
              createdAt: sql<number>`${now.getTime()}`.as('created_at'),
              retiredAt: sql<null>`null`.as('retired_at'),
            })
            .from(invites)
            .where(and(eq(invites.id, invite.id), eq(invites.code, code))),
        ),
        db
          .update(inviteCodes)
          .set({ retiredAt: now })
          .where(
            and(eq(inviteCodes.code, invite.code), isNull(inviteCodes.retiredAt), exists(tookIt)),
          ),
        unsetAsFallbackQuery(db, invite.id, now, exists(tookIt)),
        ...telegramLink,
      ])
      return changed
    })
  }
  const updated = rows[0]
  if (!updated) {
    const current = await getInviteOrThrow(db, invite.id)
    // A state of the link, not of the request: the same body is fine for a link used less.
    throw new ApiError(
      'max_uses_below_uses',
      `This link has been used ${current.uses} times already; maxUses cannot be lower.`,
      { errors: [{ path: 'maxUses', message: `At least ${current.uses}` }] },
    )
  }
  await forgetCached(invite.code)
  return updated
}

/**
 * Archives a link, or restores an archived one: archived links are hidden from the default list
 * and refuse joins like revoked ones, but keep their code, so a restored link works again.
 */
export async function setInviteArchived(
  db: Database,
  invite: Invite,
  archived: boolean,
  now: Date,
): Promise<Invite> {
  if (Boolean(invite.archivedAt) === archived) return invite
  const update = db
    .update(invites)
    .set({ archivedAt: archived ? now : null, updatedAt: now })
    .where(eq(invites.id, invite.id))
    .returning()
  // Its Telegram link goes with it (Telegram would let people in) and comes back new with it.
  const [changed] = archived
    ? await db.batch([retireLinkOfInvite(db, invite.id, now), update]).then(([, rows]) => rows)
    : await db
        .batch([update, planLinksIntoChatOf(db, { groupOfInvite: invite.id }, now)])
        .then(([rows]) => rows)
  await forgetCached(invite.code)
  return changed ?? invite
}

/**
 * A new link with the settings of `invite` (label, group, medium, campaign, limits, fallback,
 * QR design) for another channel: its own source, a fresh code (or the custom one asked for), no uses yet.
 */
export async function duplicateInvite(
  db: Database,
  invite: Invite,
  input: { source: string; label?: string | null; code?: string | null },
  now: Date,
): Promise<Invite> {
  const expiresAt = invite.expiresAt && invite.expiresAt > now ? invite.expiresAt : null
  return createInvite(
    db,
    invite.communityId,
    {
      label: input.label === undefined ? invite.label : input.label,
      groupId: invite.groupId,
      source: input.source,
      medium: invite.medium,
      campaign: invite.campaign,
      maxUses: invite.maxUses,
      expiresAt,
      fallbackInviteId: await usableFallback(db, invite, now),
      code: input.code ?? null,
    },
    now,
    invite.id,
  )
}

/** Revoking is final for the code; the link's history and stats stay. Revoking twice is harmless. */
export async function revokeInvite(db: Database, invite: Invite, now: Date): Promise<Invite> {
  if (invite.revokedAt) return invite
  const [revoked] = await db
    .update(invites)
    .set({ revokedAt: now, updatedAt: now })
    .where(eq(invites.id, invite.id))
    .returning()
  await forgetCached(invite.code)
  return revoked!
}

/**
 * Gives the link a new, random code, custom code or not; the old one stops working at once and
 * is never issued again.
 */
export async function rotateInvite(db: Database, invite: Invite, now: Date): Promise<Invite> {
  return withFreshCode(async (code) => {
    const [, , [rotated]] = await db.batch([
      db
        .update(inviteCodes)
        .set({ retiredAt: now })
        .where(and(eq(inviteCodes.code, invite.code), isNull(inviteCodes.retiredAt))),
      db.insert(inviteCodes).values({ code, inviteId: invite.id, createdAt: now }),
      db.update(invites).set({ code, updatedAt: now }).where(eq(invites.id, invite.id)).returning(),
      unsetAsFallbackQuery(db, invite.id, now),
    ])
    await forgetCached(invite.code)
    return rotated!
  })
}

/**
 * A link's community, that community's groups (at most 51) and the link's QR design, in one
 * round trip: what a link's page needs to show the link's settings for editing.
 */
export interface LandingGroup {
  id: string
  kind: 'announcement' | 'discussion'
  name: string
  description: string
  topic: string | null
  iconUrl: string | null
  memberCount: number
  memberLimit: number
  /** The Telegram chat it is; null: a WhatsApp group, whose members we know only as sign-ups. */
  telegramChatId: number | null
}

export interface Landing {
  invite: Invite
  community: typeof communities.$inferSelect
  groups: LandingGroup[]
  /** Telegram: the chat's own invite link behind this one, once Telegram made it. */
  telegramUrl: string | null
}

/**
 * Landing data by code, kept in the isolate for a few seconds. A link shared in a busy chat or
 * printed on a poster is opened by many people at once, and one D1 read per view would cap the
 * page well below the speed of a static response. What a few seconds of staleness can show: a
 * member count that lags, or a just-revoked link's page for at most `LANDING_TTL_MS` in other
 * isolates (this isolate forgets it at once). Joining re-checks everything in D1, so nobody gets
 * in through a dead link.
 */
const LANDING_TTL_MS = 5_000
const landingCache = new MemoryCache<Landing>({ maxEntries: 500, ttlMs: LANDING_TTL_MS })

export async function getLanding(db: Database, code: string): Promise<Landing | null> {
  const cached = landingCache.get(code)
  if (cached) return cached
  const landing = await findLanding(db, code)
  if (landing) landingCache.set(code, landing)
  return landing
}

/** Forgets what this isolate has cached for a code: its landing data and its QR images. */
async function forgetCached(code: string): Promise<void> {
  landingCache.delete(code)
  await purgeCachedQr(code)
}

/** QR images purged when a community goes (Cache API calls); the rest expire within 5 minutes. */
const QR_PURGES_PER_DELETION = 50

/** Forgets the landings of a deleted community's links in this isolate, and their QR images. */
export async function forgetCachedCodes(codes: string[]): Promise<void> {
  for (const code of codes) landingCache.delete(code)
  await Promise.all(codes.slice(0, QR_PURGES_PER_DELETION).map(purgeCachedQr))
}

/**
 * Everything the landing page shows, in one D1 query: the invite joined to its community and
 * that community's groups (one row per group, at most 51).
 */
export async function findLanding(db: Database, code: string): Promise<Landing | null> {
  const rows = await db
    .select({
      invite: invites,
      community: communities,
      group: {
        id: groups.id,
        kind: groups.kind,
        name: groups.name,
        description: groups.description,
        topic: groups.topic,
        iconUrl: groups.iconUrl,
        memberCount: groups.memberCount,
        memberLimit: groups.memberLimit,
        telegramChatId: groups.telegramChatId,
      },
      telegramUrl: telegramInviteLinks.url,
    })
    .from(invites)
    .innerJoin(communities, eq(communities.id, invites.communityId))
    .innerJoin(groups, eq(groups.communityId, invites.communityId))
    .leftJoin(
      telegramInviteLinks,
      and(eq(telegramInviteLinks.inviteId, invites.id), eq(telegramInviteLinks.status, 'active')),
    )
    .where(eq(invites.code, code))
    .orderBy(asc(groups.id))
  const first = rows[0]
  if (!first) return null
  return {
    invite: first.invite,
    community: first.community,
    groups: rows.map((row) => row.group),
    telegramUrl: first.telegramUrl,
  }
}

/** The current invite behind a code with its community, in one query: what joining starts from. */
export async function findInviteWithCommunity(
  db: Database,
  code: string,
): Promise<{ invite: Invite; community: typeof communities.$inferSelect } | null> {
  const [row] = await db
    .select({ invite: invites, community: communities })
    .from(invites)
    .innerJoin(communities, eq(communities.id, invites.communityId))
    .where(eq(invites.code, code))
    .limit(1)
  return row ?? null
}

/** The current invite behind a code, without its community. */
export async function findInviteByCode(db: Database, code: string): Promise<Invite | null> {
  return (await db.query.invites.findFirst({ where: eq(invites.code, code) })) ?? null
}
