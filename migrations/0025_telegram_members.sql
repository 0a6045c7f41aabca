PRAGMA foreign_keys=OFF;--> statement-breakpoint
-- The Telegram columns are new: existing members have none (NULL), as drizzle-kit's copy would
-- otherwise read them from a table that does not have them yet.
-- D1 keeps foreign keys on during a migration, so dropping `members` would delete the rows that
-- refer to it (ON DELETE CASCADE): they are kept aside and put back once the table is rebuilt.
CREATE TABLE `__keep_group_members` AS SELECT * FROM `group_members`;--> statement-breakpoint
CREATE TABLE `__keep_rewards` AS SELECT * FROM `rewards`;--> statement-breakpoint
CREATE TABLE `__keep_inbound_messages` AS SELECT * FROM `inbound_messages`;--> statement-breakpoint
CREATE TABLE `__new_members` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`name` text NOT NULL,
	`phone` text,
	`email` text,
	`consent` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`join_request_id` text,
	`invite_id` text,
	`referred_by_member_id` text,
	`referral_count` integer DEFAULT 0 NOT NULL,
	`joined_at` integer NOT NULL,
	`ended_at` integer,
	`confirmed_at` integer,
	`consent_method` text,
	`consent_proof` text,
	`phone_confirmed_at` integer,
	`phone_consent_method` text,
	`phone_consent_proof` text,
	`email_confirmed_at` integer,
	`email_consent_method` text,
	`email_consent_proof` text,
	`leave_reason` text,
	`telegram_chat_id` integer,
	`telegram_user_id` integer,
	`telegram_username` text,
	`telegram_confirmed_at` integer,
	`telegram_consent_method` text,
	`telegram_consent_proof` text,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "members_status_check" CHECK("__new_members"."status" in ('active', 'left', 'removed')),
	CONSTRAINT "members_contact_check" CHECK("__new_members"."phone" is not null or "__new_members"."email" is not null or "__new_members"."telegram_user_id" is not null)
);
--> statement-breakpoint
INSERT INTO `__new_members`("id", "community_id", "name", "phone", "email", "consent", "status", "join_request_id", "invite_id", "referred_by_member_id", "referral_count", "joined_at", "ended_at", "confirmed_at", "consent_method", "consent_proof", "phone_confirmed_at", "phone_consent_method", "phone_consent_proof", "email_confirmed_at", "email_consent_method", "email_consent_proof", "leave_reason", "telegram_chat_id", "telegram_user_id", "telegram_username", "telegram_confirmed_at", "telegram_consent_method", "telegram_consent_proof") SELECT "id", "community_id", "name", "phone", "email", "consent", "status", "join_request_id", "invite_id", "referred_by_member_id", "referral_count", "joined_at", "ended_at", "confirmed_at", "consent_method", "consent_proof", "phone_confirmed_at", "phone_consent_method", "phone_consent_proof", "email_confirmed_at", "email_consent_method", "email_consent_proof", "leave_reason", NULL, NULL, NULL, NULL, NULL, NULL FROM `members`;--> statement-breakpoint
DROP TABLE `members`;--> statement-breakpoint
ALTER TABLE `__new_members` RENAME TO `members`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
INSERT OR IGNORE INTO `group_members` SELECT * FROM `__keep_group_members`;--> statement-breakpoint
INSERT OR IGNORE INTO `rewards` SELECT * FROM `__keep_rewards`;--> statement-breakpoint
INSERT OR IGNORE INTO `inbound_messages` SELECT * FROM `__keep_inbound_messages`;--> statement-breakpoint
DROP TABLE `__keep_group_members`;--> statement-breakpoint
DROP TABLE `__keep_rewards`;--> statement-breakpoint
DROP TABLE `__keep_inbound_messages`;--> statement-breakpoint
CREATE INDEX `members_community_idx` ON `members` (`community_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `members_community_id_idx` ON `members` (`community_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_phone_unique` ON `members` (`community_id`,`phone`) WHERE status = 'active' and phone is not null and phone_confirmed_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_email_unique` ON `members` (`community_id`,`email`) WHERE status = 'active' and email is not null and email_confirmed_at is not null;--> statement-breakpoint
CREATE INDEX `members_leaderboard_idx` ON `members` (`community_id`,referral_count desc,`id`);--> statement-breakpoint
CREATE INDEX `members_referred_joined_idx` ON `members` (`community_id`,`joined_at`,`referred_by_member_id`) WHERE referred_by_member_id is not null;--> statement-breakpoint
CREATE INDEX `members_referred_by_idx` ON `members` (`referred_by_member_id`,`joined_at`);--> statement-breakpoint
CREATE INDEX `members_phone_idx` ON `members` (`phone`,`status`);--> statement-breakpoint
CREATE INDEX `members_telegram_idx` ON `members` (`telegram_chat_id`,`telegram_user_id`,`joined_at`) WHERE telegram_user_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_telegram_unique` ON `members` (`telegram_chat_id`,`telegram_user_id`) WHERE status = 'active' and telegram_user_id is not null;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_left_within_7_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_left_within_30_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `telegram_invite_links` ADD `failed_at` integer;--> statement-breakpoint
CREATE INDEX `telegram_invite_links_failed_idx` ON `telegram_invite_links` (`chat_id`,`invite_id`) WHERE failed_at is not null;--> statement-breakpoint
ALTER TABLE `telegram_memberships` ADD `left_as` text;--> statement-breakpoint
CREATE INDEX `telegram_join_requests_person_idx` ON `telegram_join_requests` (`chat_id`,`user_id`,`decided_at`);