import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql, type SQLWrapper } from 'drizzle-orm'
import type { Database } from '../db/client'
import {
  apiTokens,
  groups,
  teamInvitations,
  type ApiToken,
  type TeamInvitation,
  type TeamRole,
} from '../db/schema'
import { randomBase64Url, sha256Hex } from '../lib/crypto'
import { ApiError, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { toPage, type Page } from '../lib/pagination'
import type { Principal } from './access'
import { actorName } from './audit'
import { alsoHeldBy, stillHeldByAdmins } from './held-by'
import { openInvitation } from './invitation-open'
import { emailInvited, emailTaken, emailTakenError } from './team-emails'
import { getTeammateOrThrow } from './tokens'

/** How long a sign-in link works. */
export const INVITATION_HOURS = 72

/** A token's `lastUsedAt` is written when a use finds it at least this much older. */
const LAST_USED_PRECISION_MS = 60_000

const SECRET = /^[A-Za-z0-9_-]{43}$/

export interface InvitationInput {
  name: string
  role: TeamRole
  groupId?: string
  email?: string
}

/**
 * Creates a one-time sign-in link for a new teammate (or, with `tokenId`, a fresh link for one
 * already on the team) and returns its secret once: only its hash is kept. A group admin's group
 * must be one of this community's. The link works only while `inviter` may manage the team.
 */
export async function createInvitation(
  db: Database,
  communityId: string,
  input: InvitationInput & { tokenId?: string },
  inviter: Principal,
  now: Date,
): Promise<{ secret: string; invitation: TeamInvitation }> {
  let groupId: string | null = null
  if (input.role === 'group_admin') {
    const group = input.groupId
      ? await db.query.groups.findFirst({
          where: and(eq(groups.id, input.groupId), eq(groups.communityId, communityId)),
        })
      : undefined
    if (!group) {
      throw new ApiError('validation_failed', 'A group admin administers one of its groups.', {
        errors: [{ path: 'groupId', message: 'Name a group of this community' }],
      })
    }
    groupId = group.id
  }
  const email = input.email ?? null
  if (email) {
    // Read before the write; accepting re-checks in its own statement (see `acceptInvitation`).
    const [taken] = await db
      .select({ taken: sql<number>`1` })
      .from(sql`(select 1)`)
      .where(or(emailTaken(communityId, email), emailInvited(communityId, email, now)))
    if (taken) throw emailTakenError()
  }
  const secret = randomBase64Url(32)
  const invitation: TeamInvitation = {
    id: newId('tin', now.getTime()),
    communityId,
    groupId,
    role: input.role,
    name: input.name,
    email,
    secretHash: await sha256Hex(secret),
    tokenId: input.tokenId ?? null,
    invitedBy: actorName(inviter),
    invitedByTokenId: inviter.tokenId,
    inviterLinkMadeBy: inviter.linkMadeBy ?? null,
    // Whoever could be behind the inviter's session holds the link too.
    alsoHeldBy: inviter.alsoHeldBy?.length ? inviter.alsoHeldBy : null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + INVITATION_HOURS * 3600_000),
    acceptedAt: null,
    revokedAt: null,
  }
  await db.insert(teamInvitations).values(invitation)
  return { secret, invitation }
}

/** A fresh sign-in link for a teammate whose token is live in this community. */
export async function createSignInLink(
  db: Database,
  communityId: string,
  tokenId: string,
  inviter: Principal,
  now: Date,
): Promise<{ secret: string; invitation: TeamInvitation }> {
  const token = await getTeammateOrThrow(db, communityId, tokenId)
  if (token.role === 'owner') throw notFound('Teammate')
  return createInvitation(
    db,
    communityId,
    { name: token.name, role: token.role, groupId: token.groupId ?? undefined, tokenId: token.id },
    inviter,
    now,
  )
}

/** The invitation behind a sign-in link while it can still be accepted; null otherwise. */
export async function findOpenInvitation(
  db: Database,
  secret: string,
  now: Date,
): Promise<TeamInvitation | null> {
  if (!SECRET.test(secret)) return null
  const [row] = await db
    .select()
    .from(teamInvitations)
    .where(and(eq(teamInvitations.secretHash, await sha256Hex(secret)), openInvitation(now)))
    .limit(1)
  return row ?? null
}

/**
 * Accepts a sign-in link, once: in one batch the link is marked accepted and the teammate's token
 * is created, each statement re-checking that the link is still open, so two browsers sending it
 * at the same moment get one token between them, and a link whose group went away creates none.
 * A link for an existing teammate signs them in while their token is live. The token's secret is
 * never shown: the teammate signs in through sessions and fresh links. Null when the link does
 * not work (any more).
 */
export async function acceptInvitation(
  db: Database,
  secret: string,
  now: Date,
): Promise<{ token: ApiToken; invitation: TeamInvitation; created: boolean } | null> {
  const invitation = await findOpenInvitation(db, secret, now)
  if (!invitation) return null
  const stillOpen = and(eq(teamInvitations.id, invitation.id), openInvitation(now))
  if (invitation.tokenId) {
    const [claimed] = await db
      .update(teamInvitations)
      .set({ acceptedAt: now })
      .where(
        and(
          stillOpen,
          sql`exists (select 1 from ${apiTokens} where ${apiTokens.id} = ${invitation.tokenId} and ${apiTokens.revokedAt} is null)`,
        ),
      )
      .returning()
    if (!claimed) return null
    const token = await db.query.apiTokens.findFirst({
      where: and(eq(apiTokens.id, invitation.tokenId), isNull(apiTokens.revokedAt)),
    })
    return token ? { token, invitation: claimed, created: false } : null
  }
  const tokenId = newId('tok', now.getTime())
  const tokenSecret = `cg_${randomBase64Url(32)}`
  const groupStillThere = invitation.groupId
    ? sql`exists (select 1 from ${groups} where ${groups.id} = ${invitation.groupId} and ${groups.communityId} = ${invitation.communityId})`
    : sql`1`
  const [inserted, claimed] = await db.batch([
    db
      .insert(apiTokens)
      .select(
        db
          .select({
            id: sql<string>`${tokenId}`.as('id'),
            name: teamInvitations.name,
            role: teamInvitations.role,
            communityId: teamInvitations.communityId,
            groupId: teamInvitations.groupId,
            tokenHash: sql<string>`${await sha256Hex(tokenSecret)}`.as('token_hash'),
            tokenPrefix: sql<string>`${tokenSecret.slice(0, 10)}`.as('token_prefix'),
            createdAt: sql<number>`${now.getTime()}`.as('created_at'),
            revokedAt: sql<null>`null`.as('revoked_at'),
            lastUsedAt: sql<number>`${now.getTime()}`.as('last_used_at'),
            email: teamInvitations.email,
            // A teammate is a person, not a token someone made: they stay when their inviter goes,
            // who is named on the team page.
            createdByTokenId: sql<null>`null`.as('created_by_token_id'),
            invitedByTokenId: teamInvitations.invitedByTokenId,
            signedOutAt: sql<null>`null`.as('signed_out_at'),
            // The address the invitation carried is the teammate's own from the start.
            // The address the invitation carried is the teammate's own, unless the link was made
            // in a session someone else could have opened: then theirs too.
            emailSetBy: sql<
              string | null
            >`case when ${teamInvitations.email} is null or ${teamInvitations.alsoHeldBy} is null then null else ${teamInvitations.inviterLinkMadeBy} end`.as(
              'email_set_by',
            ),
            emailAlsoHeldBy: sql<
              string | null
            >`case when ${teamInvitations.email} is null then null else ${teamInvitations.alsoHeldBy} end`.as(
              'email_also_held_by',
            ),
          })
          .from(teamInvitations)
          .where(
            and(
              stillOpen,
              groupStillThere,
              // Another teammate given the address since the invitation: no token, no clash.
              sql`(${teamInvitations.email} is null or not ${emailTaken(teamInvitations.communityId, teamInvitations.email)})`,
            ),
          ),
      )
      .returning(),
    db
      .update(teamInvitations)
      .set({ acceptedAt: now, tokenId })
      .where(
        and(stillOpen, sql`exists (select 1 from ${apiTokens} where ${apiTokens.id} = ${tokenId})`),
      )
      .returning(),
  ])
  const token = inserted[0]
  const accepted = claimed[0]
  return token && accepted ? { token, invitation: accepted, created: true } : null
}

/**
 * Who else held the sign-in link `token` was signed in with: by name (`sessions.linkMadeBy`),
 * whoever was behind the session that made it, where that session itself started from someone
 * else's link, else its inviter, unless that is the teammate themselves; and by token, all of
 * them (`sessions.alsoHeldBy`): its inviter and whoever could have been behind the inviter.
 */
export function linkMakerOf(
  invitation: TeamInvitation,
  token: ApiToken,
): Pick<Principal, 'linkMadeBy' | 'alsoHeldBy'> {
  const held = alsoHeldBy(invitation.alsoHeldBy, invitation.invitedByTokenId, token.id)
  if (invitation.inviterLinkMadeBy) {
    return { linkMadeBy: invitation.inviterLinkMadeBy, alsoHeldBy: held }
  }
  const own = invitation.invitedByTokenId === token.id
  return { linkMadeBy: own ? null : invitation.invitedBy, alsoHeldBy: held }
}

/** Invitations of a community not yet accepted, revoked or expired, newest first. */
export async function listPendingInvitations(
  db: Database,
  communityId: string,
  now: Date,
  options: { cursor?: string; limit: number },
): Promise<Page<TeamInvitation>> {
  return toPage(await listPendingInvitationsQuery(db, communityId, now, options), options.limit)
}

/** `listPendingInvitations`' read, for a batch: one row more than `limit` (see `toPage`). */
export function listPendingInvitationsQuery(
  db: Database,
  communityId: string,
  now: Date,
  options: { cursor?: string; limit: number },
) {
  return db
    .select()
    .from(teamInvitations)
    .where(
      and(
        eq(teamInvitations.communityId, communityId),
        openInvitation(now),
        options.cursor ? lt(teamInvitations.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(teamInvitations.id))
    .limit(options.limit + 1)
}

/** A pending invitation of this community; 404 for any other, so none leaks across. */
export async function getPendingInvitationOrThrow(
  db: Database,
  invitationId: string,
  now: Date,
): Promise<TeamInvitation> {
  const [row] = await db
    .select()
    .from(teamInvitations)
    .where(and(eq(teamInvitations.id, invitationId), openInvitation(now)))
    .limit(1)
  if (!row) throw notFound('Invitation')
  return row
}

/** Revokes a pending invitation: its link stops working at once. */
export async function revokeInvitation(db: Database, invitationId: string, now: Date) {
  await db
    .update(teamInvitations)
    .set({ revokedAt: now })
    .where(and(eq(teamInvitations.id, invitationId), openInvitation(now)))
}

/** Who has access to a community: its live tokens, oldest first. */
export async function listTeam(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
): Promise<Page<ApiToken>> {
  return toPage(await listTeamQuery(db, communityId, options), options.limit)
}

/** `listTeam`'s read, for a batch: one row more than `limit` (see `toPage`). */
export function listTeamQuery(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
) {
  return db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.communityId, communityId),
        isNull(apiTokens.revokedAt),
        options.cursor ? gt(apiTokens.id, options.cursor) : undefined,
      ),
    )
    .orderBy(asc(apiTokens.id))
    .limit(options.limit + 1)
}

/**
 * The names of the tokens that made or invited those of a page of `listTeamQuery`, wherever they
 * are listed (an owner's are not), revoked ones too: a query, for the same batch.
 */
export function teamMakersQuery(
  db: Database,
  communityId: string,
  options: { cursor?: string; limit: number },
) {
  const page = listTeamQuery(db, communityId, options).as('page')
  return db
    .select({ id: apiTokens.id, name: apiTokens.name })
    .from(apiTokens)
    .where(
      or(
        inArray(apiTokens.id, db.select({ id: page.createdByTokenId }).from(page)),
        inArray(apiTokens.id, db.select({ id: page.invitedByTokenId }).from(page)),
      ),
    )
}

/** When this isolate last wrote each token's use down, so most requests skip the write. */
const lastWritten = new Map<string, number>()

/**
 * Whether a use of token `tokenId` at `now` should be written down: at most once a minute per
 * isolate (and the statement itself skips the write when another isolate was quicker), so the
 * hot path pays no write for the other requests of that minute.
 */
export function shouldRecordUse(tokenId: string, now: Date): boolean {
  const last = lastWritten.get(tokenId)
  if (last !== undefined && now.getTime() - last < LAST_USED_PRECISION_MS) return false
  // Bounded: a busy isolate forgets and writes once more, which the statement makes harmless.
  if (lastWritten.size >= 1000) lastWritten.clear()
  lastWritten.set(tokenId, now.getTime())
  return true
}

/** Records a use of a token; the statement itself keeps it to one write a minute. */
export async function touchTokenUse(db: Database, tokenId: string, now: Date): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiTokens.id, tokenId),
        or(
          isNull(apiTokens.lastUsedAt),
          lt(apiTokens.lastUsedAt, new Date(now.getTime() - LAST_USED_PRECISION_MS)),
        ),
      ),
    )
}

/**
 * Forgets sign-in links a day after they expired, used or not (run by the scheduled job): who
 * has access is in the tokens, who invited whom in the audit log.
 */
export async function pruneInvitations(db: Database, now: Date): Promise<void> {
  await db
    .delete(teamInvitations)
    .where(lt(teamInvitations.expiresAt, new Date(now.getTime() - 86400_000)))
}
