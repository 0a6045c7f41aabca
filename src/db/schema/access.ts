import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'
import { communities, groups } from './communities'

/** Who may do what: API tokens and dashboard sessions; and the rate-limit counters. */

export const TOKEN_ROLES = ['owner', 'community_admin', 'group_admin'] as const

export type TokenRole = (typeof TOKEN_ROLES)[number]

/**
 * API tokens are the admins of an installation. Only the SHA-256 of a token is stored. A group
 * admin keeps `groupId` when promoted to community admin, so a demotion can put them back.
 */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: TOKEN_ROLES }).notNull(),
    communityId: text('community_id').references(() => communities.id, { onDelete: 'cascade' }),
    groupId: text('group_id').references(() => groups.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull(),
    tokenPrefix: text('token_prefix').notNull(),
    createdAt: timestamp('created_at').notNull(),
    revokedAt: timestamp('revoked_at'),
    // To the minute at best: written when a use finds it older than that (see `touchTokenUse`).
    lastUsedAt: timestamp('last_used_at'),
    // The teammate's address, lower-cased: signing in through Cloudflare Access maps it here.
    email: text('email'),
    /**
     * The token that made this one through the API (null: the bootstrap owner, or a teammate
     * who accepted a sign-in link). A community admin's tokens go with them (`revokeToken`).
     */
    createdByTokenId: text('created_by_token_id'),
    /**
     * For a teammate who accepted a sign-in link: the token that invited them (null: the bootstrap
     * owner). They stay when it goes, as people do; the team page names it for whoever reviews.
     */
    invitedByTokenId: text('invited_by_token_id'),
    /**
     * When its teammate last signed out everywhere: a Cloudflare Access assertion issued before
     * then signs nobody in with it (a device keeps its Access cookie).
     */
    signedOutAt: timestamp('signed_out_at'),
    /**
     * Who gave the token its `email` when that was someone else (a peer admin, an owner): the
     * dashboard sessions Cloudflare Access opens for the address name them, as a session opened
     * from someone else's sign-in link does (`sessions.linkMadeBy`). Null: the teammate's own, or
     * the address their invitation carried.
     */
    emailSetBy: text('email_set_by'),
    /**
     * The admins' tokens whose holders could control `email` besides the teammate: who set it,
     * and who could have been behind that session (`services/held-by.ts`). It signs nobody in
     * once one of them could not set it any more.
     */
    emailAlsoHeldBy: text('email_also_held_by', { mode: 'json' }).$type<string[]>(),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_unique').on(t.tokenHash),
    index('api_tokens_created_by_idx').on(t.createdByTokenId),
    index('api_tokens_community_idx').on(t.communityId),
    index('api_tokens_group_idx').on(t.groupId),
    // One live token per address and community; an address may be on one in each community.
    uniqueIndex('api_tokens_email_community_unique')
      .on(t.email, t.communityId)
      .where(sql`email is not null and revoked_at is null`),
    check('api_tokens_role_check', sql`${t.role} in ('owner', 'community_admin', 'group_admin')`),
    check(
      'api_tokens_scope_check',
      sql`(${t.role} = 'owner' and ${t.communityId} is null)
        or (${t.role} = 'community_admin' and ${t.communityId} is not null)
        or (${t.role} = 'group_admin' and ${t.communityId} is not null and ${t.groupId} is not null)`,
    ),
  ],
)

/**
 * Dashboard sessions, revocable on the server. The cookie carries a random session id; only its
 * SHA-256 is stored, so a copy of the database cannot be replayed as a cookie. A session belongs
 * to a stored token (and ends with it) or, for the bootstrap owner, to a fingerprint of the
 * `ADMIN_TOKEN` it signed in with, so a new secret ends the old one's sessions. Deleting the row
 * signs the session out at once, wherever its cookie was copied to.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    tokenId: text('token_id').references(() => apiTokens.id, { onDelete: 'cascade' }),
    bootstrapKey: text('bootstrap_key'),
    /**
     * Who made the sign-in link this session started from, when someone other than the
     * teammate did: whoever held the link could have used it, so the audit log names them too.
     */
    linkMadeBy: text('link_made_by'),
    /**
     * The admins' tokens whose holders could be behind this session besides its teammate: who
     * made the link, and who could have been behind the session that made it (`alsoHeldBy` of
     * `services/held-by.ts`). The session works only while each of them still could make it.
     */
    alsoHeldBy: text('also_held_by', { mode: 'json' }).$type<string[]>(),
    createdAt: timestamp('created_at').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [
    index('sessions_token_idx').on(t.tokenId),
    index('sessions_bootstrap_idx').on(t.bootstrapKey),
    index('sessions_expires_idx').on(t.expiresAt),
    check('sessions_owner_check', sql`(${t.tokenId} is null) <> (${t.bootstrapKey} is null)`),
  ],
)

/** Fixed-window counters for rate limits (join attempts per visitor and per contact). */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
)

export type ApiToken = typeof apiTokens.$inferSelect

export type Session = typeof sessions.$inferSelect
