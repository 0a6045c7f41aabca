import { sql } from 'drizzle-orm'
import { check, index, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { apiTokens } from './access'
import { timestamp } from './common'
import { communities, groups } from './communities'

/** A community's team: sign-in links for teammates, and the record of who changed what. */

export const TEAM_ROLES = ['community_admin', 'group_admin'] as const

export type TeamRole = (typeof TEAM_ROLES)[number]

/**
 * A one-time sign-in link for a teammate. Only the SHA-256 of its secret is stored. Accepting it
 * creates the teammate's API token (or, with `tokenId` set beforehand, signs an existing teammate
 * in again) and sets `acceptedAt`; a link is accepted once, before `expiresAt`, unless revoked.
 */
export const teamInvitations = sqliteTable(
  'team_invitations',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'cascade' }),
    role: text('role', { enum: TEAM_ROLES }).notNull(),
    name: text('name').notNull(),
    // Given to the token the link creates, lower-cased (see `apiTokens.email`).
    email: text('email'),
    secretHash: text('secret_hash').notNull(),
    tokenId: text('token_id').references(() => apiTokens.id, { onDelete: 'cascade' }),
    invitedBy: text('invited_by').notNull(),
    // The token that made the link (null for the bootstrap owner): the link works only while
    // that token may still manage the team (see `services/team.ts`).
    invitedByTokenId: text('invited_by_token_id').references(() => apiTokens.id, {
      onDelete: 'cascade',
    }),
    // Made in a session started from someone else's sign-in link: that person, who held this
    // link as much as the inviter (`sessions.linkMadeBy`); the session it opens names them.
    inviterLinkMadeBy: text('inviter_link_made_by'),
    // The admins' tokens who could be behind the session that made the link besides the
    // inviter (`services/held-by.ts`): it works only while each of them could still make it.
    alsoHeldBy: text('also_held_by', { mode: 'json' }).$type<string[]>(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    acceptedAt: timestamp('accepted_at'),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [
    uniqueIndex('team_invitations_secret_unique').on(t.secretHash),
    index('team_invitations_community_idx').on(t.communityId, t.id),
    index('team_invitations_expires_idx').on(t.expiresAt),
    // The cascades from a deleted token or group find their invitations through these.
    index('team_invitations_token_idx').on(t.tokenId),
    index('team_invitations_group_idx').on(t.groupId),
    index('team_invitations_invited_by_idx').on(t.invitedByTokenId),
    check('team_invitations_role_check', sql`${t.role} in ('community_admin', 'group_admin')`),
    check(
      'team_invitations_group_check',
      sql`${t.role} = 'community_admin' or ${t.groupId} is not null`,
    ),
  ],
)

/** What the audit log records: each a change an admin made, named by what it did. */
export const AUDIT_ACTIONS = [
  'join_request.approved',
  'join_request.rejected',
  'join_request.confirmed',
  'member.removed',
  'member.erased',
  'announcement.scheduled',
  'announcement.changed',
  'announcement.sent',
  'announcement.cancelled',
  'announcement.resumed',
  'announcement.resent',
  'link.created',
  'link.changed',
  'link.revoked',
  'link.rotated',
  'community.created',
  'settings.changed',
  'group.created',
  'group.changed',
  'group.deleted',
  'admin.promoted',
  'admin.demoted',
  'teammate.invited',
  'teammate.joined',
  'teammate.revoked',
  'teammate.changed',
  'invitation.revoked',
  'webhook.created',
  'webhook.removed',
  'webhook.redelivered',
  'webhook.resumed',
  'reward_rule.created',
  'reward_rule.retired',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/**
 * Who did what in a community, and when: the actor's name is copied, so an entry still says who
 * it was once their token is revoked or gone. Kept for `AUDIT_RETENTION_DAYS`.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    at: timestamp('at').notNull(),
    action: text('action', { enum: AUDIT_ACTIONS }).notNull(),
    actorTokenId: text('actor_token_id'),
    actorName: text('actor_name').notNull(),
    /** The maker of the sign-in link the actor's dashboard session started from (`sessions`). */
    actorLinkMadeBy: text('actor_link_made_by'),
    targetId: text('target_id'),
    detail: text('detail'),
  },
  (t) => [
    index('audit_log_community_idx').on(t.communityId, t.id),
    index('audit_log_community_action_idx').on(t.communityId, t.action, t.id),
    index('audit_log_at_idx').on(t.at),
  ],
)

export type TeamInvitation = typeof teamInvitations.$inferSelect

export type AuditEntry = typeof auditLog.$inferSelect
