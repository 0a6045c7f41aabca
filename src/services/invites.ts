import { and, asc, eq, gt, isNull } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  communities,
  groups,
  inviteCodes,
  invites,
  telegramInviteLinks,
  type Invite,
} from '../db/schema'
import { canonicalCode, customCodeProblem, newInviteCode } from '../lib/codes'
import { ApiError, isUniqueViolation, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { MemoryCache } from '../lib/memory-cache'
import { purgeCachedQr } from './qr-cache'
import { toPage, type Page } from '../lib/pagination'

export const INVITE_STATUSES = ['active', 'revoked', 'expired', 'used_up'] as const
export type InviteStatus = (typeof INVITE_STATUSES)[number]

export interface CreateInviteInput {
  label?: string | null
  groupId?: string | null
  source?: string | null
  medium?: string | null
  campaign?: string | null
  maxUses?: number | null
  expiresAt?: Date | null
  /** A custom code instead of a random one; see `customCodeProblem` for what is refused. */
  code?: string | null
}

export type UpdateInviteInput = Pick<CreateInviteInput, 'label' | 'maxUses' | 'expiresAt'>

/** Whether a link still lets people in, and if not, why. */
export function inviteStatus(
  invite: Pick<Invite, 'revokedAt' | 'expiresAt' | 'maxUses' | 'uses'>,
  now: Date,
): InviteStatus {
  if (invite.revokedAt) return 'revoked'
  if (invite.expiresAt && invite.expiresAt.getTime() <= now.getTime()) return 'expired'
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return 'used_up'
  return 'active'
}

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
): Promise<Invite> {
  if (input.groupId) await assertGroupInCommunity(db, communityId, input.groupId)
  const invite: Invite = {
    id: newId('inv', now.getTime()),
    communityId,
    groupId: input.groupId ?? null,
    code: '',
    label: input.label ?? null,
    source: input.source ?? null,
    medium: input.medium ?? null,
    campaign: input.campaign ?? null,
    referrerMemberId: null,
    maxUses: input.maxUses ?? null,
    uses: 0,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    createdAt: now,
    updatedAt: now,
  }
  const insert = async (code: string) => {
    await db.batch([
      db.insert(invites).values({ ...invite, code }),
      db.insert(inviteCodes).values({ code, inviteId: invite.id, createdAt: now }),
    ])
    return { ...invite, code }
  }
  if (!input.code) return withFreshCode(insert)
  // The API's schema refuses these already; held here too, for every other caller.
  const problem = customCodeProblem(input.code)
  if (problem) {
    throw new ApiError('validation_failed', 'This code cannot be used.', {
      errors: [{ path: 'code', message: `Not a valid custom code (${problem})` }],
    })
  }
  const code = canonicalCode(input.code)
  try {
    return await insert(code)
  } catch (error) {
    if (isUniqueViolation(error, '.code')) throw codeTaken(code)
    throw error
  }
}

function codeTaken(code: string): ApiError {
  return new ApiError(
    'code_taken',
    `The code "${code}" belongs to another link, now or in the past. Codes are never reused, so a printed link cannot lead somewhere else.`,
    { errors: [{ path: 'code', message: 'Already taken' }] },
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

export async function listInvites(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
): Promise<Page<Invite>> {
  const rows = await db
    .select()
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        options.cursor ? gt(invites.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(invites.id))
    .limit(options.limit + 1)
  return toPage(rows, options.limit)
}

export async function updateInvite(
  db: Database,
  invite: Invite,
  input: UpdateInviteInput,
  now: Date,
): Promise<Invite> {
  if (input.maxUses != null && input.maxUses < invite.uses) {
    // A state of the link, not of the request: the same body is fine for a link used less.
    throw new ApiError(
      'max_uses_below_uses',
      `This link has been used ${invite.uses} times already; maxUses cannot be lower.`,
      { errors: [{ path: 'maxUses', message: `At least ${invite.uses}` }] },
    )
  }
  const [updated] = await db
    .update(invites)
    .set({ ...input, updatedAt: now })
    .where(eq(invites.id, invite.id))
    .returning()
  await forgetCached(invite.code)
  return updated!
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
    ])
    await forgetCached(invite.code)
    return rotated!
  })
}

export interface LandingGroup {
  id: string
  kind: 'announcement' | 'discussion'
  name: string
  description: string
  topic: string | null
  iconUrl: string | null
  memberCount: number
  memberLimit: number
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

/** Why a code that is not any link's current code does not work: rotated away, or never issued. */
export async function retiredCodeExists(db: Database, code: string): Promise<boolean> {
  const row = await db.query.inviteCodes.findFirst({ where: eq(inviteCodes.code, code) })
  return row !== undefined
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

/** The current invite behind a code, without its community: all the QR route needs. */
export async function findInviteByCode(db: Database, code: string): Promise<Invite | null> {
  return (await db.query.invites.findFirst({ where: eq(invites.code, code) })) ?? null
}
