import { sql } from 'drizzle-orm'
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './common'

/** Communities and their groups. */

export const VISIBILITIES = ['open', 'closed'] as const

export type Visibility = (typeof VISIBILITIES)[number]

export const GROUP_KINDS = ['announcement', 'discussion'] as const

export type GroupKind = (typeof GROUP_KINDS)[number]

export const GROUP_ORIGINS = ['created', 'added'] as const

export type GroupOrigin = (typeof GROUP_ORIGINS)[number]

/**
 * How a sign-up proves consent: `single`, the form alone (a typed number proves nothing);
 * `double`, the owner of the number or address confirms before anything is sent to them.
 */
export const CONSENT_MODES = ['single', 'double'] as const

export type ConsentMode = (typeof CONSENT_MODES)[number]

export const communities = sqliteTable(
  'communities',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    photoUrl: text('photo_url'),
    visibility: text('visibility', { enum: VISIBILITIES }).notNull(),
    joinQuestions: text('join_questions', { mode: 'json' })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    maxGroups: integer('max_groups').notNull().default(50),
    // Existing communities were migrated to `single`; new ones ask for a double opt-in.
    consent: text('consent', { enum: CONSENT_MODES }).notNull().default('double'),
    // The IANA zone its public pages tell times in, and its announcements' default.
    timeZone: text('time_zone').notNull().default('Europe/Berlin'),
    // What members get for being members (a discount code, early tickets): shown to them alone,
    // with their own links, never on the public pages. Null: no offer.
    memberOffer: text('member_offer'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('communities_slug_unique').on(t.slug),
    check('communities_visibility_check', sql`${t.visibility} in ('open', 'closed')`),
    check('communities_max_groups_check', sql`${t.maxGroups} between 1 and 50`),
  ],
)

export const groups = sqliteTable(
  'groups',
  {
    id: text('id').primaryKey(),
    communityId: text('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: GROUP_KINDS }).notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    topic: text('topic'),
    iconUrl: text('icon_url'),
    memberLimit: integer('member_limit').notNull(),
    chatInviteUrl: text('chat_invite_url'),
    origin: text('origin', { enum: GROUP_ORIGINS }).notNull().default('created'),
    // Kept by the joins themselves (never counted at read time), so the landing page and the
    // limit checks read one number.
    memberCount: integer('member_count').notNull().default(0),
    // The Telegram chat this group is (a chat the bot administers); null: a WhatsApp group.
    telegramChatId: integer('telegram_chat_id'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('groups_community_idx').on(t.communityId, t.id),
    // Exactly one announcement group per community: the index refuses a second one.
    uniqueIndex('groups_one_announcement_per_community')
      .on(t.communityId)
      .where(sql`kind = 'announcement'`),
    // One group per Telegram chat: its joins and leaves must be counted in one place.
    uniqueIndex('groups_telegram_chat_unique')
      .on(t.telegramChatId)
      .where(sql`telegram_chat_id is not null`),
    check('groups_kind_check', sql`${t.kind} in ('announcement', 'discussion')`),
    check('groups_origin_check', sql`${t.origin} in ('created', 'added')`),
    check(
      'groups_member_limit_check',
      sql`${t.memberLimit} >= 1 and ${t.memberLimit} <= case ${t.kind} when 'announcement' then 2000 else 1024 end`,
    ),
  ],
)

export type Community = typeof communities.$inferSelect

export type Group = typeof groups.$inferSelect
