/**
 * The data model, one source of truth: drizzle-kit generates `migrations/` from these files and a
 * test fails when the two drift apart. One file per group of tables that change together.
 *
 * Conventions: ids are prefixed and time-sortable (see `lib/ids.ts`), so ordering by id is
 * ordering by creation and a primary key doubles as a pagination cursor. Times are stored as
 * integer milliseconds since the epoch. Enumerations are text columns guarded by CHECK
 * constraints so that no code path, ours or a hand-written query, can store a value the API
 * could not return.
 */
export * from './common'
export * from './communities'
export * from './access'
export * from './invites'
export * from './people'
export * from './outbox'
export * from './announcements'
export * from './whatsapp'
export * from './team'
export * from './telegram'
export * from './telegram-messages'
